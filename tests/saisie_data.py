"""A small convention for the data-entry service tests, the people who act on it, and a
fingerprint of the database to prove that a refused save changed nothing."""

import json
from dataclasses import dataclass

from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, select

from ctg_data import models as m
from ctg_data.actors import Actor, Role
from ctg_data.interchange import load_folder
from ctg_data.reports.integrity import table_counts
from tests.csv_folder import minimal_convention, write_folder


@dataclass(frozen=True)
class Small:
    convention_id: int
    indicator_id: int
    action_id: int
    facility_id: int
    funding_line_id: int
    organisations: dict[str, int]


def load_small(engine, tmp_path) -> Small:
    """minimal_convention() (tests/csv_folder.py) plus an organisation that takes part in nothing.

    A test that also requests a fixture named `small` gets its database cloned from a template
    where this very function loaded the convention once (tests/conftest.py, `database_url`):
    the load is then already done and only its ids are returned."""
    preloaded = PRELOADED.pop(database_key(engine.url), None)
    if preloaded is not None:
        return preloaded
    sheets = small_convention()
    report = load_folder(write_folder(tmp_path / "small", sheets), actor="test", engine=engine)
    assert report.ok, [str(e) for e in report.errors]
    with Session(engine) as session:

        def one(model):
            return session.exec(select(model.id)).one()

        organisations = dict(session.exec(select(m.Organisation.code, m.Organisation.id)).all())
        return Small(
            one(m.Convention), one(m.Indicator), one(m.Action), one(m.Facility), one(m.FundingLine), organisations
        )


def small_convention() -> dict[str, list[dict]]:
    sheets = minimal_convention()
    sheets["organisations"].append({"code": "autre", "nom": "Autre organisation", "type": "association"})
    return sheets


# Databases cloned from a template already holding the small convention, by database name (or
# SQLite path), with the ids load_small found when it loaded the template; taken by load_small.
PRELOADED: dict[str, Small] = {}


def database_key(url) -> str:
    return str(make_url(url).database)


ADMIN = Actor(email="admin@test", role=Role.ADMIN)
ADVISOR = Actor(email="conseillere@caf.test", role=Role.CONSEILLER)
READER = Actor(email="elu@test", role=Role.LECTEUR)


def partner(small: Small, organisation: str) -> Actor:
    return Actor(email=f"{organisation}@test", role=Role.PARTENAIRE, organisation_id=small.organisations[organisation])


def fingerprint(engine, *records: tuple[type[SQLModel], int]) -> tuple:
    """Row counts of every table and the full content of the given records: equal before and
    after means nothing was created, deleted or changed."""
    with Session(engine) as session:
        counts = table_counts(session)
        contents = []
        for model, record_id in records:
            record = session.get(model, record_id)
            contents.append(None if record is None else json.dumps(record.model_dump(mode="json"), sort_keys=True))
    return counts, contents


def audit_events(engine, table: str | None = None) -> list[m.AuditEvent]:
    with Session(engine) as session:
        query = select(m.AuditEvent).order_by(m.AuditEvent.id)
        if table:
            query = query.where(m.AuditEvent.table_name == table)
        return list(session.exec(query).all())
