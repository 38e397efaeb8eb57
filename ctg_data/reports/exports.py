"""Table downloads for French spreadsheet users: .xlsx (openpyxl) and .csv (UTF-8 with BOM,
`;` separator, decimal comma) with French headers. Pure pandas/openpyxl, usable by any page.

A text cell that starts with = + - @ (or a tab / carriage return) is prefixed with a single
quote: a spreadsheet must show such a value, never execute it as a formula (the exchange
workbook's `neutralise`, one rule for every file the app writes).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ctg_data.formats import missing
from ctg_data.interchange.workbook import neutralise

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"
MONEY_FORMAT = '#,##0.00 "€"'


@dataclass(frozen=True)
class ExportFile:
    label: str
    data: bytes
    file_name: str
    mime: str


def export_frame(frame: pd.DataFrame, headers: dict[str, str]) -> pd.DataFrame:
    """The columns named in `headers` (in that order), renamed to their French header."""
    return frame[list(headers)].rename(columns=headers).reset_index(drop=True)


def _neutral(value: object) -> object:
    return neutralise(value) if isinstance(value, str) else value


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    result = frame.copy()
    for column in result.columns:
        result[column] = result[column].map(_clean).map(_neutral).astype(object)
    result.columns = [neutralise(str(column)) for column in result.columns]
    return result


def _clean(value: object) -> object:
    """None for every flavour of "missing", plain Python values for the rest."""
    if missing(value) and not isinstance(value, str):
        return None
    if isinstance(value, tuple):
        return ";".join(str(item) for item in value)
    if hasattr(value, "item") and not isinstance(value, (str, Decimal)):
        return value.item()  # numpy scalar
    return value


def _csv_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (Decimal, float)):
        return format(value, "f").replace(".", ",")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM and `;`: what French Excel opens without an import wizard."""
    clean = neutralised(frame)
    text = clean.map(_csv_text).to_csv(sep=";", index=False, lineterminator="\r\n")
    return ("\ufeff" + text).encode("utf-8")


def to_xlsx_bytes(frame: pd.DataFrame, sheet: str = "Données", money_columns: tuple[str, ...] = ()) -> bytes:
    """One sheet, bold header, money cells as numbers in euros (Decimal is written as a number)."""
    clean = neutralised(frame)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        name = re.sub(r"[\[\]:*?/\\]", " ", sheet)[:31] or "Données"
        clean.to_excel(writer, sheet_name=name, index=False)
        worksheet = writer.sheets[name]
        for position, column in enumerate(clean.columns, start=1):
            letter = get_column_letter(position)
            worksheet[f"{letter}1"].font = Font(bold=True)
            longest = max([len(str(column)), *(len(str(v)) for v in clean[column] if v is not None)])
            worksheet.column_dimensions[letter].width = min(60, longest + 2)
            if column in money_columns:
                for cell in worksheet[letter][1:]:
                    cell.number_format = MONEY_FORMAT
        worksheet.freeze_panes = "A2"
    return buffer.getvalue()


def export_files(
    frame: pd.DataFrame, basename: str, *, sheet: str = "Données", money_columns: tuple[str, ...] = ()
) -> list[ExportFile]:
    """The two downloads of a table, ready for st.download_button."""
    return [
        ExportFile("Télécharger (.xlsx)", to_xlsx_bytes(frame, sheet, money_columns), f"{basename}.xlsx", XLSX_MIME),
        ExportFile("Télécharger (.csv)", to_csv_bytes(frame), f"{basename}.csv", CSV_MIME),
    ]
