"""The read cache per convention: audit events name their convention, each convention has its
own data version, a save in one convention leaves the other conventions' cached reads valid,
and the cache is bounded by memory."""

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import select
from sqlmodel import Session

from ctg_data import models as m
from ctg_data import store
from ctg_data.audit import snapshot
from ctg_data.cache import MemoryCache, size_of
from ctg_data.queries.conventions import data_version
from ctg_data.queries.filters import Filters
from ctg_data.queries.overview import recent_changes
from ctg_data.ui import data

ACTOR = "test"


def _convention(session: Session, code: str, pilot: m.Organisation) -> dict[str, int]:
    convention = m.Convention(code=code, name=code, starts_on=date(2023, 1, 1), ends_on=date(2026, 12, 31))
    store.save(session, ACTOR, convention, before=None, operation="création")
    action = m.Action(
        convention_id=convention.id, code="A1", title="Action", domain_code="petite_enfance", pilot_id=pilot.id
    )
    store.save(session, ACTOR, action, before=None, operation="création")
    indicator = m.Indicator(
        convention_id=convention.id,
        code="I1",
        name="Indicateur",
        domain_code="petite_enfance",
        unit="nombre",
        direction="hausse",
        frequency="annuelle",
    )
    store.save(session, ACTOR, indicator, before=None, operation="création")
    return {"convention": m.stored_id(convention), "action": m.stored_id(action), "indicator": m.stored_id(indicator)}


@pytest.fixture
def two(engine):
    """Two conventions, each with an action and an indicator, written through the write core."""
    with Session(engine) as session, session.begin():
        pilot = m.Organisation(code="ville", name="Ville", type="commune")
        store.save(session, ACTOR, pilot, before=None, operation="création")
        a, b = _convention(session, "ctg-a", pilot), _convention(session, "ctg-b", pilot)
        organisation_id = m.stored_id(pilot)
    return engine, a, b, organisation_id


def _rename_action(engine, action_id: int, title: str, status: str | None = None) -> None:
    with Session(engine) as session, session.begin():
        action = session.get_one(m.Action, action_id)
        before = snapshot(action)
        action.title = title
        action.status = status or action.status
        action.version += 1
        store.save(session, ACTOR, action, before=before, operation="modification")


def _measure(engine, indicator_id: int, value: float) -> None:
    with Session(engine) as session, session.begin():
        new = m.Measurement(indicator_id=indicator_id, measured_on=date(2024, 12, 31), value=value, recorded_by=ACTOR)
        store.supersede(session, ACTOR, None, new, origin="saisie")


def _rename_organisation(engine, organisation_id: int) -> None:
    with Session(engine) as session, session.begin():
        organisation = session.get_one(m.Organisation, organisation_id)
        before = snapshot(organisation)
        organisation.name = "Ville renommée"
        store.save(session, ACTOR, organisation, before=before, operation="modification")


def _latest_event(engine) -> tuple[str, int | None]:
    with engine.connect() as connection:
        row = connection.execute(
            select(m.AuditEvent.table_name, m.AuditEvent.convention_id).order_by(m.AuditEvent.id.desc()).limit(1)
        ).one()
    return row.table_name, row.convention_id


def test_each_audit_event_names_the_convention_of_its_record(two):
    engine, a, b, organisation_id = two
    _rename_action(engine, b["action"], "Autre titre")
    assert _latest_event(engine) == ("actions", b["convention"])
    _measure(engine, a["indicator"], 3)  # a measurement belongs to its indicator's convention
    assert _latest_event(engine) == ("measurements", a["convention"])
    _rename_organisation(engine, organisation_id)  # shared by every convention
    assert _latest_event(engine) == ("organisations", None)


def test_a_save_in_one_convention_leaves_the_others_data_version(two):
    engine, a, b, organisation_id = two
    version_a, version_b = data_version(engine, a["convention"]), data_version(engine, b["convention"])
    everything = data_version(engine)
    _rename_action(engine, b["action"], "Autre titre")
    assert data_version(engine, a["convention"]) == version_a
    assert data_version(engine, b["convention"]) > version_b
    assert data_version(engine) > everything
    version_b = data_version(engine, b["convention"])
    _rename_organisation(engine, organisation_id)  # shared data: every convention moves on
    assert data_version(engine, a["convention"]) > version_a and data_version(engine, b["convention"]) > version_b


def test_the_latest_changes_tell_the_status_changes_of_the_conventions_own_actions(two):
    engine, a, b, _ = two
    _rename_action(engine, a["action"], "Crèche", status="en_cours")
    _rename_action(engine, b["action"], "Relais", status="realisee")
    _rename_action(engine, a["action"], "Crèche des Lilas")  # no status change: not told
    assert list(recent_changes(engine, a["convention"])["what"]) == ["Crèche des Lilas : Non renseigné → En cours"]
    assert list(recent_changes(engine, b["convention"])["what"]) == ["Relais : Non renseigné → Réalisée"]


# ------------------------------------------------------------------ cached_query


@pytest.fixture
def counted(two, monkeypatch):
    """`data.cached_query` on the test's database, with a fresh cache, counting the query's
    real runs and the data-version reads."""
    engine = data.watch_commits(two[0])
    monkeypatch.setattr(data, "engine", lambda: engine)
    monkeypatch.setattr(data, "cache", lambda: fresh)
    fresh = MemoryCache(10 * 1024 * 1024)
    runs: list[int] = []
    versions: list[int | None] = []
    real_version = data.data_version

    def titles(engine, convention_id: int) -> pd.DataFrame:
        runs.append(convention_id)
        with engine.connect() as connection:
            return pd.read_sql(select(m.Action.title).where(m.Action.convention_id == convention_id), connection)

    def counting_version(engine, convention_id=None):
        versions.append(convention_id)
        return real_version(engine, convention_id)

    monkeypatch.setattr(data, "data_version", counting_version)
    return two, data.cached_query(titles), runs, versions, fresh


