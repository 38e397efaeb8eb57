"""Indicateurs: every indicator with its current value, target, attainment and status, and one
indicator's chart (a step indicator's as steps), values, intermediate targets and, where values
per commune exist, its commune breakdown.

The indicator shown is in the URL (`?indicateur=CODE`) so that a link in an email opens it.
"""

import pandas as pd
import streamlit as st

from ctg_data import formats as fmt
from ctg_data.queries.filters import Filters
from ctg_data.queries.indicators import as_of, commune_latest, commune_series, indicators_frame, measurements_frame
from ctg_data.queries.year_on_year import indicators_year_on_year
from ctg_data.reports.year_on_year import indicator_table, trend_counts
from ctg_data.rules.indicators import STATUS_LABELS, clip, shown_value, step_label
from ctg_data.rules.year_on_year import compared_year
from ctg_data.ui.commune_chart import commune_chart, commune_table, describe_communes
from ctg_data.ui.data import cached_query
from ctg_data.ui.forms import history_link
from ctg_data.ui.indicator_chart import describe, indicator_chart
from ctg_data.ui.page import ConventionContext, page
from ctg_data.ui.selection import STATUS_PARAM, WRAPPED_ROWS, item_table, linked_filter, listed_item
from ctg_data.ui.target_form import target_section
from ctg_data.ui.text import escape_markdown, indicator_rows, status_text, value_text
from ctg_data.vocabulary import Direction, Frequency, MeasurementType

load_indicators = cached_query(indicators_frame)
load_measurements = cached_query(measurements_frame)
load_commune_latest = cached_query(commune_latest)
load_commune_series = cached_query(commune_series)
load_year_on_year = cached_query(indicators_year_on_year)

PARAM = "indicateur"
EMPTY = "Aucun indicateur ne correspond à ces filtres."
NO_MEASUREMENT = "Aucune mesure enregistrée pour cet indicateur."


# ------------------------------------------------------------------ the list

# What a link's `?statut=CODE` sets: that status in the filter (the overview's status tiles).
_LINKED_STATUS = {str(status): {"indicators_status": [str(status)]} for status in STATUS_LABELS}


def _status_filter(frame: pd.DataFrame) -> pd.DataFrame:
    """The indicators of the chosen statuses (none chosen: every one)."""
    statuses = st.multiselect(
        "Statut",
        [str(status) for status in STATUS_LABELS],
        key="indicators_status",
        format_func=status_text,
        placeholder="Tous",
        on_change=linked_filter(STATUS_PARAM, _LINKED_STATUS),
    )
    return frame[frame["status"].isin(statuses)].reset_index(drop=True) if statuses else frame


def _summary(frame: pd.DataFrame) -> str:
    counts = frame["status"].value_counts()
    parts = [f"{fmt.number(counts[status])} {status_text(status)}" for status in STATUS_LABELS if counts.get(status, 0)]
    return f"{fmt.number(len(frame))} indicateur(s) : " + " · ".join(parts) + "."


def _steps(indicator) -> tuple[str, ...] | None:
    return indicator["steps"] if isinstance(indicator["steps"], tuple) else None


# Widths (px) that fit the key columns at 1440 px beside the menu: the name and the unit wrap.
COLUMN_WIDTHS = {"Code": 140, "Indicateur": 290, "Statut": 125, "Atteinte": 125, "Valeur actuelle": 95, "Unité": 150}


def _table(frame: pd.DataFrame) -> None:
    item_table(
        indicator_rows(frame),
        list(frame["code"]),
        PARAM,
        alt="Indicateurs correspondant aux filtres",
        column_config={
            "Code": st.column_config.TextColumn("Code", width=COLUMN_WIDTHS["Code"]),
            "Indicateur": st.column_config.TextColumn("Indicateur", width=COLUMN_WIDTHS["Indicateur"]),
            "Statut": st.column_config.TextColumn("Statut", width=COLUMN_WIDTHS["Statut"]),
            "Valeur actuelle": st.column_config.TextColumn("Valeur actuelle", width=COLUMN_WIDTHS["Valeur actuelle"]),
            "Unité": st.column_config.TextColumn("Unité", width=COLUMN_WIDTHS["Unité"]),
            "Mesurée le": st.column_config.DateColumn("Mesurée le", format="DD/MM/YYYY"),
            "Échéance": st.column_config.DateColumn("Échéance", format="DD/MM/YYYY"),
            "Atteinte": st.column_config.ProgressColumn(
                "Atteinte",
                min_value=0,
                max_value=100,
                format="%d %%",
                help="Part du chemin parcouru de la référence à la cible",
                width=COLUMN_WIDTHS["Atteinte"],
            ),
        },
        row_height=WRAPPED_ROWS,
    )


