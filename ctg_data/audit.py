"""The audit trail: every write records who, when, which record, before and after."""

import json
from datetime import date, datetime
from decimal import Decimal

from sqlmodel import Session, SQLModel

from ctg_data.models import AuditEvent

# Bookkeeping columns would make every diff noisy without telling anything.
IGNORED = {"created_at", "updated_at", "version"}


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def snapshot(record: SQLModel) -> dict:
    return {
        name: _plain(getattr(record, name))
        for name in record.__class__.model_fields
        if name not in IGNORED
    }


def record_key(record: SQLModel) -> str:
    keys = [str(getattr(record, c.name)) for c in record.__table__.primary_key.columns]
    return "/".join(keys)


def audit(session: Session, *, actor: str, operation: str, record: SQLModel,
          before: dict | None, after: dict | None, reason: str | None = None) -> None:
    session.add(AuditEvent(
        actor=actor,
        operation=operation,
        table_name=record.__tablename__,
        record_key=record_key(record),
        before=None if before is None else json.dumps(before, ensure_ascii=False, sort_keys=True),
        after=None if after is None else json.dumps(after, ensure_ascii=False, sort_keys=True),
        reason=reason,
    ))
