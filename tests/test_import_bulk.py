"""A large file of measurements is read in bulk and recorded in batches: the same rows, the same
audit events and the same French messages as one value at a time, a number of statements that
does not grow with the file, and on SQLite a check that never holds the write lock (another
person's save goes through) and a save that meets the short write says « Un import est en
cours » instead of an English "database is locked"."""

import csv
import json
import threading
from datetime import date

import pytest
from sqlalchemy import event
from sqlmodel import Session, col, select

from benchmarks.import_data import write_measurements_file, write_plan_folder
from ctg_data import db
from ctg_data import models as m
from ctg_data.actors import COMMAND_LINE, Actor, Role
from ctg_data.db import make_engine
from ctg_data.errors import BUSY, DatabaseBusy
from ctg_data.interchange import loader
from ctg_data.interchange.importer import import_workbook
from ctg_data.services.measurements import record_measurement

ADMIN = Actor(email="admin@test", role=Role.ADMIN)
CONVENTION = "bench"


@pytest.fixture
def planned(engine, tmp_path):
    """The benchmark's convention and its 20 indicators, loaded."""
    report = import_workbook(engine, COMMAND_LINE, write_plan_folder(tmp_path / "plan", CONVENTION), dry_run=False)
    assert report.ok, report.errors
    return engine


def csv_rows(path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_rows(path, rows: list[dict[str, str]]):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def current_values(engine) -> dict[tuple[str, date], float]:
    with Session(engine) as session:
        rows = session.exec(
            select(col(m.Indicator.code), col(m.Measurement.measured_on), col(m.Measurement.value))
            .join(m.Indicator, col(m.Indicator.id) == m.Measurement.indicator_id)
            .where(col(m.Measurement.superseded_at).is_(None))
        ).all()
    return {(code, on): value for code, on, value in rows}


def import_events(engine) -> list[m.AuditEvent]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(m.AuditEvent)
                .where(m.AuditEvent.table_name == "measurements", col(m.AuditEvent.operation).startswith("import:"))
                .order_by(col(m.AuditEvent.id))
            ).all()
        )


def test_a_file_of_measurements_is_recorded_with_one_audit_event_per_value(planned, tmp_path):
    path = write_measurements_file(tmp_path / "mesures.csv", CONVENTION, 45, seed=3)
    progress: list[tuple[str, int, int]] = []

    report = import_workbook(planned, COMMAND_LINE, path, dry_run=False, progress=lambda *step: progress.append(step))

    assert report.ok, report.errors
    assert report.counts["mesures"]["created"] == 45
    assert progress[-1] == ("mesures", 45, 45)
    expected = {(row["indicateur"], date.fromisoformat(row["date"])): float(row["valeur"]) for row in csv_rows(path)}
    assert current_values(planned) == expected
    events = import_events(planned)
    assert [event.operation for event in events] == ["import:création"] * 45
    with Session(planned) as session:
        convention_id = session.exec(select(m.Convention.id).where(m.Convention.code == CONVENTION)).one()
        stored = {str(row.id): row for row in session.exec(select(m.Measurement)).all()}
    assert {event.record_key for event in events} == set(stored)
    assert {event.convention_id for event in events} == {convention_id}
    assert {event.actor for event in events} == {COMMAND_LINE.label}
    one = events[0]
    after = json.loads(one.after or "{}")
    assert after["value"] == stored[one.record_key].value
    assert after["recorded_by"] == COMMAND_LINE.label and after["superseded_at"] is None and one.before is None


def test_a_dry_run_and_an_unchanged_file_write_nothing(planned, tmp_path):
    path = write_measurements_file(tmp_path / "mesures.csv", CONVENTION, 30, seed=4)

    dry = import_workbook(planned, COMMAND_LINE, path, dry_run=True)
    assert dry.ok and dry.counts["mesures"]["created"] == 30
    assert current_values(planned) == {} and import_events(planned) == []

    assert import_workbook(planned, COMMAND_LINE, path, dry_run=False).ok
    again = import_workbook(planned, COMMAND_LINE, path, dry_run=False)
    assert dict(again.counts["mesures"]) == {"unchanged": 30}
    assert len(import_events(planned)) == 30


