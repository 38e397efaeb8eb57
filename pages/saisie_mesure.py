"""Saisie · Nouvelle mesure: pick an indicator, type a value (pick a step for a step indicator),
for the whole convention or one commune of its perimeter, save; the result and the indicator's
new status show at once, with a link to its chart.

A value for a date that already has one corrects it: the old value stays in the history.
The indicator chosen is in the URL (`?indicateur=CODE`) so that a link can open the form on it.
"""

import pandas as pd
import streamlit as st

from ctg_data import formats as fmt
from ctg_data.queries.filters import Filters
from ctg_data.queries.indicators import indicators_frame, measurements_frame
from ctg_data.rules.indicators import clip, shown_value, step_label
from ctg_data.services.measurements import record_measurement, writable_indicator_ids
from ctg_data.ui.data import cached_query, engine
from ctg_data.ui.forms import EditCycle, confirm_input, history_link, links_beside_history, override_input
from ctg_data.ui.page import ConventionContext, page
from ctg_data.ui.selection import editable_record
from ctg_data.ui.text import escape_markdown, status_text, value_text
from ctg_data.vocabulary import MeasurementType

load_indicators = cached_query(indicators_frame)
load_measurements = cached_query(measurements_frame)
load_writable = cached_query(writable_indicator_ids)

PARAM = "indicateur"
CYCLE = EditCycle("saisie_mesure")
WHOLE, WHOLE_LABEL = "", "Toute la convention"


def describe(row) -> str:
    """code — name (unit, last value, frequency): what the selector shows of each indicator."""
    shown = shown_value(row["current_value"], _steps(row))
    last = (
        "aucune valeur"
        if fmt.missing(row["current_value"])
        else f"dernière valeur {shown} au {fmt.short_date(row['current_date'])}"
    )
    frequency = row["frequency"] if isinstance(row["frequency"], str) else "fréquence non précisée"
    return f"{row['code']} — {row['name']} ({row['unit']} ; {last} ; {frequency})"


def _steps(row) -> tuple[str, ...] | None:
    return row["steps"] if isinstance(row["steps"], tuple) else None


def _form(indicator: pd.Series, context: ConventionContext) -> None:
    card = context.card
    steps = _steps(indicator)
    communes = {c["insee_code"]: c["name"] for c in card.get("communes", [])}
    bounds = [
        f"minimum {value_text(indicator['min_value'])}" if not fmt.missing(indicator["min_value"]) else "",
        f"maximum {value_text(indicator['max_value'])}" if not fmt.missing(indicator["max_value"]) else "",
    ]
    limits = " et ".join(b for b in bounds if b)
    st.caption(
        f"Unité : {escape_markdown(indicator['unit'])}"
        + (f" · bornes : {limits}" if limits else "")
        + f" · convention du {fmt.short_date(card['starts_on'])} au {fmt.short_date(card['ends_on'])}."
    )
    key = CYCLE.key(indicator["code"])
    with st.form(key):
        left, middle, right = st.columns([1, 1, 1])
        measured_on = left.date_input(
            "Date de la mesure",
            value=context.today,
            format="DD/MM/YYYY",
            min_value=pd.Timestamp("1990-01-01").date(),
            max_value=pd.Timestamp("2100-12-31").date(),
            key=f"{key}_date",
        )
        if steps:  # a step indicator's value is one of its steps, in their order
            value = middle.selectbox(
                "Étape", list(steps), index=None, format_func=step_label, placeholder="Choisir…", key=f"{key}_value"
            )
        else:
            value = middle.text_input(
                f"Valeur ({escape_markdown(indicator['unit'])})", placeholder="ex. 12,5", key=f"{key}_value"
            )
        kind = right.selectbox(
            "Type",
            list(MeasurementType.labels()),
            key=f"{key}_type",
            format_func=MeasurementType.label_of,
            placeholder="Choisir un type",
        )
        commune = st.selectbox(
            "Pour",
            [WHOLE, *communes],
            format_func=lambda code: WHOLE_LABEL if code == WHOLE else f"{communes[code]} ({code})",
            key=f"{key}_commune",
            placeholder="Choisir la convention ou une commune",
            help="La valeur de l'ensemble de la convention, ou celle d'une commune de son périmètre. Seules les "
            "valeurs de l'ensemble de la convention font la valeur actuelle et le statut.",
        )
        source = st.text_input(
            "Source",
            value=indicator["current_source"] if isinstance(indicator["current_source"], str) else "",
            max_chars=300,
            key=f"{key}_source",
        )
        comment = st.text_area("Commentaire", height=68, key=f"{key}_comment")
        override = override_input(key, "seulement pour une date hors de la convention")
        confirmed = confirm_input(key)
        submitted = st.form_submit_button("Enregistrer la mesure", type="primary")
    if submitted:
        CYCLE.save(
            lambda: record_measurement(
                engine(),
                context.actor,
                indicator_id=int(indicator["id"]),
                measured_on=measured_on,
                value=value,
                type=kind,
                source=source,
                comment=comment,
                override_reason=override,
                insee_code=None if commune == WHOLE else commune,
                confirmed=confirmed,
            ),
            outcome=lambda result: result,
        )  # the result itself: the next run shows the new status


