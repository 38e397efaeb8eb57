"""Rules for actions (docs/rules.md, "Actions"): progress, lateness, weighted roll-up through
every level of the plan (convention, enjeu, objectif… down to the fiche action), and the
progress expected at a date with the "en retard sur le calendrier" reading."""

from collections.abc import Hashable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import TypeVar

from ctg_data.vocabulary import ActionStatus

Node = TypeVar("Node", bound=Hashable)
Item = TypeVar("Item")
Weight = Decimal | float | None
# (status, avancement, poids) of one action: what its progress and its weight in a roll-up come from.
Triple = tuple[str, int | None, Weight]
# An action's triple and its expected progress at the date of the reading.
Timed = tuple[Triple, float]

PROGRESS_BY_STATUS = {
    ActionStatus.A_VENIR: 0,
    ActionStatus.EN_COURS: 50,
    ActionStatus.EN_PAUSE: 50,
    ActionStatus.REALISEE: 100,
}
CLOSED = {ActionStatus.REALISEE, ActionStatus.ABANDONNEE}


def action_progress(status: str, avancement: int | None) -> int | None:
    """Progress in percent; None for an abandoned action without a stated avancement, and for a
    non renseignée one (an empty `statut`): nothing was said, so nothing is assumed."""
    if status == ActionStatus.REALISEE:
        return 100
    if avancement is not None:
        return avancement
    return PROGRESS_BY_STATUS.get(ActionStatus(status))


def is_late(status: str, ends_on: date | None, today: date) -> bool:
    return ends_on is not None and today > ends_on and status not in CLOSED


def counts_in_rollup(status: str, avancement: int | None) -> bool:
    """Whether an action weighs in a roll-up: not abandoned, and with a progress (a non
    renseignée one without avancement has none). Progress and expected progress count the same
    actions, so that the two figures of a domain are comparable."""
    return status != ActionStatus.ABANDONNEE and action_progress(status, avancement) is not None


def _weighted_mean(values: Iterable[tuple[float, Weight]]) -> float | None:
    """Σ(poids·v)/Σ(poids), a missing poids counting 1; None when there is nothing to weigh."""
    total_weight = Decimal(0)
    weighted = Decimal(0)
    for value, weight in values:
        w = Decimal(str(weight)) if weight is not None else Decimal(1)
        weighted += w * Decimal(str(value))
        total_weight += w
    if total_weight == 0:
        return None
    return float(weighted / total_weight)


def rollup(actions: Iterable[Triple]) -> float | None:
    """Weighted mean progress Σ(poids·p)/Σ(poids) of (status, avancement, poids) triples,
    abandoned actions left out. None when nothing counts: shown as "—", never as 0 %."""
    return _weighted_mean(
        (float(action_progress(status, avancement) or 0), weight)
        for status, avancement, weight in actions
        if counts_in_rollup(status, avancement)
    )


def expected_progress(
    starts_on: date | None, ends_on: date | None, on: date, convention_starts_on: date, convention_ends_on: date
) -> float:
    """The progress (0–100) an action should show on `on`: 0 up to its start, 100 from its end,
    in proportion to the time elapsed in between. A missing date is the convention's."""
    start = starts_on or convention_starts_on
    end = ends_on or convention_ends_on
    if on >= end:
        return 100.0
    if on <= start:
        return 0.0
    return 100 * (on - start).days / (end - start).days


def expected_rollup(actions: Iterable[Timed]) -> float | None:
    """The weighted expected progress of (triple, expected) pairs: the same weights and the same
    actions as `rollup` (abandoned and non renseignées without avancement left out)."""
    return _weighted_mean(
        (expected, weight) for (status, avancement, weight), expected in actions if counts_in_rollup(status, avancement)
    )


def is_behind(progress: float | None, expected: float | None, points: float) -> bool:
    """« En retard sur le calendrier »: progress more than `points` below the expected progress
    (exactly `points` below is not behind; compared to the billionth, so that binary rounding
    never decides). Without either figure, never behind."""
    if progress is None or expected is None:
        return False
    return round(expected - progress, 9) > points


def is_unreported(status: str, avancement: int | None) -> bool:
    """A non renseignée action without avancement: it has no progress, is left out of every
    roll-up, and is counted apart (shown « non renseigné »)."""
    return status == ActionStatus.NON_RENSEIGNE and action_progress(status, avancement) is None


def tree_rollup(
    parents: Mapping[Node, Node | None], actions: Iterable[tuple[Node | None, Triple]]
) -> dict[Node, float | None]:
    """Each node's roll-up over the actions of its whole subtree: an action attached to a node
    counts for it and for every ancestor (an objectif's for its enjeu), weighted as `rollup`
    weighs them — Σ(poids·p)/Σ(poids) over those actions, not a mean of the children's figures.
    `parents`: node → its parent (None: a top level); `actions`: (node or None, triple). A node
    with no action that counts is None ("—")."""
    return {node: rollup(triples) for node, triples in subtrees(parents, actions).items()}


def subtrees(
    parents: Mapping[Node, Node | None], actions: Iterable[tuple[Node | None, Item]]
) -> dict[Node, list[Item]]:
    """The items (an action's triple, or its (triple, expected) pair…) of each node's whole
    subtree: an item attached to a node belongs to it and to every ancestor."""
    below: dict[Node, list[Item]] = {node: [] for node in parents}
    for node, item in actions:
        seen: set[Node] = set()
        while node is not None and node in below and node not in seen:  # a cycle never loops
            seen.add(node)
            below[node].append(item)
            node = parents.get(node)
    return below
