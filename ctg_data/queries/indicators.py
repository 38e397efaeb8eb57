"""Indicators: current value (latest non-superseded result of the whole convention), attainment
and status; one indicator's measurements and intermediate targets; the latest value of each
commune; the latest measurements recorded.

A value given for one commune (`insee_code`) never counts as the indicator's current value: only
the values of the whole convention (insee_code IS NULL) do."""

from collections import defaultdict
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Engine, Executable, Subquery, and_, func, label, select
from sqlmodel import col

from ctg_data import models as m
from ctg_data.queries.filters import Filters
from ctg_data.rules.indicators import STATUS_LABELS, IndicatorFacts, Point, assess, clip, steps_of
from ctg_data.vocabulary import MeasurementType

INDICATOR_COLUMNS = [
    "id",
    "code",
    "name",
    "domain_code",
    "domain",
    "domain_position",
    "action_code",
    "unit",
    "direction",
    "nature",
    "steps",
    "baseline_value",
    "baseline_date",
    "baseline_source",
    "target_value",
    "target_date",
    "frequency",
    "min_value",
    "max_value",
    "current_value",
    "current_date",
    "current_source",
]


def as_of(filters: Filters, today: date) -> date:
    """The date the views speak of: today, or the end of the selected past year."""
    return min(today, date(filters.year, 12, 31)) if filters.year else today


def indicators_frame(engine: Engine, filters: Filters, today: date) -> pd.DataFrame:
    """One row per indicator with its current value, attainment, expected attainment and status.
    The latest value per indicator is found in SQL (GROUP BY on the measurements index)."""
    on = as_of(filters, today)
    current = latest_results(filters.convention_id, on)
    clauses = [col(m.Indicator.convention_id) == filters.convention_id]
    if filters.domain_code:
        clauses.append(col(m.Indicator.domain_code) == filters.domain_code)
    query = (
        select(
            col(m.Indicator.id),
            col(m.Indicator.code),
            col(m.Indicator.name),
            col(m.Indicator.domain_code),
            col(m.Domain.label),
            col(m.Domain.position),
            col(m.Action.code),
            col(m.Indicator.unit),
            col(m.Indicator.direction),
            col(m.Indicator.nature),
            col(m.Indicator.steps),
            col(m.Indicator.baseline_value),
            col(m.Indicator.baseline_date),
            col(m.Indicator.baseline_source),
            col(m.Indicator.target_value),
            col(m.Indicator.target_date),
            col(m.Indicator.frequency),
            col(m.Indicator.min_value),
            col(m.Indicator.max_value),
            current.c.value,
            current.c.measured_on,
            current.c.source,
        )
        .join(m.Domain, col(m.Domain.code) == m.Indicator.domain_code)
        .outerjoin(m.Action, col(m.Action.id) == m.Indicator.action_id)
        .outerjoin(current, current.c.indicator_id == m.Indicator.id)
        .where(*clauses)
        .order_by(col(m.Domain.position), col(m.Indicator.code))
    )
    with engine.connect() as connection:
        frame = pd.DataFrame(connection.execute(query).all(), columns=INDICATOR_COLUMNS)
        targets = _targets_by_indicator(connection, filters.convention_id)
    frame["steps"] = [steps_of(nature, steps) for nature, steps in zip(frame["nature"], frame["steps"], strict=True)]
    frame["targets"] = [tuple(targets.get(i, ())) for i in frame["id"]]
    assessments = [assess(_facts(row), on) for row in frame.itertuples()]
    frame["attainment"] = [a.attainment for a in assessments]
    frame["attainment_clipped"] = [clip(a.attainment) for a in assessments]
    frame["expected"] = [a.expected for a in assessments]
    frame["status"] = [str(a.status) for a in assessments]
    frame["status_label"] = [STATUS_LABELS[a.status] for a in assessments]
    return frame


def latest_results(convention_id: int, on: date) -> Subquery:
    """The current value of every indicator of the convention at `on`, as a subquery
    (indicator_id, value, measured_on, source): its latest result of the whole convention dated
    by `on`, found in SQL (GROUP BY on the measurements index) and joined back."""
    current_rows = [*_results(on), col(m.Measurement.insee_code).is_(None)]  # the whole convention's values only
    latest = (
        select(col(m.Measurement.indicator_id), label("last_on", func.max(col(m.Measurement.measured_on))))
        .join(m.Indicator, col(m.Indicator.id) == m.Measurement.indicator_id)
        .where(col(m.Indicator.convention_id) == convention_id, *current_rows)
        .group_by(col(m.Measurement.indicator_id))
        .subquery()
    )
    return (
        select(
            col(m.Measurement.indicator_id),
            col(m.Measurement.value),
            col(m.Measurement.measured_on),
            col(m.Measurement.source),
        )
        .join(
            latest,
            and_(latest.c.indicator_id == m.Measurement.indicator_id, latest.c.last_on == m.Measurement.measured_on),
        )
        .where(*current_rows)
        .subquery()
    )


def _targets_by_indicator(connection: Any, convention_id: int | None) -> dict[int, list[Point]]:
    """The intermediate targets of every indicator of the convention, by date, in one query."""
    rows = connection.execute(
        select(col(m.IndicatorTarget.indicator_id), col(m.IndicatorTarget.target_on), col(m.IndicatorTarget.value))
        .join(m.Indicator, col(m.Indicator.id) == m.IndicatorTarget.indicator_id)
        .where(col(m.Indicator.convention_id) == convention_id)
        .order_by(col(m.IndicatorTarget.target_on))
    ).all()
    targets: defaultdict[int, list[Point]] = defaultdict(list)
    for indicator_id, target_on, value in rows:
        targets[indicator_id].append((target_on, value))
    return targets


