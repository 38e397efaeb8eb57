"""Action follow-up and change of dates, on SQLite and PostgreSQL: saved with before/after in
the audit; bad input refused by field with nothing written; stale edits refused with what
changed, the first save kept."""

import json
from datetime import date

import pytest
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.errors import ConflictError, PermissionDenied, ValidationError
from ctg_data.services import actions as svc
from tests.saisie_data import ADMIN, ADVISOR, READER, audit_events, fingerprint, load_small, partner


@pytest.fixture
def small(engine, tmp_path):
    return load_small(engine, tmp_path)


def action(engine, small) -> m.Action:
    with Session(engine) as session:
        return session.get(m.Action, small.action_id)


def notes(engine, small) -> list[m.ActionNote]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(m.ActionNote).where(m.ActionNote.action_id == small.action_id).order_by(m.ActionNote.id)
            ).all()
        )


def followup(engine, small, actor=ADMIN, opened=None, **values):
    opened = opened or svc.action_for_edit(engine, small.action_id)
    arguments = {"status": "en_cours", "progress": 40} | values
    return svc.update_followup(
        engine, actor, action_id=small.action_id, expected_version=opened["version"], opened=opened, **arguments
    )


def test_status_avancement_and_a_dated_note_are_saved_and_audited(engine, small):
    before = fingerprint(engine)[0]
    result = followup(
        engine,
        small,
        partner(small, "ville"),
        status="en_pause",
        progress="45",
        note="Chantier arrêté par les intempéries.",
        noted_on=date(2025, 2, 3),
    )
    assert result.changed and result.note_id is not None and result.opened["version"] == 2
    saved = action(engine, small)
    assert (saved.status, saved.progress, saved.version) == ("en_pause", 45, 2)
    [note] = notes(engine, small)
    assert (note.noted_on, note.text, note.author) == (
        date(2025, 2, 3),
        "Chantier arrêté par les intempéries.",
        "ville@test",
    )
    after = fingerprint(engine)[0]
    assert after["action_notes"] == before["action_notes"] + 1
    assert after["audit_events"] == before["audit_events"] + 2
    update = audit_events(engine, "actions")[-1]
    assert update.operation == "saisie:modification" and update.actor == "ville@test"
    assert (json.loads(update.before)["status"], json.loads(update.after)["status"]) == ("en_cours", "en_pause")
    assert (json.loads(update.before)["progress"], json.loads(update.after)["progress"]) == (40, 45)


def test_nothing_changed_writes_nothing(engine, small):
    before = fingerprint(engine, (m.Action, small.action_id))
    result = followup(engine, small)
    assert not result.changed and result.note_id is None
    assert fingerprint(engine, (m.Action, small.action_id)) == before


