"""`ctg template`, `ctg export` and `ctg import` as an administrator runs them. One test runs
the installed `ctg` program; the others run it in-process (`ctg_command`), which is much quicker."""

import re

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.db import make_engine
from ctg_data.interchange.export import export_workbook
from ctg_data.interchange.guide import FORMAT_ORDER, GUIDE_SHEET
from ctg_data.interchange.workbook import read_values
from ctg_data.reports.integrity import table_counts
from tests.conftest import DEMO_SEED, fresh_sqlite_url
from tests.helpers.cli import run_installed
from tests.test_export_roundtrip import seed_row_count

REPORT_LINE = re.compile(
    r"^(\w+)\s+créées\s+(\d+)\s+modifiées\s+(\d+)\s+corrigées\s+(\d+)\s+inchangées\s+(\d+)$", re.MULTILINE
)


@pytest.fixture
def seeded(demo_sqlite_template, tmp_path):
    """A private SQLite copy of the demo database."""
    return fresh_sqlite_url(demo_sqlite_template, tmp_path)


def counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with Session(engine) as session:
        found = table_counts(session)
    engine.dispose()
    return found


def report(output: str) -> dict[str, tuple[int, ...]]:
    return {sheet: tuple(map(int, numbers)) for sheet, *numbers in REPORT_LINE.findall(output)}


def test_the_installed_ctg_writes_the_empty_template(sqlite_url, tmp_path):
    result = run_installed(sqlite_url, "template", str(tmp_path / "modele.xlsx"))
    assert result.returncode == 0, result.stderr
    assert "Modèle écrit dans" in result.stdout
    book = load_workbook(tmp_path / "modele.xlsx")
    assert book.sheetnames == [GUIDE_SHEET, *FORMAT_ORDER, "listes"]


