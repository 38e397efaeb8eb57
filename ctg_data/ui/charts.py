"""One look for every chart: the theme and helpers live in ctg_data.chart_specs (no Streamlit),
so that the printed report draws the very same charts; the pages import them from here.

`show_chart` draws a chart built from data: Altair building and validating a chart costs more
than the page's own queries, so each chart's Vega-Lite spec is made once per distinct data (the
same data, read from the cache at the same data version, gives the same chart) and kept,
bounded in memory, for every session of the process."""

import hashlib
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

from ctg_data.cache import MB, MemoryCache
from ctg_data.chart_specs import (
    FRENCH_NUMBERS,
    FRENCH_TIME,
    OKABE_ITO,
    STATUS_COLOURS,
    ChartT,
    euro_axis,
    plot_height,
    status_scale,
    themed,
)

SPECS = MemoryCache(32 * MB)  # small: a spec holds the few rows a chart draws

__all__ = [
    "FRENCH_NUMBERS",
    "FRENCH_TIME",
    "OKABE_ITO",
    "STATUS_COLOURS",
    "ChartT",
    "euro_axis",
    "plot_height",
    "show_chart",
    "status_scale",
    "themed",
]


def fingerprint(value: Any) -> Any:
    """A hashable digest of a chart's input: a frame by its columns, types and content."""
    if isinstance(value, pd.DataFrame):
        content = pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes()
        return ("frame", tuple(map(str, value.columns)), tuple(map(str, value.dtypes)), hashlib.sha1(content).digest())
    if isinstance(value, dict):
        return ("dict", tuple((k, fingerprint(v)) for k, v in sorted(value.items())))
    if isinstance(value, list | tuple):
        return ("seq", tuple(fingerprint(item) for item in value))
    return ("value", type(value).__qualname__, repr(value))


def show_chart(build: Callable[..., ChartT], *inputs: Any, **options: Any) -> None:
    """`st.altair_chart(build(*inputs), **options)`, the chart built and converted to its
    Vega-Lite spec once for the same inputs. The conversion is Streamlit's own (the one
    st.altair_chart runs), so the chart drawn is the very same."""
    try:
        key = (f"{build.__module__}.{build.__qualname__}", fingerprint(inputs))
    except TypeError:  # a value pandas cannot hash (a list in a cell): drawn without the cache
        st.altair_chart(build(*inputs), **options)
        return
    spec = SPECS.get_or_compute(key, None, 0, lambda: _convert_altair_to_vega_lite_spec(build(*inputs)))
    st.vega_lite_chart(spec=spec, **options)