# ------------------------------------------------------------------ year on year


def _year_on_year(frame: pd.DataFrame, filters: Filters, today) -> None:
    """The listed indicators at the end of N and of N − 1 (N: the year chosen in the filters,
    else the last whole year), with the change read in each indicator's direction."""
    year = compared_year(filters.year, today)
    rows = load_year_on_year(filters.convention_id, year, today, filters.domain_code)
    rows = rows[rows["code"].isin(frame["code"])].reset_index(drop=True)
    # Folded: the list leads to one indicator's detail below, and the comparison is opened on demand.
    with st.expander(f"D'une année à l'autre : {year} par rapport à {year - 1}"):
        st.caption(
            f"Valeur de chaque indicateur listé à la fin de {year - 1} et de {year} : le dernier résultat "
            "de toute la convention connu à cette date. La tendance tient compte du sens de l'indicateur ; "
            "un indicateur à étapes évolue d'étape en étape. " + (f"{trend_counts(rows)}." if not rows.empty else "")
        )
        st.dataframe(
            indicator_table(rows, year, today),
            hide_index=True,
            alt=f"Indicateurs en {year} et en {year - 1}",
            column_config={"Indicateur": st.column_config.TextColumn("Indicateur", width=COLUMN_WIDTHS["Indicateur"])},
            row_height=WRAPPED_ROWS,
        )


# ------------------------------------------------------------------ one indicator


def _detail(indicator: pd.Series, when, on, context: ConventionContext) -> None:
    st.divider()
    st.subheader(escape_markdown(f"{indicator['code']} — {indicator['name']}"))
    facts = [
        f"**Statut** : {status_text(indicator['status'])}",
        f"**Domaine** : {escape_markdown(indicator['domain'])}",
        f"**Sens** : {escape_markdown(Direction.label_of(indicator['direction']).lower())}",
        f"**Fréquence** : {_frequency(indicator['frequency'])}",
    ]
    if isinstance(indicator["action_code"], str):
        facts.append(f"**Action** : {escape_markdown(indicator['action_code'])}")
    st.markdown(" · ".join(facts))
    st.caption(f"Unité : {escape_markdown(indicator['unit'])}")

    steps = _steps(indicator)
    if steps:
        _step_metrics(indicator, steps)
    else:
        columns = st.columns(4)
        columns[0].metric("Valeur actuelle", value_text(indicator["current_value"]))
        columns[1].metric("Référence", value_text(indicator["baseline_value"]))
        columns[2].metric("Cible", value_text(indicator["target_value"]))
        attainment = indicator["attainment"]
        columns[3].metric("Atteinte", fmt.percent(None if fmt.missing(attainment) else clip(attainment)))

    values = load_measurements(int(indicator["id"]), include_superseded=True)
    current = values[values["superseded_at"].isna()]
    if current.empty:
        st.info(NO_MEASUREMENT)
    label = "Aujourd'hui" if when == on else f"Au {fmt.short_date(when)}"
    sentence = describe(indicator)
    chart = indicator_chart(indicator, current, when, today_label=label)
    if chart is not None:
        st.altair_chart(chart, width="stretch", alt=sentence)
    st.caption(escape_markdown(sentence))
    if isinstance(indicator["baseline_source"], str) and indicator["baseline_source"]:
        st.caption(f"Source de la référence : {escape_markdown(indicator['baseline_source'])}")
    target_section(indicator, context.actor)
    _communes(indicator, when, steps)

    if values.empty:
        return
    st.markdown("#### Valeurs de la convention")
    show_replaced = st.toggle("Afficher les valeurs corrigées", key="indicators_show_replaced")
    if show_replaced and values["superseded_at"].notna().sum() == 0:
        st.caption("Aucune valeur de cet indicateur n'a été corrigée.")
    st.dataframe(
        _values_table(values, show_replaced, steps),
        hide_index=True,
        alt="Valeurs de l'indicateur",
        column_config={"Date": st.column_config.DateColumn("Date", format="DD/MM/YYYY")},
    )
    history_link("indicateur", indicator["code"])


