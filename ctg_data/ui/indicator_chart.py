"""One indicator's chart and its text alternative: the measurements against the way from the
baseline through the intermediate targets to the target, with today marked. A step indicator is
drawn as steps: its y axis is the ordered step labels, its lines climb in stairs. Pure
functions of plain values and DataFrames."""

from collections.abc import Mapping
from datetime import date
from typing import Literal

import altair as alt
import pandas as pd

from ctg_data import formats as fmt
from ctg_data.rules.indicators import IndicatorStatus, clip, shown_value, step_code, step_label
from ctg_data.ui.charts import themed
from ctg_data.vocabulary import MeasurementType

# Every series has its own colour (Okabe–Ito) and its own mark shape or dash, so that the
# legend reads without colour.
MEASURE, ESTIMATE, BASELINE, TARGET, TRAJECTORY = ("Mesure", "Estimation", "Référence", "Cible", "Trajectoire attendue")
MILESTONE = "Cible intermédiaire"
SERIES = {
    MEASURE: ("#0072B2", "circle"),
    ESTIMATE: ("#56B4E9", "triangle-up"),
    BASELINE: ("#000000", "square"),
    TARGET: ("#009E73", "diamond"),
    MILESTONE: ("#CC79A7", "cross"),
    TRAJECTORY: ("#E69F00", "stroke"),
}
DATE_FORMAT = "%d/%m/%Y"
VALUE_FORMAT = ",.2~f"  # grouped, up to two decimals; the theme's locale writes it in French


def _given(value):
    return None if fmt.missing(value) else value


def _timestamp(day) -> pd.Timestamp:
    # Naive timestamps reach Vega-Lite as local dates: a day never shifts with the time zone.
    return pd.Timestamp(day)


def _steps(indicator: Mapping) -> tuple[str, ...] | None:
    steps = indicator.get("steps")
    return tuple(steps) if isinstance(steps, tuple | list) and steps else None


def _with_steps(frame: pd.DataFrame, steps: tuple[str, ...] | None) -> pd.DataFrame:
    """A step indicator's points also carry their step's label (its y position)."""
    if steps:
        frame = frame.assign(step=[step_label(step_code(steps, v)) for v in frame["value"]])
    return frame


def _points(*rows) -> pd.DataFrame:
    return pd.DataFrame(
        [{"date": _timestamp(d), "value": float(v), "series": s, "source": src or ""} for d, v, s, src in rows],
        columns=["date", "value", "series", "source"],
    )


def _intermediate(indicator: Mapping) -> list[tuple[date, float]]:
    targets = indicator.get("targets")
    return sorted(targets) if isinstance(targets, tuple | list) else []


def _measurement_points(measurements: pd.DataFrame) -> pd.DataFrame:
    if measurements.empty:
        return pd.DataFrame(columns=["date", "value", "series", "type", "source", "comment"])
    kinds = {MeasurementType.RESULTAT: MEASURE, MeasurementType.ESTIMATION: ESTIMATE}
    return pd.DataFrame(
        {
            "date": [_timestamp(d) for d in measurements["measured_on"]],
            "value": measurements["value"].astype(float),
            "series": [kinds[MeasurementType(t)] for t in measurements["type"]],
            "type": [MeasurementType.label_of(t) for t in measurements["type"]],
            "source": measurements["source"].fillna(""),
            "comment": measurements["comment"].fillna(""),
        }
    )


