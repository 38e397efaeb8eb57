"""Comités (issue 14, meetings and decisions), on SQLite and PostgreSQL: meetings created and
edited with their participants and decisions, every change audited, stale edits refused,
lecteurs and partners refused, a closed meeting kept as it was; the reads (past-due decisions
computed here by hand, a partner's decisions); a decision applied to an action's dates with the
meeting as the reason in its history."""

import json
from datetime import date

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.errors import ConflictError, PermissionDenied, ValidationError
from ctg_data.queries import meetings as q
from ctg_data.services import actions as action_service
from ctg_data.services import meetings as svc
from tests.saisie_data import ADMIN, ADVISOR, READER, audit_events, fingerprint, load_small, partner


@pytest.fixture
def small(engine, tmp_path):
    return load_small(engine, tmp_path)


def copil(engine, small, actor=ADVISOR, **values):
    arguments = {"kind": "copil", "held_on": date(2025, 3, 12), "place": "Mairie de Lourdes"} | values
    return svc.create_meeting(engine, actor, convention_id=small.convention_id, **arguments)


def decide(engine, meeting_id, actor=ADVISOR, **values):
    return svc.add_decision(engine, actor, meeting_id=meeting_id, **({"text": "Relancer le chantier"} | values))


def test_a_meeting_is_created_and_audited(engine, small):
    saved = copil(engine, small, agenda="1. Bilan\n2. Budget", minutes="<b>pas du HTML</b>")
    with Session(engine) as session:
        meeting = session.get_one(m.Meeting, saved.id)
    assert (meeting.kind, meeting.held_on, meeting.place, meeting.status, meeting.version) == (
        "copil",
        date(2025, 3, 12),
        "Mairie de Lourdes",
        "prevue",
        1,
    )
    assert meeting.minutes == "<b>pas du HTML</b>"  # stored as typed; the page shows it as text
    [created] = audit_events(engine, "meetings")
    assert created.operation == "saisie:création" and created.actor == ADVISOR.email
    assert json.loads(created.after)["participants"] == []


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"kind": "thematique"}, "Thème", "un comité thématique dit son thème"),
        ({"kind": "assemblee"}, "Type de comité", "inconnue"),
        ({"held_on": ""}, "Date de la réunion", "champ obligatoire"),
        ({"status": "finie"}, "Statut", "inconnue"),
    ],
)
def test_a_bad_meeting_is_refused_by_field_and_nothing_is_written(engine, small, values, field, message):
    before = fingerprint(engine)
    with pytest.raises(ValidationError) as refused:
        copil(engine, small, **values)
    assert message in refused.value.errors[field]
    assert fingerprint(engine) == before


def test_a_thematic_committee_keeps_its_theme(engine, small):
    saved = copil(engine, small, kind="thematique", theme="Parentalité")
    assert saved.opened["theme"] == "Parentalité"
    assert q.meetings_frame(engine, small.convention_id)["title"].tolist() == [
        "Comité thématique Parentalité du 12/03/2025"
    ]


def test_participants_are_set_audited_and_a_stale_list_is_refused(engine, small):
    saved = copil(engine, small)
    orgs = small.organisations
    rows = [
        {"organisation_id": orgs["ville"], "person": "Mme la Maire", "attendance": "present"},
        {"organisation_id": orgs["caf65"], "person": None, "attendance": "present"},
        {"organisation_id": orgs["asso"], "person": "", "attendance": "excuse"},
    ]
    first = svc.set_participants(
        engine, ADVISOR, meeting_id=saved.id, expected_version=1, opened=saved.opened, participants=rows
    )
    assert first.opened["version"] == 2
    detail = q.meeting_detail(engine, saved.id)
    people = detail["participants"]
    # By organisation name: Association, CAF des Hautes-Pyrénées, Ville de Lourdes.
    assert people["organisation"].tolist() == ["Association", "CAF des Hautes-Pyrénées", "Ville de Lourdes"]
    assert people["attendance_label"].tolist() == ["Excusé", "Présent", "Présent"]
    update = audit_events(engine, "meetings")[-1]
    assert json.loads(update.before)["participants"] == []
    assert len(json.loads(update.after)["participants"]) == 3
    # A second form opened on version 1 is refused, and the first list stays.
    before = fingerprint(engine)
    with pytest.raises(ConflictError):
        svc.set_participants(
            engine, ADMIN, meeting_id=saved.id, expected_version=1, opened=saved.opened, participants=rows[:1]
        )
    assert fingerprint(engine) == before


