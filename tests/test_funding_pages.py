"""The Financements pages render the hand-computed figures and flags (AppTest on a seeded SQLite
file), and their downloads are French, spreadsheet-safe files."""

import io
import re
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ctg_data import db
from ctg_data.db import make_engine
from ctg_data.interchange import load_folder
from ctg_data.queries import funding as q
from ctg_data.reports import bonus_report as report
from ctg_data.reports.exports import export_files, export_frame, to_csv_bytes, to_xlsx_bytes
from ctg_data.settings import DEMO_SEED, PROJECT_ROOT
from tests.conftest import sign_in
from tests.csv_folder import write_folder
from tests.test_funding_queries import LINES, funding_convention

NNBSP, NBSP = "\u202f", "\u00a0"
PAGES = PROJECT_ROOT / "pages"


def seed(url: str, folder) -> None:
    engine = make_engine(url)
    try:
        report = load_folder(folder, actor="test", engine=engine)
        assert report.ok, [str(e) for e in report.errors]
    finally:
        engine.dispose()


def clear_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()
    db.engine_for.cache_clear()


@pytest.fixture
def app_url(sqlite_url, monkeypatch):
    monkeypatch.setenv("CTG_DATABASE_URL", sqlite_url)
    clear_caches()
    yield sqlite_url
    clear_caches()


@pytest.fixture
def seeded(app_url, tmp_path):
    seed(app_url, write_folder(tmp_path / "ctg-f", funding_convention()))
    return app_url


def page(name: str, **params) -> AppTest:
    at = sign_in(AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=60))
    at.query_params.update(params)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def markdown_text(at) -> str:
    """The Markdown shown, as read: backslash escapes resolved, invisible word joiners dropped."""
    return re.sub(r"\\(.)", r"\1", "\n".join(element.value for element in at.markdown)).replace("\u2060", "")


def metrics(at) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def euros(text: str) -> str:
    """A French amount as the page writes it, from a hand-written "93 000,00": narrow no-break
    spaces between thousands, a no-break space before €."""
    return text.replace(" ", NNBSP) + f"{NBSP}€"


def table(at, index: int = 0) -> pd.DataFrame:
    return at.dataframe[index].value.set_index("Équipement")


# The 2024 lines of funding_convention(), worked out by hand (docs/rules.md):
# EAJE-A 30 × 3 100 = 93 000 due, 90 000 notified, 95 000 paid (écart notifié, trop versé);
# EAJE-N outside PSU: 0 due, 21 737,70 notified, 10 000 paid (hors PSU);
# ALSH-J no activity: unknown due, 5 000 paid to a non-signatory without notification;
# ALSH-K 50 500 h × 0,45 capped at 22 000, notified and paid 22 000: no alert;
# LUDO closed since 2023: 0 due, 5 000 notified (équipement fermé); RPE: no barème, unknown.


def test_bonus_page_shows_the_years_alerts_by_default_with_totals_that_add_up(seeded):
    at = page("bonus_territoire", annee="2024")
    assert at.radio(key="bonus_view").value == "alertes"
    rows = table(at)
    assert list(rows.index) == [
        "Équipement ALSH-J",
        "Équipement EAJE-A",
        "Équipement EAJE-N",
        "Équipement LUDO",
        "Équipement RPE",
        "Total (3 lignes au dû connu)",
        "Dû inconnu (2 lignes, hors total)",
    ]
    assert list(rows.columns) == ["Alerte ou information", "Dû", "Notifié", "Versé", "Écart notifié − dû", "Pourquoi"]
    assert rows.loc["Équipement EAJE-A", "Dû"] == euros("93 000,00")
    assert rows.loc["Équipement EAJE-A", "Alerte ou information"] == "⚠ écart notifié ; trop versé"
    assert rows.loc["Équipement EAJE-N", "Dû"] == euros("0,00")  # rules v2: outside PSU, owed nothing
    assert rows.loc["Équipement RPE", "Dû"] == "—"
    assert rows.loc["Équipement RPE", "Alerte ou information"] == "⚠ sans barème"
    # The computation in words on the line, then the reason with its figures.
    why = rows.loc["Équipement EAJE-A", "Pourquoi"].replace(NNBSP, " ").replace(NBSP, " ")
    assert why.startswith("30 places × 3 100,00 € = 93 000,00 €.")
    assert "Notifié 90 000,00 € pour 93 000,00 € dus : écart de -3 000,00 € (-3,2 %)." in why
    # Totals of the shown lines: EAJE-A + EAJE-N + LUDO known, ALSH-J and RPE apart.
    total = rows.loc["Total (3 lignes au dû connu)"]
    assert (total["Dû"], total["Notifié"], total["Versé"], total["Écart notifié − dû"]) == (
        euros("93 000,00"),
        euros("116 737,70"),
        euros("105 000,00"),
        euros("23 737,70"),
    )
    unknown = rows.loc["Dû inconnu (2 lignes, hors total)"]
    assert (unknown["Dû"], unknown["Notifié"], unknown["Versé"]) == ("—", euros("0,00"), euros("5 000,00"))
    # The metrics: every line of the year (ALSH-K too), the same rule.
    shown = metrics(at)
    assert (shown["Dû"], shown["Notifié"], shown["Versé"]) == (
        euros("115 000,00"),
        euros("138 737,70"),
        euros("127 000,00"),
    )
    assert shown["Écart notifié − dû"] == euros("23 737,70")  # 138 737,70 − 115 000,00
    assert shown["Écart versé − notifié"] == euros("-11 737,70")
    assert shown["Lignes en alerte"] == "5"
    managers = at.dataframe[1].value.set_index("Gestionnaire")
    assert managers.loc["Syndicat test", "Dû"] == euros("115 000,00")  # 93 000 + 22 000
    labels = [button.proto.label for button in at.get("download_button")]
    assert labels == ["Télécharger (.xlsx)", "Télécharger (.csv)"] * 2


