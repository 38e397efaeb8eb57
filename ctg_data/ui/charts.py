"""One look for every chart: the theme and helpers live in ctg_data.chart_specs (no Streamlit),
so that the printed report draws the very same charts; the pages import them from here."""

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

__all__ = [
    "FRENCH_NUMBERS",
    "FRENCH_TIME",
    "OKABE_ITO",
    "STATUS_COLOURS",
    "ChartT",
    "euro_axis",
    "plot_height",
    "status_scale",
    "themed",
]
