"""Year on year as people read it, on screen and in the printed report: the indicators' table
(Indicateurs page, meeting report), the levers' table and chart (Leviers page). French text only;
the figures come from queries.year_on_year.

The chart is a plain Altair spec (no Streamlit here), so that a printed report can render the
same one."""

from datetime import date
from decimal import Decimal

import altair as alt
import pandas as pd

from ctg_data import formats as fmt
from ctg_data.chart_specs import OKABE_ITO, euro_axis, themed
from ctg_data.reports.funding import STAGES, total
from ctg_data.rules.indicators import shown_value
from ctg_data.rules.year_on_year import (
    TREND_LABELS,
    Change,
    Trend,
    change_text,
    money_change,
    money_change_text,
    year_end,
)

ALL_LEVERS = "Tous les leviers"


def year_heading(year: int, today: date) -> str:
    """« Fin 2025 », or « Au 26/11/2026 » for the year not over yet."""
    end = year_end(year, today)
    return f"Fin {year}" if end == date(year, 12, 31) else f"Au {fmt.short_date(end)}"


def _steps(value: object) -> tuple[str, ...] | None:
    return value if isinstance(value, tuple) else None


def _change(absolute: float | None, relative: float | None, trend: str) -> Change:
    """A frame row's change back as the rule's Change (pandas may have made a None a NaN)."""
    return Change(
        None if absolute is None or fmt.missing(absolute) else float(absolute),
        None if relative is None or fmt.missing(relative) else float(relative),
        Trend(trend),
    )


def _since_reference(row: dict) -> str:
    by_steps = _steps(row["steps"]) is not None
    change = _change(row["since_reference"], row["since_reference_relative"], row["since_reference_trend"])
    if change.trend == Trend.SANS_COMPARAISON:
        return fmt.DASH
    return f"{change_text(change, by_steps=by_steps)}, {TREND_LABELS[change.trend].lower()}"


def indicator_table(rows: pd.DataFrame, year: int, today: date) -> pd.DataFrame:
    """One line per indicator: its value at the end of N − 1 and of N, the change and what it
    means in the indicator's direction, its reference and the change since the reference."""
    records = rows.to_dict("records")
    previous, current = year_heading(year - 1, today), year_heading(year, today)
    return pd.DataFrame(
        {
            "Code": [r["code"] for r in records],
            "Indicateur": [r["name"] for r in records],
            previous: [shown_value(r["previous_value"], _steps(r["steps"])) for r in records],
            current: [shown_value(r["current_value"], _steps(r["steps"])) for r in records],
            "Évolution": [
                change_text(
                    _change(r["change"], r["change_relative"], r["trend"]), by_steps=_steps(r["steps"]) is not None
                )
                for r in records
            ],
            "Tendance": [r["trend_label"] for r in records],
            "Référence": [shown_value(r["baseline_value"], _steps(r["steps"])) for r in records],
            "Depuis la référence": [_since_reference(r) for r in records],
            "Unité": [r["unit"] for r in records],
        },
        columns=[
            "Code",
            "Indicateur",
            previous,
            current,
            "Évolution",
            "Tendance",
            "Référence",
            "Depuis la référence",
            "Unité",
        ],
    )


def trend_counts(rows: pd.DataFrame) -> str:
    """« 12 en amélioration · 5 en dégradation · … » over the indicators compared (a value carried
    over from N − 1 counted apart, not as stable)."""
    counts = rows["trend_label"].value_counts()
    order = [*TREND_LABELS.values(), *sorted(set(counts.index) - set(TREND_LABELS.values()))]
    return " · ".join(f"{fmt.number(counts[label])} {label.lower()}" for label in order if counts.get(label, 0))


def lever_rows(rows: pd.DataFrame) -> list[dict]:
    """One line per lever and stage, then the three stages of all levers together."""
    result = []
    for row in rows.to_dict("records"):
        for stage, label in STAGES.items():
            result.append(
                {
                    "lever_label": row["lever_label"],
                    "stage": label,
                    "previous": row[f"{stage}_previous"],
                    "current": row[f"{stage}_current"],
                    "change": money_change_text(money_change(row[f"{stage}_previous"], row[f"{stage}_current"])),
                }
            )
    for stage, label in STAGES.items():
        before, after = total(rows[f"{stage}_previous"]), total(rows[f"{stage}_current"])
        result.append(
            {
                "lever_label": ALL_LEVERS,
                "stage": label,
                "previous": before,
                "current": after,
                "change": money_change_text(money_change(before, after)),
            }
        )
    return result


def lever_headers(year: int) -> dict[str, str]:
    return {
        "lever_label": "Levier",
        "stage": "Étape",
        "previous": str(year - 1),
        "current": str(year),
        "change": "Évolution",
    }


def _euros(value: Decimal | None) -> float:
    return 0.0 if value is None or fmt.missing(value) else float(value)


def totals_chart(rows: pd.DataFrame, year: int) -> alt.Chart:
    """All levers' planned, notified and paid of N − 1 beside those of N: two bars per stage."""
    data = pd.DataFrame(
        [
            {
                "Étape": label,
                "Année": str(y),
                "Montant": _euros(amount),
                "Montant (texte)": fmt.money(amount),
            }
            for stage, label in STAGES.items()
            for y, amount in ((year - 1, total(rows[f"{stage}_previous"])), (year, total(rows[f"{stage}_current"])))
        ]
    )
    years = [str(year - 1), str(year)]
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("Étape:N", sort=list(STAGES.values()), title=None),
            yOffset=alt.YOffset("Année:N", sort=years),
            x=alt.X("Montant:Q", title="Montant", axis=euro_axis()),
            color=alt.Color("Année:N", sort=years, scale=alt.Scale(domain=years, range=OKABE_ITO[:2])),
            tooltip=[alt.Tooltip("Étape:N"), alt.Tooltip("Année:N"), alt.Tooltip("Montant (texte):N", title="Montant")],
        )
    )
    return themed(chart.properties(height=alt.Step(18)))


def chart_sentence(rows: pd.DataFrame, year: int) -> str:
    parts = [
        f"{label.lower()} {fmt.money(total(rows[f'{stage}_previous']))} en {year - 1}, "
        f"{fmt.money(total(rows[f'{stage}_current']))} en {year}"
        for stage, label in STAGES.items()
    ]
    return f"Deux barres par étape, {year - 1} puis {year}, tous leviers confondus : " + " ; ".join(parts) + "."
