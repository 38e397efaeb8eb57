"""Measurements: record a value, correct one (the old value is superseded and kept, never
overwritten), validate one, and the bulk grid (check every row, then save the valid ones
together or none).

Each public function is one transaction: validate → check permissions → write → audit.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from ctg_data import formats as fmt
from ctg_data import models as m
from ctg_data.actors import Actor
from ctg_data.audit import snapshot
from ctg_data.db import session_scope
from ctg_data.errors import ConflictError, ValidationError
from ctg_data.interchange.form_rules import previous_result
from ctg_data.permissions import (
    Capability,
    PermissionDenied,
    require_validate_measurement,
    require_write_measurement,
    writable_ids,
)
from ctg_data.rules.indicators import shown_value, step_code, steps_of
from ctg_data.services.common import ORIGIN, VALIDATED
from ctg_data.services.grid_reads import GridReads
from ctg_data.store import current_measurement, load_for_update, save, supersede
from ctg_data.store import measurement_limits as limits
from ctg_data.validation import Field, IndicatorLimits, MeasurementInput, blank, measurement_input
from ctg_data.vocabulary import MeasurementType

NEW, REPLACED, SAME = "créée", "corrigée", "inchangée"


@dataclass(frozen=True)
class MeasurementResult:
    outcome: str  # NEW, REPLACED or SAME
    measurement_id: int
    indicator_id: int
    indicator_code: str
    measured_on: date
    value: float
    type: str
    previous_value: float | None = None
    superseded_id: int | None = None
    steps: tuple[str, ...] | None = None  # a step indicator's: values are step positions
    insee_code: str | None = None  # the value of one commune; None: of the whole convention

    @property
    def message(self) -> str:
        where = f"{self.indicator_code} au {fmt.short_date(self.measured_on)}"
        if self.insee_code is not None:
            where += f" (commune {self.insee_code})"
        shown = shown_value(self.value, self.steps)
        if self.outcome == SAME:
            return f"Valeur identique à celle déjà enregistrée pour {where} : rien n'a été modifié."
        if self.outcome == REPLACED:
            return (
                f"Valeur corrigée pour {where} : {shown_value(self.previous_value, self.steps)} → "
                f"{shown}. L'ancienne valeur reste dans l'historique."
            )
        return f"Valeur {shown} enregistrée pour {where}."


def _indicator(session: Session, indicator_id) -> m.Indicator:
    indicator = session.get(m.Indicator, indicator_id) if indicator_id is not None else None
    if indicator is None:
        raise ValidationError(
            {Field.INDICATOR: "champ obligatoire" if indicator_id is None else f"indicateur n° {indicator_id} inconnu"}
        )
    return indicator


def record_measurement(
    engine: Engine,
    actor: Actor,
    *,
    indicator_id: int,
    measured_on,
    value,
    type=MeasurementType.RESULTAT,
    source=None,
    comment=None,
    override_reason=None,
    insee_code=None,
    confirmed: bool = False,
) -> MeasurementResult:
    """A value of an indicator at a date (a step code for a step indicator), for the whole
    convention or one commune of its perimeter (`insee_code`). The same (indicator, date, type,
    commune) as a current value: the same value writes nothing, a different one is a correction
    (the old row is kept). A value ten times the previous result, or a tenth of it, is refused
    unless `confirmed` (the history then keeps the confirmation as the reason)."""
    with session_scope(engine) as session:
        indicator = _indicator(session, indicator_id)
        require_write_measurement(session, actor, indicator)
        data = measurement_input(
            limits(session, indicator),
            measured_on=measured_on,
            value=value,
            type=type,
            source=source,
            comment=comment,
            override_reason=override_reason,
            insee_code=insee_code,
            previous=previous_result(session, m.stored_id(indicator)),
            confirmed=confirmed,
        )
        return _record(session, actor, indicator, data)


def correct_measurement(
    engine: Engine,
    actor: Actor,
    *,
    measurement_id: int,
    value,
    source=None,
    comment=None,
    override_reason=None,
    confirmed: bool = False,
) -> MeasurementResult:
    """Replace the value the form showed (`measurement_id`). Refused with a ConflictError when
    someone corrected it meanwhile. A blank source or comment keeps the old one."""
    with session_scope(engine) as session:
        old = load_for_update(session, m.Measurement, measurement_id, "Mesure", "mesure")
        indicator = _indicator(session, old.indicator_id)
        require_write_measurement(session, actor, indicator)
        if old.superseded_at is not None:
            newer = session.get(m.Measurement, old.superseded_by_id)
            raise ConflictError(
                record=f"Le relevé du {fmt.short_date(old.measured_on)} de {indicator.code}",
                changed_by=newer.recorded_by if newer else None,
                changes=[("value", old.value, newer.value if newer else None)],
            )
        bounds = limits(session, indicator)
        data = measurement_input(
            bounds,
            measured_on=old.measured_on,
            value=_as_typed(bounds, value),
            type=old.type,
            source=old.source if blank(source) else source,
            comment=old.comment if blank(comment) else comment,
            override_reason=override_reason,
            insee_code=old.insee_code,
            previous=previous_result(session, m.stored_id(indicator)),
            confirmed=confirmed,
        )
        return _record(session, actor, indicator, data)


def _as_typed(bounds: IndicatorLimits, value):
    """A value as a person types it: a step indicator's position (a stored value) as its code."""
    if bounds.steps and isinstance(value, float):
        return step_code(bounds.steps, value)
    return value


