"""The portfolio's pure pieces: a domain's progress against schedule from the weighted sums the
database adds up (the same figures as rules.actions.rollup / expected_rollup), and the alerts of
a convention in French."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ctg_data import formats as fmt
from ctg_data.rules.actions import is_behind


@dataclass(frozen=True)
class DomainFigures:
    """Σ poids, Σ poids·avancement and Σ poids·avancement attendu over the actions that count in
    a roll-up (rules.actions.counts_in_rollup); None when no action counts."""

    weight: float | None
    weighted_progress: float | None
    weighted_expected: float | None

    @staticmethod
    def total(parts: Sequence["DomainFigures"]) -> "DomainFigures":
        """The figures of several domains together (the convention's): sums add up."""
        counted = [part for part in parts if part.weight]
        if not counted:
            return DomainFigures(None, None, None)
        return DomainFigures(
            sum(part.weight or 0.0 for part in counted),
            sum(part.weighted_progress or 0.0 for part in counted),
            sum(part.weighted_expected or 0.0 for part in counted),
        )


def schedule(figures: DomainFigures, points: float) -> tuple[float | None, float | None, bool]:
    """(progress, expected progress, « en retard sur le calendrier ») of the weighted sums:
    Σ(poids·p)/Σ(poids) as rules.actions.rollup, None when nothing counts."""
    if not figures.weight:
        return None, None, False
    progress = (figures.weighted_progress or 0.0) / figures.weight
    expected = (figures.weighted_expected or 0.0) / figures.weight
    return progress, expected, is_behind(progress, expected, points)


def _plural(count: int, one: str, many: str) -> str:
    return f"{fmt.format_number(count)} {one if count == 1 else many}"


def convention_alerts(
    domains_behind: Sequence[str], late: int, dropped: int, overdue: int, unpaid: Decimal | None
) -> list[str]:
    """What an advisor should look at in a convention, in French, most structural first:
    domains behind schedule (one is named, several counted), late actions, indicators décrochés, overdue decisions, and
    bonus notified but not paid (or paid beyond the notified amount) in the years that are over."""
    alerts = []
    if len(domains_behind) == 1:
        alerts.append(f"{domains_behind[0]} en retard sur le calendrier")
    elif domains_behind:  # named in the table by domain: the cell stays short
        alerts.append(f"{fmt.format_number(len(domains_behind))} domaines en retard sur le calendrier")
    if late:
        alerts.append(_plural(late, "action en retard", "actions en retard"))
    if dropped:
        alerts.append(_plural(dropped, "indicateur décroché", "indicateurs décrochés"))
    if overdue:
        alerts.append(_plural(overdue, "décision échue non faite", "décisions échues non faites"))
    if unpaid is not None and unpaid > 0:
        alerts.append(f"Bonus : {fmt.format_money(unpaid)} notifiés non versés")
    elif unpaid is not None and unpaid < 0:
        alerts.append(f"Bonus : {fmt.format_money(-unpaid)} versés au-delà du notifié")
    return alerts
