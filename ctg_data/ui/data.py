"""Cached reads. Every cache entry is keyed on the data version (queries.conventions.data_version),
so a write anywhere — form, import, `ctg seed` in another process — shows on the next run,
while unchanged data is served from memory. The cache is bounded in size and time. Sign-in
events are kept out of the audit trail (ctg_data.accounts.events): failed attempts, a
stranger's included, never empty the cache."""

import functools
import importlib
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

import streamlit as st
from sqlalchemy import Engine

from ctg_data.db import get_engine
from ctg_data.queries.conventions import data_version

P = ParamSpec("P")
R = TypeVar("R")


@st.cache_resource(show_spinner=False)
def engine() -> Engine:
    return get_engine()


@st.cache_data(ttl=900, max_entries=256, show_spinner=False)
def _run(query: str, version: int, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]) -> Any:
    # `query` names the function: Streamlit keys a cache on the decorated function's source,
    # so one shared runner with the query's name among the hashed arguments keeps entries apart.
    module, name = query.rsplit(".", 1)
    fn = getattr(importlib.import_module(module), name)
    return fn(engine(), *args, **dict(kwargs))


def cached_query(fn: Callable[Concatenate[Engine, P], R]) -> Callable[P, R]:
    """Wrap a query `fn(engine, *args)` so that pages call `fn(*args)`, cached per data version."""
    query = f"{fn.__module__}.{fn.__name__}"

    @functools.wraps(fn)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        return _run(query, data_version(engine()), args, tuple(sorted(kwargs.items())))

    return call
