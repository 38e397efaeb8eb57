"""What the account modules share: e-mail normalisation, the lookup, the Actor of an account,
its audit snapshot (never the password hash) and the settings read from the environment."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import object_session
from sqlmodel import Session, col, select

from ctg_data import models as m
from ctg_data import settings
from ctg_data.actors import Actor, Role
from ctg_data.audit import audit, snapshot

SECRET_COLUMNS = {"password_hash"}


class AccountError(ValueError):
    """A refused account operation, with a French message that can be shown as it is."""


@dataclass(frozen=True)
class AuthSettings:
    lock_after: int = 5  # failures in a row before the account is locked
    lock_minutes: int = 15  # how long the lock lasts
    session_minutes: int = 30  # inactivity after which a signed-in session ends
    session_max_hours: int = 12  # age after which a signed-in session ends, even an active one

    @classmethod
    def from_env(cls) -> "AuthSettings":
        return cls(
            lock_after=settings.lock_after(),
            lock_minutes=settings.lock_minutes(),
            session_minutes=settings.session_minutes(),
            session_max_hours=settings.session_max_hours(),
        )


# A plain address, checked strictly: letters, digits and . _ % + - before « @ », then domain
# labels and a top-level domain of letters. Nothing that Markdown or HTML would read as markup.
_ADDRESS = re.compile(
    r"[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})"
)
MAX_EMAIL = 254


def is_address(value: str) -> bool:
    """Whether `value` (already trimmed and lower case) is a plausible e-mail address."""
    return len(value) <= MAX_EMAIL and _ADDRESS.fullmatch(value) is not None


def normalise_email(email: str) -> str:
    """The stored form of an address: trimmed, lower case. Refuses what cannot be an address."""
    value = (email or "").strip().lower()
    if not is_address(value):
        shown = (email or "").strip()
        shown = shown if len(shown) <= 80 else shown[:80] + "…"
        raise AccountError(f"« {shown} » n'est pas une adresse e-mail valable (par exemple prenom.nom@organisme.fr).")
    return value


def lookup_key(email: str) -> str:
    """The form used to look an address up at sign-in, without refusing anything."""
    return (email or "").strip().lower()[:254]


def aware(moment: datetime | None) -> datetime | None:
    """Timestamps come back naive from SQLite (stored in UTC) and aware from PostgreSQL."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def user_by_email(session: Session, email: str) -> m.User | None:
    return session.exec(select(m.User).where(col(m.User.email) == lookup_key(email))).first()


def require_user(session: Session, email: str) -> m.User:
    user = user_by_email(session, email)
    if user is None:
        raise AccountError(f"Aucun compte pour l'adresse « {email} ».")
    return user


def organisation_id(session: Session, code: str | None) -> int | None:
    if not code:
        return None
    organisation = session.exec(select(m.Organisation).where(col(m.Organisation.code) == code)).first()
    if organisation is None:
        raise AccountError(f"Organisation inconnue : « {code} ».")
    return organisation.id


def actor_of(user: m.User) -> Actor:
    return Actor(email=user.email, role=Role(user.role), user_id=user.id, organisation_id=user.organisation_id)


def end_sessions_of(user: m.User) -> None:
    """Every session opened before now ends at its next page run (ctg_data.ui.auth compares).
    The new epoch alone ends the browser sessions (ctg_data.accounts.web_sessions); they are
    also marked revoked, in the same transaction, so that the table says so."""
    user.session_epoch = (user.session_epoch or 0) + 1
    session = object_session(user)
    if session is not None and user.id is not None:
        session.execute(
            update(m.WebSession)
            .where(col(m.WebSession.user_id) == user.id, col(m.WebSession.revoked_at).is_(None))
            .values(revoked_at=m.utcnow())
        )


def user_snapshot(user: m.User) -> dict[str, Any]:
    """The audited state of an account: everything but the hash, and whether a password is set."""
    state = {name: value for name, value in snapshot(user).items() if name not in SECRET_COLUMNS}
    state["password_set"] = user.password_hash is not None
    return state


def audit_user(
    session: Session,
    actor: str,
    operation: str,
    user: m.User,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    session.flush()
    audit(
        session,
        actor=actor[:200],
        operation=operation,
        record=user,
        before=before,
        after=user_snapshot(user) if after is None else after,
        reason=reason,
    )
