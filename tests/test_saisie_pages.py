"""The Saisie pages on a private copy of the demo database, run by AppTest: a valid form is
saved (rows counted before and after), bad input is refused with its French message and
nothing written, a stale edit is refused with what changed and the person's input kept.
Expected figures are recomputed here from the seed CSV files and docs/rules.md."""

import csv
import re
from datetime import date
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from ctg_data import models as m
from ctg_data.actors import Actor, Role
from ctg_data.reports.integrity import table_counts
from ctg_data.services import actions as action_service

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "lourdes-2023"
TODAY = date(2026, 11, 26)
ADMIN = Actor(email="admin@test", role=Role.ADMIN)
ADVISOR = Actor(email="conseillere@caf.test", role=Role.CONSEILLER)


def seed_rows(sheet: str) -> list[dict]:
    with open(SEED / f"{sheet}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def plain(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")  # the escaper's invisible word joiners


def run_page(name: str, actor: Actor = ADMIN, **query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=60)
    at.session_state["ctg_actor"] = actor
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.main.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def widget(elements, label: str):
    return next(e for e in elements if e.label.startswith(label))


def counts(engine) -> dict[str, int]:
    with Session(engine) as session:
        return table_counts(session)


def ids(engine, model, **codes) -> int:
    with Session(engine) as session:
        return session.exec(select(model.id).filter_by(**codes)).one()


def partner_of(engine, organisation: str) -> Actor:
    return Actor(
        email=f"{organisation}@test",
        role=Role.PARTENAIRE,
        organisation_id=ids(engine, m.Organisation, code=organisation),
    )


def followed_indicators(organisation: str) -> set[str]:
    """Indicators linked to an action the organisation pilots or is a partner of (the rule of
    ctg_data.permissions, written out from the seed)."""
    actions = {
        row["code"]
        for row in seed_rows("actions")
        if row["pilote"] == organisation or organisation in row["partenaires"].split(";")
    }
    return {row["code"] for row in seed_rows("indicateurs") if row["action"] in actions}


def expected_status(code: str, value: float, on: date) -> tuple[str, int]:
    """docs/rules.md for an indicator whose current value is `value` measured `on` (fresh)."""
    row = next(r for r in seed_rows("indicateurs") if r["code"] == code)
    reference, target = float(row["valeur_reference"]), float(row["valeur_cible"])
    a = (value - reference) / (target - reference)
    # The expected value runs piecewise linear through the intermediate targets (docs/rules.md).
    points = [(date.fromisoformat(row["date_reference"]), reference)]
    points += sorted(
        (date.fromisoformat(t["date"]), float(t["valeur"])) for t in seed_rows("cibles") if t["indicateur"] == code
    )
    points += [(date.fromisoformat(row["date_cible"]), target)]
    (start, low), (end, high) = next(
        ((p, q) for p, q in pairwise(points) if p[0] <= on <= q[0]), (points[-2], points[-1])
    )
    expected = low + (high - low) * min(1, max(0, (on - start).days / (end - start).days))
    e = min(1, max(0, (expected - reference) / (target - reference)))
    status = (
        "✔ Atteint"
        if a >= 1
        else "↗ En bonne voie"
        if a >= e - 0.10
        else "⚠ À surveiller"
        if a >= e - 0.25
        else "✖ Décroché"
    )
    return status, round(100 * min(1, max(0, a)))


# --- Nouvelle mesure ---------------------------------------------------------------------


def fill_measurement(at: AppTest, code: str, value: str, on: date) -> AppTest:
    widget(at.main.selectbox, "Indicateur").set_value(code).run()
    widget(at.main.date_input, "Date de la mesure").set_value(on)
    widget(at.main.text_input, "Valeur").input(value)
    return click(at, "Enregistrer la mesure")


def test_a_measurement_is_saved_and_its_new_status_shown_at_once(demo_engine):
    before = counts(demo_engine)
    at = fill_measurement(run_page("saisie_mesure"), "TX-COUV-PE", "63,5", date(2026, 10, 31))
    assert counts(demo_engine)["measurements"] == before["measurements"] + 1
    with Session(demo_engine) as session:
        saved = session.exec(select(m.Measurement).order_by(m.Measurement.id.desc())).first()
    assert (saved.value, saved.measured_on, saved.recorded_by) == (63.5, date(2026, 10, 31), "admin@test")
    assert [plain(s.value) for s in at.main.success] == ["Valeur 63,5 enregistrée pour TX-COUV-PE au 31/10/2026."]
    status, attainment = expected_status("TX-COUV-PE", 63.5, date(2026, 10, 31))
    shown = next(plain(block.value) for block in at.main.markdown if "Statut de" in block.value)
    assert shown == (
        f"**Statut de TX-COUV-PE** : {status} · valeur actuelle 63,5 au 31/10/2026 · atteinte {attainment}\u202f%"
    )
    # a fresh, empty form for the next value
    assert widget(at.main.text_input, "Valeur").value == ""