def _step_metrics(indicator: pd.Series, steps: tuple[str, ...]) -> None:
    """A step indicator reads as steps: where it stands, where it started, the step aimed at."""
    columns = st.columns(3)
    columns[0].metric("Étape actuelle", shown_value(indicator["current_value"], steps))
    columns[1].metric("Étape de référence", shown_value(indicator["baseline_value"], steps))
    columns[2].metric("Étape visée", shown_value(indicator["target_value"], steps))
    st.caption(escape_markdown("Étapes, dans l'ordre : " + " → ".join(step_label(code) for code in steps)))


def _communes(indicator: pd.Series, when, steps: tuple[str, ...] | None) -> None:
    """The latest value of each commune, where values per commune exist."""
    latest = load_commune_latest(int(indicator["id"]), when)
    if latest.empty:
        return
    st.markdown("#### Par commune")
    st.caption(
        "Valeurs données pour une commune du périmètre. La valeur actuelle et le statut de l'indicateur "
        "ne tiennent compte que des valeurs de l'ensemble de la convention."
    )
    sentence = describe_communes(latest, steps)
    chart = commune_chart(load_commune_series(int(indicator["id"]), when), indicator["unit"], steps)
    if chart is not None:
        st.altair_chart(chart, alt=sentence)
    st.dataframe(
        commune_table(latest, steps),
        hide_index=True,
        alt="Dernière valeur de chaque commune",
        column_config={"Mesurée le": st.column_config.DateColumn("Mesurée le", format="DD/MM/YYYY")},
    )


def _frequency(code) -> str:
    return fmt.DASH if fmt.missing(code) else escape_markdown(Frequency.label_of(code).lower())


def _values_table(values: pd.DataFrame, show_replaced: bool, steps: tuple[str, ...] | None = None) -> pd.DataFrame:
    rows = values if show_replaced else values[values["superseded_at"].isna()]
    rows = rows.sort_values(["measured_on", "recorded_at"], ascending=False)
    table = pd.DataFrame(
        {
            "Date": list(rows["measured_on"]),
            "Valeur": [shown_value(v, steps) for v in rows["value"]],
            "Type": [MeasurementType.label_of(t) for t in rows["type"]],
            "Source": list(rows["source"].fillna("")),
            "Commentaire": list(rows["comment"].fillna("")),
        }
    )
    if show_replaced:
        table["État"] = [
            "" if fmt.missing(moment) else f"remplacée le {fmt.short_date(fmt.local_day(moment))}"
            for moment in rows["superseded_at"]
        ]
    return table


@page("Indicateurs")
def render(context: ConventionContext) -> None:
    filters, on = context.filters, context.today
    when = as_of(filters, on)
    frame = _status_filter(load_indicators(filters, on))
    everything = load_indicators(Filters(convention_id=filters.convention_id, year=filters.year), on)

    if when != on:
        st.caption(f"Situation au {fmt.short_date(when)}, fin de l'année choisie.")
    if frame.empty:
        st.info(EMPTY)
    else:
        st.caption(_summary(frame))
        _table(frame)
        _year_on_year(frame, filters, on)

    indicator = listed_item(
        "Détail de l'indicateur",
        everything,
        frame,
        PARAM,
        name="name",
        missing="Aucun indicateur « {} » dans cette convention.",
        placeholder="Choisir un indicateur",
    )
    if indicator is not None:
        _detail(indicator, when, on, context)
