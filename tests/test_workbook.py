"""The exchange workbook: the template, reading a workbook like a CSV folder, and every kind of
malformed upload refused whole, with the sheet, line and column of each problem."""

import io
import zipfile
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.actors import Actor, Role
from ctg_data.errors import PermissionDenied, SettingError
from ctg_data.interchange.guide import FORMAT_ORDER, GUIDE_SHEET
from ctg_data.interchange.importer import import_upload, import_workbook
from ctg_data.interchange.limits import NOT_XLSX, check_upload
from ctg_data.interchange.sheets import SHEETS_BY_NAME
from ctg_data.interchange.tables import FormatError, read_csv_folder
from ctg_data.interchange.typing import type_rows
from ctg_data.interchange.workbook import neutralise, read_workbook, restore, write_template
from ctg_data.reports.integrity import table_counts
from ctg_data.settings import max_upload_mb
from tests.csv_folder import minimal_convention, write_folder

ADMIN = Actor(email="admin@test", role=Role.ADMIN)
CONSEILLER = Actor(email="conseiller@test", role=Role.CONSEILLER)


class Formula(str):
    """A cell to write as a real formula (everything else is written as plain text)."""


def build(sheets: dict[str, list[dict]], *, typed: bool = False) -> bytes:
    """A workbook as a person would fill it: one tab per sheet, header row, text cells (or,
    with `typed`, real dates and numbers where the text is one)."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        header = list(rows[0]) if rows else list(SHEETS_BY_NAME[name].column_names)
        sheet.append(header)
        for line, row in enumerate(rows, start=2):
            for position, column in enumerate(header, start=1):
                value = row.get(column)
                if value in (None, ""):
                    continue
                cell = sheet.cell(row=line, column=position, value=_typed(value) if typed else value)
                if isinstance(cell.value, str) and not isinstance(value, Formula):
                    cell.data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _typed(value: str):
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    try:
        return int(value) if value.isdigit() else value
    except ValueError:
        return value


def counts(engine) -> dict[str, int]:
    with Session(engine) as session:
        return table_counts(session)


def messages(report) -> list[str]:
    return [str(error) for error in report.errors]


# ------------------------------------------------------------------ the template


def test_the_template_has_the_guide_every_sheet_in_format_order_and_the_hidden_lists():
    book = load_workbook(io.BytesIO(write_template()))
    assert book.sheetnames == [GUIDE_SHEET, *FORMAT_ORDER, "listes"]
    assert set(FORMAT_ORDER) == set(SHEETS_BY_NAME)
    assert book["listes"].sheet_state == "hidden"
    guide = "\n".join(str(cell.value) for row in book[GUIDE_SHEET].iter_rows() for cell in row if cell.value)
    for name in FORMAT_ORDER:
        assert name in guide
    for words in ("rien n'est écrit", "correction", "historique", "AAAA-MM-JJ", "apostrophe"):
        assert words in guide


def test_each_template_sheet_has_its_columns_with_required_ones_bold_and_noted():
    book = load_workbook(io.BytesIO(write_template()))
    for name, sheet in SHEETS_BY_NAME.items():
        worksheet = book[name]
        header = [cell for cell in worksheet[1] if cell.value is not None]
        assert tuple(cell.value for cell in header) == sheet.column_names, name
        assert worksheet.freeze_panes == "A2"
        assert worksheet.max_row == 1
        for cell, column in zip(header, sheet.columns, strict=True):
            assert cell.font.b == column.required, (name, column.name)
            assert cell.comment.text.startswith("Obligatoire" if column.required else "Facultatif")
            assert worksheet.column_dimensions[cell.column_letter].width >= len(column.name)


def test_the_template_offers_a_drop_down_for_each_referential_column():
    book = load_workbook(io.BytesIO(write_template()))
    lists = book["listes"]
    columns = {
        lists.cell(1, c).value: [lists.cell(r, c).value for r in range(2, lists.max_row + 1) if lists.cell(r, c).value]
        for c in range(1, lists.max_column + 1)
    }
    expected = {  # docs/format.md, Referentials (version 2 defaults)
        ("actions", "domaine"): "petite_enfance enfance jeunesse parentalite acces_aux_droits inclusion_numerique "
        "animation_vie_sociale logement handicap accompagnement_social sante seniors insertion mobilite",
        ("actions", "statut"): "non_renseigne a_venir en_cours en_pause realisee abandonnee",
        ("organisations", "type"): "caf departement region commune epci ccas cias syndicat cpam msa etat "
        "education_nationale france_travail association autre",
        ("equipements", "type"): "eaje alsh accueil_jeunes rpe laep ludotheque centre_social evs mam micro_creche "
        "france_services",
        ("bareme", "type_equipement"): "eaje alsh accueil_jeunes rpe laep ludotheque centre_social evs mam "
        "micro_creche france_services",
        ("financements", "levier"): "bonus_territoire cofinancement_diagnostic cofinancement_ingenierie "
        "cofinancement_coordination prestation_service fonds_publics_territoires bonus_inclusion_handicap "
        "bonus_mixite_sociale subvention autre",
        ("indicateurs", "nature"): "nombre etape",
        ("bareme", "base"): "par_place par_heure forfait par_etp taux_cout",
        ("indicateurs", "sens"): "hausse baisse",
        ("indicateurs", "frequence"): "mensuelle trimestrielle semestrielle annuelle",
        ("mesures", "type"): "resultat estimation",
        ("communes", "qpv"): "oui non",
        ("equipements", "psu"): "oui non",
    }
    for (sheet, column), values in expected.items():
        worksheet = book[sheet]
        letter = worksheet.cell(1, SHEETS_BY_NAME[sheet].column_names.index(column) + 1).column_letter
        found = [v for v in worksheet.data_validations.dataValidation if f"{letter}2:{letter}" in str(v.sqref)]
        assert len(found) == 1, (sheet, column)
        validation = found[0]
        assert validation.type == "list" and validation.showErrorMessage
        source = validation.formula1.split("!")[1].replace("$", "").split(":")[0][0]
        header = lists[f"{source}1"].value
        assert columns[header] == values.split(), (sheet, column)
    # Free text and codes get no list.
    assert not any("A2:A" in str(v.sqref) for v in book["organisations"].data_validations.dataValidation)


def test_the_template_holds_no_formula_anywhere():
    book = load_workbook(io.BytesIO(write_template()))
    for worksheet in book.worksheets:
        for row in worksheet.iter_rows():
            assert not any(cell.data_type == "f" for cell in row), worksheet.title


def test_the_empty_template_reads_as_every_sheet_with_no_rows_and_is_refused_as_an_import(engine):
    tables = read_workbook(write_template())
    assert sorted(table.sheet for table in tables) == sorted(SHEETS_BY_NAME)
    assert all(not table.rows for table in tables)
    report = import_workbook(engine, ADMIN, write_template(), dry_run=False)
    assert messages(report) == ["fichier : aucune ligne à importer"]


# ------------------------------------------------------------------ reading


@pytest.mark.parametrize("typed", [False, True], ids=["text-cells", "date-and-number-cells"])
def test_a_workbook_reads_into_the_same_typed_rows_as_the_csv_folder(tmp_path, typed):
    sheets = minimal_convention()
    from_csv = {t.sheet: type_rows(t)[0] for t in read_csv_folder(write_folder(tmp_path / "f", sheets))}
    from_xlsx = {t.sheet: type_rows(t)[0] for t in read_workbook(build(sheets, typed=typed))}
    assert from_xlsx == from_csv


def test_french_dates_numbers_and_years_in_text_cells_read_as_their_iso_cells(tmp_path):
    iso = minimal_convention()
    french = minimal_convention()
    french["conventions"][0].update(date_signature="30/05/2023", date_debut="01/06/2023", date_fin="31/05/2027")
    french["actions"][0].update(avancement="40 %", budget_prevu="1 234,56 €")
    french["mesures"][1]["valeur"] = "54,5 %"
    french["postes"][0]["date_debut"] = "01/09/2023"
    typed = {t.sheet: type_rows(t)[0] for t in read_workbook(build(french))}
    assert typed == {t.sheet: type_rows(t)[0] for t in read_workbook(build(iso))}
    years = minimal_convention()
    years["conventions"][0].update(date_debut="2023", date_fin=2026)
    ((_, convention),) = type_rows(next(t for t in read_workbook(build(years)) if t.sheet == "conventions"))[0]
    assert (convention["date_debut"], convention["date_fin"]) == (date(2023, 1, 1), date(2026, 12, 31))


def test_fully_empty_rows_are_skipped_and_lines_are_the_spreadsheets_row_numbers():
    sheets = {
        "organisations": [
            {"code": "a", "nom": "A", "type": "caf"},
            {"code": "", "nom": "", "type": ""},
            {"code": "b", "nom": "B", "type": "autre"},
        ]
    }
    (table,) = read_workbook(build(sheets))
    assert [(line, row["code"]) for line, row in table.rows] == [(2, "a"), (4, "b")]


def test_a_valid_workbook_is_imported_whole(engine):
    sheets = minimal_convention()
    report = import_workbook(engine, ADMIN, build(sheets, typed=True), dry_run=False)
    assert report.ok, messages(report)
    for sheet, rows in sheets.items():
        assert report.counts[sheet]["created"] == len(rows), sheet
    with Session(engine) as session:
        action = session.exec(select(m.Action)).one()
        assert action.description == "=SOMME(A1)"  # a text cell, not a formula
        assert action.starts_on == date(2023, 6, 1)


def test_a_dry_run_reports_the_counts_and_writes_nothing(engine):
    before = counts(engine)
    report = import_workbook(engine, ADMIN, build(minimal_convention()), dry_run=True)
    assert report.ok and report.counts["mesures"]["created"] == 2
    assert counts(engine) == before


def test_progress_is_reported_per_sheet_up_to_every_row(engine):
    sheets = minimal_convention()
    calls = []
    report = import_workbook(
        engine,
        ADMIN,
        build(sheets),
        dry_run=True,
        progress=lambda sheet, done, total: calls.append((sheet, done, total)),
    )
    assert report.ok
    total = sum(len(rows) for rows in sheets.values())
    assert calls[-1] == ("financements", total, total)
    assert [done for _, done, _ in calls] == sorted(done for _, done, _ in calls)
    assert {sheet for sheet, _, _ in calls} == set(sheets)


# ------------------------------------------------------------------ malformed workbooks


def _without_organisations():
    sheets = minimal_convention()
    del sheets["organisations"]
    return build(sheets)


def _extra_column():
    sheets = minimal_convention()
    sheets["actions"][0]["remarque"] = "en trop"
    return build(sheets)


def _wrong_type():
    sheets = minimal_convention()
    sheets["conventions"][0]["date_debut"] = "1er juin"
    return build(sheets)


def _unknown_code():
    sheets = minimal_convention()
    sheets["mesures"][1]["indicateur"] = "TX-INCONNU"
    return build(sheets)


def _duplicate_code():
    sheets = minimal_convention()
    sheets["organisations"].append(dict(sheets["organisations"][0], nom="Autre nom"))
    return build(sheets)


def _formula_cell():
    sheets = minimal_convention()
    sheets["actions"][0]["budget_prevu"] = Formula("=1000*2")
    return build(sheets)


def _error_cell():
    sheets = minimal_convention()
    book = load_workbook(io.BytesIO(build(sheets)))
    book["indicateurs"]["H2"] = "#N/A"  # openpyxl writes this as an error cell
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _unknown_sheet():
    sheets = minimal_convention()
    book = load_workbook(io.BytesIO(build(sheets)))
    book.create_sheet("Feuil1")["A1"] = "notes"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _value_outside_the_columns():
    sheets = minimal_convention()
    book = load_workbook(io.BytesIO(build(sheets)))
    book["communes"]["G2"] = "égaré"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _zip_that_is_not_a_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def _truncated_workbook():
    data = build(minimal_convention())
    return data[: len(data) // 2]


MALFORMED = [
    (
        "missing-sheet",
        _without_organisations,
        [
            "feuille actions, ligne 2, colonne « pilote » : code « ville » inconnu (organisation)",
            "feuille signataires, ligne 2, colonne « organisation » : code « caf65 » inconnu (organisation)",
        ],
    ),
    (
        "extra-column",
        _extra_column,
        ["feuille actions, ligne 1, colonne « remarque » : colonne inconnue dans ce format"],
    ),
    ("wrong-type", _wrong_type, ["feuille conventions, ligne 2, colonne « date_debut » : date « 1er juin » invalide"]),
    ("unknown-code", _unknown_code, ["feuille mesures, ligne 3, colonne « indicateur » : code « TX-INCONNU » inconnu"]),
    ("duplicate-code", _duplicate_code, ["feuille organisations, ligne 5 : doublon de la ligne 2 (même clé : code)"]),
    (
        "formula-cell",
        _formula_cell,
        ["feuille actions, ligne 2, colonne « budget_prevu » : formule interdite (cellule P2)"],
    ),
    (
        "error-cell",
        _error_cell,
        ["feuille indicateurs, ligne 2, colonne « valeur_reference » : cellule en erreur « #N/A » (cellule H2)"],
    ),
    ("unknown-sheet", _unknown_sheet, ["feuille Feuil1 : feuille inconnue"]),
    (
        "value-outside-columns",
        _value_outside_the_columns,
        ["feuille communes, ligne 2 : valeur hors des colonnes du format (cellule G2)"],
    ),
    ("empty-file", lambda: b"", ["fichier import.xlsx : Le fichier est vide."]),
    ("non-xlsx-bytes", lambda: b"%PDF-1.7 not a workbook", [f"fichier import.xlsx : {NOT_XLSX}"]),
    ("old-xls", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, [f"fichier import.xlsx : {NOT_XLSX}"]),
    ("zip-not-xlsx", _zip_that_is_not_a_workbook, [f"fichier import.xlsx : {NOT_XLSX}"]),
    ("truncated-xlsx", _truncated_workbook, [f"fichier import.xlsx : {NOT_XLSX}"]),
]


@pytest.mark.parametrize(
    ("make", "expected"), [(make, expected) for _, make, expected in MALFORMED], ids=[name for name, _, _ in MALFORMED]
)
def test_a_malformed_workbook_is_refused_whole_saying_where(engine, make, expected):
    before = counts(engine)
    report = import_upload(engine, ADMIN, "import.xlsx", make(), dry_run=False)
    assert not report.ok
    found = messages(report)
    for message in expected:
        assert any(text.startswith(message) for text in found), (message, found)
    assert counts(engine) == before


def test_a_refused_workbook_writes_none_of_its_valid_rows_even_when_the_error_is_in_the_last_sheet(engine):
    sheets = minimal_convention()
    sheets["financements"][0]["financeur"] = "inconnu"
    before = counts(engine)
    report = import_upload(engine, ADMIN, "import.xlsx", build(sheets), dry_run=False)
    assert messages(report) == [
        "feuille financements, ligne 2, colonne « financeur » : code « inconnu » inconnu (organisation)"
    ]
    assert counts(engine) == before


def test_a_database_refusal_in_a_later_lot_rolls_back_the_earlier_lots(engine, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    from ctg_data.interchange.loader import Load

    real = Load.apply

    def failing(self, table, rows):
        if table.sheet == "mesures":
            raise IntegrityError("INSERT", {}, Exception("contrainte refusée"))
        return real(self, table, rows)

    monkeypatch.setattr(Load, "apply", failing)
    before = counts(engine)
    report = import_upload(engine, ADMIN, "import.xlsx", build(minimal_convention()), dry_run=False)
    # The database's own (English, technical) words never reach the person importing.
    assert messages(report) == [
        "feuille mesures : la base de données a refusé une ligne (lignes 2 à 3) : rien n'a été importé"
    ]
    assert counts(engine) == before


# ------------------------------------------------------------------ upload limits and kinds


def test_an_upload_over_the_size_limit_is_refused_before_parsing(monkeypatch):
    monkeypatch.setenv("CTG_MAX_UPLOAD_MB", "0.01")
    data = build(minimal_convention()) + b"\0" * 20_000
    with pytest.raises(FormatError) as refused:
        check_upload("gros.xlsx", data)
    assert str(refused.value).startswith("fichier gros.xlsx : Le fichier pèse ")
    assert "la limite est de 0 Mo" not in str(refused.value)


def test_the_size_limit_is_20_mb_unless_set(monkeypatch):
    monkeypatch.delenv("CTG_MAX_UPLOAD_MB", raising=False)
    assert max_upload_mb() == 20
    monkeypatch.setenv("CTG_MAX_UPLOAD_MB", "5")
    assert max_upload_mb() == 5


def test_an_unusable_size_limit_is_said_in_french_naming_the_setting(monkeypatch):
    monkeypatch.setenv("CTG_MAX_UPLOAD_MB", "beaucoup")
    with pytest.raises(SettingError) as wrong:
        max_upload_mb()
    assert str(wrong.value) == (
        "Le réglage CTG_MAX_UPLOAD_MB vaut « beaucoup » : un nombre strictement positif est attendu."
    )
    with pytest.raises(SettingError):
        check_upload("import.xlsx", build(minimal_convention()))  # never the default instead


def test_a_size_refusal_reaches_the_import_report_and_writes_nothing(engine, monkeypatch):
    monkeypatch.setenv("CTG_MAX_UPLOAD_MB", "0.001")
    before = counts(engine)
    report = import_upload(engine, ADMIN, "import.xlsx", build(minimal_convention()), dry_run=False)
    assert len(report.errors) == 1 and "la limite est de" in messages(report)[0]
    assert counts(engine) == before


def test_a_workbook_that_inflates_far_beyond_the_limit_is_refused(monkeypatch):
    monkeypatch.setenv("CTG_MAX_UPLOAD_MB", "0.05")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", " " * 5_000_000)
    with pytest.raises(FormatError, match="anormalement volumineux"):
        check_upload("bombe.xlsx", buffer.getvalue())


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.pdf", b"%PDF", "Format de fichier non pris en charge"),
        ("classeur.xlsm", b"PK\x03\x04", "Format de fichier non pris en charge"),
        # Latin-1 "é" is Windows-1252 "é": read (tests/test_french_spreadsheets.py); UTF-16 is neither.
        ("mesures.csv", "valeur;é".encode("utf-16"), "n'est pas un fichier CSV valide : le texte n'est ni en UTF-8"),
        ("mesures.csv", b"PK\x03\x04\x00\x00binary", "n'est pas un fichier CSV valide"),
    ],
)
def test_a_file_that_is_not_what_it_claims_is_refused(name, data, message):
    with pytest.raises(FormatError, match=message):
        check_upload(name, data)


def test_a_single_csv_file_counts_as_the_sheet_it_is_named_after(engine, tmp_path):
    sheets = minimal_convention()
    assert import_workbook(engine, ADMIN, write_folder(tmp_path / "f", sheets), dry_run=False).ok
    line = "ctg-t,TX,2025-12-31,'=57,resultat,CAF,'@note\n"
    data = ("convention,indicateur,date,valeur,type,source,commentaire\n" + line).encode()
    report = import_upload(engine, ADMIN, "mesures.csv", data, dry_run=False)
    assert messages(report) == ["fichier mesures.csv, ligne 2, colonne « valeur » : nombre attendu, « =57 » reçu"]
    report = import_upload(engine, ADMIN, "mesures.csv", data.replace(b"'=57", b"57"), dry_run=False)
    assert report.ok and report.counts == {"mesures": {"created": 1}}
    with Session(engine) as session:
        added = session.exec(select(m.Measurement).where(m.Measurement.measured_on == date(2025, 12, 31))).one()
    assert added.value == 57 and added.comment == "@note"
    refused = import_upload(engine, ADMIN, "mesures-2025.csv", data, dry_run=False)
    assert "le nom du fichier doit être celui d'une feuille" in messages(refused)[0]


# ------------------------------------------------------------------ who may import


@pytest.mark.parametrize("role", [Role.LECTEUR, Role.PARTENAIRE])
def test_only_administrators_and_advisors_may_import(engine, role):
    actor = Actor(email="x@test", role=role, organisation_id=1)
    with pytest.raises(PermissionDenied):
        import_upload(engine, actor, "import.xlsx", build(minimal_convention()), dry_run=True)


def test_an_advisor_may_not_create_referentials_but_may_import_follow_up(engine, tmp_path):
    sheets = minimal_convention()
    before = counts(engine)
    report = import_upload(engine, CONSEILLER, "import.xlsx", build(sheets), dry_run=False)
    refusal = "Votre rôle (conseiller CAF) ne permet pas de modifier les référentiels."
    assert [f"feuille organisations, ligne {line} : {refusal}" for line in (2, 3, 4)] == messages(report)[:3]
    assert counts(engine) == before
    assert import_upload(engine, ADMIN, "import.xlsx", build(sheets), dry_run=False).ok
    sheets["mesures"][1]["valeur"] = "56"
    report = import_upload(engine, CONSEILLER, "import.xlsx", build(sheets), dry_run=False)
    assert report.ok, messages(report)
    assert report.counts["mesures"]["corrected"] == 1 and report.counts["organisations"]["unchanged"] == 3
    with Session(engine) as session:
        event = session.exec(select(m.AuditEvent).where(m.AuditEvent.operation == "import:correction")).one()
    assert event.actor == "conseiller@test"


# ------------------------------------------------------------------ neutralising text


@pytest.mark.parametrize(
    "text",
    ["=SOMME(A1)", "+33 6 12 34 56 78", "-5 %", "@cmd", "'=déjà cité", "''+deux", "'simple", "normal", "a=b", ""],
)
def test_neutralising_text_is_undone_exactly_by_the_import(text):
    written = neutralise(text)
    assert not written.lstrip("'").startswith(("=", "+", "-", "@")) or written.startswith("'")
    assert restore(written) == text


# One neutralisation for the exchange workbook and the table downloads, with the stricter rule of
# the two: a tab or a carriage return starts a formula too (the workbook's rule missed them), and
# text already quoted gets one more quote (the downloads' rule missed that, so `'=x` came back `=x`).
@pytest.mark.parametrize("text", ["\t=1+1", "\r=1+1", "\tplain", "'=x", "''@y", "=x", "-1"])
def test_the_workbook_and_the_downloads_neutralise_alike(text):
    import pandas as pd

    from ctg_data.reports import exports

    assert neutralise(text).startswith("'")
    assert restore(neutralise(text)) == text
    frame = pd.DataFrame({"Texte": [text]})
    assert exports.neutralised(frame).loc[0, "Texte"] == neutralise(text)
