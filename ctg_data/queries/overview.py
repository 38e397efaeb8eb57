"""The steering summary: where each domain stands, money by lever, and what changed lately."""

import json
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlmodel import col

from ctg_data import models as m
from ctg_data import settings
from ctg_data.formats import smart_number
from ctg_data.queries.actions import actions_frame, schedule_by, schedule_of
from ctg_data.queries.filters import Filters
from ctg_data.queries.indicators import indicators_frame
from ctg_data.queries.referentials import convention_domains
from ctg_data.rules.indicators import IndicatorStatus, domain_attainment, shown_value, steps_of
from ctg_data.vocabulary import ActionStatus


def steering_summary(engine: Engine, filters: Filters, today: date) -> dict[str, pd.DataFrame]:
    """Everything the overview and the domain page show, from two small per-convention queries:
    per domain and for the whole convention (`convention`, one row), progress, expected progress
    at `today` and whether it is « en retard sur le calendrier »."""
    actions = actions_frame(engine, filters, today)
    indicators = indicators_frame(engine, filters, today)
    points = float(settings.behind_schedule_points())
    schedule = schedule_by(actions, "domain_code", points) if not actions.empty else {}
    rows = []
    for code, entry in convention_domains(engine, filters.convention_id).items():
        label, position, colour = entry.label, entry.position, entry.colour
        if filters.domain_code and code != filters.domain_code:
            continue
        domain_actions = actions[actions["domain_code"] == code]
        domain_indicators = indicators[indicators["domain_code"] == code]
        statuses = domain_indicators["status"].value_counts()
        progress, expected, behind = schedule.get(code, (None, None, False))
        rows.append(
            {
                "domain_code": code,
                "domain": label,
                "position": position,
                "colour": colour,
                "actions": len(domain_actions),
                "progress": progress,
                "expected": expected,
                "behind": behind,
                "late": int(domain_actions["late"].sum()),
                "done": int((domain_actions["status"] == ActionStatus.REALISEE).sum()),
                # Non renseignées without avancement: left out of `progress`, counted apart.
                "unreported": int(domain_actions["unreported"].sum()) if not domain_actions.empty else 0,
                "indicators": len(domain_indicators),
                "attainment": domain_attainment(
                    a for a in domain_indicators["attainment"] if a is not None and not pd.isna(a)
                ),
                **{f"status_{s}": int(statuses.get(s, 0)) for s in IndicatorStatus},
            }
        )
    progress, expected, behind = schedule_of(actions, points)
    convention = pd.DataFrame([{"progress": progress, "expected": expected, "behind": behind}])
    return {"actions": actions, "indicators": indicators, "domains": pd.DataFrame(rows), "convention": convention}


def orientations_frame(engine: Engine, convention_id: int, domain_code: str) -> pd.DataFrame:
    """A domain's orientations, including those that have no action yet."""
    query = (
        select(col(m.Orientation.code), col(m.Orientation.title))
        .where(col(m.Orientation.convention_id) == convention_id, col(m.Orientation.domain_code) == domain_code)
        .order_by(col(m.Orientation.code))
    )
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).all(), columns=["code", "title"])


def status_counts(actions: pd.DataFrame) -> dict[ActionStatus, int]:
    """How many actions have each status, keyed by code (every status, in declaration order)."""
    counts = actions["status"].value_counts()
    return {status: int(counts.get(status, 0)) for status in ActionStatus}


def action_status_counts(actions: pd.DataFrame) -> dict[str, int]:
    """The same counts keyed by French label, for display only: never look a status up here."""
    return {status.label: count for status, count in status_counts(actions).items()}


def done_share(actions: pd.DataFrame) -> float | None:
    """Réalisées among the actions not abandoned; None when there is none to count."""
    counts = status_counts(actions)
    counted = len(actions) - counts[ActionStatus.ABANDONNEE]
    return counts[ActionStatus.REALISEE] / counted if counted else None


