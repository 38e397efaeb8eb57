"""Browser sessions kept in the database (ctg_data.accounts.web_sessions), on SQLite and
PostgreSQL: the one-time handoff, the signed cookie, inactivity and maximum age measured with an
injected clock, sign-out, sign-out everywhere, password and role changes, disabled accounts,
tampered cookies. The browser side (reload, new tab, HttpOnly): tests/test_browser_auth.py."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from ctg_data import accounts
from ctg_data import models as m
from ctg_data.accounts import passwords
from ctg_data.accounts import web_sessions as ws
from ctg_data.accounts.records import aware
from ctg_data.actors import COMMAND_LINE

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
GOOD = "bonne-phrase-2026"
pytestmark = pytest.mark.usefixtures("cheap_argon2")


@pytest.fixture
def user_id(engine):
    issued = accounts.create_user(engine, actor=COMMAND_LINE, email="agent@caf.fr", role="conseiller")
    with Session(engine) as session:
        user = session.get(m.User, issued.user_id)
        user.password_hash = passwords.hash_password(GOOD)
        user.must_change_password = False
        session.add(user)
        session.commit()
    return issued.user_id


def signed_in(engine, user_id, at=NOW):
    """A session as the browser ends up with it: (session id, cookie value)."""
    opened = ws.create(engine, user_id, at, user_agent="Mozilla/5.0 test")
    token = ws.exchange(engine, opened.handoff, at + timedelta(seconds=2))
    assert token is not None
    return opened.session_id, ws.cookie_value(engine, token)


def row(engine, session_id) -> m.WebSession:
    with Session(engine) as session:
        return session.get(m.WebSession, session_id)


def test_a_cookie_resumes_its_session_with_the_account(engine, user_id):
    session_id, cookie = signed_in(engine, user_id)
    resumed = ws.resume(engine, cookie, NOW + timedelta(minutes=5))
    assert resumed is not None
    assert resumed.session_id == session_id
    assert resumed.account.actor.user_id == user_id
    assert resumed.account.actor.email == "agent@caf.fr"
    assert resumed.account.actor.role == "conseiller"


def test_only_digests_of_the_tokens_are_stored(engine, user_id):
    opened = ws.create(engine, user_id, NOW)
    stored = row(engine, opened.session_id)
    assert stored.handoff_hash == hashlib.sha256(opened.handoff.encode()).hexdigest()
    assert stored.token_hash is None
    token = ws.exchange(engine, opened.handoff, NOW)
    stored = row(engine, opened.session_id)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert stored.handoff_hash is None  # used: gone
    values = [str(value) for value in stored.model_dump().values()]
    assert not any(token in value or opened.handoff in value for value in values)
    assert stored.user_agent is None  # created here without one


def test_a_handoff_works_once_and_only_for_two_minutes(engine, user_id):
    opened = ws.create(engine, user_id, NOW)
    assert ws.exchange(engine, opened.handoff, NOW + timedelta(seconds=5)) is not None
    assert ws.exchange(engine, opened.handoff, NOW + timedelta(seconds=6)) is None  # single use
    late = ws.create(engine, user_id, NOW)
    assert ws.exchange(engine, late.handoff, NOW + timedelta(seconds=121)) is None
    assert ws.exchange(engine, "pas-un-jeton", NOW) is None
    assert ws.exchange(engine, "", NOW) is None


def test_a_handoff_of_a_session_already_signed_out_gives_no_cookie(engine, user_id):
    opened = ws.create(engine, user_id, NOW)
    ws.revoke(engine, opened.session_id, NOW)
    assert ws.exchange(engine, opened.handoff, NOW + timedelta(seconds=1)) is None


def test_the_session_ends_after_the_inactivity_setting(engine, user_id, monkeypatch):
    monkeypatch.setenv("CTG_SESSION_MINUTES", "30")
    session_id, cookie = signed_in(engine, user_id)
    # Active every 20 minutes: still open after an hour.
    for minutes in (20, 40, 60):
        assert isinstance(ws.check(engine, session_id, NOW + timedelta(minutes=minutes)), accounts.SessionAccount)
    assert ws.resume(engine, cookie, NOW + timedelta(minutes=89)) is not None
    # 31 minutes without a page run after the last one (at 89): over.
    assert ws.check(engine, session_id, NOW + timedelta(minutes=120, seconds=1)) == ws.Ended.IDLE
    assert ws.resume(engine, cookie, NOW + timedelta(minutes=121)) is None


def test_activity_is_written_at_most_once_a_minute(engine, user_id):
    session_id, _cookie = signed_in(engine, user_id)
    ws.check(engine, session_id, NOW + timedelta(seconds=30))
    assert aware(row(engine, session_id).last_seen_at) == NOW
    ws.check(engine, session_id, NOW + timedelta(seconds=61))
    assert aware(row(engine, session_id).last_seen_at) == NOW + timedelta(seconds=61)


def test_the_session_ends_at_its_maximum_age_even_when_active(engine, user_id, monkeypatch):
    monkeypatch.setenv("CTG_SESSION_MAX_HOURS", "2")
    session_id, cookie = signed_in(engine, user_id)
    for minutes in range(10, 120, 10):
        assert isinstance(ws.check(engine, session_id, NOW + timedelta(minutes=minutes)), accounts.SessionAccount)
    assert ws.check(engine, session_id, NOW + timedelta(hours=2)) == ws.Ended.MAX_AGE
    assert ws.resume(engine, cookie, NOW + timedelta(hours=2, minutes=1)) is None
    assert aware(row(engine, session_id).expires_at) == NOW + timedelta(hours=2)


def test_the_default_maximum_age_is_twelve_hours(engine, user_id, monkeypatch):
    monkeypatch.delenv("CTG_SESSION_MAX_HOURS", raising=False)
    session_id, _cookie = signed_in(engine, user_id)
    assert aware(row(engine, session_id).expires_at) == NOW + timedelta(hours=12)


def test_sign_out_ends_the_session_for_every_tab(engine, user_id):
    session_id, cookie = signed_in(engine, user_id)
    other_id, other_cookie = signed_in(engine, user_id)  # another browser of the same person
    ws.revoke(engine, session_id, NOW + timedelta(minutes=1))
    assert ws.check(engine, session_id, NOW + timedelta(minutes=2)) == ws.Ended.REVOKED
    assert ws.resume(engine, cookie, NOW + timedelta(minutes=2)) is None
    assert ws.resume(engine, other_cookie, NOW + timedelta(minutes=2)) is not None  # the other stays
    assert isinstance(ws.check(engine, other_id, NOW + timedelta(minutes=2)), accounts.SessionAccount)


@pytest.mark.parametrize(
    "change",
    [
        lambda engine, user_id: accounts.sign_out_everywhere(engine, accounts.session_account(engine, user_id).actor),
        lambda engine, user_id: accounts.set_role(engine, actor=COMMAND_LINE, email="agent@caf.fr", role="lecteur"),
        lambda engine, user_id: accounts.end_sessions(engine, actor=COMMAND_LINE, email="agent@caf.fr"),
        lambda engine, user_id: accounts.change_own_password(
            engine,
            accounts.session_account(engine, user_id).actor,
            GOOD,
            "une-toute-autre-phrase-7",
            "une-toute-autre-phrase-7",
            NOW,
        ),
    ],
    ids=["partout", "rôle", "administrateur", "mot-de-passe"],
)
def test_a_new_session_epoch_ends_every_session_of_the_account(engine, user_id, change):
    first, first_cookie = signed_in(engine, user_id)
    second, _ = signed_in(engine, user_id)
    change(engine, user_id)
    later = NOW + timedelta(minutes=1)
    assert ws.check(engine, first, later) == ws.Ended.EPOCH
    assert ws.check(engine, second, later) == ws.Ended.EPOCH
    assert ws.resume(engine, first_cookie, later) is None
    assert row(engine, first).revoked_at is not None  # the table says so too
    # A session opened after the change works.
    _fresh, fresh_cookie = signed_in(engine, user_id, later)
    assert ws.resume(engine, fresh_cookie, later) is not None


def test_revoke_all_ends_every_session_of_the_account(engine, user_id):
    first, _ = signed_in(engine, user_id)
    ws.revoke_all(engine, user_id)
    assert ws.check(engine, first, NOW + timedelta(minutes=1)) == ws.Ended.EPOCH


def test_a_disabled_account_loses_its_sessions(engine, user_id):
    session_id, cookie = signed_in(engine, user_id)
    accounts.disable_user(engine, actor=COMMAND_LINE, email="agent@caf.fr")
    assert ws.check(engine, session_id, NOW + timedelta(minutes=1)) == ws.Ended.DISABLED
    assert ws.resume(engine, cookie, NOW + timedelta(minutes=1)) is None
    accounts.enable_user(engine, actor=COMMAND_LINE, email="agent@caf.fr")
    assert ws.resume(engine, cookie, NOW + timedelta(minutes=1)) is None  # not back by re-enabling


def test_a_deleted_account_takes_its_sessions_with_it(engine, user_id):
    session_id, _cookie = signed_in(engine, user_id)
    with Session(engine) as session:
        session.delete(session.get(m.User, user_id))
        session.commit()
    assert ws.check(engine, session_id, NOW) == ws.Ended.UNKNOWN
    with Session(engine) as session:
        assert session.exec(select(m.WebSession)).all() == []


def _flip(character: str) -> str:
    return "A" if character != "A" else "B"


def test_a_tampered_or_forged_cookie_is_refused(engine, user_id):
    _session_id, cookie = signed_in(engine, user_id)
    token, signature = cookie.split(".")
    at = NOW + timedelta(minutes=1)
    assert ws.resume(engine, cookie, at) is not None
    other = ws.create(engine, user_id, NOW)  # a real token of another session, without its signature
    other_token = ws.exchange(engine, other.handoff, NOW)
    for forged in (
        f"{_flip(token[0])}{token[1:]}.{signature}",
        f"{token}.{_flip(signature[0])}{signature[1:]}",
        f"{other_token}.{signature}",
        other_token,
        token,
        f"{token}.{signature}.x",
        f"{token}.",
        f".{signature}",
        "",
        "x" * 5000,
    ):
        assert ws.resume(engine, forged, at) is None, forged
    assert ws.resume(engine, None, at) is None


def test_the_signing_key_is_made_once_and_shared(engine, database_url):
    from ctg_data.db import make_engine

    key = ws.signing_key(engine)
    assert len(key) >= 32
    second = make_engine(database_url)  # another process would open its own engine
    try:
        assert ws.signing_key(second) == key
    finally:
        second.dispose()
    with Session(engine) as session:
        assert len(session.exec(select(m.AppSecret)).all()) == 1


def test_a_weak_signing_key_refuses_to_sign(engine, user_id):
    with Session(engine) as session:
        session.add(m.AppSecret(name=ws.SECRET_NAME, value="changeme"))
        session.commit()
    with pytest.raises(ws.WeakSecret):
        ws.cookie_value(engine, "jeton")
