"""Cached reads. Every entry is keyed on the data version of the convention the read is about
(queries.conventions.data_version: that convention's writes and shared data's), so a write —
form, import, `ctg seed` in another process — shows on the next run, while a save in one
convention leaves the other conventions' entries valid. A read about no one convention (the
list of conventions, a person's rights) is keyed on the version of everything.

Each version is read once per page run (the page framework opens and closes the run,
ctg_data.ui.page), not once per cached call; a write committed by this process during the run
makes the next read ask again. The cache (ctg_data.cache) is bounded by memory, CTG_CACHE_MB.
Sign-in events are kept out of the audit trail (ctg_data.accounts.events): failed attempts, a
stranger's included, never empty the cache."""

import functools
import inspect
import itertools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

import streamlit as st
from sqlalchemy import Engine, event

from ctg_data import settings
from ctg_data.cache import MB, MemoryCache
from ctg_data.db import get_engine
from ctg_data.queries.conventions import data_version
from ctg_data.queries.filters import today

P = ParamSpec("P")
R = TypeVar("R")
RUN_KEY = "ctg_run_versions"  # session key: the versions read during the current page run
_writes = itertools.count()  # commits of this process: a version read before one is stale
_last_write = 0


@st.cache_resource(show_spinner=False)
def engine() -> Engine:
    return watch_commits(get_engine())


def watch_commits(engine: Engine) -> Engine:
    """Count the commits made through `engine`: a version read before one of them is stale."""
    if not event.contains(engine, "commit", _committed):
        event.listen(engine, "commit", _committed)
    return engine


def _committed(connection: Any) -> None:
    global _last_write
    _last_write = next(_writes) + 1


@st.cache_resource(show_spinner=False)
def cache() -> MemoryCache:
    """One per process, shared by every session (each runs in its own thread)."""
    return MemoryCache(settings.cache_mb() * MB)


def start_run() -> None:
    """A page run begins: versions are read afresh, each at most once during the run."""
    st.session_state[RUN_KEY] = {}


def end_run() -> None:
    """Outside a page run (no stash), every cached call reads the version itself."""
    st.session_state.pop(RUN_KEY, None)


def version(convention_id: int | None) -> int:
    """The data version of `convention_id` (None: of everything), read once per page run."""
    stash: dict[int | None, tuple[int, int]] | None = st.session_state.get(RUN_KEY)
    known = stash.get(convention_id) if stash is not None else None
    if known is not None and known[1] == _last_write:
        return known[0]
    seen_writes = _last_write
    found = data_version(engine(), convention_id)
    if stash is not None:
        stash[convention_id] = (found, seen_writes)
    return found


def convention_of_call(signature: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    """The convention a query call is about: its `convention_id` argument, or that of its
    filters (queries.filters.Filters); None for a read about no one convention."""
    bound = signature.bind_partial(None, *args, **kwargs).arguments
    if isinstance(bound.get("convention_id"), int):
        return int(bound["convention_id"])
    for value in bound.values():
        owner = getattr(value, "convention_id", None)
        if isinstance(owner, int) and not isinstance(owner, bool):
            return owner
    return None


def _frozen(value: Any) -> Any:
    """A hashable stand-in for a call's arguments (lists and dicts, as Streamlit's cache took them)."""
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, set | frozenset):
        return frozenset(_frozen(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    try:
        hash(value)
    except TypeError:
        return ("unhashable", type(value).__qualname__, repr(value))
    return value


def cached_query(fn: Callable[Concatenate[Engine, P], R]) -> Callable[P, R]:
    """Wrap a query `fn(engine, *args)` so that pages call `fn(*args)`, cached per data version
    of the convention it reads."""
    query = f"{fn.__module__}.{fn.__qualname__}"
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        convention = convention_of_call(signature, args, kwargs)
        # The day too: a result read from the clock (« en retard ») is not kept past midnight.
        key = (query, today(), _frozen(args), _frozen(tuple(sorted(kwargs.items()))))
        result: R = cache().get_or_compute(key, convention, version(convention), lambda: fn(engine(), *args, **kwargs))
        return result

    return call
