"""Comités of a convention (COPIL, COTECH, thematic committees): the list of meetings with their
counts, one meeting with its participants and decisions, the open decisions past due (the
overview), and the decisions concerning an organisation (partners). Each read is a fixed
number of SQL queries, whatever the number of meetings or decisions."""

from collections import Counter
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, and_, case, func, label, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from ctg_data import formats as fmt
from ctg_data import models as m
from ctg_data.actors import Actor, Role
from ctg_data.permissions import decision_concerns, readable_decisions
from ctg_data.vocabulary import Attendance, DecisionStatus, MeetingKind, MeetingStatus

MEETING_COLUMNS = ["id", "kind", "theme", "held_on", "place", "status"]
DECISION_COLUMNS = [
    "id",
    "meeting_id",
    "text",
    "owner_id",
    "owner",
    "due_on",
    "status",
    "version",
    "meeting_kind",
    "meeting_theme",
    "held_on",
]
REASON_TEXT_LIMIT = 300  # a decision quoted in an action's history: its first words suffice


def meeting_title(kind: str, theme: str | None, held_on: date) -> str:
    """« COPIL du 12/03/2025 », « Comité thématique Parentalité du 12/03/2025 »."""
    name = MeetingKind.label_of(kind)
    if theme:
        name = f"{name} « {theme} »" if kind != MeetingKind.THEMATIQUE else f"{name} {theme}"
    return f"{name} du {fmt.short_date(held_on)}"


def decision_reason(kind: str, theme: str | None, held_on: date, text: str) -> str:
    """The reason an action's history keeps when a decision changes it:
    « Décision du COPIL du 12/03/2025 : reporter l'ouverture ».."""
    title = meeting_title(kind, theme, held_on)
    if kind == MeetingKind.THEMATIQUE:
        title = title[:1].lower() + title[1:]  # « du comité thématique … »
    quoted = text if len(text) <= REASON_TEXT_LIMIT else text[: REASON_TEXT_LIMIT - 1] + "…"
    return f"Décision du {title} : {quoted}"


# ------------------------------------------------------------------ the list of meetings


def meetings_frame(engine: Engine, convention_id: int) -> pd.DataFrame:
    """The meetings of a convention, latest first, with the number of organisations present and
    excused, of decisions and of open decisions (one query)."""
    participants = (
        select(
            col(m.MeetingParticipant.meeting_id).label("meeting_id"),
            func.count(case((col(m.MeetingParticipant.attendance) == Attendance.PRESENT, 1))).label("present"),
            func.count(case((col(m.MeetingParticipant.attendance) == Attendance.EXCUSE, 1))).label("excused"),
        )
        .group_by(col(m.MeetingParticipant.meeting_id))
        .subquery()
    )
    decisions = (
        select(
            col(m.Decision.meeting_id).label("meeting_id"),
            func.count().label("decisions"),
            func.count(case((col(m.Decision.status) == DecisionStatus.A_FAIRE, 1))).label("open_decisions"),
        )
        .group_by(col(m.Decision.meeting_id))
        .subquery()
    )
    query = (
        select(
            *(getattr(m.Meeting, name) for name in MEETING_COLUMNS),
            label("present", func.coalesce(participants.c.present, 0)),
            label("excused", func.coalesce(participants.c.excused, 0)),
            label("decisions", func.coalesce(decisions.c.decisions, 0)),
            label("open_decisions", func.coalesce(decisions.c.open_decisions, 0)),
        )
        .outerjoin(participants, participants.c.meeting_id == m.Meeting.id)
        .outerjoin(decisions, decisions.c.meeting_id == m.Meeting.id)
        .where(col(m.Meeting.convention_id) == convention_id)
        .order_by(col(m.Meeting.held_on).desc(), col(m.Meeting.id).desc())
    )
    with engine.connect() as connection:
        frame = pd.DataFrame(connection.execute(query).mappings().all())
    columns = [*MEETING_COLUMNS, "present", "excused", "decisions", "open_decisions"]
    if frame.empty:
        return pd.DataFrame(columns=[*columns, "title", "kind_label", "status_label"])
    frame["title"] = [
        meeting_title(k, t, d) for k, t, d in zip(frame["kind"], frame["theme"], frame["held_on"], strict=True)
    ]
    frame["kind_label"] = frame["kind"].map(MeetingKind.label_of)
    frame["status_label"] = frame["status"].map(MeetingStatus.label_of)
    return frame