def lever_totals(engine: Engine, filters: Filters) -> pd.DataFrame:
    """Planned, notified and paid per lever, summed in SQL for the convention (and year)."""
    clauses = [col(m.FundingLine.convention_id) == filters.convention_id]
    if filters.year:
        clauses.append(col(m.FundingLine.year) == filters.year)
    if filters.domain_code:
        clauses.append(col(m.FundingLine.domain_code) == filters.domain_code)
    query = (
        select(
            col(m.FundingLever.label),
            func.sum(col(m.FundingLine.planned)),
            func.sum(col(m.FundingLine.notified)),
            func.sum(col(m.FundingLine.paid)),
        )
        .join(m.FundingLever, col(m.FundingLever.code) == m.FundingLine.lever_code)
        .where(*clauses)
        .group_by(col(m.FundingLever.label), col(m.FundingLever.position))
        .order_by(col(m.FundingLever.position))
    )
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).all(), columns=["lever", "planned", "notified", "paid"])


def _measured(name: str, value: float, unit: str, nature: str, steps: str | None, commune: str | None) -> str:
    """« Indicateur (commune) : valeur unité », a step indicator's value read as its step."""
    where = f" ({commune})" if commune else ""
    ordered = steps_of(nature, steps)
    shown = shown_value(value, ordered) if ordered else f"{smart_number(value)} {unit}".strip()
    return f"{name}{where} : {shown}"


def recent_changes(engine: Engine, convention_id: int, limit: int = 10) -> pd.DataFrame:
    """The latest measurements and action status changes, by the date each one is about (a
    value of 31 December entered in March reads among December's), newest first."""
    with engine.connect() as connection:
        measures = connection.execute(
            select(
                col(m.Measurement.recorded_at),
                col(m.Measurement.measured_on),
                col(m.Indicator.name),
                col(m.Measurement.value),
                col(m.Indicator.unit),
                col(m.Indicator.nature),
                col(m.Indicator.steps),
                col(m.Commune.name),
            )
            .join(m.Indicator, col(m.Indicator.id) == m.Measurement.indicator_id)
            .outerjoin(m.Commune, col(m.Commune.insee_code) == m.Measurement.insee_code)
            .where(col(m.Indicator.convention_id) == convention_id, col(m.Measurement.superseded_at).is_(None))
            .order_by(col(m.Measurement.measured_on).desc(), col(m.Measurement.recorded_at).desc())
            .limit(limit)
        ).all()
        # Status changes are read from the audit trail, the only place that knows the before: the
        # convention's latest action events, read backwards from the index (convention_id,
        # table_name, id) however long the trail of other records grows.
        events = connection.execute(
            select(
                col(m.AuditEvent.at), col(m.AuditEvent.before), col(m.AuditEvent.after), col(m.AuditEvent.record_key)
            )
            .where(
                col(m.AuditEvent.convention_id) == convention_id,
                col(m.AuditEvent.table_name) == "actions",
                col(m.AuditEvent.before).is_not(None),
            )
            .order_by(col(m.AuditEvent.id).desc())
            .limit(200)
        ).all()
        titles = dict(
            connection.execute(
                select(col(m.Action.id), col(m.Action.title)).where(col(m.Action.convention_id) == convention_id)
            ).all()
        )
    rows = [
        {"at": at, "date": measured_on, "kind": "Mesure", "what": _measured(name, value, unit, nature, steps, commune)}
        for at, measured_on, name, value, unit, nature, steps, commune in measures
    ]
    for at, before, after, key in events:
        old, new, title = _status(before), _status(after), titles.get(int(key))
        if old != new and title is not None:  # an action deleted since is not told
            rows.append(
                {
                    "at": at,
                    "date": at.date() if hasattr(at, "date") else at,
                    "kind": "Statut d'action",
                    "what": f"{title} : {ActionStatus.label_of(old)} → {ActionStatus.label_of(new)}",
                }
            )
    frame = pd.DataFrame(rows, columns=["at", "date", "kind", "what"])
    return frame.sort_values(["date", "at"], ascending=False).head(limit).reset_index(drop=True)


def _status(snapshot: str | None) -> Any:
    """The status an audit snapshot (JSON text, any value as stored) records; None without one."""
    return json.loads(snapshot).get("status") if snapshot is not None else None
