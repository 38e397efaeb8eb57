"""Who may write each row of an import: the capabilities of ctg_data.permissions that the forms
and the Référentiels page use, row by row. Only rows that change something are checked, so that
whoever may import may send back an export unchanged; and a convention the person may not see
is, for the import, a convention that does not exist.
"""

from typing import Any

from sqlmodel import Session, SQLModel

from ctg_data import models as m
from ctg_data.actors import Actor
from ctg_data.permissions import (
    PermissionDenied,
    require_write_action,
    require_write_activity,
    require_write_funding,
    require_write_measurement,
    require_write_meetings,
    require_write_plan,
    require_write_rates,
    require_write_referentials,
    visible_convention_ids,
)

# Shared referentials: only administrators add or change their rows (the lists of domains, types
# and levers included: every convention reads them). A row identical to the stored one is fine.
REFERENTIAL_SHEETS = (
    "domaines",
    "types_organisation",
    "types_equipement",
    "leviers",
    "organisations",
    "communes",
    "conventions",
)
# The steering cycle: whoever may write a convention's meetings (Capability.WRITE_MEETINGS).
MEETING_SHEETS = frozenset({"reunions", "participants", "decisions"})
FOLLOW_UP = {"status", "progress"}  # what an action's follow-up form changes


class Rights:
    def __init__(self, session: Session, actor: Actor):
        self.session, self.actor = session, actor
        # Who sees which convention is said once, by permissions (everyone's, for an administrator).
        self.visible: set[int] = visible_convention_ids(session, actor)

    def sees(self, convention_id: int) -> bool:
        return convention_id in self.visible

    def refusal(self, sheet: str, record: SQLModel | None, values: dict[str, Any], changed: set[str]) -> str | None:
        """The French refusal of writing this row (`record` None: creating it; `changed`: the
        attributes and links an update changes), or None when allowed."""
        try:
            self._require(sheet, record, values, changed)
        except PermissionDenied as denied:
            return str(denied)
        return None

    def _require(self, sheet: str, record: SQLModel | None, values: dict[str, Any], changed: set[str]) -> None:
        session, actor = self.session, self.actor
        if sheet in REFERENTIAL_SHEETS:
            require_write_referentials(actor)
        elif sheet == "bareme":
            require_write_rates(actor)
        elif sheet in MEETING_SHEETS:
            require_write_meetings(session, actor, values["convention_id"])
        elif sheet == "financements":
            require_write_funding(session, actor, values["convention_id"])
        elif sheet == "mesures":
            # The loader resolved the id from a row of the database: it exists.
            require_write_measurement(session, actor, session.get_one(m.Indicator, values["indicator_id"]))
        elif sheet == "activite":
            require_write_activity(session, actor, session.get_one(m.Facility, values["facility_id"]))
        elif sheet == "actions" and isinstance(record, m.Action) and changed <= FOLLOW_UP:  # an existing action
            require_write_action(session, actor, record)
        else:  # the plan: signatories, perimeter, orientations, actions, indicators, facilities, posts
            require_write_plan(session, actor, values["convention_id"])
