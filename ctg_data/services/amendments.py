"""Avenants: the only way a convention's dates change once it exists.

An avenant is kept (numbered, signed, with its object); the one with the highest number that
gives a new end date sets the convention's current `ends_on`. The form (« Avenants ») and the
import (sheet `avenants`, and the `conventions` sheet's dates) follow the rules written here.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from ctg_data import formats as fmt
from ctg_data import models as m
from ctg_data.actors import Actor
from ctg_data.audit import snapshot
from ctg_data.db import session_scope
from ctg_data.permissions import allowed, require_write_amendment
from ctg_data.services.common import CREATED, DATES
from ctg_data.store import load_for_update, save
from ctg_data.validation import Check, day, integer, ordered, text

SUBJECT_LIMIT = 1000  # Amendment.subject


class Label:
    """The form's field labels, as errors name them."""

    NUMBER = "Numéro"
    SIGNED_ON = "Date de signature"
    SUBJECT = "Objet"
    ENDS_ON = "Nouvelle date de fin"


END_BEFORE_START = "la nouvelle date de fin précède le début de la convention ({start})"
END_MOVED = "la date de fin d'une convention ne change que par un avenant : ajoutez une ligne à la feuille avenants"
START_KEPT = "la date de début d'une convention ne change pas : elle reste le {kept} (le fichier dit {given})"


@dataclass(frozen=True)
class AmendmentResult:
    number: int
    ends_on: date  # the convention's end date after the avenant
    moved: bool  # whether the avenant changed it

    @property
    def message(self) -> str:
        if self.moved:
            return f"Avenant n° {self.number} enregistré : la convention se termine le {fmt.short_date(self.ends_on)}."
        return f"Avenant n° {self.number} enregistré."


# ------------------------------------------------------------------ rules shared with the import


def end_problem(starts_on: date, ends_on: date | None) -> str | None:
    """What is wrong with an avenant's new end date for a convention starting on `starts_on`."""
    return ordered(starts_on, ends_on, END_BEFORE_START.format(start=fmt.short_date(starts_on)))


def latest_end(ends: Mapping[int, date | None]) -> tuple[int, date] | None:
    """(number, end date) of the latest avenant giving an end date, among {number: date_fin}."""
    dated = [(number, end) for number, end in ends.items() if end is not None]
    return max(dated) if dated else None


def stored_ends(session: Session, convention_id: int) -> dict[int, date | None]:
    """{number: date_fin} of the stored avenants of a convention."""
    rows = session.exec(
        select(col(m.Amendment.number), col(m.Amendment.ends_on)).where(col(m.Amendment.convention_id) == convention_id)
    ).all()
    return dict(rows)


def _amendment(session: Session, convention_id: int, number: int) -> m.Amendment:
    return session.exec(
        select(m.Amendment).where(col(m.Amendment.convention_id) == convention_id, col(m.Amendment.number) == number)
    ).one()


def reason(amendment: m.Amendment) -> str:
    """The audit reason of a date changed by an avenant."""
    return f"avenant n° {amendment.number} du {fmt.short_date(amendment.signed_on)} : {amendment.subject}"


def imported_dates(
    session: Session, convention: m.Convention, changed: dict[str, Any], file_ends: Mapping[int, date | None]
) -> tuple[list[tuple[str, str]], str | None]:
    """A `conventions` row's dates for a stored convention: ([(column, refusal)], audit reason).
    The start never changes; the end only to the date the latest avenant gives — one of the same
    file (`file_ends`, {number: date_fin}: that row will set it, so it leaves `changed`) or one
    already stored (set now, with that avenant as the reason)."""
    problems: list[tuple[str, str]] = []
    if "starts_on" in changed:
        kept, given = fmt.short_date(convention.starts_on), fmt.short_date(changed["starts_on"])
        problems.append(("date_debut", START_KEPT.format(kept=kept, given=given)))
    if "ends_on" not in changed:
        return problems, None
    stored = stored_ends(session, m.stored_id(convention))
    latest = latest_end(stored | dict(file_ends))
    if latest is not None and changed["ends_on"] == convention.signed_ends_on:
        del changed["ends_on"]  # the signed date, kept in the file beside the avenant that moved it
        return problems, None
    if latest is None or latest[1] != changed["ends_on"]:
        said = "" if latest is None else f" (date de fin selon l'avenant n° {latest[0]} : {fmt.short_date(latest[1])})"
        problems.append(("date_fin", END_MOVED + said))
        return problems, None
    if file_ends.get(latest[0]) == latest[1]:
        del changed["ends_on"]  # the avenant row of the file sets it, with itself as the reason
        return problems, None
    amendment = _amendment(session, m.stored_id(convention), latest[0])
    return problems, reason(amendment)


