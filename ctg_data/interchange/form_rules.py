"""The forms' own validation (ctg_data.validation) run on the import's rows that write a
measurement or a facility's activity: the same row is refused by both with the same message.
Errors name the sheet's column where the form names its field."""

from ctg_data import models as m
from ctg_data import validation
from ctg_data.errors import ValidationError
from ctg_data.validation import Field

OVERRIDE_COLUMN = "motif_derogation"
MEASUREMENT_COLUMNS = {
    Field.INDICATOR: "indicateur",
    Field.DATE: "date",
    Field.VALUE: "valeur",
    Field.TYPE: "type",
    Field.SOURCE: "source",
    Field.COMMENT: "commentaire",
    Field.OVERRIDE: OVERRIDE_COLUMN,
}
ACTIVITY_COLUMNS = {
    Field.YEAR: "annee",
    Field.PLACES: "places",
    Field.HOURS_DELIVERED: "heures_realisees",
    Field.HOURS_BILLED: "heures_facturees",
    Field.FTE: "etp",
    Field.OVERRIDE: OVERRIDE_COLUMN,
}

Problems = list[tuple[str, str]]  # (column, French message)


def measurement(limits: validation.IndicatorLimits, row: dict) -> tuple[validation.MeasurementInput | None, Problems]:
    try:
        return validation.measurement_input(
            limits,
            measured_on=row["date"],
            value=row["valeur"],
            type=row.get("type"),
            source=row.get("source"),
            comment=row.get("commentaire"),
            override_reason=row.get(OVERRIDE_COLUMN),
        ), []
    except ValidationError as refused:
        return None, _columns(refused, MEASUREMENT_COLUMNS)


def activity(convention: m.Convention, row: dict) -> tuple[validation.ActivityInput | None, Problems]:
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
        ), []
    except ValidationError as refused:
        return None, _columns(refused, ACTIVITY_COLUMNS)


def _columns(refused: ValidationError, columns: dict[str, str]) -> Problems:
    return [(columns.get(name, name), message) for name, message in refused.errors.items()]
