"""The one validation layer: what a value must be before anything is written, whoever writes it
(a form, the bulk grid, the import, the `ctg` command).

Two kinds of pure functions, no database:
- parsers turn what a person typed (text in French or plain form, a number, a date) into the
  typed value, or raise ValueError with a French message;
- rules look at typed values and return the French message of what is wrong, or None.
`Check` collects the messages of one input field by field and refuses it all at once with a
ValidationError whose keys are the French field labels. The `*_input` functions are the
complete validation of each form; services call them before touching any row.
"""

import math
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Numeric
from sqlalchemy.types import TypeEngine

from ctg_data import formats as fmt
from ctg_data.errors import ValidationError
from ctg_data.interchange import parsing
from ctg_data.rules import conventions, plausibility
from ctg_data.settings import pinned_today
from ctg_data.vocabulary import ActionStatus, MeasurementType

REQUIRED = "champ obligatoire"
TEXT_LIMIT = 300  # source columns are VARCHAR(300)
# Comments, notes, descriptions and reasons have no column size: a page of text is plenty, and
# nobody reads more in a table cell or an audit line.
LONG_TEXT_LIMIT = 5000
INT_LIMIT = 2_147_483_647  # INTEGER on every database
MONEY_LIMIT = Decimal("999999999999.99")  # NUMERIC(14, 2)
HOURS_LIMIT = Decimal("9999999999.99")  # NUMERIC(12, 2)
FTE_LIMIT = Decimal("9999.99")  # NUMERIC(6, 2)
PERCENT_UNITS = {"%", "pourcentage", "pour cent"}

_T = TypeVar("_T")
_Code = TypeVar("_Code", bound=str)  # a vocabulary member (StrEnum) or a plain code
# What `ordered` compares: dates, or numbers of the same kind (bounds, amounts).
_Ordered = TypeVar("_Ordered", date, float, Decimal)
Bound = float | Decimal  # an int is accepted where a float is

# Former names of the vocabulary's labels, kept for their importers.


class Field:
    """French labels of the fields, as forms show them and errors name them."""

    INDICATOR = "Indicateur"
    DATE = "Date"
    VALUE = "Valeur"
    TYPE = "Type"
    SOURCE = "Source"
    COMMENT = "Commentaire"
    OVERRIDE = "Motif de dérogation"
    COMMUNE = "Commune"
    STATUS = "Statut"
    PROGRESS = "Avancement"
    NOTE = "Note"
    NOTE_DATE = "Date de la note"
    STARTS_ON = "Date de début"
    ENDS_ON = "Date de fin"
    REASON = "Motif"
    YEAR = "Année"
    PLACES = "Places"
    HOURS_DELIVERED = "Heures réalisées"
    HOURS_BILLED = "Heures facturées"
    FTE = "ETP"
    PLANNED = "Montant prévu"
    NOTIFIED = "Montant notifié"
    PAID = "Montant versé"


# ------------------------------------------------------------------ parsers (raise ValueError)


def blank(raw: object) -> bool:
    """Nothing typed: the one "missing value" test (formats.missing)."""
    return fmt.missing(raw)


def number(raw: object) -> float:
    """A measured value: `12.5`, `12,5`, `1 234,5` or a number; finite, below 10^20
    (interchange.parsing.parse_decimal)."""
    value = parsing.parse_float(raw)
    if not math.isfinite(value):
        raise parsing.not_a_number(raw)
    if abs(value) >= parsing.MAX_MAGNITUDE:  # 20 nines round up to 10^20 as a float
        raise parsing.too_large(raw)
    return value


def integer(raw: object) -> int:
    value = parsing.parse_int(raw)
    if abs(value) > INT_LIMIT:
        raise parsing.too_large(raw)
    return value


def decimal(raw: object, *, decimals: int = 2, limit: Decimal = HOURS_LIMIT) -> Decimal:
    value = parsing.parse_decimal(raw)
    if abs(value) > limit:
        raise parsing.too_large(raw)
    return fmt.at_most_decimals(value, decimals, raw)  # rounded as the NUMERIC column gives it back