def _record(session: Session, actor: Actor, indicator: m.Indicator, data: MeasurementInput) -> MeasurementResult:
    steps = steps_of(indicator.nature, indicator.steps)
    current = current_measurement(session, m.stored_id(indicator), data.measured_on, data.type, data.insee_code)
    if current is not None and current.value == data.value:
        return MeasurementResult(
            SAME,
            m.stored_id(current),
            m.stored_id(indicator),
            indicator.code,
            current.measured_on,
            current.value,
            current.type,
            current.value,
            steps=steps,
            insee_code=data.insee_code,
        )
    # Named before writing: after a failed flush the session may no longer load attributes.
    what = f"Le relevé du {fmt.short_date(data.measured_on)} de {indicator.code}"
    new = m.Measurement(
        indicator_id=m.stored_id(indicator),
        measured_on=data.measured_on,
        value=data.value,
        type=data.type,
        insee_code=data.insee_code,
        source=data.source,
        comment=data.comment,
        recorded_by=actor.label,
    )
    supersede(session, actor, current, new, origin=ORIGIN, reason=data.override_reason, what=what)
    return MeasurementResult(
        REPLACED if current is not None else NEW,
        m.stored_id(new),
        m.stored_id(indicator),
        indicator.code,
        new.measured_on,
        new.value,
        new.type,
        current.value if current is not None else None,
        current.id if current is not None else None,
        steps=steps,
        insee_code=data.insee_code,
    )


def validate_measurement(engine: Engine, actor: Actor, *, measurement_id: int) -> bool:
    """A CAF advisor vouches for a reported value. Returns False when it was already validated."""
    with session_scope(engine) as session:
        measurement = load_for_update(session, m.Measurement, measurement_id, "Mesure", "mesure")
        indicator = _indicator(session, measurement.indicator_id)
        require_validate_measurement(session, actor, indicator)
        if measurement.superseded_at is not None:
            raise ValidationError(
                {"Mesure": "cette valeur a été remplacée par une correction : validez la nouvelle valeur"}
            )
        if measurement.validated_at is not None:
            return False
        before = snapshot(measurement)
        measurement.validated_by, measurement.validated_at = actor.label, m.utcnow()
        save(session, actor, measurement, before=before, operation=VALIDATED)
        return True


def writable_indicator_ids(engine: Engine, actor: Actor, convention_id: int) -> frozenset[int]:
    """The indicators of a convention `actor` may record values for (ctg_data.permissions)."""
    with Session(engine) as session:
        return writable_ids(session, actor, Capability.WRITE_MEASUREMENTS, m.Indicator, convention_id)


# ------------------------------------------------------------------ the bulk grid

CODE, NAME, UNIT, LAST, NEW_VALUE, SOURCE, COMMENT = (
    "Code",
    "Indicateur",
    "Unité",
    "Dernière valeur",
    "Nouvelle valeur",
    "Source",
    "Commentaire",
)
GRID_COLUMNS = [CODE, NAME, UNIT, LAST, NEW_VALUE, SOURCE, COMMENT]


def grid_frame(indicators: pd.DataFrame, writable: Iterable[int]) -> pd.DataFrame:
    """The grid's rows: one per indicator `writable` holds (from queries.indicators_frame), the
    new value empty and the source of the last value offered again."""
    allowed = set(writable)
    rows = indicators[indicators["id"].isin(allowed)]
    last = [
        fmt.DASH if pd.isna(value) else f"{shown_value(value, steps)} ({fmt.short_date(on)})"
        for value, on, steps in zip(rows["current_value"], rows["current_date"], rows["steps"], strict=True)
    ]
    return pd.DataFrame(
        {
            CODE: list(rows["code"]),
            NAME: list(rows["name"]),
            # A step indicator's value is one of its step codes: the grid says which.
            UNIT: [
                unit if not steps else f"{unit} (étapes : {', '.join(steps)})"
                for unit, steps in zip(rows["unit"], rows["steps"], strict=True)
            ],
            LAST: last,
            NEW_VALUE: [""] * len(rows),
            SOURCE: ["" if pd.isna(s) else str(s) for s in rows["current_source"]],
            COMMENT: [""] * len(rows),
        },
        columns=GRID_COLUMNS,
    )


@dataclass(frozen=True)
class GridRow:
    code: str
    value: object
    source: object = None
    comment: object = None


def rows_from_editor(edited: pd.DataFrame) -> list[GridRow]:
    """The rows of the edited grid where a new value was typed (the others are left alone)."""
    rows = []
    for record in edited.to_dict("records"):
        if blank(record.get(NEW_VALUE)):
            continue
        rows.append(
            GridRow(
                str(record.get(CODE) or "").strip(),
                _cell(record.get(NEW_VALUE)),
                _cell(record.get(SOURCE)),
                _cell(record.get(COMMENT)),
            )
        )
    return rows


