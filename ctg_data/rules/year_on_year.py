"""Year on year (docs/rules.md, « 9. D'une année à l'autre »): which years are compared, how an
indicator's value changed between them (read in the indicator's direction, a step indicator by
steps) and how an amount of money changed."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from ctg_data import formats as fmt
from ctg_data.vocabulary import Direction


class Trend(StrEnum):
    AMELIORATION = "amelioration"
    STABLE = "stable"
    DEGRADATION = "degradation"
    SANS_COMPARAISON = "sans_comparaison"  # one of the two values is missing


TREND_LABELS = {
    Trend.AMELIORATION: "En amélioration",
    Trend.STABLE: "Stable",
    Trend.DEGRADATION: "En dégradation",
    Trend.SANS_COMPARAISON: "Sans comparaison",
}


def compared_year(selected: int | None, today: date) -> int:
    """N: the year chosen in the filters, else the last whole year before `today`."""
    return selected if selected is not None else today.year - 1


def year_end(year: int, today: date) -> date:
    """The date a year's value is read at: 31 December, or `today` for the year not over yet."""
    return min(today, date(year, 12, 31))


@dataclass(frozen=True)
class Change:
    """From `previous` to `current`: the difference (steps gained for a step indicator), the
    difference as a share of the previous value, and what it means in the indicator's direction."""

    absolute: float | None
    relative: float | None
    trend: Trend


def compare(previous: float | None, current: float | None, direction: str, *, by_steps: bool = False) -> Change:
    """`current` against `previous`. Up is better for a `hausse` indicator, down for a `baisse`
    one; a step indicator moves up its steps (positions 0, 1, …), so the change is a number of
    steps and has no percentage. The percentage needs a previous value other than zero."""
    if previous is None or current is None:
        return Change(None, None, Trend.SANS_COMPARAISON)
    if by_steps:
        steps = float(round(current) - round(previous))
        return Change(steps, None, _trend(steps, Direction.HAUSSE))
    # Rounded so that 62 − 60.9 reads 1.1, not binary floating point's 1.1000000000000014.
    absolute = round(current - previous, 9)
    relative = absolute / abs(previous) if previous else None
    return Change(absolute, relative, _trend(absolute, direction))


def _trend(difference: float, direction: str) -> Trend:
    if difference == 0:
        return Trend.STABLE
    better = difference > 0 if direction == Direction.HAUSSE else difference < 0
    return Trend.AMELIORATION if better else Trend.DEGRADATION


@dataclass(frozen=True)
class MoneyChange:
    absolute: Decimal | None
    relative: float | None


def money_change(previous: Decimal | None, current: Decimal | None) -> MoneyChange:
    """An amount from one year to the next. Where one year has an amount and the other none, the
    missing one counts as zero (money not yet planned, notified or paid); with no amount either
    year there is no change to tell. The percentage needs a previous amount other than zero."""
    if fmt.missing(previous) and fmt.missing(current):
        return MoneyChange(None, None)
    before = Decimal(0) if previous is None or fmt.missing(previous) else previous
    after = Decimal(0) if current is None or fmt.missing(current) else current
    absolute = after - before
    return MoneyChange(absolute, float(absolute / before) if before else None)


# ------------------------------------------------------------------ as read on screen


def signed(text: str, negative: bool, positive: bool) -> str:
    """A French number with its sign: « +1,1 », « −2 » (the minus sign, not a hyphen)."""
    text = text.lstrip("-\u2212")
    return f"+{text}" if positive else f"\u2212{text}" if negative else text


def change_text(change: Change, *, by_steps: bool = False) -> str:
    """« +1,1 (+1,8 %) », « +1 étape », « — » without a comparison."""
    if change.absolute is None:
        return fmt.DASH
    value = change.absolute
    if by_steps:
        count = abs(int(value))
        word = "étape" if count <= 1 else "étapes"
        return f"{signed(fmt.number(count), value < 0, value > 0)} {word}"
    return _with_share(signed(fmt.smart_number(value), value < 0, value > 0), change.relative)


def money_change_text(change: MoneyChange) -> str:
    """« +1 500,00 € (+25,0 %) », « — » without any amount."""
    if change.absolute is None:
        return fmt.DASH
    value = change.absolute
    return _with_share(signed(fmt.money(abs(value)), value < 0, value > 0), change.relative)


def _with_share(text: str, share: float | None) -> str:
    if share is None:
        return text
    return f"{text} ({signed(fmt.percent(abs(share), 1), share < 0, share > 0)})"
