"""Comités: a convention's meetings (COPIL, COTECH, thematic committees), who took part, and the
decisions taken — each user action one transaction through the write core, audited.

Who writes: conseillers CAF and administrators (permissions.Capability.WRITE_MEETINGS). A
meeting and a decision are edited with optimistic locking (`expected_version`, `opened`); the
participants belong to their meeting's record: changing them bumps its version. A closed meeting
(statut « close ») no longer changes: neither its fields, its participants nor its decisions —
except a decision's status, which is how its follow-up is recorded afterwards. Closing it freezes
what it was shown (queries.snapshots.freeze: a Snapshot row, audited, in the same transaction
as the new status); the snapshot is never rewritten, as a closed meeting is never closed again.

A decision that changes the plan goes through the plan's own validated services, with the
meeting as the reason kept in the history and the decision linked to what it changed:
`apply_decision_to_action` (new dates of an action), `apply_decision_to_indicator` (a new final
target of an indicator), `apply_decision_new_action` (a new action). The plan's services check the
plan-writing right: a conseiller who writes meetings but not the plan is refused.
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ctg_data import models as m
from ctg_data.actors import Actor
from ctg_data.audit import snapshot
from ctg_data.db import session_scope
from ctg_data.errors import ValidationError
from ctg_data.permissions import allowed, require_write_meetings
from ctg_data.queries.filters import today
from ctg_data.queries.meetings import decision_reason
from ctg_data.queries.snapshots import SCHEMA_VERSION, dumps, freeze
from ctg_data.services.actions import ActionResult, move_dates
from ctg_data.services.common import CREATED, UPDATED
from ctg_data.store import load_for_update, opened_snapshot, refuse_if_stale, save
from ctg_data.validation import Check, choice, day, integer, optional_text
from ctg_data.vocabulary import Attendance, DecisionStatus, MeetingKind, MeetingStatus

SHORT_LIMIT = 200  # theme, place, person: VARCHAR(200)
MINUTES_LIMIT = 50_000  # the minutes of a long meeting run to several pages
DECISION_LIMIT = 5_000
CLOSED = "la réunion est close : elle ne se modifie plus"


class Label:
    """The forms' field labels, as errors name them."""

    KIND = "Type de comité"
    THEME = "Thème"
    HELD_ON = "Date de la réunion"
    PLACE = "Lieu"
    AGENDA = "Ordre du jour"
    MINUTES = "Compte rendu"
    STATUS = "Statut"
    PARTICIPANTS = "Participants"
    TEXT = "Décision"
    OWNER = "Responsable"
    DUE_ON = "Échéance"
    ACTIONS = "Actions liées"
    INDICATORS = "Indicateurs liés"
    FACILITIES = "Équipements liés"
    MEETING = "Réunion"


# How a decision's links are named in its snapshot and audit, with the model each points at.
LINKS: dict[str, tuple[str, type[m.Action | m.Indicator | m.Facility], str]] = {
    "actions": ("action_id", m.Action, Label.ACTIONS),
    "indicators": ("indicator_id", m.Indicator, Label.INDICATORS),
    "facilities": ("facility_id", m.Facility, Label.FACILITIES),
}


@dataclass(frozen=True)
class Saved:
    """What a save returns: the record's id, the snapshot the next edit starts from, the message."""

    id: int
    opened: dict[str, Any]
    message: str


# ------------------------------------------------------------------ validation (pure)


@dataclass(frozen=True)
class MeetingInput:
    kind: str
    theme: str | None
    held_on: date
    place: str | None
    agenda: str | None
    minutes: str | None
    status: str


