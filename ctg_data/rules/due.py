"""What a partner has to enter (« À saisir »): when an indicator's next value and a facility's
yearly activity are due. Pure: the dates and facts come from ctg_data.queries.due.

- A measurement is due when the indicator has no whole-convention « résultat » yet, or when its
  latest one is stale by the rule of the status « À renseigner » (rules.indicators.is_stale):
  the list and the status never disagree. A step indicator whose target step is reached is never
  due (a milestone stays reached, as in assess_steps). Its due date is one period after the
  latest value (or after the convention's start when there is none).
- A facility's activity of year Y is due once Y's declaration date has passed (YearClock): only
  the year before today's is asked for.
"""

import calendar
from datetime import date

from ctg_data.rules.bonus import YearClock
from ctg_data.rules.indicators import is_stale
from ctg_data.vocabulary import FREQUENCY_MONTHS, Frequency


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, kept in the month (31 January + 1 month = 28/29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def period_months(frequency: str | None) -> int:
    # Without a frequency an indicator is yearly, the least demanding one (as is_stale reads it).
    return FREQUENCY_MONTHS[Frequency(frequency or Frequency.ANNUELLE)]


def measurement_due(
    last_on: date | None, frequency: str | None, today: date, *, start: date, reached: bool = False
) -> date | None:
    """The date the indicator's next whole-convention result was expected, when one is due at
    `today`; None when none is (a fresh value, or a step indicator at its target step)."""
    if reached:
        return None
    if last_on is not None and not is_stale(last_on, frequency, today):
        return None
    return add_months(last_on or start, period_months(frequency))


def declaration_year(clock: YearClock) -> int | None:
    """The year whose activity must be declared by now: the year before today's, once its
    declaration date has passed; None before that date (missing activity is not due yet)."""
    year = clock.today.year - 1
    return None if clock.is_pending(year) else year
