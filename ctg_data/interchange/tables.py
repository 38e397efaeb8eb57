"""Reading sheets into plain tables (CSV folders here; workbooks share the same shape),
and the error type every step of an import reports with."""

import csv
import io
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


@dataclass
class Table:
    """One sheet as read: where it came from, its header, and its rows with their line numbers."""

    sheet: str
    where: str
    header: tuple[str, ...]
    rows: list[tuple[int, dict[str, object]]] = field(default_factory=list)  # cells by column name


class FormatError(Exception):
    def __init__(self, errors: list[LoadError]):
        super().__init__("\n".join(map(str, errors)))
        self.errors = errors


def check_header(sheet_name: str, where: str, header: tuple[str, ...]) -> list[LoadError]:
    sheet = SHEETS_BY_NAME[sheet_name]
    errors: list[LoadError] = []
    for name in header:
        if name not in sheet.column_names:
            errors.append(LoadError(where, 1, name, "colonne inconnue dans ce format "
                                    f"(colonnes possibles : {', '.join(sheet.column_names)})"))
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
            errors.append(LoadError(where, None, None, "feuille inconnue ; feuilles possibles : "
                                    + ", ".join(SHEETS_BY_NAME)))
            continue
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            errors.append(LoadError(where, None, None, "le fichier n'est pas en UTF-8"))
            continue
        reader = csv.reader(io.StringIO(text, newline=""))  # keeps line breaks inside quoted cells
        header = tuple(name.strip() for name in next(reader, []))
        if not header:
            errors.append(LoadError(where, None, None, "fichier vide : une ligne d'en-tête est attendue"))
            continue
        header_errors = check_header(path.stem, where, header)
        errors += header_errors
        table = Table(path.stem, where, header)
        for line, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                errors.append(LoadError(where, line, None,
                                        f"{len(cells)} valeurs pour {len(header)} colonnes"))
                continue
            table.rows.append((line, dict(zip(header, cells, strict=True))))
        tables.append(table)
    if not tables and not errors:
        errors.append(LoadError(str(folder), None, None, "aucun fichier .csv dans ce dossier"))
    if errors:
        raise FormatError(errors)
    return tables
