"""Browser sessions that survive a reload, a new tab or a link opened from an e-mail (local
accounts). The state is in the database, so that every app process sees the same sessions.

How a session starts: a successful sign-in in a Streamlit tab `create`s a session and gets a
one-time handoff (valid HANDOFF_SECONDS). The tab's page asks the browser to post it to the app's
own route (ctg_data.accounts.http); `exchange` turns it, once, into the cookie's token, and the
route sets the HttpOnly cookie. A new tab (or a reload) finds no session in Streamlit's memory:
ctg_data.ui.auth `resume`s from the cookie. Every page run of a signed-in tab `check`s its
session by id, in one query with the account, so that a sign-out elsewhere ends it at its next
click.

A session ends when it is revoked (sign-out), after CTG_SESSION_MINUTES without a page run,
after CTG_SESSION_MAX_HOURS whatever the activity, when its account is disabled, and when the
account's session epoch moved on (password or role changed, « se déconnecter partout »:
ctg_data.accounts.records.end_sessions_of). Only SHA-256 digests of the tokens are stored; the
cookie carries the token and an HMAC of it under a key generated once and kept in the database
(`app_secrets`), shared by every process: a forged or altered cookie is refused without a query.
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ctg_data import models as m
from ctg_data.accounts.directory import secret_problem
from ctg_data.accounts.records import AuthSettings, aware, end_sessions_of
from ctg_data.accounts.signin import SessionAccount
from ctg_data.db import session_scope

COOKIE_NAME = "ctg_session"
HANDOFF_SECONDS = 120  # the tab's page posts its handoff at once; two minutes cover a slow network
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often: inactivity is a minute coarse
SECRET_NAME = "web_session_cookie"
MAX_COOKIE = 200


class Ended(StrEnum):
    """Why a session is over (the values go to the sign-in journal)."""

    UNKNOWN = "session inconnue"
    REVOKED = "déconnexion"
    IDLE = "expiration"
    MAX_AGE = "durée maximale atteinte"
    DISABLED = "compte désactivé"
    EPOCH = "session fermée"


class WeakSecret(RuntimeError):
    """The signing key read from the database may not sign a cookie (French message)."""


@dataclass(frozen=True)
class Opened:
    session_id: int
    handoff: str  # given to the tab's page once, posted by the browser to get the cookie


@dataclass(frozen=True)
class Resumed:
    session_id: int
    account: SessionAccount


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _utc(now: datetime | None) -> datetime:
    # SQLite keeps timestamps as naive UTC text: every moment compared there must be UTC.
    return (now or m.utcnow()).astimezone(UTC)


# ------------------------------------------------------------------ the signed cookie


def signing_key(engine: Engine) -> bytes:
    """The key that signs cookies: generated at first use and stored, so that every process
    of the app signs alike. Two processes racing to create it: the second reads the first's."""
    for _attempt in range(2):
        with Session(engine) as session:
            stored = session.get(m.AppSecret, SECRET_NAME)
            if stored is None:
                session.add(m.AppSecret(name=SECRET_NAME, value=secrets.token_urlsafe(48)))
                try:
                    session.commit()
                except IntegrityError:
                    session.rollback()
                continue
            problem = secret_problem(f"la clé « {SECRET_NAME} » de la table app_secrets", stored.value)
            if problem:
                raise WeakSecret(problem)
            return stored.value.encode()
    raise WeakSecret("La clé de signature des sessions n'a pas pu être créée.")


def _signature(key: bytes, token: str) -> str:
    mac = hmac.new(key, token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def cookie_value(engine: Engine, token: str) -> str:
    return f"{token}.{_signature(signing_key(engine), token)}"


def token_of(engine: Engine, value: str | None) -> str | None:
    """The token a cookie carries when its signature is right; None for anything else."""
    if not value or len(value) > MAX_COOKIE or value.count(".") != 1:
        return None
    token, signature = value.split(".")
    if not token or not hmac.compare_digest(signature, _signature(signing_key(engine), token)):
        return None
    return token


# ------------------------------------------------------------------ life of a session


def create(engine: Engine, user_id: int, now: datetime | None = None, *, user_agent: str | None = None) -> Opened:
    """A new session of the account, with its one-time handoff."""
    now = _utc(now)
    handoff = secrets.token_urlsafe(32)
    settings = AuthSettings.from_env()
    with session_scope(engine) as session:
        user = session.get(m.User, user_id)
        if user is None:
            raise ValueError(f"no account {user_id}")
        record = m.WebSession(
            user_id=user_id,
            handoff_hash=digest(handoff),
            handoff_expires_at=now + timedelta(seconds=HANDOFF_SECONDS),
            session_epoch=user.session_epoch,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_max_hours),
            user_agent=(user_agent or "")[:200] or None,
        )
        session.add(record)
        session.flush()
        return Opened(session_id=m.stored_id(record), handoff=handoff)