def _facts(row: Any) -> IndicatorFacts:
    """One row of `frame.itertuples()` (pandas types its rows loosely) as the rule's facts."""

    def value(x: Any) -> Any:
        return None if pd.isna(x) else x

    return IndicatorFacts(
        direction=row.direction,
        baseline_value=value(row.baseline_value),
        baseline_date=value(row.baseline_date),
        target_value=value(row.target_value),
        target_date=value(row.target_date),
        frequency=value(row.frequency),
        current_value=value(row.current_value),
        current_date=value(row.current_date),
        nature=row.nature,
        targets=row.targets,
    )


def measurements_frame(
    engine: Engine, indicator_id: int, *, include_superseded: bool = False, communes: bool = False
) -> pd.DataFrame:
    """One indicator's measurements by date: those of the whole convention, or with `communes`
    those of every commune too (column insee_code)."""
    clauses = [col(m.Measurement.indicator_id) == indicator_id]
    if not include_superseded:
        clauses.append(col(m.Measurement.superseded_at).is_(None))
    if not communes:
        clauses.append(col(m.Measurement.insee_code).is_(None))
    query = (
        select(
            col(m.Measurement.measured_on),
            col(m.Measurement.value),
            col(m.Measurement.type),
            col(m.Measurement.insee_code),
            col(m.Measurement.source),
            col(m.Measurement.comment),
            col(m.Measurement.recorded_by),
            col(m.Measurement.recorded_at),
            col(m.Measurement.superseded_at),
        )
        .where(*clauses)
        .order_by(col(m.Measurement.measured_on), col(m.Measurement.recorded_at))
    )
    return _frame(engine, query)


def targets_frame(engine: Engine, indicator_id: int) -> pd.DataFrame:
    """One indicator's intermediate targets by date (id, target_on, value, version)."""
    query = (
        select(
            col(m.IndicatorTarget.id),
            col(m.IndicatorTarget.target_on),
            col(m.IndicatorTarget.value),
            col(m.IndicatorTarget.version),
        )
        .where(col(m.IndicatorTarget.indicator_id) == indicator_id)
        .order_by(col(m.IndicatorTarget.target_on))
    )
    return _frame(engine, query)


def _results(on: date) -> list[Any]:
    """The rows a current value is read from: results, not replaced, measured by `on`."""
    return [
        col(m.Measurement.superseded_at).is_(None),
        col(m.Measurement.type) == MeasurementType.RESULTAT,
        col(m.Measurement.measured_on) <= on,
    ]


def _commune_results(indicator_id: int, on: date) -> list[Any]:
    return [col(m.Measurement.indicator_id) == indicator_id, col(m.Measurement.insee_code).is_not(None), *_results(on)]


def commune_latest(engine: Engine, indicator_id: int, on: date) -> pd.DataFrame:
    """The latest result of each commune up to `on` (insee_code, commune, measured_on, value),
    by commune name: the latest date per commune found in SQL (GROUP BY), joined back."""
    where = _commune_results(indicator_id, on)
    latest = (
        select(col(m.Measurement.insee_code), label("last_on", func.max(col(m.Measurement.measured_on))))
        .where(*where)
        .group_by(col(m.Measurement.insee_code))
        .subquery()
    )
    query = (
        select(
            col(m.Measurement.insee_code),
            label("commune", col(m.Commune.name)),
            col(m.Measurement.measured_on),
            col(m.Measurement.value),
        )
        .join(
            latest,
            and_(latest.c.insee_code == m.Measurement.insee_code, latest.c.last_on == m.Measurement.measured_on),
        )
        .join(m.Commune, col(m.Commune.insee_code) == m.Measurement.insee_code)
        .where(*where)
        .order_by(col(m.Commune.name), col(m.Measurement.insee_code))
    )
    return _frame(engine, query)


def commune_series(engine: Engine, indicator_id: int, on: date) -> pd.DataFrame:
    """Every current result of each commune up to `on` (insee_code, commune, measured_on, value),
    for a small chart per commune."""
    query = (
        select(
            col(m.Measurement.insee_code),
            label("commune", col(m.Commune.name)),
            col(m.Measurement.measured_on),
            col(m.Measurement.value),
        )
        .join(m.Commune, col(m.Commune.insee_code) == m.Measurement.insee_code)
        .where(*_commune_results(indicator_id, on))
        .order_by(col(m.Commune.name), col(m.Measurement.measured_on))
    )
    return _frame(engine, query)


def latest_measurements(engine: Engine, convention_id: int, limit: int = 8) -> pd.DataFrame:
    """The values most recently recorded (not measured): what changed since the last visit."""
    query = (
        select(
            col(m.Measurement.recorded_at),
            col(m.Measurement.measured_on),
            col(m.Indicator.code),
            col(m.Indicator.name),
            col(m.Measurement.value),
            col(m.Indicator.unit),
            col(m.Measurement.insee_code),
            col(m.Measurement.superseded_at),
        )
        .join(m.Indicator, col(m.Indicator.id) == m.Measurement.indicator_id)
        .where(col(m.Indicator.convention_id) == convention_id)
        .order_by(col(m.Measurement.recorded_at).desc(), col(m.Measurement.measured_on).desc())
        .limit(limit)
    )
    return _frame(engine, query)


def _frame(engine: Engine, query: Executable) -> pd.DataFrame:
    """The rows of `query`, one column per selected column, named as in the select."""
    with engine.connect() as connection:
        result = connection.execute(query)
        return pd.DataFrame(result.all(), columns=list(result.keys()))
