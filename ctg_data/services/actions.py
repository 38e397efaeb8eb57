"""Action follow-up: status, avancement and a dated note; a change of dates with its reason.

Edits carry the version the form read (`expected_version`) and the snapshot it was built from
(`opened`): a stale edit is refused with what the other person changed.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from ctg_data import formats as fmt
from ctg_data import models as m
from ctg_data.actors import Actor
from ctg_data.audit import snapshot
from ctg_data.db import session_scope
from ctg_data.errors import ValidationError
from ctg_data.permissions import Capability, require_write_action, writable_ids
from ctg_data.queries.filters import today
from ctg_data.services.common import DATES, NOTE, UPDATED
from ctg_data.store import load_for_update, opened_snapshot, refuse_if_stale, save
from ctg_data.validation import dates_input, followup_input


@dataclass(frozen=True)
class ActionResult:
    changed: bool
    note_id: int | None
    opened: dict[str, Any]  # the action as saved: the snapshot the next edit starts from

    @property
    def message(self) -> str:
        if not self.changed and self.note_id is None:
            return "Rien n'a changé : rien n'a été enregistré."
        return "Enregistré."


def action_for_edit(engine: Engine, action_id: int) -> dict[str, Any] | None:
    """The snapshot (with version) a follow-up form is built from."""
    with Session(engine) as session:
        action = session.get(m.Action, action_id)
        return None if action is None or action.deleted_at is not None else opened_snapshot(action)


def writable_action_ids(engine: Engine, actor: Actor, convention_id: int) -> frozenset[int]:
    """The (not deleted) actions of a convention whose follow-up `actor` may write."""
    with Session(engine) as session:
        return writable_ids(session, actor, Capability.WRITE_FOLLOW_UP, m.Action, convention_id)


def _action(session: Session, action_id: int) -> m.Action:
    action = load_for_update(session, m.Action, action_id, "Action", "action")
    if action.deleted_at is not None:
        raise ValidationError({"Action": f"l'action {action.code} a été supprimée"})
    return action


def _what(action: m.Action) -> str:
    return f"Le suivi de l'action {action.code}"  # ConflictError says "a été modifié"


def update_followup(
    engine: Engine,
    actor: Actor,
    *,
    action_id: int,
    expected_version: int,
    opened: dict[str, Any] | None,
    status,
    progress,
    note=None,
    noted_on=None,
    override_reason=None,
) -> ActionResult:
    """New status and avancement, and an optional dated note (notes are added, never edited),
    dated inside the convention unless `override_reason` says why (kept in the note's audit)."""
    with session_scope(engine) as session:
        action = _action(session, action_id)
        require_write_action(session, actor, action)
        convention = session.get_one(m.Convention, action.convention_id)
        data = followup_input(
            status=status,
            progress=progress,
            note=note,
            noted_on=noted_on,
            period=(convention.starts_on, convention.ends_on),
            override_reason=override_reason,
        )
        changed = (action.status, action.progress) != (data.status, data.progress)
        if changed:
            refuse_if_stale(session, action, expected_version, opened, _what(action))
            before = snapshot(action)
            action.status, action.progress = data.status, data.progress
            save(session, actor, action, before=before, operation=UPDATED, what=_what(action))
        note_id = None
        if data.note is not None and data.noted_on is not None:  # followup_input dates every note
            note_id = _add_note(session, actor, action, data.noted_on, data.note, reason=data.override_reason)
        return ActionResult(changed, note_id, opened_snapshot(action))


def change_dates(
    engine: Engine,
    actor: Actor,
    *,
    action_id: int,
    expected_version: int,
    opened: dict[str, Any] | None,
    starts_on,
    ends_on,
    reason,
    outside_convention: bool = False,
) -> ActionResult:
    """New start and end dates. The reason is mandatory: it goes to the audit event and, with
    the old and new dates, into a note of the action's timeline."""
    with session_scope(engine) as session:
        return move_dates(
            session,
            actor,
            action_id=action_id,
            expected_version=expected_version,
            opened=opened,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=reason,
            outside_convention=outside_convention,
        )


def move_dates(
    session: Session,
    actor: Actor,
    *,
    action_id: int,
    expected_version: int,
    opened: dict[str, Any] | None,
    starts_on,
    ends_on,
    reason,
    outside_convention: bool = False,
) -> ActionResult:
    """`change_dates` inside the caller's transaction: for a writer that records more in the
    same unit of work (a meeting's decision applied to the plan, services.meetings)."""
    action = _action(session, action_id)
    require_write_action(session, actor, action)
    convention = session.get_one(m.Convention, action.convention_id)
    data = dates_input(
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason,
        convention_starts_on=convention.starts_on,
        convention_ends_on=convention.ends_on,
        outside_convention=outside_convention,
        unchanged=tuple(d for d in (action.starts_on, action.ends_on) if d is not None),
    )
    if (action.starts_on, action.ends_on) == (data.starts_on, data.ends_on):
        return ActionResult(False, None, opened_snapshot(action))
    refuse_if_stale(session, action, expected_version, opened, _what(action))
    before = snapshot(action)
    old = (action.starts_on, action.ends_on)
    action.starts_on, action.ends_on = data.starts_on, data.ends_on
    save(session, actor, action, before=before, operation=DATES, reason=data.reason, what=_what(action))
    moves = [
        f"{name} {fmt.short_date(was)} → {fmt.short_date(now)}"
        for name, was, now in (("début", old[0], data.starts_on), ("fin", old[1], data.ends_on))
        if was != now
    ]
    text = f"Dates modifiées : {', '.join(moves)}. Motif : {data.reason}"
    note_id = _add_note(session, actor, action, today(), text, reason=data.reason)
    return ActionResult(True, note_id, opened_snapshot(action))


def _add_note(
    session: Session, actor: Actor, action: m.Action, noted_on: date, text: str, reason: str | None = None
) -> int:
    note = m.ActionNote(action_id=m.stored_id(action), noted_on=noted_on, text=text, author=actor.label)
    save(session, actor, note, before=None, operation=NOTE, reason=reason)
    return m.stored_id(note)