def money(raw: object) -> Decimal:
    """Euros: not negative, at most two decimals (interchange.parsing.parse_money), under the
    plausible maximum of a funding line (rules.plausibility.MAX_AMOUNT)."""
    value = parsing.parse_money(raw)
    _refuse(plausibility.amount(value))
    if value > MONEY_LIMIT:
        raise ValueError(f"montant « {parsing.shown(raw)} » trop grand")
    return value


def _refuse(message: str | None) -> None:
    if message:
        raise ValueError(message)


def places_count(raw: object) -> int:
    """A number of places of one facility, at most rules.plausibility.MAX_PLACES."""
    _refuse(plausibility.places(parsing.parse_int(raw), parsing.shown(raw)))
    return integer(raw)


def hours(raw: object) -> Decimal:
    """Hours of one facility in one year, at most rules.plausibility.MAX_HOURS."""
    _refuse(plausibility.hours(parsing.parse_decimal(raw), parsing.shown(raw)))
    return decimal(raw)


def fte_count(raw: object) -> Decimal:
    """Full-time equivalents of one facility, at most rules.plausibility.MAX_FTE."""
    _refuse(plausibility.fte(parsing.parse_decimal(raw), parsing.shown(raw)))
    return decimal(raw, limit=FTE_LIMIT)


def today() -> date:
    """The date a result may not be after: CTG_TODAY when pinned (demos, tests), else the real one."""
    return pinned_today() or date.today()


def day(raw: object) -> date:
    return fmt.parse_iso_date(raw)


def text(raw: object, *, limit: int = LONG_TEXT_LIMIT) -> str:
    value = parsing.parse_text(raw)
    message = too_long(value, limit)
    if message:
        raise ValueError(message)
    return value


def too_long(value: str, limit: int) -> str | None:
    if len(value) > limit:
        return f"{limit} caractères au plus ({len(value)} saisis)"
    return None


def choice(raw: object, labels: Mapping[_Code, str]) -> str:
    """A code among `labels` (code → French label); the label itself is accepted too."""
    value = str(raw).strip()
    by_label = {label.lower(): code for code, label in labels.items()}
    if value in labels:
        return value
    if value.lower() in by_label:
        return by_label[value.lower()]
    raise ValueError(f"valeur « {parsing.shown(value)} » inconnue ; valeurs possibles : {', '.join(labels.values())}")


# ------------------------------------------------------------------ rules (return a message or None)


def _n(value: Bound) -> str:
    return fmt.smart_number(value)


def _plain(value: Bound) -> str:
    # Years, percentages and ranks read best without a thousands separator.
    return str(value) if isinstance(value, int) else _n(value)


def between(value: Bound | None, low: Bound, high: Bound) -> str | None:
    if value is not None and not low <= value <= high:
        return f"valeur {_plain(value)} hors bornes : entre {_plain(low)} et {_plain(high)}"
    return None


def not_negative(value: Bound | None, *, strict: bool = False) -> str | None:
    if value is None:
        return None
    if strict and value <= 0:
        return "valeur strictement positive attendue"
    if value < 0:
        return "valeur positive ou nulle attendue"
    return None


def ordered(
    start: _Ordered | None, end: _Ordered | None, message: str = "la date de fin précède la date de début"
) -> str | None:
    if start is not None and end is not None and end < start:
        return message
    return None


def indicator_value(value: float, *, low: float | None, high: float | None, unit: str | None = None) -> str | None:
    """Within the indicator's min/max; a percentage within 0–100 unless its min/max say otherwise."""
    if (low is not None and value < low) or (high is not None and value > high):
        shown_low = fmt.DASH if low is None else _n(low)
        shown_high = fmt.DASH if high is None else _n(high)
        if low is None:
            return f"valeur {_n(value)} hors des bornes de l'indicateur (au plus {shown_high})"
        if high is None:
            return f"valeur {_n(value)} hors des bornes de l'indicateur (au moins {shown_low})"
        return f"valeur {_n(value)} hors des bornes de l'indicateur ({shown_low} à {shown_high})"
    if unit is not None and unit.strip().lower() in PERCENT_UNITS:
        return plausibility.percent(value, low, high)
    return None


