"""The « Import / export » page, run by AppTest: the template and export downloads, and an
upload checked (« Vérifier ») then applied (« Importer ») all or nothing."""

import io
import shutil
from pathlib import Path

import pytest
import streamlit as st
from openpyxl import load_workbook
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from ctg_data import models as m
from ctg_data.actors import Actor, Role
from ctg_data.db import engine_for, make_engine
from ctg_data.interchange.export import export_workbook
from ctg_data.interchange.importer import error_rows, import_upload, summary_rows
from ctg_data.reports.integrity import table_counts
from tests.test_export_roundtrip import seed_row_count

PAGE = Path(__file__).resolve().parent.parent / "pages" / "import_export.py"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ADMIN = Actor(email="admin@test", role=Role.ADMIN)


def page(actor: Actor = ADMIN) -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.session_state["ctg_actor"] = actor
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def button(at: AppTest, label: str):
    (found,) = [b for b in at.button if b.label == label]
    return found


def upload(at: AppTest, name: str, data: bytes, mime: str = XLSX) -> AppTest:
    at.file_uploader(key="ie_upload").set_value((name, data, mime))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def click(at: AppTest, label: str) -> AppTest:
    button(at, label).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def counts(engine) -> dict[str, int]:
    with Session(engine) as session:
        return table_counts(session)


def with_cell(data: bytes, sheet: str, cell: str, value) -> bytes:
    book = load_workbook(io.BytesIO(data))
    book[sheet][cell] = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_page_offers_the_template_the_export_and_the_upload_to_an_administrator(demo_app):
    at = page()
    assert [s.value for s in at.subheader] == ["Modèle à remplir", "Exporter", "Importer"]
    downloads = [d.label for d in at.get("download_button")]
    assert downloads == ["Télécharger le modèle (.xlsx)", "Exporter la convention (.xlsx)"]
    uploader = at.file_uploader(key="ie_upload")
    assert sorted(uploader.allowed_type) == [".csv", ".xlsx"]
    assert at.selectbox(key="ie_convention").value == "ctg-lourdes-2023"


def test_a_reader_may_download_but_not_import(demo_app):
    at = page(Actor(email="lecteur@test", role=Role.LECTEUR))
    assert len(at.get("download_button")) == 2
    assert not at.get("file_uploader")
    assert any("réservé aux administrateurs et aux conseillers" in info.value for info in at.info)


def test_checking_an_unchanged_export_reports_every_row_unchanged_and_importing_it_changes_nothing(
    demo_app, demo_engine
):
    data = export_workbook(demo_engine)
    before = counts(demo_engine)
    at = upload(page(), "export.xlsx", data)
    assert button(at, "Importer").disabled  # not checked yet
    at = click(at, "Vérifier")
    assert "Vérification réussie" in at.success[0].value
    summary = at.dataframe[0].value
    assert list(summary.columns) == ["Feuille", "Créées", "Modifiées", "Corrigées", "Inchangées"]
    assert summary.set_index("Feuille").loc["mesures", "Inchangées"] == seed_row_count("mesures")
    assert summary[["Créées", "Modifiées", "Corrigées"]].to_numpy().sum() == 0
    assert not button(at, "Importer").disabled
    at = click(at, "Importer")
    assert "aucune donnée n'a changé" in at.success[0].value
    assert counts(demo_engine) == before


def test_a_bad_workbook_lists_every_error_with_its_place_and_cannot_be_imported(demo_app, demo_engine):
    data = with_cell(export_workbook(demo_engine), "actions", "J2", "fini")
    data = with_cell(data, "mesures", "D3", "beaucoup")
    before = counts(demo_engine)
    at = click(upload(page(), "export.xlsx", data), "Vérifier")
    assert "2 erreur(s) : rien n'a été écrit" in at.error[0].value
    errors = at.dataframe[0].value
    assert list(errors.columns) == ["Feuille", "Ligne", "Colonne", "Message"]
    assert errors.iloc[0].tolist()[:3] == ["feuille actions", 2, "statut"]
    assert errors.iloc[1].tolist()[:3] == ["feuille mesures", 3, "valeur"]
    assert button(at, "Importer").disabled
    assert counts(demo_engine) == before


def test_a_checked_correction_is_written_by_importer(demo_app, demo_engine):
    data = export_workbook(demo_engine)
    values = load_workbook(io.BytesIO(data))["mesures"]
    indicator, measured = values["B2"].value, values["C2"].value.date()
    new_value = values["D2"].value + 1
    at = click(upload(page(), "export.xlsx", with_cell(data, "mesures", "D2", new_value)), "Vérifier")
    summary = at.dataframe[0].value.set_index("Feuille")
    assert summary.loc["mesures", "Corrigées"] == 1
    at = click(at, "Importer")
    assert "Import terminé : les données ci-dessous ont été écrites." in at.success[0].value
    with Session(demo_engine) as session:
        current = session.exec(
            select(m.Measurement)
            .join(m.Indicator)
            .where(
                m.Indicator.code == indicator,
                m.Measurement.measured_on == measured,
                m.Measurement.superseded_at.is_(None),
            )
        ).one()
    assert current.value == new_value and current.recorded_by == "admin@test"
    assert button(at, "Importer").disabled  # a new check is needed before importing again


