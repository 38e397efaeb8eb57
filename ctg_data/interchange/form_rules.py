"""The forms' own validation (ctg_data.validation) run on the import's rows that write a
measurement, an intermediate target or a facility's activity: the same row is refused by both
with the same message. Errors name the sheet's column where the form names its field."""

from collections.abc import Callable
from datetime import date

from sqlmodel import Session, col, func, select

from ctg_data import models as m
from ctg_data import validation
from ctg_data.errors import ValidationError
from ctg_data.rules.indicators import steps_of
from ctg_data.validation import Field, Previous
from ctg_data.vocabulary import MeasurementType

OVERRIDE_COLUMN = "motif_derogation"
MEASUREMENT_COLUMNS = {
    Field.INDICATOR: "indicateur",
    Field.DATE: "date",
    Field.VALUE: "valeur",
    Field.TYPE: "type",
    Field.SOURCE: "source",
    Field.COMMENT: "commentaire",
    Field.OVERRIDE: OVERRIDE_COLUMN,
    Field.COMMUNE: "code_insee",
}
TARGET_COLUMNS = {Field.DATE: "date", Field.VALUE: "valeur"}
ACTIVITY_COLUMNS = {
    Field.YEAR: "annee",
    Field.PLACES: "places",
    Field.HOURS_DELIVERED: "heures_realisees",
    Field.HOURS_BILLED: "heures_facturees",
    Field.FTE: "etp",
    Field.OVERRIDE: OVERRIDE_COLUMN,
}

FUNDING_COLUMNS = {
    Field.PLANNED: "montant_prevu",
    Field.NOTIFIED: "montant_notifie",
    Field.PAID: "montant_verse",
    Field.COMMENT: "commentaire",
    Field.OVERRIDE: OVERRIDE_COLUMN,
}

Problems = list[tuple[str, str]]  # (column, French message)


def measurement(
    limits: validation.IndicatorLimits, row: dict, previous: Callable[[date], Previous | None] | None = None
) -> tuple[validation.MeasurementInput | None, Problems]:
    """A `mesures` row as the form checks it; a value far from the previous result (`previous`)
    is confirmed by the row's `motif_derogation`, as the form's « Je confirme cette valeur »."""
    try:
        return validation.measurement_input(
            limits,
            measured_on=row["date"],
            value=row["valeur"],
            type=row.get("type"),
            source=row.get("source"),
            comment=row.get("commentaire"),
            override_reason=row.get(OVERRIDE_COLUMN),
            insee_code=row.get("code_insee"),
            previous=previous,
        ), []
    except ValidationError as refused:
        return None, _columns(refused, MEASUREMENT_COLUMNS)


def stored_value(limits: validation.IndicatorLimits, raw: object) -> float | None:
    """The value a cell stands for once stored (a step code's position), None when it is not one
    (the form's rules then say why)."""
    try:
        return validation.indicator_measure(limits, raw)
    except ValueError:
        return None


def target(limits: validation.IndicatorLimits, row: dict) -> tuple[validation.TargetInput | None, Problems]:
    try:
        return validation.target_input(limits, target_on=row["date"], value=row["valeur"]), []
    except ValidationError as refused:
        return None, _columns(refused, TARGET_COLUMNS)


def activity(
    convention: m.Convention, row: dict, previous: Callable[[int], dict[str, Previous]] | None = None
) -> tuple[validation.ActivityInput | None, Problems]:
    try:
        return validation.activity_input(
            year=row["annee"],
            places=row.get("places"),
            hours_delivered=row.get("heures_realisees"),
            hours_billed=row.get("heures_facturees"),
            fte=row.get("etp"),
            convention_starts_on=convention.starts_on,
            convention_ends_on=convention.ends_on,
            override_reason=row.get(OVERRIDE_COLUMN),
            previous=previous,
        ), []
    except ValidationError as refused:
        return None, _columns(refused, ACTIVITY_COLUMNS)


