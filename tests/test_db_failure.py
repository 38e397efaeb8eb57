"""A database that fails — PostgreSQL stopped, a read-only SQLite file, a write lock held by a
long import — gives one French sentence at sign-in and on every page, never Streamlit's English
error nor anything technical; when the database comes back the next run works."""

import ast
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from ctg_data.accounts import DEMO_ACCOUNTS, create_demo_accounts
from ctg_data.actors import Actor, Role
from ctg_data.db import engine_for, make_engine, upgrade
from ctg_data.interchange import load_folder
from tests.conftest import DEMO_SEED, DEMO_TODAY
from tests.postgres_server import PostgresServer, _free_port

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(path.stem for path in (ROOT / "pages").glob("*.py"))
ADMIN = Actor(email="admin@test.ctg", role=Role.ADMIN)
# The boundary's sentence, and words that would betray a technical message.
FRENCH = re.compile(
    r"base de données est momentanément indisponible|base de données est indisponible|Un import est en cours"
)
TECHNICAL = re.compile(
    r"sqlalchemy|psycopg|sqlite3?\b|OperationalError|Traceback|Error\b|exception|"
    r"connection|refused|locked|readonly",
    re.IGNORECASE,
)


def shown(at: AppTest) -> list[str]:
    """Every text the person sees in messages, titles and captions (sidebar included)."""
    kinds = ("error", "warning", "info", "success", "title", "caption", "markdown", "header", "subheader")
    return [str(element.value) for kind in kinds for element in getattr(at, kind)]


