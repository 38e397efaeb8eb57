"""French formats for numbers, money, percentages and dates (Babel, fr_FR).

Babel writes a narrow no-break space (U+202F) between thousands and a no-break space
(U+00A0) before the euro sign, as French typography wants.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent

LOCALE = "fr_FR"
DASH = "—"  # shown where there is no value: never a misleading 0


def missing(value) -> bool:
    """None, or the NaN / NaT / NA that pandas puts where a value is missing."""
    return value is None or (not isinstance(value, str | list | tuple) and bool(pd.isna(value)))


def share(percent) -> float | None:
    """A 0–100 percentage as the 0–1 ratio `percent()` formats; None when missing."""
    return None if missing(percent) else percent / 100


def money(amount: Decimal | None) -> str:
    if missing(amount):
        return DASH
    cents = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return format_currency(cents, "EUR", locale=LOCALE)


def number(value, decimals: int = 0) -> str:
    if missing(value):
        return DASH
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=LOCALE, decimal_quantization=True)


def smart_number(value) -> str:
    """A measured value: integers without decimals, others with up to two."""
    if missing(value):
        return DASH
    if float(value).is_integer():
        return number(value)
    return format_decimal(value, format="#,##0.##", locale=LOCALE)


def percent(ratio: float | None, decimals: int = 0) -> str:
    if missing(ratio):
        return DASH
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + "\u202f%"
    return format_percent(ratio, format=pattern, locale=LOCALE)


def long_date(day: date | None) -> str:
    return DASH if missing(day) else format_date(day, format="long", locale=LOCALE)


def short_date(day: date | None) -> str:
    return DASH if missing(day) else format_date(day, format="dd/MM/yyyy", locale=LOCALE)


def month_year(day: date | None) -> str:
    return DASH if missing(day) else format_date(day, format="MMMM yyyy", locale=LOCALE)
