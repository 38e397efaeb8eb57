"""A meeting's decision applied to the plan (issue 14), on SQLite and PostgreSQL: a new final
target of an indicator and a new action, each written by the plan's own validated service
(services.referentials), with « Décision du COPIL du 12/03/2025 : … » as the reason in the
record's history and the decision linked to the record; a conseiller (who writes meetings but not
the plan) is refused with the service's message and nothing is written."""

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.errors import PermissionDenied, ValidationError
from ctg_data.services import meetings as svc
from ctg_data.services import referentials
from tests.saisie_data import ADMIN, ADVISOR, audit_events, fingerprint, load_small

REASON = "Décision du COPIL du 12/03/2025 : Viser 70 % en 2026"
NEW_ACTION = {
    "code": "PE-9",
    "intitule": "Relais petite enfance itinérant",
    "domaine": "petite_enfance",
    "pilote": ["ville"],
    "date_debut": "2025-04-01",
    "date_fin": "2026-12-31",
}


@pytest.fixture
def small(engine, tmp_path):
    return load_small(engine, tmp_path)


@pytest.fixture
def decision(engine, small):
    meeting = svc.create_meeting(
        engine, ADVISOR, convention_id=small.convention_id, kind="copil", held_on=date(2025, 3, 12)
    )
    return svc.add_decision(engine, ADVISOR, meeting_id=meeting.id, text="Viser 70 % en 2026")


def links(engine, decision_id):
    with Session(engine) as session:
        rows = session.exec(select(m.DecisionLink).where(m.DecisionLink.decision_id == decision_id)).all()
    return {
        "actions": [r.action_id for r in rows if r.action_id],
        "indicators": [r.indicator_id for r in rows if r.indicator_id],
    }


def apply_target(engine, small, decision, actor=ADMIN, value="70", on="2026-12-31"):
    opened = referentials.open_record(engine, "indicateurs", small.indicator_id)
    assert opened is not None
    return svc.apply_decision_to_indicator(
        engine,
        actor,
        decision_id=decision.id,
        indicator_id=small.indicator_id,
        expected_version=opened.version,
        opened=opened.values,
        target_value=value,
        target_on=on,
    )


def test_a_decision_sets_an_indicators_target_with_the_meeting_as_reason(engine, small, decision):
    changed = apply_target(engine, small, decision)
    assert sorted(changed) == ["Date cible", "Valeur cible"]
    with Session(engine) as session:
        indicator = session.get_one(m.Indicator, small.indicator_id)
    assert (Decimal(str(indicator.target_value)), indicator.target_date) == (Decimal("70"), date(2026, 12, 31))
    [event] = [e for e in audit_events(engine, "indicators") if e.operation != "import"][-1:]
    assert event.reason == REASON and event.actor == ADMIN.email
    assert json.loads(event.after)["target_date"] == "2026-12-31"
    assert links(engine, decision.id)["indicators"] == [small.indicator_id]
    linked = [e for e in audit_events(engine, "decisions")][-1]
    assert linked.reason == REASON and json.loads(linked.after)["indicators"] == [small.indicator_id]


def test_a_decision_creates_an_action_with_the_meeting_as_reason(engine, small, decision):
    action_id = svc.apply_decision_new_action(engine, ADMIN, decision_id=decision.id, values=NEW_ACTION)
    with Session(engine) as session:
        action = session.get_one(m.Action, action_id)
    assert (action.code, action.convention_id, action.ends_on) == ("PE-9", small.convention_id, date(2026, 12, 31))
    created = [e for e in audit_events(engine, "actions") if json.loads(e.after or "{}").get("id") == action_id]
    assert [e.reason for e in created] == [REASON]
    assert links(engine, decision.id)["actions"] == [action_id]


def test_the_service_rules_still_apply(engine, small, decision):
    before = fingerprint(engine, (m.Decision, decision.id))
    outside = NEW_ACTION | {"date_fin": "2030-12-31"}  # the meeting's reason is no derogation
    with pytest.raises(ValidationError) as refused:
        svc.apply_decision_new_action(engine, ADMIN, decision_id=decision.id, values=outside)
    assert "Date de fin" in refused.value.errors
    with pytest.raises(ValidationError):
        apply_target(engine, small, decision, on="2020-12-31")  # before the reference date
    assert fingerprint(engine, (m.Decision, decision.id)) == before


def test_a_conseiller_writes_meetings_but_not_the_plan(engine, small, decision):
    before = fingerprint(engine, (m.Indicator, small.indicator_id), (m.Decision, decision.id))
    with pytest.raises(PermissionDenied, match="ne permet pas de modifier les référentiels"):
        apply_target(engine, small, decision, actor=ADVISOR)
    with pytest.raises(PermissionDenied, match="ne permet pas de modifier les référentiels"):
        svc.apply_decision_new_action(engine, ADVISOR, decision_id=decision.id, values=NEW_ACTION)
    assert fingerprint(engine, (m.Indicator, small.indicator_id), (m.Decision, decision.id)) == before


def test_an_unchanged_target_writes_nothing(engine, small, decision):
    before = fingerprint(engine, (m.Indicator, small.indicator_id), (m.Decision, decision.id))
    assert apply_target(engine, small, decision, value="60", on="2027-05-31") == []
    assert fingerprint(engine, (m.Indicator, small.indicator_id), (m.Decision, decision.id)) == before
