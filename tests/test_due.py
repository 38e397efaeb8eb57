"""« À saisir »: the measurements due by frequency and the activities to declare, per partner
organisation (ctg_data.rules.due, ctg_data.queries.due), on SQLite and PostgreSQL."""

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.interchange import load_folder
from ctg_data.queries.due import DueKind, due_items
from ctg_data.rules.bonus import YearClock
from ctg_data.rules.due import add_months, declaration_year, measurement_due
from tests.csv_folder import write_folder

ROOT = Path(__file__).resolve().parent.parent

RUNNING, ENDED = "ctg-due", "ctg-finie"
AFTER_DECLARATION = date(2026, 6, 15)  # 2025's activity was due on 31 March 2026
BEFORE_DECLARATION = date(2026, 2, 1)


def indicator(code: str, frequency: str, action: str | None = "PE-1", convention: str = RUNNING, **more) -> dict:
    return {
        "convention": convention,
        "code": code,
        "nom": f"Indicateur {code}",
        "domaine": "petite_enfance",
        "action": action or "",
        "unite": "places",
        "sens": "hausse",
        "valeur_reference": "10",
        "date_reference": "2023-12-31",
        "valeur_cible": "20",
        "date_cible": "2027-12-31",
        "frequence": frequency,
        **more,
    }


def measure(code: str, on: str, value: str = "12", **more) -> dict:
    return {"convention": RUNNING, "indicateur": code, "date": on, "valeur": value, **more}


def facility(code: str, managers: str, convention: str = RUNNING, **more) -> dict:
    return {
        "convention": convention,
        "code": code,
        "nom": f"Équipement {code}",
        "type": "rpe",
        "code_insee": "65286",
        "gestionnaire": managers,
        **more,
    }


def plan() -> dict[str, list[dict]]:
    return {
        "organisations": [
            {"code": "caf65", "nom": "CAF des Hautes-Pyrénées", "type": "caf"},
            {"code": "simaje", "nom": "SIMAJE", "type": "syndicat"},
            {"code": "lourdes", "nom": "Ville de Lourdes", "type": "commune"},
            {"code": "cias", "nom": "CIAS du Pays de Lourdes", "type": "cias"},
            {"code": "asso", "nom": "Association Familles", "type": "association"},
        ],
        "communes": [{"code_insee": "65286", "nom": "Lourdes"}],
        "conventions": [
            {"code": RUNNING, "nom": "CTG en cours", "date_debut": "2024-01-01", "date_fin": "2027-12-31"},
            {"code": ENDED, "nom": "CTG finie", "date_debut": "2022-01-01", "date_fin": "2025-12-31"},
        ],
        "signataires": [
            {"convention": RUNNING, "organisation": "caf65"},
            {"convention": ENDED, "organisation": "caf65"},
        ],
        "perimetre": [
            {"convention": RUNNING, "code_insee": "65286"},
            {"convention": ENDED, "code_insee": "65286"},
        ],
        "actions": [
            # simaje leads, lourdes co-pilots, asso is only a partner (may enter, answers for nothing).
            {
                "convention": RUNNING,
                "code": "PE-1",
                "intitule": "Relais",
                "domaine": "petite_enfance",
                "pilote": "simaje;lourdes",
                "partenaires": "asso",
            },
            {
                "convention": ENDED,
                "code": "OLD",
                "intitule": "Ancienne",
                "domaine": "petite_enfance",
                "pilote": "simaje",
            },
        ],
        "indicateurs": [
            indicator("STALE", "trimestrielle"),  # last value 2025-12-01: stale after 4.5 months
            indicator("FRESH", "trimestrielle"),  # last value 2026-05-01
            indicator("NONE", "annuelle"),  # never measured
            indicator("COMMUNE", "semestrielle"),  # only a commune's value: not the convention's
            indicator("ESTIMATE", "annuelle"),  # only an estimation: not a result
            indicator("DONE", "mensuelle", nature="etape", valeur_reference="", valeur_cible="realise"),
            indicator("ORPHAN", "mensuelle", action=None),  # no action: no one answers for it
            indicator("ENDED", "annuelle", action="OLD", convention=ENDED),  # convention over
        ],
        "mesures": [
            measure("STALE", "2025-12-01"),
            measure("FRESH", "2025-06-01"),
            measure("FRESH", "2026-05-01"),
            measure("COMMUNE", "2026-05-01", code_insee="65286"),
            measure("ESTIMATE", "2026-05-01", type="estimation"),
            measure("DONE", "2024-03-01", value="realise"),
        ],
        "equipements": [
            facility("MISSING", "lourdes;cias"),  # no 2025 activity
            facility("DECLARED", "lourdes"),
            facility("CLOSED", "lourdes", date_fermeture="2024-06-30"),
            facility("LATER", "lourdes", date_ouverture="2026-01-15"),
            facility("OLDCONV", "simaje", convention=ENDED),  # its convention covered 2025
        ],
        "activite": [{"convention": RUNNING, "equipement": "DECLARED", "annee": "2025", "places": "12"}],
    }