def funding(row: dict) -> tuple[validation.FundingInput | None, Problems]:
    """A funding line's amounts as the funding form checks them (paid beyond notified only with
    a `motif_derogation`)."""
    try:
        return validation.funding_input(
            planned=row.get("montant_prevu"),
            notified=row.get("montant_notifie"),
            paid=row.get("montant_verse"),
            comment=row.get("commentaire"),
            override_reason=row.get(OVERRIDE_COLUMN),
        ), []
    except ValidationError as refused:
        return None, _columns(refused, FUNDING_COLUMNS)


def action_dates(convention: m.Convention, new: bool, values: dict, changed: dict, reason: str | None) -> Problems:
    """The one date rule on an `actions` row: the dates it sets (all of a `new` action's, the
    `changed` ones of a stored action) inside the convention's period, avenants included, unless
    its `motif_derogation` says why (as the dates form, validation.dates_input); dates left as
    stored are not held to it, so that older files import again."""
    problems = []
    for column, name in (("date_debut", "starts_on"), ("date_fin", "ends_on")):
        when = (values if new else changed).get(name)
        if when is not None:
            problem = validation.date_in_convention(when, convention.starts_on, convention.ends_on, reason)
            if problem:
                problems.append((column, problem))
    return problems


def previous_result(session: Session, indicator_id: int) -> Callable[[date], Previous | None]:
    """The indicator's current whole-convention result before a date: what a new value is
    compared with (the soft warning), for the form, the grid and the import alike."""

    def before(when: date) -> Previous | None:
        row = session.exec(
            select(col(m.Measurement.measured_on), col(m.Measurement.value))
            .where(
                col(m.Measurement.indicator_id) == indicator_id,
                col(m.Measurement.measured_on) < when,
                col(m.Measurement.type) == MeasurementType.RESULTAT,
                col(m.Measurement.insee_code).is_(None),
                col(m.Measurement.superseded_at).is_(None),
            )
            .order_by(col(m.Measurement.measured_on).desc())
        ).first()
        return None if row is None else Previous(row[0], row[1])

    return before


def previous_activity(session: Session, facility_id: int) -> Callable[[int], dict[str, Previous]]:
    """A facility's places and hours of the year before a year: what its new figures are
    compared with (the soft warning)."""

    def before(year: int) -> dict[str, Previous]:
        row = session.exec(
            select(m.FacilityActivity).where(
                col(m.FacilityActivity.facility_id) == facility_id, col(m.FacilityActivity.year) == year - 1
            )
        ).first()
        if row is None:
            return {}
        figures = {
            Field.PLACES: row.places,
            Field.HOURS_DELIVERED: row.hours_delivered,
            Field.HOURS_BILLED: row.hours_billed,
        }
        return {field: Previous(year - 1, value) for field, value in figures.items() if value is not None}

    return before


def steps_change(session: Session, indicator: m.Indicator, nature: str, steps: str | None) -> str | None:
    """Why an indicator's steps may not become (`nature`, `steps`), or None. Its measurements and
    targets are stored as step positions: once it has some, its steps may only grow at the end,
    so that every stored position keeps its meaning (the form and the import alike)."""
    old, new = steps_of(indicator.nature, indicator.steps), steps_of(nature, steps)
    if old == new or (old and new and new[: len(old)] == old):
        return None
    used = 0
    for model in (m.Measurement, m.IndicatorTarget):
        used += session.exec(
            select(func.count()).select_from(model).where(col(model.indicator_id) == indicator.id)
        ).one()
    if not used:
        return None
    return (
        f"l'indicateur {indicator.code} a déjà des valeurs ou des cibles enregistrées selon ses étapes "
        f"({', '.join(old) if old else 'nombres'}) : sa nature et ses étapes ne changent plus, sauf pour "
        "ajouter des étapes à la fin"
    )


def _columns(refused: ValidationError, columns: dict[str, str]) -> Problems:
    return [(columns.get(name, name), message) for name, message in refused.errors.items()]
