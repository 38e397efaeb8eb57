"""One look for every chart: French titles, a palette readable by colour-blind readers
(Okabe–Ito), and status symbols so that nothing is told by colour alone."""

from typing import TypeVar

import altair as alt

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