def date_in_convention(
    when: date,
    starts_on: date,
    ends_on: date,
    override_reason: str | None,
    *,
    result: bool = False,
    on: date | None = None,
) -> str | None:
    """The one date rule (rules.plausibility.in_period): inside the convention (its current end,
    avenants included) unless the person gives the reason why not; a result (`result`) never
    after today (`on`, default today())."""
    reason = None if blank(override_reason) else override_reason
    return plausibility.in_period(when, starts_on, ends_on, reason, result=result, today=on or today())


def year_in_convention(year: int, starts_on: date, ends_on: date, override_reason: str | None) -> str | None:
    if conventions.year_in_convention(year, starts_on, ends_on) or not blank(override_reason):
        return None
    return (
        f"l'année {year} est hors de la convention ({starts_on.year} à {ends_on.year}) : "
        "indiquez un motif de dérogation pour l'enregistrer quand même"
    )


def done_means_complete(status: str | None, progress: int | None) -> str | None:
    """docs/rules.md: a réalisée action is always at 100 %."""
    if status == ActionStatus.REALISEE and progress is not None and progress != 100:
        return "une action réalisée est à 100 % : indiquez 100 ou laissez vide"
    return None


def listed_once(codes: list[str] | None) -> str | None:
    """A list of codes names each once: `pilote` = "simaje;simaje" says nothing a reader can trust
    (lead or co-pilot?)."""
    seen: set[str] = set()
    for code in codes or ():
        if code in seen:
            return f"code « {code} » cité deux fois"
        seen.add(code)
    return None


def fits(column_type: TypeEngine[Any], value: object) -> str | None:
    """What a database column of `column_type` (a SQLAlchemy type) cannot hold as given: text
    longer than the column (or than LONG_TEXT_LIMIT when it has no size), an integer beyond
    INTEGER, a number with too many digits or decimals for its NUMERIC."""
    if isinstance(value, str):
        return too_long(value, getattr(column_type, "length", None) or LONG_TEXT_LIMIT)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > INT_LIMIT:
        return str(parsing.too_large(value))
    if isinstance(value, Decimal) and isinstance(column_type, Numeric) and column_type.precision:
        scale = column_type.scale or 0
        if abs(value) >= Decimal(10) ** (column_type.precision - scale):
            return str(parsing.too_large(value))
        if not fmt.has_at_most(value, scale):
            return _message(lambda: fmt.at_most_decimals(value, scale))
    return None


def _message(parse: Callable[[], object]) -> str | None:
    """The French message of a parser's refusal, or None when it accepts."""
    try:
        parse()
    except ValueError as error:
        return str(error)
    return None


def known_code(code: str, known: Container[str], what: str) -> str | None:
    if code not in known:
        return f"code « {code} » inconnu ({what})"
    return None


# ------------------------------------------------------------------ collecting the problems of one input