def indicator_chart(
    indicator: Mapping, measurements: pd.DataFrame, today: date, today_label: str = "Aujourd'hui"
) -> alt.LayerChart | None:
    """Layers, each named: "mesures" (line through the results), "mesures-points", "trajectoire"
    (dashed, baseline → each intermediate target → target), "cibles-intermediaires" (their
    points), "reference", "cible" and "aujourdhui" (vertical rule, with its label).
    `measurements` are the current (not superseded) ones of the whole convention. A step
    indicator (`steps` in `indicator`) has the step labels as its y axis, in their order, and
    stair lines. None when there is nothing to draw: no measurement, no baseline, no target."""
    unit = _given(indicator.get("unit")) or "Valeur"
    steps = _steps(indicator)
    milestones = _intermediate(indicator)
    baseline_value, baseline_date = _given(indicator.get("baseline_value")), _given(indicator.get("baseline_date"))
    target_value, target_date = _given(indicator.get("target_value")), _given(indicator.get("target_date"))
    has_baseline = baseline_value is not None and baseline_date is not None
    has_target = target_value is not None and target_date is not None
    if measurements.empty and not has_baseline and not has_target:
        return None

    points = _with_steps(_measurement_points(measurements), steps)
    measured = set(points["series"])
    present = [s for s in (MEASURE, ESTIMATE) if s in measured]
    present += [TRAJECTORY] if has_baseline and has_target else []
    present += [BASELINE] if has_baseline else []
    present += [MILESTONE] if milestones else []
    present += [TARGET] if has_target else []
    colour, shape = _colour(present), _shape(present)
    x = alt.X("date:T", title="Date", axis=alt.Axis(format="%b %Y", labelAngle=0))
    y = alt.Y("value:Q", title=unit, scale=alt.Scale(zero=False), axis=alt.Axis(format=VALUE_FORMAT))
    value_tip = alt.Tooltip("value:Q", title=unit, format=VALUE_FORMAT)
    interpolate: Literal["linear", "step-after"] = "linear"
    if steps:  # the ordered step labels, the first at the bottom; lines climb in stairs
        labels = [step_label(code) for code in steps]
        y = alt.Y("step:N", title="Étape", sort=list(reversed(labels)), scale=alt.Scale(domain=list(reversed(labels))))
        value_tip = alt.Tooltip("step:N", title="Étape")
        interpolate = "step-after"
    date_tip = alt.Tooltip("date:T", title="Date", format=DATE_FORMAT)
    series_tip = alt.Tooltip("series:N", title="Série")

    layers = []
    if MEASURE in measured:
        layers.append(
            alt.Chart(points[points["series"] == MEASURE], name="mesures")
            .mark_line(strokeWidth=2, interpolate=interpolate)
            .encode(x=x, y=y, color=colour)
        )
    if not points.empty:
        layers.append(
            alt.Chart(points, name="mesures-points")
            .mark_point(filled=True, size=70, opacity=1)
            .encode(
                x=x,
                y=y,
                color=colour,
                shape=shape,
                tooltip=[
                    date_tip,
                    value_tip,
                    alt.Tooltip("type:N", title="Type"),
                    alt.Tooltip("source:N", title="Source"),
                    alt.Tooltip("comment:N", title="Commentaire"),
                ],
            )
        )
    if has_baseline and has_target:
        trajectory = _points(
            (baseline_date, baseline_value, TRAJECTORY, None),
            *((on, value, TRAJECTORY, None) for on, value in milestones),
            (target_date, target_value, TRAJECTORY, None),
        )
        layers.append(
            alt.Chart(_with_steps(trajectory, steps), name="trajectoire")
            .mark_line(strokeDash=[6, 4], strokeWidth=2, interpolate=interpolate)
            .encode(x=x, y=y, color=colour, tooltip=[series_tip, date_tip, value_tip])
        )
    if milestones:
        intermediate = _points(*((on, value, MILESTONE, None) for on, value in milestones))
        layers.append(
            alt.Chart(_with_steps(intermediate, steps), name="cibles-intermediaires")
            .mark_point(filled=True, size=110, opacity=1)
            .encode(x=x, y=y, color=colour, shape=shape, tooltip=[series_tip, date_tip, value_tip])
        )
    if has_baseline:
        baseline = _points((baseline_date, baseline_value, BASELINE, _given(indicator.get("baseline_source"))))
        baseline = _with_steps(baseline, steps)
        layers.append(
            alt.Chart(baseline, name="reference")
            .mark_point(filled=True, size=110, opacity=1)
            .encode(
                x=x,
                y=y,
                color=colour,
                shape=shape,
                tooltip=[series_tip, date_tip, value_tip, alt.Tooltip("source:N", title="Source")],
            )
        )
    if has_target:
        target = _with_steps(_points((target_date, target_value, TARGET, None)), steps)
        layers.append(
            alt.Chart(target, name="cible")
            .mark_point(filled=True, size=140, opacity=1)
            .encode(x=x, y=y, color=colour, shape=shape, tooltip=[series_tip, date_tip, value_tip])
        )
    now = pd.DataFrame({"date": [_timestamp(today)], "label": [today_label]})
    layers.append(
        alt.Chart(now, name="aujourdhui")
        .mark_rule(color="#666666", strokeDash=[2, 2])
        .encode(x="date:T", tooltip=[alt.Tooltip("label:N", title="Repère"), date_tip])
    )
    layers.append(
        alt.Chart(now, name="aujourdhui-texte")
        .mark_text(align="left", baseline="top", dx=4, dy=4, color="#444444")
        .encode(x="date:T", y=alt.value(0), text="label:N")
    )
    return themed(alt.LayerChart(layer=layers, height=340))


