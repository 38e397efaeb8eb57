"""Export files: the exchange workbook (.xlsx) when every sheet fits in an Excel sheet, else the
same sheets as CSV files in a zip (docs/format.md's folder form, interchange.csv_zip), with the
reason said in French. A sheet is never split: the format names each tab after its sheet, so a
second « mesures » tab would not import again.

The row counts are known before anything is written (the measurements are counted in SQL,
export.StreamedRows), so the page names its download and the command line its file correctly.
"""

import io
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Engine
from sqlmodel import Session

from ctg_data.actors import COMMAND_LINE, Actor
from ctg_data.formats import format_number
from ctg_data.interchange.csv_zip import ZIP_MIME, write_csv_zip
from ctg_data.interchange.export import SheetRows, export_sheets
from ctg_data.interchange.guide import FORMAT_ORDER
from ctg_data.interchange.workbook import referential_lists, write_workbook_to

# The rows of an Excel sheet, its header included (Excel 2007 and later, LibreOffice alike).
EXCEL_ROWS = 1_048_576
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Form(StrEnum):
    XLSX = "xlsx"
    ZIP = "zip"  # CSV files in a zip


@dataclass(frozen=True)
class ExportPlan:
    """What an export is written as, and why CSV files when it is not the workbook."""

    form: Form
    reason: str | None = None

    @property
    def mime(self) -> str:
        return XLSX_MIME if self.form == Form.XLSX else ZIP_MIME


@dataclass(frozen=True)
class Written:
    path: Path
    plan: ExportPlan


class TooLongForExcel(ValueError):
    """A workbook was asked for, and a sheet passes Excel's limit (the data grew since the plan)."""


def too_long_reason(counts: dict[str, int]) -> str | None:
    """Why the export cannot be a workbook (the first sheet, in the format's order, whose rows and
    header pass EXCEL_ROWS), in French; None when every sheet fits."""
    for name in FORMAT_ORDER:
        count = counts.get(name, 0)
        if count + 1 > EXCEL_ROWS:
            return (
                f"L'onglet {name} compte {format_number(count)} lignes, au-delà de la limite d'Excel "
                f"({format_number(EXCEL_ROWS)}) : l'export est proposé en fichiers CSV dans un zip."
            )
    return None


def plan_of(sheets: dict[str, SheetRows]) -> ExportPlan:
    reason = too_long_reason({name: len(rows) for name, rows in sheets.items()})
    return ExportPlan(Form.XLSX) if reason is None else ExportPlan(Form.ZIP, reason)


def export_plan(engine: Engine, *, convention_code: str | None = None, actor: Actor = COMMAND_LINE) -> ExportPlan:
    """Whether the export fits in a workbook (the page names its download before the click)."""
    with Session(engine) as session:
        return plan_of(export_sheets(session, convention_code=convention_code, actor=actor))


def write_export(
    engine: Engine,
    out: BinaryIO,
    *,
    convention_code: str | None = None,
    actor: Actor = COMMAND_LINE,
    form: Form | None = None,
) -> ExportPlan:
    """Write the export of one convention, or of everything the actor may read, to `out`: as
    `form`, or (None) as its plan says. Raises TooLongForExcel when a workbook is asked for and
    a sheet does not fit."""
    with Session(engine) as session:
        sheets = export_sheets(session, convention_code=convention_code, actor=actor)
        plan = _chosen(plan_of(sheets), form)
        _write(engine, out, sheets, plan)
    return plan


def export_bytes(
    engine: Engine, *, convention_code: str | None = None, actor: Actor = COMMAND_LINE, form: Form | None = None
) -> bytes:
    """`write_export` into memory (a page's download)."""
    buffer = io.BytesIO()
    write_export(engine, buffer, convention_code=convention_code, actor=actor, form=form)
    return buffer.getvalue()


def export_to_path(
    engine: Engine, path: Path | str, *, convention_code: str | None = None, actor: Actor = COMMAND_LINE
) -> Written:
    """Export to a file (`ctg export`, the benchmark's « export of everything »): `x.zip` asks for
    CSV files; `x.xlsx` gives the workbook, or, when a sheet passes Excel's limit, `x.zip` beside
    it (the returned path and plan say which, and why)."""
    path = Path(path)
    with Session(engine) as session:
        sheets = export_sheets(session, convention_code=convention_code, actor=actor)
        plan = _chosen(plan_of(sheets), Form.ZIP if path.suffix.lower() == ".zip" else None)
        target = path if plan.form == Form.XLSX else path.with_suffix(".zip")
        with open(target, "wb") as out:
            _write(engine, out, sheets, plan)
    return Written(target, plan)


def _chosen(plan: ExportPlan, form: Form | None) -> ExportPlan:
    if form == Form.XLSX and plan.form == Form.ZIP:
        raise TooLongForExcel(plan.reason)
    return ExportPlan(Form.ZIP, plan.reason) if form == Form.ZIP else plan


def _write(engine: Engine, out: BinaryIO, sheets: dict[str, SheetRows], plan: ExportPlan) -> None:
    if plan.form == Form.XLSX:
        write_workbook_to(out, sheets, lists=referential_lists(engine))
    else:
        write_csv_zip(out, sheets)


__all__ = [
    "EXCEL_ROWS",
    "ExportPlan",
    "Form",
    "TooLongForExcel",
    "Written",
    "export_bytes",
    "export_plan",
    "export_to_path",
    "too_long_reason",
    "write_export",
]
