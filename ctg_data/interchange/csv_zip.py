"""The exchange format as CSV files in a zip: docs/format.md's folder form (one `<feuille>.csv`
per sheet, as seeds/), zipped. An export too long for Excel's sheets is written this way, and
`ctg import FICHIER.zip` reads it back as it would the unzipped folder.

Written as Excel's « CSV UTF-8 » (a byte order mark, commas), dates AAAA-MM-JJ and numbers with
a decimal point, as the seed folders: reading it back gives exactly the exported values. Text a
spreadsheet would execute gets the workbook's apostrophe (`neutralise`); the import takes it off.
Rows are written as they come: a million measurements are never held in memory.
"""

import csv
import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from ctg_data.interchange.guide import FORMAT_ORDER
from ctg_data.interchange.sheets import SHEETS_BY_NAME
from ctg_data.interchange.tables import FormatError, LoadError, Table, read_csv, readings
from ctg_data.interchange.workbook import neutralise

ZIP_MIME = "application/zip"
NOT_ZIP = "Le fichier n'est pas une archive .zip lisible."


def write_csv_zip(out: BinaryIO, rows: Mapping[str, Iterable[Sequence[object]]]) -> None:
    """Every sheet of docs/format.md as `<sheet>.csv` in a zip written to `out` (a sheet without
    rows keeps its header, as the workbook keeps its tab)."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in FORMAT_ORDER:
            # force_zip64: a national measurements file may pass 4 GB uncompressed in time.
            with archive.open(f"{name}.csv", "w", force_zip64=True) as member:
                text = io.TextIOWrapper(member, encoding="utf-8-sig", newline="")
                writer = csv.writer(text, lineterminator="\r\n")
                writer.writerow(SHEETS_BY_NAME[name].column_names)
                writer.writerows(tuple(map(csv_text, values)) for values in rows.get(name, ()))
                text.flush()
                text.detach()  # the member is closed by its own `with`


def csv_text(value: object) -> str:
    """A value as the folder form writes it (and the import reads it back exactly)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        value = Decimal(repr(value))  # the shortest text of the float, never 1e-05
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def read_csv_zip(path: Path) -> list[Table]:
    """The `<sheet>.csv` files of a zip, read as `tables.read_csv_folder` reads a folder (a zip
    holding the folder itself is read too). Other files are left aside, as in a folder; a CSV
    file named after no sheet is an error."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise FormatError([LoadError(f"fichier {path.name}", None, None, NOT_ZIP)]) from None
    tables: list[Table] = []
    errors: list[LoadError] = []
    with archive:
        for info in sorted(archive.infolist(), key=lambda info: info.filename):
            member = PurePosixPath(info.filename)
            if info.is_dir() or member.suffix.lower() != ".csv" or "__MACOSX" in member.parts:
                continue
            where = f"fichier {member}"
            if member.stem not in SHEETS_BY_NAME:
                message = "feuille inconnue ; feuilles possibles : " + ", ".join(SHEETS_BY_NAME)
                errors.append(LoadError(where, None, None, message))
                continue
            table, file_errors = read_csv(member.stem, where, archive.read(info))
            errors += file_errors
            if table is not None:
                tables.append(table)
    if not tables and not errors:
        errors.append(LoadError(f"fichier {path.name}", None, None, "aucun fichier .csv dans cette archive"))
    if errors:
        raise FormatError(errors, readings(tables))
    return tables


__all__ = ["ZIP_MIME", "csv_text", "read_csv_zip", "write_csv_zip"]