def meeting_input(
    *, kind: object, theme: object, held_on: object, place: object, agenda: object, minutes: object, status: object
) -> MeetingInput:
    check = Check()
    kind_code = check.parse(Label.KIND, kind, lambda raw: choice(raw, MeetingKind.labels()), required=True)
    theme_text = check.parse(Label.THEME, theme, optional_text(SHORT_LIMIT))
    if kind_code == MeetingKind.THEMATIQUE and theme_text is None and check.ok(Label.THEME):
        check.add(Label.THEME, "un comité thématique dit son thème")
    held = check.parse(Label.HELD_ON, held_on, day, required=True)
    where = check.parse(Label.PLACE, place, optional_text(SHORT_LIMIT))
    agenda_text = check.parse(Label.AGENDA, agenda, optional_text(MINUTES_LIMIT))
    minutes_text = check.parse(Label.MINUTES, minutes, optional_text(MINUTES_LIMIT))
    status_code = check.parse(Label.STATUS, status, lambda raw: choice(raw, MeetingStatus.labels()), required=True)
    check.done()
    assert kind_code is not None and held is not None and status_code is not None  # required
    return MeetingInput(kind_code, theme_text, held, where, agenda_text, minutes_text, status_code)


@dataclass(frozen=True)
class Participant:
    organisation_id: int
    person: str | None
    attendance: str


def participants_input(rows: Iterable[Mapping[str, object]], organisations: set[int]) -> list[Participant]:
    """Rows {organisation_id, person, attendance}: a known organisation, present or excused,
    each organisation and person once (an organisation without a name once)."""
    check = Check()
    found: list[Participant] = []
    seen: set[tuple[int, str]] = set()
    for number, row in enumerate(rows, start=1):
        field = f"{Label.PARTICIPANTS}, ligne {number}"
        organisation = check.parse(field, row.get("organisation_id"), integer, required=True)
        if organisation is None or organisation not in organisations:
            check.add(field, "organisation inconnue")
            continue
        person = check.parse(field, row.get("person"), optional_text(SHORT_LIMIT))
        attendance = check.parse(
            field, row.get("attendance") or Attendance.PRESENT, lambda raw: choice(raw, Attendance.labels())
        )
        key = (organisation, (person or "").casefold())
        if key in seen:
            check.add(field, "cette participation est déjà dans la liste")
        seen.add(key)
        if attendance is not None:
            found.append(Participant(key[0], person, attendance))
    check.done()
    return found


@dataclass(frozen=True)
class DecisionInput:
    text: str
    owner_id: int | None
    due_on: date | None
    status: str
    links: dict[str, list[int]]


def decision_input(
    *,
    text: object,
    owner_id: object,
    due_on: object,
    status: object,
    links: Mapping[str, Iterable[int]],
    organisations: set[int],
    linkable: Mapping[str, set[int]],
) -> DecisionInput:
    """A decision: its text, an optional owner among `organisations`, an optional due date, its
    status, and links to records of the meeting's convention (`linkable`, by link name)."""
    check = Check()
    what = check.parse(Label.TEXT, text, optional_text(DECISION_LIMIT), required=True)
    owner = check.parse(Label.OWNER, owner_id, integer)
    if owner is not None and owner not in organisations:
        check.add(Label.OWNER, "organisation inconnue")
    due = check.parse(Label.DUE_ON, due_on, day)
    status_code = check.parse(Label.STATUS, status, lambda raw: choice(raw, DecisionStatus.labels()), required=True)
    chosen: dict[str, list[int]] = {}
    for name, (_, _, label) in LINKS.items():
        ids = sorted({int(i) for i in links.get(name, ())})
        strangers = [i for i in ids if i not in linkable.get(name, set())]
        if strangers:
            check.add(label, "élément inconnu ou d'une autre convention")
        chosen[name] = ids
    check.done()
    assert what is not None and status_code is not None  # required
    return DecisionInput(what, owner, due, status_code, chosen)


# ------------------------------------------------------------------ reading for a form


def _participants(session: Session, meeting_id: int) -> list[dict[str, Any]]:
    rows = session.exec(
        select(m.MeetingParticipant)
        .where(col(m.MeetingParticipant.meeting_id) == meeting_id)
        .order_by(col(m.MeetingParticipant.id))
    ).all()
    return [{"organisation_id": r.organisation_id, "person": r.person, "attendance": r.attendance} for r in rows]


