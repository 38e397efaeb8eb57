"""Rules for indicators (docs/rules.md, "Indicators"): attainment, expected trajectory (through
the intermediate targets), status, and what a step indicator's values are."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from itertools import pairwise
from typing import overload

from ctg_data import formats as fmt
from ctg_data.vocabulary import DEFAULT_STEPS, FREQUENCY_MONTHS, Direction, Frequency, IndicatorNature


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


# A dated value of the expected trajectory: the reference, an intermediate target, the final target.
Point = tuple[date, float]


def expected_value(on: date, points: Sequence[Point]) -> float:
    """The value expected at `on`: piecewise linear through `points` (sorted by date), the first
    value before the first point and the last one after the last point."""
    if on <= points[0][0]:
        return points[0][1]
    for (start, low), (end, high) in pairwise(points):
        if on <= end:
            span = (end - start).days
            return high if span <= 0 else low + (high - low) * (on - start).days / span
    return points[-1][1]


def expected_attainment(
    on: date,
    reference_date: date,
    target_date: date,
    *,
    reference: float | None = None,
    target: float | None = None,
    targets: Sequence[Point] = (),
) -> float:
    """e(d), clipped to [0, 1]. Without intermediate targets, the share of the time elapsed from
    reference to target; with them, (expected value − reference) / (target − reference), the
    expected value running through each intermediate target (docs/rules.md)."""
    if targets and reference is not None and target is not None and target != reference:
        points = [(reference_date, reference), *sorted(targets), (target_date, target)]
        return clip((expected_value(on, points) - reference) / (target - reference))
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
    nature: str = IndicatorNature.NOMBRE
    # Intermediate targets (date, value), strictly between the reference and target dates.
    targets: tuple[Point, ...] = ()


@dataclass(frozen=True)
class Assessment:
    status: IndicatorStatus
    attainment: float | None  # unclipped
    expected: float | None


def assess(facts: IndicatorFacts, today: date, settings: StatusSettings = StatusSettings()) -> Assessment:
    """The status of docs/rules.md, evaluated at the current value's date (a step indicator's:
    at `today`, see assess_steps)."""
    if facts.nature == IndicatorNature.ETAPE:
        return assess_steps(facts, today, settings)
    if facts.baseline_value is None or facts.target_value is None:
        return Assessment(IndicatorStatus.INCOMPLET, None, None)
    if facts.current_value is None or facts.current_date is None:
        return Assessment(IndicatorStatus.A_RENSEIGNER, None, None)
    a = attainment(facts.current_value, facts.baseline_value, facts.target_value, facts.direction)
    e = None
    if facts.baseline_date and facts.target_date:
        e = expected_attainment(
            facts.current_date,
            facts.baseline_date,
            facts.target_date,
            reference=facts.baseline_value,
            target=facts.target_value,
            targets=facts.targets,
        )
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


def assess_steps(facts: IndicatorFacts, today: date, settings: StatusSettings = StatusSettings()) -> Assessment:
    """A step indicator (values are step positions 0, 1, …): `atteint` once the target step is
    reached (a milestone stays reached, however old), `à renseigner` without a value or with a
    stale one, else `en bonne voie` until date_cible and `décroché` after it. Its attainment is
    the share of the steps from the reference (the first step when none is given) to the target."""
    if facts.target_value is None:
        return Assessment(IndicatorStatus.INCOMPLET, None, None)
    if facts.current_value is None or facts.current_date is None:
        return Assessment(IndicatorStatus.A_RENSEIGNER, None, None)
    start = facts.baseline_value if facts.baseline_value is not None else 0.0
    a = attainment(facts.current_value, start, facts.target_value, Direction.HAUSSE)
    if facts.current_value >= facts.target_value:
        return Assessment(IndicatorStatus.ATTEINT, a, None)
    if is_stale(facts.current_date, facts.frequency, today, settings):
        return Assessment(IndicatorStatus.A_RENSEIGNER, a, None)
    if facts.target_date is None or today <= facts.target_date:
        return Assessment(IndicatorStatus.EN_BONNE_VOIE, a, None)
    return Assessment(IndicatorStatus.DECROCHE, a, None)


def _at_least(value: float, bound: float) -> bool:
    # Rounded so that a value exactly on a margin (0.30 vs 0.40 − 0.10) counts as on it,
    # whatever binary floating point makes of the subtraction.
    return round(value - bound, 9) >= 0


def domain_attainment(attainments: Iterable[float | None]) -> float | None:
    """Mean of the clipped attainments of the indicators that have one."""
    values = [clip(a) for a in attainments if a is not None]
    return sum(values) / len(values) if values else None


# ------------------------------------------------------------------ step indicators

# How the default steps read; other step codes read as written, "_" shown as a space.
STEP_LABELS = dict(zip(DEFAULT_STEPS, ("Non démarré", "En cours", "Réalisé"), strict=True))


def steps_of(nature: object, steps: object) -> tuple[str, ...] | None:
    """The ordered step codes of a step indicator (its `etapes`, or the default ones), None for a
    number indicator."""
    if nature != IndicatorNature.ETAPE:
        return None
    if not isinstance(steps, str) or not steps.strip():
        return DEFAULT_STEPS
    return tuple(code.strip() for code in steps.split(";") if code.strip())


def step_label(code: str) -> str:
    label = STEP_LABELS.get(code) or code.replace("_", " ")
    return label[:1].upper() + label[1:]


def step_code(steps: Sequence[str], position: float) -> str:
    """The code of the step stored as `position`."""
    return steps[round(position)]


def shown_value(value: float | None, steps: Sequence[str] | None) -> str:
    """A stored value as read on screen: a step's label for a step indicator, else the number in
    French; "—" when there is none."""
    if fmt.missing(value):
        return fmt.DASH
    if steps:
        assert value is not None  # missing() is False
        return step_label(step_code(steps, float(value)))
    return fmt.smart_number(value)
