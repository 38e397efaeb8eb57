"""What every write service shares: its errors, optimistic locking and the audited save."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, SQLModel

from ctg_data.actors import Actor
from ctg_data.audit import audit, snapshot
from ctg_data.models import Versioned, utcnow


class ValidationError(Exception):
    """Bad input: `errors` maps a field (French label or column name) to its French message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ; ".join(f"{name} : {message}" for name, message in errors.items()))
        self.errors = errors


@dataclass
class ConflictError(Exception):
    """Someone saved the same record since the form was opened: nothing was written.
    `changes` lists (field, value when the form opened, value saved meanwhile)."""

    record: str
    changed_by: str | None
    changes: list[tuple[str, object, object]] = field(default_factory=list)

    def __str__(self) -> str:
        who = f" par {self.changed_by}" if self.changed_by else ""
        return f"{self.record} a été modifié{who} depuis l'ouverture du formulaire : rien n'a été enregistré."


def check_version(record: Versioned, expected_version: int, opened: dict[str, Any] | None = None,
                  changed_by: str | None = None) -> None:
    """Refuse the save when the stored version moved since the form read `expected_version`.
    `opened` is the snapshot the form was built from, to tell the user what changed."""
    if record.version == expected_version:
        return
    current = snapshot(record)
    changes = [(name, (opened or {}).get(name), value) for name, value in current.items()
               if opened is not None and opened.get(name) != value]
    raise ConflictError(record=f"{record.__tablename__} n° {record.id}", changed_by=changed_by, changes=changes)


@contextmanager
def conflict_if_stale(what: str | None = None) -> Iterator[None]:
    """Turn the database's refusal of a stale write into the ConflictError forms show: the
    UPDATE or DELETE of a versioned record (models.versioned) matched no row because someone
    saved it since it was read. `what` names the record ("Le financement n° 3")."""
    try:
        yield
    except StaleDataError:
        raise ConflictError(record=what or "L'enregistrement", changed_by=None) from None


def save(session: Session, actor: Actor, record: SQLModel, *, before: dict[str, Any] | None, operation: str,
         reason: str | None = None, what: str | None = None) -> None:
    """Write `record` and its audit event in the caller's transaction, bumping its version; a
    ConflictError naming `what` if the stored version is no longer the one read."""
    if before is not None and hasattr(record, "version"):
        record.version += 1
    if hasattr(record, "updated_at"):
        record.updated_at = utcnow()
    session.add(record)
    with conflict_if_stale(what):
        session.flush()
    audit(session, actor=actor.label, operation=operation, record=record, before=before,
          after=snapshot(record), reason=reason)