def test_a_participant_twice_or_unknown_is_refused(engine, small):
    saved = copil(engine, small)
    ville = small.organisations["ville"]
    with pytest.raises(ValidationError) as refused:
        svc.set_participants(
            engine,
            ADVISOR,
            meeting_id=saved.id,
            expected_version=1,
            opened=saved.opened,
            participants=[
                {"organisation_id": ville, "person": "B", "attendance": "present"},
                {"organisation_id": ville, "person": "b", "attendance": "excuse"},
                {"organisation_id": 999_999, "person": None, "attendance": "present"},
            ],
        )
    assert refused.value.errors == {
        "Participants, ligne 2": "cette participation est déjà dans la liste",
        "Participants, ligne 3": "organisation inconnue",
    }


def test_a_decision_with_links_then_its_status_change_is_audited(engine, small):
    meeting = copil(engine, small)
    links = {"actions": [small.action_id], "indicators": [small.indicator_id], "facilities": [small.facility_id]}
    saved = decide(engine, meeting.id, owner_id=small.organisations["ville"], due_on=date(2025, 6, 30), links=links)
    assert (saved.opened["actions"], saved.opened["indicators"], saved.opened["facilities"]) == (
        [small.action_id],
        [small.indicator_id],
        [small.facility_id],
    )
    [decision] = q.meeting_detail(engine, meeting.id)["decisions"].to_dict("records")
    assert (decision["owner"], decision["due_on"], decision["status_label"]) == (
        "Ville de Lourdes",
        date(2025, 6, 30),
        "À faire",
    )
    assert decision["links"]["text"] == [
        "Action PE-1 — Ouvrir une crèche",
        "Indicateur TX — Taux de couverture",
        "Équipement EAJE1 — La Souris verte",
    ]
    done = svc.update_decision(
        engine,
        ADVISOR,
        decision_id=saved.id,
        expected_version=saved.opened["version"],
        opened=saved.opened,
        text="Relancer le chantier",
        status="fait",
        owner_id=small.organisations["ville"],
        due_on=date(2025, 6, 30),
        links=links,
    )
    assert done.opened["version"] == 2
    change = audit_events(engine, "decisions")[-1]
    assert (json.loads(change.before)["status"], json.loads(change.after)["status"]) == ("a_faire", "fait")
    assert change.operation == "saisie:modification"


def test_a_stale_decision_is_refused_and_the_first_save_kept(engine, small):
    meeting = copil(engine, small)
    saved = decide(engine, meeting.id)
    common = {"decision_id": saved.id, "expected_version": 1, "opened": saved.opened}
    svc.update_decision(engine, ADVISOR, text="Relancer le chantier", status="abandonnee", **common)
    with pytest.raises(ConflictError) as refused:
        svc.update_decision(engine, ADMIN, text="Autre texte", status="fait", **common)
    assert refused.value.changed_by == ADVISOR.email
    assert ("status", "a_faire", "abandonnee") in refused.value.changes
    with Session(engine) as session:
        stored = session.get_one(m.Decision, saved.id)
    assert (stored.text, stored.status) == ("Relancer le chantier", "abandonnee")


def test_a_link_to_another_convention_or_an_unknown_record_is_refused(engine, small):
    meeting = copil(engine, small)
    with pytest.raises(ValidationError) as refused:
        decide(engine, meeting.id, links={"actions": [999_999]})
    assert refused.value.errors == {"Actions liées": "élément inconnu ou d'une autre convention"}


