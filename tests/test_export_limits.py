"""Exports past Excel's limits: a sheet longer than an Excel sheet makes the export CSV files in a
zip (docs/format.md's folder form), the reason said on the page and by `ctg export`, and that zip
imports back to the same data. The limit is made small here (export_files.EXCEL_ROWS), the data
too. Listing and exporting conventions send as many statements for six conventions as for two."""

import io
import zipfile
from pathlib import Path

import pytest
from sqlmodel import Session

from ctg_data.actors import Actor, Role
from ctg_data.diagnostics import count_statements
from ctg_data.interchange import export_files, load_folder
from ctg_data.interchange.csv_zip import read_csv_zip
from ctg_data.interchange.export import export_rows, exportable_conventions
from ctg_data.interchange.export_files import Form, TooLongForExcel, export_bytes, export_plan, export_to_path
from ctg_data.interchange.guide import FORMAT_ORDER
from ctg_data.interchange.importer import import_workbook
from ctg_data.interchange.sheets import SHEETS_BY_NAME
from ctg_data.interchange.workbook import read_workbook
from ctg_data.ui.text import escape_markdown
from tests.conftest import drop_postgres_database
from tests.csv_folder import minimal_convention, write_folder
from tests.test_export_roundtrip import _empty_like
from tests.test_import_page import page

ADMIN = Actor(email="admin@test", role=Role.ADMIN)
READER = Actor(email="lecteur@test", role=Role.LECTEUR)
COMMENT = 'Dit "oui", puis ; et , sur\ndeux lignes'
# Indicator codes in an order where a locale's collation and Python's disagree (case, - . _).
CODES = ("TX", "b", "B", "a_1", "a.1", "a-1")
REASON = "valeur confirmée par la CAF"


@pytest.fixture
def other_engine(database_url, request, tmp_path):
    """Another freshly migrated, empty database of the same kind as `engine`."""
    engine, url = _empty_like(database_url, request, tmp_path)
    yield engine
    engine.dispose()
    if not url.startswith("sqlite"):
        drop_postgres_database(url)


def sheets(conventions: tuple[str, ...] = ("ctg-t",)) -> dict[str, list[dict]]:
    """minimal_convention with six indicators and eleven measurements per convention: texts a CSV
    must quote, a formula-like text, floats and a value far from the previous one (its reason
    travels with it); copied under each code of `conventions`."""
    base = minimal_convention()
    tx = base["indicateurs"][0]
    base["indicateurs"] = [tx | {"code": code, "nom": f"Indicateur {code}"} for code in CODES]
    measured = [
        ("TX", "2023-06-30", "33.333333333333336", "", ""),
        ("TX", "2023-09-30", "0.1", COMMENT, REASON),
        ("TX", "2023-12-31", "52", "=SOMME(A1)", REASON),
        ("TX", "2024-06-30", "55.25", "-5 % @ revoir", ""),
        ("TX", "2024-12-31", "54,5", "", ""),
        *((code, "2024-12-31", "12", "", "") for code in CODES[1:]),
    ]
    base["mesures"] = [
        {
            "convention": "ctg-t",
            "indicateur": code,
            "date": day,
            "valeur": value,
            "type": "resultat",
            "source": "CAF",
            "commentaire": comment,
            "motif_derogation": reason,
        }
        for code, day, value, comment, reason in measured
    ]
    copied: dict[str, list[dict]] = {}
    for name, rows in base.items():
        if "convention" in SHEETS_BY_NAME[name].column_names:
            copied[name] = [row | {"convention": code} for code in conventions for row in rows]
        elif name == "conventions":
            copied[name] = [row | {"code": code, "nom": f"CTG {code}"} for code in conventions for row in rows]
        else:
            copied[name] = rows
    return copied


def load(engine, tmp_path: Path, conventions: tuple[str, ...] = ("ctg-t",)) -> None:
    folder = write_folder(tmp_path / f"folder-{len(conventions)}", sheets(conventions))
    report = load_folder(folder, actor="test", engine=engine)
    assert report.ok, report.errors


def longest_first_sheet(rows: dict[str, list]) -> int:
    """A limit that only the measurements pass: every sheet before them fits, header included."""
    before = FORMAT_ORDER[: FORMAT_ORDER.index("mesures")]
    limit = len(rows["mesures"])  # the measurements and their header are one row too many
    assert all(len(rows[name]) + 1 <= limit for name in before)
    return limit


def reason(count: int, limit: int) -> str:
    def french(n: int) -> str:
        return f"{n:,}".replace(",", "\u202f")  # the French thousands separator

    return (
        f"L'onglet mesures compte {french(count)} lignes, au-delà de la limite d'Excel ({french(limit)}) : "
        "l'export est proposé en fichiers CSV dans un zip."
    )


def test_the_limit_is_excels_and_the_message_says_it_in_french():
    assert export_files.EXCEL_ROWS == 1_048_576
    assert export_files.too_long_reason({"mesures": 1_440_000}) == reason(1_440_000, 1_048_576)
    assert export_files.too_long_reason({"mesures": 1_048_575}) is None  # with its header: the last row


