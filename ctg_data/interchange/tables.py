"""Reading sheets into plain tables (CSV folders here; workbooks share the same shape),
and the error type every step of an import reports with."""

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from ctg_data.interchange.sheets import SHEETS_BY_NAME


@dataclass(frozen=True)
class LoadError:
    where: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        parts = [self.where]
        if self.line is not None:
            parts.append(f"ligne {self.line}")
        if self.column:
            parts.append(f"colonne « {self.column} »")
        return ", ".join(parts) + f" : {self.message}"


# What a CSV file may be separated with, and how a report names it.
SEPARATORS = {",": "« , »", ";": "« ; »", "\t": "tabulation"}
NOT_DECODED = (
    "le texte n'est ni en UTF-8 ni en Windows-1252 ; enregistrez le fichier depuis le tableur "
    "en « CSV UTF-8 » ou en « CSV (séparateur : point-virgule) »"
)
# UTF-8 accented letters and typographic signs (« é » is C3 A9, « ’ » is E2 80 99): in a file that
# is not UTF-8 they mean two encodings mixed, which no single reading gets right.
MIXED_UTF8 = re.compile(rb"\xc3[\x80-\xbf]|\xc2[\xa0-\xbf]|\xe2\x80[\x80-\xbf]")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class CsvReading:
    """How a CSV file was read, as the import report says it."""

    encoding: str
    separator: str

    def __str__(self) -> str:
        return f"lu en {self.encoding}, séparateur {SEPARATORS[self.separator]}"


@dataclass
class Table:
    """One sheet as read: where it came from, its header, and its rows with their line numbers."""

    sheet: str
    where: str
    header: tuple[str, ...]
    rows: list[tuple[int, dict[str, object]]] = field(default_factory=list)  # cells by column name
    reading: CsvReading | None = None  # a CSV file's encoding and separator; None for a workbook


class FormatError(Exception):
    def __init__(self, errors: list[LoadError], readings: dict[str, str] | None = None):
        super().__init__("\n".join(map(str, errors)))
        self.errors = errors
        self.readings = readings or {}  # how the CSV files that could be read were read


def readings(tables: list[Table]) -> dict[str, str]:
    """Where each CSV file was read from → how (« lu en Windows-1252, séparateur « ; » »)."""
    return {table.where: str(table.reading) for table in tables if table.reading is not None}


def check_header(sheet_name: str, where: str, header: tuple[str, ...]) -> list[LoadError]:
    sheet = SHEETS_BY_NAME[sheet_name]
    errors: list[LoadError] = []
    for name in header:
        if name not in sheet.column_names:
            errors.append(
                LoadError(
                    where,
                    1,
                    name,
                    f"colonne inconnue dans ce format (colonnes possibles : {', '.join(sheet.column_names)})",
                )
            )
    for column in sheet.columns:
        if column.required and column.name not in header:
            errors.append(LoadError(where, 1, column.name, "colonne obligatoire absente"))
    duplicates = {name for name in header if header.count(name) > 1}
    errors += [LoadError(where, 1, name, "colonne en double") for name in sorted(duplicates)]
    return errors


def read_csv_folder(folder: Path | str) -> list[Table]:
    """Read every `<sheet>.csv` of a folder. Unknown files are an error: a misspelt sheet name
    must not be silently skipped."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FormatError([LoadError(str(folder), None, None, "dossier introuvable")])
    tables: list[Table] = []
    errors: list[LoadError] = []
    for path in sorted(folder.glob("*.csv")):
        where = f"fichier {path.name}"
        if path.stem not in SHEETS_BY_NAME:
            errors.append(
                LoadError(where, None, None, "feuille inconnue ; feuilles possibles : " + ", ".join(SHEETS_BY_NAME))
            )
            continue
        table, file_errors = read_csv(path.stem, where, path.read_bytes())
        errors += file_errors
        if table is not None:
            tables.append(table)
    if not tables and not errors:
        errors.append(LoadError(str(folder), None, None, "aucun fichier .csv dans ce dossier"))
    if errors:
        raise FormatError(errors, readings(tables))
    return tables


def read_csv(sheet: str, where: str, data: bytes) -> tuple[Table | None, list[LoadError]]:
    """One CSV file of a sheet, in the encoding and with the separator it was saved with."""
    try:
        text, encoding = decode(data)
    except ValueError as error:
        return None, [LoadError(where, None, None, str(error))]
    reading = CsvReading(encoding, separator(text))
    # newline="" keeps line breaks inside quoted cells
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=reading.separator)
    header = tuple(name.strip() for name in next(reader, []))
    if not header:
        return None, [LoadError(where, None, None, "fichier vide : une ligne d'en-tête est attendue")]
    errors = check_header(sheet, where, header)
    table = Table(sheet, where, header, reading=reading)
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            errors.append(LoadError(where, line, None, f"{len(cells)} valeurs pour {len(header)} colonnes"))
            continue
        table.rows.append((line, dict(zip(header, cells, strict=True))))
    return table, errors


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read in: UTF-8 (with or without the mark
    that Excel's « CSV UTF-8 » puts first), else Windows-1252 (Excel's « CSV (séparateur :
    point-virgule) »). A file that is neither is refused rather than read with wrong letters."""
    try:
        text, encoding = data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        if MIXED_UTF8.search(data):
            raise ValueError(NOT_DECODED) from None
        try:
            text, encoding = data.decode("cp1252"), "Windows-1252"
        except UnicodeDecodeError:  # the five bytes Windows-1252 leaves undefined
            raise ValueError(NOT_DECODED) from None
    if CONTROL.search(text):  # UTF-16 (Excel's « Texte Unicode ») and binary files
        raise ValueError(NOT_DECODED)
    return text, encoding


def separator(text: str) -> str:
    """The separator the header line uses most (column names never hold one); `,` when none."""
    header = text.split("\n", 1)[0]
    return max(SEPARATORS, key=header.count)  # the first of equals: `,`, version 1's separator
