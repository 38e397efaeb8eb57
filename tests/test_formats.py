"""French formats (Babel, fr_FR): narrow no-break space (U+202F) between thousands and before %,
no-break space (U+00A0) before €, an em dash where there is no value."""

from datetime import date
from decimal import Decimal

import pytest

from ctg_data.formats import exact_money, exact_number, long_date, money, month_year, number, percent, short_date

NNBSP, NBSP, DASH = "\u202f", "\u00a0", "—"


# --- money ----------------------------------------------------------------------------------


def test_money_groups_thousands_with_a_narrow_no_break_space_and_puts_a_no_break_space_before_euro():
    assert money(Decimal("1234567.89")) == f"1{NNBSP}234{NNBSP}567,89{NBSP}€"


def test_money_always_shows_cents():
    assert money(Decimal("1000")) == f"1{NNBSP}000,00{NBSP}€"


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("0.005"), f"0,01{NBSP}€"),  # half a cent goes up
        (Decimal("0.004"), f"0,00{NBSP}€"),
        (Decimal("2.675"), f"2,68{NBSP}€"),  # a tie whose last kept digit is odd
        (Decimal("2.665"), f"2,67{NBSP}€"),  # half-even would give 2,66
        (Decimal("1234.565"), f"1{NNBSP}234,57{NBSP}€"),
    ],
)
def test_money_rounds_half_up_to_the_cent(amount, expected):
    assert money(amount) == expected


def test_money_without_amount_is_a_dash_not_zero():
    assert money(None) == DASH


# --- numbers and percentages ----------------------------------------------------------------


def test_number_groups_thousands_with_a_narrow_no_break_space():
    assert number(1234567) == f"1{NNBSP}234{NNBSP}567"


def test_number_with_decimals_uses_a_comma():
    assert number(Decimal("1234.5"), decimals=1) == f"1{NNBSP}234,5"
    assert number(Decimal("0.5"), decimals=2) == "0,50"


def test_number_without_value_is_a_dash():
    assert number(None) == DASH


@pytest.mark.parametrize(
    ("ratio", "decimals", "expected"),
    [
        (0.5, 0, f"50{NNBSP}%"),
        (0, 0, f"0{NNBSP}%"),
        (1.5, 0, f"150{NNBSP}%"),
        (0.1234, 1, f"12,3{NNBSP}%"),
        (12.5, 0, f"1{NNBSP}250{NNBSP}%"),
    ],
)
def test_percent_puts_a_narrow_no_break_space_before_the_sign(ratio, decimals, expected):
    assert percent(ratio, decimals) == expected


def test_percent_without_value_is_a_dash_not_zero_percent():
    assert percent(None) == DASH


# --- dates ----------------------------------------------------------------------------------


def test_long_date_spells_the_month_in_french():
    assert long_date(date(2023, 5, 30)) == "30 mai 2023"
    assert long_date(date(2024, 8, 1)) == "1 août 2024"


def test_short_date_is_day_month_year():
    assert short_date(date(2023, 5, 3)) == "03/05/2023"


def test_month_year_spells_the_month_in_french():
    assert month_year(date(2023, 5, 30)) == "mai 2023"
    assert month_year(date(2024, 2, 1)) == "février 2024"


@pytest.mark.parametrize("formatter", [long_date, short_date, month_year])
def test_dates_without_value_are_a_dash(formatter):
    assert formatter(None) == DASH


def test_exact_money_keeps_every_decimal_and_at_least_the_cents():
    assert exact_money(Decimal("1234567.8")) == f"1{NNBSP}234{NNBSP}567,80{NBSP}€"
    assert exact_money(Decimal("-1000")) == f"-1{NNBSP}000,00{NBSP}€"
    assert exact_money(Decimal("0.155")) == f"0,155{NBSP}€"  # a barème rate per hour, not rounded


def test_exact_number_never_shows_a_negative_zero():
    assert exact_number(Decimal("-0.00"), 2) == "0,00"
    assert exact_number(Decimal("12.50")) == "12,5"


