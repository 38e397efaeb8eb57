"""Actions of a convention: the filtered table with computed progress and lateness, the
roll-ups by domain, the plan's own hierarchy (enjeu → objectif → fiche) rolled up at every
level, and one action's fiche."""

from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Connection, Engine, and_, exists, inspect, label, or_, select
from sqlalchemy.orm import Mapped, aliased
from sqlmodel import SQLModel, col

from ctg_data import models as m
from ctg_data import settings
from ctg_data.queries.filters import Filters
from ctg_data.rules.actions import (
    Timed,
    action_progress,
    expected_progress,
    expected_rollup,
    is_behind,
    is_late,
    is_unreported,
    rollup,
    subtrees,
)
from ctg_data.rules.plan import depth, parents_first
from ctg_data.vocabulary import ActionStatus

ACTION_COLUMNS = [
    "id",
    "code",
    "title",
    "domain_code",
    "domain",
    "domain_position",
    "orientation_code",
    "orientation",
    "status",
    "avancement",
    "weight",
    "priority",
    "starts_on",
    "ends_on",
    "pilot",
    "planned_budget",
]
# Read with each action (one join), for the expected progress of an action without dates.
CONVENTION_DATES = ["convention_starts_on", "convention_ends_on"]


def _filtered(filters: Filters) -> list[ColumnElement[bool]]:
    """The WHERE clauses of the shared filters, for actions."""
    clauses = [col(m.Action.convention_id) == filters.convention_id, col(m.Action.deleted_at).is_(None)]
    if filters.domain_code:
        clauses.append(col(m.Action.domain_code) == filters.domain_code)
    if filters.year:
        # Active during the year: started before its end and not ended before its start.
        starts_on, ends_on = col(m.Action.starts_on), col(m.Action.ends_on)
        clauses.append(or_(starts_on.is_(None), starts_on <= date(filters.year, 12, 31)))
        clauses.append(or_(ends_on.is_(None), ends_on >= date(filters.year, 1, 1)))
    if filters.insee_code:
        # An action with no commune listed concerns the whole territory.
        listed = exists().where(col(m.ActionCommune.action_id) == m.Action.id)
        here = exists().where(
            and_(col(m.ActionCommune.action_id) == m.Action.id, col(m.ActionCommune.insee_code) == filters.insee_code)
        )
        clauses.append(or_(~listed, here))
    return clauses


def _names_by_action(
    connection: Connection,
    link: type[m.ActionPartner | m.ActionCommune],
    named: type[SQLModel],
    name: Mapped[str],
    on: ColumnElement[bool],
    action_ids: list[int],
) -> dict[int, list[str]]:
    """Names linked to each action (partners, communes), in one query for all the actions."""
    found: dict[int, list[str]] = {}
    if not action_ids:
        return found
    linked_action = col(link.action_id)
    query = (
        select(linked_action, name).join(named, on).where(linked_action.in_(action_ids)).order_by(linked_action, name)
    )
    for action_id, value in connection.execute(query):
        found.setdefault(action_id, []).append(value)
    return found