@pytest.fixture
def loaded(engine, tmp_path):
    report = load_folder(write_folder(tmp_path / "plan", plan()), actor="test", engine=engine)
    assert report.ok, [str(e) for e in report.errors]
    with Session(engine) as session:
        organisations = {o.code: o.id for o in session.exec(select(m.Organisation))}
        conventions = {c.code: c.id for c in session.exec(select(m.Convention))}
    return organisations, conventions


def listed(engine, today: date, **scope) -> dict[str, list[tuple[str, str, str, date]]]:
    """organisation code → [(kind, convention, code, due date)]"""
    return {
        due.code: [(item.kind, item.convention_code, item.code, item.due_on) for item in due.items]
        for due in due_items(engine, YearClock(today), **scope)
    }


# ------------------------------------------------------------------ the pure rule


def test_a_measurement_is_due_when_missing_or_stale_by_the_status_rule():
    start = date(2024, 1, 1)
    assert measurement_due(None, "annuelle", date(2024, 2, 1), start=start) == date(2025, 1, 1)
    # Quarterly: stale beyond 1.5 × 3 months, as the status « À renseigner » says.
    assert measurement_due(date(2026, 1, 1), "trimestrielle", date(2026, 5, 15), start=start) is None
    assert measurement_due(date(2026, 1, 1), "trimestrielle", date(2026, 5, 20), start=start) == date(2026, 4, 1)
    assert measurement_due(None, None, date(2024, 2, 1), start=start) == date(2025, 1, 1)  # yearly by default
    assert measurement_due(date(2020, 1, 1), "mensuelle", date(2026, 1, 1), start=start, reached=True) is None


def test_months_are_added_within_the_month():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2025, 12, 1), 3) == date(2026, 3, 1)


def test_last_years_activity_is_due_only_after_the_declaration_date():
    assert declaration_year(YearClock(date(2026, 3, 31))) is None
    assert declaration_year(YearClock(date(2026, 4, 1))) == 2025
    assert declaration_year(YearClock(date(2026, 1, 20), 1, 15)) == 2025


# ------------------------------------------------------------------ the query


def test_after_the_declaration_date_each_organisation_gets_its_measurements_and_activities(engine, loaded):
    stale = (DueKind.MESURE, RUNNING, "STALE", date(2026, 3, 1))
    never = (DueKind.MESURE, RUNNING, "NONE", date(2025, 1, 1))
    commune = (DueKind.MESURE, RUNNING, "COMMUNE", date(2024, 7, 1))
    estimate = (DueKind.MESURE, RUNNING, "ESTIMATE", date(2025, 1, 1))
    missing = (DueKind.ACTIVITE, RUNNING, "MISSING", date(2026, 3, 31))
    old = (DueKind.ACTIVITE, ENDED, "OLDCONV", date(2026, 3, 31))
    assert listed(engine, AFTER_DECLARATION) == {
        "cias": [missing],  # co-manager
        "simaje": [*sorted([commune, never, estimate, stale], key=lambda i: (i[3], i[2])), old],
        "lourdes": sorted([commune, never, estimate, stale, missing], key=lambda i: (i[3], i[2])),  # co-pilot
    }


