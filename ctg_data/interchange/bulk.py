"""The `mesures` sheet of an import in bulk: what is stored is read once for the whole sheet (the
current values of its indicators: one query per 500 indicators, not one per row), each row is
checked in memory by the measurement form's rules (form_rules.measurement, the same messages),
and the values to record are written together at the end (store_bulk.supersede_many, in
batches). The rows of the file are checked in its order against what is stored and what its
earlier rows record, exactly as when each row was written before the next one was read.
"""

from bisect import bisect_left, insort
from collections.abc import Callable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlmodel import Session

from ctg_data import models as m
from ctg_data.interchange import form_rules
from ctg_data.interchange.tables import Table
from ctg_data.interchange.typing import Row
from ctg_data.store_bulk import NewValue, supersede_many
from ctg_data.validation import Previous
from ctg_data.vocabulary import MeasurementType

if TYPE_CHECKING:
    from ctg_data.interchange.loader import _Loader

CHUNK = 500  # indicator ids per query (SQLite and PostgreSQL both take a list this long)
BATCH = 2000  # values written per batch: flat memory, few statements
Key = tuple[int, date, str, str | None]  # indicator, date, type, commune (None: the whole convention)


class Measurements:
    """The `mesures` rows of one import, checked one by one, recorded together (`write`)."""

    def __init__(self, loader: "_Loader"):
        self.loader = loader
        self.current: dict[Key, tuple[int, float]] = {}  # the stored current values: id, value
        # Per indicator, its current whole-convention results by date (the soft warning's
        # "previous result"), stored or recorded by an earlier row of the file, and their dates sorted.
        self.results: dict[int, dict[date, float]] = {}
        self.dates: dict[int, list[date]] = {}
        self.refusals: dict[int, str | None] = {}  # whether the importing person may write, per indicator
        self.pending: list[NewValue] = []
        self.table: Table | None = None

    def read(self, table: Table, rows: list[tuple[int, Row]]) -> None:
        """Read once what the sheet's rows are compared with: the current values of their indicators."""
        self.table = table
        resolver = self.loader.resolver
        wanted: set[int] = set()
        for _, row in rows:
            convention_id = resolver.convention(row["convention"])
            indicator = (
                None if convention_id is None else resolver.lookup("indicator", row["indicateur"], convention_id)
            )
            if isinstance(indicator, int) and indicator not in self.results:
                wanted.add(indicator)
        for indicator in wanted:
            self.results[indicator] = {}
        table_ = m.Measurement.__table__  # type: ignore[attr-defined]
        for chunk in _chunks(sorted(wanted)):
            query = select(
                table_.c.id,
                table_.c.indicator_id,
                table_.c.measured_on,
                table_.c.type,
                table_.c.insee_code,
                table_.c.value,
            ).where(table_.c.indicator_id.in_(chunk), table_.c.superseded_at.is_(None))
            for id_, indicator, measured_on, kind, insee_code, value in self.loader.session.execute(query):
                self.current[(indicator, measured_on, kind, insee_code)] = (id_, value)
                if kind == MeasurementType.RESULTAT and insee_code is None:
                    self.results[indicator][measured_on] = value
        for indicator, results in self.results.items():
            self.dates[indicator] = sorted(results)

    def add(self, table: Table, line: int, row: Row, values: dict[str, Any]) -> None:
        """As the measurement form records a value: the same value writes nothing, a different
        one supersedes the current one (kept); what is written passes the form's rules."""
        loader = self.loader
        indicator = values["indicator_id"]
        if indicator not in self.results:  # an indicator created by this very import
            self.results[indicator], self.dates[indicator] = {}, []
        limits = loader.limits(indicator)
        current = self.current.get((indicator, values["measured_on"], values["type"], values.get("insee_code")))
        if current is not None and current[1] == form_rules.stored_value(limits, row["valeur"]):
            loader.report.count(table.sheet, "unchanged")
            return
        if self.refused(table, line, indicator, values):
            return
        data, problems = form_rules.measurement(limits, row, self.previous(indicator))
        for column, message in problems:
            loader.error(table, line, column, message)
        if data is None:
            return
        replaces = None if current is None else current[0]
        columns = values  # resolve() built it for this row alone
        columns["value"] = data.value
        self.pending.append(NewValue(columns, replaces, data.override_reason, f"La mesure de la ligne {line}"))
        if columns["type"] == MeasurementType.RESULTAT and columns.get("insee_code") is None:
            results = self.results[indicator]
            if columns["measured_on"] not in results:
                insort(self.dates[indicator], columns["measured_on"])
            results[columns["measured_on"]] = data.value
        loader.report.count(table.sheet, "corrected" if current is not None else "created")

    def refused(self, table: Table, line: int, indicator: int, values: dict[str, Any]) -> bool:
        """Whether the person importing may not write this value: the measurement form's
        permission, which depends on the indicator only (asked once per indicator)."""
        rights = self.loader.rights
        if rights is None:
            return False
        if indicator not in self.refusals:
            self.refusals[indicator] = rights.refusal(table.sheet, None, values, {"value"})
        refusal = self.refusals[indicator]
        if refusal:
            self.loader.error(table, line, None, refusal)
        return refusal is not None

    def previous(self, indicator: int) -> Callable[[date], Previous | None]:
        """form_rules.previous_result, read from memory: the latest whole-convention result
        before a date, stored or recorded by an earlier row of the file."""
        results, dates = self.results[indicator], self.dates[indicator]

        def before(when: date) -> Previous | None:
            index = bisect_left(dates, when)
            return None if index == 0 else Previous(dates[index - 1], results[dates[index - 1]])

        return before

    def write(self, session: Session | None = None) -> None:
        """Record every value checked, in batches, in `session` (default: the import's)."""
        pending, self.pending = self.pending, []
        for start in range(0, len(pending), BATCH):
            supersede_many(
                session or self.loader.session,
                self.loader.actor,
                pending[start : start + BATCH],
                origin="import",
                at=self.loader.now,
            )


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]