BAD = [
    ({"status": "fini"}, "Statut", "inconnue"),
    ({"status": ""}, "Statut", "champ obligatoire"),
    ({"progress": 120}, "Avancement", "hors bornes"),
    ({"progress": "beaucoup"}, "Avancement", "nombre attendu"),
    ({"status": "realisee", "progress": 40}, "Avancement", "réalisée est à 100"),
    ({"note": "Réunion", "noted_on": None}, "Date de la note", "datée"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD, ids=[f"{f}-{i}" for i, (_, f, _) in enumerate(BAD)])
def test_bad_follow_up_is_refused_naming_the_field_and_nothing_is_written(engine, small, change, field, message):
    before = fingerprint(engine, (m.Action, small.action_id))
    with pytest.raises(ValidationError) as refused:
        followup(engine, small, **change)
    assert message in refused.value.errors[field]
    assert fingerprint(engine, (m.Action, small.action_id)) == before


@pytest.mark.parametrize("who", ["lecteur", "partenaire d'une autre organisation"])
def test_who_may_not_write_is_refused_and_nothing_is_written(engine, small, who):
    actor = READER if who == "lecteur" else partner(small, "autre")
    before = fingerprint(engine, (m.Action, small.action_id))
    with pytest.raises(PermissionDenied):
        followup(engine, small, actor, status="realisee", progress=100)
    assert fingerprint(engine, (m.Action, small.action_id)) == before


def test_a_partner_organisation_of_the_action_may_write_its_follow_up(engine, small):
    assert followup(engine, small, partner(small, "asso"), progress=50).changed


def test_two_edits_from_the_same_version_give_one_conflict_and_keep_the_first(engine, small):
    first_form = svc.action_for_edit(engine, small.action_id)
    second_form = svc.action_for_edit(engine, small.action_id)
    assert first_form["version"] == second_form["version"] == 1
    followup(engine, small, ADVISOR, opened=first_form, status="realisee", progress=100)
    before = fingerprint(engine, (m.Action, small.action_id))
    with pytest.raises(ConflictError) as conflict:
        followup(engine, small, partner(small, "ville"), opened=second_form, status="en_pause", progress=45)
    assert conflict.value.changed_by == "conseillere@caf.test"
    assert sorted(conflict.value.changes) == [("progress", 40, 100), ("status", "en_cours", "realisee")]
    assert "rien n'a été enregistré" in str(conflict.value)
    assert fingerprint(engine, (m.Action, small.action_id)) == before
    saved = action(engine, small)
    assert (saved.status, saved.progress, saved.version) == ("realisee", 100, 2)


def test_a_note_alone_is_added_even_if_the_action_moved_meanwhile(engine, small):
    stale = svc.action_for_edit(engine, small.action_id)
    followup(engine, small, ADVISOR, progress=60)
    result = followup(
        engine,
        small,
        partner(small, "ville"),
        opened=stale,
        progress=60,
        note="Point d'étape",
        noted_on=date(2025, 3, 1),
    )
    assert not result.changed and result.note_id is not None
    assert action(engine, small).progress == 60


# --- dates ------------------------------------------------------------------------------------


def move(engine, small, actor=ADMIN, opened=None, **values):
    opened = opened or svc.action_for_edit(engine, small.action_id)
    arguments = {"starts_on": date(2023, 6, 1), "ends_on": date(2027, 3, 31), "reason": "Retard du chantier"} | values
    return svc.change_dates(
        engine, actor, action_id=small.action_id, expected_version=opened["version"], opened=opened, **arguments
    )


def test_new_dates_are_saved_with_their_reason_in_the_audit_and_a_note(engine, small):
    result = move(engine, small)
    assert result.changed
    saved = action(engine, small)
    assert (saved.starts_on, saved.ends_on, saved.version) == (date(2023, 6, 1), date(2027, 3, 31), 2)
    event = audit_events(engine, "actions")[-1]
    assert (event.operation, event.reason) == ("saisie:dates", "Retard du chantier")
    assert (json.loads(event.before)["ends_on"], json.loads(event.after)["ends_on"]) == ("2026-08-31", "2027-03-31")
    [note] = notes(engine, small)
    assert note.text == "Dates modifiées : fin 31/08/2026 → 31/03/2027. Motif : Retard du chantier"
    assert audit_events(engine, "action_notes")[-1].reason == "Retard du chantier"


BAD_DATES = [
    ({"reason": "  "}, "Motif", "champ obligatoire"),
    ({"ends_on": date(2023, 1, 1)}, "Date de fin", "précède"),
    ({"ends_on": date(2028, 1, 31)}, "Date de fin", "hors de la convention"),
    ({"starts_on": "01/06/2023"}, "Date de début", "invalide"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_DATES, ids=[f for _, f, _ in BAD_DATES])
def test_bad_dates_are_refused_naming_the_field_and_nothing_is_written(engine, small, change, field, message):
    before = fingerprint(engine, (m.Action, small.action_id))
    with pytest.raises(ValidationError) as refused:
        move(engine, small, **change)
    assert message in refused.value.errors[field]
    assert fingerprint(engine, (m.Action, small.action_id)) == before


def test_dates_outside_the_convention_need_the_explicit_override(engine, small):
    move(engine, small, ends_on=date(2028, 1, 31), outside_convention=True, reason="Prolongation votée en COPIL")
    assert action(engine, small).ends_on == date(2028, 1, 31)


def test_two_date_changes_from_the_same_version_give_one_conflict(engine, small):
    form = svc.action_for_edit(engine, small.action_id)
    move(engine, small, opened=form)
    before = fingerprint(engine, (m.Action, small.action_id))
    with pytest.raises(ConflictError) as conflict:
        move(engine, small, opened=form, ends_on=date(2026, 12, 31), reason="Autre motif")
    assert conflict.value.changes == [("ends_on", "2026-08-31", "2027-03-31")]
    assert fingerprint(engine, (m.Action, small.action_id)) == before


def test_a_reader_may_not_change_dates(engine, small):
    before = fingerprint(engine, (m.Action, small.action_id))
    with pytest.raises(PermissionDenied):
        move(engine, small, READER)
    assert fingerprint(engine, (m.Action, small.action_id)) == before
