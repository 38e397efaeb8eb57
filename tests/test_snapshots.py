"""Snapshots (issue 14, « Snapshots and change »), on SQLite and PostgreSQL: closing a COPIL
freezes what it was shown at its date (values worked out here from the data written for the
test), audited, money kept as exact Decimal text; a correction afterwards leaves the snapshot
as it was while the live figures move; a closed meeting is not closed again and its snapshot
is not rewritten — not even by a raw UPDATE, which the database refuses."""

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from ctg_data import models as m
from ctg_data.errors import ValidationError
from ctg_data.queries import snapshots as q
from ctg_data.queries.filters import Filters
from ctg_data.queries.indicators import indicators_frame
from ctg_data.queries.overview import steering_summary
from ctg_data.reports.bonus_report import bonus_reconciliation
from ctg_data.services import measurements as measurement_service
from ctg_data.services import meetings as svc
from ctg_data.ui.text import value_text
from tests.saisie_data import ADVISOR, audit_events, load_small
from tests.test_comites_page import ROOT

HELD_ON = date(2024, 11, 15)  # before the 2024-12-31 value (54,5): the 2023 value (52) is current


@pytest.fixture
def small(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("CTG_TODAY", "2025-06-01")
    return load_small(engine, tmp_path)


def close_copil(engine, small, held_on=HELD_ON):
    return close_meeting(engine, small.convention_id, held_on)


def close_meeting(engine, convention_id, held_on):
    meeting = svc.create_meeting(engine, ADVISOR, convention_id=convention_id, kind="copil", held_on=held_on)
    return svc.update_meeting(
        engine,
        ADVISOR,
        meeting_id=meeting.id,
        expected_version=1,
        opened=meeting.opened,
        kind="copil",
        held_on=held_on,
        status="close",
    )


def stored(engine) -> list[m.Snapshot]:
    with Session(engine) as session:
        return list(session.exec(select(m.Snapshot)).all())


def test_closing_freezes_the_figures_at_the_meetings_date(engine, small):
    closed = close_copil(engine, small)
    assert "chiffres présentés sont conservés" in closed.message
    frozen = q.frozen_figures(engine, closed.id)
    assert frozen is not None and frozen.as_of == HELD_ON and frozen.schema == q.SCHEMA_VERSION

    [indicator] = frozen.table("indicators").to_dict("records")
    assert (indicator["code"], indicator["current_value"], indicator["current_date"]) == ("TX", 52, date(2023, 12, 31))
    assert indicator["attainment"] == pytest.approx((52 - 50) / (60 - 50))  # reference 50, target 60
    live = indicators_frame(engine, Filters(small.convention_id), HELD_ON).iloc[0]
    assert (indicator["status"], indicator["status_label"]) == (live["status"], live["status_label"])

    [action] = frozen.table("actions").to_dict("records")
    assert (action["code"], action["status"], action["progress"], action["late"]) == ("PE-1", "en_cours", 40, False)
    assert action["ends_on"] == date(2026, 8, 31)

    summary = steering_summary(engine, Filters(small.convention_id), HELD_ON)
    domains = frozen.table("domains").set_index("domain_code")
    assert list(domains.index) == list(summary["domains"]["domain_code"])  # every domain, even without actions
    domain = domains.loc["petite_enfance"]
    expected_domain = summary["domains"].set_index("domain_code").loc["petite_enfance"]
    assert domain["progress"] == pytest.approx(40) and domain["actions"] == 1
    assert domain["expected"] == pytest.approx(expected_domain["expected"])
    assert domain["behind"] == bool(expected_domain["behind"])
    assert frozen.table("convention").iloc[0]["progress"] == pytest.approx(40)

    # Money: the one 2024 bonus line (30 000 planned and notified, 15 000 paid), as Decimal.
    for section in ("levers_year", "levers_all"):
        [lever] = frozen.table(section).to_dict("records")
        assert (lever["lever"], lever["planned"], lever["notified"], lever["paid"]) == (
            "bonus_territoire",
            Decimal("30000"),
            Decimal("30000"),
            Decimal("15000"),
        )
        assert isinstance(lever["paid"], Decimal)
    raw = json.loads(stored(engine)[0].payload)
    assert raw["levers_all"][0]["paid"] in ("15000", "15000.00")  # text, never a float

    [line] = frozen.table("bonus").to_dict("records")
    live_line = bonus_reconciliation(engine, small.convention_id, (2023, 2024), today=HELD_ON).iloc[0]
    assert (line["facility"], line["year"], line["notified"], line["paid"]) == (
        "EAJE1",
        2024,
        Decimal("30000"),
        Decimal("15000"),
    )
    assert line["due"] == live_line["due"] and line["flag_codes"] == list(live_line["flag_codes"])

    [event] = audit_events(engine, "snapshots")
    assert event.operation == "saisie:création" and event.actor == ADVISOR.email
    assert json.loads(event.after)["payload"]["indicators"] == 1  # counts, not the figures again


def test_a_correction_afterwards_leaves_the_snapshot_unchanged(engine, small):
    closed = close_copil(engine, small)
    with Session(engine) as session:
        old = session.exec(select(m.Measurement).where(m.Measurement.measured_on == date(2023, 12, 31))).one()
    measurement_service.correct_measurement(engine, ADVISOR, measurement_id=old.id, value="53")

    live = indicators_frame(engine, Filters(small.convention_id), HELD_ON).iloc[0]
    assert live["current_value"] == 53
    frozen = q.frozen_figures(engine, closed.id)
    assert frozen is not None
    assert frozen.table("indicators").iloc[0]["current_value"] == 52
    assert frozen.table("indicators").iloc[0]["attainment"] == pytest.approx(0.2)


def test_a_closed_meeting_is_not_closed_twice_and_its_snapshot_not_rewritten(engine, small):
    closed = close_copil(engine, small)
    [before] = stored(engine)
    with pytest.raises(ValidationError, match="close"):
        svc.update_meeting(
            engine,
            ADVISOR,
            meeting_id=closed.id,
            expected_version=2,
            opened=closed.opened,
            kind="copil",
            held_on=HELD_ON,
            status="close",
        )
    with pytest.raises(DBAPIError, match="ne se modifie pas"), engine.begin() as connection:
        connection.execute(text("UPDATE snapshots SET payload = '{}'"))
    [after] = stored(engine)
    assert (after.id, after.payload, after.taken_at) == (before.id, before.payload, before.taken_at)
    assert len(audit_events(engine, "snapshots")) == 1


def test_a_meeting_recorded_as_already_closed_is_frozen_too(engine, small):
    saved = svc.create_meeting(
        engine, ADVISOR, convention_id=small.convention_id, kind="cotech", held_on=HELD_ON, status="close"
    )
    frozen = q.frozen_figures(engine, saved.id)
    assert frozen is not None and frozen.table("indicators").iloc[0]["current_value"] == 52


def test_a_meeting_not_closed_has_no_snapshot(engine, small):
    saved = svc.create_meeting(engine, ADVISOR, convention_id=small.convention_id, kind="copil", held_on=HELD_ON)
    assert q.frozen_figures(engine, saved.id) is None and stored(engine) == []


# ------------------------------------------------------------------ the meeting page (AppTest, demo copy)


def test_the_meeting_page_shows_what_was_presented_and_what_changed_since(demo_app, demo_engine):
    with Session(demo_engine) as session:
        convention_id = session.exec(select(m.Convention.id)).first()
        indicator = session.exec(
            select(m.Indicator).where(m.Indicator.convention_id == convention_id, m.Indicator.nature == "nombre")
        ).first()
    assert convention_id is not None and indicator is not None
    closed = close_meeting(demo_engine, convention_id, date(2026, 10, 1))
    frozen = q.frozen_figures(demo_engine, closed.id)
    assert frozen is not None
    shown_before = frozen.table("indicators").set_index("code").loc[indicator.code, "current_value"]
    nxt = svc.create_meeting(demo_engine, ADVISOR, convention_id=convention_id, kind="copil", held_on=date(2026, 12, 1))
    measurement_service.record_measurement(
        demo_engine, ADVISOR, indicator_id=indicator.id, measured_on=date(2026, 11, 20), value="7", confirmed=True
    )

    def run(meeting_id: int) -> AppTest:
        at = AppTest.from_file(str(ROOT / "pages" / "comites.py"), default_timeout=60)
        at.session_state["ctg_actor"] = ADVISOR
        at.query_params["reunion"] = str(meeting_id)
        at.run()
        assert not at.exception, at.exception
        return at

    at = run(closed.id)
    [tab] = [t for t in at.tabs if t.label == "Ce qui a été présenté"]
    tables = [d.value for d in tab.dataframe]
    [indicators] = [t for t in tables if "Indicateur" in t.columns and "Mesurée le" in t.columns]
    row = indicators[indicators["Code"] == indicator.code].iloc[0]
    assert shown_before != 7 and row["Valeur"] == value_text(shown_before)  # the frozen value, not the 7 recorded since

    at = run(nxt.id)
    [since] = [t for t in at.tabs if t.label == "Depuis le dernier COPIL"]
    assert any("COPIL du 01/10/2026" in c.value for c in since.caption)
    [measured] = [d.value for d in since.dataframe if "Date de la mesure" in d.value.columns]
    assert measured[["Code", "Valeur"]].values.tolist() == [[indicator.code, "7"]]
