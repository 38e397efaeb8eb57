"""The steering cycle in an import: the `reunions`, `participants` and `decisions` sheets.

Every row passes the forms' own checks (services.meetings: meeting_input, participants_input,
decision_input) and is written and audited as the Comités page writes it. A meeting is known by
its number in its convention and a decision by its number in its meeting: their rank in the
order they were recorded (meetings and decisions are never deleted, so a number never moves).

A meeting stored closed before the import never changes: a row that differs is refused, and so is
a new participant or decision of it (a decision's status alone may change, as in the forms). A
new row closed (or an open meeting the file closes) freezes its snapshot through the service's
own close path, reading the import's not yet committed rows: the indicators at the meeting's
date, the actions' statuses and the amounts as the file leaves them.
"""

from datetime import date
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Engine
from sqlmodel import Session, col, select

from ctg_data import models as m
from ctg_data.errors import ValidationError
from ctg_data.interchange.tables import Table
from ctg_data.interchange.typing import Row
from ctg_data.services.meetings import (
    Label,
    decision_input,
    decision_view,
    freeze_closed,
    meeting_input,
    meeting_view,
    participants_input,
    set_decision_links,
)
from ctg_data.store import save
from ctg_data.vocabulary import Attendance, DecisionStatus, MeetingStatus

if TYPE_CHECKING:
    from ctg_data.interchange.loader import _Loader

MEETING_SHEETS = frozenset({"reunions", "participants", "decisions"})
# The form's field labels, as the sheet's columns.
COLUMNS = {
    Label.KIND: "type",
    Label.THEME: "theme",
    Label.HELD_ON: "date",
    Label.PLACE: "lieu",
    Label.AGENDA: "ordre_du_jour",
    Label.MINUTES: "compte_rendu",
    Label.STATUS: "statut",
    Label.TEXT: "texte",
    Label.OWNER: "responsable",
    Label.DUE_ON: "echeance",
    Label.ACTIONS: "actions",
    Label.INDICATORS: "indicateurs",
    Label.FACILITIES: "equipements",
}
# A decision's links: column → (resolver kind, link name of services.meetings.LINKS).
LINK_COLUMNS = {
    "actions": ("action", "actions"),
    "indicateurs": ("indicator", "indicators"),
    "equipements": ("facility", "facilities"),
}
# Meetings this import created or closed, kept on the session: the importer applies a file in
# lots, each with its own loader, inside the one transaction.
CLOSED_HERE = "meetings closed by this import"


class _Lent(Connection):
    """The import's own connection, lent to code written for an Engine (the snapshot's queries
    use `engine.connect()` and `Session(engine)`): `connect()` lends it again, and leaving a
    block neither closes it nor ends its transaction, so the figures read are the import's."""

    def connect(self) -> "_Lent":
        return self

    def close(self) -> None:
        return None


def lent(session: Session) -> Engine:
    connection = session.connection()
    alias = _Lent.__new__(_Lent)
    alias.__dict__ = connection.__dict__  # the same state: one connection, one transaction
    return cast(Engine, alias)


def in_number_order(rows: list[tuple[int, Row]]) -> list[tuple[int, Row]]:
    """Meetings and decisions are numbered in the order they are recorded: write them so."""
    return sorted(rows, key=lambda item: (item[1]["convention"], item[1].get("reunion") or 0, item[1]["numero"]))


def meeting_ids(session: Session, convention_id: int) -> list[int]:
    query = select(col(m.Meeting.id)).where(col(m.Meeting.convention_id) == convention_id).order_by(col(m.Meeting.id))
    return [i for i in session.exec(query).all() if i is not None]


def decision_ids(session: Session, meeting_id: int) -> list[int]:
    query = select(col(m.Decision.id)).where(col(m.Decision.meeting_id) == meeting_id).order_by(col(m.Decision.id))
    return [i for i in session.exec(query).all() if i is not None]


def numbers(session: Session, convention_ids: list[int]) -> dict[int, int]:
    """Meeting id → its number in its convention (one query)."""
    query = select(col(m.Meeting.id), col(m.Meeting.convention_id)).where(
        col(m.Meeting.convention_id).in_(convention_ids)
    )
    found: dict[int, int] = {}
    counts: dict[int, int] = {}
    for meeting_id, convention_id in sorted(session.exec(query).all()):
        assert meeting_id is not None  # a stored row
        counts[convention_id] = counts.get(convention_id, 0) + 1
        found[meeting_id] = counts[convention_id]
    return found