def test_an_export_past_the_limit_is_csv_files_in_a_zip_that_imports_back_identically(
    engine, other_engine, tmp_path, monkeypatch
):
    load(engine, tmp_path)
    with Session(engine) as session:
        rows = export_rows(session)
    assert len(rows["mesures"]) == 5 + len(CODES) - 1
    monkeypatch.setattr(export_files, "EXCEL_ROWS", longest_first_sheet(rows))

    written = export_to_path(engine, tmp_path / "tout.xlsx")
    assert written.path == tmp_path / "tout.zip" and not (tmp_path / "tout.xlsx").exists()
    assert written.plan.form == Form.ZIP
    assert written.plan.reason == reason(len(rows["mesures"]), export_files.EXCEL_ROWS)
    with zipfile.ZipFile(written.path) as archive:
        assert archive.namelist() == [f"{name}.csv" for name in FORMAT_ORDER]
    assert sum(len(table.rows) for table in read_csv_zip(written.path)) == sum(map(len, rows.values()))

    report = import_workbook(other_engine, ADMIN, written.path, dry_run=False)
    assert report.ok, report.errors
    with Session(other_engine) as session:
        assert export_rows(session) == rows
    again = import_workbook(engine, ADMIN, written.path, dry_run=False)
    assert again.ok and not again.changed


def test_measurements_stream_in_the_order_python_sorts_their_key(engine, tmp_path):
    load(engine, tmp_path, ("ctg-t", "ctg_t", "CTG-T"))
    with Session(engine) as session:
        measured = export_rows(session)["mesures"]
    key = SHEETS_BY_NAME["mesures"].key
    at = [SHEETS_BY_NAME["mesures"].column_names.index(name) for name in key]
    expected = sorted(measured, key=lambda row: tuple((0, "") if row[i] is None else (1, row[i]) for i in at))
    assert measured == expected and len(measured) == 3 * 10


def test_the_same_export_within_the_limit_is_the_workbook_with_the_same_values(engine, tmp_path):
    load(engine, tmp_path)
    with Session(engine) as session:
        rows = export_rows(session)
    written = export_to_path(engine, tmp_path / "tout.xlsx")
    assert written.path == tmp_path / "tout.xlsx" and written.plan.form == Form.XLSX and written.plan.reason is None
    (measured,) = [table for table in read_workbook(written.path.read_bytes()) if table.sheet == "mesures"]
    columns = SHEETS_BY_NAME["mesures"].column_names
    expected = [dict(zip(columns, row, strict=True)) for row in rows["mesures"]]
    # A workbook keeps 16 significant digits (openpyxl; Excel shows 15): 33.333333333333336 comes
    # back 33.33333333333334. The CSV files keep every digit (the test above).
    for row in expected:
        row["valeur"] = pytest.approx(row["valeur"], rel=1e-15)
    assert [cells for _, cells in measured.rows] == expected
    zipped = export_to_path(engine, tmp_path / "tout.zip")  # CSV files asked for by name
    assert zipped.path == tmp_path / "tout.zip" and zipped.plan.form == Form.ZIP and zipped.plan.reason is None


def test_a_workbook_asked_for_past_the_limit_is_refused_with_the_reason(engine, tmp_path, monkeypatch):
    load(engine, tmp_path)
    monkeypatch.setattr(export_files, "EXCEL_ROWS", 10)
    with pytest.raises(TooLongForExcel, match="au-delà de la limite d'Excel"):
        export_bytes(engine, form=Form.XLSX)
    data = export_bytes(engine)  # as its plan says: CSV files
    assert zipfile.is_zipfile(io.BytesIO(data))


def test_ctg_export_past_the_limit_writes_the_zip_and_says_why(ctg_command, sqlite_url, tmp_path, monkeypatch):
    from ctg_data.db import make_engine

    engine = make_engine(sqlite_url)
    load(engine, tmp_path)
    engine.dispose()
    monkeypatch.setattr(export_files, "EXCEL_ROWS", 10)  # the ten measurements and their header pass it
    ran = ctg_command(sqlite_url, "export", str(tmp_path / "tout.xlsx"))
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == [
        reason(10, 10),
        f"Export de toutes les conventions écrit dans {tmp_path / 'tout.zip'}.",
    ]
    assert not (tmp_path / "tout.xlsx").exists()
    imported = ctg_command(sqlite_url, "import", str(tmp_path / "tout.zip"), "--dry-run")
    assert imported.returncode == 0, imported.stderr
    assert "Simulation : rien n'a été écrit." in imported.stdout


def test_the_page_offers_csv_files_in_a_zip_saying_why(demo_app, demo_engine, monkeypatch):
    with Session(demo_engine) as session:
        rows = export_rows(session, convention_code="ctg-lourdes-2023")
    monkeypatch.setattr(export_files, "EXCEL_ROWS", longest_first_sheet(rows))
    at = page()
    assert [info.value for info in at.info] == [escape_markdown(reason(len(rows["mesures"]), export_files.EXCEL_ROWS))]
    assert [d.label for d in at.get("download_button")] == [
        "Télécharger le modèle (.xlsx)",
        "Exporter la convention (.zip)",
    ]
    plan = export_plan(demo_engine, convention_code="ctg-lourdes-2023", actor=ADMIN)
    assert plan.form == Form.ZIP and plan.mime == "application/zip"


def test_listing_and_exporting_conventions_sends_as_many_statements_for_six_as_for_two(engine, other_engine, tmp_path):
    load(engine, tmp_path, ("ctg-a", "ctg-b"))
    load(other_engine, tmp_path, ("ctg-a", "ctg-b", "ctg-c", "ctg-d", "ctg-e", "ctg-f"))

    def statements(database) -> int:
        with count_statements(database) as counted:
            listed = exportable_conventions(database, READER)
            export_bytes(database, actor=READER)
            export_plan(database, convention_code="ctg-a", actor=READER)
        assert "ctg-a" in listed
        return counted.count

    assert statements(engine) == statements(other_engine)
