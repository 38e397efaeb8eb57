"""Rules for actions (docs/rules.md, "Actions"): progress, lateness, weighted roll-up."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from ctg_data.vocabulary import ActionStatus

PROGRESS_BY_STATUS = {
    ActionStatus.A_VENIR: 0,
    ActionStatus.EN_COURS: 50,
    ActionStatus.EN_PAUSE: 50,
    ActionStatus.REALISEE: 100,
}
CLOSED = {ActionStatus.REALISEE, ActionStatus.ABANDONNEE}


def action_progress(status: str, avancement: int | None) -> int | None:
    """Progress in percent; None for an abandoned action without a stated avancement."""
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