@pytest.mark.parametrize("who", ["lecteur", "partenaire"])
def test_lecteurs_and_partners_may_not_write_meetings(engine, small, who):
    actor = READER if who == "lecteur" else partner(small, "ville")
    meeting = copil(engine, small)
    before = fingerprint(engine)
    with pytest.raises(PermissionDenied):
        copil(engine, small, actor=actor)
    with pytest.raises(PermissionDenied):
        decide(engine, meeting.id, actor=actor)
    with pytest.raises(PermissionDenied):
        svc.set_participants(
            engine, actor, meeting_id=meeting.id, expected_version=1, opened=meeting.opened, participants=[]
        )
    assert fingerprint(engine) == before
    assert not svc.may_write_meetings(engine, actor, small.convention_id)
    assert svc.may_write_meetings(engine, ADVISOR, small.convention_id)


def test_a_closed_meeting_keeps_its_record_but_its_decisions_are_followed(engine, small):
    meeting = copil(engine, small)
    decision = decide(engine, meeting.id)
    closed = svc.update_meeting(
        engine,
        ADVISOR,
        meeting_id=meeting.id,
        expected_version=1,
        opened=meeting.opened,
        kind="copil",
        held_on=date(2025, 3, 12),
        place="Mairie de Lourdes",
        status="close",
    )
    with pytest.raises(ValidationError, match="close"):
        svc.update_meeting(
            engine,
            ADVISOR,
            meeting_id=meeting.id,
            expected_version=2,
            opened=closed.opened,
            kind="copil",
            held_on=date(2025, 3, 13),
            status="close",
        )
    with pytest.raises(ValidationError, match="close"):
        decide(engine, meeting.id, text="Une de plus")
    common = {"decision_id": decision.id, "expected_version": 1, "opened": decision.opened}
    with pytest.raises(ValidationError, match="seul le statut"):
        svc.update_decision(engine, ADVISOR, text="Réécrite après coup", status="a_faire", **common)
    svc.update_decision(engine, ADVISOR, text="Relancer le chantier", status="fait", **common)
    with Session(engine) as session:
        assert session.get_one(m.Decision, decision.id).status == "fait"


def test_past_due_open_decisions_are_those_computed_by_hand(engine, small):
    today = date(2025, 9, 1)
    march = copil(engine, small).id
    june = copil(engine, small, kind="cotech", held_on=date(2025, 6, 5)).id
    # (meeting, text, due date, status): which are open and past due on 1 September 2025?
    rows = [
        (march, "A", date(2025, 4, 30), "a_faire"),  # past due, open: 124 days late
        (march, "B", date(2025, 8, 31), "a_faire"),  # past due by one day
        (march, "C", date(2025, 9, 1), "a_faire"),  # due today: not late yet
        (june, "D", date(2025, 7, 1), "fait"),  # done
        (june, "E", date(2025, 7, 1), "abandonnee"),  # abandoned
        (june, "F", None, "a_faire"),  # no due date
        (june, "G", date(2025, 6, 30), "a_faire"),  # past due: 63 days late
    ]
    for meeting_id, text, due, status in rows:
        decide(engine, meeting_id, text=text, due_on=due, status=status)
    late = q.overdue_decisions(engine, small.convention_id, today)
    assert late["text"].tolist() == ["A", "G", "B"]
    assert late["days_late"].tolist() == [(date(2025, 9, 1) - date(2025, 4, 30)).days, 63, 1]
    assert late["meeting"].tolist() == ["COPIL du 12/03/2025", "COTECH du 05/06/2025", "COPIL du 12/03/2025"]
    frame = q.meetings_frame(engine, small.convention_id).set_index("id")
    assert (frame.loc[march, "decisions"], frame.loc[march, "open_decisions"]) == (3, 3)
    assert (frame.loc[june, "decisions"], frame.loc[june, "open_decisions"]) == (4, 2)