class Check:
    """The problems of one input, by French field label; `done()` refuses it all at once."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def add(self, field: str, message: str | None) -> None:
        if message and field not in self.errors:
            self.errors[field] = message

    def parse(self, field: str, raw: object, parser: Callable[[object], _T], *, required: bool = False) -> _T | None:
        if blank(raw):
            if required:
                self.add(field, REQUIRED)
            return None
        try:
            return parser(raw)
        except ValueError as error:
            self.add(field, str(error))
            return None

    def ok(self, *fields: str) -> bool:
        return not any(field in self.errors for field in fields)

    def done(self) -> None:
        if self.errors:
            raise ValidationError(dict(self.errors))


def optional_text(limit: int = LONG_TEXT_LIMIT) -> Callable[[object], str]:
    return lambda value: text(value, limit=limit)


# ------------------------------------------------------------------ measurements


@dataclass(frozen=True)
class IndicatorLimits:
    """What the rules need to know of an indicator and its convention."""

    id: int
    code: str
    unit: str
    min_value: float | None
    max_value: float | None
    convention_starts_on: date
    convention_ends_on: date
    # A step indicator's ordered step codes (its values are their positions); None: a number.
    steps: tuple[str, ...] | None = None
    # The INSEE codes of the convention's perimeter: the communes a value may be given for.
    perimeter: frozenset[str] = frozenset()
    baseline_date: date | None = None
    target_date: date | None = None


@dataclass(frozen=True)
class MeasurementInput:
    indicator_id: int
    measured_on: date
    value: float
    type: str
    source: str | None
    comment: str | None
    override_reason: str | None
    insee_code: str | None = None  # the value of one commune; None: of the whole convention


@dataclass(frozen=True)
class Previous:
    """The value a new one is compared with (the soft warning): when (a date, or a year) and what."""

    on: date | int
    value: float | Decimal


# ------------------------------------------------------------------ step indicators

MIN_STEPS = 2


def step_codes(raw: object) -> tuple[str, ...]:
    """A step indicator's `etapes`: ordered step codes separated by ";", at least two, each once."""
    codes = tuple(parsing.parse_code(item) for item in parsing.parse_list(raw))
    if len(codes) < MIN_STEPS:
        raise ValueError(
            f"au moins {MIN_STEPS} étapes attendues, séparées par « ; » (ex. non_demarre;en_cours;realise)"
        )
    repeated = sorted({code for code in codes if codes.count(code) > 1})
    if repeated:
        raise ValueError(f"étape « {repeated[0]} » citée deux fois")
    numeric = [code for code in codes if not any(character.isalpha() for character in code)]
    if numeric:  # a value "2" would read as a number, never as this step
        raise ValueError(f"étape « {numeric[0]} » : une étape se nomme avec des lettres (ex. en_cours)")
    return codes


def step_position(steps: tuple[str, ...], raw: object) -> float:
    """The stored value (position 0, 1, …) of the step code `raw`; a number is not a step."""
    code = str(raw).strip()
    if code in steps and not isinstance(raw, int | float):
        return float(steps.index(code))
    expected = f"étapes possibles : {', '.join(steps)}"
    if _message(lambda: number(raw)) is None:  # it reads as a number
        typed = fmt.smart_number(raw) if isinstance(raw, int | float) else parsing.shown(raw)
        raise ValueError(f"étape attendue, pas un nombre (« {typed} ») ; {expected}")
    raise ValueError(f"étape « {parsing.shown(code)} » inconnue ; {expected}")


def indicator_measure(indicator: IndicatorLimits, raw: object) -> float:
    """A value of `indicator` as typed: a step code for a step indicator, else a number."""
    return step_position(indicator.steps, raw) if indicator.steps else number(raw)


def commune_in_perimeter(insee_code: str | None, perimeter: frozenset[str]) -> str | None:
    if insee_code is None or insee_code in perimeter:
        return None
    return f"la commune {insee_code} n'est pas dans le périmètre de la convention"


MEASUREMENT_TYPES = MeasurementType.labels()  # read for every value of an import