def _meeting_view(session: Session, meeting: m.Meeting) -> dict[str, Any]:
    """A meeting as forms and the audit show it: its fields and its participants."""
    return snapshot(meeting) | {"participants": _participants(session, m.stored_id(meeting))}


def _decision_links(session: Session, decision_id: int) -> dict[str, list[int]]:
    rows = session.exec(select(m.DecisionLink).where(col(m.DecisionLink.decision_id) == decision_id)).all()
    return {
        name: sorted(getattr(r, attribute) for r in rows if getattr(r, attribute) is not None)
        for name, (attribute, _, _) in LINKS.items()
    }


def _decision_view(session: Session, decision: m.Decision) -> dict[str, Any]:
    return snapshot(decision) | _decision_links(session, m.stored_id(decision))


def meeting_for_edit(engine: Engine, meeting_id: int) -> dict[str, Any] | None:
    """The snapshot (with version and participants) a meeting's forms are built from."""
    with Session(engine) as session:
        meeting = session.get(m.Meeting, meeting_id)
        return None if meeting is None else opened_snapshot(meeting) | _meeting_view(session, meeting)


def decision_for_edit(engine: Engine, decision_id: int) -> dict[str, Any] | None:
    """The snapshot (with version and links) a decision's form is built from."""
    with Session(engine) as session:
        decision = session.get(m.Decision, decision_id)
        return None if decision is None else opened_snapshot(decision) | _decision_view(session, decision)


def may_write_meetings(engine: Engine, actor: Actor, convention_id: int) -> bool:
    with Session(engine) as session:
        return allowed(require_write_meetings, session, actor, convention_id)


def linkable_records(engine: Engine, convention_id: int) -> dict[str, dict[int, str]]:
    """What a decision of the convention may be linked to, by link name: {id: « CODE — title »}."""
    with Session(engine) as session:
        return {name: _linkable(session, model, convention_id) for name, (_, model, _) in LINKS.items()}


# The column naming each kind of linked record beside its code.
TITLES: dict[type[m.Action | m.Indicator | m.Facility], Any] = {
    m.Action: m.Action.title,
    m.Indicator: m.Indicator.name,
    m.Facility: m.Facility.name,
}


def _linkable(session: Session, model: type[m.Action | m.Indicator | m.Facility], convention_id: int) -> dict[int, str]:
    query = select(col(model.id), col(model.code), col(TITLES[model])).where(col(model.convention_id) == convention_id)
    if model is m.Action:
        query = query.where(col(m.Action.deleted_at).is_(None))
    rows = session.exec(query.order_by(col(model.code))).all()
    return {id_: f"{code} — {name}" for id_, code, name in rows if id_ is not None}


# ------------------------------------------------------------------ writing


def _organisations(session: Session) -> set[int]:
    return {id_ for id_ in session.exec(select(col(m.Organisation.id))).all() if id_ is not None}


def _meeting(session: Session, meeting_id: int, actor: Actor, *, open_only: bool = True) -> m.Meeting:
    meeting = load_for_update(session, m.Meeting, meeting_id, Label.MEETING, "réunion")
    require_write_meetings(session, actor, meeting.convention_id)
    if open_only and meeting.status == MeetingStatus.CLOSE:
        raise ValidationError({Label.MEETING: CLOSED})
    return meeting


def _what(meeting: m.Meeting) -> str:
    return f"La réunion du {meeting.held_on:%d/%m/%Y}"  # ConflictError says "a été modifié"


def _fields(meeting: m.Meeting, data: MeetingInput) -> None:
    meeting.kind, meeting.theme, meeting.held_on = data.kind, data.theme, data.held_on
    meeting.place, meeting.agenda, meeting.minutes, meeting.status = data.place, data.agenda, data.minutes, data.status


