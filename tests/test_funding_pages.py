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
from ctg_data import formats as fmt
from ctg_data.db import make_engine
from ctg_data.exports import export_files, to_csv_bytes, to_xlsx_bytes
from ctg_data.interchange import load_folder
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


def test_bonus_page_shows_each_facility_with_its_due_and_flags(seeded):
    at = page("bonus_territoire", annee="2024")
    rows = at.dataframe[0].value.set_index("Code équipement")
    assert rows.loc["EAJE-A", "Dû"] == f"93{NNBSP}000,00{NBSP}€"  # 30 places × 3 100 €
    assert rows.loc["EAJE-A", "Alertes"] == "⚠ écart notifié ; trop versé"
    assert rows.loc["EAJE-N", "Dû"] == f"0,00{NBSP}€"  # rules v2: outside PSU, owed nothing
    assert rows.loc["EAJE-N", "Information"] == "hors PSU"
    assert rows.loc["RPE", "Dû"] == "—" and rows.loc["RPE", "Alertes"] == "⚠ sans barème"
    managers = at.dataframe[1].value.set_index("Gestionnaire")
    assert managers.loc["Syndicat test", "Dû"] == f"115{NNBSP}000,00{NBSP}€"  # 93 000 + 22 000
    assert "écart de -3\u202f000,00\u00a0€" in markdown_text(at)  # the reason, in words
    labels = [button.proto.label for button in at.get("download_button")]
    assert labels == ["Télécharger (.xlsx)", "Télécharger (.csv)"] * 2


def test_bonus_page_filters_rows_by_flag(seeded):
    at = page("bonus_territoire", annee="2024")
    at.multiselect(key="bonus_flags").set_value(["hors_psu"]).run()
    assert list(at.dataframe[0].value["Code équipement"]) == ["EAJE-N"]
    assert metrics(at)["Dû"] == f"0,00{NBSP}€"
    assert metrics(at)["Écart notifié − dû"] == f"21{NNBSP}737,70{NBSP}€"  # the whole notification
    at.multiselect(key="bonus_flags").set_value(["aucune"]).run()
    assert list(at.dataframe[0].value["Code équipement"]) == ["ALSH-K"]


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
    planned = sum(Decimal(line["montant_prevu"]) for line in LINES if line["montant_prevu"])
    assert metrics(at)["Prévu"] == fmt.money(planned)
    for dimension in ("lever_label", "year", "domain_label", "funder_name", "beneficiary_name"):
        at.radio(key="leviers_dimension").set_value(dimension).run()
        assert not at.exception
        per_value = at.dataframe[0].value
        assert per_value.iloc[-1, 0] == "Total"
        assert per_value.iloc[-1]["Prévu"] == fmt.money(planned), dimension
    assert len(at.get("vega_lite_chart")) == 1 and at.caption


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
    assert shown["Dû"] == f"311{NNBSP}990,00{NBSP}€" and shown["Versé"] == f"302{NNBSP}690,00{NBSP}€"
    assert shown["Écart notifié − dû"] == f"-9{NNBSP}300,00{NBSP}€"
    flagged = at.dataframe[0].value.query("Alertes != ''")
    assert list(flagged["Code équipement"]) == ["eaje-saint-vincent"]
    assert "57 places" in flagged.iloc[0]["Commentaires"]


# ---------------------------------------------------------------- downloads


def sample() -> pd.DataFrame:
    return pd.DataFrame({"Équipement": ["=HYPERLINK(\"x\")", "-abc", "Crèche"],
                         "Dû": [Decimal("93000.00"), None, Decimal("-3000.50")],
                         "Année": [2024, 2024, 2025]}, dtype=object)


def test_csv_download_is_excel_french_and_never_a_formula():
    text = to_csv_bytes(sample()).decode("utf-8")
    assert text.startswith("\ufeffÉquipement;Dû;Année\r\n")
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[1] == "\"'=HYPERLINK(\"\"x\"\")\";93000,00;2024"
    assert lines[2] == "'-abc;;2024"  # text starting with "-" is neutralised, empty stays empty
    assert lines[3] == "Crèche;-3000,50;2025"  # a negative number is a number, not text


def test_xlsx_download_keeps_numbers_and_neutralises_formulas():
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(sample(), "Bonus", money_columns=("Dû",))))
    sheet = book["Bonus"]
    assert [cell.value for cell in sheet[1]] == ["Équipement", "Dû", "Année"]
    assert sheet["A2"].value == "'=HYPERLINK(\"x\")" and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == 93000 and sheet["B2"].number_format == '#,##0.00 "€"'
    assert sheet["B3"].value is None and sheet["C4"].value == 2025


def test_every_table_downloads_as_xlsx_and_csv():
    files = export_files(sample(), "bonus-territoire")
    assert [(f.file_name, f.mime) for f in files] == [
        ("bonus-territoire.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("bonus-territoire.csv", "text/csv")]


@pytest.mark.parametrize("page", ["leviers", "bonus_territoire", "coordination"])
def test_downloads_get_an_address_only_when_clicked(demo_app, page):
    # A /media/ address is fetched without a session: the page must not hand one out per view.
    at = sign_in(AppTest.from_file(str(PAGES / f"{page}.py"), default_timeout=60)).run()
    assert not at.exception
    buttons = [element.proto for element in at.get("download_button")]
    assert buttons, "the page offers downloads"
    assert [(b.label, b.url) for b in buttons if b.url] == []
    assert all(b.deferred_file_id for b in buttons)
