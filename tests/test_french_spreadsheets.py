"""French spreadsheets: CSV files saved by French Excel (`;`, Windows-1252 or UTF-8 with BOM),
the app's own CSV downloads, French dates and numbers (`30/05/2023`, `58,5 %`, `12 500 €`) and
the years that published conventions give (`2023` - `2026`)."""

import csv
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.actors import Actor, Role
from ctg_data.interchange import load_folder
from ctg_data.interchange.importer import import_upload, import_workbook
from ctg_data.reports.exports import to_csv_bytes
from ctg_data.reports.integrity import table_counts
from tests.csv_folder import minimal_convention, write_folder

ADMIN = Actor(email="admin@test", role=Role.ADMIN)
DATE_COLUMNS = {
    "date_signature",
    "date_debut",
    "date_fin",
    "date_reference",
    "date_cible",
    "date",
    "date_ouverture",
    "date_fermeture",
    "date_places_nouvelles",
}


def csv_bytes(rows: list[dict], *, separator: str = ";", encoding: str = "cp1252") -> bytes:
    """Rows as a spreadsheet program saves them (`utf-8-sig` writes the BOM)."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]), delimiter=separator, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue().encode(encoding)


def write_csv_folder(folder: Path, sheets: dict[str, list[dict]], **how: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in sheets.items():
        (folder / f"{name}.csv").write_bytes(csv_bytes(rows, **how))
    return folder


def french_day(iso: str) -> str:
    return f"{iso[8:10]}/{iso[5:7]}/{iso[0:4]}" if iso else iso


def frenchified() -> dict[str, list[dict]]:
    """minimal_convention() as a French spreadsheet writes it: day-first dates, `%` after the
    values of a percentage indicator and the progress, `€` after amounts."""
    sheets = minimal_convention()
    for rows in sheets.values():
        for row in rows:
            for name in DATE_COLUMNS & set(row):
                row[name] = french_day(row[name])
    action = sheets["actions"][0]
    action["avancement"] = "40 %"
    action["budget_prevu"] = "1 234,56 €"
    indicator = sheets["indicateurs"][0]
    indicator["valeur_reference"], indicator["valeur_cible"] = "50 %", "60,0 %"
    sheets["mesures"][1]["valeur"] = "54,5 %"
    sheets["postes"][0]["cout_annuel"] = "52 000 €"
    funding = sheets["financements"][0]
    funding["montant_prevu"], funding["montant_notifie"] = "30 000 €", "30\u00a0000,00\u00a0€"
    return sheets


def counts(engine) -> dict[str, int]:
    with Session(engine) as session:
        return table_counts(session)


def all_unchanged(report) -> bool:
    return report.ok and all(c["created"] == c["updated"] == c["corrected"] == 0 for c in report.counts.values())


# ------------------------------------------------------------------ separators and encodings


def test_a_french_excel_folder_imports_as_the_same_data_as_the_iso_folder(engine, tmp_path):
    folder = write_csv_folder(tmp_path / "fr", frenchified(), separator=";", encoding="cp1252")
    report = import_workbook(engine, ADMIN, folder, dry_run=False)
    assert report.ok, report.errors
    assert report.readings["fichier actions.csv"] == "lu en Windows-1252, séparateur « ; »"
    assert len(report.readings) == len(frenchified())
    with Session(engine) as session:
        assert (
            session.exec(select(m.Organisation.name).where(m.Organisation.code == "caf65")).one()
            == "CAF des Hautes-Pyrénées"
        )
        action = session.exec(select(m.Action)).one()
        assert (action.starts_on, action.progress, action.planned_budget) == (date(2023, 6, 1), 40, Decimal("1234.56"))
        values = sorted(session.exec(select(m.Measurement.value)).all())
        assert values == [52.0, 54.5]
    # The version-1 file of the same data finds every row already there, unchanged.
    iso = import_workbook(engine, ADMIN, write_folder(tmp_path / "iso", minimal_convention()), dry_run=False)
    assert all_unchanged(iso), (iso.errors, iso.counts)


def test_ctg_seed_reads_a_semicolon_folder(engine, tmp_path):
    folder = write_csv_folder(tmp_path / "fr", minimal_convention(), separator=";", encoding="utf-8")
    report = load_folder(folder, actor="test", engine=engine)
    assert report.ok, report.errors
    assert counts(engine)["measurements"] == 2


@pytest.mark.parametrize(
    ("separator", "encoding", "said"),
    [
        (";", "utf-8-sig", "lu en UTF-8, séparateur « ; »"),
        (",", "utf-8", "lu en UTF-8, séparateur « , »"),
        ("\t", "cp1252", "lu en Windows-1252, séparateur tabulation"),
        (";", "cp1252", "lu en Windows-1252, séparateur « ; »"),
    ],
)
def test_a_single_uploaded_csv_is_read_in_its_encoding_and_separator(sqlite_engine, separator, encoding, said):
    rows = [{"code": "mam-etoile", "nom": "MAM L'Étoile – Sèvremoine", "type": "association"}]
    report = import_upload(
        sqlite_engine,
        ADMIN,
        "organisations.csv",
        csv_bytes(rows, separator=separator, encoding=encoding),
        dry_run=False,
    )
    assert report.ok, report.errors
    assert report.readings == {"fichier organisations.csv": said}
    with Session(sqlite_engine) as session:
        assert session.exec(select(m.Organisation.name)).all() == ["MAM L'Étoile – Sèvremoine"]


def test_the_apps_own_csv_download_reimports_as_it_is(sqlite_engine):
    frame = pd.DataFrame(
        {
            "code": ["creche-a", "b-2"],
            "nom": ["Crèche « Les Lutins »", "=SOMME(A1)"],
            "type": ["association", "association"],
        }
    )
    report = import_upload(sqlite_engine, ADMIN, "organisations.csv", to_csv_bytes(frame), dry_run=False)
    assert report.ok, report.errors
    assert report.readings == {"fichier organisations.csv": "lu en UTF-8, séparateur « ; »"}
    with Session(sqlite_engine) as session:
        assert sorted(session.exec(select(m.Organisation.name)).all()) == ["=SOMME(A1)", "Crèche « Les Lutins »"]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ("code;nom;type\r\na;Ass\u00e9;association\r\n".encode("utf-16"), "ni en UTF-8 ni en Windows-1252"),
        # Saved twice in different encodings: the UTF-8 "é" and a Windows-1252 "è" in one file.
        (
            "code;nom;type\r\na;Cr\u00e9che;association\r\n".encode()
            + "b;Cr\u00e8che;association\r\n".encode("cp1252"),
            "ni en UTF-8 ni en Windows-1252",
        ),
    ],
)
def test_a_file_in_neither_encoding_is_refused_in_french(sqlite_engine, data, words):
    before = counts(sqlite_engine)
    report = import_upload(sqlite_engine, ADMIN, "organisations.csv", data, dry_run=False)
    assert not report.ok
    assert [error.where for error in report.errors] == ["fichier organisations.csv"]
    assert words in report.errors[0].message
    assert counts(sqlite_engine) == before


def test_a_header_with_no_known_separator_still_says_which_column_is_unknown(sqlite_engine):
    report = import_upload(sqlite_engine, ADMIN, "organisations.csv", b"code|nom|type\r\na|b|autre\r\n", dry_run=True)
    assert [error.column for error in report.errors][:1] == ["code|nom|type"]


# ------------------------------------------------------------------ dates and numbers


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("30/05/2023", date(2023, 5, 30)), ("2023-05-30", date(2023, 5, 30)), ("1/6/2023", date(2023, 6, 1))],
)
def test_a_date_is_read_iso_or_day_first(sqlite_engine, raw, expected):
    rows = minimal_convention()["conventions"]
    rows[0]["date_signature"] = raw
    report = import_upload(sqlite_engine, ADMIN, "conventions.csv", csv_bytes(rows), dry_run=False)
    assert report.ok, report.errors
    with Session(sqlite_engine) as session:
        assert session.exec(select(m.Convention.signed_on)).one() == expected


@pytest.mark.parametrize("raw", ["31/02/2023", "05/30/2023", "30.05.2023", "2023"])
def test_an_impossible_or_foreign_date_is_refused_with_both_forms_named(sqlite_engine, raw):
    rows = minimal_convention()["conventions"]
    rows[0]["date_signature"] = raw
    report = import_upload(sqlite_engine, ADMIN, "conventions.csv", csv_bytes(rows), dry_run=True)
    assert [(error.line, error.column) for error in report.errors] == [(2, "date_signature")]
    assert "AAAA-MM-JJ ou JJ/MM/AAAA" in report.errors[0].message


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2023", "2026", (date(2023, 1, 1), date(2026, 12, 31))),
        ("2023-06", "2024-02", (date(2023, 6, 1), date(2024, 2, 29))),
        ("01/06/2023", "2027", (date(2023, 6, 1), date(2027, 12, 31))),
    ],
)
def test_published_convention_years_mean_first_and_last_day(sqlite_engine, start, end, expected):
    rows = minimal_convention()["conventions"]
    rows[0]["date_debut"], rows[0]["date_fin"] = start, end
    report = import_upload(sqlite_engine, ADMIN, "conventions.csv", csv_bytes(rows), dry_run=False)
    assert report.ok, report.errors
    with Session(sqlite_engine) as session:
        convention = session.exec(select(m.Convention)).one()
        assert (convention.starts_on, convention.ends_on) == expected


def test_a_year_alone_is_only_a_convention_period(sqlite_engine, tmp_path):
    sheets = minimal_convention()
    sheets["actions"][0]["date_debut"] = "2023"
    report = import_workbook(sqlite_engine, ADMIN, write_folder(tmp_path / "f", sheets), dry_run=True)
    assert [(error.where, error.column) for error in report.errors] == [("fichier actions.csv", "date_debut")]


@pytest.mark.parametrize(
    ("unit", "raw", "expected"),
    [
        ("%", "58,5 %", 58.5),
        ("%", "58,5", 58.5),
        ("%", "58.5%", 58.5),
        ("heures", "1 234,5", 1234.5),
        ("heures", "1\u202f234,5", 1234.5),
    ],
)
def test_a_measured_value_reads_in_the_indicators_own_unit(sqlite_engine, tmp_path, unit, raw, expected):
    sheets = minimal_convention()
    sheets["indicateurs"][0].update(unite=unit, max="2000")
    sheets["mesures"][0]["valeur"] = str(expected)  # a previous value of the same order: no ×10 warning
    sheets["mesures"][1]["valeur"] = raw
    folder = write_csv_folder(tmp_path / "f", sheets, separator=";", encoding="utf-8")
    report = import_workbook(sqlite_engine, ADMIN, folder, dry_run=False)
    assert report.ok, report.errors
    with Session(sqlite_engine) as session:
        assert (
            session.exec(select(m.Measurement.value).where(m.Measurement.measured_on == date(2024, 12, 31))).one()
            == expected
        )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12 500 €", Decimal("12500")), ("12\u00a0500,50\u00a0€", Decimal("12500.50")), ("12500", Decimal("12500"))],
)
def test_an_amount_reads_with_its_spaces_and_euro_sign(sqlite_engine, tmp_path, raw, expected):
    sheets = minimal_convention()
    sheets["financements"][0]["montant_verse"] = raw
    folder = write_csv_folder(tmp_path / "f", sheets, separator=";", encoding="cp1252")
    report = import_workbook(sqlite_engine, ADMIN, folder, dry_run=False)
    assert report.ok, report.errors
    with Session(sqlite_engine) as session:
        assert session.exec(select(m.FundingLine)).one().paid == expected


def test_a_percent_sign_on_an_amount_is_still_refused(sqlite_engine, tmp_path):
    sheets = minimal_convention()
    sheets["financements"][0]["montant_verse"] = "50 %"
    report = import_workbook(sqlite_engine, ADMIN, write_folder(tmp_path / "f", sheets), dry_run=True)
    assert [(error.where, error.column) for error in report.errors] == [("fichier financements.csv", "montant_verse")]


# ------------------------------------------------------------------ the command line


def test_ctg_import_of_a_french_folder_says_how_each_file_was_read(ctg_command, sqlite_url, tmp_path):
    folder = write_csv_folder(tmp_path / "fr", frenchified(), separator=";", encoding="cp1252")
    ran = ctg_command(sqlite_url, "import", str(folder), "--dry-run")
    assert ran.returncode == 0, ran.stderr
    assert "fichier actions.csv : lu en Windows-1252, séparateur « ; »" in ran.stdout.splitlines()
    assert "Simulation : rien n'a été écrit." in ran.stdout


def test_ctg_import_of_an_unreadable_file_names_both_encodings(ctg_command, sqlite_url, tmp_path):
    source = tmp_path / "organisations.csv"
    source.write_bytes("code;nom;type\r\na;Crèche;association\r\n".encode("utf-16"))
    ran = ctg_command(sqlite_url, "import", str(source))
    assert ran.returncode == 1
    assert "ni en UTF-8 ni en Windows-1252" in ran.stderr


# ------------------------------------------------------------------ the documentation's examples


def test_the_french_examples_of_docs_format_md_read_and_type_without_error():
    from ctg_data.interchange.tables import read_csv
    from ctg_data.interchange.typing import type_rows

    doc = (Path(__file__).resolve().parent.parent / "docs" / "format.md").read_text(encoding="utf-8")
    section = doc[doc.index("## Fichiers CSV d'un tableur français") : doc.index("## Le classeur Excel")]
    examples = dict(re.findall(r"`(\w+\.csv)` \([^)]*\)\n\n```csv\n(.*?)```", section, re.DOTALL))
    assert sorted(examples) == ["conventions.csv", "financements.csv", "mesures.csv"]
    for name, text in examples.items():
        table, errors = read_csv(name.removesuffix(".csv"), name, text.encode("cp1252"))
        assert not errors and table is not None
        assert str(table.reading) == "lu en Windows-1252, séparateur « ; »"
        rows, errors = type_rows(table)
        assert not errors and len(rows) == 1
    conventions = type_rows(read_csv("conventions", "c", examples["conventions.csv"].encode())[0])[0]
    assert (conventions[0][1]["date_debut"], conventions[0][1]["date_fin"]) == (date(2023, 1, 1), date(2026, 12, 31))
