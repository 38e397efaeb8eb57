"""The Excel side of the format: reading an .xlsx into the same `Table`s as a CSV folder, and
writing the template and exports (one tab per sheet, header notes, drop-down lists, guide).

Reading never evaluates anything: a formula cell is refused, naming the cell. Writing never
produces one: every text is a plain string cell, and a text that a spreadsheet would take for
a formula (starting with = + - @) gets a leading apostrophe, which reading takes off again.
"""

import io
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from typing import BinaryIO

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.cell.read_only import EmptyCell, ReadOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet  # what read_only=True gives; no public alias
from openpyxl.worksheet._write_only import WriteOnlyWorksheet  # what write_only=True gives; no public alias
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import Engine

from ctg_data.interchange import parsing
from ctg_data.interchange.guide import (
    FORMAT_ORDER,
    GUIDE_SHEET,
    INTRODUCTION,
    SHEET_TABLE_HEADER,
    column_note,
    sheet_table,
)
from ctg_data.interchange.limits import NOT_XLSX
from ctg_data.interchange.sheets import SHEETS_BY_NAME, Column, Sheet
from ctg_data.interchange.tables import FormatError, LoadError, Table, check_header
from ctg_data.queries import referentials
from ctg_data.vocabulary import (
    DOMAIN_CODES,
    LEVER_CODES,
    PLACE_CATEGORIES,
    ActionStatus,
    Attendance,
    DecisionStatus,
    Direction,
    FacilityType,
    Frequency,
    IndicatorNature,
    MeasurementType,
    MeetingKind,
    MeetingStatus,
    OrganisationType,
    RateBasis,
)

LISTS_SHEET = "listes"
HELPER_SHEETS = (GUIDE_SHEET, LISTS_SHEET)
# What makes a spreadsheet read a text cell as a formula (OWASP "CSV injection"): the four
# operators, and a tab or carriage return before them.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
LAST_ROW = 1_048_576  # drop-down lists cover the whole column below the header
AUTHOR = "Tableau de bord CTG"

# The drop-down lists of the hidden `listes` sheet, one column each. The four referentials are
# data: a workbook written from a database lists its entries (`referential_lists`); these are
# their defaults, for a workbook written without one.
LISTS: dict[str, tuple[str, ...]] = {
    "domaine": DOMAIN_CODES,
    "levier": LEVER_CODES,
    "statut": tuple(ActionStatus),
    "type_organisation": tuple(OrganisationType),
    "type_equipement": tuple(FacilityType),
    "nature": tuple(IndicatorNature),
    "base": tuple(RateBasis),
    "categorie_place": tuple(PLACE_CATEGORIES),
    "sens": tuple(Direction),
    "frequence": tuple(Frequency),
    "type_mesure": tuple(MeasurementType),
    # The steering cycle (format v2).
    "type_reunion": tuple(MeetingKind),
    "statut_reunion": tuple(MeetingStatus),
    "presence": tuple(Attendance),
    "statut_decision": tuple(DecisionStatus),
    "oui_non": ("oui", "non"),
}
# The list of the codes a `ref` column names, for the referentials.
REFERENCE_LISTS = {
    "domain": "domaine",
    "lever": "levier",
    "organisation_type": "type_organisation",
    "facility_type": "type_equipement",
}
Lists = Mapping[str, Sequence[str]]
NUMBER_FORMATS = {"date": "yyyy-mm-dd", "money": "#,##0.00", "rate": "#,##0.00##"}
WIDTHS = {"text": 40, "date": 12, "bool": 8, "list": 24, "insee": 11, "money": 14, "rate": 12}
WIDE_TEXT = {"description", "commentaire", "intitule", "nom", "source", "source_reference"}


# ------------------------------------------------------------------ text neutralisation


def neutralise(text: str) -> str:
    """Prefix an apostrophe to text a spreadsheet would execute. Text that already starts with
    apostrophes before such a character gets one more, so that `restore` gives it back exactly.
    The one neutralisation of the app: the exchange workbook and every table download use it."""
    return "'" + text if text.lstrip("'").startswith(FORMULA_START) else text


def restore(text: str) -> str:
    """Undo `neutralise`."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_START):
        return text[1:]
    return text


# ------------------------------------------------------------------ reading


def read_workbook(data: bytes) -> list[Table]:
    """Every data sheet of an .xlsx as a Table (header row 1, fully empty rows skipped).
    Raises FormatError listing every problem of every sheet."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl fails in many ways on a damaged or foreign file
        raise FormatError([LoadError("classeur", None, None, NOT_XLSX)]) from None
    tables: list[Table] = []
    errors: list[LoadError] = []
    try:
        for name in book.sheetnames:
            if name in HELPER_SHEETS:
                continue
            where = f"feuille {name}"
            if name not in SHEETS_BY_NAME:
                errors.append(
                    LoadError(where, None, None, "feuille inconnue ; feuilles possibles : " + ", ".join(FORMAT_ORDER))
                )
                continue
            worksheet = book[name]
            if not hasattr(worksheet, "iter_rows"):
                errors.append(LoadError(where, None, None, "cet onglet n'est pas une feuille de données"))
                continue
            table, sheet_errors = _read_sheet(name, worksheet)
            errors += sheet_errors
            if table is not None:
                tables.append(table)
    except Exception:
        raise FormatError([LoadError("classeur", None, None, NOT_XLSX)]) from None
    finally:
        book.close()
    if errors:
        raise FormatError(errors)
    return tables


