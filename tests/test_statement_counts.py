"""No N+1: every page, for every role that may open it, sends as many SQL statements on the demo
base as on the same base grown tenfold (tests/helpers/grow.py: 2 → 20 conventions, and in the
convention the page opens 10 × its actions, indicators, measurements, facilities, funding lines
and meetings, 10 × the audit trail and the accounts).

Each run starts with every cache emptied (Streamlit's and the engines), so the count is the
page's real work on a cold start; statements are counted on every engine of the process
(ctg_data.diagnostics.count_statements), whichever one the page uses.
"""

import itertools
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from streamlit.testing.v1 import AppTest

from ctg_data import models as m
from ctg_data.actors import Actor, Role
from ctg_data.db import engine_for, make_engine
from ctg_data.diagnostics import count_statements
from ctg_data.interchange.rights import Rights
from ctg_data.permissions import PermissionDenied, page_roles, require_write_measurement
from ctg_data.services import measurements
from tests.conftest import DEMO_TODAY, drop_postgres_database, fresh_postgres_url
from tests.helpers.grow import grow

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(path.stem for path in (ROOT / "pages").glob("*.py"))
CONVENTION = "ctg-lourdes-2023"
PARTNER_ORGANISATION = "simaje"  # pilots actions and manages facilities of the demo convention
# The roles whose lists are filtered differently: administrators see everything; conseillers
# see through the visibility clause (lecteurs see through the very same clause, and write
# nothing: they add no query of their own); partners through their organisation's clauses.
ROLES = (Role.ADMIN, Role.CONSEILLER, Role.PARTENAIRE)
# Statements a tenfold base may add to a page run: none. A page reads lists in one query each,
# whatever their length; a difference is an N+1 to fix, not a margin to widen.
ALLOWANCE = 0
_copies = itertools.count()


@pytest.fixture(scope="module")
def sqlite_bases(demo_sqlite_template, tmp_path_factory) -> Iterator[dict[int, str]]:
    yield from _grown("sqlite", demo_sqlite_template, tmp_path_factory, None)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def bases(request, demo_sqlite_template, tmp_path_factory) -> Iterator[dict[int, str]]:
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_bases")
        return
    yield from _grown(request.param, demo_sqlite_template, tmp_path_factory, request)


def _grown(database: str, demo_sqlite_template, tmp_path_factory, request) -> Iterator[dict[int, str]]:
    """URLs of the demo base grown once (factor 1: 2 conventions) and tenfold, built once per
    module on each database. Page runs only read: they share these bases."""
    urls = {}
    for factor in (1, 10):
        if database == "sqlite":
            path = tmp_path_factory.mktemp("grown") / f"grown-{factor}.sqlite3"
            shutil.copy(demo_sqlite_template, path)
            urls[factor] = f"sqlite:///{path}"
        else:
            server = request.getfixturevalue("postgres_base_url")
            urls[factor] = fresh_postgres_url(server, request.getfixturevalue("demo_postgres_database_template"))
        engine = make_engine(urls[factor])
        try:
            grow(engine, factor)
        finally:
            engine.dispose()
    yield urls
    if database == "postgresql":
        for url in urls.values():
            drop_postgres_database(url)


def private_copy(url: str, tmp_path: Path) -> str:
    """A copy of a grown base for a test that writes."""
    if url.startswith("sqlite"):
        path = tmp_path / f"copy-{next(_copies)}.sqlite3"
        shutil.copy(url.removeprefix("sqlite:///"), path)
        return f"sqlite:///{path}"
    server, _, name = url.rpartition("/")
    return fresh_postgres_url(server, name)  # nothing is connected to it: page runs dispose their engines


def actor_for(role: Role, url: str) -> Actor:
    if role != Role.PARTENAIRE:
        return Actor(email=f"{role}@test.ctg", role=role)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            organisation = session.exec(
                select(m.Organisation.id).where(m.Organisation.code == PARTNER_ORGANISATION)
            ).one()
    finally:
        engine.dispose()
    return Actor(email="partenaire@test.ctg", role=role, organisation_id=organisation)


