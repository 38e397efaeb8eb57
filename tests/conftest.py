"""Databases for the tests: every test that takes `engine` runs on SQLite and on a real
PostgreSQL server started for the session. Each test gets its own freshly migrated database,
copied from a template migrated once, so tests stay independent and quick."""

import itertools
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from ctg_data.db import engine_for, make_engine, upgrade
from ctg_data.interchange import load_folder
from tests.postgres_server import PostgresServer

_counter = itertools.count()


@pytest.fixture(scope="session")
def postgres_base_url():
    external = os.environ.get("CTG_TEST_POSTGRES_URL")
    if external:
        yield external.rstrip("/")
        return
    server = PostgresServer()
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


def _admin(base_url):
    return make_engine(f"{base_url}/postgres").execution_options(isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def postgres_template(postgres_base_url):
    admin = _admin(postgres_base_url)
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS ctg_template"))
        connection.execute(text("CREATE DATABASE ctg_template"))
    upgrade(f"{postgres_base_url}/ctg_template")
    admin.dispose()
    return "ctg_template"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


def fresh_sqlite_url(sqlite_template, tmp_path) -> str:
    path = tmp_path / f"ctg-{next(_counter)}.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def fresh_postgres_url(base_url, template) -> str:
    name = f"ctg_test_{os.getpid()}_{next(_counter)}"
    admin = _admin(base_url)
    with admin.connect() as connection:
        # FILE_COPY: for a small template, copying its files beats PostgreSQL 15's default of
        # writing every block through the WAL.
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY'))
    admin.dispose()
    return f"{base_url}/{name}"


def drop_postgres_database(url: str) -> None:
    """Drop a test database at once (FORCE ends connections a test left open), so that hundreds
    of them don't pile up until the server stops."""
    base, _, name = url.rpartition("/")
    admin = _admin(base)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path, sqlite_template):
    if request.param == "sqlite":
        yield fresh_sqlite_url(sqlite_template, tmp_path)
        return
    base = request.getfixturevalue("postgres_base_url")
    template = request.getfixturevalue("postgres_template")
    url = fresh_postgres_url(base, template)
    yield url
    engine_for.cache_clear()  # engines of this database cached by the code under test
    drop_postgres_database(url)


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template):
    return fresh_sqlite_url(sqlite_template, tmp_path)


@pytest.fixture
def sqlite_engine(sqlite_url):
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


def pytest_terminal_summary(terminalreporter):
    passed = [r for r in terminalreporter.stats.get("passed", []) if "postgres" in r.keywords]
    failed = [r for r in terminalreporter.stats.get("failed", []) if "postgres" in r.keywords]
    terminalreporter.write_line(
        f"Tests sur PostgreSQL : {len(passed)} réussis, {len(failed)} en échec."
    )


DEMO_SEED = Path(__file__).resolve().parent.parent / "seeds" / "lourdes-2023"
DEMO_TODAY = "2026-11-26"


@pytest.fixture(scope="session")
def demo_sqlite_template(sqlite_template, tmp_path_factory):
    """The migrated template with the demo convention loaded, built once."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    report = load_folder(DEMO_SEED, actor="test", engine=engine)
    engine.dispose()
    assert report.ok, [str(e) for e in report.errors]
    return path


@pytest.fixture
def demo_app(demo_sqlite_template, tmp_path, monkeypatch):
    """Environment for AppTest runs on a private copy of the demo database, caches cleared."""
    import streamlit as st

    path = tmp_path / "app.sqlite3"
    shutil.copy(demo_sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("CTG_DATABASE_URL", url)
    monkeypatch.setenv("CTG_TODAY", DEMO_TODAY)
    engine_for.cache_clear()
    st.cache_data.clear()
    st.cache_resource.clear()
    yield url
    engine_for.cache_clear()


@pytest.fixture
def demo_engine(demo_app):
    """An engine on the demo database that the pages under test read."""
    engine = make_engine(demo_app)
    yield engine
    engine.dispose()


# ---------------------------------------------------------------- signed-in AppTests

def _test_admin():
    from ctg_data.actors import Actor, Role

    return Actor(email="admin@test.ctg", role=Role.ADMIN)


def sign_in(at, actor=None):
    """Give an AppTest a signed-in person (an administrator unless told), as the sign-in does:
    its Actor under the session key every page reads. Returns the AppTest."""
    from ctg_data.ui.auth import ACTOR_KEY

    at.session_state[ACTOR_KEY] = actor or _test_admin()
    return at


@pytest.fixture
def signed_in():
    """`signed_in(at, actor=None)`: the AppTest `at`, signed in (administrator by default)."""
    return sign_in


@pytest.fixture
def cheap_argon2(monkeypatch):
    """Argon2id with the cheapest parameters, so that tests signing in many times stay quick
    (production uses ctg_data.accounts.passwords.PARAMETERS, checked by its own test)."""
    from argon2 import PasswordHasher, profiles

    from ctg_data.accounts import passwords

    monkeypatch.setattr(passwords, "HASHING", passwords.Hashing(PasswordHasher.from_parameters(profiles.CHEAPEST)))
