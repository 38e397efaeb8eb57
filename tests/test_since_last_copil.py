"""« Depuis le dernier COPIL » (issue 14), on SQLite and PostgreSQL: after a COPIL is closed, a
new value that reaches the target, an action réalisée and a payment are listed — the status
change from the snapshot's to today's, the measurement recorded, the action completed, the
money paid by lever — for the convention and its domain, none for another domain; the same
between two closed COPIL; nothing before any COPIL is closed. The pure diff on rows written here."""

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import Session

from ctg_data import models as m
from ctg_data.queries import changes as q
from ctg_data.queries.filters import Filters
from ctg_data.queries.indicators import indicators_frame
from ctg_data.rules.changes import changes
from ctg_data.services import actions as action_service
from ctg_data.services import funding as funding_service
from ctg_data.services import measurements as measurement_service
from tests.saisie_data import ADVISOR
from tests.test_snapshots import HELD_ON, close_copil
from tests.test_snapshots import small as small  # the fixture (CTG_TODAY pinned), re-exported

TODAY = date(2025, 6, 1)


def after_the_copil(engine, small):
    """What happens after the COPIL: TX measured at its target, PE-1 réalisée, 15 000 € more paid."""
    measurement_service.record_measurement(
        engine, ADVISOR, indicator_id=small.indicator_id, measured_on=date(2025, 3, 31), value="60", source="CAF"
    )
    with Session(engine) as session:
        action = session.get_one(m.Action, small.action_id)
        line = session.get_one(m.FundingLine, small.funding_line_id)
    action_service.update_followup(
        engine,
        ADVISOR,
        action_id=small.action_id,
        expected_version=action.version,
        opened=None,
        status="realisee",
        progress="100",
    )
    funding_service.update_funding(
        engine,
        ADVISOR,
        funding_line_id=small.funding_line_id,
        expected_version=line.version,
        opened=None,
        planned=line.planned,
        notified=line.notified,
        paid="30000",
    )


def assert_the_changes(found, before_status: str):
    [status] = found.changes.statuses
    assert (status["code"], status["before"], status["after"]) == ("TX", before_status, "Atteint")
    assert [a["code"] for a in found.changes.completed] == ["PE-1"]
    assert found.changes.added == [] and found.changes.newly_late == []
    [money] = found.changes.money
    assert (money["lever"], money["notified"], money["paid"]) == ("bonus_territoire", Decimal(0), Decimal(15000))
    assert found.measurements[["code", "measured_on", "value"]].values.tolist() == [["TX", date(2025, 3, 31), 60]]


def test_the_changes_since_the_last_copil_are_listed(engine, small):
    assert q.since_last_copil(engine, small.convention_id, TODAY) is None  # no COPIL closed yet
    closed = close_copil(engine, small)
    before_status = indicators_frame(engine, Filters(small.convention_id), HELD_ON).iloc[0]["status_label"]
    assert before_status != "Atteint"  # 52 of a 50 → 60 target
    after_the_copil(engine, small)

    found = q.since_last_copil(engine, small.convention_id, TODAY)
    assert found is not None and found.meeting_id == closed.id
    assert found.since == "COPIL du 15/11/2024" and found.until is None
    assert_the_changes(found, before_status)
    assert_the_changes(q.since_last_copil(engine, small.convention_id, TODAY, domain="petite_enfance"), before_status)
    other = q.since_last_copil(engine, small.convention_id, TODAY, domain="jeunesse")
    assert other is not None and other.changes.empty and other.measurements.empty


def test_the_changes_between_two_closed_copil(engine, small):
    first = close_copil(engine, small)
    before_status = indicators_frame(engine, Filters(small.convention_id), HELD_ON).iloc[0]["status_label"]
    after_the_copil(engine, small)
    second = close_copil(engine, small, held_on=date(2025, 5, 20))
    found = q.between_meetings(engine, second.id)
    assert found is not None and found.meeting_id == first.id and found.until == "COPIL du 20/05/2025"
    assert_the_changes(found, before_status)
    assert q.between_meetings(engine, first.id) is None  # no COPIL before the first
    # Since the second, nothing changed yet.
    since = q.since_last_copil(engine, small.convention_id, TODAY)
    assert since is not None and since.meeting_id == second.id and since.changes.empty and since.measurements.empty


def test_the_pure_diff_names_each_kind_of_change():
    indicator = {"id": 1, "code": "A", "name": "Taux", "domain_code": "pe", "status": "a_surveiller"}
    action = {"id": 7, "code": "X", "title": "Crèche", "domain_code": "pe", "status": "en_cours", "late": False}
    line = {"lever": "psu", "lever_label": "PSU", "domain": "pe", "notified": "100.00", "paid": None}
    before = {
        "indicators": [indicator | {"status_label": "À surveiller"}],
        "actions": [action],
        "funding": [line],
    }
    after = {
        "indicators": [indicator | {"status": "decroche", "status_label": "Décroché"}],
        "actions": [action | {"late": True}, action | {"id": 8, "code": "Y", "status": "realisee"}],
        "funding": [line | {"notified": "150.00", "paid": "40"}],
    }
    found = changes(before, after)
    assert found.statuses == [
        {"code": "A", "name": "Taux", "domain_code": "pe", "before": "À surveiller", "after": "Décroché"}
    ]
    assert [a["code"] for a in found.newly_late] == ["X"]
    assert [a["code"] for a in found.completed] == [a["code"] for a in found.added] == ["Y"]
    assert found.money == [{"lever": "psu", "lever_label": "PSU", "notified": Decimal("50"), "paid": Decimal("40")}]
    assert changes(before, after, domain="autre").empty
    assert changes(after, after).empty


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch):
    monkeypatch.setenv("CTG_TODAY", TODAY.isoformat())
