"""`ctg demo-data`: national synthetic data, the same for the same seed, consistent (the
integrity rules of `ctg check` hold), with the counts asked for, and never written over a
base that already holds conventions unless forced (and then only added)."""

import pytest
from sqlalchemy import func, select, text
from sqlmodel import Session, SQLModel

from ctg_data.db import make_engine
from ctg_data.reports.integrity import violations
from ctg_data.synthetic import DemoDataRefused, generate
from tests.conftest import drop_postgres_database, fresh_postgres_url, fresh_sqlite_url

N = 3  # conventions: small, the generator's shape does not depend on the number
PER_CONVENTION = {  # the national model: 40 actions, 36 indicators monthly for 40 months…
    "actions": 40,
    "indicators": 36,
    "orientations": 4 + 10,
    "facilities": 14,
    "perimeter": 2,
    "measurements": 36 * 40 + 40,  # monthly for 40 months, plus the first indicator per commune
}


@pytest.fixture
def second_url(database_url, request, tmp_path):
    """Another empty migrated database on the same engine as `database_url`."""
    if database_url.startswith("sqlite"):
        yield fresh_sqlite_url(request.getfixturevalue("sqlite_template"), tmp_path)
        return
    url = fresh_postgres_url(request.getfixturevalue("postgres_base_url"), request.getfixturevalue("postgres_template"))
    yield url
    drop_postgres_database(url)


def count(engine, name: str) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(SQLModel.metadata.tables[name])).scalar_one()


def dump(engine) -> dict[str, list[tuple]]:
    """Every row of every table, sorted, but the salted password hashes."""
    rows = {}
    with engine.connect() as connection:
        for name, table in SQLModel.metadata.tables.items():
            columns = [c for c in table.columns if c.name != "password_hash"]
            rows[name] = sorted(tuple(map(repr, row)) for row in connection.execute(select(*columns)))
    return rows


def test_counts_are_those_asked_for(engine):
    written = generate(engine, N, seed=5)
    for name, per in PER_CONVENTION.items():
        assert count(engine, name) == written[name] == N * per, name
    assert count(engine, "conventions") == N
    statuses = {s for (s,) in engine.connect().execute(text("SELECT DISTINCT status FROM actions"))}
    assert {"en_cours", "realisee", "a_venir"} <= statuses  # every page has something to show
    with engine.connect() as connection:
        levers = {lever for (lever,) in connection.execute(text("SELECT DISTINCT lever_code FROM funding_lines"))}
        roles = {role for (role,) in connection.execute(text("SELECT role FROM users"))}
        paid = connection.execute(text("SELECT count(*) FROM funding_lines WHERE paid IS NOT NULL")).scalar_one()
    assert levers == {"bonus_territoire", "cofinancement_coordination", "subvention"}
    assert roles == {"admin", "conseiller"} and paid > 0
    assert count(engine, "convention_members") == N  # each convention's conseiller of its département


def test_the_same_seed_gives_the_same_rows_and_another_seed_others(engine, second_url):
    generate(engine, N, seed=7)
    other = make_engine(second_url)
    try:
        generate(other, N, seed=7)
        assert dump(engine) == dump(other)
    finally:
        other.dispose()
    with engine.connect() as connection:
        first = connection.execute(text("SELECT value FROM measurements ORDER BY id")).scalars().all()
    engine.dispose()
    fresh = make_engine(second_url)
    try:
        generate(fresh, N, seed=8, force=True)  # added beside seed 7's, with codes of their own
        with fresh.connect() as connection:
            eighth = (
                connection.execute(text("SELECT value FROM measurements WHERE id > :n ORDER BY id"), {"n": len(first)})
                .scalars()
                .all()
            )
        assert len(eighth) == len(first) and eighth != first
    finally:
        fresh.dispose()


def test_the_data_breaks_no_integrity_rule(engine, ctg_command, database_url):
    generate(engine, N, seed=11)
    with Session(engine) as session:
        assert [v for v in violations(session) if not v.warning] == []
        assert violations(session) == []  # facilities in their perimeter: not even a warning
    ran = ctg_command(database_url, "check")
    assert ran.returncode == 0 and "Aucune règle enfreinte." in ran.stdout


def test_a_base_holding_conventions_is_refused_without_force(engine, ctg_command, database_url):
    generate(engine, 1, seed=1)
    with pytest.raises(DemoDataRefused):
        generate(engine, 1, seed=2)
    ran = ctg_command(database_url, "demo-data", "--conventions", "1", "--seed", "2")
    assert ran.returncode == 1 and "--force" in ran.stderr
    assert count(engine, "conventions") == 1
    ran = ctg_command(database_url, "demo-data", "--conventions", "2", "--seed", "2", "--force")
    assert ran.returncode == 0, ran.stderr
    assert count(engine, "conventions") == 3 and count(engine, "users") == 1 + 2  # accounts not duplicated
