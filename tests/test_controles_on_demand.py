"""The Contrôles page runs its checks when asked: opening it reads no measurement; « Lancer les
contrôles » shows what `ctg check` finds; the results stay in the session, without reading the
data again, until the data changes."""

from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from ctg_data.db import engine_for, make_engine
from ctg_data.diagnostics import count_statements
from ctg_data.interchange import load_folder
from ctg_data.queries.history import table_name
from ctg_data.reports.integrity import integrity_report
from tests.csv_folder import minimal_convention, write_folder

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "controles.py")
BUTTON = "Lancer les contrôles"


def sheets() -> dict[str, list[dict]]:
    """The minimal convention with one broken rule (a measurement above its indicator's max is
    refused by every writer, so the bound is lowered after loading) and one warning."""
    data = minimal_convention()
    data["communes"].append(
        {"code_insee": "65440", "nom": "Tarbes", "population": "", "enfants_moins_3_ans": "", "qpv": ""}
    )
    data["equipements"][0]["code_insee"] = "65440"  # outside the perimeter (65286): a warning
    return data


@pytest.fixture
def database(sqlite_url, tmp_path, monkeypatch):
    engine = make_engine(sqlite_url)
    assert load_folder(write_folder(tmp_path / "f", sheets()), actor="t", engine=engine).ok
    with engine.begin() as connection:  # as data stored before a bound was tightened
        connection.exec_driver_sql("UPDATE indicators SET max_value = 53 WHERE code = 'TX'")
    monkeypatch.setenv("CTG_DATABASE_URL", sqlite_url)
    engine_for.cache_clear()
    st.cache_data.clear()
    st.cache_resource.clear()
    yield engine
    engine.dispose()
    engine_for.cache_clear()


def measurement_reads(counted) -> list[str]:
    return [sql for sql in counted.statements if "measurements" in sql]


def button_labels(at: AppTest) -> list[str]:
    return [button.label for button in at.main.button]


def test_opening_the_page_runs_no_check_and_offers_the_button(database, signed_in):
    with count_statements(Engine) as counted:
        at = signed_in(AppTest.from_file(PAGE, default_timeout=30)).run()
    assert not at.exception
    assert measurement_reads(counted) == []
    assert button_labels(at) == [BUTTON]
    assert not at.main.success and not at.main.error and not at.main.warning and not at.main.dataframe


def test_the_button_shows_what_ctg_check_finds_and_keeps_it_until_the_data_changes(database, signed_in, tmp_path):
    counts, broken, warnings = integrity_report(database)
    assert broken == [("Mesure hors des bornes de son indicateur", "ctg-t / TX / 2024-12-31")]
    assert len(warnings) == 1
    at = signed_in(AppTest.from_file(PAGE, default_timeout=30)).run()
    with count_statements(Engine) as counted:
        at.main.button[0].click().run()
    assert not at.exception and measurement_reads(counted)
    assert [e.value for e in at.error] == ["1 règle(s) enfreinte(s)."]
    shown_broken, shown_warnings, shown_counts = (frame.value for frame in at.dataframe)
    assert [tuple(row) for row in shown_broken.itertuples(index=False)] == broken
    assert [tuple(row) for row in shown_warnings.itertuples(index=False)] == warnings
    assert dict(zip(shown_counts["Contenu"], shown_counts["Lignes"], strict=True)) == {
        table_name(table): rows for table, rows in counts.items()
    }

    with count_statements(Engine) as counted:  # another run of the page: the results are kept
        at.run()
    assert measurement_reads(counted) == [] and button_labels(at) == []
    assert [e.value for e in at.error] == ["1 règle(s) enfreinte(s)."]

    changed = sheets()
    changed["mesures"][0]["valeur"] = "51"  # a correction: the data changes
    assert load_folder(write_folder(tmp_path / "g", changed), actor="t", engine=database).ok
    at.run()
    assert [i.value for i in at.info] == [
        "Les données ont changé depuis les derniers contrôles : relancez-les pour un résultat à jour."
    ]
    assert button_labels(at) == [BUTTON] and not at.error and not at.dataframe