# ------------------------------------------------------------------ decisions, however selected


def _decisions(connection: Connection, *where: Any) -> pd.DataFrame:
    """Decisions (with their meeting and owner) matching `where`, oldest meeting first, and their
    links as text (« Action PE-1 — Ouvrir une crèche »): two queries."""
    owner = aliased(m.Organisation)
    query = (
        select(
            col(m.Decision.id),
            col(m.Decision.meeting_id),
            col(m.Decision.text),
            col(m.Decision.owner_id),
            label("owner", col(owner.name)),
            col(m.Decision.due_on),
            col(m.Decision.status),
            col(m.Decision.version),
            label("meeting_kind", col(m.Meeting.kind)),
            label("meeting_theme", col(m.Meeting.theme)),
            col(m.Meeting.held_on),
        )
        .join(m.Meeting, col(m.Meeting.id) == m.Decision.meeting_id)
        .outerjoin(owner, col(owner.id) == m.Decision.owner_id)
        .where(*where)
        .order_by(col(m.Meeting.held_on), col(m.Decision.id))
    )
    frame = pd.DataFrame(connection.execute(query).mappings().all(), columns=DECISION_COLUMNS)
    links = _links(connection, [int(i) for i in frame["id"]])
    frame["links"] = [
        links.get(int(i), {"action": [], "indicator": [], "facility": [], "text": []}) for i in frame["id"]
    ]
    frame["status_label"] = frame["status"].map(DecisionStatus.label_of)
    frame["meeting"] = [
        meeting_title(k, t, d)
        for k, t, d in zip(frame["meeting_kind"], frame["meeting_theme"], frame["held_on"], strict=True)
    ]
    return frame


def _links(connection: Connection, decision_ids: list[int]) -> dict[int, dict[str, list[Any]]]:
    """{decision id: {"action": [ids], "indicator": [ids], "facility": [ids], "text": [French]}}."""
    if not decision_ids:
        return {}
    query = (
        select(
            col(m.DecisionLink.decision_id),
            col(m.DecisionLink.action_id),
            col(m.DecisionLink.indicator_id),
            col(m.DecisionLink.facility_id),
            label("action", col(m.Action.code) + " — " + col(m.Action.title)),
            label("indicator", col(m.Indicator.code) + " — " + col(m.Indicator.name)),
            label("facility", col(m.Facility.code) + " — " + col(m.Facility.name)),
        )
        .outerjoin(m.Action, col(m.Action.id) == m.DecisionLink.action_id)
        .outerjoin(m.Indicator, col(m.Indicator.id) == m.DecisionLink.indicator_id)
        .outerjoin(m.Facility, col(m.Facility.id) == m.DecisionLink.facility_id)
        .where(col(m.DecisionLink.decision_id).in_(decision_ids))
        .order_by(col(m.DecisionLink.decision_id), col(m.DecisionLink.id))
    )
    found: dict[int, dict[str, list[Any]]] = {}
    for row in connection.execute(query).mappings():
        links = found.setdefault(row["decision_id"], {"action": [], "indicator": [], "facility": [], "text": []})
        for kind, noun in (("action", "Action"), ("indicator", "Indicateur"), ("facility", "Équipement")):
            if row[f"{kind}_id"] is not None:
                links[kind].append(row[f"{kind}_id"])
                links["text"].append(f"{noun} {row[kind]}")
    return found


def _seen_by(actor: Actor | None) -> list[Any]:
    return [] if actor is None else [readable_decisions(actor)]


# ------------------------------------------------------------------ one meeting


