"""What a meeting was shown, frozen when it was closed, and read back exactly as it was.

`freeze` computes the figures with the very functions the views use (indicators_frame,
actions_frame, steering_summary, lever_breakdown, bonus_reconciliation) at a date, and turns
them into one JSON document: plain values, money as Decimal strings (never floats), dates as ISO
text. `frozen_figures` reads a stored snapshot back as DataFrames with Decimal and date values,
whatever has been corrected since. The document carries a schema version: a later version adds
sections or columns, and an older snapshot is read with what it has.

Indicator values, expected progress and lateness are those at the date asked (the meeting's
date); an action's status and progress and the funding amounts have no dated history: they are
the ones stored when the snapshot is taken.
"""

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlmodel import col

from ctg_data import models as m
from ctg_data.queries.conventions import convention_card
from ctg_data.queries.filters import Filters
from ctg_data.queries.overview import steering_summary
from ctg_data.reports.bonus_report import bonus_reconciliation
from ctg_data.reports.funding import lever_breakdown

SCHEMA_VERSION = 1

# The columns kept from each live table: what a committee reads, not the computation's helpers.
SECTIONS: dict[str, list[str]] = {
    "indicators": [
        "id",
        "code",
        "name",
        "domain_code",
        "domain",
        "unit",
        "nature",
        "steps",
        "current_value",
        "current_date",
        "current_source",
        "target_value",
        "attainment",
        "expected",
        "status",
        "status_label",
    ],
    "actions": [
        "id",
        "code",
        "title",
        "domain_code",
        "domain",
        "orientation_code",
        "pilot",
        "status",
        "status_label",
        "progress",
        "expected",
        "late",
        "ends_on",
    ],
    "domains": [
        "domain_code",
        "domain",
        "position",
        "actions",
        "progress",
        "expected",
        "behind",
        "late",
        "done",
        "indicators",
        "attainment",
    ],
    "convention": ["progress", "expected", "behind"],
    "funding": ["lever", "lever_label", "year", "domain", "funder", "beneficiary", "planned", "notified", "paid"],
    "levers_year": ["lever", "lever_label", "planned", "notified", "paid"],
    "levers_all": ["lever", "lever_label", "planned", "notified", "paid"],
    "bonus": [
        "facility",
        "facility_name",
        "year",
        "due",
        "notified",
        "paid",
        "gap_notified",
        "gap_paid",
        "flag_codes",
        "situation",
    ],
}
MONEY = frozenset({"planned", "notified", "paid", "due", "gap_notified", "gap_paid"})
DATES = frozenset({"current_date", "ends_on"})
STAGES = ("planned", "notified", "paid")
# Sections that « Depuis le dernier COPIL » compares; the bonus lines are only shown.
COMPARED = ("indicators", "actions", "domains", "convention", "funding")


# ------------------------------------------------------------------ plain values


def _plain(value: Any, money: bool = False) -> Any:
    """A JSON value: Decimal as its exact text, a date as ISO text, pandas' gaps as None."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, Decimal):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if money:
        return str(value if isinstance(value, Decimal) else Decimal(str(value)))
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    kept = [c for c in columns if c in frame.columns]
    return [
        {c: _plain(v, money=c in MONEY) for c, v in zip(kept, row, strict=True)}
        for row in frame[kept].itertuples(index=False, name=None)
    ]


def lever_sums(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Planned / notified / paid per lever (Decimal), in order of first appearance; a lever
    where no row gives an amount keeps None for it."""
    sums: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = sums.setdefault(row["lever"], {"lever": row["lever"], "lever_label": row["lever_label"]})
        for stage in STAGES:
            amount = row[stage]
            if amount is not None:
                entry[stage] = (entry.get(stage) or Decimal(0)) + Decimal(amount)
    return [{stage: entry.get(stage) for stage in STAGES} | entry for entry in sums.values()]


# ------------------------------------------------------------------ freezing


def freeze(engine: Engine, convention_id: int, as_of: date, *, bonus: bool = True) -> dict[str, Any]:
    """The figures of the convention at `as_of`, as a JSON-ready document (schema SCHEMA_VERSION).
    `bonus` False leaves the bonus lines out (the comparison with today needs none)."""
    filters = Filters(convention_id)
    summary = steering_summary(engine, filters, as_of)
    funding = lever_breakdown(engine, convention_id)
    funding_rows = _records(funding, SECTIONS["funding"])
    year_rows = [row for row in funding_rows if row["year"] == as_of.year]
    card = convention_card(engine, convention_id)
    years = tuple(y for y in (card["years"] if card else ()) if y <= as_of.year)
    document: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "convention_id": convention_id,
        "as_of": as_of.isoformat(),
        "year": as_of.year,
        "indicators": _records(summary["indicators"], SECTIONS["indicators"]),
        "actions": _records(summary["actions"], SECTIONS["actions"]),
        "domains": _records(summary["domains"], SECTIONS["domains"]),
        "convention": _records(summary["convention"], SECTIONS["convention"]),
        "funding": funding_rows,
        "levers_year": _records(pd.DataFrame(lever_sums(year_rows)), SECTIONS["levers_year"]),
        "levers_all": _records(pd.DataFrame(lever_sums(funding_rows)), SECTIONS["levers_all"]),
        "bonus": [],
    }
    if bonus and years:
        lines = bonus_reconciliation(engine, convention_id, years, today=as_of)
        document["bonus"] = _records(lines, SECTIONS["bonus"])
    return document


def dumps(document: Mapping[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, sort_keys=True)


# ------------------------------------------------------------------ reading back


@dataclass(frozen=True)
class Frozen:
    """A stored snapshot: when it was taken, the date it speaks of, and its tables."""

    meeting_id: int
    taken_at: datetime
    as_of: date
    schema: int
    document: dict[str, Any]

    def table(self, section: str) -> pd.DataFrame:
        """One section as a DataFrame: money back to Decimal, dates back to date, None kept."""
        return table_of(self.document, section)


def table_of(document: Mapping[str, Any], section: str) -> pd.DataFrame:
    rows = document.get(section) or []
    columns = [c for c in SECTIONS[section] if not rows or c in rows[0]]
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    for column in frame.columns:
        if column in MONEY:
            frame[column] = [None if v is None else Decimal(v) for v in frame[column]]
        elif column in DATES:
            frame[column] = [None if v is None else date.fromisoformat(v) for v in frame[column]]
    return frame


def _frozen(row: Any) -> Frozen:
    return Frozen(row.meeting_id, row.taken_at, row.as_of, row.schema_version, json.loads(row.payload))


def frozen_figures(engine: Engine, meeting_id: int) -> Frozen | None:
    """The snapshot of a closed meeting (None: the meeting was never closed)."""
    query = select(
        col(m.Snapshot.meeting_id),
        col(m.Snapshot.taken_at),
        col(m.Snapshot.as_of),
        col(m.Snapshot.schema_version),
        col(m.Snapshot.payload),
    ).where(col(m.Snapshot.meeting_id) == meeting_id)
    with engine.connect() as connection:
        row = connection.execute(query).first()
    return None if row is None else _frozen(row)


__all__ = ["SCHEMA_VERSION", "Frozen", "dumps", "freeze", "frozen_figures", "lever_sums", "table_of"]