def test_the_saved_value_is_on_the_indicators_chart_right_after(demo_engine):
    fill_measurement(run_page("saisie_mesure"), "TX-COUV-PE", "63,5", date(2026, 10, 31))
    at = run_page("indicateurs", indicateur="TX-COUV-PE")
    values = at.main.dataframe[-1].value
    assert values.iloc[0]["Valeur"] == "63,5"
    assert str(values.iloc[0]["Date"])[:10] == "2026-10-31"


@pytest.mark.parametrize(
    ("value", "on", "message"),
    [
        ("beaucoup", date(2026, 10, 31), "Valeur : nombre attendu, « beaucoup » reçu"),
        ("150", date(2026, 10, 31), "Valeur : valeur 150 hors des bornes de l'indicateur (0 à 100)"),
        ("60", date(2022, 12, 31), "Date : le 31/12/2022 est hors de la convention"),
    ],
    ids=["pas un nombre", "hors bornes", "hors convention"],
)
def test_a_bad_measurement_is_refused_in_french_and_nothing_is_written(demo_engine, value, on, message):
    before = counts(demo_engine)
    at = fill_measurement(run_page("saisie_mesure"), "TX-COUV-PE", value, on)
    assert counts(demo_engine) == before
    [error] = [plain(e.value) for e in at.main.error]
    assert error.startswith("Rien n'a été enregistré.")
    assert message in error.replace("**", "")
    assert widget(at.main.text_input, "Valeur").value == value  # the input is kept to be corrected


def test_a_value_for_a_date_that_has_one_corrects_it_and_keeps_the_old_one(demo_engine):
    old = next(r for r in seed_rows("mesures") if r["indicateur"] == "TX-COUV-PE" and r["date"] == "2025-12-31")
    before = counts(demo_engine)
    at = fill_measurement(run_page("saisie_mesure"), "TX-COUV-PE", "62,5", date(2025, 12, 31))
    assert plain(at.main.success[0].value) == (
        f"Valeur corrigée pour TX-COUV-PE au 31/12/2025 : {old['valeur'].replace('.', ',')} → 62,5. "
        "L'ancienne valeur reste dans l'historique."
    )
    assert counts(demo_engine)["measurements"] == before["measurements"] + 1
    indicator_id = ids(demo_engine, m.Indicator, code="TX-COUV-PE")
    with Session(demo_engine) as session:
        rows = session.exec(
            select(m.Measurement)
            .where(m.Measurement.indicator_id == indicator_id, m.Measurement.measured_on == date(2025, 12, 31))
            .order_by(m.Measurement.id)
        ).all()
    # by id: the old value, now superseded, then the correction, now current
    assert [(r.value, r.superseded_at is None) for r in rows] == [(float(old["valeur"]), False), (62.5, True)]
    assert rows[0].superseded_by_id == rows[1].id


def test_a_partner_chooses_only_among_the_indicators_of_its_actions(demo_engine):
    expected = followed_indicators("jarret")
    assert expected
    at = run_page("saisie_mesure", partner_of(demo_engine, "jarret"))
    options = widget(at.main.selectbox, "Indicateur").options
    assert {label.split(" — ")[0] for label in options} == expected


def test_a_partner_following_no_indicator_is_told_so_and_sees_no_form(demo_engine):
    organisation = next(
        code
        for code in (row["code"] for row in seed_rows("organisations"))
        if not followed_indicators(code) and any(code in row["partenaires"].split(";") for row in seed_rows("actions"))
    )
    at = run_page("saisie_mesure", partner_of(demo_engine, organisation))
    assert "ne vous est ouvert en saisie" in at.main.info[0].value
    assert not [b for b in at.main.button if b.label == "Enregistrer la mesure"]


def test_a_reader_gets_no_form(demo_engine):
    at = run_page("saisie_mesure", Actor(email="elu@test", role=Role.LECTEUR))
    assert not [b for b in at.main.button if b.label == "Enregistrer la mesure"]
    assert at.main.error or at.main.info