def meeting_detail(engine: Engine, meeting_id: int, actor: Actor | None = None) -> dict[str, Any] | None:
    """A meeting (its fields, title and labels), its participants by organisation and its
    decisions with their links; for a partner `actor`, only the decisions concerning its
    organisation, and no minutes (they may tell of the others')."""
    with engine.connect() as connection:
        meeting = connection.execute(select(m.Meeting).where(col(m.Meeting.id) == meeting_id)).mappings().first()
        if meeting is None:
            return None
        participants = pd.DataFrame(
            connection.execute(
                select(
                    col(m.MeetingParticipant.organisation_id),
                    label("organisation", col(m.Organisation.name)),
                    col(m.MeetingParticipant.person),
                    col(m.MeetingParticipant.attendance),
                )
                .join(m.Organisation, col(m.Organisation.id) == m.MeetingParticipant.organisation_id)
                .where(col(m.MeetingParticipant.meeting_id) == meeting_id)
                .order_by(col(m.Organisation.name), col(m.MeetingParticipant.id))
            )
            .mappings()
            .all(),
            columns=["organisation_id", "organisation", "person", "attendance"],
        )
        decisions = _decisions(connection, col(m.Decision.meeting_id) == meeting_id, *_seen_by(actor))
    participants["attendance_label"] = participants["attendance"].map(Attendance.label_of)
    detail = dict(meeting)
    if actor is not None and actor.role == Role.PARTENAIRE:
        detail["minutes"] = None
    detail |= {
        "title": meeting_title(detail["kind"], detail["theme"], detail["held_on"]),
        "kind_label": MeetingKind.label_of(detail["kind"]),
        "status_label": MeetingStatus.label_of(detail["status"]),
        "participants": participants,
        "decisions": decisions,
    }
    return detail


# ------------------------------------------------------------------ decisions across meetings


def overdue_decisions(engine: Engine, convention_id: int, today: date, actor: Actor | None = None) -> pd.DataFrame:
    """Open decisions (à faire) of a convention's meetings whose due date has passed, most
    overdue first, with `days_late` (today − due date); for a partner, those concerning it."""
    with engine.connect() as connection:
        frame = _decisions(
            connection,
            col(m.Meeting.convention_id) == convention_id,
            col(m.Decision.status) == DecisionStatus.A_FAIRE,
            and_(col(m.Decision.due_on).is_not(None), col(m.Decision.due_on) < today),
            *_seen_by(actor),
        )
    frame["days_late"] = [(today - due).days for due in frame["due_on"]]
    return frame.sort_values(["due_on", "id"], kind="stable").reset_index(drop=True)


def open_decisions(
    engine: Engine, convention_id: int, held_until: date | None = None, actor: Actor | None = None
) -> pd.DataFrame:
    """Open decisions (à faire) of a convention's meetings held up to `held_until` (all when
    None), oldest meeting first; for a partner, those concerning it (the printed report)."""
    where = [col(m.Meeting.convention_id) == convention_id, col(m.Decision.status) == DecisionStatus.A_FAIRE]
    if held_until is not None:
        where.append(col(m.Meeting.held_on) <= held_until)
    with engine.connect() as connection:
        return _decisions(connection, *where, *_seen_by(actor))


def organisation_decisions(engine: Engine, organisation_id: int, convention_id: int | None = None) -> pd.DataFrame:
    """The decisions concerning an organisation (owner, or linked to its actions, their
    indicators or its facilities), of one convention or all."""
    where = [decision_concerns(organisation_id)]
    if convention_id is not None:
        where.append(col(m.Meeting.convention_id) == convention_id)
    with engine.connect() as connection:
        return _decisions(connection, *where)


def organisation_choices(engine: Engine) -> dict[int, str]:
    """Organisations by name, for a participant or a decision's owner: {id: name}, the code
    added to a name two organisations share."""
    query = select(col(m.Organisation.id), col(m.Organisation.code), col(m.Organisation.name)).order_by(
        col(m.Organisation.name), col(m.Organisation.code)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    shared = Counter(name for _, _, name in rows)
    return {id_: name if shared[name] == 1 else f"{name} ({code})" for id_, code, name in rows if id_ is not None}
