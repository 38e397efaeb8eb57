"""Rules for actions (docs/rules.md, "Actions"): progress, lateness, weighted roll-up through
every level of the plan (convention, enjeu, objectif… down to the fiche action)."""

from collections.abc import Hashable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import TypeVar

from ctg_data.vocabulary import ActionStatus

Node = TypeVar("Node", bound=Hashable)
# (status, avancement, poids) of one action: what its progress and its weight in a roll-up come from.
Triple = tuple[str, int | None, Decimal | float | None]

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


def rollup(actions: Iterable[tuple[str, int | None, Decimal | float | None]]) -> float | None:
    """Weighted mean progress Σ(poids·p)/Σ(poids) of (status, avancement, poids) triples,
    abandoned actions left out. None when nothing counts: shown as "—", never as 0 %."""
    total_weight = Decimal(0)
    weighted = Decimal(0)
    for status, avancement, weight in actions:
        if status == ActionStatus.ABANDONNEE:
            continue
        progress = action_progress(status, avancement)
        if progress is None:  # no status-based progress to weigh (only abandoned actions lack one)
            continue
        w = Decimal(str(weight)) if weight is not None else Decimal(1)
        weighted += w * progress
        total_weight += w
    if total_weight == 0:
        return None
    return float(weighted / total_weight)


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
    below: dict[Node, list[Triple]] = {node: [] for node in parents}
    for node, triple in actions:
        seen: set[Node] = set()
        while node is not None and node in below and node not in seen:  # a cycle never loops
            seen.add(node)
            below[node].append(triple)
            node = parents.get(node)
    return {node: rollup(triples) for node, triples in below.items()}
