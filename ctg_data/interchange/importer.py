"""Importing a workbook, a CSV file or a folder of CSV files: everything is checked, then
applied in one transaction; a dry run, or any error, rolls everything back.

Only the roles holding Capability.IMPORT (administrators and CAF advisors) import, and each
row that changes something must be one the person may write through the forms or the
Référentiels page (interchange.rights): only administrators change the referentials and the
plan. The rows are applied by `load_tables` in lots, in the order of sheets.py, inside the same
session, so that a caller can show progress on a large file: the lots of one import see each
other's rows exactly as one call would, and every row was typed and checked for duplicate keys
over the whole file before the first lot. Any error rolls the whole import back; the lots go
on after an error so that every sheet's errors are reported, except after a row someone else
saved meanwhile (loader.CONFLICT): that error spends the unit of work and ends the import.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePath
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from ctg_data.actors import Actor
from ctg_data.db import for_writing
from ctg_data.interchange.csv_zip import read_csv_zip
from ctg_data.interchange.limits import check_upload
from ctg_data.interchange.loader import Load, LoadReport
from ctg_data.interchange.sheets import SHEETS_BY_NAME
from ctg_data.interchange.tables import FormatError, LoadError, Table, read_csv, read_csv_folder, readings
from ctg_data.interchange.workbook import read_workbook, restore
from ctg_data.permissions import Capability, require

Progress = Callable[[str, int, int], None]  # (sheet, rows done, rows in the file)
log = logging.getLogger(__name__)
LOT = 200


@dataclass
class ImportReport(LoadReport):
    """What an import did, and how each CSV file was read: where → « lu en UTF-8, séparateur « ; » »."""

    readings: dict[str, str] = field(default_factory=dict)


def refused(error: FormatError) -> ImportReport:
    return ImportReport(errors=list(error.errors), readings=error.readings)


def import_upload(
    engine: Engine,
    actor: Actor,
    name: str,
    data: bytes,
    *,
    dry_run: bool,
    progress: Progress | None = None,
    size_limit: bool = True,
    shared_updates: bool = False,
) -> ImportReport:
    """An uploaded .xlsx workbook, or one .csv file named after its sheet (mesures.csv).
    `shared_updates`: an administrator's request to update shared rows (loader.load_tables)."""
    require(actor, Capability.IMPORT)
    try:
        tables = read_upload(name, data, size_limit=size_limit)
    except FormatError as error:
        return refused(error)
    return import_tables(engine, actor, tables, dry_run=dry_run, progress=progress, shared_updates=shared_updates)


def import_workbook(
    engine: Engine,
    actor: Actor,
    source: bytes | Path,
    *,
    dry_run: bool,
    progress: Progress | None = None,
    shared_updates: bool = False,
) -> ImportReport:
    """Workbook bytes, or a local path: an .xlsx, a .csv, a folder of CSV files (as seeds/) or
    those files in a .zip."""
    if isinstance(source, bytes):
        return import_upload(
            engine, actor, "classeur.xlsx", source, dry_run=dry_run, progress=progress, shared_updates=shared_updates
        )
    path = Path(source)
    zipped = path.is_file() and path.suffix.lower() == ".zip"  # an export too long for Excel (csv_zip)
    if path.is_dir() or zipped:
        require(actor, Capability.IMPORT)
        try:
            tables = restored(read_csv_zip(path) if zipped else read_csv_folder(path))
        except FormatError as error:
            return refused(error)
        return import_tables(engine, actor, tables, dry_run=dry_run, progress=progress, shared_updates=shared_updates)
    if not path.is_file():
        require(actor, Capability.IMPORT)
        return ImportReport(errors=[LoadError(str(path), None, None, "fichier ou dossier introuvable")])
    return import_upload(
        engine,
        actor,
        path.name,
        path.read_bytes(),
        dry_run=dry_run,
        progress=progress,
        size_limit=False,
        shared_updates=shared_updates,
    )


def read_upload(name: str, data: bytes, *, size_limit: bool = True) -> list[Table]:
    if check_upload(name, data, size_limit=size_limit) == "xlsx":
        return read_workbook(data)
    return read_csv_file(name, data)


def read_csv_file(name: str, data: bytes) -> list[Table]:
    """One CSV file, read exactly as a seed folder's file of the same name would be."""
    file_name = PurePath(name).name
    stem = PurePath(file_name).stem
    if stem not in SHEETS_BY_NAME:
        raise FormatError(
            [
                LoadError(
                    f"fichier {file_name}",
                    None,
                    None,
                    "le nom du fichier doit être celui d'une feuille (ex. mesures.csv) ; "
                    "feuilles possibles : " + ", ".join(SHEETS_BY_NAME),
                )
            ]
        )
    table, errors = read_csv(stem, f"fichier {file_name}", data)
    if errors or table is None:
        raise FormatError(errors, readings([] if table is None else [table]))
    return restored([table])


