"""French formats for numbers, money, percentages and dates (Babel, fr_FR).

Babel writes a narrow no-break space (U+202F) between thousands and a no-break space
(U+00A0) before the euro sign, as French typography wants.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent

LOCALE = "fr_FR"
DASH = "—"  # shown where there is no value: never a misleading 0
NBSP = "\u00a0"  # before € and %
NNBSP = "\u202f"  # between thousands

Number = Decimal | int | float


def missing(value: Any) -> bool:
    """None, or the NaN / NaT / NA that pandas puts where a value is missing."""
    return value is None or (not isinstance(value, str | list | tuple) and bool(pd.isna(value)))


def share(percent: Number | None) -> float | None:
    """A 0–100 percentage as the 0–1 ratio `percent()` formats; None when missing."""
    return None if percent is None or missing(percent) else float(percent) / 100


def money(amount: Number | None) -> str:
    if amount is None or missing(amount):
        return DASH
    cents = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return format_currency(cents, "EUR", locale=LOCALE)


def exact_number(value: Decimal | int | None, min_decimals: int = 0) -> str:
    """Every decimal the value has, at least `min_decimals`: a barème rate of 0,155 € per hour or
    a step of a computation is shown as it is, never rounded for display."""
    if value is None:
        return DASH
    pattern = "#,##0" + ("." + "0" * min_decimals if min_decimals else "")
    # `+ 0` turns a negative zero into zero: "-0,00 €" would read as a debt.
    return format_decimal(Decimal(value) + 0, format=pattern, locale=LOCALE, decimal_quantization=False)


def exact_money(amount: Decimal | int | None) -> str:
    """Money with every decimal it has (at least the cents), for rates and computation steps."""
    if amount is None:
        return DASH
    return f"{exact_number(amount, 2)}{NBSP}€"


def number(value: Number | None, decimals: int = 0) -> str:
    if value is None or missing(value):
        return DASH
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=LOCALE, decimal_quantization=True)


def smart_number(value: Number | None) -> str:
    """A measured value: integers without decimals, others with up to two."""
    if value is None or missing(value):
        return DASH
    if float(value).is_integer():
        return number(value)
    return format_decimal(value, format="#,##0.##", locale=LOCALE)


def percent(ratio: Number | None, decimals: int = 0) -> str:
    if ratio is None or missing(ratio):
        return DASH
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + "\u202f%"
    return format_percent(ratio, format=pattern, locale=LOCALE)


def long_date(day: date | None) -> str:
    return DASH if day is None or missing(day) else format_date(day, format="long", locale=LOCALE)


def short_date(day: date | None) -> str:
    return DASH if day is None or missing(day) else format_date(day, format="dd/MM/yyyy", locale=LOCALE)


def month_year(day: date | None) -> str:
    return DASH if day is None or missing(day) else format_date(day, format="MMMM yyyy", locale=LOCALE)