def measurement_input(
    indicator: IndicatorLimits | None,
    *,
    measured_on: object,
    value: object,
    type: object = MeasurementType.RESULTAT,
    source: object = None,
    comment: object = None,
    override_reason: object = None,
    insee_code: object = None,
    previous: Callable[[date], Previous | None] | None = None,
    confirmed: bool = False,
) -> MeasurementInput:
    """Validate a measurement as typed; raise ValidationError naming every bad field. A step
    indicator's value is a step code, stored as its position; `insee_code` names a commune of
    the convention's perimeter (none: the value of the whole convention). `previous(date)`:
    the indicator's whole-convention result before that date, which a value of the whole
    convention may not be ten times (or a tenth of) unless `confirmed` or given a reason (the
    soft warning, rules.plausibility.far_from_previous); the reason kept is then the one typed,
    else rules.plausibility.CONFIRMED."""
    check = Check()
    if indicator is None:
        check.add(Field.INDICATOR, REQUIRED)
    when = check.parse(Field.DATE, measured_on, day, required=True)
    measure = number if indicator is None else (lambda raw: indicator_measure(indicator, raw))
    amount = check.parse(Field.VALUE, value, measure, required=True)
    commune = check.parse(Field.COMMUNE, insee_code, parsing.parse_insee)
    kind = check.parse(Field.TYPE, type, lambda raw: choice(raw, MEASUREMENT_TYPES)) or MeasurementType.RESULTAT
    source_text = check.parse(Field.SOURCE, source, optional_text(TEXT_LIMIT)) or None
    comment_text = check.parse(Field.COMMENT, comment, text) or None
    reason = check.parse(Field.OVERRIDE, override_reason, text) or None
    if indicator is not None:
        if amount is not None and not indicator.steps:
            check.add(
                Field.VALUE,
                indicator_value(amount, low=indicator.min_value, high=indicator.max_value, unit=indicator.unit),
            )
        if when is not None:
            check.add(
                Field.DATE,
                date_in_convention(
                    when,
                    indicator.convention_starts_on,
                    indicator.convention_ends_on,
                    reason,
                    result=kind == MeasurementType.RESULTAT,
                ),
            )
        check.add(Field.COMMUNE, commune_in_perimeter(commune, indicator.perimeter))
        if check.ok(Field.DATE, Field.VALUE, Field.COMMUNE) and commune is None and not indicator.steps:
            assert when is not None and amount is not None  # ok: both parsed
            warning = measurement_warning(amount, previous(when) if previous else None)
            if warning and not (confirmed or reason):
                check.add(Field.VALUE, warning)
            elif warning:
                reason = reason or plausibility.CONFIRMED
    check.done()
    # done() has refused the input if any of these required values is missing.
    assert indicator is not None and when is not None and amount is not None
    return MeasurementInput(indicator.id, when, amount, str(kind), source_text, comment_text, reason, commune)


def measurement_warning(value: float, previous: Previous | None) -> str | None:
    # The French figures are written only for a warning: an import checks 100 000 values.
    if previous is None or plausibility.far_from_previous(value, float(previous.value), "", "") is None:
        return None
    when = f"au {fmt.short_date(previous.on)}" if isinstance(previous.on, date) else f"en {previous.on}"
    return plausibility.far_from_previous(
        value, float(previous.value), f"valeur {_n(value)}", f"{_n(previous.value)} {when}"
    )


# ------------------------------------------------------------------ intermediate targets


@dataclass(frozen=True)
class TargetInput:
    indicator_id: int
    target_on: date
    value: float


def target_input(indicator: IndicatorLimits, *, target_on: object, value: object) -> TargetInput:
    """An intermediate target: a date strictly between the indicator's reference and target
    dates, and a value as the indicator takes them (a step code, or a number within its bounds).
    The one rule of the target form and of the import's `cibles` rows."""
    check = Check()
    when = check.parse(Field.DATE, target_on, day, required=True)
    amount = check.parse(Field.VALUE, value, lambda raw: indicator_measure(indicator, raw), required=True)
    if amount is not None and not indicator.steps:
        check.add(
            Field.VALUE, indicator_value(amount, low=indicator.min_value, high=indicator.max_value, unit=indicator.unit)
        )
    start, end = indicator.baseline_date, indicator.target_date
    if when is not None:
        if start is None or end is None:
            check.add(
                Field.DATE,
                f"l'indicateur {indicator.code} n'a pas de date de référence et de date cible : une cible "
                "intermédiaire se place entre les deux",
            )
        elif not start < when < end:
            check.add(
                Field.DATE,
                f"le {fmt.short_date(when)} n'est pas entre la date de référence ({fmt.short_date(start)}) et "
                f"la date cible ({fmt.short_date(end)}) de l'indicateur, exclues",
            )
    check.done()
    assert when is not None and amount is not None  # required: done() has refused the input without them
    return TargetInput(indicator.id, when, amount)


