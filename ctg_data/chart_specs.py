"""The Altair charts of the app and of the printed report, built without Streamlit: one look for
every chart (French locale, a palette readable by colour-blind readers — Okabe–Ito —, status
symbols so that nothing is told by colour alone) and the chart specifications that both the pages
(through ctg_data.ui) and the PDF report (rendered to PNG by vl-convert) draw."""

from decimal import Decimal
from typing import TypeVar

import altair as alt
import pandas as pd

from ctg_data import formats as fmt
from ctg_data import settings
from ctg_data.reports.funding import STAGES
from ctg_data.rules.indicators import STATUS_LABELS, IndicatorStatus

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000"]
STATUS_COLOURS = {
    IndicatorStatus.ATTEINT: "#009E73",
    IndicatorStatus.EN_BONNE_VOIE: "#56B4E9",
    IndicatorStatus.A_SURVEILLER: "#E69F00",
    IndicatorStatus.DECROCHE: "#D55E00",
    IndicatorStatus.A_RENSEIGNER: "#999999",
    IndicatorStatus.INCOMPLET: "#CCCCCC",
}
# Domains are data (queries.referentials): their labels and colours travel with the rows a
# chart draws, never from a constant here.

# d3 format locale for French numbers in axes and tooltips (comma decimal, narrow spaces).
FRENCH_NUMBERS = {"decimal": ",", "thousands": "\u202f", "grouping": [3], "currency": ["", "\u00a0€"]}
FRENCH_TIME = {
    "dateTime": "%A %e %B %Y à %X",
    "date": "%d/%m/%Y",
    "time": "%H:%M:%S",
    "periods": ["AM", "PM"],
    "days": ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
    "shortDays": ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
    "months": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "shortMonths": ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."],
}


ChartT = TypeVar("ChartT", alt.Chart, alt.LayerChart, alt.FacetChart)


def themed(chart: ChartT) -> ChartT:
    return (
        chart.configure(locale={"number": FRENCH_NUMBERS, "time": FRENCH_TIME})
        .configure_range(category=OKABE_ITO)
        .configure_axis(labelFontSize=12, titleFontSize=12)
        .configure_legend(orient="bottom", labelLimit=300)
    )


def euro_axis(**properties) -> alt.Axis:
    """An axis of amounts read as « 30 000 € »: d3's currency format with FRENCH_NUMBERS'
    narrow no-break space between thousands and no-break space before the euro sign."""
    return alt.Axis(format="$,.0f", **properties)


