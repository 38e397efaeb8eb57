"""The SQLite file's lifecycle: only `ctg db upgrade` creates it; the app opens an existing file
only, and a file deleted or replaced under a running app is refused with a French
DatabaseUnavailable instead of answering "Enregistré." for saves nobody will ever read.
Reads never wait for a writer."""

import os
import sqlite3
import threading

import pytest
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.db import make_engine, session_scope
from ctg_data.errors import DatabaseUnavailable
from ctg_data.services import funding
from tests.conftest import fresh_sqlite_url
from tests.helpers.cli import make_run_commands
from tests.saisie_data import ADVISOR

FRENCH = "La base de données est indisponible"


@pytest.fixture
def app(small_sqlite_template, tmp_path):
    """A running app's engine on a copy of the small convention's template, and the path of its file."""
    template, small = small_sqlite_template
    url = fresh_sqlite_url(template, tmp_path)
    engine = make_engine(url)
    yield engine, small, url.removeprefix("sqlite:///")
    engine.dispose()


def planned(path) -> str | None:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT planned FROM funding_lines ORDER BY id LIMIT 1").fetchone()[0]


def save_planned(engine, small, amount: str):
    opened = funding.funding_for_edit(engine, small.funding_line_id)
    return funding.update_funding(
        engine,
        ADVISOR,
        funding_line_id=small.funding_line_id,
        expected_version=opened["version"],
        opened=opened,
        planned=amount,
        notified=opened["notified"],
        paid=opened["paid"],
    )


def test_the_app_never_creates_a_missing_database(tmp_path):
    path = tmp_path / "var" / "ctg.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    with pytest.raises(DatabaseUnavailable) as refused, Session(engine) as session:
        session.exec(select(m.Convention)).all()
    engine.dispose()
    assert str(refused.value).startswith(FRENCH)
    assert "ctg db upgrade" in refused.value.detail
    assert not path.exists() and not path.parent.exists()


def test_a_command_on_a_missing_database_says_so_in_french_and_creates_nothing(ctg_command, tmp_path):
    path = tmp_path / "var" / "ctg.sqlite3"
    result = ctg_command(f"sqlite:///{path}", "seed", "--if-empty")
    assert result.returncode == 1
    assert result.stderr.startswith(FRENCH) and "ctg db upgrade" in result.stderr
    assert "Traceback" not in result.stderr
    assert not path.exists()


def test_make_run_creates_and_seeds_a_new_database_on_a_fresh_clone(ctg_command, tmp_path):
    # The same steps by the installed program: tests/test_cli.py.
    path = tmp_path / "var" / "ctg.sqlite3"
    url = f"sqlite:///{path}"
    for step in make_run_commands():  # ctg db upgrade, then ctg seed --if-empty
        result = ctg_command(url, *step)
        assert result.returncode == 0, result.stderr
    engine = make_engine(url)
    with Session(engine) as session:
        assert session.exec(select(m.Convention.code)).all() == ["ctg-lourdes-2023"]
    engine.dispose()


def test_a_file_deleted_under_the_running_app_refuses_saves_and_is_not_recreated(app):
    engine, small, path = app
    assert save_planned(engine, small, "111").changed
    os.remove(path)
    with pytest.raises(DatabaseUnavailable) as refused:
        save_planned(engine, small, "222")
    assert str(refused.value).startswith(FRENCH)
    assert not os.path.exists(path)
    # The restarted app (a new engine) refuses too, and still creates nothing.
    restarted = make_engine(f"sqlite:///{path}")
    with pytest.raises(DatabaseUnavailable), Session(restarted) as session:
        session.exec(select(m.FundingLine)).all()
    restarted.dispose()
    assert not os.path.exists(path)


def copy_database(source, target) -> None:
    """A consistent copy, what lives in the WAL included (as an administrator's backup)."""
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
    origin.close()
    copy.close()


def test_a_file_replaced_under_the_running_app_is_refused_and_left_alone(app, tmp_path):
    engine, small, path = app
    assert save_planned(engine, small, "111").changed
    backup = tmp_path / "backup.sqlite3"
    copy_database(path, backup)
    with sqlite3.connect(backup) as connection:
        connection.execute("UPDATE funding_lines SET planned = 5")
    connection.close()
    os.replace(backup, path)  # an administrator restores another file under the same name
    with pytest.raises(DatabaseUnavailable) as refused:
        save_planned(engine, small, "222")
    assert str(refused.value).startswith(FRENCH) and "remplacé" in refused.value.detail
    # Not 5 either: SQLite reads the old file's WAL, still beside it, into the new one (why a
    # live database must never be replaced); what matters here is that the refused save is not in it.
    assert planned(path) != 222


def test_a_file_replaced_during_a_save_is_not_committed(app, tmp_path):
    engine, small, path = app
    copy = tmp_path / "copy.sqlite3"
    copy_database(path, copy)
    with pytest.raises(DatabaseUnavailable), session_scope(engine) as session:
        line = session.get(m.FundingLine, small.funding_line_id)
        line.planned, line.version = 999, line.version + 1
        session.flush()
        os.replace(copy, path)
    assert planned(path) != 999


def test_reads_do_not_wait_for_a_save_in_progress(app):
    """A plain Session reads the last committed value while a write unit of work holds SQLite's
    write lock (a read that waited would fail with "database is locked" after the busy timeout)."""
    engine, small, _ = app
    with Session(engine) as session:
        committed = session.get(m.FundingLine, small.funding_line_id).planned
    read = []
    with session_scope(engine) as session:
        line = session.get(m.FundingLine, small.funding_line_id)
        line.planned, line.version = 12345, line.version + 1
        session.flush()  # written, not committed: the write lock is held
        reader = threading.Thread(target=lambda: read.append(funding.funding_for_edit(engine, line.id)["planned"]))
        reader.start()
        reader.join()
    assert read == [str(committed)]
    with Session(engine) as session:
        assert session.get(m.FundingLine, small.funding_line_id).planned == 12345
