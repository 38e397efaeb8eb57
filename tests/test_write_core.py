"""The write core (ctg_data.store) that every writer uses: a correction audited the same way by
the form and the import, the lists of writable rows in one query that agree with the per-row
checks, and the errors in one module."""

import json
from datetime import date

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data import permissions as p
from ctg_data.actors import Actor, Role
from ctg_data.errors import ConflictError, PermissionDenied, ValidationError
from ctg_data.interchange import load_folder
from ctg_data.services import actions, activity, measurements
from tests.csv_folder import minimal_convention, write_folder
from tests.saisie_data import ADMIN
from tests.test_permissions import world  # noqa: F401  (the fixture)


def _corrections(engine, operation: str) -> list[dict]:
    with Session(engine) as session:
        events = session.exec(select(m.AuditEvent).where(m.AuditEvent.operation == operation)).all()
        return [json.loads(e.before) for e in events]


# ------------------------------------------------------------------ superseding, one way


def test_an_import_correction_audits_the_old_value_as_it_was_before(engine, tmp_path):
    """The audit's "before" of a superseded measurement is the current value it was: not yet
    superseded (the import used to record it already stamped)."""
    sheets = minimal_convention()
    assert load_folder(write_folder(tmp_path / "a", sheets), actor="test", engine=engine).ok
    sheets["mesures"][1]["valeur"] = "55"
    assert load_folder(write_folder(tmp_path / "b", sheets), actor="test", engine=engine).ok
    [before] = _corrections(engine, "import:correction")
    assert before["value"] == 54.5
    assert before["superseded_at"] is None and before["superseded_by_id"] is None


def test_the_form_and_the_import_audit_a_correction_alike(engine, tmp_path):
    sheets = minimal_convention()
    assert load_folder(write_folder(tmp_path / "a", sheets), actor="test", engine=engine).ok
    row = sheets["mesures"][1]
    with Session(engine) as session:
        indicator_id = session.exec(select(m.Indicator.id).where(m.Indicator.code == row["indicateur"])).one()
    measurements.record_measurement(
        engine, ADMIN, indicator_id=indicator_id, measured_on=date.fromisoformat(row["date"]), value="56"
    )
    sheets["mesures"][1]["valeur"] = "57"
    assert load_folder(write_folder(tmp_path / "b", sheets), actor="test", engine=engine).ok
    [by_form] = _corrections(engine, "saisie:correction")
    [by_import] = _corrections(engine, "import:correction")
    assert (by_form["value"], by_import["value"]) == (54.5, 56.0)
    assert set(by_form) == set(by_import)
    for before in (by_form, by_import):
        assert before["superseded_at"] is None


# ------------------------------------------------------------------ writable lists, one query


class Statements:
    """Counts the queries an engine runs while the block runs (not the BEGIN that ctg_data.db
    sends itself on SQLite)."""

    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def _seen(self, _connection, _cursor, statement, *_args):
        self.count += not statement.lstrip().upper().startswith("BEGIN")

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._seen)


LISTS = [  # the service's list, the model, the per-row check it must agree with
    (actions.writable_action_ids, m.Action, p.require_write_action),
    (measurements.writable_indicator_ids, m.Indicator, p.require_write_measurement),
    (activity.writable_facility_ids, m.Facility, p.require_write_activity),
]


def _per_row(engine, actor, model, check, convention_id) -> frozenset[int]:
    """What the per-row check allows, row by row (the oracle)."""
    allowed = set()
    with Session(engine) as session:
        rows = session.exec(select(model).where(model.convention_id == convention_id)).all()
        for row in rows:
            if getattr(row, "deleted_at", None) is not None:
                continue
            try:
                check(session, actor, row)
            except PermissionDenied:
                continue
            allowed.add(row.id)
    return frozenset(allowed)


@pytest.mark.parametrize("listing, model, check", LISTS, ids=["actions", "indicateurs", "equipements"])
def test_a_writable_list_is_one_query_and_agrees_with_the_per_row_check(world, listing, model, check):  # noqa: F811
    engine, ids = world
    with Session(engine) as session:  # a deleted action the partner pilots: never offered
        deleted = m.Action(
            convention_id=ids["conv"]["ouverte"],
            code="A9",
            title="Supprimée",
            domain_code="petite_enfance",
            pilot_id=ids["org"]["A"],
            status="en_cours",
            deleted_at=m.utcnow(),
        )
        session.add(deleted)
        session.commit()
    checked = 0
    for actor in ids["actor"].values():
        for convention_id in ids["conv"].values():
            with Statements(engine) as statements:
                listed = listing(engine, actor, convention_id)
            assert statements.count <= 1, (actor.role, convention_id, statements.count)
            assert listed == _per_row(engine, actor, model, check, convention_id), (actor.role, convention_id)
            checked += bool(listed)
    assert checked >= 4  # the comparison is not only between empty lists


def test_a_partner_without_organisation_may_write_no_row(world):  # noqa: F811
    engine, ids = world
    stray = Actor(email="sans@test.ctg", role=Role.PARTENAIRE)
    for listing, _model, _check in LISTS:
        assert listing(engine, stray, ids["conv"]["ouverte"]) == frozenset()


# ------------------------------------------------------------------ errors in one module


def test_the_errors_have_one_home_and_permissions_still_names_its_own():
    from ctg_data.permissions import PermissionDenied as from_permissions

    assert from_permissions is PermissionDenied
    assert ValidationError.__module__ == ConflictError.__module__ == PermissionDenied.__module__ == "ctg_data.errors"
