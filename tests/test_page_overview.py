"""Vue d'ensemble, Domaines and Contrôles on the demo convention, through the entrypoint as a
person navigates. Expected figures are recomputed here from the seed CSV files and docs/rules.md."""

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import sign_in

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "lourdes-2023"
TODAY = date(2026, 11, 26)


def rows(sheet: str) -> list[dict]:
    with open(SEED / f"{sheet}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


ACTIONS = rows("actions")


def late(row) -> bool:
    return (
        bool(row["date_fin"])
        and date.fromisoformat(row["date_fin"]) < TODAY
        and row["statut"] not in ("realisee", "abandonnee")
    )


def progress(row) -> int:
    if row["statut"] == "realisee":
        return 100
    if row["avancement"]:
        return int(row["avancement"])
    return {"a_venir": 0, "en_cours": 50, "en_pause": 50}[row["statut"]]


def domain_rollup(domain: str) -> Decimal:
    counted = [r for r in ACTIONS if r["domaine"] == domain and r["statut"] != "abandonnee"]
    weights = [Decimal(r["poids"] or 1) for r in counted]
    return sum(w * progress(r) for w, r in zip(weights, counted, strict=True)) / sum(weights)


def french_percent(value: Decimal) -> str:
    return f"{round(value)}\u202f%"


def app(**params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    for name, value in params.items():
        at.query_params[name] = value
    return sign_in(at)


def metrics(at) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def test_the_overview_counts_actions_by_status_and_the_late_ones(demo_app):
    at = app()
    at.run()
    assert not at.exception
    shown = metrics(at)
    labels = {
        "a_venir": "À venir",
        "en_cours": "En cours",
        "en_pause": "En pause",
        "realisee": "Réalisée",
        "abandonnee": "Abandonnée",
    }
    for status, label in labels.items():
        assert shown[label] == str(sum(r["statut"] == status for r in ACTIONS)), label
    assert shown["En retard"] == str(sum(late(r) for r in ACTIONS))
    assert any("Convention de démonstration" in caption.value for caption in at.caption)


def test_the_overview_describes_each_domains_progress_in_words(demo_app):
    at = app()
    at.run()
    description = next(c.value for c in at.caption if c.value.startswith("Pour chaque domaine"))
    assert f"Logement — actions {french_percent(domain_rollup('logement'))}" in description
    assert f"Handicap — actions {french_percent(domain_rollup('handicap'))}" in description


def test_the_domain_page_shows_one_domains_rollup_from_a_link(demo_app):
    at = app(domaine="petite_enfance")
    at.switch_page("pages/domaines.py")
    at.run()
    assert not at.exception
    shown = metrics(at)
    assert shown["Avancement des actions"] == french_percent(domain_rollup("petite_enfance"))
    assert shown["Actions en retard"] == str(sum(late(r) for r in ACTIONS if r["domaine"] == "petite_enfance"))
    titles = set(at.dataframe[1].value["title"])
    assert titles == {r["intitule"] for r in ACTIONS if r["domaine"] == "petite_enfance"}


def test_every_domain_has_a_block_on_the_domain_page(demo_app):
    at = app()
    at.switch_page("pages/domaines.py")
    at.run()
    assert not at.exception
    blocks = [m.value for m in at.markdown if m.value.startswith("**")]
    assert len(blocks) == 10


@pytest.mark.parametrize("page", ["pages/vue_ensemble.py", "pages/domaines.py", "pages/controles.py"])
def test_each_page_renders_for_a_past_year_and_a_commune(demo_app, page):
    at = app(annee="2024", commune="65233")
    at.switch_page(page)
    at.run()
    assert not at.exception
    assert at.query_params["annee"] == "2024" and at.query_params["commune"] == "65233"


def test_filters_chosen_in_the_sidebar_go_into_the_link(demo_app):
    at = app()
    at.run()
    at.sidebar.selectbox[1].select("logement").run()  # Domaine
    assert at.query_params["domaine"] == "logement"
    at.sidebar.selectbox[0].select(2025).run()  # Année
    assert at.query_params["annee"] == "2025"
    # The same link, opened by someone else, shows the same selection.
    other = app(domaine="logement", annee="2025")
    other.run()
    assert other.sidebar.selectbox[0].value == 2025
    assert other.sidebar.selectbox[1].value == "logement"


def test_choosing_all_domains_removes_the_filter_from_the_link(demo_app):
    at = app(domaine="logement")
    at.run()
    at.sidebar.selectbox[1].select("").run()
    assert "domaine" not in at.query_params


def test_the_integrity_page_reports_no_broken_rule_on_the_demo(demo_app):
    at = app()
    at.switch_page("pages/controles.py")
    at.run()
    next(b for b in at.main.button if b.label == "Lancer les contrôles").click().run()  # on demand
    assert not at.exception
    assert [s.value for s in at.success] == ["Aucune règle d'intégrité enfreinte."]


def test_the_domain_page_lists_every_orientation_of_the_domain(demo_app):
    at = app(domaine="jeunesse")
    at.switch_page("pages/domaines.py")
    at.run()
    table = at.dataframe[0].value  # the domain's branch of the plan, enjeu → objectif → fiche
    labels = list(table["Plan"])
    expected = {r["code"]: r["intitule"] for r in rows("orientations") if r["domaine"] == "jeunesse"}
    assert expected
    for code, title in expected.items():
        line = next(i for i, text in enumerate(labels) if text.endswith(f"{code} — {title}"))
        assert table["Fiches"][line] == sum(r["orientation"] == code for r in ACTIONS)


def test_a_partner_finds_what_to_enter_on_the_overview_and_a_reader_does_not(demo_app, demo_engine):
    from sqlmodel import Session, select

    from ctg_data import models as m
    from ctg_data.actors import Actor, Role

    with Session(demo_engine) as session:
        simaje = session.exec(select(m.Organisation.id).where(m.Organisation.code == "simaje")).one()
    partner = sign_in(
        AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60),
        Actor("p@test", Role.PARTENAIRE, organisation_id=simaje),
    )
    partner.run()
    assert not partner.exception
    assert any(header.value.startswith("À saisir (") for header in partner.subheader)
    reader = sign_in(AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60), Actor("l@test", Role.LECTEUR))
    reader.run()
    assert not any(header.value.startswith("À saisir") for header in reader.subheader)


def test_the_overview_lists_the_decisions_past_due_with_the_way_to_the_comites(demo_app):
    at = app()
    at.run()
    assert "Décisions en retard" in [header.value for header in at.subheader]
    # The demo's open decisions past due at its « today », read from its CSV rows.
    import csv

    from tests.conftest import DEMO_TODAY

    with (ROOT / "seeds" / "lourdes-2023" / "decisions.csv").open(encoding="utf-8") as file:
        late = [
            row["texte"]
            for row in csv.DictReader(file)
            if row["statut"] == "a_faire" and row["echeance"] and row["echeance"] < DEMO_TODAY
        ]
    assert late, "the demo holds a decision past due"
    shown = [cell for frame in at.dataframe if "Décision" in frame.value for cell in frame.value["Décision"]]
    assert sorted(shown) == sorted(late)
