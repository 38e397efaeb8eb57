"""The audit trail: every write records who, when, which record, before and after."""

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, inspect
from sqlmodel import Session, SQLModel

from ctg_data.models import AuditEvent

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


def _table(record: SQLModel) -> Table:
    # SQLModel's typing has no `__table__` and types `__tablename__` as str or callable: ask the mapper.
    table: Table = inspect(type(record)).local_table
    return table


def record_key(record: SQLModel) -> str:
    keys = [str(getattr(record, c.name)) for c in _table(record).primary_key.columns]
    return "/".join(keys)


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
    session.add(
        AuditEvent(
            actor=actor,
            operation=operation,
            table_name=_table(record).name,
            record_key=record_key(record),
            before=None if before is None else json.dumps(before, ensure_ascii=False, sort_keys=True),
            after=None if after is None else json.dumps(after, ensure_ascii=False, sort_keys=True),
            reason=reason,
        )
    )
