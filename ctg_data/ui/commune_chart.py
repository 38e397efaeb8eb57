"""The values of one indicator commune by commune: small multiples (one small line per commune,
its latest value highlighted) and the table of the latest value of each commune. Pure functions
of DataFrames (queries.indicators.commune_series / commune_latest)."""

from collections.abc import Sequence
from typing import Literal

import altair as alt
import pandas as pd

from ctg_data import formats as fmt
from ctg_data.rules.indicators import shown_value, step_code, step_label
from ctg_data.ui.charts import themed

LINE, LATEST = "#0072B2", "#D55E00"
COLUMNS = 4  # small charts a row


def commune_chart(series: pd.DataFrame, unit: str, steps: Sequence[str] | None = None) -> alt.FacetChart | None:
    """One small chart per commune (same scales, so that communes compare at a glance): the line
    of its values and its latest value as a larger point of another colour and shape. None
    without values."""
    if series.empty:
        return None
    data = pd.DataFrame(
        {
            "commune": list(series["commune"]),
            "date": [pd.Timestamp(d) for d in series["measured_on"]],
            "value": series["value"].astype(float),
            "shown": [shown_value(v, steps) for v in series["value"]],
        }
    )
    data["latest"] = data["date"] == data.groupby("commune")["date"].transform("max")
    data["point"] = ["Dernière valeur" if latest else "Valeur" for latest in data["latest"]]
    x = alt.X("date:T", title=None, axis=alt.Axis(format="%Y", labelAngle=0, tickCount=4))
    y = alt.Y("value:Q", title=unit, scale=alt.Scale(zero=False))
    interpolate: Literal["linear", "step-after"] = "linear"
    if steps:
        labels = [step_label(code) for code in steps]
        data["step"] = [step_label(step_code(steps, v)) for v in data["value"]]
        y = alt.Y("step:N", title="Étape", sort=list(reversed(labels)), scale=alt.Scale(domain=list(reversed(labels))))
        interpolate = "step-after"
    tooltip = [
        alt.Tooltip("commune:N", title="Commune"),
        alt.Tooltip("date:T", title="Date", format="%d/%m/%Y"),
        alt.Tooltip("shown:N", title="Valeur"),
    ]
    base = alt.Chart(data).encode(x=x, y=y, tooltip=tooltip)
    line = base.mark_line(color=LINE, strokeWidth=1.5, interpolate=interpolate)
    points = base.mark_point(filled=True, opacity=1).encode(
        color=alt.Color(
            "point:N", title=None, scale=alt.Scale(domain=["Valeur", "Dernière valeur"], range=[LINE, LATEST])
        ),
        shape=alt.Shape(
            "point:N", title=None, scale=alt.Scale(domain=["Valeur", "Dernière valeur"], range=["circle", "diamond"])
        ),
        size=alt.Size("point:N", legend=None, scale=alt.Scale(domain=["Valeur", "Dernière valeur"], range=[30, 120])),
    )
    chart = (
        alt.layer(line, points, data=data)
        .properties(width=150, height=90)
        .facet(facet=alt.Facet("commune:N", title=None, header=alt.Header(labelFontSize=12)), columns=COLUMNS)
    )
    return themed(chart)


def commune_table(latest: pd.DataFrame, steps: Sequence[str] | None = None) -> pd.DataFrame:
    """The latest value of each commune, as read on screen."""
    return pd.DataFrame(
        {
            "Commune": list(latest["commune"]),
            "Code INSEE": list(latest["insee_code"]),
            "Dernière valeur": [shown_value(v, steps) for v in latest["value"]],
            "Mesurée le": list(latest["measured_on"]),
        }
    )


def describe_communes(latest: pd.DataFrame, steps: Sequence[str] | None = None) -> str:
    """The breakdown in one sentence (the chart's text alternative)."""
    parts = [
        f"{name} {shown_value(value, steps)} ({fmt.short_date(on)})"
        for name, value, on in zip(latest["commune"], latest["value"], latest["measured_on"], strict=True)
    ]
    return f"Dernière valeur de {fmt.number(len(parts))} commune(s) : " + ", ".join(parts) + "."
