"""The Historique of a record, read from the audit trail, on SQLite and PostgreSQL: who, when
(Paris time), the operation, the reason, and "champ : avant → après" in French."""

import re
from datetime import date

import pytest

from ctg_data.queries import history
from ctg_data.queries.filters import today
from ctg_data.services import actions, activity, funding, measurements
from tests.saisie_data import ADMIN, ADVISOR, load_small, partner


@pytest.fixture
def small(engine, tmp_path):
    return load_small(engine, tmp_path)


def test_an_actions_history_lists_its_changes_and_notes_newest_first(engine, small):
    form = actions.action_for_edit(engine, small.action_id)
    result = actions.update_followup(
        engine,
        partner(small, "ville"),
        action_id=small.action_id,
        expected_version=form["version"],
        opened=form,
        status="realisee",
        progress=100,
        note="Crèche ouverte",
        noted_on=date(2026, 9, 1),
    )
    actions.change_dates(
        engine,
        ADMIN,
        action_id=small.action_id,
        expected_version=result.opened["version"],
        opened=result.opened,
        starts_on=date(2023, 6, 1),
        ends_on=date(2026, 9, 1),
        reason="Ouverture anticipée",
    )
    frame = history.history_frame(engine, "action", small.action_id)
    assert list(frame.columns) == ["Date", "Par", "Opération", "Élément", "Modifications", "Motif"]
    rows = frame.to_dict("records")
    assert [(r["Opération"], r["Élément"]) for r in rows[:4]] == [
        ("Saisie : note", f"Note du {today():%d/%m/%Y}"),  # the change of dates is noted today
        ("Saisie : dates", "Action PE-1"),
        ("Saisie : note", "Note du 01/09/2026"),
        ("Saisie : modification", "Action PE-1"),
    ]
    assert rows[0]["Opération"] == "Saisie : note" and rows[0]["Motif"] == "Ouverture anticipée"
    assert rows[1]["Modifications"] == "Date de fin : 31/08/2026 → 01/09/2026"
    assert rows[1]["Motif"] == "Ouverture anticipée" and rows[1]["Par"] == "admin@test"
    assert rows[3]["Modifications"] == "Statut : En cours → Réalisée ; Avancement : 40\u202f% → 100\u202f%"
    assert rows[3]["Par"] == "ville@test"
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", rows[3]["Date"])
    assert rows[-1]["Opération"] == "Import : création"  # the first load


def test_an_indicators_history_shows_the_superseded_value(engine, small):
    measurements.record_measurement(
        engine, ADMIN, indicator_id=small.indicator_id, measured_on=date(2024, 12, 31), value="55"
    )
    rows = history.history_frame(engine, "indicateur", small.indicator_id).to_dict("records")
    assert rows[0]["Élément"] == "Mesure du 31/12/2024 : 55 (Résultat)"
    assert "Valeur : — → 55" in rows[0]["Modifications"]
    assert rows[1]["Opération"] == "Saisie : correction"
    assert rows[1]["Élément"] == "Mesure du 31/12/2024 : 54,5 (Résultat)"
    assert rows[1]["Modifications"].startswith("Remplacée le : — → ")


def test_facility_and_funding_histories_speak_french(engine, small):
    form = activity.activity_for_edit(engine, small.facility_id, 2024)
    activity.upsert_activity(
        engine,
        ADVISOR,
        facility_id=small.facility_id,
        year=2024,
        places="26",
        hours_delivered="12000",
        hours_billed="13000",
        expected_version=form["version"],
        opened=form,
    )
    rows = history.history_frame(engine, "equipement", small.facility_id).to_dict("records")
    assert (rows[0]["Élément"], rows[0]["Modifications"]) == ("Activité 2024", "Places : 25 → 26")
    form = funding.funding_for_edit(engine, small.funding_line_id)
    funding.update_funding(
        engine,
        ADVISOR,
        funding_line_id=small.funding_line_id,
        expected_version=form["version"],
        opened=form,
        planned="30000",
        notified="30000",
        paid="30 000",
    )
    rows = history.history_frame(engine, "financement", small.funding_line_id).to_dict("records")
    assert rows[0]["Modifications"] == "Montant versé : 15\u202f000,00\u00a0€ → 30\u202f000,00\u00a0€"
    assert "Bénéficiaire : — → Ville de Lourdes" in rows[-1]["Modifications"]


def test_records_are_found_by_code_or_number_within_their_convention_only(engine, small):
    assert history.find_record(engine, "action", "PE-1", small.convention_id)["id"] == small.action_id
    assert (
        history.find_record(engine, "indicateur", str(small.indicator_id), small.convention_id)["id"]
        == small.indicator_id
    )
    assert (
        history.find_record(engine, "financement", str(small.funding_line_id), small.convention_id)["title"]
        == f"Ligne de financement n° {small.funding_line_id} (bonus_territoire, 2024)"
    )
    assert history.find_record(engine, "action", "PE-1", small.convention_id + 1) is None
    assert history.find_record(engine, "equipement", "INCONNU", small.convention_id) is None
    assert history.find_record(engine, "commune", "65286", small.convention_id) is None


def test_a_conflict_is_told_in_french(engine, small):
    lines = history.conflict_lines(
        engine, "actions", [("status", "en_cours", "realisee"), ("pilot_id", 1, 2), ("id", 1, 1)]
    )
    assert lines[0] == "Statut : En cours → Réalisée"
    assert lines[1].startswith("Pilote : ")
    assert len(lines) == 2  # bookkeeping columns are not shown