def test_before_the_declaration_date_no_activity_is_due(engine, loaded):
    found = listed(engine, BEFORE_DECLARATION)
    assert set(found) == {"simaje", "lourdes"}
    # STALE's value of 2025-12-01 is two months old: fresh for a quarterly indicator. FRESH's value
    # of 2026-05-01 is not there yet: its 2025-06-01 one is eight months old, the next was due in September.
    assert [(code, on) for _, _, code, on in found["lourdes"]] == [
        ("COMMUNE", date(2024, 7, 1)),
        ("ESTIMATE", date(2025, 1, 1)),
        ("NONE", date(2025, 1, 1)),
        ("FRESH", date(2025, 9, 1)),
    ]
    assert all(kind == DueKind.MESURE for items in found.values() for kind, *_ in items)


def test_the_declaration_date_is_the_clocks(engine, loaded):
    # Declared by 15 January: on 1 February 2026 the 2025 activity is due.
    found = due_items(engine, YearClock(BEFORE_DECLARATION, 1, 15))
    assert {(d.code, i.code) for d in found for i in d.items if i.kind == DueKind.ACTIVITE} == {
        ("lourdes", "MISSING"),
        ("cias", "MISSING"),
        ("simaje", "OLDCONV"),
    }


def test_scoped_to_one_convention_and_one_organisation(engine, loaded):
    organisations, conventions = loaded
    found = listed(engine, AFTER_DECLARATION, convention_id=conventions[ENDED])
    assert found == {"simaje": [(DueKind.ACTIVITE, ENDED, "OLDCONV", date(2026, 3, 31))]}
    found = listed(engine, AFTER_DECLARATION, organisation_id=organisations["cias"])
    assert found == {"cias": [(DueKind.ACTIVITE, RUNNING, "MISSING", date(2026, 3, 31))]}


def test_each_item_says_what_is_due_and_links_to_its_form(engine, loaded):
    organisations, _ = loaded
    (due,) = due_items(engine, YearClock(AFTER_DECLARATION), organisation_id=organisations["lourdes"])
    items = {item.code: item for item in due.items}
    assert items["STALE"].description == (
        "Indicateur STALE « Indicateur STALE » : dernière valeur du 01/12/2025, "
        "suivante attendue le 01/03/2026 (trimestrielle)"
    )
    assert items["STALE"].path == "saisie_mesure?convention=ctg-due&indicateur=STALE"
    assert items["NONE"].description.endswith(
        "aucune valeur enregistrée, première valeur attendue le 01/01/2025 (annuelle)"
    )
    assert items["MISSING"].description == (
        "Équipement MISSING « Équipement MISSING » : activité 2025 à déclarer, attendue le 31/03/2026"
    )
    assert items["MISSING"].path == "saisie_activite?convention=ctg-due&equipement=MISSING"
    assert due.name == "Ville de Lourdes"


# ------------------------------------------------------------------ the home page's block


# The block alone, run by AppTest from a folder where `pages/` is the app's: st.page_link accepts
# only pages that st.navigation knows, by their path from the script.
BLOCK_APP = """
import os

import streamlit as st

from ctg_data.actors import Actor, Role
from ctg_data.ui.due_list import render_due


def block():
    organisation = os.environ.get("PROBE_ORGANISATION")
    actor = Actor("x@test", Role(os.environ["PROBE_ROLE"]), organisation_id=int(organisation) if organisation else None)
    render_due(actor, int(os.environ["PROBE_CONVENTION"]))


pages = [st.Page("pages/saisie_mesure.py"), st.Page("pages/saisie_activite.py"), st.Page("pages/comites.py")]
st.navigation([st.Page(block, title="Accueil", default=True), *pages], position="hidden").run()
"""


