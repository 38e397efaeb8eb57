"""Loading interchange tables into the store: validate everything, then write in one
transaction, or write nothing.

Rows are matched on their docs/format.md key: a new key creates, a known key updates only what
differs, an identical row changes nothing (so loading the same file twice is a no-op).
Measurements are never overwritten: a different value for the same key supersedes the old one.
"""

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Session, SQLModel, col, select

from ctg_data import models as m
from ctg_data.actors import Actor
from ctg_data.audit import snapshot
from ctg_data.errors import ConflictError
from ctg_data.interchange import form_rules, shared
from ctg_data.interchange.bulk import Measurements
from ctg_data.interchange.meetings import MEETING_SHEETS, MeetingRows, in_number_order
from ctg_data.interchange.parsing import shown
from ctg_data.interchange.resolver import LABELS, Resolver
from ctg_data.interchange.rights import Rights
from ctg_data.interchange.sheets import SHEETS, SHEETS_BY_NAME
from ctg_data.interchange.tables import LoadError, Table
from ctg_data.interchange.targets import TARGETS
from ctg_data.interchange.typing import Row, step_attributes
from ctg_data.interchange.values import checked_types
from ctg_data.perimeter import outside_perimeter
from ctg_data.permissions import Capability, require
from ctg_data.queries.referentials import next_colour, next_position
from ctg_data.rules.plan import orientation_problem, parents_first
from ctg_data.services import amendments
from ctg_data.store import (
    ACTION_LINKS,
    LEAD_LISTS,
    RECORD_LINKS,
    Links,
    current_links,
    measurement_limits,
    save,
    save_action,
)
from ctg_data.validation import IndicatorLimits

# Columns stored as '' rather than NULL when blank (part of a key, see models.RateRow).
EMPTY_AS_BLANK = {"type_equipement", "classe_territoire"}
# The code a created row is known by in later sheets of the same import.
REMEMBERED = {
    "domaines": "domain",
    "types_organisation": "organisation_type",
    "types_equipement": "facility_type",
    "leviers": "lever",
    "conventions": "convention",
    "organisations": "organisation",
    "communes": "commune",
    "orientations": "orientation",
    "actions": "action",
    "indicateurs": "indicator",
    "equipements": "facility",
    "postes": "post",
}
# The referentials (format v2), keyed by their code: an added entry goes last, and a domain takes
# the next colour of the extra palette.
VOCABULARY_SHEETS = frozenset({"domaines", "types_organisation", "types_equipement", "leviers"})
CONFLICT = (
    "cette ligne a été enregistrée par quelqu'un d'autre pendant l'import : rien n'a été enregistré, relancez l'import"
)
VOCABULARY_KINDS = frozenset(REMEMBERED[sheet] for sheet in VOCABULARY_SHEETS)
# The sheets whose records have links (store.RECORD_LINKS): partners, communes, co-pilots, co-managers.
LINKED_SHEETS: dict[str, type[m.Action | m.Facility]] = {"actions": m.Action, "equipements": m.Facility}
ORIGIN = "import"  # the audit operations of an import: "import:création", "import:modification"…
__all__ = ["ACTION_LINKS", "EMPTY_AS_BLANK", "TARGETS", "Load", "LoadReport", "load_folder", "load_tables"]


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
    load = Load(session, tables, actor=actor, rights=rights, shared_updates=shared_updates)
    for table, rows in load.sheets():
        if not (load.apply(table, rows) and load.close_sheet(table)):
            break
    session.flush()
    return load.report