def _freeze(engine: Engine, session: Session, actor: Actor | str, meeting: m.Meeting) -> None:
    """Store what the closing meeting was shown, at its date (today if closed before it is
    held), audited in the caller's transaction. The figures are read while the meeting is
    locked (SQLite: the write lock; PostgreSQL: FOR UPDATE), from the committed data."""
    as_of = min(meeting.held_on, today())
    document = freeze(engine, meeting.convention_id, as_of) | {"meeting_id": m.stored_id(meeting)}
    frozen = m.Snapshot(
        meeting_id=m.stored_id(meeting),
        convention_id=meeting.convention_id,
        as_of=as_of,
        schema_version=SCHEMA_VERSION,
        payload=dumps(document),
    )
    save(session, actor, frozen, before=None, operation=CREATED, view=_snapshot_view)


def _snapshot_view(frozen: m.Snapshot) -> dict[str, Any]:
    """A snapshot in the audit trail: what it is of and how many rows each table holds (the
    figures themselves are the snapshot's, never copied)."""
    document = json.loads(frozen.payload)
    return snapshot(frozen) | {"payload": {k: len(v) for k, v in document.items() if isinstance(v, list)}}


def create_meeting(
    engine: Engine,
    actor: Actor,
    *,
    convention_id: int,
    kind: object,
    held_on: object,
    theme: object = None,
    place: object = None,
    agenda: object = None,
    minutes: object = None,
    status: object = MeetingStatus.PREVUE,
) -> Saved:
    with session_scope(engine) as session:
        load_for_update(session, m.Convention, convention_id, "Convention", "convention")
        require_write_meetings(session, actor, convention_id)
        data = meeting_input(
            kind=kind, theme=theme, held_on=held_on, place=place, agenda=agenda, minutes=minutes, status=status
        )
        meeting = m.Meeting(convention_id=convention_id, kind=data.kind, held_on=data.held_on)
        _fields(meeting, data)
        save(session, actor, meeting, before=None, operation=CREATED, view=lambda r: _meeting_view(session, r))
        if meeting.status == MeetingStatus.CLOSE:  # a past meeting recorded as already closed
            _freeze(engine, session, actor, meeting)
        opened = opened_snapshot(meeting) | _meeting_view(session, meeting)
        return Saved(m.stored_id(meeting), opened, "Réunion enregistrée.")


def update_meeting(
    engine: Engine,
    actor: Actor,
    *,
    meeting_id: int,
    expected_version: int | None,
    opened: dict[str, Any] | None,
    kind: object,
    held_on: object,
    theme: object = None,
    place: object = None,
    agenda: object = None,
    minutes: object = None,
    status: object,
) -> Saved:
    """New fields of a meeting not yet closed (closing it is setting its status to « close »)."""
    with session_scope(engine) as session:
        meeting = _meeting(session, meeting_id, actor)
        data = meeting_input(
            kind=kind, theme=theme, held_on=held_on, place=place, agenda=agenda, minutes=minutes, status=status
        )
        before = _meeting_view(session, meeting)
        refuse_if_stale(session, meeting, expected_version, opened, _what(meeting), shown=before)
        _fields(meeting, data)
        if snapshot(meeting) | {"participants": before["participants"]} == before:
            return Saved(meeting_id, opened_snapshot(meeting) | before, "Rien n'a changé : rien n'a été enregistré.")
        save(
            session,
            actor,
            meeting,
            before=before,
            operation=UPDATED,
            what=_what(meeting),
            view=lambda r: _meeting_view(session, r),
        )
        if meeting.status == MeetingStatus.CLOSE:  # _meeting refused an already closed one
            _freeze(engine, session, actor, meeting)
            return Saved(
                meeting_id,
                opened_snapshot(meeting) | _meeting_view(session, meeting),
                "Réunion close : les chiffres présentés sont conservés tels quels.",
            )
        return Saved(meeting_id, opened_snapshot(meeting) | _meeting_view(session, meeting), "Réunion enregistrée.")


