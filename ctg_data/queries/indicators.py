"""Indicators: current value (latest non-superseded result), attainment and status; one
indicator's measurements; the latest measurements recorded."""

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Engine, Executable, and_, func, label, select
from sqlmodel import col

from ctg_data import models as m
from ctg_data.queries.filters import Filters
from ctg_data.rules.indicators import STATUS_LABELS, IndicatorFacts, assess, clip
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
    current_rows = [
        col(m.Measurement.superseded_at).is_(None),
        col(m.Measurement.type) == MeasurementType.RESULTAT,
        col(m.Measurement.measured_on) <= on,
    ]
    latest = (
        select(col(m.Measurement.indicator_id), label("last_on", func.max(col(m.Measurement.measured_on))))
        .join(m.Indicator, col(m.Indicator.id) == m.Measurement.indicator_id)
        .where(col(m.Indicator.convention_id) == filters.convention_id, *current_rows)
        .group_by(col(m.Measurement.indicator_id))
        .subquery()
    )
    current = (
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
    assessments = [assess(_facts(row), on) for row in frame.itertuples()]
    frame["attainment"] = [a.attainment for a in assessments]
    frame["attainment_clipped"] = [clip(a.attainment) for a in assessments]
    frame["expected"] = [a.expected for a in assessments]
    frame["status"] = [str(a.status) for a in assessments]
    frame["status_label"] = [STATUS_LABELS[a.status] for a in assessments]
    return frame


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
    )


def measurements_frame(engine: Engine, indicator_id: int, *, include_superseded: bool = False) -> pd.DataFrame:
    clauses = [col(m.Measurement.indicator_id) == indicator_id]
    if not include_superseded:
        clauses.append(col(m.Measurement.superseded_at).is_(None))
    query = (
        select(
            col(m.Measurement.measured_on),
            col(m.Measurement.value),
            col(m.Measurement.type),
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
