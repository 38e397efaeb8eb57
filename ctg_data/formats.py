"""The one formats module: how the app writes a value for a French reader (`format_*`, Babel
fr_FR) and how it reads one back (`parse_*`), in pairs, so that whatever it prints it can read:
`parse_money(format_money(x)) == x` for money, numbers, percentages, dates and times.

Babel writes a narrow no-break space (U+202F) between thousands and a no-break space (U+00A0)
before the euro sign, as French typography wants. Parsers raise ValueError with a French message
naming what was expected; they accept the plain form too (`1234.56`, `2024-09-01`), which is what
the interchange files hold. Times are stored in UTC and shown in Europe/Paris.
"""

import calendar
import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
from babel.dates import format_date, get_month_names
from babel.numbers import format_currency, format_decimal
from babel.numbers import format_percent as babel_percent

LOCALE = "fr_FR"
DASH = "—"  # shown where there is no value: never a misleading 0
NBSP = "\u00a0"  # before € and %
NNBSP = "\u202f"  # between thousands
TIME_FORMAT = "%d/%m/%Y %H:%M"

Number = Decimal | int | float

PARIS: tzinfo
try:
    PARIS = ZoneInfo("Europe/Paris")
except ZoneInfoNotFoundError:  # a system without a time zone database: times stay in UTC
    PARIS = UTC

# Spaces a French number may carry as thousands separators (plain, no-break, narrow no-break).
THOUSANDS_SPACES = str.maketrans("", "", " \u00a0\u202f")
NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")
SHORT_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
# No column holds a number of 20 digits or more; refusing them here keeps every later step
# (rounding to cents, float conversion) within Decimal's 28 digits and away from infinity.
MAX_MAGNITUDE = Decimal(10) ** 20
SHOWN = 30  # characters of a bad value that a message quotes


# ------------------------------------------------------------------ missing values