def test_a_save_in_one_convention_keeps_the_other_conventions_cached_reads(counted):
    (engine, a, b, _), titles, runs, _, cache = counted
    assert titles(a["convention"])["title"].tolist() == ["Action"]
    titles(b["convention"])
    titles(a["convention"]), titles(b["convention"])
    assert runs == [a["convention"], b["convention"]]  # the second reads came from the cache

    _rename_action(engine, b["action"], "Titre changé")

    assert titles(b["convention"])["title"].tolist() == ["Titre changé"]  # B read again, new data
    assert titles(a["convention"])["title"].tolist() == ["Action"]  # A still cached
    assert runs == [a["convention"], b["convention"], b["convention"]]
    assert cache.stats.invalidations == 1  # only B's old entry


def test_the_convention_of_a_call_comes_from_its_filters_too(counted):
    (engine, a, b, _), _, runs, _, _ = counted

    def by_filters(engine, filters: Filters) -> int:
        runs.append(filters.convention_id)
        return filters.convention_id

    cached = data.cached_query(by_filters)
    cached(Filters(convention_id=a["convention"]))
    _rename_action(engine, b["action"], "Titre changé")
    cached(Filters(convention_id=a["convention"]))
    assert runs == [a["convention"]]


def test_a_page_run_reads_each_data_version_once(counted):
    (engine, a, b, _), titles, _, versions, _ = counted
    data.start_run()
    try:
        for _ in range(3):
            titles(a["convention"]), titles(b["convention"])
        assert sorted(versions) == sorted([a["convention"], b["convention"]])
        _rename_action(engine, a["action"], "Changé pendant la page")  # a save by this process in this run
        assert titles(a["convention"])["title"].tolist() == ["Changé pendant la page"]
    finally:
        data.end_run()
    titles(a["convention"]), titles(a["convention"])  # outside a run: asked every time
    assert versions.count(a["convention"]) == 4


def test_a_caller_changing_what_it_got_does_not_change_the_cache(counted):
    (_, a, _, _), titles, _, _, _ = counted
    first = titles(a["convention"])
    first.loc[0, "title"] = "abîmé"
    assert titles(a["convention"])["title"].tolist() == ["Action"]


# ------------------------------------------------------------------ the memory bound


def _frame(rows: int) -> pd.DataFrame:
    return pd.DataFrame({"value": range(rows)}, dtype="int64")


def test_the_cache_holds_what_fits_in_its_memory_and_drops_the_least_recently_used():
    one = size_of(_frame(1000))
    assert one >= 8000  # 1 000 values of 8 bytes, the index on top
    cache = MemoryCache(budget_bytes=int(one * 2.5))  # room for two frames, not three
    for name in ("a", "b"):
        cache.get_or_compute(name, 1, 1, lambda: _frame(1000))
    cache.get_or_compute("a", 1, 1, lambda: pytest.fail("a is cached"))  # a is now the most recent
    cache.get_or_compute("c", 2, 1, lambda: _frame(1000))
    assert len(cache) == 2 and cache.used <= cache.budget
    assert cache.stats.evictions == 1
    calls = []
    cache.get_or_compute("b", 1, 1, lambda: calls.append("b") or _frame(1000))
    assert calls == ["b"]  # b, the least recently used, was the one dropped


def test_many_conventions_fit_when_memory_allows_however_many_entries():
    cache = MemoryCache(budget_bytes=64 * 1024 * 1024)
    for _ in range(2):
        for convention in range(60):
            for query in ("summary", "totals", "changes"):
                cache.get_or_compute(query, convention, 7, lambda: _frame(100))
    assert (cache.stats.misses, cache.stats.hits) == (180, 180)


def test_a_newer_version_drops_only_that_conventions_entries():
    cache = MemoryCache(budget_bytes=1024 * 1024)
    cache.get_or_compute("q", 1, 5, lambda: "a1")
    cache.get_or_compute("q", 2, 5, lambda: "b1")
    assert cache.get_or_compute("q", 1, 6, lambda: "a2") == "a2"
    assert len(cache) == 2 and cache.stats.invalidations == 1
    assert cache.get_or_compute("q", 2, 5, lambda: pytest.fail("b is still valid")) == "b1"


def test_an_entry_bigger_than_the_whole_budget_is_returned_but_not_kept():
    cache = MemoryCache(budget_bytes=100)
    assert len(cache.get_or_compute("big", None, 1, lambda: _frame(1000))) == 1000
    assert len(cache) == 0 and cache.used == 0


def test_sessions_in_threads_share_the_cache_and_keep_its_accounts_right():
    import threading

    cache = MemoryCache(budget_bytes=size_of(_frame(100)) * 20)
    failures: list[BaseException] = []

    def session(worker: int) -> None:
        try:
            for n in range(300):
                convention = n % 7
                value = cache.get_or_compute(("q", n % 13), convention, n // 50, lambda: _frame(100))
                assert len(value) == 100
        except BaseException as error:  # reported below: a thread's assert would be lost
            failures.append(error)

    threads = [threading.Thread(target=session, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert cache.used == sum(entry.size for entry in cache._entries.values()) <= cache.budget
    assert cache.stats.hits + cache.stats.misses == 6 * 300
