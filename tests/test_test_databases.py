"""The suite's own database machinery (tests/conftest.py, tests/helpers/databases.py): a copy of
a template loaded once holds exactly what loading it in the test would give, and the databases
handed to tests are dropped once the tests are done."""

from sqlalchemy import text
from sqlmodel import Session

from ctg_data.db import make_engine
from ctg_data.reports.integrity import table_counts
from tests.conftest import drop_postgres_database, fresh_postgres_url, fresh_sqlite_url
from tests.saisie_data import load_small


def _counts(url: str) -> dict:
    engine = make_engine(url)
    with Session(engine) as session:
        counts = table_counts(session)
    engine.dispose()
    return counts


def test_a_copy_of_the_small_template_equals_the_small_convention_loaded_here(engine, request, tmp_path):
    loaded_here = load_small(engine, tmp_path / "here")  # no `small` fixture: really loaded, from the CSV
    with Session(engine) as session:
        expected = table_counts(session)
    if engine.url.get_backend_name() == "sqlite":
        template, preloaded = request.getfixturevalue("small_sqlite_template")
        copy = fresh_sqlite_url(template, tmp_path)
    else:
        template, preloaded = request.getfixturevalue("small_postgres_template")
        copy = fresh_postgres_url(request.getfixturevalue("postgres_base_url"), template)
    assert preloaded == loaded_here
    assert _counts(copy) == expected
    if copy.startswith("postgresql"):
        drop_postgres_database(copy)
    assert expected["actions"] == 1 and expected["organisations"] == 4  # the load did happen


def _test_databases(admin) -> set[str]:
    with admin.connect() as connection:
        return set(
            connection.execute(text("SELECT datname FROM pg_database WHERE datname LIKE 'ctg_test_%'")).scalars()
        )


def test_a_released_database_is_dropped_and_clones_are_independent(postgres_databases, postgres_template):
    first = postgres_databases.clone(postgres_template)
    second = postgres_databases.clone(postgres_template)
    engine = make_engine(first)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO organisations (code, name, type) VALUES ('o', 'O', 'commune')"))
    engine.dispose()
    assert _counts(second)["organisations"] == 0
    postgres_databases.release(first)
    postgres_databases.release(second)
    postgres_databases.settle()
    admin = make_engine(postgres_databases.url("postgres"))
    assert {first.rpartition("/")[2], second.rpartition("/")[2]}.isdisjoint(_test_databases(admin))
    admin.dispose()
