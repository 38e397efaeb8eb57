"""The portfolio: every convention a person may see, one row each, for CAF advisors and
administrators — period, progress against schedule by domain, indicators by status, late
actions, bonus notified and paid, overdue decisions and the alerts they give.

A fixed number of statements whatever the number of conventions (no per-convention call of
`steering_summary`): the actions are rolled up in SQL with the rules of `rules.actions`
(progress by status, expected progress from the dates), the indicators are read once with their
current value and assessed by `rules.indicators.assess`, money and decisions are summed in SQL.

The bonus figures are the stored ones (notified and paid of the `bonus_territoire` lever): the
amount due according to the barème is computed facility by facility by `reports.bonus_report`,
too costly for a thousand conventions at once; the Bonus territoire page of a convention shows it.
"""

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Engine, Float, and_, case, cast, func, literal, select, type_coerce
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import col

from ctg_data import models as m
from ctg_data import settings
from ctg_data.actors import Actor, Role
from ctg_data.permissions import readable_conventions
from ctg_data.queries.indicators import _results
from ctg_data.rules.actions import CLOSED, PROGRESS_BY_STATUS
from ctg_data.rules.bonus import YearClock
from ctg_data.rules.indicators import IndicatorFacts, IndicatorStatus, assess
from ctg_data.rules.portfolio import DomainFigures, convention_alerts, schedule
from ctg_data.rules.reconciliation import BONUS_LEVER
from ctg_data.vocabulary import ActionStatus, DecisionStatus

CONVENTION_COLUMNS = [
    "id",
    "code",
    "name",
    "department",
    "starts_on",
    "ends_on",
    "advisors",
    "advisor_ids",
    "actions",
    "progress",
    "expected",
    "behind",
    "domains_behind",
    "late",
    *(f"status_{s}" for s in IndicatorStatus),
    "indicators",
    "bonus_notified",
    "bonus_paid",
    "bonus_unpaid",
    "overdue_decisions",
    "alerts",
]
DOMAIN_COLUMNS = ["convention_id", "domain_code", "domain", "position", "actions", "progress", "expected", "behind"]


class days_between(FunctionElement[float]):
    """Days from the first date to the second, as a number, on SQLite and PostgreSQL alike."""

    type = Float[float]()
    inherit_cache = True


