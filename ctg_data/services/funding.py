"""A funding line's planned, notified and paid amounts (and its comment).

CAF advisors and administrators write them (ctg_data.permissions). The form passes back the
version it read: a line saved by someone else meanwhile is refused with what they changed.
"""

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy import select as select_columns  # sqlmodel's select is typed for four columns at most
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from ctg_data import models as m
from ctg_data.actors import Actor
from ctg_data.audit import snapshot
from ctg_data.db import session_scope
from ctg_data.permissions import allowed, require_write_funding
from ctg_data.services.common import UPDATED
from ctg_data.store import load_for_update, opened_snapshot, refuse_if_stale, save
from ctg_data.validation import funding_input

KEEP = object()  # the comment argument left out: the line keeps its comment


@dataclass(frozen=True)
class FundingResult:
    changed: bool
    opened: dict[str, Any]

    @property
    def message(self) -> str:
        return "Montants enregistrés." if self.changed else "Rien n'a changé : rien n'a été enregistré."


def funding_lines_frame(engine: Engine, convention_id: int) -> pd.DataFrame:
    """The funding lines of a convention with what tells them apart, for the form's selector."""
    funder, beneficiary = aliased(m.Organisation), aliased(m.Organisation)
    FL = m.FundingLine
    query = (
        select_columns(
            col(FL.id),
            col(FL.year),
            col(m.FundingLever.label),
            col(funder.name),
            col(beneficiary.name),
            col(m.Facility.code),
            col(m.Action.code),
            col(m.CoordinationPost.code),
            col(FL.planned),
            col(FL.notified),
            col(FL.paid),
        )
        .join(m.FundingLever, col(m.FundingLever.code) == FL.lever_code)
        .join(funder, col(funder.id) == FL.funder_id)
        .join(beneficiary, col(beneficiary.id) == FL.beneficiary_id)
        .outerjoin(m.Facility, col(m.Facility.id) == FL.facility_id)
        .outerjoin(m.Action, col(m.Action.id) == FL.action_id)
        .outerjoin(m.CoordinationPost, col(m.CoordinationPost.id) == FL.post_id)
        .where(col(FL.convention_id) == convention_id)
        .order_by(col(FL.year), col(m.FundingLever.position), col(funder.name), col(beneficiary.name), col(FL.id))
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return pd.DataFrame(
        rows,
        columns=[
            "id",
            "year",
            "lever",
            "funder",
            "beneficiary",
            "facility",
            "action",
            "post",
            "planned",
            "notified",
            "paid",
        ],
    )


def funding_for_edit(engine: Engine, funding_line_id: int) -> dict[str, Any] | None:
    with Session(engine) as session:
        line = session.get(m.FundingLine, funding_line_id)
        return None if line is None else opened_snapshot(line)


def may_write_funding(engine: Engine, actor: Actor, convention_id: int) -> bool:
    with Session(engine) as session:
        return allowed(require_write_funding, session, actor, convention_id)


def update_funding(
    engine: Engine,
    actor: Actor,
    *,
    funding_line_id: int,
    expected_version: int,
    opened: dict[str, Any] | None,
    planned,
    notified,
    paid,
    comment=KEEP,
    override_reason=None,
) -> FundingResult:
    """Set the three amounts (blank = not known) and, when given, the comment of one line; paid
    beyond notified only with `override_reason` (kept in the audit)."""
    with session_scope(engine) as session:
        line = load_for_update(session, m.FundingLine, funding_line_id, "Ligne de financement", "ligne de financement")
        require_write_funding(session, actor, line.convention_id)
        data = funding_input(
            planned=planned,
            notified=notified,
            paid=paid,
            comment=line.comment if comment is KEEP else comment,
            override_reason=override_reason,
        )
        values = {"planned": data.planned, "notified": data.notified, "paid": data.paid, "comment": data.comment}
        if all(getattr(line, name) == value for name, value in values.items()):
            return FundingResult(False, opened_snapshot(line))
        what = f"Le financement n° {line.id}"
        refuse_if_stale(session, line, expected_version, opened, what)
        before = snapshot(line)
        for name, value in values.items():
            setattr(line, name, value)
        save(session, actor, line, before=before, operation=UPDATED, what=what, reason=data.override_reason)
        return FundingResult(True, opened_snapshot(line))