def _last_result(indicators: pd.DataFrame) -> None:
    """The outcome of the save just made, with the indicator's status as of now."""
    result = CYCLE.outcome()
    if result is None:
        return
    st.success(escape_markdown(result.message), icon=":material/check_circle:")
    row = indicators[indicators["id"] == result.indicator_id]
    if not row.empty:
        row = row.iloc[0]
        attainment = None if fmt.missing(row["attainment"]) else clip(row["attainment"])
        current = shown_value(row["current_value"], _steps(row))
        when = "" if fmt.missing(row["current_date"]) else f" au {fmt.short_date(row['current_date'])}"
        progress = "" if _steps(row) else f" · atteinte {fmt.percent(attainment)}"
        st.markdown(
            f"**Statut de {escape_markdown(row['code'])}** : {status_text(row['status'])} · "
            f"valeur actuelle {escape_markdown(current)}{when}{progress}"
        )
        if result.insee_code is not None:
            st.caption(
                "Une valeur de commune ne change pas la valeur actuelle : seules celles de la convention comptent."
            )
        if result.type != MeasurementType.RESULTAT:
            st.caption("Une estimation ne change pas la valeur actuelle : seuls les résultats comptent.")
    links_beside_history(
        "pages/indicateurs.py",
        f"Voir le graphique de {escape_markdown(result.indicator_code)}",
        ":material/monitoring:",
        "indicateur",
        result.indicator_code,
        query_params={"indicateur": result.indicator_code},
    )


def _recent_values(indicator: pd.Series) -> None:
    values = load_measurements(int(indicator["id"]), communes=True)
    if values.empty:
        st.caption("Aucune valeur enregistrée pour cet indicateur.")
        return
    st.markdown("#### Dernières valeurs")
    st.caption(
        "Pour corriger une valeur, saisissez la même date, le même type et la même commune : l'ancienne valeur est "
        "conservée dans l'historique."
    )
    recent = values.sort_values("measured_on", ascending=False).head(6)
    steps = _steps(indicator)
    st.dataframe(
        pd.DataFrame(
            {
                "Date": list(recent["measured_on"]),
                "Valeur": [shown_value(v, steps) for v in recent["value"]],
                "Type": [MeasurementType.label_of(t) for t in recent["type"]],
                "Pour": [WHOLE_LABEL if fmt.missing(code) else code for code in recent["insee_code"]],
                "Source": list(recent["source"].fillna("")),
                "Saisie par": list(recent["recorded_by"]),
            }
        ),
        hide_index=True,
        alt="Dernières valeurs de l'indicateur",
        column_config={"Date": st.column_config.DateColumn("Date", format="DD/MM/YYYY")},
    )
    history_link("indicateur", indicator["code"])


@page("Nouvelle mesure", filters=())
def render(context: ConventionContext) -> None:
    indicators = load_indicators(Filters(convention_id=context.convention_id), context.today)
    writable = load_writable(context.actor, context.convention_id)
    _last_result(indicators)
    indicator = editable_record(
        "Indicateur",
        indicators,
        PARAM,
        writable=writable,
        nothing=(
            "Aucun indicateur de cette convention ne vous est ouvert en saisie : seuls le pilote et les "
            "partenaires de l'action liée à un indicateur (ou un conseiller CAF) peuvent y saisir des valeurs."
        ),
        labels=lambda rows: {row["code"]: describe(row) for _, row in rows.iterrows()},
        key="saisie_mesure_indicateur",
        relabel=True,
        placeholder="Rechercher un indicateur (code ou nom)…",
    )
    if indicator is None:
        st.caption("Tapez quelques lettres du code ou du nom pour trouver l'indicateur.")
        return
    _form(indicator, context)
    _recent_values(indicator)