class MeetingRows:
    def __init__(self, loader: "_Loader"):
        self.loader = loader
        self.session = loader.session
        self.closed_here: set[int] = self.session.info.setdefault(CLOSED_HERE, set())

    def apply(self, table: Table, line: int, row: Row, values: dict[str, Any]) -> None:
        convention_id = self.loader.resolver.convention(row["convention"])
        assert convention_id is not None  # resolve() refused an unknown convention
        values = values | {"convention_id": convention_id}
        if table.sheet == "reunions":
            self.meeting(table, line, row, values)
            return
        meeting = self.meeting_of(table, line, row, convention_id)
        if meeting is None:
            return
        if table.sheet == "participants":
            self.participant(table, line, row, values, meeting)
        else:
            self.decision(table, line, row, values, meeting)

    def checked(self, table: Table, line: int, check: Any) -> Any:
        """The service's validation of a row, its errors reported against the sheet's columns."""
        try:
            return check()
        except ValidationError as invalid:
            for label, message in invalid.errors.items():
                self.loader.error(table, line, COLUMNS.get(label), message)
            return None

    def frozen(self, meeting: m.Meeting) -> bool:
        """Closed before this import: it no longer changes."""
        return meeting.status == MeetingStatus.CLOSE and m.stored_id(meeting) not in self.closed_here

    # ------------------------------------------------------------ reunions

    def meeting(self, table: Table, line: int, row: Row, values: dict[str, Any]) -> None:
        data = self.checked(
            table,
            line,
            lambda: meeting_input(
                kind=row["type"],
                theme=row.get("theme"),
                held_on=row["date"],
                place=row.get("lieu"),
                agenda=row.get("ordre_du_jour"),
                minutes=row.get("compte_rendu"),
                status=row.get("statut") or MeetingStatus.PREVUE,
            ),
        )
        if data is None:
            return
        wanted = {
            "kind": data.kind,
            "theme": data.theme,
            "held_on": data.held_on,
            "place": data.place,
            "agenda": data.agenda,
            "minutes": data.minutes,
            "status": data.status,
        }
        ids = meeting_ids(self.session, values["convention_id"])
        number: int = row["numero"]
        record = self.session.get(m.Meeting, ids[number - 1]) if 1 <= number <= len(ids) else None
        if record is None and number != len(ids) + 1:
            self.loader.error(
                table,
                line,
                "numero",
                f"la prochaine réunion de cette convention porte le n° {len(ids) + 1} (1, 2, 3… dans l'ordre)",
            )
            return
        changed = {} if record is None else {k: v for k, v in wanted.items() if getattr(record, k) != v}
        if record is not None and not changed:
            self.loader.report.count(table.sheet, "unchanged")
            return
        if record is not None and self.frozen(record):
            self.loader.error(
                table, line, None, closed(number, record.held_on) + " : la ligne diffère de la réunion enregistrée"
            )
            return
        if self.loader.refused(table, line, record, values, set(changed)):
            return
        before = None if record is None else meeting_view(self.session, record)
        if record is None:
            record = m.Meeting(convention_id=values["convention_id"], **wanted)
        for name, value in changed.items():
            setattr(record, name, value)
        self.save(table, record, before, meeting_view)
        if record.status == MeetingStatus.CLOSE:  # a past meeting, or one the file closes
            self.closed_here.add(m.stored_id(record))
            self.session.flush()
            freeze_closed(lent(self.session), self.session, self.loader.actor, record)

    def save(self, table: Table, record: Any, before: dict[str, Any] | None, view: Any, *, count: bool = True) -> None:
        session = self.session
        operation = "import:création" if before is None else "import:modification"
        save(
            session,
            self.loader.actor,
            record,
            before=before,
            operation=operation,
            view=lambda r: view(session, r),
            at=self.loader.now,
        )
        if count:
            self.loader.report.count(table.sheet, "created" if before is None else "updated")

    def meeting_of(self, table: Table, line: int, row: Row, convention_id: int) -> m.Meeting | None:
        ids = meeting_ids(self.session, convention_id)
        number: int = row["reunion"]
        if not 1 <= number <= len(ids):
            self.loader.error(table, line, "reunion", f"réunion n° {number} inconnue dans cette convention")
            return None
        return self.session.get_one(m.Meeting, ids[number - 1])

    # ------------------------------------------------------------ participants

    def participant(self, table: Table, line: int, row: Row, values: dict[str, Any], meeting: m.Meeting) -> None:
        organisation: int = values["organisation_id"]
        found = self.checked(
            table,
            line,
            lambda: participants_input(
                [
                    {
                        "organisation_id": organisation,
                        "person": row.get("personne"),
                        "attendance": row.get("presence") or Attendance.PRESENT,
                    }
                ],
                {organisation},
            ),
        )
        if not found:
            return
        wanted = found[0]
        person = col(m.MeetingParticipant.person)
        record = self.session.exec(
            select(m.MeetingParticipant).where(
                col(m.MeetingParticipant.meeting_id) == meeting.id,
                col(m.MeetingParticipant.organisation_id) == organisation,
                person.is_(None) if wanted.person is None else person == wanted.person,
            )
        ).first()
        if record is not None and record.attendance == wanted.attendance:
            self.loader.report.count(table.sheet, "unchanged")
            return
        if self.frozen(meeting):
            self.loader.error(
                table, line, None, closed(row["reunion"], meeting.held_on) + " : ses participants ne changent plus"
            )
            return
        if self.loader.refused(table, line, record, values, {"attendance"}):
            return
        before = meeting_view(self.session, meeting)
        if record is None:
            self.session.add(
                m.MeetingParticipant(
                    meeting_id=m.stored_id(meeting),
                    organisation_id=organisation,
                    person=wanted.person,
                    attendance=wanted.attendance,
                )
            )
        else:
            record.attendance = wanted.attendance
        self.session.flush()
        # As the form does: the participants belong to their meeting's record and audit.
        self.save(table, meeting, before, meeting_view, count=False)
        self.loader.report.count(table.sheet, "created" if record is None else "updated")

    # ------------------------------------------------------------ decisions

    def decision(self, table: Table, line: int, row: Row, values: dict[str, Any], meeting: m.Meeting) -> None:
        resolver, convention_id = self.loader.resolver, values["convention_id"]
        links = {
            name: [cast(int, resolver.known(kind, code, convention_id)) for code in row.get(column) or []]
            for column, (kind, name) in LINK_COLUMNS.items()
        }
        owner = values.get("owner_id")
        data = self.checked(
            table,
            line,
            lambda: decision_input(
                text=row["texte"],
                owner_id=owner,
                due_on=row.get("echeance"),
                status=row.get("statut") or DecisionStatus.A_FAIRE,
                links=links,
                organisations=set() if owner is None else {owner},
                linkable={name: set(ids) for name, ids in links.items()},  # resolve() found them in the convention
            ),
        )
        if data is None:
            return
        ids = decision_ids(self.session, m.stored_id(meeting))
        number: int = row["numero"]
        record = self.session.get(m.Decision, ids[number - 1]) if 1 <= number <= len(ids) else None
        if record is None and number != len(ids) + 1:
            self.loader.error(
                table,
                line,
                "numero",
                f"la prochaine décision de cette réunion porte le n° {len(ids) + 1} (1, 2, 3… dans l'ordre)",
            )
            return
        fields = {"text": data.text, "owner_id": data.owner_id, "due_on": data.due_on, "status": data.status}
        before = None if record is None else decision_view(self.session, record)
        after = {
            "text": data.text,
            "owner_id": data.owner_id,
            "due_on": data.due_on and data.due_on.isoformat(),
            "status": data.status,
            **data.links,
        }
        changed = set(after) if before is None else {k for k, v in after.items() if before[k] != v}
        if not changed:
            self.loader.report.count(table.sheet, "unchanged")
            return
        if self.frozen(meeting) and (record is None or changed - {"status"}):
            self.loader.error(
                table,
                line,
                None,
                closed(row["reunion"], meeting.held_on) + " : seul le statut de ses décisions peut encore changer",
            )
            return
        if self.loader.refused(table, line, record, values, changed):
            return
        if record is None:
            record = m.Decision(meeting_id=m.stored_id(meeting), **fields)
            self.session.add(record)
            self.session.flush()
        else:
            for name, value in fields.items():
                setattr(record, name, value)
        set_decision_links(self.session, m.stored_id(record), data.links)
        self.save(table, record, before, decision_view)


def closed(number: int, held_on: date) -> str:
    return f"la réunion n° {number} du {held_on:%d/%m/%Y} est close : un import ne la modifie plus"
