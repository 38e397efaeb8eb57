"""Sign-in throttling kept in the database, so that it holds across sessions, threads and
server processes alike (a sleep in the session's thread did not: a new session skipped it).

Each attempt first *claims* its account: one UPDATE that succeeds only when the account is
neither locked nor inside its wait, and that moves the wait forward for as long as the check
may take. Attempts made meanwhile, or before the wait ends, are refused without the password
being looked at. The outcome is then written by atomic increments (failures = failures + 1),
so parallel attempts can neither all be checked nor lose a count; the lock falls at exactly
the configured number of failures. PostgreSQL re-checks the claim's WHERE clause after a
concurrent update of the row; SQLite runs one writer at a time: the claim holds on both.

Addresses without an account are throttled the same way in `sign_in_throttle`, as is each
client address (its own waits, no lock, so that an office behind one address is never shut out).
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import ColumnElement, CursorResult, Table, and_, case, delete, inspect, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from ctg_data import models as m
from ctg_data.accounts.records import AuthSettings, aware

MAX_DELAY_SECONDS = 8
# How long a claimed account refuses other attempts if its check never reports (a crash).
HOLD = timedelta(seconds=30)
STRANGER, CLIENT = "adresse", "poste"
FORGET_AFTER = timedelta(days=30)  # throttle rows of strangers idle that long are dropped

# A model's mapped table is a Table; the mapper types it as any FROM clause.
USERS = cast(Table, inspect(m.User).local_table)
THROTTLE = cast(Table, inspect(m.SignInThrottle).local_table)


def failure_delay(failures: int) -> int:
    """Seconds before the next attempt after the n-th failure in a row: 0, 1, 2, 4, 8, 8, …"""
    if failures <= 1:
        return 0
    return min(2 ** (failures - 2), MAX_DELAY_SECONDS)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Target:
    """One throttled row: an account in `users`, or a stranger or client in `sign_in_throttle`."""

    table: Table
    where: ColumnElement[bool]
    decays: bool = False  # a client's failures start again after a quiet lock period
    locks: bool = True


def account(user_id: int) -> Target:
    return Target(USERS, USERS.c.id == user_id)


def _row(scope: str, value: str) -> ColumnElement[bool]:
    return and_(THROTTLE.c.scope == scope, THROTTLE.c.key == digest(value))


def stranger(session: Session, address: str, now: datetime) -> Target:
    """The row counting the failures of an address without an account (created on first use)."""
    _ensure(session, STRANGER, address, now)
    return Target(THROTTLE, _row(STRANGER, address))


def client(session: Session, address: str, now: datetime) -> Target:
    _ensure(session, CLIENT, address, now)
    return Target(THROTTLE, _row(CLIENT, address), decays=True, locks=False)


def _ensure(session: Session, scope: str, value: str, now: datetime) -> None:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    inserted = cast(
        CursorResult,
        session.execute(
            dialect.insert(THROTTLE)
            .values(scope=scope, key=digest(value), failed_attempts=0, updated_at=now)
            .on_conflict_do_nothing()
        ),
    )
    if inserted.rowcount:  # a new row: the moment to drop the long-forgotten ones
        session.execute(
            delete(THROTTLE).where(
                THROTTLE.c.updated_at < now - FORGET_AFTER,
                or_(THROTTLE.c.locked_until.is_(None), THROTTLE.c.locked_until < now),
            )
        )


def _open(target: Target, now: datetime) -> ColumnElement[bool]:
    table = target.table
    return and_(
        or_(table.c.not_before.is_(None), table.c.not_before <= now),
        or_(table.c.locked_until.is_(None), table.c.locked_until <= now),
    )


def is_open(session: Session, target: Target, now: datetime) -> bool:
    """Whether an attempt may be checked now (a client is only read, never claimed)."""
    found = session.execute(select(target.table.c.failed_attempts).where(target.where, _open(target, now)))
    return found.first() is not None


def claim(session: Session, target: Target, now: datetime) -> bool:
    """Take the right to check one attempt now; False when locked or still waiting."""
    claimed = session.execute(
        update(target.table)
        .where(target.where, _open(target, now))
        .values(not_before=now + HOLD)
        .returning(target.table.c.failed_attempts)
    )
    return claimed.first() is not None


def wait(session: Session, target: Target, now: datetime) -> tuple[timedelta, bool]:
    """How long before the next attempt is checked, and whether it is a lock."""
    row = session.execute(select(target.table.c.not_before, target.table.c.locked_until).where(target.where)).one()
    locked_until, not_before = aware(row.locked_until), aware(row.not_before)
    if locked_until is not None and locked_until > now:
        return locked_until - now, True
    return max((not_before or now) - now, timedelta(0)), False


@dataclass(frozen=True)
class Failure:
    count: int
    locked_until: datetime | None

    def wait(self, now: datetime) -> timedelta:
        if self.locked_until is not None:
            return self.locked_until - now
        return timedelta(seconds=failure_delay(self.count))


def fail(session: Session, target: Target, now: datetime, settings: AuthSettings) -> Failure:
    """Count one failure (atomically) and set the wait, or the lock at exactly `lock_after`."""
    table = target.table
    counted = table.c.failed_attempts + 1
    if target.decays:
        counted = case((table.c.updated_at < now - timedelta(minutes=settings.lock_minutes), 1), else_=counted)
    values = {"failed_attempts": counted, **({"updated_at": now} if table is THROTTLE else {})}
    count = session.execute(
        update(table).where(target.where).values(**values).returning(table.c.failed_attempts)
    ).scalar_one()
    locked_until = None
    if target.locks and count >= settings.lock_after:
        locked_until = now + timedelta(minutes=settings.lock_minutes)
    failure = Failure(count, locked_until)
    session.execute(
        update(table).where(target.where).values(not_before=now + failure.wait(now), locked_until=locked_until)
    )
    return failure


def succeed(session: Session, target: Target, **values: object) -> None:
    session.execute(
        update(target.table).where(target.where).values(failed_attempts=0, not_before=None, locked_until=None, **values)
    )


def release(session: Session, target: Target, now: datetime) -> None:
    """Give a claimed row back unchanged when its check could not finish."""
    session.execute(update(target.table).where(target.where).values(not_before=now))