class Load:
    """One load begun: the tables typed and checked once (`report.errors` says whether it may
    go on), then applied sheet by sheet (`sheets`, in the order of sheets.py), in as many calls
    to `apply` as the caller wants (the importer's lots, for its progress bar), each sheet
    closed by `close_sheet`. `deferred`: the measurements checked are recorded only by `write`,
    in a session of the caller's choice (the importer's short write transaction); without, at
    the end of their sheet. `apply`, `close_sheet` and `write` say False when someone saved a
    row meanwhile: the unit of work is spent (CONFLICT reported)."""

    def __init__(
        self,
        session: Session,
        tables: list[Table],
        *,
        actor: str,
        rights: Actor | None = None,
        shared_updates: bool = False,
        deferred: bool = False,
        report: LoadReport | None = None,
    ):
        if shared_updates and rights is not None:
            require(rights, Capability.WRITE_REFERENTIALS)
        self.report = LoadReport() if report is None else report
        self.deferred = deferred
        checked_rights = None if rights is None else Rights(session, rights)
        visible = None if checked_rights is None else checked_rights.visible
        self.typed, errors = checked_types(session, tables, visible)
        self.lines: dict[str, list[tuple[int, Row]]] = {}  # each sheet's first and last rows, once applied
        self.report.errors += errors
        self.loader = _Loader(session, actor, self.report, checked_rights, shared_updates)
        # The avenants of the file, read ahead: a `conventions` row may move its end date to theirs.
        amendments_ = self.typed.get("avenants")
        self.loader.amendment_rows = [row for _, row in amendments_[1]] if amendments_ else []

    def sheets(self) -> Iterator[tuple[Table, list[tuple[int, Row]]]]:
        """Each sheet of the file with its rows in the order they are written (none after an error
        of typing); the measurements' stored values read once, as their sheet begins."""
        if self.report.errors:
            return
        for sheet in SHEETS:
            if sheet.name in self.typed:
                table, rows = self.typed[sheet.name]
                if sheet.name == "mesures":
                    self.loader.measurements.read(table, rows)
                self.lines[sheet.name] = [rows[0], rows[-1]] if rows else []
                yield table, self.loader.in_order(table, rows)
                del self.typed[sheet.name]  # applied: a large file's rows are not kept until the end

    def apply(self, table: Table, rows: list[tuple[int, Row]]) -> bool:
        for line, row in rows:
            try:
                self.loader.apply(table, line, row)
            except ConflictError:
                # Someone saved the same record meanwhile: the unit of work is spent.
                self.loader.error(table, line, None, CONFLICT)
                return False
        return True

    def close_sheet(self, table: Table) -> bool:
        return self.deferred or table.sheet != "mesures" or self.write()

    def write(self, session: Session | None = None) -> bool:
        """Record the measurements checked (in `session`, default the load's own). With errors
        too: later sheets (a meeting closed by the file) read them as the file leaves them."""
        try:
            self.loader.measurements.write(session)
        except ConflictError as conflict:
            table = self.loader.measurements.table
            line = int(conflict.record.rsplit(" ", 1)[-1])  # "La mesure de la ligne 12"
            self.loader.error(table or Table("mesures", "mesures", ()), line, None, CONFLICT)
            return False
        return True