def plot_height(chart: ChartT, height: int) -> ChartT:
    """`height` pixels for the plot itself. Streamlit's default sizing ("fit") squeezes the
    axes, their titles and a bottom legend into the declared height, which left a 260 px chart
    with a plot of about 100 px; "fit-x" still fits the width and adds those around the plot."""
    return chart.properties(height=height, autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def status_scale() -> alt.Scale:
    return alt.Scale(domain=[STATUS_LABELS[s] for s in STATUS_COLOURS], range=list(STATUS_COLOURS.values()))


# ------------------------------------------------------------------ charts shared by pages and the report

ACTIONS, INDICATORS = "Avancement des actions", "Atteinte des indicateurs"
EXPECTED = "Avancement attendu"
OTHERS = "Autres"


def progress_for_expected(progress: object, expected: object) -> str:
    """« 42 % pour 61 % attendus »."""
    return f"{fmt.percent(fmt.share(progress))} pour {fmt.percent(fmt.share(expected))} attendus"  # type: ignore[arg-type]


def no_domain_behind() -> str:
    """Said with its margin: a domain a few points behind its dates is not « en retard »."""
    points = fmt.smart_number(settings.behind_schedule_points())
    return f"Aucun domaine en retard de plus de {points} points sur le calendrier."


def domain_progress_chart(domains: pd.DataFrame) -> alt.LayerChart:
    """Per domain, the actions' progress and the indicators' attainment as bars, the expected
    progress as a dark tick across the actions bar (the overview, and the report's summary)."""
    rows = []
    for row in domains.itertuples():
        progress = fmt.share(row.progress)
        attainment = None if fmt.missing(row.attainment) else row.attainment
        rows += [
            {"Domaine": row.domain, "Mesure": ACTIONS, "Valeur": progress, "Texte": fmt.percent(progress)},
            {"Domaine": row.domain, "Mesure": INDICATORS, "Valeur": attainment, "Texte": fmt.percent(attainment)},
        ]
    data = pd.DataFrame(rows, columns=["Domaine", "Mesure", "Valeur", "Texte"])
    order = list(domains.sort_values("position")["domain"]) if not domains.empty else []
    expected = pd.DataFrame(
        [
            {
                "Domaine": row.domain,
                "Mesure": ACTIONS,
                "Attendu": fmt.share(row.expected),
                "Texte": fmt.percent(fmt.share(row.expected)),
            }
            for row in domains.itertuples()
            if not fmt.missing(row.expected)
        ],
        columns=["Domaine", "Mesure", "Attendu", "Texte"],
    )
    base = alt.Chart(data).encode(
        y=alt.Y("Domaine:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
        yOffset=alt.YOffset("Mesure:N", sort=[ACTIONS, INDICATORS]),
        tooltip=["Domaine", "Mesure", alt.Tooltip("Texte:N", title="Valeur")],
    )
    bars = base.mark_bar().encode(
        x=alt.X("Valeur:Q", title="Part du chemin parcouru", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        color=alt.Color("Mesure:N", title=None, sort=[ACTIONS, INDICATORS]),
    )
    labels = base.mark_text(align="left", dx=3, fontSize=11).encode(x="Valeur:Q", text="Texte:N")
    ticks = (
        alt.Chart(expected)
        .mark_tick(color="#000000", thickness=3)
        .encode(
            x="Attendu:Q",
            y=alt.Y("Domaine:N", sort=order),
            yOffset=alt.YOffset("Mesure:N", sort=[ACTIONS, INDICATORS]),
            tooltip=["Domaine", alt.Tooltip("Texte:N", title=EXPECTED)],
        )
    )
    return themed((bars + labels + ticks).properties(height=alt.Step(14)))


def change_counts_chart(counts: pd.DataFrame) -> alt.Chart:
    """« Depuis le dernier COPIL »: how many of each kind of change (columns Changement, Nombre)."""
    chart = (
        alt.Chart(counts)
        .mark_bar()
        .encode(
            x=alt.X("Nombre:Q", title=None, axis=alt.Axis(tickMinStep=1, format="d")),
            y=alt.Y("Changement:N", title=None, sort=None, axis=alt.Axis(labelLimit=260)),
            tooltip=["Changement", "Nombre"],
        )
    )
    return themed(plot_height(chart, 130))


def _euros(value: object) -> float:
    return float(value) if isinstance(value, Decimal) else 0.0


def stages_chart(per_value: pd.DataFrame, dimension: str, title: str, *, limit: int = 7) -> alt.Chart:
    """Planned / notified / paid as three horizontal bars stacked by `dimension`: every bar adds
    up to the stage total, whichever dimension is chosen. Beyond `limit` values the smallest
    are grouped as "Autres" so that the palette (8 colours) is never reused."""
    ranked = per_value.assign(
        _size=per_value["planned"].map(_euros) + per_value["notified"].map(_euros) + per_value["paid"].map(_euros)
    ).sort_values("_size", ascending=False)
    labels = [str(value) for value in ranked[dimension]]
    keep = labels if len(labels) <= limit + 1 else labels[:limit]
    rows = []
    for label, row in zip(labels, ranked.itertuples(index=False), strict=True):
        name = label if label in keep else OTHERS
        for stage, stage_label in STAGES.items():
            rows.append({"Étape": stage_label, title: name, "Montant": _euros(getattr(row, stage))})
    data = pd.DataFrame(rows).groupby(["Étape", title], as_index=False, sort=False)["Montant"].sum()
    data["Montant (texte)"] = data["Montant"].map(lambda v: fmt.money(Decimal(str(v))))
    order = keep + ([OTHERS] if len(keep) < len(labels) else [])
    data["rang"] = data[title].map(order.index)  # stack in legend order, largest first
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("Étape:N", sort=list(STAGES.values()), title=None),
            x=alt.X("sum(Montant):Q", title="Montant", axis=euro_axis()),
            color=alt.Color(
                f"{title}:N", sort=order, title=title, scale=alt.Scale(domain=order, range=OKABE_ITO[: len(order)])
            ),
            order=alt.Order("rang:Q"),
            tooltip=[
                alt.Tooltip("Étape:N"),
                alt.Tooltip(f"{title}:N"),
                alt.Tooltip("Montant (texte):N", title="Montant"),
            ],
        )
    )
    return themed(chart.properties(height=alt.Step(34)))


def indicator_status_chart(indicators: pd.DataFrame) -> alt.Chart:
    """How many indicators have each status (status_label column), in the status colours with
    the labels on the axis: a domain's page of the report."""
    order = [STATUS_LABELS[s] for s in STATUS_COLOURS]
    counts = indicators["status_label"].value_counts()
    data = pd.DataFrame(
        {
            "Statut": [label for label in order if counts.get(label)],
            "Nombre": [int(counts[label]) for label in order if counts.get(label)],
        }
    )
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            # Whole numbers only: explicit ticks, as a narrow count axis would repeat « 1 ».
            x=alt.X(
                "Nombre:Q",
                title="Indicateurs",
                axis=alt.Axis(values=list(range(max(data["Nombre"], default=0) + 1)), format="d"),
            ),
            y=alt.Y("Statut:N", title=None, sort=order),
            color=alt.Color("Statut:N", scale=status_scale(), legend=None),
            tooltip=["Statut", "Nombre"],
        )
    )
    return themed(chart.properties(height=alt.Step(22)))
