"""The write core's batched path (store.py's `supersede` for thousands of values at once): the
same rows and the same audit events as one `supersede` a value, in a handful of statements
(executemany, INSERT … RETURNING in batches) instead of a few per value. The import writes its
measurements through it.

No ORM object is built for a new value (building one costs more than writing it): the rows are
plain column values, and the audit events are built from them by ctg_data.audit.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, Table, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from ctg_data import models as m
from ctg_data.actors import Actor
from ctg_data.audit import BulkEvent, audit_many, snapshot_of
from ctg_data.errors import ConflictError
from ctg_data.store import actor_name

MEASUREMENTS: Table = m.Measurement.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class NewValue:
    """A value to record: its columns (those of a `Measurement` a form would build), the id of
    the current value it supersedes (None: the first value), the audit reason, and how a
    conflict names it ("La mesure de la ligne 12")."""

    columns: dict[str, Any]
    replaces: int | None
    reason: str | None
    what: str


def _defaults() -> dict[str, Any]:
    """The measurement columns a new value leaves to their defaults (the id is the database's)."""
    fields = m.Measurement.model_fields
    return {name: fields[name].get_default(call_default_factory=True) for name in fields if name != "id"}


def supersede_many(session: Session, actor: Actor | str, values: list[NewValue], *, origin: str, at: datetime) -> None:
    """`store.supersede` for each of `values`, in order, in the caller's transaction. A current
    value someone else superseded meanwhile, or one they recorded for the same key, is a
    ConflictError naming the value concerned (or the first of the batch): never two current
    values."""
    if not values:
        return
    who = actor_name(actor)
    replaced = [value.replaces for value in values if value.replaces is not None]
    before = _stamp_superseded(session, values, replaced, at)
    since = session.execute(select(func.coalesce(func.max(MEASUREMENTS.c.id), 0))).scalar_one()
    template = _defaults() | {"recorded_by": who, "recorded_at": at}
    rows = [template | value.columns for value in values]
    try:
        session.execute(insert(MEASUREMENTS), rows)
    except IntegrityError:
        raise ConflictError(record=values[0].what, changed_by=None) from None
    _read_ids(session, rows, since)
    links = [
        {"old": value.replaces, "new": row["id"]} for value, row in zip(values, rows, strict=True) if value.replaces
    ]
    if links:
        session.execute(
            update(MEASUREMENTS).where(MEASUREMENTS.c.id == bindparam("old")).values(superseded_by_id=bindparam("new")),
            links,
        )
    events: list[BulkEvent] = []
    for value, row in zip(values, rows, strict=True):
        if value.replaces is not None:
            old = before[value.replaces]
            after = old | {"superseded_at": at.isoformat(), "superseded_by_id": row["id"]}
            events.append((f"{origin}:correction", old, old, after, value.reason))
        events.append((f"{origin}:création", row, None, snapshot_of(m.Measurement, row), value.reason))
    audit_many(session, m.Measurement, actor=who, events=events)


def _read_ids(session: Session, rows: list[dict[str, Any]], since: int) -> None:
    """The id each new row was given, read back by its key (one current value per indicator,
    date, type and commune): INSERT … RETURNING cannot keep the rows' order on every database
    without writing them one by one."""
    key = (MEASUREMENTS.c.indicator_id, MEASUREMENTS.c.measured_on, MEASUREMENTS.c.type, MEASUREMENTS.c.insee_code)
    found = session.execute(
        select(MEASUREMENTS.c.id, *key).where(
            MEASUREMENTS.c.id > since,
            MEASUREMENTS.c.superseded_at.is_(None),
            MEASUREMENTS.c.indicator_id.in_({row["indicator_id"] for row in rows}),
        )
    )
    ids = {tuple(found_key): id_ for id_, *found_key in found}
    for row in rows:
        row["id"] = ids[(row["indicator_id"], row["measured_on"], row["type"], row["insee_code"])]


def _stamp_superseded(
    session: Session, values: list[NewValue], replaced: list[int], at: datetime
) -> dict[int, dict[str, Any]]:
    """Stamp the `replaced` current values superseded at `at` (freeing the "one current value"
    slot before the new ones are inserted); their audit snapshots as they were before."""
    if not replaced:
        return {}
    rows = session.execute(select(MEASUREMENTS).where(MEASUREMENTS.c.id.in_(replaced))).mappings()
    before = {row["id"]: snapshot_of(m.Measurement, dict(row)) for row in rows}
    stamped: CursorResult[Any] = session.execute(  # type: ignore[assignment]  # an UPDATE's result has a rowcount
        update(MEASUREMENTS)
        .where(MEASUREMENTS.c.id == bindparam("old"), MEASUREMENTS.c.superseded_at.is_(None))
        .values(superseded_at=bindparam("at")),
        [{"old": old, "at": at} for old in replaced],
    )
    if stamped.rowcount != len(replaced):  # someone superseded one of them since the import read it
        # Theirs carry the value that superseded them; ours not yet.
        gone = set(
            session.execute(
                select(MEASUREMENTS.c.id).where(
                    MEASUREMENTS.c.id.in_(replaced), MEASUREMENTS.c.superseded_by_id.is_not(None)
                )
            ).scalars()
        )
        what = next((value.what for value in values if value.replaces in gone), values[0].what)
        raise ConflictError(record=what, changed_by=None)
    return before