def _read_sheet(name: str, worksheet: ReadOnlyWorksheet) -> tuple[Table | None, list[LoadError]]:
    where = f"feuille {name}"
    worksheet.reset_dimensions()  # some writers store a wrong size; read what is there
    rows = worksheet.iter_rows()
    header, errors = _read_header(where, next(rows, ()))
    if header is None:
        if not errors and any(not parsing.is_blank(cell.value) for cells in rows for cell in cells):
            errors.append(
                LoadError(
                    where, 1, None, "ligne d'en-tête vide : les noms des colonnes sont attendus en première ligne"
                )
            )
        return None, errors  # a blank tab is an absent sheet
    errors += check_header(name, where, header)
    table = Table(name, where, header)
    for line, cells in enumerate(rows, start=2):
        values: list[object] = []
        row_errors: list[LoadError] = []
        for position, cell in enumerate(cells):
            value = cell.value
            if parsing.is_blank(value):
                values.append(None)
                continue
            coordinate = f"{get_column_letter(position + 1)}{line}"
            column = header[position] if position < len(header) else None
            if column is None:
                row_errors.append(
                    LoadError(where, line, None, f"valeur hors des colonnes du format (cellule {coordinate})")
                )
            elif cell.data_type == "f":
                row_errors.append(
                    LoadError(
                        where, line, column, f"formule interdite (cellule {coordinate}) : saisir la valeur elle-même"
                    )
                )
            elif cell.data_type == "e":
                row_errors.append(
                    LoadError(where, line, column, f"cellule en erreur « {value} » (cellule {coordinate})")
                )
            values.append(_plain(value))
        if all(value is None for value in values):
            continue
        errors += row_errors
        values = (values + [None] * len(header))[: len(header)]
        table.rows.append((line, dict(zip(header, values, strict=True))))
    return table, errors


def _read_header(
    where: str, cells: Iterable[ReadOnlyCell | EmptyCell]
) -> tuple[tuple[str, ...] | None, list[LoadError]]:
    names = [None if parsing.is_blank(cell.value) else str(cell.value).strip() for cell in cells]
    while names and names[-1] is None:
        names.pop()
    if not names:
        return None, []
    blanks = [get_column_letter(i + 1) for i, name in enumerate(names) if name is None]
    if blanks:
        return None, [LoadError(where, 1, None, f"en-tête vide en colonne {letter}") for letter in blanks]
    return tuple(name for name in names if name is not None), []  # none is blank here


def _plain(value: object) -> object:
    """A cell's value as the parsers take it: text with its neutralising apostrophe removed,
    whole numbers as int, midnight datetimes (how spreadsheets store dates) as dates."""
    if isinstance(value, str):
        return restore(value)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, datetime) and value.time() == time(0, 0):
        return value.date()
    return value


# ------------------------------------------------------------------ writing


def referential_lists(engine: Engine) -> dict[str, tuple[str, ...]]:
    """The drop-down lists of the referentials as the database holds them (defaults and the
    entries administrators added), in their display order."""
    return {
        "domaine": tuple(referentials.domains(engine)),
        "levier": tuple(referentials.levers(engine)),
        "type_organisation": tuple(referentials.organisation_types(engine)),
        "type_equipement": tuple(referentials.facility_types(engine)),
    }


SheetsRows = Mapping[str, Iterable[Sequence[object]]]  # sheet → its rows, values in column order


def write_workbook(rows: SheetsRows | None = None, *, lists: Lists | None = None) -> bytes:
    """The exchange workbook as bytes (see `write_workbook_to`). With no rows it is the empty template."""
    buffer = io.BytesIO()
    write_workbook_to(buffer, rows, lists=lists)
    return buffer.getvalue()


def write_workbook_to(out: BinaryIO, rows: SheetsRows | None = None, *, lists: Lists | None = None) -> None:
    """The exchange workbook: the guide, one tab per sheet (docs/format.md order) holding `rows`
    (values in the sheet's column order; at most Excel's row limit, see export_files), and the
    hidden drop-down lists (`lists`: those of a database, see `referential_lists`; default: the
    referentials' defaults). Written in openpyxl's write-only mode: rows go to disk as they come,
    so a national export's million measurements are never held as cells."""
    rows = rows or {}
    every_list = {**LISTS, **(lists or {})}
    book = Workbook(write_only=True)
    _write_guide(book.create_sheet(GUIDE_SHEET))
    for name in FORMAT_ORDER:
        _write_sheet(book.create_sheet(name), SHEETS_BY_NAME[name], rows.get(name, ()), every_list)
    sheet = book.create_sheet(LISTS_SHEET)
    sheet.sheet_state = "hidden"
    # One column per list: written row by row, the lists side by side.
    for line in itertools.zip_longest(*((name, *values) for name, values in every_list.items())):
        sheet.append(line)
    book.save(out)