def test_a_changed_value_is_a_correction_kept_in_the_history(planned, tmp_path):
    first = write_measurements_file(tmp_path / "first" / "mesures.csv", CONVENTION, 40, seed=5)
    assert import_workbook(planned, COMMAND_LINE, first, dry_run=False).ok
    rows = csv_rows(first)
    changed = {3, 17, 38}
    for index in changed:
        rows[index]["valeur"] = "150.5" if rows[index]["valeur"] != "150.5" else "151.5"

    report = import_workbook(planned, COMMAND_LINE, write_rows(tmp_path / "mesures.csv", rows), dry_run=False)

    assert report.ok, report.errors
    assert dict(report.counts["mesures"]) == {"corrected": 3, "unchanged": 37}
    expected = {(row["indicateur"], date.fromisoformat(row["date"])): float(row["valeur"]) for row in rows}
    assert current_values(planned) == expected
    corrections = [event for event in import_events(planned) if event.operation == "import:correction"]
    assert len(corrections) == 3
    with Session(planned) as session:
        for event in corrections:
            old = session.get_one(m.Measurement, int(event.record_key))
            new = session.get_one(m.Measurement, old.superseded_by_id)
            before, after = json.loads(event.before or "{}"), json.loads(event.after or "{}")
            assert before["superseded_at"] is None and before["value"] == old.value
            assert after["superseded_by_id"] == new.id and after["superseded_at"] is not None
            assert new.superseded_at is None and new.measured_on == old.measured_on


def test_each_row_is_checked_against_the_earlier_rows_of_the_file(planned, tmp_path):
    """The soft warning compares a value with the previous result as the file leaves it: a
    correction earlier in the file counts, and a value ten times it is refused in French."""
    base = {"convention": CONVENTION, "indicateur": "IND-001", "type": "resultat", "source": ""}
    stored = [base | {"date": "2020-01-01", "valeur": "20"}]
    assert import_workbook(planned, COMMAND_LINE, write_rows(tmp_path / "a" / "mesures.csv", stored), dry_run=False).ok
    rows = [
        base | {"date": "2020-01-01", "valeur": "200"},  # a correction: the previous result becomes 200
        base | {"date": "2020-02-01", "valeur": "900"},  # less than 10 × 200: accepted
        base | {"date": "2020-03-01", "valeur": "90"},  # 900 / 10: the tenth, refused
    ]

    report = import_workbook(planned, COMMAND_LINE, write_rows(tmp_path / "b" / "mesures.csv", rows), dry_run=False)

    assert [(error.line, error.column) for error in report.errors] == [(4, "valeur")]
    assert "au plus le dixième de la valeur précédente" in report.errors[0].message
    assert current_values(planned) == {("IND-001", date(2020, 1, 1)): 20.0}  # nothing written


def test_the_statements_of_an_import_do_not_grow_with_its_rows(planned, tmp_path):
    """Stored values read once per sheet, rows written in batches: no query per row."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    def run(n: int, dry_run: bool, skip: int = 0) -> int:
        """The statements of importing `n` new values (the file's first `skip` rows left out)."""
        path = write_measurements_file(tmp_path / f"{n}" / "mesures.csv", CONVENTION, skip + n, seed=n)
        rows = csv_rows(path)[skip:]
        statements.clear()
        event.listen(planned, "before_cursor_execute", count)
        try:
            report = import_workbook(planned, COMMAND_LINE, write_rows(path, rows), dry_run=dry_run)
        finally:
            event.remove(planned, "before_cursor_execute", count)
        assert report.ok and dict(report.counts["mesures"]) == {"created": n}
        return len(statements)

    assert run(30, dry_run=True) == run(300, dry_run=True)
    small = run(30, dry_run=False)
    assert run(300, dry_run=False, skip=30) == small  # the same 20 indicators, ten times the values


@pytest.fixture
def short_wait(monkeypatch):
    """A short wait for SQLite's write lock, so that a collision shows at once."""
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 300)


