"""Small helpers the data-entry services share: loading a record for an edit (locked, so that
two saves can't both pass the version check), refusing stale edits with who changed the
record, and the records a person may write.

Two locks make the check hold: SELECT … FOR UPDATE on PostgreSQL, and on SQLite (which ignores
FOR UPDATE) the write lock that every `session_scope` takes as it begins (ctg_data.db). The
UPDATE itself also carries the version read (models.versioned), should a path skip both."""

from typing import Any, TypeVar

from sqlalchemy import Table, inspect
from sqlmodel import Session, SQLModel, col, select

from ctg_data import models as m
from ctg_data.audit import record_key, snapshot
from ctg_data.services.base import ConflictError, ValidationError, check_version

# Operations of the audit trail written by the data-entry forms (the import writes "import:…").
CREATED = "saisie:création"
UPDATED = "saisie:modification"
CORRECTED = "saisie:correction"
VALIDATED = "saisie:validation"
NOTE = "saisie:note"
DATES = "saisie:dates"

Record = TypeVar("Record", bound=SQLModel)


def load_for_update(session: Session, model: type[Record], record_id: object, field: str, what: str) -> Record:
    """The record, locked until the transaction ends (FOR UPDATE on PostgreSQL; on SQLite the
    session_scope already holds the write lock), or a ValidationError naming `field` when it
    does not exist."""
    record = None
    if record_id is not None:
        table: Table = inspect(model).local_table
        primary = next(iter(table.primary_key.columns))
        record = session.exec(select(model).where(primary == record_id).with_for_update()).first()
    if record is None:
        raise ValidationError({field: f"{what} n° {record_id} inconnu(e)" if record_id is not None
                               else "champ obligatoire"})
    return record


def last_writer(session: Session, record: SQLModel) -> str | None:
    """Who wrote `record` last, from the audit trail."""
    return session.exec(
        select(col(m.AuditEvent.actor))
        .where(col(m.AuditEvent.table_name) == record.__tablename__,
               col(m.AuditEvent.record_key) == record_key(record))
        .order_by(col(m.AuditEvent.id).desc())).first()


def refuse_if_stale(session: Session, record: m.Versioned, expected_version: int | None,
                    opened: dict[str, Any] | None, what: str) -> None:
    """ConflictError (with who and what changed) when someone saved `record` since the form
    read `expected_version`; a form that saw no record (None) conflicts with any record."""
    if expected_version is None:
        raise ConflictError(record=what, changed_by=last_writer(session, record),
                            changes=[(name, None, value) for name, value in snapshot(record).items()
                                     if value is not None and name not in {"id"}])
    if record.version != expected_version:
        try:
            check_version(record, expected_version, opened, changed_by=last_writer(session, record))
        except ConflictError as conflict:
            conflict.record = what
            raise


def opened_snapshot(record: m.Versioned) -> dict[str, Any]:
    """What a form is built from: the audit snapshot plus the version it read."""
    return snapshot(record) | {"version": record.version}
