"""Conventions: the list, one convention's identity card, and the data version stamp."""

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from ctg_data import models as m


def list_conventions(engine: Engine) -> pd.DataFrame:
    query = select(m.Convention.id, m.Convention.code, m.Convention.name, m.Convention.starts_on,
                   m.Convention.ends_on).order_by(m.Convention.starts_on.desc(), m.Convention.code)
    with engine.connect() as connection:
        return pd.read_sql(query, connection)


def convention_card(engine: Engine, convention_id: int) -> dict | None:
    """Identity, signatories and counts of one convention, in three small queries."""
    with Session(engine) as session:
        convention = session.get(m.Convention, convention_id)
        if convention is None:
            return None
        signatories = session.execute(
            select(m.Organisation.name, m.Organisation.type, m.Signatory.representative, m.Signatory.capacity)
            .join(m.Signatory, m.Signatory.organisation_id == m.Organisation.id)
            .where(m.Signatory.convention_id == convention_id)
            .order_by(m.Organisation.name)
        ).all()
        counts = {}
        for label, model, extra in (
            ("actions", m.Action, [m.Action.deleted_at.is_(None)]),
            ("indicateurs", m.Indicator, []),
            ("equipements", m.Facility, []),
        ):
            counts[label] = session.execute(
                select(func.count()).select_from(model).where(model.convention_id == convention_id, *extra)
            ).scalar_one()
        communes = session.execute(
            select(m.Commune.insee_code, m.Commune.name)
            .join(m.Perimeter, m.Perimeter.insee_code == m.Commune.insee_code)
            .where(m.Perimeter.convention_id == convention_id).order_by(m.Commune.name)
        ).all()
        return {
            "id": convention.id,
            "code": convention.code,
            "name": convention.name,
            "territory": convention.territory,
            "signed_on": convention.signed_on,
            "starts_on": convention.starts_on,
            "ends_on": convention.ends_on,
            "communes": [dict(row._mapping) for row in communes],
            "signatories": [dict(row._mapping) for row in signatories],
            "counts": counts,
        }


def data_version(engine: Engine) -> int:
    """Grows with every write (each write records an audit event): read caches are keyed on it,
    so the next page run after any save — from the app, an import or the command line — sees
    the new data."""
    with engine.connect() as connection:
        return connection.execute(select(func.coalesce(func.max(m.AuditEvent.id), 0))).scalar_one()