def actions_frame(engine: Engine, filters: Filters, today: date) -> pd.DataFrame:
    """One row per action with progress (%), late flag and French status label."""
    pilot = aliased(m.Organisation, name="pilot")
    query = (
        select(
            col(m.Action.id),
            col(m.Action.code),
            col(m.Action.title),
            col(m.Action.domain_code),
            label("domain", col(m.Domain.label)),
            label("domain_position", col(m.Domain.position)),
            label("orientation_code", col(m.Orientation.code)),
            label("orientation", col(m.Orientation.title)),
            col(m.Action.status),
            label("avancement", col(m.Action.progress)),
            col(m.Action.weight),
            col(m.Action.priority),
            col(m.Action.starts_on),
            col(m.Action.ends_on),
            label("pilot", col(pilot.name)),
            col(m.Action.planned_budget),
            label("convention_starts_on", col(m.Convention.starts_on)),
            label("convention_ends_on", col(m.Convention.ends_on)),
        )
        .join(m.Domain, col(m.Domain.code) == m.Action.domain_code)
        .join(pilot, col(pilot.id) == m.Action.pilot_id)
        .join(m.Convention, col(m.Convention.id) == m.Action.convention_id)
        .outerjoin(m.Orientation, col(m.Orientation.id) == m.Action.orientation_id)
        .where(*_filtered(filters))
        .order_by(col(m.Domain.position), col(m.Action.code))
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
        ids = [row.id for row in rows]
        partners = _names_by_action(
            connection,
            m.ActionPartner,
            m.Organisation,
            col(m.Organisation.name),
            col(m.Organisation.id) == m.ActionPartner.organisation_id,
            ids,
        )
        communes = _names_by_action(
            connection,
            m.ActionCommune,
            m.Commune,
            col(m.Commune.name),
            col(m.Commune.insee_code) == m.ActionCommune.insee_code,
            ids,
        )
        copilots = _copilots(connection, ids)
    frame = pd.DataFrame(rows, columns=[*ACTION_COLUMNS, *CONVENTION_DATES]).drop(columns=CONVENTION_DATES)
    # Lists, not joined text: a name may itself contain a comma.
    frame["partners"] = [partners.get(i, []) for i in ids]
    frame["communes"] = [communes.get(i, []) for i in ids]
    frame["copilots"] = [copilots.get(i, []) for i in ids]
    # Lead first, then the co-pilots in their order: what "piloted by" means for a filter.
    frame["pilots"] = [[row.pilot, *copilots.get(row.id, [])] for row in rows]
    # Rules run on the raw rows: pandas would turn a missing avancement into NaN.
    frame["progress"] = pd.array([action_progress(r.status, r.avancement) for r in rows], dtype="Int64")
    frame["late"] = [is_late(r.status, r.ends_on, today) for r in rows]
    frame["status_label"] = [ActionStatus.label_of(r.status) for r in rows]
    frame["unreported"] = [is_unreported(r.status, r.avancement) for r in rows]
    frame["expected"] = pd.array(
        [expected_progress(r.starts_on, r.ends_on, today, r.convention_starts_on, r.convention_ends_on) for r in rows],
        dtype="Float64",
    )
    return frame


def _copilots(connection: Connection, action_ids: list[int]) -> dict[int, list[str]]:
    """The co-pilots' names of each action, in their order (after the lead), in one query."""
    found: dict[int, list[str]] = {}
    if not action_ids:
        return found
    action = col(m.ActionCopilot.action_id)
    query = (
        select(action, col(m.Organisation.name))
        .join(m.Organisation, col(m.Organisation.id) == m.ActionCopilot.organisation_id)
        .where(action.in_(action_ids))
        .order_by(action, col(m.ActionCopilot.position))
    )
    for action_id, name in connection.execute(query):
        found.setdefault(action_id, []).append(name)
    return found


# ------------------------------------------------------------------ the plan's hierarchy

PLAN_COLUMNS = [
    "kind",  # "orientation", or "action" (a fiche), or "none" (the actions outside any orientation)
    "level",  # 1 for an enjeu, 2 for an objectif… ; an action is one level below its orientation
    "code",
    "title",
    "parent",  # the parent orientation's code (an action's: its orientation's)
    "domain",
    "progress",  # rolled up over the node's whole subtree; None: no action that counts ("—")
    "expected",  # the expected progress at today's date, over the same actions
    "behind",  # « en retard sur le calendrier » (never for a fiche: the rule reads levels)
    "actions",
    "unreported",
    "late",
    "status_label",
    "pilots",
]
NO_ORIENTATION = "Actions hors orientation"


def plan_frame(engine: Engine, filters: Filters, today: date) -> pd.DataFrame:
    """The plan as its own hierarchy, in reading order: each orientation (enjeu, then its
    objectifs…) followed by its fiches actions, with the progress rolled up over its whole
    subtree (rules.actions.tree_rollup), then the actions attached to no orientation. Two
    queries for the whole tree: the orientations and the actions (actions_frame). With a domain
    filter, only the branches that hold an action of the domain or are of the domain."""
    actions = actions_frame(engine, filters, today)
    parent = aliased(m.Orientation, name="parent")
    query = (
        select(
            col(m.Orientation.code),
            col(m.Orientation.title),
            label("parent", col(parent.code)),
            label("domain", col(m.Domain.label)),
            label("domain_code", col(m.Orientation.domain_code)),
        )
        .outerjoin(parent, col(parent.id) == m.Orientation.parent_id)
        .outerjoin(m.Domain, col(m.Domain.code) == m.Orientation.domain_code)
        .where(col(m.Orientation.convention_id) == filters.convention_id)
        .order_by(col(m.Orientation.code))
    )
    with engine.connect() as connection:
        orientations = {row.code: row for row in connection.execute(query)}
    parents = {code: row.parent for code, row in orientations.items()}
    below = subtrees(parents, zip(actions["orientation_code"], _timed(actions), strict=True))
    points = float(settings.behind_schedule_points())
    counts = _subtree_counts(parents, actions)
    rows: list[dict[str, Any]] = []
    by_orientation = {code: group for code, group in actions.groupby("orientation_code", sort=False)}
    for code in parents_first(orientations, parents):
        count = counts.get(code, (0, 0, 0))
        if filters.domain_code and not count[0] and orientations[code].domain_code != filters.domain_code:
            continue
        level = depth(code, parents)
        row = orientations[code]
        figures = _figures(below[code], points)
        rows.append(_plan_row("orientation", level, code, row.title, row.parent, row.domain, figures, count))
        if code in by_orientation:
            rows += _action_rows(by_orientation[code], level + 1, code)
    loose = actions[actions["orientation_code"].isna()]
    if not loose.empty:
        count = (len(loose), int(loose["unreported"].sum()), int(loose["late"].sum()))
        figures = _figures(_timed(loose), points)
        rows.append(_plan_row("none", 1, None, NO_ORIENTATION, None, None, figures, count))
        rows += _action_rows(loose, 2, None)
    return pd.DataFrame(rows, columns=PLAN_COLUMNS)


def _triples(actions: pd.DataFrame) -> list[tuple[str, int | None, Decimal]]:
    """(status, avancement, poids) of each action, as the roll-up rules take them."""
    return [
        (status, None if pd.isna(avancement) else int(avancement), weight)
        for status, avancement, weight in zip(actions["status"], actions["avancement"], actions["weight"], strict=True)
    ]


def _timed(actions: pd.DataFrame) -> list[Timed]:
    """(triple, expected progress) of each action, as the expected roll-up takes them."""
    return list(zip(_triples(actions), (float(e) for e in actions["expected"]), strict=True))


def _figures(timed: list[Timed], points: float) -> tuple[float | None, float | None, bool]:
    """(progress, expected progress, behind) of a set of actions."""
    progress = rollup(triple for triple, _ in timed)
    expected = expected_rollup(timed)
    return progress, expected, is_behind(progress, expected, points)


def _subtree_counts(parents: dict[str, str | None], actions: pd.DataFrame) -> dict[str, tuple[int, int, int]]:
    """(actions, non renseignées, late) over each orientation's whole subtree."""
    counts: dict[str, list[int]] = {code: [0, 0, 0] for code in parents}
    for code, unreported, late in zip(actions["orientation_code"], actions["unreported"], actions["late"], strict=True):
        seen: set[str] = set()
        while code is not None and code in counts and code not in seen:
            seen.add(code)
            counts[code][0] += 1
            counts[code][1] += int(unreported)
            counts[code][2] += int(late)
            code = parents.get(code)
    return {code: (a, u, late) for code, (a, u, late) in counts.items()}


def _plan_row(
    kind: str,
    level: int,
    code: str | None,
    title: str,
    parent: str | None,
    domain: str | None,
    figures: tuple[float | None, float | None, bool],
    counts: tuple[int, int, int],
) -> dict[str, Any]:
    actions, unreported, late = counts
    progress, expected, behind = figures
    return {
        "kind": kind,
        "level": level,
        "code": code,
        "title": title,
        "parent": parent,
        "domain": domain,
        "progress": progress,
        "expected": expected,
        "behind": behind,
        "actions": actions,
        "unreported": unreported,
        "late": late,
        "status_label": None,
        "pilots": [],
    }


def _action_rows(actions: pd.DataFrame, level: int, orientation: str | None) -> list[dict[str, Any]]:
    return [
        {
            "kind": "action",
            "level": level,
            "code": action.code,
            "title": action.title,
            "parent": orientation,
            "domain": action.domain,
            "progress": None if pd.isna(action.progress) else float(action.progress),
            "expected": float(action.expected),
            "behind": None,
            "actions": 1,
            "unreported": int(action.unreported),
            "late": int(action.late),
            "status_label": action.status_label,
            "pilots": action.pilots,
        }
        for action in actions.itertuples()
    ]


def schedule_by(frame: pd.DataFrame, column: str, points: float) -> dict[str, tuple[float | None, float | None, bool]]:
    """(progress, expected progress, behind) per value of `column`, from the loaded actions."""
    return {key: _figures(_timed(group), points) for key, group in frame.groupby(column, sort=False)}


def schedule_of(frame: pd.DataFrame, points: float) -> tuple[float | None, float | None, bool]:
    """(progress, expected progress, behind) of all the actions of `frame` (the convention)."""
    return _figures(_timed(frame), points)


def action_fiche(engine: Engine, action_id: int) -> dict[str, Any] | None:
    """Everything about one action: fields, partners, communes, notes, indicators, funding."""
    with engine.connect() as connection:
        row = connection.execute(
            select(
                m.Action,
                label("domain", col(m.Domain.label)),
                label("orientation_code", col(m.Orientation.code)),
                label("orientation", col(m.Orientation.title)),
                label("pilot", col(m.Organisation.name)),
            )
            .join(m.Domain, col(m.Domain.code) == m.Action.domain_code)
            .join(m.Organisation, col(m.Organisation.id) == m.Action.pilot_id)
            .outerjoin(m.Orientation, col(m.Orientation.id) == m.Action.orientation_id)
            .where(col(m.Action.id) == action_id, col(m.Action.deleted_at).is_(None))
        ).first()
        if row is None:
            return None
        fiche = dict(row._mapping)
        fiche.update({column.name: getattr(row, column.name) for column in inspect(m.Action).columns})
        fiche["partners"] = (
            connection.execute(
                select(col(m.Organisation.name))
                .join(m.ActionPartner, col(m.ActionPartner.organisation_id) == m.Organisation.id)
                .where(col(m.ActionPartner.action_id) == action_id)
                .order_by(col(m.Organisation.name))
            )
            .scalars()
            .all()
        )
        fiche["copilots"] = _copilots(connection, [action_id]).get(action_id, [])
        fiche["communes"] = (
            connection.execute(
                select(col(m.Commune.name))
                .join(m.ActionCommune, col(m.ActionCommune.insee_code) == m.Commune.insee_code)
                .where(col(m.ActionCommune.action_id) == action_id)
                .order_by(col(m.Commune.name))
            )
            .scalars()
            .all()
        )
        fiche["notes"] = pd.DataFrame(
            connection.execute(
                select(col(m.ActionNote.noted_on), col(m.ActionNote.text), col(m.ActionNote.author))
                .where(col(m.ActionNote.action_id) == action_id)
                .order_by(col(m.ActionNote.noted_on).desc())
            ).all(),
            columns=["noted_on", "text", "author"],
        )
        funder = aliased(m.Organisation, name="funder")
        beneficiary = aliased(m.Organisation, name="beneficiary")
        fiche["funding"] = pd.DataFrame(
            connection.execute(
                select(
                    col(m.FundingLever.label),
                    col(m.FundingLine.year),
                    col(funder.name),
                    col(beneficiary.name),
                    col(m.FundingLine.planned),
                    col(m.FundingLine.notified),
                    col(m.FundingLine.paid),
                )
                .join(m.FundingLever, col(m.FundingLever.code) == m.FundingLine.lever_code)
                .join(funder, col(funder.id) == m.FundingLine.funder_id)
                .join(beneficiary, col(beneficiary.id) == m.FundingLine.beneficiary_id)
                .where(col(m.FundingLine.action_id) == action_id)
                .order_by(col(m.FundingLine.year), col(m.FundingLever.position))
            ).all(),
            columns=["lever", "year", "funder", "beneficiary", "planned", "notified", "paid"],
        )
    return fiche