def test_bonus_page_shows_every_line_and_more_columns_on_demand_kept_in_the_url(seeded):
    at = page("bonus_territoire", annee="2024")
    at.radio(key="bonus_view").set_value("toutes").run()
    assert at.query_params["lignes"] == "toutes"
    rows = table(at)
    assert "Équipement ALSH-K" in rows.index
    assert rows.loc["Total (4 lignes au dû connu)", "Dû"] == euros("115 000,00")  # the metrics' lines
    at.toggle(key="bonus_columns").set_value(True).run()
    assert {"Gestionnaire", "Code équipement", "Commentaires"} <= set(table(at).columns)
    again = page("bonus_territoire", annee="2024", lignes="informations")
    assert again.radio(key="bonus_view").value == "informations"


def test_bonus_year_is_chosen_at_the_top_and_defaults_to_the_last_year_over(seeded, monkeypatch):
    monkeypatch.setenv("CTG_TODAY", "2025-06-01")  # 2024 declared on 31/03/2025, 2025 not over
    at = page("bonus_territoire")
    assert at.selectbox(key="bonus_year").value == 2024
    assert at.query_params["annee"] == "2024"
    assert not [box for box in at.sidebar.selectbox if box.label == "Année"]  # one year filter
    at.selectbox(key="bonus_year").set_value("toutes").run()
    # 2025 and 2026 are not over: their unknown dues are information, not alerts.
    assert set(table(at)["Année"]) == {"2023", "2024", ""}


def test_bonus_page_filters_rows_by_flag(seeded):
    at = page("bonus_territoire", annee="2024")
    at.multiselect(key="bonus_flags").set_value(["hors_psu"]).run()
    assert list(table(at).index[:-1]) == ["Équipement EAJE-N"]
    assert metrics(at)["Dû"] == euros("0,00")
    assert metrics(at)["Écart notifié − dû"] == euros("21 737,70")  # the whole notification
    at.radio(key="bonus_view").set_value("toutes").run()
    at.multiselect(key="bonus_flags").set_value(["aucune"]).run()
    assert list(table(at).index[:-1]) == ["Équipement ALSH-K"]


def test_bonus_downloads_carry_the_lines_and_the_totals(seeded):
    engine = make_engine(seeded)
    try:
        rows = report.bonus_reconciliation(engine, q.convention_by_code(engine, "ctg-f")["id"], (2024,))
    finally:
        engine.dispose()
    shown = rows[rows["flag_codes"].map(bool)]
    files = export_files(
        export_frame(report.with_totals(shown), report.HEADERS),
        "bonus-territoire",
        money_columns=("Dû", "Notifié", "Versé"),
    )
    lines = files[1].data.decode("utf-8").lstrip("\ufeff").splitlines()
    header = lines[0].split(";")
    cells = [dict(zip(header, line.split(";"), strict=False)) for line in lines[-2:]]
    assert len(lines) == 1 + 5 + 2
    assert (cells[0]["Équipement"], cells[0]["Dû"], cells[0]["Notifié"], cells[0]["Versé"]) == (
        "Total (3 lignes au dû connu)",
        "93000,00",
        "116737,70",
        "105000,00",
    )
    assert (cells[1]["Équipement"], cells[1]["Dû"], cells[1]["Notifié"], cells[1]["Versé"]) == (
        "Dû inconnu (2 lignes, hors total)",
        "",
        "0,00",
        "5000,00",
    )
    sheet = openpyxl.load_workbook(io.BytesIO(files[0].data)).active
    assert [sheet.cell(sheet.max_row - 1, column).value for column in (1, 5)] == ["Total (3 lignes au dû connu)", 93000]


def test_a_facility_page_opens_from_the_url_and_explains_the_computation(seeded):
    at = page("bonus_territoire", annee="2024", equipement="EAJE-N")
    text = markdown_text(at)
    assert "EAJE hors PSU (micro-crèche PAJE) : pas de bonus territoire" in text  # rules v2
    assert "hors PSU" in text
    assert at.selectbox(key="bonus_facility").value == "EAJE-N"
    at.selectbox(key="bonus_facility").set_value("EAJE-A").run()
    assert at.query_params["equipement"] == "EAJE-A"
    rates = at.dataframe[-2].value  # barème, then the facility's funding lines
    assert list(rates["Appliqué"]) == ["oui", "non", "oui"]