def follow_amendments(
    session: Session, actor: Actor | str, convention: m.Convention, *, operation: str, at: datetime | None = None
) -> bool:
    """Give the convention the end date of its latest dated avenant (audited, that avenant as
    the reason). Whether it moved."""
    latest = latest_end(stored_ends(session, m.stored_id(convention)))
    if latest is None or latest[1] == convention.ends_on:
        return False
    amendment = _amendment(session, m.stored_id(convention), latest[0])
    before = snapshot(convention)
    convention.ends_on = latest[1]
    save(session, actor, convention, before=before, operation=operation, reason=reason(amendment), at=at)
    return True


# ------------------------------------------------------------------ the form


def next_number(engine: Engine, convention_id: int) -> int:
    """The number the form proposes: one after the highest."""
    with Session(engine) as session:
        highest = session.exec(
            select(func.max(col(m.Amendment.number))).where(col(m.Amendment.convention_id) == convention_id)
        ).one()
    return (highest or 0) + 1


def may_add_amendment(engine: Engine, actor: Actor, convention_id: int) -> bool:
    with Session(engine) as session:
        return allowed(require_write_amendment, session, actor, convention_id)


@dataclass(frozen=True)
class AmendmentInput:
    number: int
    signed_on: date
    subject: str
    ends_on: date | None


def amendment_input(
    *, number: object, signed_on: object, subject: object, ends_on: object, starts_on: date, taken: set[int]
) -> AmendmentInput:
    """The form's values, checked: a new number (> 0, not `taken`), a signature date, an object,
    and an optional new end date not before the convention's start (`starts_on`)."""
    check = Check()
    numero = check.parse(Label.NUMBER, number, integer, required=True)
    if numero is not None and numero <= 0:
        check.add(Label.NUMBER, "un numéro strictement positif est attendu")
    if numero in taken:
        check.add(Label.NUMBER, f"l'avenant n° {numero} existe déjà")
    signed = check.parse(Label.SIGNED_ON, signed_on, day, required=True)
    what = check.parse(Label.SUBJECT, subject, lambda raw: text(raw, limit=SUBJECT_LIMIT), required=True)
    end = check.parse(Label.ENDS_ON, ends_on, day)
    check.add(Label.ENDS_ON, end_problem(starts_on, end))
    check.done()
    assert numero is not None and signed is not None and what is not None  # required: done() refused otherwise
    return AmendmentInput(numero, signed, what, end)


def add_amendment(
    engine: Engine,
    actor: Actor,
    *,
    convention_id: int,
    number: object,
    signed_on: object,
    subject: object,
    ends_on: object = None,
) -> AmendmentResult:
    """Record an avenant and, when it is the latest to give one, its new end date — one
    transaction, both audited."""
    with session_scope(engine) as session:
        convention = load_for_update(session, m.Convention, convention_id, "Convention", "convention")
        require_write_amendment(session, actor, convention_id)
        data = amendment_input(
            number=number,
            signed_on=signed_on,
            subject=subject,
            ends_on=ends_on,
            starts_on=convention.starts_on,
            taken=set(stored_ends(session, convention_id)),
        )
        amendment = m.Amendment(
            convention_id=convention_id,
            number=data.number,
            signed_on=data.signed_on,
            subject=data.subject,
            ends_on=data.ends_on,
        )
        save(session, actor, amendment, before=None, operation=CREATED, what=f"L'avenant n° {data.number}")
        moved = follow_amendments(session, actor, convention, operation=DATES)
        return AmendmentResult(data.number, convention.ends_on, moved)


__all__ = [
    "END_MOVED",
    "AmendmentResult",
    "add_amendment",
    "amendment_input",
    "end_problem",
    "follow_amendments",
    "imported_dates",
    "latest_end",
    "may_add_amendment",
    "next_number",
]
