"""Databases for the tests: every test that takes `engine` runs on SQLite and on a real
PostgreSQL server started for the session. Each test gets its own freshly migrated database,
copied from a template migrated once, so tests stay independent and quick. Data that many tests
load (the small convention of tests/saisie_data.py, the demo seed) is loaded once into a template
too, and copied."""

import itertools
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from ctg_data.db import engine_for, make_engine, refresh_statistics, upgrade
from ctg_data.interchange import load_folder
from tests.helpers import databases as dbs
from tests.postgres_server import PostgresServer
from tests.saisie_data import PRELOADED, database_key, load_small

_counter = itertools.count()
_DATABASES: dict[str, dbs.Databases] = {}  # the session's clone maker, by server URL

DEMO_SEED = Path(__file__).resolve().parent.parent / "seeds" / "lourdes-2023"
DEMO_TODAY = "2026-11-26"


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


@pytest.fixture(scope="session")
def postgres_databases(postgres_base_url):
    """Clones of template databases (tests/helpers/databases.py), for the whole session."""
    databases = dbs.Databases(postgres_base_url)
    _DATABASES[postgres_base_url] = databases
    yield databases
    del _DATABASES[postgres_base_url]
    databases.close()


def _admin(base_url):
    return dbs.admin_engine(base_url)


@pytest.fixture(scope="session")
def postgres_template(postgres_base_url, postgres_databases):
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
    """A new database copied from `template`; dropped at the end of the session at the latest."""
    databases = _DATABASES.get(base_url)
    if databases is not None:
        return databases.clone(template)
    name = f"ctg_test_{os.getpid()}_{next(_counter)}"
    admin = _admin(base_url)
    with admin.connect() as connection:
        dbs.create_database(connection, name, template)
    admin.dispose()
    return f"{base_url}/{name}"


def drop_postgres_database(url: str) -> None:
    """Drop a test database (in the background during the session), so that hundreds of them
    don't pile up until the server stops."""
    base, _, name = url.rpartition("/")
    databases = _DATABASES.get(base)
    if databases is not None:
        databases.release(url)
        return
    admin = _admin(base)
    with admin.connect() as connection:
        dbs.drop_database(connection, name)
    admin.dispose()


# ---------------------------------------------------------------- templates with data loaded


def _load_into_copy(template: Path, path: Path, load) -> object:
    shutil.copy(template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        return load(engine)
    finally:
        engine.dispose()


def _load_into_postgres_clone(base_url: str, template: str, load) -> tuple[str, object]:
    url = fresh_postgres_url(base_url, template)
    engine = make_engine(url)
    try:
        loaded = load(engine)
        refresh_statistics(engine)  # as `ctg seed` does: the copies inherit the statistics
    finally:
        engine.dispose()  # a template must have no connection left to be copied
    return url.rpartition("/")[2], loaded


def _load_demo(engine) -> None:
    report = load_folder(DEMO_SEED, actor="test", engine=engine)
    assert report.ok, [str(e) for e in report.errors]


@pytest.fixture(scope="session")
def small_sqlite_template(sqlite_template, tmp_path_factory):
    """(path, Small): the migrated SQLite template with tests/saisie_data.py's small convention."""
    folder = tmp_path_factory.mktemp("small")
    path = folder / "small.sqlite3"
    return path, _load_into_copy(sqlite_template, path, lambda engine: load_small(engine, folder))


@pytest.fixture(scope="session")
def small_postgres_template(postgres_base_url, postgres_template, tmp_path_factory):
    """(name, Small): a PostgreSQL template database holding the small convention."""
    folder = tmp_path_factory.mktemp("small-pg")
    return _load_into_postgres_clone(postgres_base_url, postgres_template, lambda engine: load_small(engine, folder))


@pytest.fixture(scope="session")
def demo_postgres_database_template(postgres_base_url, postgres_template):
    """The name of a PostgreSQL template database holding the demo seed."""
    return _load_into_postgres_clone(postgres_base_url, postgres_template, _load_demo)[0]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path, sqlite_template):
    """A freshly migrated database of its own for the test, SQLite then PostgreSQL.

    When the test also requests a fixture named `small` (the data-entry tests: it calls
    tests/saisie_data.load_small on `engine`), the database is copied from a template where the
    small convention is already loaded, and load_small only returns its ids."""
    preload = "small" in request.fixturenames
    if request.param == "sqlite":
        if preload:
            template, small = request.getfixturevalue("small_sqlite_template")
            url = fresh_sqlite_url(template, tmp_path)
            PRELOADED[database_key(url)] = small
        else:
            url = fresh_sqlite_url(sqlite_template, tmp_path)
        yield url
        _check_preload_taken(url)
        return
    base = request.getfixturevalue("postgres_base_url")
    if preload:
        template, small = request.getfixturevalue("small_postgres_template")
        url = fresh_postgres_url(base, template)
        PRELOADED[database_key(url)] = small
    else:
        url = fresh_postgres_url(base, request.getfixturevalue("postgres_template"))
    yield url
    engine_for.cache_clear()  # engines of this database cached by the code under test
    drop_postgres_database(url)
    _check_preload_taken(url)


def _check_preload_taken(url: str) -> None:
    if PRELOADED.pop(database_key(url), None) is not None:
        pytest.fail(
            "La fixture `small` de ce test n'appelle pas load_small : la base préchargée "
            "(tests/conftest.py, database_url) ne lui convient pas."
        )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def demo_database_url(request, tmp_path, demo_sqlite_template):
    """A database of its own holding the demo seed, SQLite then PostgreSQL (copied from a
    template loaded once per session)."""
    if request.param == "sqlite":
        yield fresh_sqlite_url(demo_sqlite_template, tmp_path)
        return
    base = request.getfixturevalue("postgres_base_url")
    url = fresh_postgres_url(base, request.getfixturevalue("demo_postgres_database_template"))
    yield url
    engine_for.cache_clear()
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
    terminalreporter.write_line(f"Tests sur PostgreSQL : {len(passed)} réussis, {len(failed)} en échec.")


@pytest.fixture(scope="session")
def demo_sqlite_template(sqlite_template, tmp_path_factory):
    """The migrated template with the demo convention loaded, built once."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    _load_into_copy(sqlite_template, path, _load_demo)
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


@pytest.fixture
def ctg_command(monkeypatch, capsys):
    """`ctg_command(url, *args)`: the `ctg` command run in this process, returning its exit code,
    stdout and stderr (tests/helpers/cli.py; `run_installed` there runs the installed program)."""
    from tests.helpers.cli import in_process

    return in_process(monkeypatch, capsys)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for every browser test of the session (tests/helpers/browser.py);
    each test opens its own context (`page` in tests/test_browser.py)."""
    from tests.helpers.browser import chromium

    with chromium() as launched:
        yield launched
