"""Engines and sessions from settings, and the migration entry point.

SQLite is tuned on every connection: foreign keys are off by default there, and WAL lets the
app read while a form or an import writes. Its transactions are begun by us, not by the
driver: reads with a plain BEGIN (a consistent snapshot that never blocks), write units of work
(`session_scope`, `for_writing`) with BEGIN IMMEDIATE, which takes the write lock before the
first read, so that two saves of one record run one after the other and the second sees the
first one's version (PostgreSQL gets the same from SELECT … FOR UPDATE).

The application only ever opens an existing SQLite file: only `ctg db upgrade` (the
migrations) creates it. The file opened first is remembered, and a connection to a file since
deleted or replaced is refused with DatabaseUnavailable instead of writing where nobody reads.
"""

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlmodel import Session

from ctg_data.errors import DatabaseBusy, DatabaseUnavailable
from ctg_data.settings import PROJECT_ROOT, load_settings

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
# Execution option of the engines whose SQLite transactions begin with the write lock.
IMMEDIATE = "ctg_begin_immediate"
# How long a save waits for SQLite's write lock (an import's short write transaction) before
# saying « Un import est en cours » (errors.DatabaseBusy).
BUSY_TIMEOUT_MS = 10_000


def _tune_sqlite(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    # The driver must not open transactions by itself: _begin_sqlite does (see the docstring).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def _busy(context: ExceptionContext) -> None:
    """SQLite's "database is locked" (the wait for the write lock ran out) as the French
    DatabaseBusy every page shows as it is (ui.boundary)."""
    original = context.original_exception
    if isinstance(original, sqlite3.OperationalError) and "database is locked" in str(original):
        raise DatabaseBusy(f"verrou d'écriture de SQLite pris plus de {BUSY_TIMEOUT_MS} ms : {original}") from original


def _begin_sqlite(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class SqliteFile:
    """The database file an engine opened first (device and inode), checked again each time a
    connection is handed out and before each commit."""

    def __init__(self, path: Path):
        self.path = path
        self.identity: tuple[int, int] | None = None

    def _current(self) -> tuple[int, int] | None:
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            return None
        return found.st_dev, found.st_ino

    def opened(self, *_args: object) -> None:
        if self.identity is None:
            self.identity = self._current()
        self.check()

    def check(self, *_args: object) -> None:
        current = self._current()
        if current is None:
            raise DatabaseUnavailable(
                f"le fichier {self.path} a été supprimé pendant que l'application s'en "
                "servait : restaurez-le, ou recréez la base avec « ctg db upgrade », "
                "puis redémarrez l'application"
            )
        if current != self.identity:
            raise DatabaseUnavailable(
                f"le fichier {self.path} a été remplacé depuis son ouverture : "
                "redémarrez l'application pour utiliser le nouveau fichier"
            )


def _file_path(url: URL) -> Path | None:
    """The file of a SQLite URL (plain path or `file:` URI), None for an in-memory database."""
    database = url.database or ""
    if url.query.get("uri") == "true" and database.startswith("file:"):
        database = database[len("file:") :].split("?", 1)[0]
    if not database or database == ":memory:" or database.startswith(":memory:"):
        return None
    return Path(database).resolve()


def _existing_file(path: Path) -> Callable[[], sqlite3.Connection]:
    """A DBAPI connect function that opens `path` only if it exists (SQLite would create it)."""

    def connect() -> sqlite3.Connection:
        if not path.exists():
            raise DatabaseUnavailable(f"le fichier {path} n'existe pas : créez la base avec « ctg db upgrade »")
        return sqlite3.connect(f"file:{quote(str(path))}?mode=rw", uri=True, check_same_thread=False)

    return connect


def make_engine(url: str, *, create: bool = False) -> Engine:
    """An engine on `url`. A SQLite file must exist unless `create` (the migrations only)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    path = _file_path(parsed)
    options: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if path is not None and create:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif path is not None and parsed.query.get("uri") != "true":  # an explicit URI keeps its own mode
        options["creator"] = _existing_file(path)
    engine = create_engine(url, **options)
    event.listen(engine, "connect", _tune_sqlite)
    event.listen(engine, "begin", _begin_sqlite)
    event.listen(engine, "handle_error", _busy)
    if path is not None:
        guard = SqliteFile(path)
        event.listen(engine, "first_connect", guard.opened)
        event.listen(engine, "checkout", guard.check)
        event.listen(engine, "commit", guard.check)
    return engine


@cache
def engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    """The process-wide engine of the configured database."""
    return engine_for(load_settings().database_url)


def for_writing(engine: Engine) -> Engine:
    """`engine` for a unit of work that writes: on SQLite its transactions take the write lock
    as they begin (a no-op option elsewhere)."""
    return engine.execution_options(**{IMMEDIATE: True})


def refresh_statistics(engine: Engine) -> None:
    """After a bulk load: the planner's statistics of every table. Without them PostgreSQL plans
    the first pages over a freshly loaded base as if it were empty (minutes instead of
    milliseconds, measured) until its autovacuum gets there; SQLite's planner wants them too."""
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work that writes: committed when the block ends, rolled back entirely on
    error. On SQLite it holds the write lock from its first statement (see the docstring)."""
    with Session(for_writing(engine or get_engine()), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Create or migrate the schema. The schema is only ever created this way."""
    command.upgrade(alembic_config(url or load_settings().database_url), revision)
