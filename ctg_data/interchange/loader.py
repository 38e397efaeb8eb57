"""Loading interchange tables into the store: validate everything, then write in one
transaction, or write nothing.

Rows are matched on their docs/format.md key: a new key creates, a known key updates only what
differs, an identical row changes nothing (so loading the same file twice is a no-op).
Measurements are never overwritten: a different value for the same key supersedes the old one.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, select

from ctg_data import models as m
from ctg_data.actors import Actor
from ctg_data.audit import snapshot
from ctg_data.errors import ConflictError
from ctg_data.interchange import form_rules, shared
from ctg_data.interchange.parsing import shown
from ctg_data.interchange.resolver import LABELS, Resolver
from ctg_data.interchange.rights import Rights
from ctg_data.interchange.sheets import SHEETS, SHEETS_BY_NAME
from ctg_data.interchange.tables import LoadError, Table
from ctg_data.interchange.targets import TARGETS
from ctg_data.interchange.typing import Row, type_rows
from ctg_data.perimeter import outside_perimeter
from ctg_data.permissions import Capability, require
from ctg_data.store import (
    ACTION_LINKS,
    Links,
    current_links,
    current_measurement,
    measurement_limits,
    save,
    save_action,
    supersede,
)
from ctg_data.validation import IndicatorLimits

# Columns stored as '' rather than NULL when blank (part of a key, see models.RateRow).
EMPTY_AS_BLANK = {"type_equipement", "classe_territoire"}
# The code a created row is known by in later sheets of the same import.
REMEMBERED = {
    "conventions": "convention",
    "organisations": "organisation",
    "communes": "commune",
    "orientations": "orientation",
    "actions": "action",
    "indicateurs": "indicator",
    "equipements": "facility",
    "postes": "post",
}
CONFLICT = (
    "cette ligne a été enregistrée par quelqu'un d'autre pendant l'import : rien n'a été enregistré, relancez l'import"
)
ORIGIN = "import"  # the audit operations of an import: "import:création", "import:modification"…
__all__ = ["ACTION_LINKS", "EMPTY_AS_BLANK", "TARGETS", "LoadReport", "load_folder", "load_tables"]


@dataclass
class LoadReport:
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    errors: list[LoadError] = field(default_factory=list)
    # Said, not refused: a facility outside its convention's perimeter.
    warnings: list[LoadError] = field(default_factory=list)
    # The shared rows an administrator asked to update, one change a line.
    changes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, sheet: str, outcome: str) -> None:
        self.counts.setdefault(sheet, Counter())[outcome] += 1

    @property
    def changed(self) -> bool:
        return any(c["created"] or c["updated"] or c["corrected"] for c in self.counts.values())


def load_tables(
    session: Session, tables: list[Table], *, actor: str, rights: Actor | None = None, shared_updates: bool = False
) -> LoadReport:
    """Validate and apply; the caller commits only when the report is ok. With `rights`, each
    row that changes something must be allowed to that person, and only the conventions they
    see exist (without: a trusted loader, such as `ctg seed`). Shared rows (communes,
    organisations…) that differ from the base are refused unless `shared_updates`, which only an
    administrator may ask for (PermissionDenied)."""
    if shared_updates and rights is not None:
        require(rights, Capability.WRITE_REFERENTIALS)
    report = LoadReport()
    typed: dict[str, tuple[Table, list[tuple[int, Row]]]] = {}
    for table in tables:
        rows, errors = type_rows(table)
        typed[table.sheet] = (table, rows)
        report.errors += errors
    if report.errors:
        return report
    loader = _Loader(session, actor, report, None if rights is None else Rights(session, rights), shared_updates)
    for sheet in SHEETS:
        if sheet.name in typed:
            table, rows = typed[sheet.name]
            for line, row in rows:
                try:
                    loader.apply(table, line, row)
                except ConflictError:
                    # Someone saved the same record meanwhile: the unit of work is spent.
                    loader.error(table, line, None, CONFLICT)
                    return report
    session.flush()
    return report


class _Loader:
    def __init__(
        self, session: Session, actor: str, report: LoadReport, rights: Rights | None, shared_updates: bool = False
    ):
        self.session, self.actor, self.report, self.rights = session, actor, report, rights
        self.shared_updates = shared_updates
        self.resolver = Resolver(session, None if rights is None else rights.visible)
        self.now = datetime.now(UTC)
        self.indicator_limits: dict[int, IndicatorLimits] = {}

    def error(self, table: Table, line: int, column: str | None, message: str) -> None:
        self.report.errors.append(LoadError(table.where, line, column, message))

    def refused(
        self, table: Table, line: int, record: SQLModel | None, values: dict[str, Any], changed: set[str]
    ) -> bool:
        """Whether the person importing may not write this row (the refusal is reported)."""
        refusal = None if self.rights is None else self.rights.refusal(table.sheet, record, values, changed)
        if refusal:
            self.error(table, line, None, refusal)
        return refusal is not None

    def find(self, table: Table, values: dict[str, Any]) -> SQLModel | None:
        model, columns = TARGETS[table.sheet]
        key = {columns[name]: values[columns[name]] for name in SHEETS_BY_NAME[table.sheet].key if name in columns}
        record = self.session.exec(select(model).filter_by(**key)).first()
        if isinstance(record, m.Convention) and self.rights is not None and not self.rights.sees(m.stored_id(record)):
            return None  # a convention one may not see reads as one that does not exist
        return record

    def form_reason(self, table: Table, line: int, row: Row, values: dict[str, Any]) -> tuple[bool, str | None]:
        """The activity form's rules on a row about to be written: (passes, exemption reason)."""
        if table.sheet != "activite":
            return True, None
        facility = self.session.get_one(m.Facility, values["facility_id"])  # resolved: it exists
        data, problems = form_rules.activity(self.session.get_one(m.Convention, facility.convention_id), row)
        for column, message in problems:
            self.error(table, line, column, message)
        return data is not None, data.override_reason if data else None

    def apply(self, table: Table, line: int, row: Row) -> None:
        values = self.resolve(table, line, row)
        if values is None:
            return
        if table.sheet == "mesures":
            self.apply_measurement(table, line, row, values)
            return
        if table.sheet == "equipements":
            self.warn_outside_perimeter(table, line, values)
        record = self.find(table, values)
        links = self.action_links(row) if table.sheet == "actions" else {}
        # Only actions have links: any other record has none to compare.
        links_before = current_links(self.session, record.id if isinstance(record, m.Action) else None, links)
        changed: dict[str, Any] = (
            {} if record is None else {name: value for name, value in values.items() if getattr(record, name) != value}
        )
        if record is not None and not changed and links_before == links:
            self.report.count(table.sheet, "unchanged")
            return
        moved_links = {name for name in links if links[name] != links_before[name]}
        if self.refused(table, line, record, values, set(changed) | moved_links):
            return
        shared_reason = None
        if record is not None and shared.protected(table.sheet, trusted=self.rights is None):
            if not self.shared_update(table, line, row, record, changed):
                return
            shared_reason = shared.REASON
        passes, reason = self.form_reason(table, line, row, values)
        if not passes:
            return
        reason = reason or shared_reason
        before = None if record is None else snapshot(record)
        if record is None:
            record = TARGETS[table.sheet][0](**values)
        for name, value in changed.items():
            setattr(record, name, value)
        self.write(table, record, before, links, links_before, reason)
        if table.sheet in REMEMBERED:
            kind = REMEMBERED[table.sheet]
            code: str = row["code"] if table.sheet != "communes" else row["code_insee"]  # required
            value = getattr(record, "insee_code" if kind == "commune" else "id")
            self.resolver.remember(kind, code, value, getattr(record, "convention_id", None))

    def shared_update(self, table: Table, line: int, row: Row, record: SQLModel, changed: dict[str, Any]) -> bool:
        """Whether a shared row may take the file's values: each difference refused (without an
        administrator's request) or listed in the report (with it)."""
        differences = shared.differences(table.sheet, record, changed)
        if not self.shared_updates:
            for difference in differences:
                self.error(table, line, difference[0], shared.refusal(table.sheet, row, difference))
            return False
        self.report.changes += [shared.change(table.sheet, row, difference) for difference in differences]
        return True

    def warn_outside_perimeter(self, table: Table, line: int, values: dict[str, Any]) -> None:
        warning = outside_perimeter(self.session, values["convention_id"], values["code"], values["insee_code"])
        if warning:
            self.report.warnings.append(LoadError(table.where, line, "code_insee", warning))

    def write(
        self,
        table: Table,
        record: SQLModel,
        before: dict[str, Any] | None,
        links: Links,
        links_before: Links,
        reason: str | None,
    ) -> None:
        operation = f"{ORIGIN}:création" if before is None else f"{ORIGIN}:modification"
        if isinstance(record, m.Action):  # only actions have links
            save_action(
                self.session,
                self.actor,
                record,
                before=before,
                links=links,
                links_before=links_before,
                operation=operation,
                reason=reason,
                at=self.now,
            )
        else:
            save(self.session, self.actor, record, before=before, operation=operation, reason=reason, at=self.now)
        self.report.count(table.sheet, "created" if before is None else "updated")

    def resolve(self, table: Table, line: int, row: Row) -> dict[str, Any] | None:
        """Typed row → model attributes, with every code replaced by the id it names."""
        sheet = SHEETS_BY_NAME[table.sheet]
        _, columns = TARGETS[table.sheet]
        blank_key: Row = {name: None for name in sheet.key}
        row = blank_key | row  # an absent optional key column is blank
        convention_id = None
        if "convention" in row:
            convention_id = self.resolver.convention(row["convention"])
            if convention_id is None:
                self.error(table, line, "convention", f"convention « {shown(row['convention'])} » inconnue")
                return None
        values: dict[str, Any] = {}
        ok = True
        for name, value in row.items():
            column = sheet.column(name)
            if column.kind == "ref" and value is not None and name != "convention":
                resolved = self.resolver.lookup(column.target, value, convention_id)
                if resolved is None:
                    self.error(table, line, name, f"code « {shown(value)} » inconnu ({LABELS[column.target]})")
                    ok = False
                value = resolved
            elif column.kind == "list":
                codes: list[str] = value or []
                for code in codes:
                    if self.resolver.lookup(column.target, code, convention_id) is None:
                        self.error(table, line, name, f"code « {shown(code)} » inconnu ({LABELS[column.target]})")
                        ok = False
            if name == "convention":
                value = convention_id
            if name in EMPTY_AS_BLANK and value is None:
                value = ""
            if name in columns:
                values[columns[name]] = value
        return values if ok else None

    # ------------------------------------------------------------ action partners and communes

    def action_links(self, row: Row) -> Links:
        links: Links = {}
        for name, (_, attribute) in ACTION_LINKS.items():
            if name in row:
                codes = row[name] or []
                # resolve() has checked that every code exists.
                ids = [
                    code if attribute == "insee_code" else self.resolver.known("organisation", code) for code in codes
                ]
                links[name] = sorted(set(ids))
        return links

    # ------------------------------------------------------------ measurements

    def apply_measurement(self, table: Table, line: int, row: Row, values: dict[str, Any]) -> None:
        """As the measurement form records a value: the same value writes nothing, a different
        one supersedes the current one (kept); what is written passes the form's rules."""
        current = current_measurement(self.session, values["indicator_id"], values["measured_on"], values["type"])
        if current is not None and current.value == values["value"]:
            self.report.count(table.sheet, "unchanged")
            return
        if self.refused(table, line, current, values, {"value"}):
            return
        data, problems = form_rules.measurement(self.limits(values["indicator_id"]), row)
        for column, message in problems:
            self.error(table, line, column, message)
        if data is None:
            return
        new = m.Measurement(**values, recorded_by=self.actor)
        supersede(
            self.session,
            self.actor,
            current,
            new,
            origin=ORIGIN,
            reason=data.override_reason,
            what=f"La mesure de la ligne {line}",
            at=self.now,
        )
        self.report.count(table.sheet, "corrected" if current is not None else "created")

    def limits(self, indicator_id: int) -> IndicatorLimits:
        if indicator_id not in self.indicator_limits:
            indicator = self.session.get_one(m.Indicator, indicator_id)  # resolved: it exists
            self.indicator_limits[indicator_id] = measurement_limits(self.session, indicator)
        return self.indicator_limits[indicator_id]


def load_folder(
    folder: Path | str, *, actor: str, engine: Engine | None = None, dry_run: bool = False, shared_updates: bool = False
) -> LoadReport:
    """Load a docs/format.md folder of CSV files in one transaction (rolled back on any error, or
    always with dry_run). Raises FormatError when the files themselves are malformed.
    `shared_updates`: shared rows take the file's values (each change listed in the report)."""
    from ctg_data.db import for_writing, get_engine
    from ctg_data.interchange.tables import read_csv_folder

    tables = read_csv_folder(folder)
    with Session(for_writing(engine or get_engine())) as session:
        report = load_tables(session, tables, actor=actor, shared_updates=shared_updates)
        if report.ok and not dry_run:
            session.commit()
        else:
            session.rollback()
    return report
