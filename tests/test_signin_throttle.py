"""Sign-in throttling under real concurrency, on SQLite and PostgreSQL: parallel sessions can
neither check more passwords than one patient session could nor lose failures; the lock falls
at exactly the configured count; each client address has its own waits; argon2 checks are
capped per process; failed sign-ins leave the data version (and so the read caches) alone."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from ctg_data import accounts
from ctg_data import models as m
from ctg_data.accounts import passwords
from ctg_data.actors import COMMAND_LINE
from ctg_data.queries.conventions import data_version

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
EMAIL = "agent@ville.fr"
GOOD = "bonne-phrase-2026"
WRONG = [f"mauvais-essai-{number}-2026" for number in range(11)]
pytestmark = pytest.mark.usefixtures("cheap_argon2")


@pytest.fixture
def db(engine):
    issued = accounts.create_user(engine, actor=COMMAND_LINE, email=EMAIL, role="lecteur")
    with Session(engine) as session:
        user = session.get(m.User, issued.user_id)
        user.password_hash = passwords.hash_password(GOOD)
        user.must_change_password = False
        session.add(user)
        session.commit()
    return engine


def account(engine) -> m.User:
    with Session(engine) as session:
        return session.exec(select(m.User).where(m.User.email == EMAIL)).one()


def operations(engine) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(m.SignInEvent.operation).order_by(m.SignInEvent.id)).all())


def attempt(engine, email, password, now, client=None) -> str:
    """ "signed in", the refusal's message, or the exception's name (a crash is an answer too)."""
    try:
        accounts.verify_credentials(engine, email, password, now, client=client)
    except accounts.AuthError as error:
        return error.message
    except Exception as error:  # reported as an answer, then asserted absent
        return type(error).__name__
    return "signed in"


def burst(engine, tries: list[tuple[str, str]], now, client=None) -> list[str]:
    """Every (email, password) tried by its own thread, all released at the same instant."""
    barrier = threading.Barrier(len(tries))
    answers = [None] * len(tries)

    def run(index, email, password):
        barrier.wait()
        answers[index] = attempt(engine, email, password, now, client)

    threads = [threading.Thread(target=run, args=(i, *pair)) for i, pair in enumerate(tries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def refused(answer: str) -> bool:
    return answer.startswith("Trop de tentatives")


# ------------------------------------------------------------------ one account, many sessions


def test_twelve_simultaneous_sessions_check_no_more_than_one_patient_session_could(db):
    answers = burst(db, [(EMAIL, password) for password in WRONG] + [(EMAIL, GOOD)], NOW)
    assert all(a in ("signed in", accounts.GENERIC_FAILURE) or refused(a) for a in answers), answers
    checked = [op for op in operations(db) if op in ("connexion", "connexion:échec")]
    failures = answers.count(accounts.GENERIC_FAILURE)
    assert checked.count("connexion:échec") == failures
    # At one instant the rules let through one failure without a wait, then a second that
    # starts a one-second wait: never more, however many sessions try.
    assert failures <= 2
    after_success = checked[checked.index("connexion") + 1 :] if "connexion" in checked else checked
    assert account(db).failed_attempts == after_success.count("connexion:échec")
    if answers[-1] == "signed in":  # only if it came before the wait began, as it would alone
        assert checked[: checked.index("connexion")].count("connexion:échec") <= 1
    else:
        assert refused(answers[-1])


def test_sessions_attacking_together_lock_the_account_at_exactly_five_failures(db):
    moment, checked = NOW, 0
    for _ in range(10):  # waves of eleven sessions, each wave after the previous wait ended
        answers = burst(db, [(EMAIL, password) for password in WRONG], moment)
        assert all(a == accounts.GENERIC_FAILURE or refused(a) for a in answers), answers
        checked += answers.count(accounts.GENERIC_FAILURE)
        if account(db).locked_until is not None:
            break
        moment += timedelta(seconds=20)
    locked = account(db)
    assert checked == 5 and locked.failed_attempts == 5
    assert operations(db).count("connexion:verrouillage") == 1
    assert refused(attempt(db, EMAIL, GOOD, moment + timedelta(minutes=14)))
    assert attempt(db, EMAIL, GOOD, moment + timedelta(minutes=16)) == "signed in"


def test_parallel_failures_are_all_counted(db, monkeypatch):
    # Waits switched off (every failure may be followed at once by another): what is left to
    # test is the counting itself, which must lose nothing under contention.
    from ctg_data.accounts import throttle

    monkeypatch.setattr(throttle, "failure_delay", lambda failures: 0)
    monkeypatch.setenv("CTG_LOCK_AFTER", "100")
    moment, checked = NOW, 0
    while checked < 11:
        answers = burst(db, [(EMAIL, password) for password in WRONG], moment)
        assert all(a == accounts.GENERIC_FAILURE or refused(a) for a in answers), answers
        checked += answers.count(accounts.GENERIC_FAILURE)
        moment += timedelta(seconds=1)
    assert account(db).failed_attempts == checked == operations(db).count("connexion:échec")


# ------------------------------------------------------------------ client addresses


def test_one_client_trying_many_addresses_is_slowed_down_but_not_others(db):
    attacker, colleague = "203.0.113.7", "198.51.100.2"
    assert attempt(db, "a@ville.fr", "essai-un-2026", NOW, attacker) == accounts.GENERIC_FAILURE
    assert attempt(db, "b@ville.fr", "essai-deux-2026", NOW, attacker) == accounts.GENERIC_FAILURE
    assert (
        attempt(db, "c@ville.fr", "essai-trois-2026", NOW, attacker) == "Trop de tentatives : réessayez dans 1 seconde."
    )
    assert attempt(db, EMAIL, GOOD, NOW, colleague) == "signed in"
    assert (
        attempt(db, "c@ville.fr", "essai-trois-2026", NOW + timedelta(seconds=1), attacker) == accounts.GENERIC_FAILURE
    )


def test_a_client_is_slowed_down_but_never_locked_out(db):
    client, moment = "203.0.113.7", NOW
    for number in range(8):
        assert attempt(db, f"personne{number}@ville.fr", "essai-2026", moment, client) == accounts.GENERIC_FAILURE
        moment += timedelta(seconds=accounts.failure_delay(number + 1))
    assert attempt(db, EMAIL, GOOD, moment, client) == "signed in"


# ------------------------------------------------------------------ argon2 checks per process


def test_when_every_check_slot_is_taken_an_attempt_is_refused_at_once_and_nothing_is_written(db, monkeypatch):
    monkeypatch.setattr(passwords, "SLOTS", passwords.VerificationSlots(1, wait=0))
    with passwords.SLOTS.slot():
        answer = attempt(db, EMAIL, "mauvais-essai-2026", NOW)
    assert answer == accounts.BUSY == "Trop de tentatives, réessayez dans un instant."
    assert account(db).failed_attempts == 0 and operations(db) == []


def test_parallel_sign_ins_never_run_more_argon2_checks_than_the_cap(db, monkeypatch):
    monkeypatch.setattr(passwords, "SLOTS", passwords.VerificationSlots(2, wait=0))
    inside, most, lock = [0], [0], threading.Lock()
    release, busy, entered = threading.Event(), threading.Semaphore(0), threading.Semaphore(0)
    real = passwords.verify_password

    def held(stored, password):
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        entered.release()
        release.wait(timeout=120)  # held until every other session has had its answer
        with lock:
            inside[0] -= 1
        return real(stored, password)

    monkeypatch.setattr(passwords, "verify_password", held)
    answers = [None] * 8

    def run(index):
        answers[index] = attempt(db, f"inconnu{index}@ville.fr", "mauvais-essai-2026", NOW)
        if answers[index] == accounts.BUSY:
            busy.release()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for _ in range(6):
        assert busy.acquire(timeout=120)
    for _ in range(2):
        assert entered.acquire(timeout=120)
    release.set()
    for thread in threads:
        thread.join()
    assert most[0] == 2
    assert sorted(answers) == sorted([accounts.BUSY] * 6 + [accounts.GENERIC_FAILURE] * 2)


# ------------------------------------------------------------------ read caches


def test_failed_sign_ins_leave_the_data_version_alone(db):
    before = data_version(db)
    attempt(db, "personne@ville.fr", "mauvais-essai-2026", NOW, "203.0.113.7")
    attempt(db, EMAIL, "mauvais-essai-2026", NOW, "203.0.113.7")
    attempt(db, EMAIL, GOOD, NOW + timedelta(seconds=1), "198.51.100.2")
    assert len(operations(db)) == 3  # recorded all the same, in the sign-in journal
    assert data_version(db) == before
