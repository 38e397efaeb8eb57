"""Actions of a convention: the filtered table with computed progress and lateness, the
roll-ups by domain, and one action's fiche."""

from datetime import date

import pandas as pd
from sqlalchemy import Engine, and_, exists, or_, select

from ctg_data import models as m
from ctg_data.queries.filters import Filters
from ctg_data.rules.actions import action_progress, is_late, rollup
from ctg_data.vocabulary import ACTION_STATUS_LABELS, ActionStatus

ACTION_COLUMNS = ["id", "code", "title", "domain_code", "domain", "domain_position", "orientation_code",
                  "orientation", "status", "avancement", "weight", "priority", "starts_on", "ends_on",
                  "pilot", "planned_budget"]


def _filtered(filters: Filters):
    """The WHERE clauses of the shared filters, for actions."""
    clauses = [m.Action.convention_id == filters.convention_id, m.Action.deleted_at.is_(None)]
    if filters.domain_code:
        clauses.append(m.Action.domain_code == filters.domain_code)
    if filters.year:
        # Active during the year: started before its end and not ended before its start.
        clauses.append(or_(m.Action.starts_on.is_(None), m.Action.starts_on <= date(filters.year, 12, 31)))
        clauses.append(or_(m.Action.ends_on.is_(None), m.Action.ends_on >= date(filters.year, 1, 1)))
    if filters.insee_code:
        # An action with no commune listed concerns the whole territory.
        listed = exists().where(m.ActionCommune.action_id == m.Action.id)
        here = exists().where(and_(m.ActionCommune.action_id == m.Action.id,
                                   m.ActionCommune.insee_code == filters.insee_code))
        clauses.append(or_(~listed, here))
    return clauses


def _names_by_action(connection, link, name, on, action_ids) -> dict[int, list[str]]:
    """Names linked to each action (partners, communes), in one query for all the actions."""
    found: dict[int, list[str]] = {}
    if not action_ids:
        return found
    query = (select(link.action_id, name).join(name.table, on)
             .where(link.action_id.in_(action_ids)).order_by(link.action_id, name))
    for action_id, value in connection.execute(query):
        found.setdefault(action_id, []).append(value)
    return found


def actions_frame(engine: Engine, filters: Filters, today: date) -> pd.DataFrame:
    """One row per action with progress (%), late flag and French status label."""
    pilot = m.Organisation.__table__.alias("pilot")
    query = (
        select(m.Action.id, m.Action.code, m.Action.title, m.Action.domain_code,
               m.Domain.label.label("domain"), m.Domain.position.label("domain_position"),
               m.Orientation.code.label("orientation_code"), m.Orientation.title.label("orientation"),
               m.Action.status, m.Action.progress.label("avancement"), m.Action.weight, m.Action.priority,
               m.Action.starts_on, m.Action.ends_on, pilot.c.name.label("pilot"),
               m.Action.planned_budget)
        .join(m.Domain, m.Domain.code == m.Action.domain_code)
        .join(pilot, pilot.c.id == m.Action.pilot_id)
        .outerjoin(m.Orientation, m.Orientation.id == m.Action.orientation_id)
        .where(*_filtered(filters))
        .order_by(m.Domain.position, m.Action.code)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
        ids = [row.id for row in rows]
        partners = _names_by_action(connection, m.ActionPartner, m.Organisation.name,
                                    m.Organisation.id == m.ActionPartner.organisation_id, ids)
        communes = _names_by_action(connection, m.ActionCommune, m.Commune.name,
                                    m.Commune.insee_code == m.ActionCommune.insee_code, ids)
    frame = pd.DataFrame(rows, columns=ACTION_COLUMNS)
    # Lists, not joined text: a name may itself contain a comma.
    frame["partners"] = [partners.get(i, []) for i in ids]
    frame["communes"] = [communes.get(i, []) for i in ids]
    # Rules run on the raw rows: pandas would turn a missing avancement into NaN.
    frame["progress"] = pd.array([action_progress(r.status, r.avancement) for r in rows], dtype="Int64")
    frame["late"] = [is_late(r.status, r.ends_on, today) for r in rows]
    frame["status_label"] = [ACTION_STATUS_LABELS[ActionStatus(r.status)] for r in rows]
    return frame


def rollup_by(frame: pd.DataFrame, column: str) -> dict:
    """Weighted progress per value of `column` (e.g. domain_code); None where nothing counts."""
    def triples(group):
        for status, progress, weight in zip(group["status"], group["progress"], group["weight"], strict=True):
            yield status, None if pd.isna(progress) else int(progress), weight

    return {key: rollup(triples(group)) for key, group in frame.groupby(column, sort=False)}


def action_fiche(engine: Engine, action_id: int) -> dict | None:
    """Everything about one action: fields, partners, communes, notes, indicators, funding."""
    with engine.connect() as connection:
        row = connection.execute(
            select(m.Action, m.Domain.label.label("domain"), m.Orientation.code.label("orientation_code"),
                   m.Orientation.title.label("orientation"), m.Organisation.name.label("pilot"))
            .join(m.Domain, m.Domain.code == m.Action.domain_code)
            .join(m.Organisation, m.Organisation.id == m.Action.pilot_id)
            .outerjoin(m.Orientation, m.Orientation.id == m.Action.orientation_id)
            .where(m.Action.id == action_id, m.Action.deleted_at.is_(None))
        ).first()
        if row is None:
            return None
        fiche = dict(row._mapping)
        fiche.update({column.name: getattr(row, column.name) for column in m.Action.__table__.columns})
        fiche["partners"] = connection.execute(
            select(m.Organisation.name).join(m.ActionPartner, m.ActionPartner.organisation_id == m.Organisation.id)
            .where(m.ActionPartner.action_id == action_id).order_by(m.Organisation.name)).scalars().all()
        fiche["communes"] = connection.execute(
            select(m.Commune.name).join(m.ActionCommune, m.ActionCommune.insee_code == m.Commune.insee_code)
            .where(m.ActionCommune.action_id == action_id).order_by(m.Commune.name)).scalars().all()
        fiche["notes"] = pd.DataFrame(connection.execute(
            select(m.ActionNote.noted_on, m.ActionNote.text, m.ActionNote.author)
            .where(m.ActionNote.action_id == action_id).order_by(m.ActionNote.noted_on.desc())).all(),
            columns=["noted_on", "text", "author"])
        funder = m.Organisation.__table__.alias("funder")
        beneficiary = m.Organisation.__table__.alias("beneficiary")
        fiche["funding"] = pd.DataFrame(connection.execute(
            select(m.FundingLever.label, m.FundingLine.year, funder.c.name, beneficiary.c.name,
                   m.FundingLine.planned, m.FundingLine.notified, m.FundingLine.paid)
            .join(m.FundingLever, m.FundingLever.code == m.FundingLine.lever_code)
            .join(funder, funder.c.id == m.FundingLine.funder_id)
            .join(beneficiary, beneficiary.c.id == m.FundingLine.beneficiary_id)
            .where(m.FundingLine.action_id == action_id)
            .order_by(m.FundingLine.year, m.FundingLever.position)).all(),
            columns=["lever", "year", "funder", "beneficiary", "planned", "notified", "paid"])
    return fiche