# --- The record a form page edits: the ones the person may edit, kept in the URL ------------


def editable_codes(sheet: str, organisation: str) -> set[str]:
    """What a partner may edit, written out from the seed: the actions it pilots or is a partner
    of, the facilities it manages."""
    if sheet == "actions":
        return {
            r["code"]
            for r in seed_rows(sheet)
            if r["pilote"] == organisation or organisation in r["partenaires"].split(";")
        }
    return {r["code"] for r in seed_rows(sheet) if r["gestionnaire"] == organisation}


@pytest.mark.parametrize(
    ("page", "label", "sheet"),
    [("saisie_action", "Action", "actions"), ("saisie_activite", "Équipement", "equipements")],
)
def test_a_partner_chooses_only_among_the_records_it_may_edit(demo_engine, page, label, sheet):
    expected = editable_codes(sheet, "lorda")
    assert expected and expected != {r["code"] for r in seed_rows(sheet)}
    at = run_page(page, partner_of(demo_engine, "lorda"))
    options = widget(at.main.selectbox, label).options
    assert {option.split(" — ")[0] for option in options} == expected


@pytest.mark.parametrize(
    ("page", "param", "sheet", "button"),
    [
        ("saisie_action", "action", "actions", "Enregistrer le suivi"),
        ("saisie_activite", "equipement", "equipements", "Enregistrer l'activité"),
    ],
)
def test_a_link_to_a_record_the_person_may_not_edit_opens_no_form(demo_engine, page, param, sheet, button):
    other = sorted({r["code"] for r in seed_rows(sheet)} - editable_codes(sheet, "lorda"))[0]
    at = run_page(page, partner_of(demo_engine, "lorda"), **{param: other})
    assert not [b for b in at.main.button if b.label == button]
    assert param not in at.query_params


def test_a_facility_is_named_with_its_type_and_manager(demo_engine):
    facility = next(r for r in seed_rows("equipements") if r["code"] == "alsh-lorda")
    manager = next(r["nom"] for r in seed_rows("organisations") if r["code"] == facility["gestionnaire"])
    at = run_page("saisie_activite", equipement="alsh-lorda")
    box = widget(at.main.selectbox, "Équipement")
    assert box.value == "alsh-lorda"
    assert f"alsh-lorda — {facility['nom']} (ALSH (accueil de loisirs), {manager})" in box.options


def test_a_year_without_funding_lines_is_said_and_shows_no_form(demo_engine):
    years = {int(r["annee"]) for r in seed_rows("financements")}
    year = next(y for y in range(2023, 2028) if y not in years)  # the convention runs 2023 to 2027
    at = run_page("saisie_financement", ADVISOR, annee=str(year))
    assert [i.value for i in at.main.info] == ["Aucune ligne de financement pour ces filtres."]
    assert not at.main.text_input


def test_the_funding_lines_offered_are_those_of_the_year_chosen(demo_engine):
    expected = sum(1 for r in seed_rows("financements") if r["annee"] == "2025")
    at = run_page("saisie_financement", ADVISOR, annee="2025")
    options = widget(at.main.selectbox, "Ligne de financement").options
    assert len(options) == expected
    assert all(option.startswith("2025 · ") for option in options)


# --- Suivi d'une action --------------------------------------------------------------------


def test_an_actions_status_and_note_are_saved(demo_engine):
    before = counts(demo_engine)
    at = run_page("saisie_action", action="PE-1.2")
    widget(at.main.selectbox, "Statut").set_value("realisee")
    widget(at.main.text_input, "Avancement").input("100")
    widget(at.main.text_area, "Note").input("Expérimentation généralisée.")
    at = click(at, "Enregistrer le suivi")
    assert [plain(s.value) for s in at.main.success] == ["Enregistré."]
    with Session(demo_engine) as session:
        action = session.exec(select(m.Action).where(m.Action.code == "PE-1.2")).one()
        note = session.exec(select(m.ActionNote).where(m.ActionNote.action_id == action.id)).one()
    assert (action.status, action.progress, action.version) == ("realisee", 100, 2)
    assert (note.text, note.noted_on, note.author) == ("Expérimentation généralisée.", TODAY, "admin@test")
    after = counts(demo_engine)
    assert after["action_notes"] == before["action_notes"] + 1
    assert after["audit_events"] == before["audit_events"] + 2


