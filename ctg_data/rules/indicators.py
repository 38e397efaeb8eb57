"""Rules for indicators (docs/rules.md, "Indicators"): attainment, expected trajectory, status."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import overload

from ctg_data.vocabulary import FREQUENCY_MONTHS, Direction, Frequency


class IndicatorStatus(StrEnum):
    ATTEINT = "atteint"
    EN_BONNE_VOIE = "en_bonne_voie"
    A_SURVEILLER = "a_surveiller"
    DECROCHE = "decroche"
    A_RENSEIGNER = "a_renseigner"
    INCOMPLET = "incomplet"


STATUS_LABELS = {
    IndicatorStatus.ATTEINT: "Atteint",
    IndicatorStatus.EN_BONNE_VOIE: "En bonne voie",
    IndicatorStatus.A_SURVEILLER: "À surveiller",
    IndicatorStatus.DECROCHE: "Décroché",
    IndicatorStatus.A_RENSEIGNER: "À renseigner",
    IndicatorStatus.INCOMPLET: "Incomplet",
}
# A symbol beside each status so that it is never told by colour alone.
STATUS_SYMBOLS = {
    IndicatorStatus.ATTEINT: "✔",
    IndicatorStatus.EN_BONNE_VOIE: "↗",
    IndicatorStatus.A_SURVEILLER: "⚠",
    IndicatorStatus.DECROCHE: "✖",
    IndicatorStatus.A_RENSEIGNER: "?",
    IndicatorStatus.INCOMPLET: "…",
}


@dataclass(frozen=True)
class StatusSettings:
    on_track_margin: float = 0.10
    watch_margin: float = 0.25
    staleness_factor: float = 1.5


def attainment(current: float, reference: float, target: float, direction: str) -> float:
    """Share of the way from reference to target (unclipped; may be < 0 or > 1)."""
    if target == reference:
        reached = current >= target if direction == Direction.HAUSSE else current <= target
        return 1.0 if reached else 0.0
    return (current - reference) / (target - reference)


@overload
def clip(ratio: float) -> float: ...
@overload
def clip(ratio: None) -> None: ...
def clip(ratio: float | None) -> float | None:
    return None if ratio is None else min(1.0, max(0.0, ratio))


def expected_attainment(on: date, reference_date: date, target_date: date) -> float:
    span = (target_date - reference_date).days
    if span <= 0:
        return 1.0
    return clip((on - reference_date).days / span)


def months_between(earlier: date, later: date) -> float:
    return (later.year - earlier.year) * 12 + (later.month - earlier.month) + (later.day - earlier.day) / 31


def is_stale(
    last_measured_on: date, frequency: str | None, today: date, settings: StatusSettings = StatusSettings()
) -> bool:
    """Older than 1.5 × its frequency before today (an indicator without a frequency is
    treated as yearly, the least demanding one)."""
    months = FREQUENCY_MONTHS[Frequency(frequency or Frequency.ANNUELLE)]
    return months_between(last_measured_on, today) > settings.staleness_factor * months


@dataclass(frozen=True)
class IndicatorFacts:
    direction: str
    baseline_value: float | None
    baseline_date: date | None
    target_value: float | None
    target_date: date | None
    frequency: str | None
    current_value: float | None
    current_date: date | None


@dataclass(frozen=True)
class Assessment:
    status: IndicatorStatus
    attainment: float | None  # unclipped
    expected: float | None


def assess(facts: IndicatorFacts, today: date, settings: StatusSettings = StatusSettings()) -> Assessment:
    """The status of docs/rules.md, evaluated at the current value's date."""
    if facts.baseline_value is None or facts.target_value is None:
        return Assessment(IndicatorStatus.INCOMPLET, None, None)
    if facts.current_value is None or facts.current_date is None:
        return Assessment(IndicatorStatus.A_RENSEIGNER, None, None)
    a = attainment(facts.current_value, facts.baseline_value, facts.target_value, facts.direction)
    e = None
    if facts.baseline_date and facts.target_date:
        e = expected_attainment(facts.current_date, facts.baseline_date, facts.target_date)
    if is_stale(facts.current_date, facts.frequency, today, settings):
        return Assessment(IndicatorStatus.A_RENSEIGNER, a, e)
    if a >= 1:
        status = IndicatorStatus.ATTEINT
    elif e is None:
        # Without dates there is no trajectory to compare with: progress alone can't say more.
        status = IndicatorStatus.EN_BONNE_VOIE if a > 0 else IndicatorStatus.A_SURVEILLER
    elif _at_least(a, e - settings.on_track_margin):
        status = IndicatorStatus.EN_BONNE_VOIE
    elif _at_least(a, e - settings.watch_margin):
        status = IndicatorStatus.A_SURVEILLER
    else:
        status = IndicatorStatus.DECROCHE
    return Assessment(status, a, e)


def _at_least(value: float, bound: float) -> bool:
    # Rounded so that a value exactly on a margin (0.30 vs 0.40 − 0.10) counts as on it,
    # whatever binary floating point makes of the subtraction.
    return round(value - bound, 9) >= 0


def domain_attainment(attainments: Iterable[float | None]) -> float | None:
    """Mean of the clipped attainments of the indicators that have one."""
    values = [clip(a) for a in attainments if a is not None]
    return sum(values) / len(values) if values else None