def other_save(url: str, results: list, on: date) -> threading.Thread:
    """Someone else's save of one value (the measurement form), in another thread and connection."""

    def save() -> None:
        other = make_engine(url)
        try:
            with Session(other) as session:
                indicator = session.exec(select(m.Indicator).where(m.Indicator.code == "IND-002")).one()
            indicator_id = m.stored_id(indicator)
            results.append(record_measurement(other, ADMIN, indicator_id=indicator_id, measured_on=on, value=150))
        except Exception as error:  # the test asserts on what happened
            results.append(error)
        finally:
            other.dispose()

    return threading.Thread(target=save)


@pytest.mark.parametrize("dry_run", [True, False])
def test_another_save_goes_through_while_an_import_checks_its_rows(sqlite_url, short_wait, tmp_path, dry_run):
    engine = make_engine(sqlite_url)
    assert import_workbook(engine, COMMAND_LINE, write_plan_folder(tmp_path / "plan", CONVENTION), dry_run=False).ok
    path = write_measurements_file(tmp_path / "mesures.csv", CONVENTION, 300, seed=6)
    results: list = []

    def meanwhile(sheet: str, done: int, total: int) -> None:
        if not results:  # in the middle of the check: the import has read, not written
            thread = other_save(sqlite_url, results, date(2024, 6, 30))
            thread.start()
            thread.join()

    report = import_workbook(engine, COMMAND_LINE, path, dry_run=dry_run, progress=meanwhile)

    assert report.ok, report.errors
    assert len(results) == 1 and not isinstance(results[0], Exception), results
    values = current_values(engine)
    assert values[("IND-002", date(2024, 6, 30))] == 150
    assert len(values) == (1 if dry_run else 301)
    engine.dispose()


def test_a_save_that_meets_the_import_writing_says_so_in_french(sqlite_url, short_wait, tmp_path):
    engine = make_engine(sqlite_url)
    assert import_workbook(engine, COMMAND_LINE, write_plan_folder(tmp_path / "plan", CONVENTION), dry_run=False).ok
    path = write_measurements_file(tmp_path / "mesures.csv", CONVENTION, 50, seed=7)
    results: list = []

    def meanwhile(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.startswith("INSERT INTO audit_events") and not results:  # the import holds the write lock
            thread = other_save(sqlite_url, results, date(2024, 6, 30))
            thread.start()
            thread.join()

    event.listen(engine, "before_cursor_execute", meanwhile)
    try:
        report = import_workbook(engine, COMMAND_LINE, path, dry_run=False)
    finally:
        event.remove(engine, "before_cursor_execute", meanwhile)

    assert report.ok, report.errors
    assert len(results) == 1 and isinstance(results[0], DatabaseBusy)
    assert str(results[0]) == BUSY == "Un import est en cours ; réessayez dans quelques secondes."
    assert len(current_values(engine)) == 50  # the import itself is whole
    engine.dispose()


def test_a_value_corrected_by_someone_else_between_the_check_and_the_write_is_a_conflict(planned, tmp_path):
    first = write_measurements_file(tmp_path / "first" / "mesures.csv", CONVENTION, 40, seed=8)
    assert import_workbook(planned, COMMAND_LINE, first, dry_run=False).ok
    rows = csv_rows(first)
    rows[21]["valeur"] = "177.7"  # line 23, IND-002 on the second day
    assert rows[21]["indicateur"] == "IND-002"
    theirs = date.fromisoformat(rows[21]["date"])
    results: list = []

    def meanwhile(sheet: str, done: int, total: int) -> None:
        if done == total:  # every row checked, nothing written yet
            thread = other_save(planned.url.render_as_string(hide_password=False), results, theirs)
            thread.start()
            thread.join()

    report = import_workbook(
        planned, COMMAND_LINE, write_rows(tmp_path / "mesures.csv", rows), dry_run=False, progress=meanwhile
    )

    assert not isinstance(results[0], Exception), results
    assert [(error.line, error.message) for error in report.errors] == [(23, loader.CONFLICT)]
    assert current_values(planned)[("IND-002", theirs)] == 150  # their save only
    assert [event.operation for event in import_events(planned)] == ["import:création"] * 40
