"""Two saves from the same version of a record, run together in two real threads, on SQLite and
PostgreSQL: exactly one is saved, the other is refused with a ConflictError, and nothing is lost
(the stored record is the winner's edit, and the audit trail holds the winner's event only).

Both forms are read in the main thread first (same version), then a barrier releases the two
saves at the same moment; each kind is raced PAIRS times and every pair is tallied, so that a
failure tells how many pairs lost an edit."""

import threading
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import partial

import pytest
from sqlalchemy import func, update
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.audit import snapshot
from ctg_data.db import session_scope
from ctg_data.errors import ConflictError
from ctg_data.services import actions, activity, funding, measurements
from ctg_data.services import referentials as ref
from ctg_data.store import save
from tests.saisie_data import ADMIN, ADVISOR, load_small

PAIRS = 40


@pytest.fixture
def small(engine, tmp_path):
    return load_small(engine, tmp_path)


def race(first, second) -> list[tuple[str, object]]:
    """Run both calls in their own thread, released together; ("saved", result),
    ("conflict", error) or ("error", error) for each."""
    barrier = threading.Barrier(2)
    outcomes: list = [None, None]

    def run(index, call):
        barrier.wait()
        try:
            outcomes[index] = ("saved", call())
        except ConflictError as error:
            outcomes[index] = ("conflict", error)
        except Exception as error:  # any other failure is tallied and reported
            outcomes[index] = ("error", error)

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def audit_count(engine, table: str, key=None) -> int:
    with Session(engine) as session:
        query = select(func.count()).select_from(m.AuditEvent).where(m.AuditEvent.table_name == table)
        if key is not None:
            query = query.where(m.AuditEvent.record_key == str(key))
        return session.exec(query).one()


@dataclass(frozen=True)
class Pair:
    """Two edits of one record from the same version, and what each would store."""

    first: object
    first_stored: object
    second: object
    second_stored: object


def tally(engine, make_pair, stored, table: str, key=None, events_per_save: int = 1) -> Counter:
    """Race PAIRS pairs; count "ok" (one saved, one conflict, the winner's edit stored with its
    audit event(s)), "lost" (both saved: one edit is gone) and any other failure."""
    results = Counter()
    for index in range(PAIRS):
        pair = make_pair(index)
        events = audit_count(engine, table, key)
        outcomes = race(pair.first, pair.second)
        kinds = sorted(kind for kind, _ in outcomes)
        if kinds == ["saved", "saved"]:
            results["lost"] += 1
            continue
        if kinds != ["conflict", "saved"]:
            results[" + ".join(f"{kind}: {type(value).__name__} {value}" for kind, value in outcomes)] += 1
            continue
        winner = pair.first_stored if outcomes[0][0] == "saved" else pair.second_stored
        conflict = next(value for kind, value in outcomes if kind == "conflict")
        if "rien n'a été enregistré" not in str(conflict):
            results[f"conflict message: {conflict}"] += 1
        elif stored() != winner:
            results[f"stored {stored()!r}, winner wrote {winner!r}"] += 1
        elif audit_count(engine, table, key) - events != events_per_save:
            results["audit events"] += 1
        else:
            results["ok"] += 1
    return results


def assert_nothing_lost(results: Counter, what: str) -> None:
    print(f"{what}: tried {PAIRS}, lost {results['lost']}, {dict(results)}")
    assert results == Counter(ok=PAIRS), f"{what}: tried {PAIRS} pairs, outcomes {dict(results)}"


# ------------------------------------------------------------------ one test per kind of record


def test_action_follow_up(engine, small):
    def progress():
        with Session(engine) as session:
            return session.get(m.Action, small.action_id).progress

    def make_pair(_index):
        opened = actions.action_for_edit(engine, small.action_id)
        mine, theirs = (opened["progress"] + 1) % 100, (opened["progress"] + 2) % 100
        save = partial(
            actions.update_followup,
            engine,
            ADMIN,
            action_id=small.action_id,
            expected_version=opened["version"],
            opened=opened,
            status="en_cours",
        )
        return Pair(partial(save, progress=mine), mine, partial(save, progress=theirs), theirs)

    assert_nothing_lost(tally(engine, make_pair, progress, "actions", small.action_id), "suivi d'action")


def test_funding_line(engine, small):
    def planned():
        with Session(engine) as session:
            return session.get(m.FundingLine, small.funding_line_id).planned

    def make_pair(_index):
        opened = funding.funding_for_edit(engine, small.funding_line_id)
        current = Decimal(opened["planned"])
        save = partial(
            funding.update_funding,
            engine,
            ADVISOR,
            funding_line_id=small.funding_line_id,
            expected_version=opened["version"],
            opened=opened,
            notified=opened["notified"],
            paid=opened["paid"],
        )
        return Pair(
            partial(save, planned=str(current + 1)), current + 1, partial(save, planned=str(current + 2)), current + 2
        )

    assert_nothing_lost(
        tally(engine, make_pair, planned, "funding_lines", small.funding_line_id), "ligne de financement"
    )