@compiles(days_between)
def _days_between(element: days_between, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    return f"(CAST({compiler.process(end, **kw)} AS DATE) - CAST({compiler.process(start, **kw)} AS DATE))"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    return f"(julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)}))"


def portfolio(engine: Engine, actor: Actor, today: date, clock: YearClock) -> dict[str, pd.DataFrame]:
    """`conventions`: one row per convention `actor` sees (CONVENTION_COLUMNS), by name;
    `domains`: one row per convention and domain with actions (DOMAIN_COLUMNS). `clock` says
    which bonus years are over (funding.year_clock). Seven statements, whatever the number of
    conventions."""
    seen = readable_conventions(actor)
    with engine.connect() as connection:
        conventions = connection.execute(
            select(
                col(m.Convention.id),
                col(m.Convention.code),
                col(m.Convention.name),
                col(m.Convention.department),
                col(m.Convention.starts_on),
                col(m.Convention.ends_on),
            )
            .where(seen)
            .order_by(col(m.Convention.code))
        ).all()
        ids = select(col(m.Convention.id)).where(seen).scalar_subquery()
        advisors = connection.execute(_advisors(ids)).all()
        domain_rows = connection.execute(_action_sums(ids, today)).all()
        indicator_rows = connection.execute(_indicators(ids, today)).all()
        targets = connection.execute(_targets(ids)).all()
        bonus = connection.execute(_bonus(ids)).all()
        decisions = {key: count for key, count in connection.execute(_overdue(ids, today))}
    domains = _domains(domain_rows)
    statuses = _statuses(indicator_rows, targets, today)
    return {
        "conventions": _rows(conventions, advisors, domains, statuses, _bonus_by_convention(bonus, clock), decisions),
        "domains": pd.DataFrame(domains, columns=[*DOMAIN_COLUMNS, "late", "sums"]),
    }


# ------------------------------------------------------------------ the statements


def _advisors(ids: Any) -> Any:
    """(convention, user id, name) of the conseillers members of each convention."""
    name = func.coalesce(col(m.User.display_name), col(m.User.email))
    return (
        select(col(m.ConventionMember.convention_id), col(m.User.id), name)
        .join(m.User, col(m.User.id) == m.ConventionMember.user_id)
        .where(col(m.ConventionMember.convention_id).in_(ids), col(m.User.role) == Role.CONSEILLER)
        .order_by(name)
    )


def action_progress_sql() -> ColumnElement[Any]:
    """rules.actions.action_progress in SQL: réalisée 100, the stated avancement, else the
    status's default (none for abandoned and non renseignées actions)."""
    status, avancement = col(m.Action.status), col(m.Action.progress)
    by_status = [(status == code, literal(value)) for code, value in PROGRESS_BY_STATUS.items()]
    return case((status == ActionStatus.REALISEE, 100), (avancement.is_not(None), avancement), *by_status, else_=None)


def _expected_sql(today: date) -> ColumnElement[Any]:
    """rules.actions.expected_progress in SQL, a missing date being the convention's."""
    start = func.coalesce(col(m.Action.starts_on), col(m.Convention.starts_on))
    end = func.coalesce(col(m.Action.ends_on), col(m.Convention.ends_on))
    on = literal(today)
    elapsed = cast(days_between(start, on), Float) * 100.0 / cast(days_between(start, end), Float)
    return case((on >= end, 100.0), (on <= start, 0.0), else_=elapsed)


def _action_sums(ids: Any, today: date) -> Any:
    """Per convention and domain: actions, late ones, and the weighted sums of progress and
    expected progress over the actions that count (rules.actions.counts_in_rollup)."""
    progress = action_progress_sql()
    counts = and_(col(m.Action.status) != ActionStatus.ABANDONNEE, progress.is_not(None))
    weight = func.coalesce(col(m.Action.weight), 1)
    late = and_(
        col(m.Action.ends_on).is_not(None),
        col(m.Action.ends_on) < today,
        col(m.Action.status).not_in([str(s) for s in CLOSED]),
    )
    return (
        select(
            col(m.Action.convention_id),
            col(m.Action.domain_code),
            col(m.Domain.label),
            col(m.Domain.position),
            func.count(),
            func.sum(case((late, 1), else_=0)),
            # Read as floats: a Numeric (the poids's type) would be rounded to its two decimals.
            type_coerce(func.sum(case((counts, weight), else_=None)), Float),
            type_coerce(func.sum(case((counts, weight * progress), else_=None)), Float),
            type_coerce(func.sum(case((counts, weight * _expected_sql(today)), else_=None)), Float),
        )
        .join(m.Convention, col(m.Convention.id) == m.Action.convention_id)
        .join(m.Domain, col(m.Domain.code) == m.Action.domain_code)
        .where(col(m.Action.convention_id).in_(ids), col(m.Action.deleted_at).is_(None))
        .group_by(col(m.Action.convention_id), col(m.Action.domain_code), col(m.Domain.label), col(m.Domain.position))
    )


def _indicators(ids: Any, today: date) -> Any:
    """Every indicator with its current value (as queries.indicators: the latest result of the
    whole convention dated by today, not superseded): two correlated lookups per indicator on
    the partial index of current values (uq_measurements_current), never a scan of every
    measurement."""
    current = [
        col(m.Measurement.indicator_id) == m.Indicator.id,
        *_results(today),
        col(m.Measurement.insee_code).is_(None),
    ]
    latest = select(func.max(col(m.Measurement.measured_on))).where(*current).correlate(m.Indicator)
    # One current value per indicator and date: the latest row is the one of `last_on`.
    value = (
        select(col(m.Measurement.value))
        .where(*current)
        .order_by(col(m.Measurement.measured_on).desc())
        .limit(1)
        .correlate(m.Indicator)
    )
    return select(
        col(m.Indicator.id),
        col(m.Indicator.convention_id),
        col(m.Indicator.direction),
        col(m.Indicator.nature),
        col(m.Indicator.baseline_value),
        col(m.Indicator.baseline_date),
        col(m.Indicator.target_value),
        col(m.Indicator.target_date),
        col(m.Indicator.frequency),
        latest.scalar_subquery().label("last_on"),
        value.scalar_subquery().label("value"),
    ).where(col(m.Indicator.convention_id).in_(ids))


def _targets(ids: Any) -> Any:
    return (
        select(col(m.IndicatorTarget.indicator_id), col(m.IndicatorTarget.target_on), col(m.IndicatorTarget.value))
        .join(m.Indicator, col(m.Indicator.id) == m.IndicatorTarget.indicator_id)
        .where(col(m.Indicator.convention_id).in_(ids))
        .order_by(col(m.IndicatorTarget.target_on))
    )


def _bonus(ids: Any) -> Any:
    """Bonus territoire notified and paid, per convention and year (the stored figures)."""
    return (
        select(
            col(m.FundingLine.convention_id),
            col(m.FundingLine.year),
            func.sum(col(m.FundingLine.notified)),
            func.sum(col(m.FundingLine.paid)),
        )
        .where(col(m.FundingLine.convention_id).in_(ids), col(m.FundingLine.lever_code) == BONUS_LEVER)
        .group_by(col(m.FundingLine.convention_id), col(m.FundingLine.year))
    )


def _overdue(ids: Any, today: date) -> Any:
    """Open decisions whose due date has passed (as queries.meetings.overdue_decisions)."""
    return (
        select(col(m.Meeting.convention_id), func.count())
        .join(m.Decision, col(m.Decision.meeting_id) == m.Meeting.id)
        .where(
            col(m.Meeting.convention_id).in_(ids),
            col(m.Decision.status) == DecisionStatus.A_FAIRE,
            col(m.Decision.due_on) < today,
        )
        .group_by(col(m.Meeting.convention_id))
    )


# ------------------------------------------------------------------ folding the rows


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _domains(rows: Any) -> list[dict[str, Any]]:
    """One row per convention and domain: the rule's figures from the sums SQL added up."""
    points = float(settings.behind_schedule_points())
    entries = []
    for convention_id, code, label, position, actions, late, weight, weighted, expected in rows:
        sums = DomainFigures(_number(weight), _number(weighted), _number(expected))
        progress, due, behind = schedule(sums, points)
        entries.append(
            {
                "convention_id": convention_id,
                "domain_code": code,
                "domain": label,
                "position": position,
                "actions": int(actions),
                "late": int(late or 0),
                "sums": sums,  # added up for the whole convention
                "progress": progress,
                "expected": due,
                "behind": behind,
            }
        )
    # Plain rows, folded per convention below: a DataFrame group by per convention costs more
    # than the whole query for a thousand conventions.
    return sorted(entries, key=lambda entry: (entry["convention_id"], entry["position"]))


def _statuses(rows: Any, targets: Any, today: date) -> dict[int, dict[str, int]]:
    """Per convention, how many indicators have each status (rules.indicators.assess)."""
    by_indicator: defaultdict[int, list[tuple[date, float]]] = defaultdict(list)
    for indicator_id, target_on, value in targets:
        by_indicator[indicator_id].append((target_on, value))
    counts: defaultdict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(IndicatorStatus, 0))
    for row in rows:
        id_, convention_id, direction, nature, baseline, baseline_on, target, target_on, frequency, last_on, value = row
        facts = IndicatorFacts(
            direction,
            baseline,
            baseline_on,
            target,
            target_on,
            frequency,
            value,
            last_on if value is not None else None,
            nature,
            tuple(by_indicator.get(id_, ())),
        )
        counts[convention_id][assess(facts, today).status] += 1
    return counts