def _colour(series: list[str]) -> alt.Color:
    return alt.Color("series:N", title=None, scale=alt.Scale(domain=list(series), range=[SERIES[s][0] for s in series]))


def _shape(series: list[str]) -> alt.Shape:
    return alt.Shape("series:N", title=None, scale=alt.Scale(domain=list(series), range=[SERIES[s][1] for s in series]))


def describe(indicator: Mapping) -> str:
    """The chart in one sentence, from a row of indicators_frame, e.g. "Valeur actuelle 62
    (31 décembre 2025), cible 66 au 31 mai 2027 : 47 % du chemin parcouru, 68 % attendu à
    cette date." Also the chart's accessible description."""
    current, current_date = _given(indicator.get("current_value")), _given(indicator.get("current_date"))
    baseline, baseline_date = _given(indicator.get("baseline_value")), _given(indicator.get("baseline_date"))
    target, target_date = _given(indicator.get("target_value")), _given(indicator.get("target_date"))
    attainment, expected = _given(indicator.get("attainment")), _given(indicator.get("expected"))
    status = _given(indicator.get("status"))
    steps = _steps(indicator)
    if steps:
        return _describe_steps(steps, current, current_date, target, target_date, status)

    target_part = "pas de cible fixée"
    if target is not None:
        target_part = f"cible {fmt.smart_number(target)}"
        if target_date is not None:
            target_part += f" au {fmt.long_date(target_date)}"
    if current is None:
        reference = (
            "pas de valeur de référence"
            if baseline is None
            else f"référence {fmt.smart_number(baseline)}"
            + (f" au {fmt.long_date(baseline_date)}" if baseline_date is not None else "")
        )
        return f"Aucune valeur mesurée. {_capitalised(reference)}, {target_part}."

    sentence = f"Valeur actuelle {fmt.smart_number(current)} ({fmt.long_date(current_date)}), {target_part}"
    if baseline is None:
        sentence += ", pas de valeur de référence"
    if attainment is not None:
        sentence += f" : {fmt.percent(clip(attainment))} du chemin parcouru"
        if attainment < 0:
            sentence += " (valeur moins bonne que la référence)"
        if expected is not None:
            sentence += f", {fmt.percent(expected)} attendu à cette date"
    sentence += "."
    if status == IndicatorStatus.A_RENSEIGNER:
        sentence += " Cette valeur est trop ancienne pour la fréquence de l'indicateur : à renseigner."
    return sentence


def _describe_steps(steps, current, current_date, target, target_date, status) -> str:
    """A step indicator in one sentence: its step, the step aimed at, its steps in order."""
    target_part = "pas d'étape visée"
    if target is not None:
        target_part = f"étape visée : {shown_value(target, steps)}"
        if target_date is not None:
            target_part += f" au {fmt.long_date(target_date)}"
    order = " → ".join(step_label(code) for code in steps)
    if current is None:
        sentence = f"Aucune étape renseignée, {target_part}."
    else:
        sentence = f"Étape actuelle : {shown_value(current, steps)} ({fmt.long_date(current_date)}), {target_part}."
    sentence += f" Étapes : {order}."
    if status == IndicatorStatus.DECROCHE:
        sentence += " La date visée est passée sans que l'étape soit atteinte."
    elif status == IndicatorStatus.A_RENSEIGNER and current is not None:
        sentence += " Cette étape est trop ancienne pour la fréquence de l'indicateur : à renseigner."
    return sentence


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