def test_activity_row(engine, small):
    opened = activity.activity_for_edit(engine, small.facility_id, 2024)
    row_id = opened["id"]

    def places():
        with Session(engine) as session:
            return session.get(m.FacilityActivity, row_id).places

    def make_pair(_index):
        opened = activity.activity_for_edit(engine, small.facility_id, 2024)
        save = partial(
            activity.upsert_activity,
            engine,
            ADVISOR,
            facility_id=small.facility_id,
            year=2024,
            hours_delivered=opened["hours_delivered"],
            hours_billed=opened["hours_billed"],
            fte=opened["fte"],
            expected_version=opened["version"],
            opened=opened,
        )
        return Pair(
            partial(save, places=opened["places"] + 1),
            opened["places"] + 1,
            partial(save, places=opened["places"] + 2),
            opened["places"] + 2,
        )

    assert_nothing_lost(tally(engine, make_pair, places, "facility_activity", row_id), "activité")


@pytest.mark.parametrize(
    ("sheet", "model", "column"),
    [
        ("equipements", m.Facility, "places"),
        ("bareme", m.RateRow, "montant"),
    ],
)
def test_referential_row(engine, small, sheet, model, column):
    with Session(engine) as session:
        record_id = session.exec(select(model.id)).first()

    def stored():
        return Decimal(str(ref.open_record(engine, sheet, record_id).values[column]))

    def make_pair(_index):
        opened = ref.open_record(engine, sheet, record_id)
        current = Decimal(str(opened.values[column]))
        save = partial(
            ref.update, engine, ADMIN, sheet, record_id, expected_version=opened.version, opened=opened.values
        )
        return Pair(
            partial(save, values={column: str(current + 1)}),
            current + 1,
            partial(save, values={column: str(current + 2)}),
            current + 2,
        )

    assert_nothing_lost(tally(engine, make_pair, stored, model.__tablename__, record_id), f"référentiel {sheet}")


def test_measurement_correction(engine, small):
    """Two people correct the value they both see: one correction wins, the other is told."""
    day = date(2024, 12, 31)

    def current() -> m.Measurement:
        with Session(engine) as session:
            return session.exec(
                select(m.Measurement).where(
                    m.Measurement.indicator_id == small.indicator_id,
                    m.Measurement.measured_on == day,
                    m.Measurement.superseded_at.is_(None),
                )
            ).one()

    def make_pair(_index):
        shown = current()
        mine, theirs = [value for value in (30.0, 40.0, 50.0) if value != shown.value][:2]  # within 0–100
        save = partial(measurements.correct_measurement, engine, ADVISOR, measurement_id=shown.id)
        return Pair(partial(save, value=mine), mine, partial(save, value=theirs), theirs)

    # A correction writes two events: the old value superseded and the new one created.
    assert_nothing_lost(tally(engine, make_pair, lambda: current().value, "measurements", events_per_save=2), "mesure")


# ------------------------------------------------------------------ the version in the UPDATE itself


@pytest.mark.parametrize(
    ("model", "column", "value"),
    [
        (m.Action, "progress", 77),
        (m.FundingLine, "planned", Decimal("1.00")),
        (m.FacilityActivity, "places", 99),
        (m.Facility, "places", 98),
        (m.RateRow, "amount", Decimal("1.0000")),
        (m.Indicator, "target_value", 12.0),
        (m.Orientation, "title", "Autre intitulé"),
        (m.CoordinationPost, "title", "Autre poste"),
    ],
)
def test_an_update_from_a_stale_read_is_refused_by_the_database(engine, small, model, column, value):
    """Even a save that read the record before another one wrote it (no lock taken) cannot
    overwrite it: the UPDATE carries `WHERE version = <version read>`."""
    with Session(engine) as session:
        original = session.exec(select(model)).first()
    with pytest.raises(ConflictError) as conflict, session_scope(engine) as session:
        record = session.get(model, original.id)
        # Another writer's save, unseen by `record` (the identity map is left as it was).
        session.exec(
            update(model)
            .where(model.id == record.id)
            .values(version=record.version + 1)
            .execution_options(synchronize_session=False)
        )
        before = snapshot(record)
        setattr(record, column, value)
        save(session, ADMIN, record, before=before, operation="test")
    assert "rien n'a été enregistré" in str(conflict.value)
    with Session(engine) as session:
        stored = session.get(model, original.id)
        assert (stored.version, getattr(stored, column)) == (original.version, getattr(original, column))


def test_two_first_values_for_the_same_date(engine, small):
    """Two people record the first value of a date at the same moment: each save is either
    kept (the later one then corrects the earlier, which stays in the history) or refused with
    a ConflictError, never a database error; every saved value is in the history."""
    results = Counter()
    for index in range(PAIRS):
        day = date(2025, 1, 1) + timedelta(days=index)
        save = partial(
            measurements.record_measurement, engine, ADVISOR, indicator_id=small.indicator_id, measured_on=day
        )
        outcomes = race(partial(save, value=30.0), partial(save, value=40.0))
        with Session(engine) as session:
            history = session.exec(
                select(m.Measurement.value).where(
                    m.Measurement.indicator_id == small.indicator_id, m.Measurement.measured_on == day
                )
            ).all()
        saved = sorted(result.value for kind, result in outcomes if kind == "saved")
        kinds = sorted(kind for kind, _ in outcomes)
        if "error" in kinds or not saved or sorted(history) != saved:
            results[" + ".join(f"{kind}: {type(value).__name__}" for kind, value in outcomes)] += 1
        else:
            results["ok"] += 1
    assert_nothing_lost(results, "première mesure d'une date")