def set_participants(
    engine: Engine,
    actor: Actor,
    *,
    meeting_id: int,
    expected_version: int | None,
    opened: dict[str, Any] | None,
    participants: Iterable[Mapping[str, object]],
) -> Saved:
    """The meeting's participants become `participants` (rows {organisation_id, person,
    attendance}); one audit event on the meeting, its list before and after."""
    with session_scope(engine) as session:
        meeting = _meeting(session, meeting_id, actor)
        wanted = participants_input(participants, _organisations(session))
        before = _meeting_view(session, meeting)
        refuse_if_stale(session, meeting, expected_version, opened, _what(meeting), shown=before)
        after = [{"organisation_id": p.organisation_id, "person": p.person, "attendance": p.attendance} for p in wanted]
        if after == before["participants"]:
            return Saved(meeting_id, opened_snapshot(meeting) | before, "Rien n'a changé : rien n'a été enregistré.")
        for row in session.exec(select(m.MeetingParticipant).where(col(m.MeetingParticipant.meeting_id) == meeting_id)):
            session.delete(row)
        session.flush()
        session.add_all(
            m.MeetingParticipant(
                meeting_id=meeting_id, organisation_id=p.organisation_id, person=p.person, attendance=p.attendance
            )
            for p in wanted
        )
        save(
            session,
            actor,
            meeting,
            before=before,
            operation=UPDATED,
            what=_what(meeting),
            view=lambda r: _meeting_view(session, r),
        )
        return Saved(
            meeting_id, opened_snapshot(meeting) | _meeting_view(session, meeting), "Participants enregistrés."
        )


def _linkable_ids(session: Session, convention_id: int) -> dict[str, set[int]]:
    return {name: set(_linkable(session, model, convention_id)) for name, (_, model, _) in LINKS.items()}


def _set_decision_links(session: Session, decision_id: int, wanted: dict[str, list[int]]) -> None:
    current = _decision_links(session, decision_id)
    for name, (attribute, _, _) in LINKS.items():
        for gone in set(current[name]) - set(wanted[name]):
            row = session.exec(
                select(m.DecisionLink).where(
                    col(m.DecisionLink.decision_id) == decision_id, col(getattr(m.DecisionLink, attribute)) == gone
                )
            ).one()
            session.delete(row)
        for new in sorted(set(wanted[name]) - set(current[name])):
            session.add(m.DecisionLink(decision_id=decision_id, **{attribute: new}))
    session.flush()


def add_decision(
    engine: Engine,
    actor: Actor,
    *,
    meeting_id: int,
    text: object,
    owner_id: object = None,
    due_on: object = None,
    status: object = DecisionStatus.A_FAIRE,
    links: Mapping[str, Iterable[int]] | None = None,
) -> Saved:
    """A decision of a meeting not yet closed, with its links (`links`: {"actions": [ids],
    "indicators": [ids], "facilities": [ids]}, records of the meeting's convention)."""
    with session_scope(engine) as session:
        meeting = _meeting(session, meeting_id, actor)
        data = decision_input(
            text=text,
            owner_id=owner_id,
            due_on=due_on,
            status=status,
            links=links or {},
            organisations=_organisations(session),
            linkable=_linkable_ids(session, meeting.convention_id),
        )
        decision = m.Decision(
            meeting_id=meeting_id, text=data.text, owner_id=data.owner_id, due_on=data.due_on, status=data.status
        )
        session.add(decision)
        session.flush()
        _set_decision_links(session, m.stored_id(decision), data.links)
        save(session, actor, decision, before=None, operation=CREATED, view=lambda r: _decision_view(session, r))
        opened = opened_snapshot(decision) | _decision_view(session, decision)
        return Saved(m.stored_id(decision), opened, "Décision enregistrée.")