def restored(tables: list[Table]) -> list[Table]:
    """Take off the apostrophe an export puts before text starting with = + - @."""
    for table in tables:
        for _, cells in table.rows:  # in place: a large file is not copied
            for name, value in cells.items():
                if isinstance(value, str) and value.startswith("'"):
                    cells[name] = restore(value)
    return tables


def import_tables(
    engine: Engine,
    actor: Actor,
    tables: list[Table],
    *,
    dry_run: bool,
    progress: Progress | None = None,
    shared_updates: bool = False,
) -> ImportReport:
    """Check and apply `tables` (read from a file: their rows are emptied once typed, so that a
    large file is held once in memory)."""
    require(actor, Capability.IMPORT)
    if {table.sheet for table in tables} == {"mesures"}:
        return _import_measurements(engine, actor, tables, dry_run=dry_run, progress=progress)
    # A write unit of work even for a dry run: the rows are written, then rolled back.
    with Session(for_writing(engine)) as session:
        report, _ = _load(session, actor, tables, progress, shared_updates)
        if report.ok and not dry_run:
            session.commit()
        else:
            session.rollback()
    return report


def _import_measurements(
    engine: Engine, actor: Actor, tables: list[Table], *, dry_run: bool, progress: Progress | None
) -> ImportReport:
    """A file of measurements only (the large files): every row is checked in a read
    transaction, which never stops anyone else saving (SQLite's write lock is not taken), then
    the values are recorded in one short write transaction. A value someone else saved in
    between is caught there (store_bulk: CONFLICT) and nothing is written."""
    with Session(engine) as reading:
        report, load = _load(reading, actor, tables, progress, deferred=True)
        reading.rollback()
        if load is None or not report.ok or dry_run:
            return report
        with Session(for_writing(engine)) as writing:
            table = tables[0]
            if _written(report, table, load.lines["mesures"], partial(load.write, writing)) and report.ok:
                writing.commit()
            else:
                writing.rollback()
    return report


def _written(report: ImportReport, table: Table, rows: list[tuple[int, Any]], step: Callable[[], bool]) -> bool:
    """Run a step of the load on `rows` of `table`; the database's own refusal is reported in
    French (its words, technical and English, go to the log only)."""
    try:
        return step()
    except SQLAlchemyError:
        lines = f"lignes {rows[0][0]} à {rows[-1][0]}"
        log.exception("import refused by the database (%s, %s)", table.where, lines)
        report.errors.append(
            LoadError(
                table.where, None, None, f"la base de données a refusé une ligne ({lines}) : rien n'a été importé"
            )
        )
        return False


def _load(
    session: Session,
    actor: Actor,
    tables: list[Table],
    progress: Progress | None,
    shared_updates: bool = False,
    *,
    deferred: bool = False,
) -> tuple[ImportReport, Load | None]:
    report = ImportReport(readings=readings(tables))
    total = sum(len(table.rows) for table in tables)
    if total == 0:
        report.errors.append(LoadError("fichier", None, None, "aucune ligne à importer"))
        return report, None
    load = Load(
        session,
        tables,
        actor=actor.label,
        rights=actor,
        shared_updates=shared_updates,
        deferred=deferred,
        report=report,
    )
    for table in tables:
        table.rows = []  # typed now (load.typed): the cells as read are no longer needed
    done = 0
    for table, rows in load.sheets():
        for start in range(0, len(rows), LOT):
            lot = rows[start : start + LOT]
            if not _written(report, table, lot, partial(load.apply, table, lot)):
                return report, None  # a conflict spends the unit of work; a refusal ends the import
            done += len(lot)
            if progress is not None:
                progress(table.sheet, done, total)
        if rows and not _written(report, table, rows, partial(load.close_sheet, table)):
            return report, None
    return report, load


SUMMARY_COLUMNS = {"created": "Créées", "updated": "Modifiées", "corrected": "Corrigées", "unchanged": "Inchangées"}


def summary_rows(report: LoadReport) -> list[dict[str, Any]]:
    """Per sheet, how many rows the import creates, updates, corrects and leaves unchanged."""
    return [
        {"Feuille": sheet, **{label: counts[key] for key, label in SUMMARY_COLUMNS.items()}}
        for sheet, counts in report.counts.items()
    ]


def error_rows(report: LoadReport) -> list[dict[str, Any]]:
    """Every error with where it is: sheet (or file), line, column, message."""
    return [
        {"Feuille": error.where, "Ligne": error.line, "Colonne": error.column or "", "Message": error.message}
        for error in report.errors
    ]


__all__ = [
    "ImportReport",
    "Progress",
    "error_rows",
    "import_tables",
    "import_upload",
    "import_workbook",
    "read_upload",
    "summary_rows",
]