# ------------------------------------------------------------------ actions


@dataclass(frozen=True)
class FollowupInput:
    status: str
    progress: int | None
    note: str | None
    noted_on: date | None
    override_reason: str | None = None


def followup_input(
    *,
    status: object,
    progress: object,
    note: object = None,
    noted_on: object = None,
    period: tuple[date, date] | None = None,
    override_reason: object = None,
) -> FollowupInput:
    """Status, avancement and an optional note, dated inside the convention's `period` (start,
    current end) unless `override_reason` says why (the one date rule)."""
    check = Check()
    status_code = check.parse(Field.STATUS, status, lambda raw: choice(raw, ActionStatus.labels()), required=True)
    percent = check.parse(Field.PROGRESS, progress, integer)
    check.add(Field.PROGRESS, between(percent, 0, 100))
    note_text = check.parse(Field.NOTE, note, text) or None
    note_date = check.parse(Field.NOTE_DATE, noted_on, day)
    reason = check.parse(Field.OVERRIDE, override_reason, text) or None
    if note_text is not None and note_date is None:
        check.add(Field.NOTE_DATE, "la note doit être datée")
    if note_text is not None and note_date is not None and period is not None:
        check.add(Field.NOTE_DATE, date_in_convention(note_date, *period, reason))
    if check.ok(Field.STATUS, Field.PROGRESS):
        check.add(Field.PROGRESS, done_means_complete(status_code, percent))
    check.done()
    return FollowupInput(str(status_code), percent, note_text, note_date if note_text is not None else None, reason)


@dataclass(frozen=True)
class DatesInput:
    starts_on: date | None
    ends_on: date | None
    reason: str


def dates_input(
    *,
    starts_on: object,
    ends_on: object,
    reason: object,
    convention_starts_on: date,
    convention_ends_on: date,
    outside_convention: bool = False,
    unchanged: tuple[date, ...] = (),
) -> DatesInput:
    """New dates of an action: a reason is always required; a date outside the convention only
    with `outside_convention` ticked (the reason then covers it). Dates in `unchanged` are
    not held to the convention: only what the person changes is."""
    check = Check()
    reason_text = check.parse(Field.REASON, reason, text, required=True)
    start = check.parse(Field.STARTS_ON, starts_on, day)
    end = check.parse(Field.ENDS_ON, ends_on, day)
    check.add(Field.ENDS_ON, ordered(start, end))
    override = reason_text if outside_convention else None
    for field, value in ((Field.STARTS_ON, start), (Field.ENDS_ON, end)):
        if value is not None and value not in unchanged:
            message = date_in_convention(value, convention_starts_on, convention_ends_on, override)
            if message:
                check.add(
                    field,
                    message.replace(
                        "indiquez un motif de dérogation", "cochez « hors de la convention » et indiquez le motif"
                    ),
                )
    check.done()
    assert reason_text is not None  # required: done() has refused the input without it
    return DatesInput(start, end, reason_text)


# ------------------------------------------------------------------ facility activity


@dataclass(frozen=True)
class ActivityInput:
    year: int
    places: int | None
    hours_delivered: Decimal | None
    hours_billed: Decimal | None
    fte: Decimal | None
    override_reason: str | None


