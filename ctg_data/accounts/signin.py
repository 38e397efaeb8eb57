"""Signing in with an e-mail and a password, and with an identity from the directory (SSO).

Every failure reads the same (« Adresse e-mail ou mot de passe incorrect. ») whether the address
is unknown, the password wrong, the account disabled or locked: the form never tells which
addresses have an account. The work done is the same too: an unknown address is checked against
a dummy argon2 hash and counts its failures like an account does, so neither the time taken nor
the growing delay gives it away. The delay itself is applied by the caller (the UI sleeps it);
this module only computes it, so tests never wait.
"""

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import Lock

from sqlalchemy import Engine
from sqlmodel import Session

from ctg_data import models as m
from ctg_data.accounts import passwords
from ctg_data.accounts.records import (
    AccountError,
    AuthSettings,
    actor_of,
    audit_unknown,
    audit_user,
    aware,
    lookup_key,
    user_by_email,
)
from ctg_data.actors import Actor
from ctg_data.db import session_scope

GENERIC_FAILURE = "Adresse e-mail ou mot de passe incorrect."
MAX_DELAY_SECONDS = 8


class AuthError(Exception):
    """A refused sign-in. `delay` is how many seconds the caller waits before answering."""

    def __init__(self, message: str = GENERIC_FAILURE, delay: float = 0):
        super().__init__(message)
        self.message = message
        self.delay = delay


def failure_delay(failures: int) -> int:
    """Seconds to wait after the n-th failure in a row: 0, 1, 2, 4, 8, 8, …"""
    if failures <= 1:
        return 0
    return min(2 ** (failures - 2), MAX_DELAY_SECONDS)


@dataclass(frozen=True)
class SessionAccount:
    """What a signed-in session needs to know of its account on every page run."""

    actor: Actor
    display_name: str | None
    must_change_password: bool
    sso_only: bool

    @property
    def name(self) -> str:
        return self.display_name or self.actor.email


class _UnknownAddresses:
    """Failures of addresses that have no account, counted as an account would count them.
    Kept in memory and bounded: it only has to make the delays of the two cases alike."""

    def __init__(self, size: int = 10_000):
        self._failures: OrderedDict[str, int] = OrderedDict()
        self._size = size
        self._lock = Lock()

    def fail(self, key: str) -> int:
        with self._lock:
            count = self._failures.pop(key, 0) + 1
            self._failures[key] = count
            while len(self._failures) > self._size:
                self._failures.popitem(last=False)
            return count

    def clear(self) -> None:
        with self._lock:
            self._failures.clear()


UNKNOWN = _UnknownAddresses()


def _locked(user: m.User, now: datetime) -> bool:
    until = aware(user.locked_until)
    return until is not None and until > now


def verify_credentials(engine: Engine, email: str, password: str, now: datetime | None = None, *,
                       operation: str = "connexion") -> Actor:
    """The Actor of the account, or AuthError (generic message, delay to apply)."""
    now = now or m.utcnow()
    settings = AuthSettings.from_env()
    key = lookup_key(email)
    with session_scope(engine) as session:
        user = user_by_email(session, key)
        outcome = _attempt(session, user, key, password, now, settings, operation)
    if isinstance(outcome, Actor):
        return outcome
    raise AuthError(delay=outcome)


def _attempt(session: Session, user: m.User | None, key: str, password: str, now: datetime,
             settings: AuthSettings, operation: str) -> Actor | int:
    """One attempt, recorded: the Actor on success, else the delay to apply."""
    if user is None or user.password_hash is None:
        # No account (or one that signs in through the directory only): same cost, same count.
        passwords.verify_dummy(password)
        failures = UNKNOWN.fail(key)
        audit_unknown(session, "connexion:échec", key, {"motif": "adresse sans compte ni mot de passe",
                                                          "échecs": failures})
        return failure_delay(failures)
    before = {"failed_attempts": user.failed_attempts, "locked_until": _iso(user.locked_until)}
    if _locked(user, now):
        # Attempts during a lock are refused without looking at the password, at the same cost.
        passwords.verify_dummy(password)
        audit_user(session, user.email, "connexion:refus", user, before, {**before, "motif": "compte verrouillé"})
        return failure_delay(user.failed_attempts + 1)
    matches = passwords.verify_password(user.password_hash, password)
    if not matches or user.disabled_at is not None:
        motif = "compte désactivé" if matches else "mot de passe incorrect"
        return _failure(session, user, before, now, settings, motif)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.failed_attempts = 0
    user.locked_until = None
    if operation == "connexion":
        user.last_login_at = now
    session.add(user)
    audit_user(session, user.email, operation, user, before,
               {"failed_attempts": 0, "locked_until": None, "méthode": "mot de passe"})
    return actor_of(user)