def test_export_then_dry_run_import_and_reimport_into_an_empty_database(ctg_command, seeded, sqlite_template, tmp_path):
    exported = tmp_path / "export.xlsx"
    ran = ctg_command(seeded, "export", str(exported))
    assert ran.returncode == 0 and f"Export de toutes les conventions écrit dans {exported}." in ran.stdout

    target = fresh_sqlite_url(sqlite_template, tmp_path)
    empty = counts(target)
    dry = ctg_command(target, "import", str(exported), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "Simulation : rien n'a été écrit." in dry.stdout
    assert report(dry.stdout)["mesures"] == (seed_row_count("mesures"), 0, 0, 0)
    assert counts(target) == empty

    applied = ctg_command(target, "import", str(exported))
    assert applied.returncode == 0, applied.stderr
    assert report(applied.stdout) == report(dry.stdout) and "Import terminé." in applied.stdout
    once = counts(target)
    again = ctg_command(target, "import", str(exported))
    assert again.returncode == 0 and "aucune donnée n'a changé" in again.stdout
    assert all(numbers[:3] == (0, 0, 0) for numbers in report(again.stdout).values())
    assert counts(target) == once
    engine = make_engine(target)
    assert read_values(export_workbook(engine)) == read_values(exported.read_bytes())
    engine.dispose()


def test_a_refused_import_exits_1_with_every_error_on_stderr_and_writes_nothing(ctg_command, seeded, tmp_path):
    exported = tmp_path / "export.xlsx"
    engine = make_engine(seeded)
    exported.write_bytes(export_workbook(engine))
    engine.dispose()
    book = load_workbook(exported)
    book["actions"]["J2"] = "fini"  # statut
    book["mesures"]["D3"] = "beaucoup"  # valeur
    book.save(exported)
    before = counts(seeded)
    ran = ctg_command(seeded, "import", str(exported))
    assert ran.returncode == 1
    assert "Import refusé, rien n'a été écrit (2 erreur(s)) :" in ran.stderr
    assert "feuille actions, ligne 2, colonne « statut » : valeur « fini » inconnue" in ran.stderr
    assert "feuille mesures, ligne 3, colonne « valeur » : nombre attendu, « beaucoup » reçu" in ran.stderr
    assert "créées" not in ran.stdout
    assert counts(seeded) == before


def test_a_formula_in_an_imported_workbook_is_refused_naming_its_cell(ctg_command, seeded, tmp_path):
    exported = tmp_path / "export.xlsx"
    assert ctg_command(seeded, "export", str(exported)).returncode == 0
    book = load_workbook(exported)
    book["mesures"]["D3"] = "=1+1"
    book.save(exported)
    ran = ctg_command(seeded, "import", str(exported), "--dry-run")
    assert ran.returncode == 1
    assert "feuille mesures, ligne 3, colonne « valeur » : formule interdite (cellule D3)" in ran.stderr


def test_import_takes_a_folder_of_csv_files_like_the_seeds_and_signs_as_the_command_line(ctg_command, sqlite_url):
    ran = ctg_command(sqlite_url, "import", str(DEMO_SEED))
    assert ran.returncode == 0, ran.stderr
    assert report(ran.stdout)["actions"] == (39, 0, 0, 0)
    engine = make_engine(sqlite_url)
    with Session(engine) as session:
        actors = set(session.exec(select(m.AuditEvent.actor)).all())
    engine.dispose()
    assert actors == {"ctg (ligne de commande)"}


def test_export_of_one_convention(ctg_command, seeded, tmp_path):
    one = tmp_path / "lourdes.xlsx"
    ran = ctg_command(seeded, "export", str(one), "--convention", "ctg-lourdes-2023")
    assert ran.returncode == 0 and "Export de la convention ctg-lourdes-2023 écrit" in ran.stdout
    assert [row[0] for row in read_values(one.read_bytes())["conventions"]] == ["code", "ctg-lourdes-2023"]


@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        (
            ("export", "{tmp}/x.xlsx", "--convention", "nope"),
            2,
            "Convention inconnue : « nope » (conventions enregistrées : ctg-lourdes-2023).",
        ),
        (("export", "{tmp}/x.csv"), 2, "doit porter l'extension .xlsx"),
        (("template", "{tmp}/absent/dossier/x.xlsx"), 1, "Impossible d'écrire"),
        (("import", "{tmp}/absent.xlsx"), 1, "fichier ou dossier introuvable"),
        (("import", "{tmp}/faux.xlsx"), 1, "n'est pas un classeur Excel (.xlsx) valide"),
        (("import", "{tmp}/notes.txt"), 1, "Format de fichier non pris en charge"),
    ],
)
def test_mistakes_are_explained_with_their_exit_code(ctg_command, seeded, tmp_path, args, exit_code, message):
    (tmp_path / "faux.xlsx").write_text("bonjour", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("bonjour", encoding="utf-8")
    ran = ctg_command(seeded, *(arg.format(tmp=tmp_path) for arg in args))
    assert ran.returncode == exit_code
    assert message in ran.stderr


def _first_row(sheet: str) -> dict:
    import csv

    with open(DEMO_SEED / f"{sheet}.csv", encoding="utf-8") as handle:
        return next(csv.DictReader(handle))


def test_cells_no_column_can_hold_are_refused_in_french_without_a_traceback(ctg_command, seeded, tmp_path):
    from tests.csv_folder import write_folder

    folder = write_folder(
        tmp_path / "bad",
        {
            "activite": [_first_row("activite") | {"places": "1" + "0" * 30}],
            "financements": [_first_row("financements") | {"montant_prevu": "1" * 30}],
            "mesures": [_first_row("mesures") | {"valeur": "9" * 400}],
        },
    )
    before = counts(seeded)
    ran = ctg_command(seeded, "import", str(folder))
    assert ran.returncode == 1 and "Traceback" not in ran.stderr
    assert "Import refusé, rien n'a été écrit (3 erreur(s)) :" in ran.stderr
    quoted = {"places": "1" + "0" * 29 + "…", "montant_prevu": "1" * 30, "valeur": "9" * 30 + "…"}  # 30 shown
    for sheet, column in (("activite", "places"), ("financements", "montant_prevu"), ("mesures", "valeur")):
        where = f"fichier {sheet}.csv, ligne 2, colonne « {column} » : nombre « {quoted[column]} » trop grand"
        assert where in ran.stderr
    assert counts(seeded) == before


def test_a_funding_file_without_its_optional_key_columns_is_imported(ctg_command, seeded, tmp_path):
    from tests.csv_folder import write_folder

    line = {
        key: value for key, value in _first_row("financements").items() if key not in ("equipement", "action", "poste")
    }
    ran = ctg_command(seeded, "import", str(write_folder(tmp_path / "f", {"financements": [line]})), "--dry-run")
    assert ran.returncode == 0, ran.stderr
    assert "Simulation : rien n'a été écrit." in ran.stdout
