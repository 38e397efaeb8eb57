"""The audit trail: every write records who, when, which record, before and after."""

import json
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import Table, insert, inspect
from sqlmodel import Session, SQLModel

from ctg_data.models import AuditEvent, Convention, utcnow

# Bookkeeping columns would make every diff noisy without telling anything.
IGNORED = {"created_at", "updated_at", "version"}


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def snapshot(record: SQLModel) -> dict[str, Any]:
    return {name: _plain(getattr(record, name)) for name in record.__class__.model_fields if name not in IGNORED}


def snapshot_of(model: type[SQLModel], values: dict[str, Any]) -> dict[str, Any]:
    """`snapshot` of a row of `model` given as its column values (a bulk write builds no object)."""
    return {name: _plain(values[name]) for name in model.model_fields if name not in IGNORED}


def _table(record: SQLModel) -> Table:
    # SQLModel's typing has no `__table__` and types `__tablename__` as str or callable: ask the mapper.
    table: Table = inspect(type(record)).local_table
    return table


def record_key(record: SQLModel) -> str:
    keys = [str(getattr(record, c.name)) for c in _table(record).primary_key.columns]
    return "/".join(keys)


def _owner_link(table: Table) -> tuple[str, Table] | None:
    """The foreign key through which a record without a `convention_id` belongs to one (a
    measurement to its indicator, a decision to its meeting): a required one, deleted with its
    parent (ON DELETE CASCADE), whose parent leads to a convention. None for shared data."""
    for key in sorted(table.foreign_keys, key=lambda k: k.parent.name):
        parent = key.column.table
        if key.ondelete != "CASCADE" or key.parent.nullable or parent is table:
            continue
        if "convention_id" in parent.c or parent.name == "conventions" or _owner_link(parent) is not None:
            return key.parent.name, parent
    return None


def convention_of(session: Session, record: SQLModel) -> int | None:
    """The convention `record` belongs to, None for shared data: what an audit event's
    `convention_id` says, so that a save in one convention leaves the others' caches valid."""
    return _convention(session, type(record), partial(getattr, record))


def _convention(session: Session, model: type[SQLModel], get: Callable[[str], Any]) -> int | None:
    """convention_of a row of `model` whose columns `get` reads (an object, or a bulk write's values)."""
    if issubclass(model, Convention):
        return get("id")
    if "convention_id" in model.model_fields:
        value: int | None = get("convention_id")
        return value
    link = _owner_link(inspect(model).local_table)
    if link is None:
        return None
    column, parent_table = link
    parent_id = get(column)
    if parent_id is None:
        return None
    # Remembered per session: an import audits thousands of measurements of a few indicators.
    known: dict[tuple[str, Any], int | None] = session.info.setdefault("ctg_convention_of", {})
    key = (parent_table.name, parent_id)
    if key not in known:
        parent = session.get(_model(parent_table), parent_id)
        known[key] = None if parent is None else convention_of(session, parent)
    return known[key]


def _model(table: Table) -> type[SQLModel]:
    for mapper in SQLModel._sa_registry.mappers:
        if mapper.local_table is table:
            model: type[SQLModel] = mapper.class_
            return model
    raise LookupError(table.name)


def audit(
    session: Session,
    *,
    actor: str,
    operation: str,
    record: SQLModel,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str | None = None,
) -> None:
    get = partial(getattr, record)
    session.add(AuditEvent(**_event(session, actor, operation, type(record), get, before, after, reason)))


# One event of a bulk write: (operation, the record's column values, before, after, reason).
BulkEvent = tuple[str, dict[str, Any], dict[str, Any] | None, dict[str, Any] | None, str | None]


def audit_many(session: Session, model: type[SQLModel], *, actor: str, events: Iterable[BulkEvent]) -> None:
    """`audit` for records of `model` written in bulk (given as their column values): the same
    event each, inserted in one batched statement."""
    at = utcnow()
    rows = [
        _event(session, actor, operation, model, values.__getitem__, before, after, reason) | {"at": at}
        for operation, values, before, after, reason in events
    ]
    if rows:
        session.execute(insert(AuditEvent), rows)


def _event(
    session: Session,
    actor: str,
    operation: str,
    model: type[SQLModel],
    get: Callable[[str], Any],
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str | None,
) -> dict[str, Any]:
    """The columns of the audit event of one write (the record's columns read by `get`)."""
    table: Table = inspect(model).local_table
    return {
        "actor": actor,
        "operation": operation,
        "convention_id": _convention(session, model, get),
        "table_name": table.name,
        "record_key": "/".join(str(get(column.name)) for column in table.primary_key.columns),
        "before": None if before is None else json.dumps(before, ensure_ascii=False, sort_keys=True),
        "after": None if after is None else json.dumps(after, ensure_ascii=False, sort_keys=True),
        "reason": reason,
    }