def _failure(session: Session, user: m.User, before: dict, now: datetime, settings: AuthSettings,
             motif: str) -> int:
    user.failed_attempts += 1
    after = {"failed_attempts": user.failed_attempts, "locked_until": None, "motif": motif}
    audit_user(session, user.email, "connexion:échec", user, before, after)
    if user.failed_attempts >= settings.lock_after:
        user.locked_until = now + timedelta(minutes=settings.lock_minutes)
        after = {**after, "locked_until": _iso(user.locked_until)}
        audit_user(session, user.email, "connexion:verrouillage", user, before, after,
                   reason=f"{user.failed_attempts} échecs successifs")
    session.add(user)
    return failure_delay(user.failed_attempts)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else aware(moment).isoformat()


# ------------------------------------------------------------------ the session's account

def session_account(engine: Engine, user_id: int) -> SessionAccount | None:
    """The account of a signed-in session as it is now: None once it is disabled or deleted,
    so that a disabled account loses its open sessions at their next click."""
    with Session(engine) as session:
        user = session.get(m.User, user_id)
        if user is None or user.disabled_at is not None:
            return None
        return SessionAccount(actor=actor_of(user), display_name=user.display_name,
                              must_change_password=user.must_change_password,
                              sso_only=user.password_hash is None)


def directory_sign_in(engine: Engine, email: str | None, now: datetime | None = None) -> Actor:
    """Single sign-on: the directory vouched for `email`; its account gives the role.
    An address without an (enabled) account gets no access."""
    now = now or m.utcnow()
    key = lookup_key(email or "")
    with session_scope(engine) as session:
        user = user_by_email(session, key) if key else None
        if user is None or user.disabled_at is not None:
            if user is None:
                audit_unknown(session, "connexion:annuaire-refus", key, {"motif": "aucun compte"})
            else:
                audit_user(session, user.email, "connexion:annuaire-refus", user, None,
                           {"motif": "compte désactivé"})
            actor = None
        else:
            user.last_login_at = now
            session.add(user)
            audit_user(session, user.email, "connexion", user, None, {"méthode": "annuaire"})
            actor = actor_of(user)
    if actor is None:
        raise AuthError("Aucun compte n'est associé à cette adresse. Demandez à un administrateur "
                        "de vous en créer un.")
    return actor


def record_sign_out(engine: Engine, actor: Actor, reason: str = "déconnexion") -> None:
    if actor.user_id is None:
        return
    with session_scope(engine) as session:
        user = session.get(m.User, actor.user_id)
        if user is not None:
            audit_user(session, user.email, "déconnexion", user, None, {"motif": reason})


def change_own_password(engine: Engine, actor: Actor, current: str, new: str, confirmation: str,
                        now: datetime | None = None) -> None:
    """The person changes their own password (forced after an administrator set it).
    The current password is asked again: an unattended open session cannot take the account."""
    if new != confirmation:
        raise AccountError("Les deux saisies du nouveau mot de passe diffèrent.")
    if new == current:
        raise AccountError("Le nouveau mot de passe doit être différent de l'actuel.")
    passwords.check_policy(new, actor.email)
    try:
        verify_credentials(engine, actor.email, current, now, operation="connexion:confirmation")
    except AuthError as error:
        raise AuthError("Mot de passe actuel incorrect.", delay=error.delay) from None
    with session_scope(engine) as session:
        user = session.get(m.User, actor.user_id)
        before = {"must_change_password": user.must_change_password}
        user.password_hash = passwords.hash_password(new)
        user.must_change_password = False
        user.version += 1
        user.updated_at = m.utcnow()
        session.add(user)
        audit_user(session, user.email, "compte:mot-de-passe-changé", user, before,
                   {"must_change_password": False})
