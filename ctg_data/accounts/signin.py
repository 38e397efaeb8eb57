"""Signing in with an e-mail and a password, and with an identity from the directory (SSO).

Every checked failure reads the same (« Adresse e-mail ou mot de passe incorrect. ») whether
the address is unknown, the password wrong or the account disabled: the form never tells which
addresses have an account. The work done is the same too: an unknown address is checked
against a dummy argon2 hash and is throttled like an account (ctg_data.accounts.throttle).
Waits are enforced by the database, not by sleeping: an attempt made too early is refused
without its password being looked at. Nothing is recorded in the audit trail, whose newest
event keys the read caches: sign-in events have their own table (ctg_data.accounts.events).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from math import ceil

from sqlalchemy import Engine
from sqlmodel import Session

from ctg_data import models as m
from ctg_data.accounts import directory, events, passwords, throttle
from ctg_data.accounts.records import (
    AccountError,
    AuthSettings,
    actor_of,
    audit_user,
    end_sessions_of,
    lookup_key,
    user_by_email,
)
from ctg_data.actors import Actor
from ctg_data.db import session_scope

GENERIC_FAILURE = "Adresse e-mail ou mot de passe incorrect."
BUSY = "Trop de tentatives, réessayez dans un instant."
failure_delay = throttle.failure_delay


class AuthError(Exception):
    """A refused sign-in. `delay`: seconds before another attempt will be checked."""

    def __init__(self, message: str = GENERIC_FAILURE, delay: float = 0) -> None:
        super().__init__(message)
        self.message = message
        self.delay = delay


@dataclass(frozen=True)
class SessionAccount:
    """What a signed-in session needs to know of its account on every page run."""

    actor: Actor
    display_name: str | None
    must_change_password: bool
    sso_only: bool
    session_epoch: int = 0

    @property
    def name(self) -> str:
        return self.display_name or self.actor.email

    @classmethod
    def of(cls, user: m.User) -> "SessionAccount":
        return cls(
            actor=actor_of(user),
            display_name=user.display_name,
            must_change_password=user.must_change_password,
            sso_only=user.password_hash is None,
            session_epoch=user.session_epoch,
        )


@dataclass(frozen=True)
class _Claim:
    """An attempt allowed to be checked: what it checks against and what it will count on."""

    key: str
    target: throttle.Target
    client: throttle.Target | None
    client_address: str | None
    user_id: int | None
    password_hash: str | None


def _utc(now: datetime | None) -> datetime:
    # SQLite keeps timestamps as naive UTC text: every moment compared there must be UTC.
    return (now or m.utcnow()).astimezone(UTC)


def wait_message(wait: timedelta, locked: bool) -> str:
    seconds = wait.total_seconds()
    if not locked and seconds > throttle.MAX_DELAY_SECONDS:
        return BUSY  # another attempt on this address is being checked right now
    if seconds < 60:
        count, unit = max(1, ceil(seconds)), "seconde"
    else:
        count, unit = ceil(seconds / 60), "minute"
    return f"Trop de tentatives : réessayez dans {count} {unit}{'s' if count > 1 else ''}."


def verify_credentials(
    engine: Engine,
    email: str,
    password: str,
    now: datetime | None = None,
    *,
    client: str | None = None,
    operation: str = "connexion",
) -> Actor:
    """The Actor of the account, or AuthError. `client`: the address the attempt comes from."""
    now = _utc(now)
    try:
        with passwords.SLOTS.slot():
            return _attempt(engine, lookup_key(email), password, now, client, operation)
    except passwords.Busy:
        raise AuthError(BUSY) from None


def _attempt(engine: Engine, key: str, password: str, now: datetime, client: str | None, operation: str) -> Actor:
    with session_scope(engine) as session:
        claim = _claim(session, key, now, client)
    if isinstance(claim, AuthError):
        raise claim
    try:
        matches = passwords.verify_password(claim.password_hash or passwords.HASHING.dummy(), password)
    except BaseException:
        with session_scope(engine) as session:
            throttle.release(session, claim.target, now)
        raise
    settings = AuthSettings.from_env()
    with session_scope(engine) as session:
        outcome = _outcome(session, claim, password, matches, now, settings, operation)
    if isinstance(outcome, AuthError):
        raise outcome
    return outcome


def _claim(session: Session, key: str, now: datetime, client: str | None) -> "_Claim | AuthError":
    """Claim the account (or the unknown address) for one check, or say how long to wait."""
    user = user_by_email(session, key) if key else None
    user_id = None if user is None else user.id
    if user is not None and user_id is not None and user.password_hash is not None:
        target = throttle.account(user_id)
    else:  # no account, or one that signs in through the directory only: the same work
        target = throttle.stranger(session, key, now)
    client_target = throttle.client(session, client, now) if client else None
    client_open = client_target is None or throttle.is_open(session, client_target, now)
    if not client_open or not throttle.claim(session, target, now):
        wait, locked = throttle.wait(session, target, now)
        if client_target is not None:
            wait = max(wait, throttle.wait(session, client_target, now)[0])
        motif = (
            "verrouillage en cours"
            if locked
            else ("attente en cours" if client_open else "trop de tentatives depuis ce poste")
        )
        events.record(session, "connexion:refus", key, user_id=user_id, client=client, motif=motif)
        return AuthError(wait_message(wait, locked), delay=wait.total_seconds())
    return _Claim(key, target, client_target, client, user_id, None if user is None else user.password_hash)


def _outcome(
    session: Session, claim: _Claim, password: str, matches: bool, now: datetime, settings: AuthSettings, operation: str
) -> "Actor | AuthError":
    user = session.get(m.User, claim.user_id) if claim.user_id is not None else None
    if user is not None and matches and claim.password_hash is not None and user.disabled_at is None:
        return _success(session, claim, user, password, now, operation)
    motif = (
        ("compte désactivé" if matches else "mot de passe incorrect")
        if claim.password_hash
        else "adresse sans compte ni mot de passe"
    )
    failure = throttle.fail(session, claim.target, now, settings)
    if claim.client is not None:
        throttle.fail(session, claim.client, now, settings)
    events.record(
        session,
        "connexion:échec",
        claim.key,
        user_id=claim.user_id,
        client=claim.client_address,
        motif=motif,
        échecs=failure.count,
    )
    if failure.locked_until is not None:
        events.record(
            session,
            "connexion:verrouillage",
            claim.key,
            user_id=claim.user_id,
            client=claim.client_address,
            échecs=failure.count,
            jusqu_a=failure.locked_until.isoformat(),
        )
    return AuthError(GENERIC_FAILURE, delay=failure.wait(now).total_seconds())


def _success(session: Session, claim: _Claim, user: m.User, password: str, now: datetime, operation: str) -> Actor:
    values: dict[str, object] = {}
    if claim.password_hash is not None and passwords.needs_rehash(claim.password_hash):
        values["password_hash"] = passwords.hash_password(password)
    if operation == "connexion":
        values["last_login_at"] = now
    throttle.succeed(session, claim.target, **values)
    events.record(session, operation, claim.key, user_id=user.id, client=claim.client_address, méthode="mot de passe")
    session.refresh(user)
    return actor_of(user)


# ------------------------------------------------------------------ the session's account


def session_account(engine: Engine, user_id: int) -> SessionAccount | None:
    """The account of a signed-in session as it is now: None once it is disabled or deleted,
    so that a disabled account loses its open sessions at their next click."""
    with Session(engine) as session:
        user = session.get(m.User, user_id)
        if user is None or user.disabled_at is not None:
            return None
        return SessionAccount.of(user)


def directory_sign_in(
    engine: Engine,
    email: str | None,
    now: datetime | None = None,
    *,
    email_verified: bool | None = None,
    client: str | None = None,
) -> Actor:
    """Single sign-on: the directory vouched for `email`; its account gives the role. Refused
    unless the directory says the address is verified (`email_verified` is True) and the
    account is one that signs in through the directory (ctg_data.accounts.directory)."""
    now = _utc(now)
    key = lookup_key(email or "")
    with session_scope(engine) as session:
        user = user_by_email(session, key) if key else None
        refusal = directory.refusal(user, email_verified)
        if refusal is None and user is not None:
            user.last_login_at = now
            session.add(user)
            events.record(session, "connexion", key, user_id=user.id, client=client, méthode="annuaire")
            return actor_of(user)  # committed as the block ends
        refusal = refusal or directory.NO_ACCOUNT
        events.record(
            session,
            "connexion:annuaire-refus",
            key,
            user_id=None if user is None else user.id,
            client=client,
            motif=refusal.motif,
        )
    raise AuthError(refusal.message)


def record_sign_out(engine: Engine, actor: Actor, reason: str = "déconnexion") -> None:
    if actor.user_id is None:
        return
    with session_scope(engine) as session:
        events.record(session, "déconnexion", actor.email, user_id=actor.user_id, motif=reason)


def sign_out_everywhere(engine: Engine, actor: Actor) -> None:
    """End every open session of the person's account (this one included) at its next click."""
    if actor.user_id is None:
        return
    with session_scope(engine) as session:
        user = session.get(m.User, actor.user_id)
        if user is None:
            return
        end_sessions_of(user)
        session.add(user)
        events.record(session, "déconnexion", user.email, user_id=user.id, motif="toutes les sessions")