# --- what the app prints, it reads back (parse_* of each format_*) ---------------------------

from datetime import UTC, datetime  # noqa: E402

from ctg_data import formats as fmt  # noqa: E402


@pytest.mark.parametrize("amount", ["0", "0.01", "12.5", "1234.56", "1234567.89", "999999999999.99"])
def test_money_printed_is_read_back(amount):
    value = Decimal(amount).quantize(Decimal("0.01"))
    assert fmt.parse_money(fmt.format_money(value)) == value


@pytest.mark.parametrize(
    ("value", "decimals"), [(Decimal("0"), 0), (Decimal("1234567"), 0), (Decimal("-1234.5"), 1), (Decimal("12.25"), 2)]
)
def test_numbers_printed_are_read_back(value, decimals):
    assert fmt.parse_number(fmt.format_number(value, decimals)) == value
    assert fmt.parse_number(fmt.exact_number(value)) == value
    assert fmt.parse_number(fmt.smart_number(value)) == value


@pytest.mark.parametrize(
    ("ratio", "decimals"),
    [(Decimal("0"), 0), (Decimal("0.12"), 0), (Decimal("1.5"), 0), (Decimal("0.125"), 1), (Decimal("12.3456"), 2)],
)
def test_percentages_printed_are_read_back(ratio, decimals):
    assert fmt.parse_percent(fmt.format_percent(ratio, decimals)) == ratio


@pytest.mark.parametrize("day", [date(2023, 5, 3), date(2024, 2, 29), date(2027, 12, 31), date(2024, 9, 1)])
def test_dates_printed_are_read_back(day):
    assert fmt.parse_date(fmt.short_date(day)) == day
    assert fmt.parse_date(fmt.long_date(day)) == day
    assert fmt.parse_date(day.isoformat()) == day


def test_exchange_dates_stay_iso_only():
    with pytest.raises(ValueError, match="AAAA-MM-JJ"):
        fmt.parse_iso_date("01/09/2024")  # the 1st of September, or the 9th of January?


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2024, 1, 15, 9, 30, tzinfo=UTC),  # winter: UTC+1
        datetime(2024, 7, 14, 22, 5, tzinfo=UTC),  # summer: next day in Paris
        datetime(2024, 10, 27, 0, 59, tzinfo=UTC),
    ],
)  # the night clocks go back
def test_times_are_shown_in_paris_and_read_back(moment):
    assert fmt.parse_time(fmt.format_time(moment)) == moment


def test_times_are_shown_in_paris_time():
    assert fmt.format_time(datetime(2024, 7, 14, 22, 5)) == "15/07/2024 00:05"  # naive = UTC (SQLite)
    assert fmt.format_time("2024-01-15T09:30:00") == "15/01/2024 10:30"
    assert fmt.local_day(datetime(2024, 7, 14, 22, 5)) == date(2024, 7, 15)
    assert fmt.format_time(None) == DASH


def test_at_most_n_decimals_is_one_rule():
    assert fmt.at_most_decimals(Decimal("1.5"), 2) == Decimal("1.50")
    assert fmt.at_most_decimals(Decimal("1.2300"), 2) == Decimal("1.23")  # trailing zeros do not count
    with pytest.raises(ValueError, match="« 1,234 » : deux décimales au plus"):
        fmt.at_most_decimals(Decimal("1.234"), 2, "1,234")
    with pytest.raises(ValueError, match=r"taux « 0\.12345 » : quatre décimales au plus"):
        fmt.parse_rate("0.12345")


@pytest.mark.parametrize("value", [None, float("nan"), "", "  ", __import__("pandas").NaT, __import__("pandas").NA])
def test_missing_is_one_test(value):
    from ctg_data import validation
    from ctg_data.interchange import parsing

    assert fmt.missing(value) and validation.blank(value) and parsing.is_blank(value)
    assert fmt.format_money(value) == DASH


@pytest.mark.parametrize("value", [0, "0", "x", [], Decimal(0)])
def test_a_value_is_not_missing(value):
    assert not fmt.missing(value)