def test_a_different_file_needs_its_own_check(demo_app, demo_engine):
    data = export_workbook(demo_engine)
    at = click(upload(page(), "export.xlsx", data), "Vérifier")
    assert not button(at, "Importer").disabled
    at = upload(at, "export.xlsx", with_cell(data, "mesures", "D2", 1))
    assert button(at, "Importer").disabled
    assert not at.success and not at.dataframe


def test_a_single_csv_file_is_checked_as_its_sheet(demo_app):
    csv = b"code,nom,type\nnouvelle,Nouvelle association,association\n"
    at = click(upload(page(), "organisations.csv", csv, "text/csv"), "Vérifier")
    summary = at.dataframe[0].value.set_index("Feuille")
    assert summary.loc["organisations", "Créées"] == 1


def test_a_french_excel_csv_is_checked_and_the_page_says_how_it_was_read(demo_app):
    csv = "code;nom;type\r\nmam-etoile;MAM L'Étoile – Sèvremoine;association\r\n".encode("cp1252")
    at = click(upload(page(), "organisations.csv", csv, "text/csv"), "Vérifier")
    shown = [c.value.replace("\\", "") for c in at.caption if "lu en" in c.value]  # Markdown escapes off
    assert shown == ["Fichier organisations.csv : lu en Windows-1252, séparateur « ; »."]
    summary = at.dataframe[0].value.set_index("Feuille")
    assert summary.loc["organisations", "Créées"] == 1


@pytest.fixture
def empty_app(sqlite_template, tmp_path, monkeypatch):
    """The page on an empty, migrated database (the first import of a new territory)."""
    path = tmp_path / "empty.sqlite3"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("CTG_DATABASE_URL", url)
    engine_for.cache_clear()
    st.cache_data.clear()
    st.cache_resource.clear()
    engine = make_engine(url)
    yield engine
    engine.dispose()
    engine_for.cache_clear()


def test_an_empty_database_can_receive_its_first_workbook_from_the_page(empty_app, demo_sqlite_template):
    demo = make_engine(f"sqlite:///{demo_sqlite_template}")
    data = export_workbook(demo)
    demo.dispose()
    at = page()
    assert any("Aucune convention à exporter" in info.value for info in at.info)
    at = click(click(upload(at, "export.xlsx", data), "Vérifier"), "Importer")
    assert "les données ci-dessous ont été écrites" in at.success[0].value
    assert counts(empty_app)["measurements"] == seed_row_count("mesures")


def test_report_tables_name_every_outcome_and_every_place(demo_engine):
    data = with_cell(export_workbook(demo_engine), "communes", "A2", "=1")
    report = import_upload(demo_engine, ADMIN, "x.xlsx", data, dry_run=True)
    assert error_rows(report) == [
        {
            "Feuille": "feuille communes",
            "Ligne": 2,
            "Colonne": "code_insee",
            "Message": "formule interdite (cellule A2) : saisir la valeur elle-même",
        }
    ]
    report = import_upload(demo_engine, ADMIN, "x.xlsx", export_workbook(demo_engine), dry_run=True)
    rows = {row["Feuille"]: row for row in summary_rows(report)}
    assert rows["actions"] == {"Feuille": "actions", "Créées": 0, "Modifiées": 0, "Corrigées": 0, "Inchangées": 39}


def test_an_inflated_workbook_is_refused_on_the_page_in_french_without_being_read(demo_app, demo_engine, monkeypatch):
    from tests.test_import_limits import bomb

    monkeypatch.setenv("CTG_MAX_UPLOAD_MB", "1")
    before = counts(demo_engine)
    at = click(upload(page(), "bombe.xlsx", bomb(30)), "Vérifier")
    assert "1 erreur(s) : rien n'a été écrit" in at.error[0].value
    (message,) = at.dataframe[0].value["Message"].tolist()
    assert "anormalement volumineux" in message and "xl/sharedStrings.xml" in message
    assert counts(demo_engine) == before


def test_an_advisor_is_told_row_by_row_what_only_an_administrator_may_change(demo_app, demo_engine):
    data = with_cell(export_workbook(demo_engine), "actions", "C2", "Nouvel intitulé")
    advisor = Actor(email="conseiller@test", role=Role.CONSEILLER)
    at = click(upload(page(advisor), "export.xlsx", data), "Vérifier")
    errors = at.dataframe[0].value
    assert errors.iloc[0].tolist()[:2] == ["feuille actions", 2]
    assert "ne permet pas de modifier le plan de la convention" in errors.iloc[0]["Message"]
    assert button(at, "Importer").disabled
