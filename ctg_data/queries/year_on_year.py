"""Year on year: each indicator's value at the end of year N and of N − 1 (and its reference),
and each lever's money in N and N − 1, with the change (docs/rules.md, « 9. D'une année à
l'autre »). The views and the meeting report read the same two frames.

An indicator's value at the end of a year is its current value as the views read it on that date
(`queries.indicators.latest_results`): the latest result of the whole convention dated by
31 December (by today for the year not over yet). Both years come from one SQL statement.
"""

from datetime import date

import pandas as pd
from sqlalchemy import Engine, label, select
from sqlmodel import col

from ctg_data import models as m
from ctg_data.queries.indicators import latest_results
from ctg_data.queries.referentials import label_of, levers
from ctg_data.reports.funding import STAGES, lever_breakdown, sum_by
from ctg_data.rules.indicators import steps_of
from ctg_data.rules.year_on_year import TREND_LABELS, compare, money_change, year_end

INDICATOR_COLUMNS = [
    "id",
    "code",
    "name",
    "domain_code",
    "domain",
    "unit",
    "direction",
    "nature",
    "steps",
    "baseline_value",
    "baseline_date",
    "previous_value",
    "previous_date",
    "current_value",
    "current_date",
]


def indicators_year_on_year(
    engine: Engine, convention_id: int, year: int, today: date, domain_code: str | None = None
) -> pd.DataFrame:
    """One row per indicator of the convention (of one domain), in the list's order: its value at
    the end of `year` (current_value, current_date) and of `year` − 1 (previous_value,
    previous_date), its reference (baseline_value), and the changes:
    change / change_relative / trend / trend_label from N − 1 to N, and
    since_reference / since_reference_relative / since_reference_trend from the reference to N.
    `renewed` says whether the value of N was measured during N (else it is older, carried over).
    A step indicator's values are step positions and its changes numbers of steps."""
    previous = latest_results(convention_id, year_end(year - 1, today))
    current = latest_results(convention_id, year_end(year, today))
    clauses = [col(m.Indicator.convention_id) == convention_id]
    if domain_code:
        clauses.append(col(m.Indicator.domain_code) == domain_code)
    query = (
        select(
            col(m.Indicator.id),
            col(m.Indicator.code),
            col(m.Indicator.name),
            col(m.Indicator.domain_code),
            label("domain", col(m.Domain.label)),
            col(m.Indicator.unit),
            col(m.Indicator.direction),
            col(m.Indicator.nature),
            col(m.Indicator.steps),
            col(m.Indicator.baseline_value),
            col(m.Indicator.baseline_date),
            label("previous_value", previous.c.value),
            label("previous_date", previous.c.measured_on),
            label("current_value", current.c.value),
            label("current_date", current.c.measured_on),
        )
        .join(m.Domain, col(m.Domain.code) == m.Indicator.domain_code)
        .outerjoin(previous, previous.c.indicator_id == m.Indicator.id)
        .outerjoin(current, current.c.indicator_id == m.Indicator.id)
        .where(*clauses)
        .order_by(col(m.Domain.position), col(m.Indicator.code))
    )
    with engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(query)]
    start_of_year = date(year, 1, 1)
    no_new_value = f"Aucune valeur nouvelle en {year}"
    for row in rows:
        row["steps"] = steps_of(row["nature"], row["steps"])
        by_steps = row["steps"] is not None
        change = compare(row["previous_value"], row["current_value"], row["direction"], by_steps=by_steps)
        since = compare(row["baseline_value"], row["current_value"], row["direction"], by_steps=by_steps)
        renewed = row["current_date"] is not None and row["current_date"] >= start_of_year
        row.update(
            change=change.absolute,
            change_relative=change.relative,
            trend=str(change.trend),
            # Carried over from an earlier year, the value is "stable" only for want of a new one.
            trend_label=TREND_LABELS[change.trend] if renewed or row["current_date"] is None else no_new_value,
            since_reference=since.absolute,
            since_reference_relative=since.relative,
            since_reference_trend=str(since.trend),
            renewed=renewed,
        )
    extra = [
        "change",
        "change_relative",
        "trend",
        "trend_label",
        "since_reference",
        "since_reference_relative",
        "since_reference_trend",
        "renewed",
    ]
    # dtype=object: a missing value stays None (pandas would turn a column of floats with a gap
    # into NaN, and a column of dates into NaT).
    return pd.DataFrame(rows, columns=[*INDICATOR_COLUMNS, *extra], dtype=object)


FUNDING_COLUMNS = ["lever", "lever_label"] + [
    f"{stage}_{part}" for stage in STAGES for part in ("previous", "current", "change", "change_relative")
]


def funding_year_on_year(
    engine: Engine,
    convention_id: int,
    year: int,
    domain_code: str | None = None,
    insee_code: str | None = None,
) -> pd.DataFrame:
    """One row per lever with money in `year` or `year` − 1, in the referential's order: planned,
    notified and paid of each year (planned_previous, planned_current, …, Decimal or None) and
    the change (planned_change, Decimal, and planned_change_relative, a ratio). The amounts are
    those of the Leviers page for each year (`reports.funding.lever_breakdown`, summed in SQL), so
    the two agree whatever the domain or commune chosen."""
    per_year = {
        part: sum_by(lever_breakdown(engine, convention_id, y, domain_code, insee_code), "lever", STAGES)
        for part, y in (("previous", year - 1), ("current", year))
    }
    amounts = {part: {row["lever"]: row for row in frame.to_dict("records")} for part, frame in per_year.items()}
    entries = levers(engine)
    present = set(amounts["previous"]) | set(amounts["current"])
    order = [code for code in entries if code in present] + sorted(present - set(entries))
    rows = []
    for lever in order:
        row: dict[str, object] = {"lever": lever, "lever_label": label_of(entries, lever)}
        for stage in STAGES:
            before = amounts["previous"].get(lever, {}).get(stage)
            after = amounts["current"].get(lever, {}).get(stage)
            change = money_change(before, after)
            row.update(
                {
                    f"{stage}_previous": before,
                    f"{stage}_current": after,
                    f"{stage}_change": change.absolute,
                    f"{stage}_change_relative": change.relative,
                }
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=FUNDING_COLUMNS, dtype=object)