def test_partners_read_the_decisions_concerning_their_organisation(engine, small):
    meeting = copil(engine, small, minutes="Compte rendu interne")
    orgs = small.organisations
    decide(engine, meeting.id, text="owned by autre", owner_id=orgs["autre"])
    decide(engine, meeting.id, text="on the action", links={"actions": [small.action_id]})
    decide(engine, meeting.id, text="on the indicator", links={"indicators": [small.indicator_id]})
    decide(engine, meeting.id, text="on the facility", links={"facilities": [small.facility_id]})
    decide(engine, meeting.id, text="nobody's")

    def texts(organisation):
        return q.organisation_decisions(engine, orgs[organisation], small.convention_id)["text"].tolist()

    # PE-1 is piloted by ville with caf65 and asso as partners; TX belongs to PE-1; ville manages EAJE1.
    assert texts("ville") == ["on the action", "on the indicator", "on the facility"]
    assert texts("asso") == ["on the action", "on the indicator"]
    assert texts("autre") == ["owned by autre"]
    seen = q.meeting_detail(engine, meeting.id, partner(small, "asso"))
    assert seen["decisions"]["text"].tolist() == ["on the action", "on the indicator"]
    assert seen["minutes"] is None
    assert len(q.meeting_detail(engine, meeting.id, READER)["decisions"]) == 5
    assert q.meeting_detail(engine, meeting.id, READER)["minutes"] == "Compte rendu interne"


def test_a_meeting_is_read_in_the_same_number_of_queries_whatever_its_decisions(engine, small):
    def statements(meeting_id):
        seen = []

        def count(*_):
            seen.append(1)

        event.listen(engine, "before_cursor_execute", count)
        try:
            q.meeting_detail(engine, meeting_id)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    one = copil(engine, small).id
    decide(engine, one, links={"actions": [small.action_id]})
    many = copil(engine, small, held_on=date(2025, 6, 1)).id
    for n in range(6):
        decide(engine, many, text=f"D{n}", links={"actions": [small.action_id], "facilities": [small.facility_id]})
    assert statements(one) == statements(many)


def test_a_decision_moves_an_action_with_the_meeting_as_the_reason(engine, small):
    meeting = copil(engine, small)
    decision = decide(engine, meeting.id, text="Reporter l'ouverture de la crèche à fin 2026")
    opened = action_service.action_for_edit(engine, small.action_id)
    result = svc.apply_decision_to_action(
        engine,
        ADVISOR,
        decision_id=decision.id,
        action_id=small.action_id,
        expected_version=opened["version"],
        opened=opened,
        starts_on=date(2023, 6, 1),
        ends_on=date(2026, 12, 31),
    )
    assert result.changed
    reason = "Décision du COPIL du 12/03/2025 : Reporter l'ouverture de la crèche à fin 2026"
    moved = [e for e in audit_events(engine, "actions") if e.operation == "saisie:dates"][-1]
    assert moved.reason == reason
    assert (json.loads(moved.before)["ends_on"], json.loads(moved.after)["ends_on"]) == ("2026-08-31", "2026-12-31")
    with Session(engine) as session:
        note = session.exec(select(m.ActionNote).where(m.ActionNote.action_id == small.action_id)).all()[-1]
        links = session.exec(select(m.DecisionLink).where(m.DecisionLink.decision_id == decision.id)).all()
    assert note.text.endswith(f"Motif : {reason}")
    assert [link.action_id for link in links] == [small.action_id]


def test_a_partner_may_not_apply_a_decision(engine, small):
    meeting = copil(engine, small)
    decision = decide(engine, meeting.id)
    opened = action_service.action_for_edit(engine, small.action_id)
    before = fingerprint(engine)
    with pytest.raises(PermissionDenied):
        svc.apply_decision_to_action(
            engine,
            partner(small, "ville"),
            decision_id=decision.id,
            action_id=small.action_id,
            expected_version=opened["version"],
            opened=opened,
            starts_on=date(2023, 6, 1),
            ends_on=date(2026, 12, 31),
        )
    assert fingerprint(engine) == before