def statements(page: str, role: Role, url: str, monkeypatch, params: dict[str, str]) -> tuple[int, dict[str, int]]:
    """The statements of one cold run of `page` by `role` on the base at `url`."""
    monkeypatch.setenv("CTG_DATABASE_URL", url)
    monkeypatch.setenv("CTG_TODAY", DEMO_TODAY)
    actor = actor_for(role, url)
    engine_for.cache_clear()
    st.cache_data.clear()
    st.cache_resource.clear()
    # Through the entrypoint, as a person opens it: the menu and the page (whose links need it).
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.session_state["ctg_actor"] = actor
    at.query_params["convention"] = CONVENTION
    for name, value in params.items():
        at.query_params[name] = value
    at.switch_page(f"pages/{page}.py")
    try:
        with count_statements(Engine) as counted:
            at.run()
    finally:
        engine_for(url).dispose()  # no connection left open (a PostgreSQL base is copied later)
        engine_for.cache_clear()
    assert not at.exception, at.exception
    assert not [e.value for e in at.error], [e.value for e in at.error]
    return counted.count, counted.repeated()


# Pages opened on one item (a link from a list): its fiche or its form, below the list. The
# partner's organisation (simaje) pilots PE-1.1, whose indicator is PE-PLACES-EAJE, and manages
# eaje-souris-verte. (Comités opens the latest meeting by itself.)
ITEMS = {
    "actions": {"action": "PE-1.1"},
    "indicateurs": {"indicateur": "PE-PLACES-EAJE"},
    "saisie_action": {"action": "PE-1.1"},
    "saisie_mesure": {"indicateur": "PE-PLACES-EAJE"},
    "saisie_activite": {"equipement": "eaje-souris-verte"},
}
CASES = [
    pytest.param(page, role, params, id="-".join([page, role, *params.values()]))
    for page in PAGES
    for role in ROLES
    if role in page_roles(page)
    for params in ({}, *([ITEMS[page]] if page in ITEMS and role != Role.CONSEILLER else []))
]


@pytest.mark.parametrize(("page", "role", "params"), CASES)
def test_a_page_sends_as_many_statements_on_a_base_ten_times_larger(page, role, params, sqlite_bases, monkeypatch):
    # SQLite only: the pages send the same statements to PostgreSQL (the grid tests below run
    # on both), and a run of every page on both would double this file's minutes.
    small, _ = statements(page, role, sqlite_bases[1], monkeypatch, params)
    large, repeated = statements(page, role, sqlite_bases[10], monkeypatch, params)
    print(f"\nSTATEMENTS {page} {role} {params}: {small} -> {large}")
    assert small > 0  # the counter sees the page's engine
    assert large <= small + ALLOWANCE, (small, large, repeated)


# --------------------------------------------------------------------- a grid of every indicator


def grid_check_statements(url: str, role: Role) -> tuple[int, int, dict[str, int]]:
    """« Vérifier » on a grid where every indicator the person may write has a value: the
    statements of the check and the number of rows checked (nothing is written)."""
    engine = make_engine(url)
    try:
        actor = actor_for(role, url)
        with Session(engine) as session:
            convention_id = session.exec(select(m.Convention.id).where(m.Convention.code == CONVENTION)).one()
        writable = measurements.writable_indicator_ids(engine, actor, convention_id)
        with Session(engine) as session:
            codes = session.exec(select(m.Indicator.code).where(col(m.Indicator.id).in_(writable))).all()
        rows = [measurements.GridRow(code, "1", "Source de test") for code in codes]
        with count_statements(engine) as counted:
            check = measurements.validate_grid(
                engine,
                actor,
                convention_id=convention_id,
                measured_on=date.fromisoformat(DEMO_TODAY),
                rows=rows,
                confirmed=True,
            )
    finally:
        engine.dispose()
    assert check.valid  # the check went as far as reading the current values
    return counted.count, len(rows), counted.repeated()


