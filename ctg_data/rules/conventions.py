"""Facts derived from a convention's dates, computed here once and read from here."""

from datetime import date


def convention_years(starts_on: date, ends_on: date) -> tuple[int, ...]:
    """The calendar years a convention covers, both ends included (2023–2027 for 30/05/2023 →
    29/05/2027): the years its funding, activity and bonus are counted in."""
    return tuple(range(starts_on.year, ends_on.year + 1))


def year_in_convention(year: int, starts_on: date, ends_on: date) -> bool:
    return starts_on.year <= year <= ends_on.year