def _bonus_by_convention(rows: Any, clock: YearClock) -> dict[int, tuple[Decimal, Decimal, Decimal]]:
    """(notified, paid, notified but not paid in the years that are over) per convention."""
    found: dict[int, tuple[Decimal, Decimal, Decimal]] = {}
    zero = Decimal(0)
    for convention_id, year, notified, paid in rows:
        total_notified, total_paid, unpaid = found.get(convention_id, (zero, zero, zero))
        notified, paid = notified or zero, paid or zero
        if not clock.is_pending(year):
            unpaid += notified - paid
        found[convention_id] = (total_notified + notified, total_paid + paid, unpaid)
    return found


def _rows(
    conventions: Any,
    advisors: Any,
    domains: list[dict[str, Any]],
    statuses: dict[int, dict[str, int]],
    bonus: dict[int, tuple[Decimal, Decimal, Decimal]],
    decisions: dict[int, int],
) -> pd.DataFrame:
    names: defaultdict[int, list[str]] = defaultdict(list)
    advisor_ids: defaultdict[int, list[int]] = defaultdict(list)
    for convention_id, user_id, name in advisors:
        names[convention_id].append(name)
        advisor_ids[convention_id].append(user_id)
    points = float(settings.behind_schedule_points())
    by_convention: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for domain in domains:
        by_convention[domain["convention_id"]].append(domain)
    entries = []
    for convention_id, code, name, department, starts_on, ends_on in conventions:
        group = by_convention.get(convention_id, [])
        sums = DomainFigures.total([domain["sums"] for domain in group])
        progress, expected, behind = schedule(sums, points)
        behind_domains = [domain["domain"] for domain in group if domain["behind"]]
        counts = statuses.get(convention_id, dict.fromkeys(IndicatorStatus, 0))
        notified, paid, unpaid = bonus.get(convention_id, (None, None, None))
        late = sum(domain["late"] for domain in group)
        overdue = decisions.get(convention_id, 0)
        entries.append(
            {
                "id": convention_id,
                "code": code,
                "name": name,
                "department": department,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "advisors": names.get(convention_id, []),
                "advisor_ids": advisor_ids.get(convention_id, []),
                "actions": sum(domain["actions"] for domain in group),
                "progress": progress,
                "expected": expected,
                "behind": behind,
                "domains_behind": len(behind_domains),
                "late": late,
                **{f"status_{s}": counts[s] for s in IndicatorStatus},
                "indicators": sum(counts.values()),
                "bonus_notified": notified,
                "bonus_paid": paid,
                "bonus_unpaid": unpaid,
                "overdue_decisions": overdue,
                "alerts": convention_alerts(behind_domains, late, counts[IndicatorStatus.DECROCHE], overdue, unpaid),
            }
        )
    # By name, as people look a convention up (the code only breaks a tie).
    entries.sort(key=lambda entry: (entry["name"].casefold(), entry["code"]))
    return pd.DataFrame(entries, columns=CONVENTION_COLUMNS)


# ------------------------------------------------------------------ filters


def filtered(conventions: pd.DataFrame, department: str | None, advisor_id: int | None) -> pd.DataFrame:
    """The rows of one département and of one advisor (a conseiller member); None: all."""
    keep = pd.Series(True, index=conventions.index)
    if department is not None:
        keep &= conventions["department"] == department
    if advisor_id is not None:
        keep &= conventions["advisor_ids"].map(lambda ids: advisor_id in ids)
    return conventions[keep].reset_index(drop=True)


def department_choices(conventions: pd.DataFrame) -> list[str]:
    return sorted({d for d in conventions["department"] if isinstance(d, str) and d})


def advisor_choices(conventions: pd.DataFrame) -> dict[int, str]:
    """{user id: name} of the advisors of the conventions, by name."""
    found: dict[int, str] = {}
    for ids, names in zip(conventions["advisor_ids"], conventions["advisors"], strict=True):
        found.update(zip(ids, names, strict=True))
    return dict(sorted(found.items(), key=lambda item: (item[1].casefold(), item[0])))