def block(monkeypatch, tmp_path, database_url, role, organisation_id, convention_id):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()  # another test's database may have filled the caches of this process
    st.cache_resource.clear()

    (tmp_path / "pages").symlink_to(ROOT / "pages")
    (tmp_path / "app.py").write_text(BLOCK_APP, encoding="utf-8")
    monkeypatch.setenv("CTG_DATABASE_URL", database_url)
    monkeypatch.setenv("CTG_TODAY", AFTER_DECLARATION.isoformat())
    monkeypatch.setenv("PROBE_ROLE", role)
    monkeypatch.setenv("PROBE_ORGANISATION", str(organisation_id or ""))
    monkeypatch.setenv("PROBE_CONVENTION", str(convention_id))
    at = AppTest.from_file(str(tmp_path / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_partner_sees_its_count_and_a_link_to_each_form(monkeypatch, tmp_path, database_url, engine, loaded):
    organisations, conventions = loaded
    at = block(monkeypatch, tmp_path, database_url, "partenaire", organisations["lourdes"], conventions[RUNNING])
    assert [h.value for h in at.subheader] == ["À saisir (5)"]
    links = [(link.proto.page, link.proto.query_string) for link in at.get("page_link")]
    assert links == [
        ("saisie_mesure", "convention=ctg-due&indicateur=COMMUNE"),
        ("saisie_mesure", "convention=ctg-due&indicateur=ESTIMATE"),
        ("saisie_mesure", "convention=ctg-due&indicateur=NONE"),
        ("saisie_mesure", "convention=ctg-due&indicateur=STALE"),
        ("saisie_activite", "convention=ctg-due&equipement=MISSING"),
    ]
    assert at.get("page_link")[0].proto.label.startswith("Indicateur COMMUNE « Indicateur COMMUNE » \\: aucune valeur")


def test_a_partner_with_nothing_due_is_told_so(monkeypatch, tmp_path, database_url, engine, loaded):
    organisations, conventions = loaded
    at = block(monkeypatch, tmp_path, database_url, "partenaire", organisations["asso"], conventions[RUNNING])
    assert [h.value for h in at.subheader] == ["À saisir (0)"]
    assert [c.value for c in at.caption] == ["Rien à saisir pour votre organisation dans cette convention."]
    assert not at.get("page_link")


def test_an_advisor_sees_the_count_per_organisation(monkeypatch, tmp_path, database_url, engine, loaded):
    _, conventions = loaded
    at = block(monkeypatch, tmp_path, database_url, "conseiller", None, conventions[RUNNING])
    assert [h.value for h in at.subheader] == ["À saisir par les partenaires (10)"]
    table = at.dataframe[0].value
    assert table.to_dict("records") == [
        {"organisation": "CIAS du Pays de Lourdes", "measurements": 0, "activities": 1, "decisions": 0, "total": 1},
        {"organisation": "SIMAJE", "measurements": 4, "activities": 0, "decisions": 0, "total": 4},
        {"organisation": "Ville de Lourdes", "measurements": 4, "activities": 1, "decisions": 0, "total": 5},
    ]


def test_a_reader_sees_no_block(monkeypatch, tmp_path, database_url, engine, loaded):
    _, conventions = loaded
    at = block(monkeypatch, tmp_path, database_url, "lecteur", None, conventions[RUNNING])
    assert not at.subheader and not at.get("page_link") and not at.dataframe


def test_an_open_decision_is_due_for_its_owner_with_a_link_to_its_meeting(engine, loaded):
    organisations, conventions = loaded
    with Session(engine) as session:
        meeting = m.Meeting(convention_id=conventions[RUNNING], kind="copil", held_on=date(2026, 2, 10))
        session.add(meeting)
        session.flush()
        for text, status in (("Relancer le RPE", "a_faire"), ("Déjà fait", "fait")):
            session.add(
                m.Decision(
                    meeting_id=meeting.id,
                    text=text,
                    owner_id=organisations["simaje"],
                    due_on=date(2026, 6, 30),
                    status=status,
                )
            )
        session.commit()
        meeting_id = meeting.id
    found = [
        item
        for due in due_items(engine, YearClock(AFTER_DECLARATION), organisation_id=organisations["simaje"])
        for item in due.items
        if item.kind == DueKind.DECISION
    ]
    assert [(item.name, item.due_on) for item in found] == [("Relancer le RPE", date(2026, 6, 30))]  # « fait » is done
    assert found[0].path == f"comites?convention={RUNNING}&reunion={meeting_id}"
    assert found[0].description == "Décision « Relancer le RPE » : à mener pour le 30/06/2026 (réunion du 10/02/2026)"