def activity_input(
    *,
    year: object,
    places: object,
    hours_delivered: object,
    hours_billed: object,
    fte: object,
    convention_starts_on: date,
    convention_ends_on: date,
    override_reason: object = None,
    previous: Callable[[int], Mapping[str, Previous]] | None = None,
    confirmed: bool = False,
) -> ActivityInput:
    """A facility's figures of one year. `previous(year)`: the figures of the year before, by
    field (Field.PLACES, HOURS_DELIVERED, HOURS_BILLED), which a figure may not be ten times
    (or a tenth of) unless `confirmed` or given a reason (rules.plausibility.far_from_previous);
    the reason kept is then the one typed, else rules.plausibility.CONFIRMED."""
    check = Check()
    year_value = check.parse(Field.YEAR, year, integer, required=True)
    check.add(Field.YEAR, between(year_value, 1900, 2100))
    reason = check.parse(Field.OVERRIDE, override_reason, text) or None
    if check.ok(Field.YEAR) and year_value is not None:  # ok: parsed, so never None
        check.add(Field.YEAR, year_in_convention(year_value, convention_starts_on, convention_ends_on, reason))
    places_value = check.parse(Field.PLACES, places, places_count)
    delivered = check.parse(Field.HOURS_DELIVERED, hours_delivered, hours)
    billed = check.parse(Field.HOURS_BILLED, hours_billed, hours)
    fte_value = check.parse(Field.FTE, fte, fte_count)
    for field, value in (
        (Field.PLACES, places_value),
        (Field.HOURS_DELIVERED, delivered),
        (Field.HOURS_BILLED, billed),
        (Field.FTE, fte_value),
    ):
        check.add(field, not_negative(value))
    if check.ok(Field.HOURS_DELIVERED, Field.HOURS_BILLED):
        check.add(Field.HOURS_BILLED, plausibility.billed_within_delivered(delivered, billed))
    if all(blank(raw) for raw in (places_value, hours_delivered, hours_billed, fte_value)) and not check.errors:
        check.add(Field.PLACES, "indiquez au moins une valeur (places, heures ou ETP)")
    if not check.errors and previous is not None and year_value is not None:
        before = previous(year_value)
        typed = {Field.PLACES: places_value, Field.HOURS_DELIVERED: delivered, Field.HOURS_BILLED: billed}
        warnings = {field: activity_warning(field, typed[field], before.get(field)) for field in typed}
        if any(warnings.values()) and not (confirmed or reason):
            for field, warning in warnings.items():
                check.add(field, warning)
        elif any(warnings.values()):
            reason = reason or plausibility.CONFIRMED
    check.done()
    assert year_value is not None  # required: done() has refused the input without it
    return ActivityInput(year_value, places_value, delivered, billed, fte_value, reason)


def activity_warning(field: str, value: int | Decimal | None, previous: Previous | None) -> str | None:
    if previous is None or value is None:
        return None
    unit = "places" if field == Field.PLACES else "heures"
    return plausibility.far_from_previous(
        Decimal(value), Decimal(previous.value), f"{_n(value)} {unit}", f"{_n(previous.value)} en {previous.on}"
    )


# ------------------------------------------------------------------ funding


@dataclass(frozen=True)
class FundingInput:
    planned: Decimal | None
    notified: Decimal | None
    paid: Decimal | None
    comment: str | None
    override_reason: str | None = None


def funding_input(
    *, planned: object, notified: object, paid: object, comment: object = None, override_reason: object = None
) -> FundingInput:
    """The three amounts of a funding line; paid beyond notified only with `override_reason`."""
    check = Check()
    planned_amount = check.parse(Field.PLANNED, planned, money)
    notified_amount = check.parse(Field.NOTIFIED, notified, money)
    paid_amount = check.parse(Field.PAID, paid, money)
    comment_text = check.parse(Field.COMMENT, comment, text) or None
    reason = check.parse(Field.OVERRIDE, override_reason, text) or None
    if check.ok(Field.NOTIFIED, Field.PAID):
        check.add(Field.PAID, plausibility.paid_within_notified(notified_amount, paid_amount, reason))
    check.done()
    return FundingInput(planned_amount, notified_amount, paid_amount, comment_text, reason)
