"""Intermediate targets of an indicator (the `cibles` sheet's form): add, change or remove a dated
value the expected trajectory passes through (docs/rules.md, "Intermediate targets").

The value is typed as the indicator takes it (a step code for a step indicator) and checked by
the rule the import's `cibles` rows go through (validation.target_input). Each public function
is one transaction: validate → check permissions → write → audit. A change or a removal carries
the version the form read: if someone saved the target meanwhile, ConflictError says what.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ctg_data import formats as fmt
from ctg_data import models as m
from ctg_data.actors import Actor
from ctg_data.audit import snapshot
from ctg_data.db import session_scope
from ctg_data.errors import ValidationError
from ctg_data.permissions import require_write_plan
from ctg_data.rules.indicators import shown_value, steps_of
from ctg_data.services.common import CREATED, DELETED, UPDATED
from ctg_data.store import load_for_update, measurement_limits, refuse_if_stale, remove, save
from ctg_data.validation import Field, target_input

TARGET = "Cible intermédiaire"  # the error key of what concerns the target as a whole


@dataclass(frozen=True)
class TargetResult:
    target_id: int | None  # None once removed
    indicator_code: str
    target_on: date
    message: str


def _indicator(session: Session, indicator_id: int) -> m.Indicator:
    indicator = session.get(m.Indicator, indicator_id)
    if indicator is None:
        raise ValidationError({Field.INDICATOR: f"indicateur n° {indicator_id} inconnu"})
    return indicator


def _what(indicator: m.Indicator, on: date) -> str:
    return f"La cible intermédiaire du {fmt.short_date(on)} de {indicator.code}"


def _same_date(session: Session, indicator_id: int, on: date, target_id: int | None) -> None:
    """One target per indicator and date: said in French before the database refuses it."""
    query = select(col(m.IndicatorTarget.id)).where(
        col(m.IndicatorTarget.indicator_id) == indicator_id, col(m.IndicatorTarget.target_on) == on
    )
    if target_id is not None:
        query = query.where(col(m.IndicatorTarget.id) != target_id)
    if session.exec(query).first() is not None:
        raise ValidationError({Field.DATE: f"une cible intermédiaire existe déjà au {fmt.short_date(on)}"})


def add_target(engine: Engine, actor: Actor, *, indicator_id: int, target_on: object, value: object) -> TargetResult:
    try:
        with session_scope(engine) as session:
            indicator = _indicator(session, indicator_id)
            require_write_plan(session, actor, indicator.convention_id)
            data = target_input(measurement_limits(session, indicator), target_on=target_on, value=value)
            _same_date(session, data.indicator_id, data.target_on, None)
            target = m.IndicatorTarget(indicator_id=data.indicator_id, target_on=data.target_on, value=data.value)
            save(session, actor, target, before=None, operation=CREATED, what=_what(indicator, data.target_on))
            shown = shown_value(data.value, steps_of(indicator.nature, indicator.steps))
            return TargetResult(
                m.stored_id(target),
                indicator.code,
                data.target_on,
                f"Cible intermédiaire {shown} ajoutée au {fmt.short_date(data.target_on)} pour {indicator.code}.",
            )
    except IntegrityError:  # the same date saved by someone else at the same moment
        raise ValidationError({Field.DATE: "une cible intermédiaire vient d'être enregistrée à cette date"}) from None


def update_target(
    engine: Engine, actor: Actor, *, target_id: int, expected_version: int, target_on: object, value: object
) -> TargetResult:
    with session_scope(engine) as session:
        target = load_for_update(session, m.IndicatorTarget, target_id, TARGET, "cible intermédiaire")
        indicator = _indicator(session, target.indicator_id)
        require_write_plan(session, actor, indicator.convention_id)
        refuse_if_stale(session, target, expected_version, None, _what(indicator, target.target_on))
        data = target_input(measurement_limits(session, indicator), target_on=target_on, value=value)
        _same_date(session, data.indicator_id, data.target_on, target_id)
        steps = steps_of(indicator.nature, indicator.steps)
        if (target.target_on, target.value) == (data.target_on, data.value):
            return TargetResult(target_id, indicator.code, target.target_on, "Cible intermédiaire inchangée.")
        before = snapshot(target)
        target.target_on, target.value = data.target_on, data.value
        save(session, actor, target, before=before, operation=UPDATED, what=_what(indicator, data.target_on))
        return TargetResult(
            target_id,
            indicator.code,
            data.target_on,
            f"Cible intermédiaire de {indicator.code} modifiée : {shown_value(data.value, steps)} au "
            f"{fmt.short_date(data.target_on)}.",
        )


def delete_target(engine: Engine, actor: Actor, *, target_id: int, expected_version: int) -> TargetResult:
    with session_scope(engine) as session:
        target = load_for_update(session, m.IndicatorTarget, target_id, TARGET, "cible intermédiaire")
        indicator = _indicator(session, target.indicator_id)
        require_write_plan(session, actor, indicator.convention_id)
        what = _what(indicator, target.target_on)
        refuse_if_stale(session, target, expected_version, None, what)
        on = target.target_on
        remove(session, actor, target, operation=DELETED, what=what)
        return TargetResult(None, indicator.code, on, f"Cible intermédiaire du {fmt.short_date(on)} supprimée.")
