"""Conventions: the list, one convention's identity card, and the data version stamp."""

from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Engine, func, select
from sqlmodel import Session, col

from ctg_data import models as m
from ctg_data.perimeter import NO_FIGURES, latest_figures
from ctg_data.rules.conventions import convention_years


def list_conventions(engine: Engine) -> pd.DataFrame:
    query = select(
        col(m.Convention.id),
        col(m.Convention.code),
        col(m.Convention.name),
        col(m.Convention.starts_on),
        col(m.Convention.ends_on),
    ).order_by(col(m.Convention.starts_on).desc(), col(m.Convention.code))
    with engine.connect() as connection:
        return pd.read_sql(query, connection)


def convention_card(engine: Engine, convention_id: int) -> dict[str, Any] | None:
    """Identity, avenants, signatories, perimeter (with each commune's latest figures) and counts
    of one convention, in a handful of small queries."""
    with Session(engine) as session:
        convention = session.get(m.Convention, convention_id)
        if convention is None:
            return None
        signatories = session.execute(
            select(
                col(m.Organisation.name),
                col(m.Organisation.type),
                col(m.Signatory.representative),
                col(m.Signatory.capacity),
            )
            .join(m.Signatory, col(m.Signatory.organisation_id) == m.Organisation.id)
            .where(col(m.Signatory.convention_id) == convention_id)
            .order_by(col(m.Organisation.name))
        ).all()
        counts = {}
        tables: tuple[tuple[str, type[m.Action | m.Indicator | m.Facility], list[ColumnElement[bool]]], ...] = (
            ("actions", m.Action, [col(m.Action.deleted_at).is_(None)]),
            ("indicateurs", m.Indicator, []),
            ("equipements", m.Facility, []),
        )
        for label, model, extra in tables:
            counts[label] = session.execute(
                select(func.count()).select_from(model).where(col(model.convention_id) == convention_id, *extra)
            ).scalar_one()
        communes = session.execute(
            select(col(m.Commune.insee_code), col(m.Commune.name))
            .join(m.Perimeter, col(m.Perimeter.insee_code) == m.Commune.insee_code)
            .where(col(m.Perimeter.convention_id) == convention_id)
            .order_by(col(m.Commune.name))
        ).all()
        figures = latest_figures(session, convention_id)
        amendments = session.execute(
            select(
                col(m.Amendment.number), col(m.Amendment.signed_on), col(m.Amendment.subject), col(m.Amendment.ends_on)
            )
            .where(col(m.Amendment.convention_id) == convention_id)
            .order_by(col(m.Amendment.number))
        ).all()
        return {
            "id": convention.id,
            "code": convention.code,
            "name": convention.name,
            "territory": convention.territory,
            "department": convention.department,
            "signed_on": convention.signed_on,
            "starts_on": convention.starts_on,
            "ends_on": convention.ends_on,
            "years": convention_years(convention.starts_on, convention.ends_on),
            "communes": [dict(row._mapping) | figures.get(row.insee_code, NO_FIGURES) for row in communes],
            "amendments": [dict(row._mapping) for row in amendments],
            "signatories": [dict(row._mapping) for row in signatories],
            "counts": counts,
        }


def data_version(engine: Engine, convention_id: int | None = None) -> int:
    """Grows with every write (each write records an audit event): read caches are keyed on it,
    so the next page run after any save — from the app, an import or the command line — sees
    the new data. With `convention_id`, only the writes that convention's pages can see: its
    own records' and shared data's (events without a convention: referentials, rates,
    accounts); a save in another convention leaves it unchanged. Both read only an index."""
    event_id, owner = col(m.AuditEvent.id), col(m.AuditEvent.convention_id)
    if convention_id is None:
        query = select(func.max(event_id))
    else:

        def latest(where: ColumnElement[bool]) -> Any:
            return select(func.max(event_id)).where(where).scalar_subquery()

        # Two index lookups (convention_id, id) rather than one OR, which no planner reads from the index.
        query = select(latest(owner == convention_id), latest(owner.is_(None)))
    with engine.connect() as connection:
        found = connection.execute(query).one()
    return max((value for value in found if value is not None), default=0)  # 0: no event yet
