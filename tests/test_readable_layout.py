"""Readable tables and charts (issue 13): the key columns of the long tables have widths that fit
the main column at 1440 px beside the menu and wrap their texts; the coordination chart gets its
height for the plot and French euro axes; the long bonus page is split into tabs and its
facility fiche into folded parts; the funding pages' filters sit under the title.
What a screenshot shows is checked by eye; these tests pin the settings that produce it."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from ctg_data.settings import PROJECT_ROOT
from tests.conftest import sign_in

PAGES = PROJECT_ROOT / "pages"
MAIN_WIDTH = 950  # px of the main column at 1440 px, the menu open, less a table's selection box
WRAPS = 64  # Streamlit 1.67 wraps a text cell only in rows taller than 4rem


def run(name: str, **params) -> AppTest:
    at = sign_in(AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=60))
    at.query_params.update(params)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def table(at: AppTest, column: str):
    """The first table of the page that has `column`."""
    return next(frame for frame in at.main.dataframe if column in frame.value.columns)


def widths(frame) -> dict[str, int | str]:
    """The width set for each configured column, by header."""
    config = json.loads(frame.proto.columns)
    return {name: column["width"] for name, column in config.items() if "width" in column}


def key_columns_fit(frame, key: list[str]) -> None:
    """The key columns come first, each has a pixel width, and together they fit the main column;
    the rows are tall enough for long texts to wrap."""
    set_widths = widths(frame)
    assert list(frame.value.columns[: len(key)]) == key
    assert all(isinstance(set_widths.get(column), int) for column in key), set_widths
    assert sum(int(set_widths[column]) for column in key) <= MAIN_WIDTH
    assert frame.proto.row_height > WRAPS


def test_the_actions_list_shows_the_title_late_and_progress_without_scrolling(demo_app):
    at = run("actions")
    frame = table(at, "Intitulé")
    key_columns_fit(frame, ["Code", "Intitulé", "Statut", "Retard", "Échéance", "Avancement", "Pilote"])
    assert widths(frame)["Intitulé"] >= 250  # the longest column the table has room for


def test_the_indicator_list_shows_name_status_and_value_without_scrolling(demo_app):
    at = run("indicateurs")
    frame = table(at, "Indicateur")
    key_columns_fit(frame, ["Code", "Indicateur", "Statut", "Atteinte", "Valeur actuelle", "Unité"])


def test_the_bonus_lines_show_why_without_scrolling(demo_app):
    at = run("bonus_territoire", annee="2024")
    frame = table(at, "Pourquoi")
    key_columns_fit(frame, ["Équipement", "Alerte ou information", "Dû", "Notifié", "Versé", "Écart notifié − dû"])
    assert "Pourquoi" in widths(frame)


def test_the_journal_and_a_history_show_the_changes_wrapped(demo_app):
    journal = table(run("journal"), "Modifications")
    key_columns_fit(journal, ["Date", "Par", "Opération", "Élément", "Modifications"])
    history = table(run("historique", objet="action", id="PE-1.1"), "Modifications")
    key_columns_fit(history, ["Date", "Par", "Opération", "Élément", "Modifications", "Motif"])


def test_the_levers_detail_and_the_coordination_tables_fit(demo_app):
    detail = table(run("leviers"), "Lignes")
    key_columns_fit(detail, list(detail.value.columns))  # every column of the detail
    coordination = run("coordination")
    posts = table(coordination, "Motifs des alertes")
    key_columns_fit(posts, ["Poste", "Année", "Dû", "Notifié", "Versé", "Alertes", "Motifs des alertes"])
    assert "Code poste" in posts.value.columns  # the other columns follow, to scroll to
    cofunding = table(coordination, "Intitulé de l'action")
    key_columns_fit(cofunding, ["Levier", "Année", "Intitulé de l'action", "Bénéficiaire", "Prévu", "Notifié"])


def test_the_coordination_chart_has_its_height_for_the_plot_and_euro_axes(demo_app):
    at = run("coordination")
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    # "fit" would squeeze the axes and the legend into the height, leaving a 100 px plot.
    assert spec["autosize"]["type"] == "fit-x"
    assert spec["height"] >= 200
    assert spec["encoding"]["y"]["axis"]["format"] == "$,.0f"
    locale = spec["config"]["locale"]["number"]
    assert (locale["thousands"], locale["currency"]) == ("\u202f", ["", "\u00a0€"])  # « 30 000 € »


def test_the_bonus_page_is_split_into_tabs_with_the_fiche_folded(demo_app):
    at = run("bonus_territoire", annee="2024")
    assert [tab.label for tab in at.tabs] == ["Alertes et lignes", "Totaux par gestionnaire", "Fiche équipement"]
    code = at.selectbox(key="bonus_facility").options[0]
    fiche = run("bonus_territoire", annee="2024", equipement=code.rsplit("(", 1)[-1].rstrip(")"))
    assert [e.label for e in fiche.expander] == ["Activité", "Barème applicable", "Financements de l'équipement"]


@pytest.mark.parametrize(
    ("name", "labels"), [("leviers", ["Année", "Domaine", "Commune"]), ("coordination", ["Année"])]
)
def test_the_funding_pages_filters_sit_under_the_title(demo_app, name, labels):
    at = run(name)
    assert [box.label for box in at.main.selectbox][: len(labels)] == labels
    assert not [box for box in at.sidebar.selectbox if box.label in labels]
    at.main.selectbox[0].select(2024).run()
    assert at.query_params["annee"] == "2024"  # the same URL parameter as the sidebar's filter


def test_a_filter_on_top_must_be_one_the_page_reads():
    from ctg_data.ui.page import COMMUNE, YEAR, page

    with pytest.raises(ValueError, match="on top but not read"):
        page("Essai", filters=(YEAR,), on_top=(COMMUNE,))
