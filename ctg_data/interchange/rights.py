"""Who may write each row of an import: the capabilities of ctg_data.permissions that the forms
and the Référentiels page use, for every row, in a few queries for the whole file (not per row).
Only rows that change something are checked, so that whoever may import may send back an export
unchanged; and a convention the person may not see
is, for the import, a convention that does not exist.
"""

from typing import Any

from sqlmodel import Session, SQLModel, col, select

from ctg_data import models as m
from ctg_data.actors import Actor
from ctg_data.permissions import (
    Capability,
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
    writable_anywhere,
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


# Rows whose right depends on the person's organisation (the form's per-row rule): checked
# against the ids of every row the person may write, read once per import.
PER_ROW: dict[str, tuple[Capability, type[m.Indicator | m.Facility | m.Action], str]] = {
    "mesures": (Capability.WRITE_MEASUREMENTS, m.Indicator, "indicator_id"),
    "activite": (Capability.WRITE_ACTIVITY, m.Facility, "facility_id"),
}


class Rights:
    def __init__(self, session: Session, actor: Actor):
        self.session, self.actor = session, actor
        # Who sees which convention is said once, by permissions (everyone's, for an administrator).
        self.visible: set[int] = visible_convention_ids(session, actor)
        # No check per row (a national file has a million): a right that depends on the role
        # and on whether the convention is seen is decided once; a per-row right (the
        # organisation's rows) is looked up in the ids the person may write, read once, and a
        # refusal asked once per sheet. Only a row this very import created gets its own check.
        self._decided: dict[tuple[str, object], str | None] = {}
        self._writable: dict[Capability, frozenset[int]] = {}
        self._conventions: dict[type, dict[int, int]] = {}

    def sees(self, convention_id: int) -> bool:
        return convention_id in self.visible

    def refusal(self, sheet: str, record: SQLModel | None, values: dict[str, Any], changed: set[str]) -> str | None:
        """The French refusal of writing this row (`record` None: creating it; `changed`: the
        attributes and links an update changes), or None when allowed."""
        if sheet in PER_ROW:
            capability, model, key = PER_ROW[sheet]
            if self._may_write(capability, model, values[key]):
                return None
            # Refused: why depends only on whether the convention is seen (then the role, or
            # not the organisation's row: one sentence per sheet), so it is asked once.
            convention_id = self._convention_of(model, values[key])
            if convention_id is not None:
                return self._decide((sheet, self._seen(convention_id)), sheet, record, values, changed)
        elif sheet == "actions" and isinstance(record, m.Action) and changed <= FOLLOW_UP:
            if self._may_write(Capability.WRITE_FOLLOW_UP, m.Action, record.id):
                return None
            return self._decide(("actions", self._seen(record.convention_id)), sheet, record, values, changed)
        else:  # decided by the role and whether the convention is seen, for the whole sheet
            scope = _scope(sheet)
            seen = None if scope in ("referentials", "rates") else self._seen(values["convention_id"])
            return self._decide((scope, seen), sheet, record, values, changed)
        return self._checked(sheet, record, values, changed)

    def _seen(self, convention_id: int) -> object:
        """What a decision on a convention depends on: seen (one answer for all of them), or,
        for a convention not in `visible` (perhaps created by this import), that convention."""
        return True if convention_id in self.visible else convention_id

    def _decide(
        self, decision: tuple[str, object], sheet: str, record: SQLModel | None, values: dict[str, Any], changed: Any
    ) -> str | None:
        if decision not in self._decided:
            self._decided[decision] = self._checked(sheet, record, values, changed)
        return self._decided[decision]

    def _may_write(self, capability: Capability, model: type[m.Indicator | m.Facility | m.Action], id_: Any) -> bool:
        if capability not in self._writable:
            self._writable[capability] = writable_anywhere(self.session, self.actor, capability, model)
        return id_ in self._writable[capability]

    def _convention_of(self, model: type[m.Indicator | m.Facility | m.Action], id_: Any) -> int | None:
        """The convention of a stored row (None: created by this import), all read in one query."""
        if model not in self._conventions:
            self._conventions[model] = dict(
                self.session.exec(select(col(model.id), col(model.convention_id))).all()  # type: ignore[arg-type]
            )
        return self._conventions[model].get(id_)

    def _checked(self, sheet: str, record: SQLModel | None, values: dict[str, Any], changed: set[str]) -> str | None:
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


def _scope(sheet: str) -> str:
    """Which of _require's rules that depend on the convention only (or on nobody's) a sheet follows."""
    if sheet in REFERENTIAL_SHEETS:
        return "referentials"
    if sheet == "bareme":
        return "rates"
    if sheet in MEETING_SHEETS:
        return "meetings"
    if sheet == "financements":
        return "funding"
    return "plan"