def test_an_edit_made_meanwhile_is_refused_with_what_changed_and_the_input_kept(demo_engine):
    at = run_page("saisie_action", action="PE-1.2")  # the form opens on version 1
    action_id = ids(demo_engine, m.Action, code="PE-1.2")
    form = action_service.action_for_edit(demo_engine, action_id)
    action_service.update_followup(
        demo_engine,
        ADVISOR,
        action_id=action_id,
        expected_version=form["version"],
        opened=form,
        status="en_pause",
        progress=form["progress"],
    )
    before = counts(demo_engine)
    widget(at.main.selectbox, "Statut").set_value("realisee")
    widget(at.main.text_input, "Avancement").input("100")
    at = click(at, "Enregistrer le suivi")
    [warning] = [plain(w.value) for w in at.main.warning]
    assert "a été modifié par conseillere@caf.test" in warning
    assert "Statut : En cours → En pause" in warning
    assert counts(demo_engine) == before
    with Session(demo_engine) as session:
        assert session.get(m.Action, action_id).status == "en_pause"  # their save is kept
    assert widget(at.main.selectbox, "Statut").value == "realisee"  # and so is this person's input
    at = click(at, "Enregistrer le suivi")  # saving again applies it, knowingly
    with Session(demo_engine) as session:
        assert session.get(m.Action, action_id).status == "realisee"


def test_a_change_of_dates_without_a_reason_is_refused(demo_engine):
    before = counts(demo_engine)
    at = run_page("saisie_action", action="PE-1.2")
    widget(at.main.date_input, "Date de fin").set_value(date(2026, 6, 30))
    at = click(at, "Modifier les dates")
    assert "Motif : champ obligatoire" in plain(at.main.error[0].value).replace("**", "")
    assert counts(demo_engine) == before
    # The dates form's "Motif", not the follow-up form's "Motif de dérogation".
    next(e for e in at.main.text_input if e.label == "Motif").input("Prolongation votée en COTECH")
    at = click(at, "Modifier les dates")
    with Session(demo_engine) as session:
        action = session.exec(select(m.Action).where(m.Action.code == "PE-1.2")).one()
        event = session.exec(select(m.AuditEvent).where(m.AuditEvent.operation == "saisie:dates")).one()
    assert action.ends_on == date(2026, 6, 30)
    assert event.reason == "Prolongation votée en COTECH"


# --- Activité d'un équipement --------------------------------------------------------------


def test_a_facilitys_activity_for_a_new_year_is_saved(demo_engine):
    facility = "eaje-souris-verte"
    years = {int(r["annee"]) for r in seed_rows("activite") if r["equipement"] == facility}
    year = max(years) + 1
    before = counts(demo_engine)
    at = run_page("saisie_activite", equipement=facility)
    at.selectbox(key="saisie_activite_annee").set_value(year).run()
    widget(at.main.text_input, "Places").input("25")
    widget(at.main.text_input, "Heures réalisées").input("41 250,5")
    at = click(at, "Enregistrer l'activité")
    assert counts(demo_engine)["facility_activity"] == before["facility_activity"] + 1
    facility_id = ids(demo_engine, m.Facility, code=facility)
    with Session(demo_engine) as session:
        row = session.exec(
            select(m.FacilityActivity).where(
                m.FacilityActivity.facility_id == facility_id, m.FacilityActivity.year == year
            )
        ).one()
    assert (row.places, row.hours_delivered, row.hours_billed) == (25, Decimal("41250.50"), None)
    assert plain(at.main.success[0].value) == f"Activité enregistrée. ({facility}, {year})"


def test_negative_hours_are_refused(demo_engine):
    before = counts(demo_engine)
    at = run_page("saisie_activite", equipement="eaje-souris-verte")
    widget(at.main.text_input, "Heures facturées").input("-10")
    at = click(at, "Enregistrer l'activité")
    assert "Heures facturées : valeur positive ou nulle attendue" in plain(at.main.error[0].value).replace("**", "")
    assert counts(demo_engine) == before


# --- Financement ---------------------------------------------------------------------------


def first_line_id(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(m.FundingLine.id).order_by(m.FundingLine.id)).first()


def test_an_advisor_saves_a_funding_lines_amounts(demo_engine):
    line_id = first_line_id(demo_engine)
    at = run_page("saisie_financement", ADVISOR, ligne=str(line_id))
    widget(at.main.text_input, "Montant versé").set_value("12 345,67")
    at = click(at, "Enregistrer les montants")
    assert [plain(s.value) for s in at.main.success] == ["Montants enregistrés."]
    with Session(demo_engine) as session:
        assert session.get(m.FundingLine, line_id).paid == Decimal("12345.67")