def _cell(raw):
    # Blank cells (None, "", NaN) all mean "nothing typed"; text is kept as typed, trimmed.
    if blank(raw):
        return None
    return raw.strip() if isinstance(raw, str) else raw


@dataclass(frozen=True)
class GridEntry:
    code: str
    data: MeasurementInput
    outcome: str  # NEW or REPLACED, as of the check
    previous_value: float | None = None
    steps: tuple[str, ...] | None = None  # a step indicator's: its values are step positions

    @property
    def shown(self) -> str:
        return shown_value(self.data.value, self.steps)

    @property
    def shown_previous(self) -> str:
        return shown_value(self.previous_value, self.steps)


@dataclass(frozen=True)
class GridRejection:
    code: str
    value: object
    reasons: tuple[str, ...]


@dataclass
class GridCheck:
    valid: list[GridEntry] = field(default_factory=list)
    rejected: list[GridRejection] = field(default_factory=list)
    unchanged: list[GridEntry] = field(default_factory=list)


def validate_grid(
    engine: Engine,
    actor: Actor,
    *,
    convention_id: int,
    measured_on,
    rows: Iterable[GridRow],
    type=MeasurementType.RESULTAT,
    override_reason=None,
    confirmed: bool = False,
) -> GridCheck:
    """Check each row on its own; nothing is written. Rows equal to the current value of the
    period go to `unchanged`. `confirmed`: the values far from their previous one are confirmed."""
    result = GridCheck()
    seen: set[str] = set()
    with Session(engine) as session:
        indicators = {
            i.code: i
            for i in session.exec(select(m.Indicator).where(col(m.Indicator.convention_id) == convention_id)).all()
        }
        reads = GridReads(session, actor, convention_id)  # read once for every row
        for row in rows:
            reasons = _row_problems(row, indicators, seen)
            data: MeasurementInput | None = None
            if not reasons:
                indicator = indicators[row.code]
                try:
                    reads.require_write(indicator)
                    data = measurement_input(
                        reads.limits(indicator),
                        measured_on=measured_on,
                        value=row.value,
                        type=type,
                        source=row.source,
                        comment=row.comment,
                        override_reason=override_reason,
                        previous=reads.previous(m.stored_id(indicator)),
                        confirmed=confirmed,
                    )
                except PermissionDenied as denied:
                    reasons = [str(denied)]
                except ValidationError as error:
                    reasons = [f"{name} : {message}" for name, message in error.errors.items()]
            seen.add(row.code)
            if reasons or data is None:  # without reasons, `data` holds the checked row
                result.rejected.append(GridRejection(row.code, row.value, tuple(reasons)))
                continue
            current = reads.current(data.indicator_id, data.measured_on, data.type)
            steps = steps_of(indicator.nature, indicator.steps)
            if current is not None and current == data.value:
                result.unchanged.append(GridEntry(row.code, data, SAME, current, steps))
            else:
                result.valid.append(GridEntry(row.code, data, NEW if current is None else REPLACED, current, steps))
    return result


def _row_problems(row: GridRow, indicators: dict[str, m.Indicator], seen: set[str]) -> list[str]:
    if not row.code:
        return [f"{Field.INDICATOR} : champ obligatoire"]
    if row.code not in indicators:
        return [f"{Field.INDICATOR} : code « {row.code} » inconnu (indicateur de cette convention)"]
    if row.code in seen:
        return [f"{Field.INDICATOR} : {row.code} apparaît deux fois dans la grille"]
    return []


def save_grid(engine: Engine, actor: Actor, valid: Iterable[GridEntry]) -> list[MeasurementResult]:
    """Save the checked rows in one transaction: every one, or — on any refusal or database
    error — none. Each row is checked again, since the data may have moved since the check."""
    results: list[MeasurementResult] = []
    entries = list(valid)
    if not entries:
        return results
    with session_scope(engine) as session:
        # The rows' indicators in one query, and what they are checked against read once (a
        # grid is of one convention): only the writes themselves are made row by row.
        ids = [entry.data.indicator_id for entry in entries]
        loaded = {i.id: i for i in session.exec(select(m.Indicator).where(col(m.Indicator.id).in_(ids))).all()}
        reads: GridReads | None = None
        for entry in entries:
            indicator = loaded.get(entry.data.indicator_id) or _indicator(session, entry.data.indicator_id)
            if reads is None or indicator.convention_id != reads.convention_id:
                reads = GridReads(session, actor, indicator.convention_id)
            reads.require_write(indicator)
            data = entry.data
            bounds = reads.limits(indicator)
            checked = measurement_input(
                bounds,
                measured_on=data.measured_on,
                value=_as_typed(bounds, data.value),
                type=data.type,
                source=data.source,
                comment=data.comment,
                override_reason=data.override_reason,  # a confirmed value carries its confirmation
                previous=reads.previous(m.stored_id(indicator)),
            )
            results.append(_record(session, actor, indicator, checked))
    return results