class _Loader:
    def __init__(
        self, session: Session, actor: str, report: LoadReport, rights: Rights | None, shared_updates: bool = False
    ):
        self.session, self.actor, self.report, self.rights = session, actor, report, rights
        self.shared_updates = shared_updates
        self.resolver = Resolver(session, None if rights is None else rights.visible)
        self.now = datetime.now(UTC)
        self.indicator_limits: dict[int, IndicatorLimits] = {}
        self.amendment_rows: list[Row] = []
        self.measurements = Measurements(self)

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

    # ------------------------------------------------------------ the plan's orientations

    def in_order(self, table: Table, rows: list[tuple[int, Row]]) -> list[tuple[int, Row]]:
        """The rows in the order they are written: orientations parents first (a child may come
        before its parent in the file), each checked against the plan's shape (rules.plan) over
        the stored plan with the file's rows in place; other sheets as they come. A row breaking
        the shape is reported and written without its parent, so that nothing else fails on it
        (the error rolls the whole import back)."""
        if table.sheet in ("reunions", "decisions"):
            return in_number_order(rows)
        if table.sheet != "orientations":
            return rows
        ordered: list[tuple[int, Row]] = []
        for convention_code in dict.fromkeys(row["convention"] for _, row in rows):
            mine = {row["code"]: (line, row) for line, row in rows if row["convention"] == convention_code}
            stored = self.stored_plan(convention_code)
            plan = dict(stored)
            for code, (_, row) in mine.items():
                # An absent `parent` column (a version-1 file) leaves the stored parent.
                plan[code] = row["parent"] if "parent" in row else plan.get(code)
            for code in parents_first(mine, plan):
                line, row = mine[code]
                # A stored orientation moved elsewhere takes its stored children along.
                moved = code in stored and stored[code] != plan[code]
                problem = orientation_problem(code, plan, with_descendants=moved)
                if problem:
                    self.error(table, line, "parent", problem)
                    row = row | {"parent": None}
                ordered.append((line, row))
        return ordered

    def stored_plan(self, convention_code: str) -> dict[str, str | None]:
        """Orientation code → its parent's code, as stored for this convention (none if new)."""
        convention_id = self.resolver.convention(convention_code)
        if convention_id is None:
            return {}
        parent = aliased(m.Orientation)
        rows = self.session.exec(
            select(col(m.Orientation.code), col(parent.code))
            .outerjoin(parent, col(parent.id) == m.Orientation.parent_id)
            .where(col(m.Orientation.convention_id) == convention_id)
        ).all()
        return dict(rows)

    def form_reason(self, table: Table, line: int, row: Row, values: dict[str, Any]) -> tuple[bool, str | None]:
        """The activity and funding forms' rules on a row about to be written: (passes, exemption
        reason)."""
        if table.sheet == "financements":
            funding, problems = form_rules.funding(row)
            for column, message in problems:
                self.error(table, line, column, message)
            return funding is not None, funding.override_reason if funding else None
        if table.sheet != "activite":
            return True, None
        facility = self.session.get_one(m.Facility, values["facility_id"])  # resolved: it exists
        data, problems = form_rules.activity(
            self.session.get_one(m.Convention, facility.convention_id),
            row,
            form_rules.previous_activity(self.session, m.stored_id(facility)),
        )
        for column, message in problems:
            self.error(table, line, column, message)
        return data is not None, data.override_reason if data else None

    def apply(self, table: Table, line: int, row: Row) -> None:
        values = self.resolve(table, line, row)
        if values is None:
            return
        if table.sheet in MEETING_SHEETS:
            MeetingRows(self).apply(table, line, row, values)
            return
        if table.sheet == "mesures":
            self.measurements.add(table, line, row, values)
            return
        if table.sheet == "cibles":
            self.apply_target(table, line, row, values)
            return
        if table.sheet == "indicateurs":  # a step indicator's values are stored as step positions
            columns = TARGETS[table.sheet][1]
            values |= {columns[name]: value for name, value in step_attributes(row).items()}
        if table.sheet == "equipements":
            self.warn_outside_perimeter(table, line, values)
        if table.sheet == "communes" and row.get("annee_donnees") is not None:
            self.apply_dated_commune(table, line, row, values)
            return
        record = self.find(table, values)
        if isinstance(record, m.Indicator):
            nature, steps = values.get("nature", record.nature), values.get("steps", record.steps)
            refusal = form_rules.steps_change(self.session, record, nature, steps)
            if refusal:
                self.error(table, line, "etapes", refusal)
                return
        if table.sheet == "types_equipement" and values.get("bonus") is None:
            # A blank `bonus` keeps an existing type's eligibility; a new type is outside the
            # bonus unless the file says `oui` (paying a type by mistake is the costly error).
            values.pop("bonus", None)
            if record is None:
                values["bonus"] = False
        links = self.record_links(table.sheet, row)
        # Only actions and facilities have links: any other record has none to compare.
        linked = LINKED_SHEETS.get(table.sheet)
        links_before = {} if linked is None else current_links(self.session, getattr(record, "id", None), links, linked)
        changed: dict[str, Any] = (
            {} if record is None else {name: value for name, value in values.items() if getattr(record, name) != value}
        )
        dated, dates_reason = self.convention_dates(table, line, record, values, changed, row.get("motif_derogation"))
        if not dated:
            return
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
        reason = reason or shared_reason or dates_reason
        before = None if record is None else snapshot(record)
        if record is None:
            record = TARGETS[table.sheet][0](**values, **self.placed(table.sheet, values))
        for name, value in changed.items():
            setattr(record, name, value)
        self.write(table, record, before, links, links_before, reason)
        if isinstance(record, m.Amendment):
            convention = self.session.get_one(m.Convention, record.convention_id)
            amendments.follow_amendments(self.session, self.actor, convention, operation=f"{ORIGIN}:dates", at=self.now)
        if table.sheet in REMEMBERED:
            kind = REMEMBERED[table.sheet]
            code: str = row["code"] if table.sheet != "communes" else row["code_insee"]  # required
            value = getattr(record, "insee_code" if kind == "commune" else "code" if kind in VOCABULARY_KINDS else "id")
            self.resolver.remember(kind, code, value, getattr(record, "convention_id", None))

    def placed(self, sheet: str, values: dict[str, Any]) -> dict[str, Any]:
        """What a new row holds beyond its columns: a new convention's signed end date (before
        any avenant), where a new referential entry goes (position, and a domain's colour)."""
        if sheet == "conventions":
            return {"signed_ends_on": values["ends_on"]}
        if sheet not in VOCABULARY_SHEETS:
            return {}
        model = TARGETS[sheet][0]
        place: dict[str, Any] = {"position": next_position(self.session, model)}
        if model is m.Domain:
            place["colour"] = next_colour(self.session)
        return place

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

    def convention_dates(
        self,
        table: Table,
        line: int,
        record: SQLModel | None,
        values: dict[str, Any],
        changed: dict[str, Any],
        row_reason: str | None = None,
    ) -> tuple[bool, str | None]:
        """(allowed, audit reason): a stored convention's dates change only through an avenant, an
        avenant's new end date does not precede its convention's start (services.amendments), and
        an action's new or changed dates follow the one date rule (its `motif_derogation`)."""
        if isinstance(record, m.Convention):
            rows = [row for row in self.amendment_rows if row["convention"] == record.code]
            ends = {row["numero"]: row.get("date_fin") for row in rows}
            problems, reason = amendments.imported_dates(self.session, record, changed, ends)
        elif table.sheet == "actions":
            convention = self.session.get_one(m.Convention, values["convention_id"])  # resolved: it exists
            problems = form_rules.action_dates(convention, record is None, values, changed, row_reason)
            reason = row_reason
        elif table.sheet == "avenants":
            convention = self.session.get_one(m.Convention, values["convention_id"])  # resolved: it exists
            problem = amendments.end_problem(convention.starts_on, values.get("ends_on"))
            problems, reason = ([("date_fin", problem)] if problem else []), None
        else:
            return True, None
        for column, message in problems:
            self.error(table, line, column, message)
        return not problems, reason

    def apply_dated_commune(self, table: Table, line: int, row: Row, values: dict[str, Any]) -> None:
        """A `communes` row with `annee_donnees`: the commune (its name) and its figures of that year
        (models.CommuneFigures). A new year is added beside the others; another name, or other
        figures for a stored year, are changes to shared data (interchange/shared.py)."""
        figures = {name: values.pop(name) for name in shared.FIGURES if name in values}
        year_key = {"insee_code": values["insee_code"], "year": row["annee_donnees"]}
        outcomes = []
        for model, wanted in ((m.Commune, values), (m.CommuneFigures, year_key | figures)):
            record = self.session.get(model, values["insee_code"] if model is m.Commune else tuple(year_key.values()))
            changed = {} if record is None else {n: v for n, v in wanted.items() if getattr(record, n) != v}
            if record is not None and not changed:
                continue
            if self.refused(table, line, record, wanted, set(changed)):
                return
            if record is not None and not self.shared_update(table, line, row, record, changed):
                return
            before = None if record is None else snapshot(record)
            record = record or model(**wanted)
            for name, value in changed.items():
                setattr(record, name, value)
            operation = f"{ORIGIN}:création" if before is None else f"{ORIGIN}:modification"
            reason = None if before is None else shared.REASON
            save(self.session, self.actor, record, before=before, operation=operation, reason=reason, at=self.now)
            outcomes.append("created" if before is None else "updated")
            if model is m.Commune and before is None:
                self.resolver.remember("commune", values["insee_code"], values["insee_code"])
        self.report.count(table.sheet, min(outcomes, default="unchanged"))  # "created" sorts before "updated"

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
        if isinstance(record, m.Action | m.Facility):  # only they have links
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
                if name in LEAD_LISTS:  # the first code is the record's own (lead pilot, main manager)
                    value = self.resolver.lookup(column.target, codes[0], convention_id) if codes else None
            if name == "convention":
                value = convention_id
            if name in EMPTY_AS_BLANK and value is None:
                value = ""
            if name in columns:
                values[columns[name]] = value
        return values if ok else None

    # ------------------------------------------------------------ action partners and communes

    def record_links(self, sheet: str, row: Row) -> Links:
        """An action's partners, communes and co-pilots, or a facility's co-managers, as stored."""
        links: Links = {}
        if sheet not in LINKED_SHEETS:
            return links
        # resolve() has checked that every code exists.
        for name, (_, attribute) in RECORD_LINKS[LINKED_SHEETS[sheet]][1].items():
            if name in row:
                codes = row[name] or []
                ids = [
                    code if attribute == "insee_code" else self.resolver.known("organisation", code) for code in codes
                ]
                links[name] = sorted(set(ids))
        for column, name in LEAD_LISTS.items():
            if column in row and name in RECORD_LINKS[LINKED_SHEETS[sheet]][1]:
                # After the lead, in the file's order (typing refused a code given twice).
                links[name] = [self.resolver.known("organisation", code) for code in (row[column] or [])[1:]]
        return links

    # ------------------------------------------------------------ intermediate targets

    def apply_target(self, table: Table, line: int, row: Row, values: dict[str, Any]) -> None:
        """An intermediate target (key: indicator and date), through the target form's rule."""
        limits = self.limits(values["indicator_id"])
        data, problems = form_rules.target(limits, row)
        for column, message in problems:
            self.error(table, line, column, message)
        if data is None:
            return
        record = self.find(table, values)
        if record is not None and getattr(record, "value", None) == data.value:
            self.report.count(table.sheet, "unchanged")
            return
        indicator = self.session.get_one(m.Indicator, data.indicator_id)
        scope = {"convention_id": indicator.convention_id}
        if self.refused(table, line, record, values | scope, set() if record is None else {"value"}):
            return
        before = None if record is None else snapshot(record)
        if record is None:
            record = m.IndicatorTarget(indicator_id=data.indicator_id, target_on=data.target_on, value=data.value)
        else:
            record.value = data.value
        self.write(table, record, before, {}, {}, None)

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