def test_leviers_page_totals_agree_across_every_breakdown(seeded):
    at = page("leviers")
    # 75 000 + 93 000 + 32 463,60 + 7 500 + 3 000 + 1 000 + 50 000, added by hand
    planned = euros("261 963,60")
    assert sum(Decimal(line["montant_prevu"]) for line in LINES if line["montant_prevu"]) == Decimal("261963.60")
    assert metrics(at)["Prévu"] == planned
    for dimension in ("lever_label", "year", "domain_label", "funder_name", "beneficiary_name"):
        at.radio(key="leviers_dimension").set_value(dimension).run()
        assert not at.exception
        per_value = at.dataframe[0].value
        assert per_value.iloc[-1, 0] == "Total"
        assert per_value.iloc[-1]["Prévu"] == planned, dimension
    assert len(at.get("vega_lite_chart")) == 2 and at.caption  # the breakdown's and the year-on-year's


def test_coordination_page_shows_the_post_due_and_its_flag(seeded):
    at = page("coordination", annee="2024")
    posts = at.dataframe[0].value
    assert list(posts["Dû"]) == [f"32{NNBSP}463,60{NBSP}€"] and list(posts["Alertes"]) == ["⚠ écart notifié"]
    cofunding = at.dataframe[1].value.set_index("Levier")
    assert cofunding.loc["Cofinancement du diagnostic", "Alertes"] == "⚠ trop versé"


def test_pages_without_funding_say_so(app_url, tmp_path):
    sheets = funding_convention()
    del sheets["financements"]
    seed(app_url, write_folder(tmp_path / "empty", sheets))
    at = page("leviers")
    assert [info.value for info in at.info] == ["Aucun financement pour cette sélection."]
    at = page("coordination", annee="2024")
    assert "Aucun financement pour cette sélection." in [info.value for info in at.info]


def test_the_demo_answers_the_simaje_2024_question_on_one_page(app_url):
    seed(app_url, DEMO_SEED)
    at = page("bonus_territoire", annee="2024")
    simaje = next(o for o in at.multiselect(key="bonus_managers").options if o.startswith("SIMAJE"))
    at.multiselect(key="bonus_managers").set_value([simaje]).run()
    shown = metrics(at)
    # The seed README's table: 77 500 + 186 000 + 12 000 + 22 000 + 14 490 due.
    assert shown["Dû"] == euros("311 990,00") and shown["Versé"] == euros("302 690,00")
    assert shown["Écart notifié − dû"] == euros("-9 300,00")
    assert list(table(at).index[:-1]) == ["Multi-accueil Saint-Vincent-de-Paul"]
    at.toggle(key="bonus_columns").set_value(True).run()
    assert "57 places" in table(at).loc["Multi-accueil Saint-Vincent-de-Paul", "Commentaires"]


# ---------------------------------------------------------------- downloads


def sample() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Équipement": ['=HYPERLINK("x")', "-abc", "Crèche"],
            "Dû": [Decimal("93000.00"), None, Decimal("-3000.50")],
            "Année": [2024, 2024, 2025],
        },
        dtype=object,
    )


def test_csv_download_is_excel_french_and_never_a_formula():
    text = to_csv_bytes(sample()).decode("utf-8")
    assert text.startswith("\ufeffÉquipement;Dû;Année\r\n")
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[1] == '"\'=HYPERLINK(""x"")";93000,00;2024'
    assert lines[2] == "'-abc;;2024"  # text starting with "-" is neutralised, empty stays empty
    assert lines[3] == "Crèche;-3000,50;2025"  # a negative number is a number, not text


def test_xlsx_download_keeps_numbers_and_neutralises_formulas():
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(sample(), "Bonus", money_columns=("Dû",))))
    sheet = book["Bonus"]
    assert [cell.value for cell in sheet[1]] == ["Équipement", "Dû", "Année"]
    assert sheet["A2"].value == '\'=HYPERLINK("x")' and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == 93000 and sheet["B2"].number_format == '#,##0.00 "€"'
    assert sheet["B3"].value is None and sheet["C4"].value == 2025


def test_every_table_downloads_as_xlsx_and_csv():
    files = export_files(sample(), "bonus-territoire")
    assert [(f.file_name, f.mime) for f in files] == [
        ("bonus-territoire.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("bonus-territoire.csv", "text/csv"),
    ]


@pytest.mark.parametrize("page", ["leviers", "bonus_territoire", "coordination"])
def test_downloads_get_an_address_only_when_clicked(demo_app, page):
    # A /media/ address is fetched without a session: the page must not hand one out per view.
    at = sign_in(AppTest.from_file(str(PAGES / f"{page}.py"), default_timeout=60)).run()
    assert not at.exception
    buttons = [element.proto for element in at.get("download_button")]
    assert buttons, "the page offers downloads"
    assert [(b.label, b.url) for b in buttons if b.url] == []
    assert all(b.deferred_file_id for b in buttons)
