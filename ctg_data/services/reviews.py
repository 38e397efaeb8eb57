"""Bilan annuel: a convention's yearly review (what was done, what was not, the partners'
comments, the decisions for next year) and, in its last year, an evaluation text per domain —
editable texts written over frozen figures (the snapshots), which they never change.

Who writes: whoever writes the convention's meetings (permissions.require_write_meetings). Each
save is one transaction through the write core (store.save: audited), with optimistic locking:
the form sends the version it read (None when it saw no text yet), and a stale one is a
ConflictError. The convention is locked first, so that two first saves of the same review
cannot both create it.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from ctg_data import models as m
from ctg_data.actors import Actor
from ctg_data.audit import snapshot
from ctg_data.db import session_scope
from ctg_data.errors import ValidationError
from ctg_data.permissions import require_write_meetings
from ctg_data.services.common import CREATED, UPDATED
from ctg_data.store import load_for_update, opened_snapshot, refuse_if_stale, save
from ctg_data.validation import Check, optional_text

TEXT_LIMIT = 20_000  # a few pages per part: a review, not an archive
FIRST_YEAR, LAST_YEAR = 1900, 2100


class Label:
    """The forms' field labels, as errors name them."""

    YEAR = "Année"
    DONE = "Ce qui a été fait"
    NOT_DONE = "Ce qui n'a pas été fait"
    PARTNERS = "Commentaires des partenaires"
    NEXT_YEAR = "Décisions pour l'année suivante"
    DOMAIN = "Domaine"
    EVALUATION = "Évaluation"


# The review's texts, attribute → label.
REVIEW_TEXTS = {
    "done": Label.DONE,
    "not_done": Label.NOT_DONE,
    "partners_comments": Label.PARTNERS,
    "next_year": Label.NEXT_YEAR,
}


@dataclass(frozen=True)
class Saved:
    id: int
    opened: dict[str, Any]
    message: str


UNCHANGED = "Rien n'a changé : rien n'a été enregistré."


# ------------------------------------------------------------------ reading for a form


def review_for_edit(engine: Engine, convention_id: int, year: int) -> dict[str, Any] | None:
    """The review's snapshot with its version (None: not written yet)."""
    with Session(engine) as session:
        review = _review(session, convention_id, year)
        return None if review is None else opened_snapshot(review)


def evaluations_for_edit(engine: Engine, convention_id: int) -> dict[str, dict[str, Any]]:
    """The convention's domain evaluations, by domain code, each with its version."""
    with Session(engine) as session:
        rows = session.exec(
            select(m.DomainEvaluation).where(col(m.DomainEvaluation.convention_id) == convention_id)
        ).all()
        return {row.domain_code: opened_snapshot(row) for row in rows}


def _review(session: Session, convention_id: int, year: int) -> m.AnnualReview | None:
    return session.exec(
        select(m.AnnualReview).where(
            col(m.AnnualReview.convention_id) == convention_id, col(m.AnnualReview.year) == year
        )
    ).first()


def _evaluation(session: Session, convention_id: int, domain_code: str) -> m.DomainEvaluation | None:
    return session.exec(
        select(m.DomainEvaluation).where(
            col(m.DomainEvaluation.convention_id) == convention_id,
            col(m.DomainEvaluation.domain_code) == domain_code,
        )
    ).first()


# ------------------------------------------------------------------ validation (pure)


def _year(raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise ValueError("année attendue")
    try:
        year = int(raw)
    except ValueError:
        raise ValueError("année attendue") from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"année entre {FIRST_YEAR} et {LAST_YEAR} attendue")
    return year


def review_input(year: object, texts: Mapping[str, object]) -> tuple[int, dict[str, str | None]]:
    check = Check()
    found = check.parse(Label.YEAR, year, _year, required=True)
    values = {
        name: check.parse(label, texts.get(name), optional_text(TEXT_LIMIT)) for name, label in REVIEW_TEXTS.items()
    }
    check.done()
    assert found is not None  # required
    return found, values