def test_an_amount_with_three_decimals_is_refused(demo_engine):
    line_id = first_line_id(demo_engine)
    before = counts(demo_engine)
    at = run_page("saisie_financement", ADVISOR, ligne=str(line_id))
    widget(at.main.text_input, "Montant notifié").set_value("10,123")
    at = click(at, "Enregistrer les montants")
    assert "Montant notifié : montant « 10,123 » : deux décimales au plus" in plain(at.main.error[0].value).replace(
        "**", ""
    )
    assert counts(demo_engine) == before


def test_a_partner_may_not_edit_funding(demo_engine):
    at = run_page("saisie_financement", partner_of(demo_engine, "simaje"))
    assert "conseillers CAF" in at.main.info[0].value
    assert not at.main.text_input


# --- Saisie groupée and Historique --------------------------------------------------------


def test_the_grid_lists_the_indicators_the_person_follows(demo_engine):
    at = run_page("saisie_groupee", partner_of(demo_engine, "jarret"))
    grid = at.main.dataframe[0].value
    assert set(grid["Code"]) == followed_indicators("jarret")
    assert list(grid.columns) == [
        "Code",
        "Indicateur",
        "Unité",
        "Dernière valeur",
        "Nouvelle valeur",
        "Source",
        "Commentaire",
    ]
    assert set(grid["Nouvelle valeur"]) == {""}


def test_the_history_of_an_indicator_lists_a_correction(demo_engine):
    fill_measurement(run_page("saisie_mesure"), "TX-COUV-PE", "62,5", date(2025, 12, 31))
    at = run_page("historique", objet="indicateur", id="TX-COUV-PE")
    table = at.main.dataframe[0].value
    assert list(table["Opération"][:2]) == ["Saisie : création", "Saisie : correction"]
    assert table.iloc[0]["Élément"] == "Mesure du 31/12/2025 : 62,5 (Résultat)"
    assert table.iloc[0]["Par"] == "admin@test"


def test_the_history_of_an_unknown_record_is_a_warning(demo_engine):
    at = run_page("historique", objet="action", id="XX-9")
    assert [plain(w.value) for w in at.main.warning] == ["Aucun élément « XX-9 » de ce type dans cette convention."]


def test_a_step_indicator_offers_its_steps_and_a_value_may_be_for_one_commune(demo_engine):
    # A step: the steps are the choices; stored as the step's position.
    at = run_page("saisie_mesure")
    widget(at.main.selectbox, "Indicateur").set_value("AS-OUTIL-SUIVI").run()
    step = widget(at.main.selectbox, "Étape")
    assert step.options == ["Non démarré", "Cahier des charges", "En test", "En service"]
    step.set_value("en_test")
    widget(at.main.date_input, "Date de la mesure").set_value(date(2026, 6, 30))
    at = click(at, "Enregistrer la mesure")
    assert [plain(s.value) for s in at.main.success] == [
        "Valeur En test enregistrée pour AS-OUTIL-SUIVI au 30/06/2026."
    ]
    shown = next(plain(block.value) for block in at.main.markdown if "Statut de" in block.value)
    # En test (2) < En service (3), date_cible 31/12/2025 passed, measured 5 months ago: décroché, no percentage.
    assert shown == "**Statut de AS-OUTIL-SUIVI** : ✖ Décroché · valeur actuelle En test au 30/06/2026"

    # One commune of the perimeter: the indicator's current value stays the whole convention's.
    at = run_page("saisie_mesure")
    widget(at.main.selectbox, "Indicateur").set_value("PE-NB-AM").run()
    where = widget(at.main.selectbox, "Pour")
    assert where.options == ["Toute la convention", "Jarret (65233)", "Lourdes (65286)"]
    where.set_value("65233")
    widget(at.main.date_input, "Date de la mesure").set_value(date(2026, 10, 31))
    widget(at.main.text_input, "Valeur").input("4")
    at = click(at, "Enregistrer la mesure")
    assert [plain(s.value) for s in at.main.success] == [
        "Valeur 4 enregistrée pour PE-NB-AM au 31/10/2026 (commune 65233)."
    ]
    with Session(demo_engine) as session:
        saved = session.exec(select(m.Measurement).order_by(m.Measurement.id.desc())).first()
    assert (saved.value, saved.insee_code) == (4.0, "65233")
    shown = next(plain(block.value) for block in at.main.markdown if "Statut de" in block.value)
    assert "valeur actuelle 43 au 31/12/2025" in shown