def write_template(engine: Engine | None = None) -> bytes:
    """The empty workbook; with `engine`, its drop-down lists are that database's referentials."""
    return write_workbook(lists=None if engine is None else referential_lists(engine))


def _write_guide(worksheet: WriteOnlyWorksheet) -> None:
    for letter, width in zip("ABCDE", (110, 50, 40, 50, 30), strict=True):
        worksheet.column_dimensions[letter].width = width
    line = 0
    for line, (text, title) in enumerate(INTRODUCTION, start=1):
        cell = WriteOnlyCell(worksheet, value=text or None)
        if title:
            cell.font = Font(bold=True, size=14 if line == 1 else 12)
        worksheet.append([cell])
    for values in (SHEET_TABLE_HEADER, *sheet_table()):
        cells = []
        for value in values:
            cell = WriteOnlyCell(worksheet, value=value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if values is SHEET_TABLE_HEADER:
                cell.font = Font(bold=True)
            cells.append(cell)
        worksheet.append(cells)


def _write_sheet(worksheet: WriteOnlyWorksheet, sheet: Sheet, rows: Iterable[Sequence[object]], lists: Lists) -> None:
    # Write-only: column widths, frozen panes and drop-downs are set before the first row.
    header_fill = PatternFill("solid", start_color="DCE6F1")
    header: list[WriteOnlyCell] = []
    for position, column in enumerate(sheet.columns, start=1):
        cell = WriteOnlyCell(worksheet, value=column.name)
        cell.font = Font(bold=column.required)
        cell.fill = header_fill
        cell.comment = Comment(column_note(sheet, column), AUTHOR, width=260, height=90)
        header.append(cell)
        letter = get_column_letter(position)
        worksheet.column_dimensions[letter].width = _width(column)
        _add_drop_down(worksheet, column, letter, lists)
    worksheet.freeze_panes = "A2"
    worksheet.append(header)
    formats = [NUMBER_FORMATS.get(column.kind) for column in sheet.columns]
    for values in rows:
        worksheet.append(
            [_cell(worksheet, value, number_format) for value, number_format in zip(values, formats, strict=True)]
        )


def _cell(worksheet: WriteOnlyWorksheet, value: object, number_format: str | None) -> object:
    """A cell's value, or a styled cell where a value would not do: a text such as #N/A (an error
    code to openpyxl) forced to text, a money or rate number formatted. Plain values elsewhere:
    cheaper by far than a million cell objects."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        value = neutralise(value)
        if value not in ERROR_CODES and not value.startswith("="):  # neutralised text never starts with "="
            return value
        cell = WriteOnlyCell(worksheet, value=value)
        cell.data_type = "s"
        return cell
    if number_format is None or isinstance(value, date):  # openpyxl gives a date yyyy-mm-dd itself
        return value
    cell = WriteOnlyCell(worksheet, value=value)
    cell.number_format = number_format
    return cell


def _width(column: Column) -> int:
    if column.name in WIDE_TEXT:
        return 50
    return max(len(column.name) + 4, WIDTHS.get(column.kind, 16))


def _list_name(column: Column) -> str | None:
    if column.kind == "bool":
        return "oui_non"
    if column.kind == "ref" and column.ref in REFERENCE_LISTS:
        return REFERENCE_LISTS[column.ref]
    if column.kind == "choice":
        return next(name for name, values in LISTS.items() if values == column.choices)
    return None


def _add_drop_down(worksheet: WriteOnlyWorksheet, column: Column, letter: str, lists: Lists) -> None:
    name = _list_name(column)
    if name is None:
        return
    position = list(lists).index(name) + 1
    source = get_column_letter(position)
    validation = DataValidation(
        type="list",
        formula1=f"{LISTS_SHEET}!${source}$2:${source}${len(lists[name]) + 1}",
        allow_blank=not column.required,
        showErrorMessage=True,
        errorTitle="Valeur inconnue",
        error="Choisissez une valeur de la liste déroulante.",
    )
    validation.add(f"{letter}2:{letter}{LAST_ROW}")
    worksheet.data_validations.append(validation)  # what Worksheet.add_data_validation does


def read_values(data: bytes) -> dict[str, list[tuple[object, ...]]]:
    """Every cell value of every tab, by tab (for comparing workbooks by content, not bytes)."""
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        return {name: [tuple(row) for row in book[name].iter_rows(values_only=True)] for name in book.sheetnames}
    finally:
        book.close()


__all__ = [
    "HELPER_SHEETS",
    "LISTS_SHEET",
    "neutralise",
    "read_values",
    "read_workbook",
    "referential_lists",
    "restore",
    "write_template",
    "write_workbook",
    "write_workbook_to",
]