def change_own_password(
    engine: Engine, actor: Actor, current: str, new: str, confirmation: str, now: datetime | None = None
) -> None:
    """The person changes their own password (forced after an administrator set it).
    The current password is asked again: an unattended open session cannot take the account.
    Every other open session of the account ends."""
    if new != confirmation:
        raise AccountError("Les deux saisies du nouveau mot de passe diffèrent.")
    if new == current:
        raise AccountError("Le nouveau mot de passe doit être différent de l'actuel.")
    passwords.check_policy(new, actor.email)
    try:
        verify_credentials(engine, actor.email, current, now, operation="connexion:confirmation")
    except AuthError as error:
        message = "Mot de passe actuel incorrect." if error.message == GENERIC_FAILURE else error.message
        raise AuthError(message, delay=error.delay) from None
    with session_scope(engine) as session:
        user = session.get(m.User, actor.user_id)
        if user is None:
            raise AccountError("Ce compte n'existe plus.")
        before = {"must_change_password": user.must_change_password}
        user.password_hash = passwords.hash_password(new)
        user.must_change_password = False
        end_sessions_of(user)
        user.version += 1
        user.updated_at = m.utcnow()
        session.add(user)
        audit_user(session, user.email, "compte:mot-de-passe-changé", user, before, {"must_change_password": False})