def update_decision(
    engine: Engine,
    actor: Actor,
    *,
    decision_id: int,
    expected_version: int | None,
    opened: dict[str, Any] | None,
    text: object,
    status: object,
    owner_id: object = None,
    due_on: object = None,
    links: Mapping[str, Iterable[int]] | None = None,
) -> Saved:
    """A decision's new text, owner, due date, status and links; audited before and after (a
    change of status among them). Once its meeting is closed, only its status may change."""
    with session_scope(engine) as session:
        decision = load_for_update(session, m.Decision, decision_id, Label.TEXT, "décision")
        meeting = _meeting(session, decision.meeting_id, actor, open_only=False)
        data = decision_input(
            text=text,
            owner_id=owner_id,
            due_on=due_on,
            status=status,
            links=links or {},
            organisations=_organisations(session),
            linkable=_linkable_ids(session, meeting.convention_id),
        )
        before = _decision_view(session, decision)
        what = f"La décision n° {decision_id}"
        refuse_if_stale(session, decision, expected_version, opened, what, shown=before)
        after = before | {
            "text": data.text,
            "owner_id": data.owner_id,
            "due_on": None if data.due_on is None else data.due_on.isoformat(),
            "status": data.status,
            **data.links,
        }
        if after == before:
            return Saved(decision_id, opened_snapshot(decision) | before, "Rien n'a changé : rien n'a été enregistré.")
        if meeting.status == MeetingStatus.CLOSE and {k: v for k, v in after.items() if k != "status"} != {
            k: v for k, v in before.items() if k != "status"
        }:
            raise ValidationError({Label.MEETING: CLOSED + " (seul le statut de ses décisions peut encore changer)"})
        decision.text, decision.owner_id, decision.due_on, decision.status = (
            data.text,
            data.owner_id,
            data.due_on,
            data.status,
        )
        _set_decision_links(session, decision_id, data.links)
        save(
            session,
            actor,
            decision,
            before=before,
            operation=UPDATED,
            what=what,
            view=lambda r: _decision_view(session, r),
        )
        return Saved(
            decision_id, opened_snapshot(decision) | _decision_view(session, decision), "Décision enregistrée."
        )


