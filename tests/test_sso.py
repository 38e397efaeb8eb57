"""Directory sign-in (OIDC): a placeholder or short cookie secret turns it off (a forged identity
cookie opens nothing), the directory must say the address is verified, and only accounts
opened to the directory sign in through it. Pure decisions, the database (SQLite and
PostgreSQL), then the pages through AppTest."""

import secrets
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from ctg_data import accounts
from ctg_data import models as m
from ctg_data.accounts import directory
from ctg_data.actors import COMMAND_LINE, Role
from ctg_data.ui import auth

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
GOOD_SECRET = "Zq3vN8pL1wR6tY0uK4sD7fH2jM5cB9xE"
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": GOOD_SECRET,
    "client_id": "ctg",
    "client_secret": "k8Jd0Qp2Lw9Xz4Rt7Vn1",
    "server_metadata_url": "https://annuaire.example/.well-known/openid-configuration",
}
pytestmark = pytest.mark.usefixtures("cheap_argon2")


# ------------------------------------------------------------------ the configuration


def test_the_example_secrets_file_cannot_turn_the_directory_on():
    example = tomllib.loads((ROOT / ".streamlit" / "secrets.toml.example").read_text(encoding="utf-8"))
    problems = directory.config_problems(example["auth"])
    assert any("cookie_secret" in problem for problem in problems)
    assert example["auth"]["cookie_secret"] == ""  # nothing there that could sign a cookie


@pytest.mark.parametrize(
    "secret",
    [
        "remplacez-moi-par-un-secret-aleatoire",  # the former example
        "x" * 40,  # long, but one character
        "change-me-change-me-change-me-change-me",
        "court-mais-aleatoire-9f3K",  # under 32 characters
        "",
    ],
)
def test_a_placeholder_or_short_cookie_secret_is_refused(secret):
    problems = directory.config_problems({**AUTH, "cookie_secret": secret})
    assert problems and all(isinstance(p, str) for p in problems)


def test_a_random_secret_and_complete_settings_are_accepted():
    for _ in range(50):
        assert directory.config_problems({**AUTH, "cookie_secret": secrets.token_urlsafe(32)}) == []


# ------------------------------------------------------------------ whom it may open


def account(password_hash="$argon2id$…", directory_sign_in=False, disabled=False) -> m.User:
    return m.User(
        email="a@caf.fr",
        role="admin",
        password_hash=password_hash,
        directory_sign_in=directory_sign_in,
        disabled_at=NOW if disabled else None,
    )


@pytest.mark.parametrize("verified", [None, False, "true", 1])
def test_an_address_the_directory_did_not_verify_is_refused(verified):
    assert directory.refusal(account(password_hash=None), verified) is not None


def test_only_accounts_opened_to_the_directory_sign_in_through_it():
    assert directory.refusal(account(), True).motif == "compte à mot de passe non ouvert à l'annuaire"
    assert directory.refusal(account(directory_sign_in=True), True) is None
    assert directory.refusal(account(password_hash=None), True) is None  # directory only
    assert directory.refusal(account(password_hash=None, disabled=True), True) is not None
    assert directory.refusal(None, True) == directory.NO_ACCOUNT


@pytest.fixture
def db(engine):
    accounts.create_user(engine, actor=COMMAND_LINE, email="chef@caf.fr", role="admin")
    accounts.create_user(engine, actor=COMMAND_LINE, email="sso@caf.fr", role="conseiller", sso_only=True)
    return engine


def test_a_local_password_administrator_is_not_opened_by_the_directory_unless_allowed(db):
    with pytest.raises(accounts.AuthError, match="se connecte avec son mot de passe"):
        accounts.directory_sign_in(db, "chef@caf.fr", NOW, email_verified=True)
    accounts.set_directory_sign_in(db, actor=COMMAND_LINE, email="chef@caf.fr", allowed=True)
    assert accounts.directory_sign_in(db, "chef@caf.fr", NOW, email_verified=True).role == Role.ADMIN
    with Session(db) as session:
        operations = list(session.exec(select(m.AuditEvent.operation)))
    assert "compte:annuaire" in operations


def test_the_directory_needs_email_verified_to_be_true(db):
    for verified in (None, False):
        with pytest.raises(accounts.AuthError, match="n'a pas confirmé cette adresse"):
            accounts.directory_sign_in(db, "sso@caf.fr", NOW, email_verified=verified)
    assert accounts.directory_sign_in(db, "sso@caf.fr", NOW, email_verified=True).role == Role.CONSEILLER


# ------------------------------------------------------------------ the pages


@pytest.fixture
def demo(demo_engine):
    accounts.create_demo_accounts(demo_engine)
    return demo_engine


def run(page: str, auth_section: dict, user: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=60)
    at.secrets = {"auth": dict(auth_section)}
    at.user = user
    return at.run()


def signed_in(at: AppTest) -> bool:
    return auth.ACTOR_KEY in at.session_state


ADMIN_COOKIE = {"is_logged_in": True, "email": "admin@demo.ctg", "email_verified": True}


def test_a_cookie_signed_with_the_example_secret_opens_nothing(demo, monkeypatch):
    monkeypatch.setattr(auth, "authlib_installed", lambda: True)
    forged = {**AUTH, "cookie_secret": "remplacez-moi-par-un-secret-aleatoire"}
    at = run("comptes.py", forged, ADMIN_COOKIE)
    assert not at.exception
    assert not signed_in(at) and not at.get("arrow_data_frame")
    assert [t.value for t in at.title] == ["Connexion"]
    assert "Se connecter avec l'annuaire" not in [b.label for b in at.button]
    assert any("connexion par l'annuaire est désactivée" in w.value for w in at.warning)


def test_a_verified_directory_identity_does_not_open_a_local_password_administrator(demo):
    at = run("comptes.py", AUTH, ADMIN_COOKIE)
    assert not signed_in(at) and not at.get("arrow_data_frame")
    assert any("se connecte avec son mot de passe" in e.value for e in at.error)


def test_a_directory_identity_without_email_verified_is_refused(demo):
    accounts.set_directory_sign_in(demo, actor=COMMAND_LINE, email="admin@demo.ctg", allowed=True)
    at = run("comptes.py", AUTH, {"is_logged_in": True, "email": "admin@demo.ctg"})
    assert not signed_in(at) and not at.get("arrow_data_frame")
    assert any("n'a pas confirmé cette adresse" in e.value for e in at.error)
    allowed = run("comptes.py", AUTH, ADMIN_COOKIE)
    assert signed_in(allowed) and [t.value for t in allowed.title] == ["Comptes et accès"]


def test_an_admin_opens_a_password_account_to_the_directory_from_the_comptes_page(demo):
    from tests.conftest import sign_in

    admin_id = int(accounts.list_users(demo).set_index("email").loc["admin@demo.ctg", "id"])
    admin = accounts.session_account(demo, admin_id)
    at = sign_in(AppTest.from_file(str(ROOT / "pages" / "comptes.py"), default_timeout=60), admin.actor).run()
    at.selectbox(key="comptes_edit_email").select("conseiller@demo.ctg").run()
    at.button(key="comptes_directory").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("Connexion par l'annuaire ouverte pour conseiller@" in s.value for s in at.success)
    assert accounts.directory_sign_in(demo, "conseiller@demo.ctg", NOW, email_verified=True).role == Role.CONSEILLER