def grid_save_statements(url: str, role: Role) -> tuple[list[str], int]:
    """« Enregistrer » after « Vérifier » on the grid of grid_check_statements: the statements of
    the save, and the number of values written."""
    engine = make_engine(url)
    try:
        actor = actor_for(role, url)
        with Session(engine) as session:
            convention_id = session.exec(select(m.Convention.id).where(m.Convention.code == CONVENTION)).one()
        writable = measurements.writable_indicator_ids(engine, actor, convention_id)
        with Session(engine) as session:
            codes = session.exec(select(m.Indicator.code).where(col(m.Indicator.id).in_(writable))).all()
        check = measurements.validate_grid(
            engine,
            actor,
            convention_id=convention_id,
            measured_on=date.fromisoformat(DEMO_TODAY),
            rows=[measurements.GridRow(code, "1", "Source de test") for code in codes],
            confirmed=True,
        )
        with count_statements(engine) as counted:
            saved = measurements.save_grid(engine, actor, check.valid)
    finally:
        engine.dispose()
    return counted.statements, len(saved)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PARTENAIRE])
def test_checking_a_grid_sends_as_many_statements_for_ten_times_more_rows(role, bases):
    small, small_rows, _ = grid_check_statements(bases[1], role)
    large, large_rows, repeated = grid_check_statements(bases[10], role)
    assert large_rows == 10 * small_rows
    print(f"\nSTATEMENTS grid check {role} ({small_rows} -> {large_rows} rows): {small} -> {large}")
    assert large == small, (small, large, repeated)


def reads(statements: list[str]) -> int:
    return sum(1 for s in statements if not s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")))


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PARTENAIRE])
def test_saving_a_grid_reads_once_per_row_only_the_value_it_replaces(role, bases, tmp_path):
    small, small_rows = grid_save_statements(private_copy(bases[1], tmp_path), role)
    large, large_rows = grid_save_statements(private_copy(bases[10], tmp_path), role)
    assert large_rows == 10 * small_rows
    print(f"\nSTATEMENTS grid save {role} ({small_rows} -> {large_rows} rows): {len(small)} -> {len(large)}")
    # Each value written is one write cycle (store.supersede): the current value read with its
    # lock, then the inserts and updates. Permissions, limits and previous results are read
    # once for the grid, so ten times the rows add exactly one read per added row.
    assert reads(large) - reads(small) == large_rows - small_rows, (reads(small), reads(large))


# --------------------------------------------------------------------- an import's rights


def import_rights(url: str, role: Role) -> tuple[int, dict[int, str | None], dict[int, str | None]]:
    """An import's check of a `mesures` row for every indicator of every convention
    (interchange.rights): its statements, and the refusals it gave next to those of the
    measurement form's one-row check."""
    engine = make_engine(url)
    try:
        actor = actor_for(role, url)
        with Session(engine) as session:
            indicators = session.exec(select(m.Indicator)).all()
            rights = Rights(session, actor)
            with count_statements(engine) as counted:
                given = {i.id: rights.refusal("mesures", None, {"indicator_id": i.id}, {"value"}) for i in indicators}
            expected = {}
            for indicator in indicators:
                try:
                    require_write_measurement(session, actor, indicator)
                    expected[indicator.id] = None
                except PermissionDenied as denied:
                    expected[indicator.id] = str(denied)
    finally:
        engine.dispose()
    return counted.count, given, expected


@pytest.mark.parametrize("role", [Role.CONSEILLER, Role.PARTENAIRE])
def test_an_import_checks_its_rows_rights_in_as_many_statements_for_ten_times_more_rows(role, sqlite_bases):
    small, small_given, small_expected = import_rights(sqlite_bases[1], role)
    large, large_given, large_expected = import_rights(sqlite_bases[10], role)
    assert small_given == small_expected and large_given == large_expected  # the form's rule, refusals included
    assert len(large_given) >= 10 * len(small_given)
    print(f"\nSTATEMENTS import rights {role} ({len(small_given)} -> {len(large_given)} rows): {small} -> {large}")
    assert large == small