def apply_decision_to_action(
    engine: Engine,
    actor: Actor,
    *,
    decision_id: int,
    action_id: int,
    expected_version: int,
    opened: dict[str, Any] | None,
    starts_on: object,
    ends_on: object,
    outside_convention: bool = False,
) -> ActionResult:
    """New dates of an action decided at a meeting: the action's own validated change of dates
    (services.actions), with « Décision du COPIL du 12/03/2025 : … » as the reason kept in its
    history and timeline, and the decision linked to the action — one transaction."""
    with session_scope(engine) as session:
        decision = load_for_update(session, m.Decision, decision_id, Label.TEXT, "décision")
        meeting = _meeting(session, decision.meeting_id, actor, open_only=False)
        action = load_for_update(session, m.Action, action_id, "Action", "action")
        if action.convention_id != meeting.convention_id:
            raise ValidationError({"Action": "l'action n'est pas de la convention de cette réunion"})
        reason = decision_reason(meeting.kind, meeting.theme, meeting.held_on, decision.text)
        result = move_dates(
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
        links = _decision_links(session, decision_id)
        if result.changed and action_id not in links["actions"]:
            before = _decision_view(session, decision)
            _set_decision_links(session, decision_id, links | {"actions": sorted([*links["actions"], action_id])})
            save(
                session,
                actor,
                decision,
                before=before,
                operation=UPDATED,
                reason=reason,
                view=lambda r: _decision_view(session, r),
            )
        return result


def _decision_context(session: Session, actor: Actor, decision_id: int) -> tuple[m.Decision, m.Meeting, str]:
    """A decision to apply, its meeting (closed or not: a decision is often applied after the
    meeting) checked for the meeting-writing right, and the reason the plan's history keeps."""
    decision = load_for_update(session, m.Decision, decision_id, Label.TEXT, "décision")
    meeting = _meeting(session, decision.meeting_id, actor, open_only=False)
    return decision, meeting, decision_reason(meeting.kind, meeting.theme, meeting.held_on, decision.text)


def _link_decision(
    session: Session, actor: Actor, decision: m.Decision, name: str, record_id: int, reason: str
) -> None:
    """The decision linked to the record it changed (`name`: a LINKS key), audited with the reason."""
    decision_id = m.stored_id(decision)
    links = _decision_links(session, decision_id)
    if record_id in links[name]:
        return
    before = _decision_view(session, decision)
    _set_decision_links(session, decision_id, links | {name: sorted([*links[name], record_id])})
    save(
        session,
        actor,
        decision,
        before=before,
        operation=UPDATED,
        reason=reason,
        view=lambda r: _decision_view(session, r),
    )


def apply_decision_to_indicator(
    engine: Engine,
    actor: Actor,
    *,
    decision_id: int,
    indicator_id: int,
    expected_version: int,
    opened: dict[str, Any] | None,
    target_value: object,
    target_on: object,
) -> list[str]:
    """A new final target of an indicator decided at a meeting (value and date, as the indicator's
    form takes them): the indicator's own validated edit (services.referentials, the plan-writing
    right), with the meeting as the reason in its history and the decision linked to it — one
    transaction. Returns the labels of the fields that changed (none: nothing written)."""
    from ctg_data.services import referentials  # here: the loader it imports imports this module

    try:
        with session_scope(engine) as session:
            decision, meeting, reason = _decision_context(session, actor, decision_id)
            indicator = session.get(m.Indicator, indicator_id)
            if indicator is None or indicator.convention_id != meeting.convention_id:
                raise ValidationError({"Indicateur": "l'indicateur n'est pas de la convention de cette réunion"})
            changed = referentials.update_in(
                session,
                actor,
                "indicateurs",
                indicator_id,
                expected_version=expected_version,
                opened=opened,
                values={"valeur_cible": target_value, "date_cible": target_on},
                history_reason=reason,
            )
            if changed:
                _link_decision(session, actor, decision, "indicators", indicator_id, reason)
            return changed
    except IntegrityError:
        raise ValidationError(
            {Label.TEXT: "la base de données a refusé l'enregistrement : rien n'a été enregistré"}
        ) from None


def apply_decision_new_action(
    engine: Engine,
    actor: Actor,
    *,
    decision_id: int,
    values: dict[str, Any],
    override_reason: str | None = None,
) -> int:
    """A new action decided at a meeting (`values` named as the action's form and the `actions`
    sheet name them): created by the plan's validated service (services.referentials, the
    plan-writing right) in the meeting's convention, with the meeting as the reason in its history
    and the decision linked to it — one transaction. Returns the action's id."""
    from ctg_data.services import referentials  # here: the loader it imports imports this module

    try:
        with session_scope(engine) as session:
            decision, meeting, reason = _decision_context(session, actor, decision_id)
            action_id = referentials.create_in(
                session,
                actor,
                "actions",
                convention_id=meeting.convention_id,
                values=values,
                override_reason=override_reason,
                history_reason=reason,
            )
            _link_decision(session, actor, decision, "actions", action_id, reason)
            return action_id
    except IntegrityError:
        raise ValidationError(
            {Label.TEXT: "la base de données a refusé l'enregistrement : rien n'a été enregistré"}
        ) from None


# The import writes meetings and decisions through the same helpers (interchange/meetings.py).
meeting_view = _meeting_view
decision_view = _decision_view
set_decision_links = _set_decision_links
freeze_closed = _freeze

__all__ = [
    "Label",
    "Saved",
    "add_decision",
    "apply_decision_new_action",
    "apply_decision_to_action",
    "apply_decision_to_indicator",
    "create_meeting",
    "decision_for_edit",
    "decision_input",
    "linkable_records",
    "may_write_meetings",
    "meeting_for_edit",
    "meeting_input",
    "participants_input",
    "set_participants",
    "update_decision",
    "update_meeting",
]
