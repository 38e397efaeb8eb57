"""An import that meets someone else's save mid-way says so once, in French, and writes nothing.

The other save must land between the moment the import reads a row and the moment it writes
it. On SQLite the import holds the write lock from its first statement, so no one can: the
case exists on PostgreSQL only, where the test runs it with a real second thread."""

import threading
from datetime import date

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.actors import Actor, Role
from ctg_data.interchange import load_folder, loader
from ctg_data.interchange.importer import import_workbook
from ctg_data.services.actions import update_followup
from ctg_data.store import opened_snapshot
from tests.csv_folder import minimal_convention, write_folder

ADMIN = Actor(email="admin@test", role=Role.ADMIN)
ADVISOR = Actor(email="conseiller@test", role=Role.CONSEILLER)


def _save_by_someone_else(engine) -> None:
    """The follow-up form's save of the only action, committed by another thread."""

    def save() -> None:
        with Session(engine) as session:
            action = session.exec(select(m.Action)).one()
            opened = opened_snapshot(action)
        update_followup(
            engine,
            ADVISOR,
            action_id=action.id,
            expected_version=opened["version"],
            opened=opened,
            status="en_cours",
            progress=50,
        )

    other = threading.Thread(target=save)
    other.start()
    other.join()


@pytest.mark.parametrize("database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_a_save_by_someone_else_during_an_import_is_one_french_error_and_nothing_is_written(engine, tmp_path):
    seed = minimal_convention()
    assert load_folder(write_folder(tmp_path / "seed", seed), actor="seed", engine=engine).ok
    # Two sheets, so two lots: the conflict hits the first (actions), the second (mesures) follows.
    action = seed["actions"][0] | {"intitule": "Ouvrir deux crèches"}
    measure = seed["mesures"][1] | {"date": "2025-12-31", "valeur": "56"}
    folder = write_folder(tmp_path / "import", {"actions": [action], "mesures": [measure]})

    fired = []

    def meanwhile(session, flush_context, instances) -> None:
        """Just before the import writes the action it has read: someone else saves it."""
        if not fired and any(isinstance(record, m.Action) for record in session.dirty):
            fired.append(True)
            _save_by_someone_else(engine)

    event.listen(Session, "before_flush", meanwhile)
    try:
        report = import_workbook(engine, ADMIN, folder, dry_run=False)
    finally:
        event.remove(Session, "before_flush", meanwhile)

    assert fired
    assert [(error.line, error.message) for error in report.errors] == [(2, loader.CONFLICT)]
    with Session(engine) as session:
        stored = session.exec(select(m.Action)).one()
        assert (stored.title, stored.progress) == ("Ouvrir une crèche", 50)  # the other save only
        assert session.exec(select(m.Measurement).where(m.Measurement.measured_on == date(2025, 12, 31))).all() == []
        assert session.exec(select(m.AuditEvent).where(m.AuditEvent.actor == ADMIN.label)).all() == []
