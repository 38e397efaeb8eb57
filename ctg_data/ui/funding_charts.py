"""Charts and tables of the funding pages (Leviers, Bonus territoire, Coordination).

Charts plot floats (only the chart: every figure a user reads as text stays Decimal and goes
through formats.money). Each chart is followed by a sentence saying what it shows.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from ctg_data import formats as fmt
from ctg_data.chart_specs import stages_chart as stages_chart_spec
from ctg_data.reports.exports import export_files, export_frame
from ctg_data.reports.funding import STAGES
from ctg_data.ui.charts import OKABE_ITO, euro_axis, plot_height, show_chart, themed


def display_frame(
    frame: pd.DataFrame, headers: dict[str, str], money: tuple[str, ...] = (), formatters: dict | None = None
) -> pd.DataFrame:
    """French headers and French text for money: what st.dataframe shows."""
    shown = frame[list(headers)].copy()
    for column in money:
        if column in shown:
            shown[column] = shown[column].map(fmt.money).astype(object)
    for column, formatter in (formatters or {}).items():
        if column in shown:  # a column kept for the files only
            shown[column] = shown[column].map(formatter).astype(object)
    return shown.rename(columns=headers).reset_index(drop=True)


def table_with_downloads(
    frame: pd.DataFrame,
    headers: dict[str, str],
    *,
    basename: str,
    key: str,
    money: tuple[str, ...] = (),
    formatters: dict | None = None,
    shown: dict[str, str] | None = None,
    column_config: dict | None = None,
    row_height: int | None = None,
) -> None:
    """The table on screen and the same rows as .xlsx and .csv, with the same French headers.
    `shown`: fewer columns on screen (the files keep every column of `headers`); `column_config`
    (by French header) and `row_height` (above 64 px, long texts wrap) fit it to the width."""
    st.dataframe(
        display_frame(frame, shown or headers, money, formatters),
        hide_index=True,
        width="stretch",
        column_config=column_config,
        row_height=row_height,
    )
    exported = export_frame(frame, headers)
    money_headers = tuple(headers[column] for column in money if column in headers)
    columns = st.columns(2)
    for column, file in zip(columns, export_files(exported, basename, money_columns=money_headers), strict=True):
        # Deferred data: the file gets its /media/ address only when the person clicks, instead
        # of one per page view that anyone holding it could fetch without a session.
        column.download_button(
            file.label,
            functools.partial(bytes, file.data),
            file_name=file.file_name,
            mime=file.mime,
            key=f"{key}-{file.file_name}",
            on_click="ignore",
        )


def widths(sizes: Mapping[str, int]) -> dict[str, Any]:
    """A `column_config` giving each French header its width in pixels (the others keep
    Streamlit's). Sizes are chosen so that a page's key columns fit at 1440 px beside the menu
    (about 950 px), long texts wrapping with WRAPPED_ROWS."""
    return {header: st.column_config.Column(width=width) for header, width in sizes.items()}


def key_columns_first(headers: Mapping[str, str], key: Mapping[str, int]) -> dict[str, str]:
    """The on-screen order of a table's `headers`: those named in `key` (French headers, in
    that order) first, the rest after them, to scroll to."""
    by_header = {header: column for column, header in headers.items()}
    first = {by_header[header]: header for header in key if header in by_header}
    return first | {column: header for column, header in headers.items() if column not in first}


def section(title: str, caption: str, frame: pd.DataFrame, empty: str) -> bool:
    """A report section's heading and what it shows; False (and `empty` said) when it has no rows."""
    st.subheader(title)
    st.caption(caption)
    if frame.empty:
        st.info(empty)
        return False
    return True


def stage_metrics(totals: Mapping[str, Decimal | None]) -> None:
    """Planned, notified and paid side by side, in euros."""
    for column, (stage, label) in zip(st.columns(len(STAGES)), STAGES.items(), strict=True):
        column.metric(label, fmt.money(totals[stage]))


def _euros(value) -> float:
    return float(value) if isinstance(value, Decimal) else 0.0


def stages_chart(per_value: pd.DataFrame, dimension: str, title: str, *, limit: int = 7) -> None:
    """Planned / notified / paid stacked by `dimension` (chart_specs.stages_chart, which the
    printed report draws too)."""
    show_chart(_stages_spec, per_value, dimension, title, limit, width="stretch")


def _stages_spec(per_value: pd.DataFrame, dimension: str, title: str, limit: int) -> alt.Chart:
    return stages_chart_spec(per_value, dimension, title, limit=limit)


def due_paid_chart(rows: pd.DataFrame, *, by: str, title: str) -> None:
    """Due, notified and paid side by side per value of `by` (grouped, not stacked: the three
    are the same money at three moments, adding them would mean nothing)."""
    show_chart(_due_paid_spec, rows, by, title, width="stretch")


def _due_paid_spec(rows: pd.DataFrame, by: str, title: str) -> alt.Chart:
    stages = {"due": "Dû", "notified": "Notifié", "paid": "Versé"}
    data = pd.DataFrame(
        [
            {
                title: str(getattr(row, by)),
                "Étape": label,
                "Montant": _euros(getattr(row, stage)),
                "Montant (texte)": fmt.money(getattr(row, stage)),
            }
            for row in rows.itertuples(index=False)
            for stage, label in stages.items()
        ]
    )
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(f"{title}:N", title=title, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("Étape:N", sort=list(stages.values())),
            y=alt.Y("Montant:Q", title="Montant", axis=euro_axis()),
            color=alt.Color(
                "Étape:N",
                sort=list(stages.values()),
                title="Étape",
                scale=alt.Scale(domain=list(stages.values()), range=OKABE_ITO[:3]),
            ),
            tooltip=[
                alt.Tooltip(f"{title}:N"),
                alt.Tooltip("Étape:N"),
                alt.Tooltip("Montant (texte):N", title="Montant"),
            ],
        )
    )
    return themed(plot_height(chart, 220))