def exchange(engine: Engine, handoff: str, now: datetime | None = None) -> str | None:
    """The cookie's token for a handoff, once: a used, expired or unknown handoff, or one of a
    session already over, gets None. The claim is one conditional UPDATE, so that two posts of
    the same handoff (two processes) cannot both succeed."""
    now = _utc(now)
    if not handoff or len(handoff) > MAX_COOKIE:
        return None
    token = secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        record = session.exec(select(m.WebSession).where(col(m.WebSession.handoff_hash) == digest(handoff))).first()
        if record is None or record.id is None:
            return None
        expires = aware(record.handoff_expires_at)
        open_ = isinstance(_state(session, record.id, now, touch=False), SessionAccount)
        if expires is None or expires <= now or not open_:
            return None
        claimed = session.execute(
            update(m.WebSession)
            .where(col(m.WebSession.id) == record.id, col(m.WebSession.handoff_hash) == digest(handoff))
            .values(handoff_hash=None, handoff_expires_at=None, token_hash=digest(token))
        )
        return token if claimed.rowcount == 1 else None  # type: ignore[attr-defined]


def resume(engine: Engine, cookie: str | None, now: datetime | None = None, *, touch: bool = True) -> Resumed | None:
    """The session a cookie names, when it is still open (a new tab, a reload). `touch`:
    counts as activity."""
    token = token_of(engine, cookie)
    if token is None:
        return None
    now = _utc(now)
    with session_scope(engine) as session:
        session_id = session.exec(select(m.WebSession.id).where(col(m.WebSession.token_hash) == digest(token))).first()
        if session_id is None:
            return None
        account = _state(session, session_id, now, touch=touch)
        return Resumed(session_id, account) if isinstance(account, SessionAccount) else None


def check(engine: Engine, session_id: int, now: datetime | None = None) -> SessionAccount | Ended:
    """On every page run of a signed-in tab: its account as it is now, or why the session is
    over. One query (the session and its account), and an UPDATE at most once a minute."""
    with session_scope(engine) as session:
        return _state(session, session_id, _utc(now), touch=True) or Ended.UNKNOWN


def _state(session: Session, session_id: int, now: datetime, *, touch: bool) -> SessionAccount | Ended | None:
    """The account of an open session, or why it is over; None: unknown session. With
    `touch`, notes the activity (at most once every TOUCH_EVERY)."""
    row = session.exec(select(m.WebSession, m.User).join(m.User).where(col(m.WebSession.id) == session_id)).first()
    if row is None:
        return None
    record, user = row
    ended = _ended(record, user, now)
    if ended is not None:
        return ended
    last_seen = aware(record.last_seen_at) or now
    if touch and now - last_seen >= TOUCH_EVERY:
        session.execute(update(m.WebSession).where(col(m.WebSession.id) == session_id).values(last_seen_at=now))
    return SessionAccount.of(user)


def _ended(record: m.WebSession, user: m.User, now: datetime) -> Ended | None:
    settings = AuthSettings.from_env()
    # The account's reasons first: end_sessions_of also marks the sessions revoked.
    if user.disabled_at is not None:
        return Ended.DISABLED
    if user.session_epoch != record.session_epoch:
        return Ended.EPOCH
    if record.revoked_at is not None:
        return Ended.REVOKED
    expires = aware(record.expires_at)
    if expires is not None and now >= expires:
        return Ended.MAX_AGE
    last_seen = aware(record.last_seen_at)
    if last_seen is not None and now - last_seen > timedelta(minutes=settings.session_minutes):
        return Ended.IDLE
    return None


def revoke(engine: Engine, session_id: int, now: datetime | None = None) -> None:
    """Sign-out: the session ends for every tab and process at their next page run."""
    with session_scope(engine) as session:
        session.execute(
            update(m.WebSession)
            .where(col(m.WebSession.id) == session_id, col(m.WebSession.revoked_at).is_(None))
            .values(revoked_at=_utc(now))
        )


def revoke_all(engine: Engine, user_id: int) -> None:
    """Every session of the account ends: its epoch moves on (password change, disabling and
    « se déconnecter partout » do the same through records.end_sessions_of)."""
    with session_scope(engine) as session:
        user = session.get(m.User, user_id)
        if user is not None:
            end_sessions_of(user)
            session.add(user)