def assert_french_failure(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    errors = [str(e.value) for e in at.error]
    assert any(FRENCH.search(message) for message in errors), shown(at)
    leaks = [message for message in shown(at) if TECHNICAL.search(message)]
    assert not leaks, leaks


def assert_no_failure(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error if FRENCH.search(str(e.value))]


def use_database(monkeypatch, url: str) -> None:
    import streamlit as st

    monkeypatch.setenv("CTG_DATABASE_URL", url)
    monkeypatch.setenv("CTG_TODAY", DEMO_TODAY)
    engine_for.cache_clear()
    st.cache_data.clear()
    st.cache_resource.clear()


def dashboard(actor: Actor | None = None, page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    if actor is not None:
        at.session_state["ctg_actor"] = actor
    at.run()
    if page is not None:
        at.switch_page(f"pages/{page}.py")
        at.run()
    return at


def page(name: str, actor: Actor | None = ADMIN, **query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=60)
    if actor is not None:
        at.session_state["ctg_actor"] = actor
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


@pytest.fixture
def postgres_down(monkeypatch):
    """A PostgreSQL URL whose port has no server: the server is stopped."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/ctg"
    use_database(monkeypatch, url)
    yield url
    engine_for.cache_clear()


# ---------------------------------------------------------------- PostgreSQL stopped


def test_sign_in_with_postgres_stopped_is_a_french_sentence(postgres_down):
    assert_french_failure(dashboard())
    assert_french_failure(page("vue_ensemble", actor=None))


@pytest.mark.parametrize("name", PAGES)
def test_every_page_with_postgres_stopped_is_a_french_sentence(postgres_down, name):
    assert_french_failure(dashboard(ADMIN, name))


@pytest.mark.parametrize(
    "name",
    [
        "actions",
        "indicateurs",
        "saisie_mesure",
        "saisie_financement",
        "bonus_territoire",
        "admin_referentiels",
        "controles",
        "historique",
    ],
)
def test_a_page_opened_on_its_own_with_postgres_stopped_is_a_french_sentence(postgres_down, name):
    # A deep link on a fresh server runs the page file without dashboard.py.
    assert_french_failure(page(name))


def test_a_signed_in_account_with_postgres_stopped_is_a_french_sentence(postgres_down):
    # An account signed in is re-read on every run by dashboard.py itself, before any page.
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.session_state["ctg_actor"] = Actor(email="admin@test.ctg", role=Role.ADMIN, user_id=1)
    assert_french_failure(at.run())


@pytest.mark.postgres
def test_the_app_recovers_when_postgresql_comes_back(monkeypatch):
    server = PostgresServer()  # chooses its port; nothing listens there until start()
    url = f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/ctg"
    use_database(monkeypatch, url)
    sign_in = dashboard()
    actions = dashboard(ADMIN, "actions")
    assert_french_failure(sign_in)
    assert_french_failure(actions)
    try:
        base = server.start()
        admin = make_engine(f"{base}/postgres").execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE ctg"))
        admin.dispose()
        upgrade(url)
        assert load_folder(DEMO_SEED, actor="test", engine=engine_for(url)).ok
        # The same sessions, the same cached engine: the next run works.
        sign_in.run()
        assert_no_failure(sign_in)
        assert [field.label for field in sign_in.text_input][:2] == ["Adresse e-mail", "Mot de passe"]
        actions.run()
        assert_no_failure(actions)
        assert [t.value for t in actions.title] == ["Actions"]
        assert actions.dataframe
    finally:
        engine_for(url).dispose()
        engine_for.cache_clear()
        server.stop()


# ---------------------------------------------------------------- SQLite read-only or locked


@pytest.fixture
def demo_copy(demo_sqlite_template, tmp_path) -> Path:
    path = tmp_path / "app.sqlite3"
    shutil.copy(demo_sqlite_template, path)
    return path


def funding_row(path: Path) -> tuple:
    with sqlite3.connect(path) as connection:
        return connection.execute(
            "SELECT id, planned, notified, paid, comment, version FROM funding_lines ORDER BY id LIMIT 1"
        ).fetchone()


def test_a_save_on_a_read_only_sqlite_file_is_a_french_sentence(demo_copy, monkeypatch):
    before = funding_row(demo_copy)
    # Root ignores file modes: the read-only open is asked for, as a file mode would impose it.
    use_database(monkeypatch, f"sqlite:///file:{demo_copy}?mode=ro&uri=true")
    at = page("saisie_financement", ligne=str(before[0]))
    assert_no_failure(at)
    form = at.main.text_input
    next(f for f in form if f.label.startswith("Montant prévu")).set_value("123456")
    next(b for b in at.main.button if b.label == "Enregistrer les montants").click().run()
    assert_french_failure(at)
    assert not [s.value for s in at.success]
    assert funding_row(demo_copy) == before


class WriteLock:
    """A long import: another connection holds SQLite's write lock until released."""

    def __init__(self, path: Path):
        self.connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.connection.execute("BEGIN IMMEDIATE")
        self.connection.execute("UPDATE audit_events SET reason = reason WHERE id = -1")

    def release(self) -> None:
        self.connection.execute("ROLLBACK")
        self.connection.close()


def _sign_in(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input(key="ctg_sign_in_email").input(email)
    at.text_input(key="ctg_sign_in_password").input(password)
    return at.button[0].click().run()


def test_sign_in_while_an_import_holds_the_write_lock_then_after(demo_copy, monkeypatch, cheap_argon2):
    url = f"sqlite:///{demo_copy}"
    engine = make_engine(url)
    create_demo_accounts(engine)
    engine.dispose()
    account = DEMO_ACCOUNTS[0]
    use_database(monkeypatch, url)
    at = dashboard()
    assert_no_failure(at)
    lock = WriteLock(demo_copy)
    try:
        _sign_in(at, account.email, account.password)
        assert_french_failure(at)
    finally:
        lock.release()
    _sign_in(at, account.email, account.password)  # the lock is gone: the same session signs in
    assert_no_failure(at)
    assert "ctg_actor" in at.session_state


# ---------------------------------------------------------------- one boundary, no page-level catch


@pytest.mark.parametrize("name", PAGES)
def test_no_page_catches_database_errors_itself(name):
    source = (ROOT / "pages" / f"{name}.py").read_text(encoding="utf-8")
    assert "SQLAlchemyError" not in source
    assert "OperationalError" not in source
    assert "except Exception" not in source
    # The page's setup and body run inside the boundary, also when a deep link runs the file alone:
    # the page is declared to the framework (ctg_data.ui.page), which runs its rendering last.
    tree = ast.parse(source)
    last = tree.body[-1]
    assert isinstance(last, ast.FunctionDef) and len(last.decorator_list) == 1
    decorator = last.decorator_list[0]
    assert isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Name)
    assert decorator.func.id in {"page", "general_page"}
    assert not [node for node in tree.body if isinstance(node, ast.Expr)][1:]  # no other top-level call