# ------------------------------------------------------------------ writing


def _locked_convention(session: Session, actor: Actor, convention_id: int) -> None:
    load_for_update(session, m.Convention, convention_id, "Convention", "convention")
    require_write_meetings(session, actor, convention_id)


def save_review(
    engine: Engine,
    actor: Actor,
    *,
    convention_id: int,
    year: object,
    expected_version: int | None,
    opened: dict[str, Any] | None,
    texts: Mapping[str, object],
) -> Saved:
    """Create or update the review of `year` (texts: done, not_done, partners_comments, next_year)."""
    unknown = set(texts) - set(REVIEW_TEXTS)
    if unknown:
        raise TypeError(f"unknown review fields: {sorted(unknown)}")
    with session_scope(engine) as session:
        _locked_convention(session, actor, convention_id)
        found, values = review_input(year, texts)
        review = _review(session, convention_id, found)
        what = f"Le bilan {found}"
        if review is None:
            if expected_version is not None:  # opened on a review deleted since (with its convention)
                raise ValidationError({Label.YEAR: "ce bilan n'existe plus"})
            review = m.AnnualReview(convention_id=convention_id, year=found)
            _set_texts(review, values)
            save(session, actor, review, before=None, operation=CREATED)
            return Saved(m.stored_id(review), opened_snapshot(review), "Bilan annuel enregistré.")
        refuse_if_stale(session, review, expected_version, opened, what, label=_label)
        before = snapshot(review)
        _set_texts(review, values)
        if snapshot(review) == before:
            return Saved(m.stored_id(review), opened_snapshot(review), UNCHANGED)
        save(session, actor, review, before=before, operation=UPDATED, what=what)
        return Saved(m.stored_id(review), opened_snapshot(review), "Bilan annuel enregistré.")


def _set_texts(review: m.AnnualReview, values: Mapping[str, str | None]) -> None:
    for name, value in values.items():
        setattr(review, name, value)


def save_evaluation(
    engine: Engine,
    actor: Actor,
    *,
    convention_id: int,
    domain_code: str,
    expected_version: int | None,
    opened: dict[str, Any] | None,
    text: object,
) -> Saved:
    """Create or update the evaluation text of one domain of the convention."""
    with session_scope(engine) as session:
        _locked_convention(session, actor, convention_id)
        check = Check()
        if session.get(m.Domain, domain_code) is None:
            check.add(Label.DOMAIN, "domaine inconnu")
        value = check.parse(Label.EVALUATION, text, optional_text(TEXT_LIMIT))
        check.done()
        evaluation = _evaluation(session, convention_id, domain_code)
        what = f"L'évaluation du domaine {domain_code}"
        if evaluation is None:
            if expected_version is not None:
                raise ValidationError({Label.DOMAIN: "cette évaluation n'existe plus"})
            evaluation = m.DomainEvaluation(convention_id=convention_id, domain_code=domain_code, text=value)
            save(session, actor, evaluation, before=None, operation=CREATED)
            return Saved(m.stored_id(evaluation), opened_snapshot(evaluation), "Évaluation enregistrée.")
        refuse_if_stale(session, evaluation, expected_version, opened, what, label=_label)
        before = snapshot(evaluation)
        evaluation.text = value
        if snapshot(evaluation) == before:
            return Saved(m.stored_id(evaluation), opened_snapshot(evaluation), UNCHANGED)
        save(session, actor, evaluation, before=before, operation=UPDATED, what=what)
        return Saved(m.stored_id(evaluation), opened_snapshot(evaluation), "Évaluation enregistrée.")


def _label(name: str) -> str:
    return {**REVIEW_TEXTS, "text": Label.EVALUATION}.get(name, name)


__all__ = [
    "REVIEW_TEXTS",
    "TEXT_LIMIT",
    "Label",
    "Saved",
    "evaluations_for_edit",
    "review_for_edit",
    "save_evaluation",
    "save_review",
]