def missing(value: Any) -> bool:
    """The one test of "no value": None, blank text, or the NaN / NaT / NA that pandas puts
    where a value is missing."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, list | tuple):
        return False
    return bool(pd.isna(value))


# ------------------------------------------------------------------ messages


def shown(raw: object) -> str:
    """A value as an error message quotes it: trimmed, and cut when long."""
    value = str(raw).strip()
    return value if len(value) <= SHOWN else value[:SHOWN] + "…"


def not_a_number(raw: object) -> ValueError:
    return ValueError(f"nombre attendu, « {shown(raw)} » reçu")


def too_large(raw: object) -> ValueError:
    return ValueError(f"nombre « {shown(raw)} » trop grand")


# ------------------------------------------------------------------ numbers


def decimal_places(value: Decimal) -> int:
    """The decimals a finite number is written with (2 for 1.50): minus its exponent."""
    exponent = value.as_tuple().exponent  # an int for finite numbers, a letter for NaN and infinities
    return -exponent if isinstance(exponent, int) else 0


def has_at_most(value: Decimal, decimals: int) -> bool:
    """True when `value` needs no more than `decimals` decimals (1.50 needs one, 1.505 three)."""
    return value == value.quantize(Decimal(1).scaleb(-decimals))


def at_most_decimals(value: Decimal, decimals: int, raw: object = None, what: str = "") -> Decimal:
    """The one rule "at most N decimals": `value` rounded to its N decimals (as a NUMERIC column
    gives it back), or a ValueError quoting `raw` (the value as typed) and naming `what`."""
    if not has_at_most(value, decimals):
        words = {2: "deux", 4: "quatre"}
        subject = f"{what} « {shown(value if raw is None else raw)} »".strip()
        raise ValueError(f"{subject} : {words.get(decimals, str(decimals))} décimales au plus")
    return value.quantize(Decimal(1).scaleb(-decimals))


def parse_decimal(raw: object) -> Decimal:
    """A finite number below 10^20, from a number or its text (French form accepted:
    `1 234,56`, `12,5`; the plain form too: `1234.56`)."""
    value = _decimal(raw)
    if not value.is_finite():
        raise not_a_number(raw)
    if abs(value) >= MAX_MAGNITUDE:
        raise too_large(raw)
    return value


def _decimal(raw: object) -> Decimal:
    if isinstance(raw, bool):
        raise not_a_number(raw)
    if isinstance(raw, int | Decimal):
        return Decimal(raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise not_a_number(raw)
        return Decimal(repr(raw))  # the shortest text of the float, not its binary expansion
    text = str(raw).strip().translate(THOUSANDS_SPACES).replace("\u2212", "-")  # Babel's minus sign
    if "," in text:
        if "." in text:
            raise ValueError(f"nombre « {shown(raw)} » ambigu : écrire 1234.56 ou 1 234,56")
        text = text.replace(",", ".")
    if not NUMBER_RE.match(text):
        raise not_a_number(raw)
    try:
        return Decimal(text)
    except InvalidOperation:
        raise not_a_number(raw) from None


def format_number(value: Number | None, decimals: int = 0) -> str:
    if value is None or missing(value):
        return DASH
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=LOCALE, decimal_quantization=True)


def parse_number(raw: object) -> Decimal:
    """What `format_number`, `smart_number` or `exact_number` printed (or a plain number)."""
    return parse_decimal(raw)


def exact_number(value: Decimal | int | None, min_decimals: int = 0) -> str:
    """Every decimal the value has, at least `min_decimals`: a barème rate of 0,155 € per hour or
    a step of a computation is shown as it is, never rounded for display."""
    if missing(value):
        return DASH
    assert value is not None  # missing() said so; mypy cannot see it
    pattern = "#,##0" + ("." + "0" * min_decimals if min_decimals else "")
    # `+ 0` turns a negative zero into zero: "-0,00 €" would read as a debt.
    return format_decimal(Decimal(value) + 0, format=pattern, locale=LOCALE, decimal_quantization=False)


def smart_number(value: Number | None) -> str:
    """A measured value: integers without decimals, others with up to two."""
    if missing(value):
        return DASH
    assert value is not None
    if float(value).is_integer():
        return format_number(value)
    return format_decimal(value, format="#,##0.##", locale=LOCALE)


# ------------------------------------------------------------------ money


def format_money(amount: Number | None) -> str:
    """Euros with their cents, rounded half up: `1 234,50 €`."""
    if missing(amount):
        return DASH
    assert amount is not None
    cents = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return format_currency(cents, "EUR", locale=LOCALE)


def exact_money(amount: Decimal | int | None) -> str:
    """Money with every decimal it has (at least the cents), for rates and computation steps."""
    if missing(amount):
        return DASH
    return f"{exact_number(amount, 2)}{NBSP}€"


def _without_euro(raw: object) -> object:
    if isinstance(raw, str):
        text = raw.strip()
        return text[:-1] if text.endswith("€") else text
    return raw


def parse_money(raw: object) -> Decimal:
    """Euros, not negative, at most two decimals; `1 234,50 €`, `1234.5` or a number."""
    value = parse_decimal(_without_euro(raw))
    if value < 0:
        raise ValueError(f"montant négatif « {shown(raw)} » refusé")
    return at_most_decimals(value, 2, raw, "montant")


def parse_rate(raw: object) -> Decimal:
    """A barème amount or rate: not negative, at most four decimals (what `exact_money` prints)."""
    value = parse_decimal(_without_euro(raw))
    if value < 0:
        raise ValueError(f"montant négatif « {shown(raw)} » refusé")
    at_most_decimals(value, 4, raw, "taux")
    return value


# ------------------------------------------------------------------ percentages


def share(percent: Number | None) -> float | None:
    """A 0–100 percentage as the 0–1 ratio `format_percent` formats; None when missing."""
    return None if percent is None or missing(percent) else float(percent) / 100


def format_percent(ratio: Number | None, decimals: int = 0) -> str:
    """A 0–1 ratio as a French percentage: 0.125 → `12,5 %` with one decimal."""
    if ratio is None or missing(ratio):
        return DASH
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + "\u202f%"
    return babel_percent(ratio, format=pattern, locale=LOCALE)


def without_percent(raw: object) -> object:
    """A cell with its trailing `%` taken off (`58,5 %` → `58,5`); other values as they are."""
    if isinstance(raw, str):
        text = raw.strip()
        return text[:-1] if text.endswith("%") else text
    return raw


def parse_percent(raw: object) -> Decimal:
    """`12,5 %` (or `12.5`) as the ratio 0.125."""
    return parse_decimal(without_percent(str(raw))) / 100


def parse_percent_value(raw: object) -> Decimal:
    """`58,5 %` (or `58,5`, `58.5`) as the 0–100 value 58.5: a value kept in its own unit."""
    return parse_decimal(without_percent(raw))


# ------------------------------------------------------------------ dates


def long_date(day: date | None) -> str:
    return DASH if missing(day) else format_date(day, format="long", locale=LOCALE)


def short_date(day: date | None) -> str:
    return DASH if missing(day) else format_date(day, format="dd/MM/yyyy", locale=LOCALE)


def month_year(day: date | None) -> str:
    return DASH if missing(day) else format_date(day, format="MMMM yyyy", locale=LOCALE)


MONTHS = {name.lower(): number for number, name in get_month_names("wide", locale=LOCALE).items()}


def parse_iso_date(raw: object) -> date:
    """The exchange files' and forms' date: `2024-09-01` only (or a date value). `01/09/2024` is
    refused there on purpose: a file from another locale could mean the 9th of January."""
    return _date_value(raw, _iso)


def parse_date(raw: object) -> date:
    """What the app prints, read back: `2024-09-01`, `01/09/2024` (`short_date`),
    `1 septembre 2024` (`long_date`), or a date / datetime value."""
    return _date_value(raw, _french)


def parse_day(raw: object) -> date:
    """A date as a French spreadsheet holds it: `2024-09-01` or day first `01/09/2024` (the 1st
    of September, never the 9th of January), or a date value."""
    return _date_value(raw, _iso_or_short, DAY_FORMATS)


def parse_period_start(raw: object) -> date:
    """The start of a period as published conventions give it: a day (`parse_day`), a month
    `2023-06` (its first day) or a year `2023` (1 January)."""
    return _date_value(raw, lambda value: _period(value, end=False), PERIOD_FORMATS)


def parse_period_end(raw: object) -> date:
    """The end of a period: a day, a month `2026-05` (its last day) or a year `2026` (31 December)."""
    return _date_value(raw, lambda value: _period(value, end=True), PERIOD_FORMATS)


def _date_value(raw: object, read: Callable[[str], date], expected: str = "AAAA-MM-JJ") -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    value = str(raw).strip()
    try:
        return read(value)
    except ValueError:
        raise ValueError(f"date « {shown(value)} » invalide : format {expected} attendu (ex. 2024-09-01)") from None


DAY_FORMATS = "AAAA-MM-JJ ou JJ/MM/AAAA"
PERIOD_FORMATS = "AAAA-MM-JJ ou JJ/MM/AAAA (ou une année AAAA, un mois AAAA-MM)"
PERIOD_RE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


def _iso_or_short(value: str) -> date:
    short = SHORT_DATE_RE.match(value)
    return date(int(short[3]), int(short[2]), int(short[1])) if short else _iso(value)


def _period(value: str, *, end: bool) -> date:
    period = PERIOD_RE.match(value)
    if not period:
        return _iso_or_short(value)
    year = int(period[1])
    if period[2] is None:
        return date(year, 12, 31) if end else date(year, 1, 1)
    month = int(period[2])
    return date(year, month, calendar.monthrange(year, month)[1] if end else 1)  # ValueError past 12


def _iso(value: str) -> date:
    if len(value) != 10:
        raise ValueError(value)
    return date.fromisoformat(value)


def _french(value: str) -> date:
    if SHORT_DATE_RE.match(value):
        return _iso_or_short(value)
    words = value.lower().replace("1er", "1").split()
    if len(words) == 3 and words[1] in MONTHS:
        return date(int(words[2]), MONTHS[words[1]], int(words[0]))
    return _iso(value)


# ------------------------------------------------------------------ times (stored UTC, shown in Paris)


def as_utc(moment: datetime) -> datetime:
    """A stored timestamp as an aware UTC datetime: naive ones are UTC, as SQLite returns them."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def in_paris(moment: datetime | str | None) -> datetime | None:
    """A stored timestamp (datetime, ISO text or pandas Timestamp) in Europe/Paris; None when missing."""
    if missing(moment):
        return None
    assert moment is not None
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else pd.Timestamp(moment).to_pydatetime()
    return as_utc(value).astimezone(PARIS)


def local_day(moment: datetime | str | None) -> date | None:
    """The French calendar day of a stored timestamp."""
    local = in_paris(moment)
    return None if local is None else local.date()


def format_time(moment: datetime | str | None) -> str:
    """A stored timestamp as Paris date and time: `01/09/2024 14:30`."""
    local = in_paris(moment)
    return DASH if local is None else local.strftime(TIME_FORMAT)


def parse_time(raw: object) -> datetime:
    """`01/09/2024 14:30` (Paris time) as an aware datetime; an aware datetime stays as it is."""
    if isinstance(raw, datetime):
        return as_utc(raw)
    try:
        naive = datetime.strptime(str(raw).strip(), TIME_FORMAT)
    except ValueError:
        raise ValueError(f"heure « {shown(raw)} » invalide : format JJ/MM/AAAA HH:MM attendu") from None
    return naive.replace(tzinfo=PARIS).astimezone(UTC)


# ------------------------------------------------------------------ former names (same functions)

money = format_money
number = format_number
percent = format_percent
