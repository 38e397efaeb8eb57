"""Accounts and sign-in against the database (SQLite and PostgreSQL): argon2id hashes, the
password policy, growing waits and the lock, the same answer for unknown addresses, disabled
accounts, forced changes, directory sign-in, administration, demo accounts and `ctg user`.
Concurrent attempts and client addresses: tests/test_signin_throttle.py."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from ctg_data import accounts
from ctg_data import models as m
from ctg_data.accounts import passwords
from ctg_data.accounts.records import aware
from ctg_data.actors import COMMAND_LINE, Actor, Role
from ctg_data.db import make_engine
from ctg_data.permissions import PermissionDenied

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
GOOD = "bonne-phrase-2026"
pytestmark = pytest.mark.usefixtures("cheap_argon2")


@pytest.fixture
def db(engine):
    """The engine with two organisations, and an account `agent@ville.fr` whose password is GOOD."""
    with Session(engine) as session:
        session.add(m.Organisation(code="simaje", name="SIMAJE", type="syndicat"))
        session.add(m.Organisation(code="lourdes", name="Ville de Lourdes", type="commune"))
        session.commit()
    make_account(engine, "agent@ville.fr", "partenaire", "simaje", GOOD)
    return engine


def make_account(engine, email, role, organisation=None, password=None, must_change=False):
    issued = accounts.create_user(engine, actor=COMMAND_LINE, email=email, role=role, organisation_code=organisation)
    with Session(engine) as session:
        user = session.get(m.User, issued.user_id)
        if password:
            user.password_hash = passwords.hash_password(password)
            user.must_change_password = must_change
        session.add(user)
        session.commit()
    return issued


def user(engine, email) -> m.User:
    with Session(engine) as session:
        return session.exec(select(m.User).where(m.User.email == email)).one()


def events(engine, operation=None) -> list[m.AuditEvent]:
    with Session(engine) as session:
        query = select(m.AuditEvent).where(m.AuditEvent.table_name == "users").order_by(m.AuditEvent.id)
        if operation:
            query = query.where(m.AuditEvent.operation == operation)
        return list(session.exec(query).all())


def sign_ins(engine, operation=None) -> list[m.SignInEvent]:
    with Session(engine) as session:
        query = select(m.SignInEvent).order_by(m.SignInEvent.id)
        if operation:
            query = query.where(m.SignInEvent.operation == operation)
        return list(session.exec(query).all())


def fail(engine, email, password="mauvais-mot-2026", now=NOW) -> accounts.AuthError:
    with pytest.raises(accounts.AuthError) as raised:
        accounts.verify_credentials(engine, email, password, now)
    return raised.value


def fail_in_turn(engine, email, count, start=NOW, password="mauvais-mot-2026"):
    """`count` wrong passwords, each at the first moment the previous answer allows.
    Returns the waits announced and the moment of the last attempt."""
    moment, waits = start, []
    for number in range(count):
        if number:
            moment += timedelta(seconds=waits[-1])
        error = fail(engine, email, password, moment)
        assert error.message == accounts.GENERIC_FAILURE  # checked, not refused for waiting
        waits.append(error.delay)
    return waits, moment


# ------------------------------------------------------------------ passwords


def test_passwords_are_stored_as_argon2id_hashes_never_in_clear(db):
    stored = user(db, "agent@ville.fr").password_hash
    assert stored.startswith("$argon2id$") and GOOD not in stored


def test_production_hashes_use_the_rfc_9106_argon2id_parameters():
    assert passwords.PARAMETERS.type.name == "ID"
    assert passwords.PARAMETERS.memory_cost >= 64 * 1024 and passwords.PARAMETERS.time_cost >= 3


def test_a_hash_made_with_weaker_parameters_is_upgraded_at_sign_in(db, monkeypatch):
    from dataclasses import replace

    from argon2 import PasswordHasher, profiles

    stronger = passwords.Hashing(PasswordHasher.from_parameters(replace(profiles.CHEAPEST, time_cost=2)))
    monkeypatch.setattr(passwords, "HASHING", stronger)
    before = user(db, "agent@ville.fr").password_hash
    accounts.verify_credentials(db, "agent@ville.fr", GOOD, NOW)
    after = user(db, "agent@ville.fr").password_hash
    assert after != before and ",t=2," in after


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("court-1", "au moins 12 caractères"),
        ("seulementdeslettres", "que de lettres ou que de chiffres"),
        ("123456789012345", "que de lettres ou que de chiffres"),
        ("Agent-du-simaje-2026", "partie de l'adresse e-mail"),
    ],
)
def test_the_password_policy_refuses_weak_passwords_in_french(password, expected):
    with pytest.raises(accounts.PasswordPolicyError, match=expected):
        accounts.check_policy(password, "agent@ville.fr")


def test_a_long_mixed_password_without_the_address_is_accepted():
    assert accounts.policy_problems("Crèche-Coustète-2026", "agent@ville.fr") == []


def test_generated_temporary_passwords_pass_the_policy_and_differ():
    generated = {passwords.generate_password("agent@ville.fr") for _ in range(20)}
    assert len(generated) == 20
    assert all(not accounts.policy_problems(p, "agent@ville.fr") for p in generated)


# ------------------------------------------------------------------ signing in


def test_the_right_password_gives_the_accounts_actor_and_records_the_sign_in(db):
    actor = accounts.verify_credentials(db, "  Agent@Ville.FR ", GOOD, NOW)
    account = user(db, "agent@ville.fr")
    assert actor == Actor(
        email="agent@ville.fr", role=Role.PARTENAIRE, user_id=account.id, organisation_id=account.organisation_id
    )
    assert aware(account.last_login_at) == NOW
    assert [e.operation for e in sign_ins(db, "connexion")] == ["connexion"]


def test_wrong_passwords_in_a_loop_get_growing_waits_then_a_lock_at_exactly_five(db):
    waits, last = fail_in_turn(db, "agent@ville.fr", 5)
    assert waits == [0, 1, 2, 4, 15 * 60]
    assert last == NOW + timedelta(seconds=7)  # five tries take 0 + 1 + 2 + 4 seconds at least
    account = user(db, "agent@ville.fr")
    assert account.failed_attempts == 5
    assert aware(account.locked_until) == last + timedelta(minutes=15)
    assert len(sign_ins(db, "connexion:verrouillage")) == 1
    assert len(sign_ins(db, "connexion:échec")) == 5


def test_an_attempt_before_the_wait_ends_is_refused_without_checking_the_password(db, monkeypatch):
    fail(db, "agent@ville.fr")
    fail(db, "agent@ville.fr")  # second failure: one second to wait
    checked = []
    monkeypatch.setattr(passwords, "verify_password", lambda *args: checked.append(args) or True)
    early = fail(db, "agent@ville.fr", GOOD, NOW + timedelta(milliseconds=500))
    assert early.message == "Trop de tentatives : réessayez dans 1 seconde."
    assert checked == [] and user(db, "agent@ville.fr").failed_attempts == 2
    assert [e.operation for e in sign_ins(db)][-1] == "connexion:refus"


def test_a_locked_account_refuses_even_the_right_password_until_the_lock_ends(db):
    _, last = fail_in_turn(db, "agent@ville.fr", 5)
    refused = fail(db, "agent@ville.fr", GOOD, last + timedelta(minutes=14))
    assert refused.message == "Trop de tentatives : réessayez dans 1 minute."
    assert json.loads(sign_ins(db, "connexion:refus")[-1].detail)["motif"] == "verrouillage en cours"
    actor = accounts.verify_credentials(db, "agent@ville.fr", GOOD, last + timedelta(minutes=16))
    assert actor.email == "agent@ville.fr"
    account = user(db, "agent@ville.fr")
    assert account.failed_attempts == 0 and account.locked_until is None and account.not_before is None


def test_a_success_resets_the_count_of_failures(db):
    fail(db, "agent@ville.fr")
    fail(db, "agent@ville.fr")
    accounts.verify_credentials(db, "agent@ville.fr", GOOD, NOW + timedelta(seconds=1))
    assert fail(db, "agent@ville.fr", now=NOW + timedelta(seconds=1)).delay == 0


def test_lock_settings_come_from_the_environment(db, monkeypatch):
    monkeypatch.setenv("CTG_LOCK_AFTER", "3")
    monkeypatch.setenv("CTG_LOCK_MINUTES", "2")
    _, last = fail_in_turn(db, "agent@ville.fr", 3)
    assert aware(user(db, "agent@ville.fr").locked_until) == last + timedelta(minutes=2)
    assert accounts.AuthSettings.from_env().session_minutes == 30


def test_an_unknown_address_gets_the_same_answers_the_same_waits_and_the_same_lock(db):
    known, _ = fail_in_turn(db, "agent@ville.fr", 6)
    unknown, _ = fail_in_turn(db, "personne@ville.fr", 6)
    assert unknown == known
    assert fail(db, "personne@ville.fr").message == fail(db, "agent@ville.fr").message


def test_an_unknown_address_costs_one_argon2_verification_like_a_known_one(db, monkeypatch):
    calls = []
    real = passwords.verify_password

    def counting(stored, password):
        calls.append(stored)
        return real(stored, password)

    monkeypatch.setattr(passwords, "verify_password", counting)
    fail(db, "agent@ville.fr")
    fail(db, "personne@ville.fr")
    assert len(calls) == 2
    assert calls[1] == passwords.HASHING.dummy() and calls[1].startswith("$argon2id$")


def test_a_disabled_account_cannot_sign_in_and_is_told_nothing_more(db):
    accounts.disable_user(db, actor=COMMAND_LINE, email="agent@ville.fr")
    refused = fail(db, "agent@ville.fr", GOOD)
    assert refused.message == accounts.GENERIC_FAILURE
    assert accounts.session_account(db, user(db, "agent@ville.fr").id) is None


def test_an_account_without_password_signs_in_only_through_the_directory(db):
    accounts.create_user(db, actor=COMMAND_LINE, email="sso@caf.fr", role="conseiller", sso_only=True)
    assert fail(db, "sso@caf.fr", "").message == accounts.GENERIC_FAILURE
    assert accounts.directory_sign_in(db, "SSO@caf.fr", NOW, email_verified=True).role == Role.CONSEILLER


def test_the_directory_gives_no_access_to_an_address_without_an_account(db):
    with pytest.raises(accounts.AuthError, match="Aucun compte n'est associé à cette adresse"):
        accounts.directory_sign_in(db, "inconnu@caf.fr", NOW, email_verified=True)
    accounts.set_directory_sign_in(db, actor=COMMAND_LINE, email="agent@ville.fr", allowed=True)
    accounts.disable_user(db, actor=COMMAND_LINE, email="agent@ville.fr")
    with pytest.raises(accounts.AuthError):
        accounts.directory_sign_in(db, "agent@ville.fr", NOW, email_verified=True)
    assert len(sign_ins(db, "connexion:annuaire-refus")) == 2


# ------------------------------------------------------------------ forced change


def test_an_account_created_by_an_admin_must_change_its_generated_password(db):
    issued = accounts.create_user(db, actor=COMMAND_LINE, email="new@ville.fr", role="lecteur")
    actor = accounts.verify_credentials(db, "new@ville.fr", issued.temporary_password, NOW)
    assert accounts.session_account(db, actor.user_id).must_change_password
    accounts.change_own_password(db, actor, issued.temporary_password, GOOD, GOOD, NOW)
    assert not accounts.session_account(db, actor.user_id).must_change_password
    assert accounts.verify_credentials(db, "new@ville.fr", GOOD, NOW) == actor


def test_a_password_change_needs_the_current_password_and_a_good_new_one(db):
    actor = accounts.verify_credentials(db, "agent@ville.fr", GOOD, NOW)
    with pytest.raises(accounts.AccountError, match="diffèrent"):
        accounts.change_own_password(db, actor, GOOD, "Nouvelle-phrase-1", "Nouvelle-phrase-2", NOW)
    with pytest.raises(accounts.AccountError, match="différent de l'actuel"):
        accounts.change_own_password(db, actor, GOOD, GOOD, GOOD, NOW)
    with pytest.raises(accounts.PasswordPolicyError):
        accounts.change_own_password(db, actor, GOOD, "court-2", "court-2", NOW)
    with pytest.raises(accounts.AuthError, match="Mot de passe actuel incorrect"):
        accounts.change_own_password(db, actor, "pas-le-bon-2026", "Nouvelle-phrase-1", "Nouvelle-phrase-1", NOW)
    assert user(db, "agent@ville.fr").failed_attempts == 1


def test_a_reset_password_is_temporary_and_unlocks_the_account(db):
    fail_in_turn(db, "agent@ville.fr", 5)
    temporary = accounts.reset_password(db, actor=COMMAND_LINE, email="agent@ville.fr")
    account = user(db, "agent@ville.fr")
    assert account.must_change_password and account.locked_until is None and account.failed_attempts == 0
    assert accounts.verify_credentials(db, "agent@ville.fr", temporary, NOW).email == "agent@ville.fr"
    with pytest.raises(accounts.AuthError):
        accounts.verify_credentials(db, "agent@ville.fr", GOOD, NOW)


# ------------------------------------------------------------------ administration


def test_only_an_admin_manages_accounts(db):
    advisor = Actor(email="c@caf.fr", role=Role.CONSEILLER)
    for call in (
        lambda: accounts.create_user(db, actor=advisor, email="x@y.fr", role="admin"),
        lambda: accounts.set_role(db, actor=advisor, email="agent@ville.fr", role="admin"),
        lambda: accounts.disable_user(db, actor=advisor, email="agent@ville.fr"),
        lambda: accounts.reset_password(db, actor=advisor, email="agent@ville.fr"),
        lambda: accounts.set_restricted(db, actor=advisor, convention_code="x", restricted=True),
    ):
        with pytest.raises(PermissionDenied, match="ne permet pas de gérer"):
            call()


def test_a_partner_account_needs_an_organisation_and_emails_are_unique(db):
    with pytest.raises(accounts.AccountError, match="organisation"):
        accounts.create_user(db, actor=COMMAND_LINE, email="p@ville.fr", role="partenaire")
    with pytest.raises(accounts.AccountError, match="Organisation inconnue"):
        accounts.create_user(
            db, actor=COMMAND_LINE, email="p@ville.fr", role="partenaire", organisation_code="nulle-part"
        )
    with pytest.raises(accounts.AccountError, match="existe déjà"):
        accounts.create_user(db, actor=COMMAND_LINE, email="AGENT@ville.fr", role="lecteur")
    with pytest.raises(accounts.AccountError, match="adresse e-mail valable"):
        accounts.create_user(db, actor=COMMAND_LINE, email="pas une adresse", role="lecteur")


def test_a_role_change_applies_to_the_open_session_at_its_next_read(db):
    actor = accounts.verify_credentials(db, "agent@ville.fr", GOOD, NOW)
    accounts.set_role(db, actor=COMMAND_LINE, email="agent@ville.fr", role="conseiller")
    assert accounts.session_account(db, actor.user_id).actor.role == Role.CONSEILLER
    assert events(db, "compte:rôle")[0].actor == COMMAND_LINE.label


def test_an_admin_cannot_disable_their_own_account(db):
    issued = accounts.create_user(db, actor=COMMAND_LINE, email="chef@ville.fr", role="admin")
    me = Actor(email="chef@ville.fr", role=Role.ADMIN, user_id=issued.user_id)
    with pytest.raises(accounts.AccountError, match="propre compte"):
        accounts.disable_user(db, actor=me, email="chef@ville.fr")


def test_the_audit_trail_never_holds_a_password_or_its_hash(db):
    issued = accounts.create_user(db, actor=COMMAND_LINE, email="new@ville.fr", role="lecteur")
    accounts.verify_credentials(db, "new@ville.fr", issued.temporary_password, NOW)
    fail(db, "new@ville.fr", "mot-de-passe-tapé-2026")
    temporary = accounts.reset_password(db, actor=COMMAND_LINE, email="new@ville.fr")
    actor = accounts.verify_credentials(db, "new@ville.fr", temporary, NOW)
    accounts.change_own_password(db, actor, temporary, GOOD, GOOD, NOW)
    written = " ".join(f"{e.before} {e.after} {e.reason}" for e in events(db))
    written += " ".join(f"{e.email} {e.detail}" for e in sign_ins(db))
    for secret in (issued.temporary_password, temporary, GOOD, "mot-de-passe-tapé-2026", "$argon2"):
        assert secret not in written
    assert {"compte:création", "compte:mot-de-passe-réinitialisé", "compte:mot-de-passe-changé"} <= {
        e.operation for e in events(db)
    }
    assert {"connexion", "connexion:échec", "connexion:confirmation"} <= {e.operation for e in sign_ins(db)}
    created = json.loads(events(db, "compte:création")[-1].after)
    assert "password_hash" not in created and created["password_set"] is True


def test_list_users_tells_each_accounts_state(db):
    accounts.create_user(db, actor=COMMAND_LINE, email="off@ville.fr", role="lecteur")
    accounts.disable_user(db, actor=COMMAND_LINE, email="off@ville.fr")
    fail_in_turn(db, "agent@ville.fr", 5)
    states = dict(zip(*(accounts.list_users(db, NOW)[c] for c in ("email", "state")), strict=True))
    assert states == {"agent@ville.fr": "verrouillé", "off@ville.fr": "désactivé"}


# ------------------------------------------------------------------ demo accounts and `ctg user`


def test_demo_accounts_are_one_per_role_and_only_in_a_database_without_accounts(engine):
    with Session(engine) as session:
        session.add(m.Organisation(code="simaje", name="SIMAJE", type="syndicat"))
        session.commit()
    created = accounts.create_demo_accounts(engine)
    assert sorted(a.role for a in created) == sorted(r.value for r in Role)
    for account in created:
        assert accounts.verify_credentials(engine, account.email, account.password, NOW).role == account.role
    assert accounts.create_demo_accounts(engine) == []
    partner = user(engine, "partenaire@demo.ctg")
    assert partner.organisation_id is not None and not partner.must_change_password


def test_seeding_the_demo_creates_the_demo_accounts_and_another_folder_none(ctg_command, sqlite_url, tmp_path):
    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    assert ctg_command(other, "db", "upgrade").returncode == 0
    folder = tmp_path / "orgs"
    folder.mkdir()
    (folder / "organisations.csv").write_text("code,nom,type\nsimaje,SIMAJE,syndicat\n", encoding="utf-8")
    seeded = ctg_command(other, "seed", str(folder))
    assert seeded.returncode == 0 and "ctg user add" in seeded.stdout
    assert accounts.user_count(make_engine(other)) == 0

    demo = ctg_command(sqlite_url, "seed")
    assert demo.returncode == 0, demo.stderr
    assert "admin@demo.ctg" in demo.stdout
    engine = make_engine(sqlite_url)
    assert sorted(accounts.list_users(engine)["email"]) == sorted(a.email for a in accounts.DEMO_ACCOUNTS)
    again = ctg_command(sqlite_url, "seed", "--if-empty")
    assert again.returncode == 0 and "demo.ctg" not in again.stdout


def test_the_demo_seeded_into_a_database_with_data_brings_no_known_password(ctg_command, sqlite_url, tmp_path):
    folder = tmp_path / "orgs"
    folder.mkdir()
    # An organisation the demo does not know: the demo changes no shared row it did not bring.
    (folder / "organisations.csv").write_text(
        "code,nom,type\nautre-org,Autre organisation,association\n", encoding="utf-8"
    )
    assert ctg_command(sqlite_url, "seed", str(folder)).returncode == 0
    demo = ctg_command(sqlite_url, "seed")
    assert demo.returncode == 0, demo.stderr
    assert "demo.ctg" not in demo.stdout and "ctg user add" in demo.stdout
    assert accounts.user_count(make_engine(sqlite_url)) == 0


def test_ctg_user_creates_the_first_admin_with_a_password_printed_once(ctg_command, sqlite_url):
    added = ctg_command(sqlite_url, "user", "add", "Chef@Ville.fr", "--role", "admin", "--name", "Cheffe")
    assert added.returncode == 0, added.stderr
    password = re.search(r"^\s{4}(\S+)$", added.stdout, re.MULTILINE).group(1)
    engine = make_engine(sqlite_url)
    actor = accounts.verify_credentials(engine, "chef@ville.fr", password, NOW)
    assert actor.role == Role.ADMIN and accounts.session_account(engine, actor.user_id).must_change_password

    assert ctg_command(sqlite_url, "user", "add", "p@ville.fr", "--role", "partenaire").returncode == 1
    assert ctg_command(sqlite_url, "user", "add", "p@ville.fr", "--role", "chef").returncode == 2
    reset = ctg_command(sqlite_url, "user", "reset-password", "chef@ville.fr")
    assert reset.returncode == 0 and password not in reset.stdout
    assert ctg_command(sqlite_url, "user", "disable", "chef@ville.fr").returncode == 0
    assert "désactivé" in ctg_command(sqlite_url, "user", "list").stdout
    assert ctg_command(sqlite_url, "user", "disable", "nobody@ville.fr").returncode == 1


# ------------------------------------------------------------------ secrets and sessions


def test_a_password_typed_into_the_address_field_is_never_stored(db):
    typed = "Secret-Tapé-Ici-2026"
    fail(db, typed, "n'importe-quoi-2026")
    fail(db, "inconnu@ville.fr", "n'importe-quoi-2026")
    with Session(db) as session:
        stored = [" ".join(str(v) for v in row) for row in session.exec(select(m.SignInEvent)).all()]
        stored += [" ".join(str(v) for v in row) for row in session.exec(select(m.SignInThrottle)).all()]
        stored += [f"{e.actor} {e.before} {e.after}" for e in session.exec(select(m.AuditEvent)).all()]
    assert not any(typed.lower() in text.lower() for text in stored)
    assert [e.email for e in sign_ins(db, "connexion:échec")] == [
        "(saisie qui n'est pas une adresse)",
        "inconnu@ville.fr",
    ]
    journal = accounts.journal(accounts.audit_events(db), accounts.sign_in_events(db))
    assert not journal.astype(str).apply(lambda column: column.str.contains(typed, case=False)).any().any()


def test_the_journal_merges_account_changes_and_sign_ins_newest_first(db):
    fail(db, "agent@ville.fr")
    accounts.set_role(db, actor=COMMAND_LINE, email="agent@ville.fr", role="lecteur")
    merged = accounts.journal(accounts.audit_events(db), accounts.sign_in_events(db), limit=3)
    assert len(merged) == 3 and merged["at"].is_monotonic_decreasing
    assert {"compte:rôle", "connexion:échec"} <= set(merged["operation"])


@pytest.mark.parametrize(
    "change",
    [
        lambda db, actor: accounts.change_own_password(db, actor, GOOD, "Autre-phrase-2027", "Autre-phrase-2027", NOW),
        lambda db, actor: accounts.set_role(db, actor=COMMAND_LINE, email=actor.email, role="lecteur"),
        lambda db, actor: accounts.reset_password(db, actor=COMMAND_LINE, email=actor.email),
        lambda db, actor: accounts.end_sessions(db, actor=COMMAND_LINE, email=actor.email),
        lambda db, actor: accounts.sign_out_everywhere(db, actor),
    ],
    ids=["own password", "role", "reset", "admin closes sessions", "sign out everywhere"],
)
def test_what_must_end_open_sessions_moves_the_accounts_session_epoch(db, change):
    actor = accounts.verify_credentials(db, "agent@ville.fr", GOOD, NOW)
    before = accounts.session_account(db, actor.user_id).session_epoch
    change(db, actor)
    assert accounts.session_account(db, actor.user_id).session_epoch == before + 1


def test_a_sign_in_or_an_unlock_leaves_open_sessions_alone(db):
    actor = accounts.verify_credentials(db, "agent@ville.fr", GOOD, NOW)
    before = accounts.session_account(db, actor.user_id).session_epoch
    accounts.verify_credentials(db, "agent@ville.fr", GOOD, NOW)
    accounts.unlock_user(db, actor=COMMAND_LINE, email="agent@ville.fr")
    assert accounts.session_account(db, actor.user_id).session_epoch == before


def test_accounts_made_before_throttling_migrate_in_place_and_still_sign_in(database_url):
    from alembic import command
    from sqlalchemy import text

    from ctg_data.db import alembic_config, upgrade

    command.downgrade(alembic_config(database_url), "0002")
    engine = make_engine(database_url)
    with engine.begin() as connection:  # an account written by the previous release
        connection.execute(
            text(
                "INSERT INTO users (email, role, password_hash, must_change_password, failed_attempts, version, "
                "created_at, updated_at) VALUES ('ancien@ville.fr', 'admin', :hash, false, 2, 1, "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            ),
            {"hash": passwords.hash_password(GOOD)},
        )
    upgrade(database_url)
    migrated = user(engine, "ancien@ville.fr")
    assert (migrated.session_epoch, migrated.directory_sign_in, migrated.not_before) == (0, False, None)
    assert migrated.failed_attempts == 2
    assert accounts.verify_credentials(engine, "ancien@ville.fr", GOOD, NOW).role == Role.ADMIN
    with pytest.raises(accounts.AuthError, match="mot de passe"):  # not opened to the directory
        accounts.directory_sign_in(engine, "ancien@ville.fr", NOW, email_verified=True)
    engine.dispose()
