"""Due vs notified vs paid, and the flags CAF advisors check (docs/rules.md, "Reconciliation").

Pure: the caller sums the `financements` rows of one lever/year linked to a facility or post
and passes the facts the rules need (closed all year, EAJE outside PSU, allowed beneficiaries).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from ctg_data.formats import NBSP, exact_money, exact_number
from ctg_data.rules.bonus import BONUS_LEVER, Due, DueStatus
from ctg_data.vocabulary import RateBasis

__all__ = [
    "BONUS_LEVER",
    "Flag",
    "FundingTotals",
    "Reconciliation",
    "ReconciliationSettings",
    "explain_flag_fr",
    "explain_flags_fr",
    "information_fr",
    "reconcile",
]


@dataclass(frozen=True)
class ReconciliationSettings:
    tolerance_abs: Decimal = Decimal("1")
    tolerance_rel: Decimal = Decimal("0.01")


@dataclass(frozen=True)
class FundingTotals:
    notified: Decimal | None  # None: no row gives a notified amount
    paid: Decimal | None
    beneficiaries: frozenset[str] = frozenset()


class Flag(StrEnum):
    ECART_NOTIFIE = "ecart_notifie"
    TROP_VERSE = "trop_verse"
    VERSE_SANS_NOTIFICATION = "verse_sans_notification"
    EQUIPEMENT_FERME = "equipement_ferme"
    ACTIVITE_MANQUANTE = "activite_manquante"
    HORS_PSU = "hors_psu"
    HORS_BONUS = "hors_bonus"
    GESTIONNAIRE_NON_SIGNATAIRE = "gestionnaire_non_signataire"
    SANS_BAREME = "sans_bareme"
    COUT_MANQUANT = "cout_manquant"  # not in docs/rules.md: a taux_cout post without its cost

    @property
    def label_fr(self) -> str:
        return FLAG_LABELS[self]


FLAG_LABELS = {
    Flag.ECART_NOTIFIE: "écart notifié",
    Flag.TROP_VERSE: "trop versé",
    Flag.VERSE_SANS_NOTIFICATION: "versé sans notification",
    Flag.EQUIPEMENT_FERME: "équipement fermé",
    Flag.ACTIVITE_MANQUANTE: "activité manquante",
    Flag.HORS_PSU: "hors PSU",
    Flag.HORS_BONUS: "hors bonus",
    Flag.GESTIONNAIRE_NON_SIGNATAIRE: "gestionnaire non signataire",
    Flag.SANS_BAREME: "sans barème",
    Flag.COUT_MANQUANT: "coût manquant",
}


# What a line says without being a fault (rules v2): shown as information, never as an alert.
INFORMATION_LABELS = {
    DueStatus.HORS_BONUS: "hors bonus",
    DueStatus.HORS_PSU: "hors PSU",
    DueStatus.FERME: "fermé",
    DueStatus.PREVISIONNEL: "prévisionnel",
    DueStatus.BAREME_A_PUBLIER: "barème à publier",
}
# Flags that say why an ineligible facility got money: each replaces "écart notifié".
INELIGIBLE_FLAGS = (Flag.EQUIPEMENT_FERME, Flag.HORS_PSU, Flag.HORS_BONUS)


def information_fr(due: Due) -> str | None:
    """The information label of a due (hors bonus, prévisionnel…), None for a plain amount."""
    return INFORMATION_LABELS.get(due.status)


@dataclass(frozen=True)
class Reconciliation:
    due: Due
    notified: Decimal | None
    paid: Decimal | None
    gap_notified: Decimal | None  # notified − due
    gap_paid: Decimal | None  # paid − notified
    tolerance: Decimal | None  # the écart threshold used, None when there was no due amount
    unexpected_beneficiaries: frozenset[str]
    flags: tuple[Flag, ...]


def reconcile(
    due: Due,
    totals: FundingTotals,
    *,
    is_closed_all_year: bool,
    is_eaje_outside_psu: bool,
    allowed_beneficiaries: frozenset[str],
    settings: ReconciliationSettings = ReconciliationSettings(),
) -> Reconciliation:
    notified, paid = totals.notified, totals.paid
    gap_notified = _minus(notified, due.amount)
    gap_paid = _minus(paid, notified)
    tolerance = None
    if due.amount is not None:
        tolerance = max(settings.tolerance_abs, settings.tolerance_rel * due.amount)
    money_moved = _positive(notified) or _positive(paid)
    # A notified amount of zero counts as "nothing notified": paying against it is one
    # anomaly (versé sans notification), not two.
    nothing_notified = not _positive(notified)
    unexpected = frozenset(totals.beneficiaries - allowed_beneficiaries)

    raised = {
        Flag.ECART_NOTIFIE: gap_notified is not None and tolerance is not None and abs(gap_notified) > tolerance,
        Flag.TROP_VERSE: notified is not None and paid is not None and not nothing_notified and paid > notified,
        Flag.VERSE_SANS_NOTIFICATION: nothing_notified and _positive(paid),
        Flag.EQUIPEMENT_FERME: is_closed_all_year and money_moved,
        Flag.ACTIVITE_MANQUANTE: due.status == DueStatus.ACTIVITE_MANQUANTE,
        # The rules speak of *bonus* money: other levers may legitimately fund such an EAJE.
        Flag.HORS_PSU: (is_eaje_outside_psu or due.status == DueStatus.HORS_PSU)
        and due.lever == BONUS_LEVER
        and money_moved,
        Flag.HORS_BONUS: due.status == DueStatus.HORS_BONUS and money_moved,
        Flag.GESTIONNAIRE_NON_SIGNATAIRE: bool(unexpected),
        Flag.SANS_BAREME: due.status == DueStatus.SANS_BAREME,
        Flag.COUT_MANQUANT: due.status == DueStatus.COUT_MANQUANT,
    }
    if any(raised[flag] for flag in INELIGIBLE_FLAGS):
        # The whole amount is the gap, and one flag says why (rules v2, "Reconciliation").
        raised[Flag.ECART_NOTIFIE] = False
    return Reconciliation(
        due=due,
        notified=notified,
        paid=paid,
        gap_notified=gap_notified,
        gap_paid=gap_paid,
        tolerance=tolerance,
        unexpected_beneficiaries=unexpected,
        flags=tuple(flag for flag in Flag if raised[flag]),
    )


def explain_flag_fr(rec: Reconciliation, flag: Flag) -> str:
    """Short French reason for one flag, with the figures an advisor needs to check it."""
    due = rec.due
    if flag == Flag.ECART_NOTIFIE:
        text = (
            f"notifié {exact_money(rec.notified)} pour {exact_money(due.amount)} dus : "
            f"écart de {exact_money(rec.gap_notified)}"
        )
        if due.amount and rec.gap_notified is not None:
            share = (rec.gap_notified * 100 / due.amount).quantize(Decimal("0.1"), ROUND_HALF_UP)
            text += f" ({exact_number(share, 1)}{NBSP}%)"
        return text
    if flag == Flag.TROP_VERSE:
        return (
            f"versé {exact_money(rec.paid)} pour {exact_money(rec.notified)} notifiés : "
            f"{exact_money(rec.gap_paid)} de trop"
        )
    if flag == Flag.VERSE_SANS_NOTIFICATION:
        return f"versé {exact_money(rec.paid)} sans montant notifié"
    if flag == Flag.EQUIPEMENT_FERME:
        return f"fermé toute l'année {due.year} mais {_money_moved_fr(rec)}"
    if flag == Flag.ACTIVITE_MANQUANTE:
        return f"activité {due.year} manquante pour un barème {_basis_fr(due)} : montant dû inconnu"
    if flag == Flag.HORS_PSU:
        return f"EAJE hors PSU ayant reçu du bonus territoire : {_money_moved_fr(rec)}"
    if flag == Flag.HORS_BONUS:
        return f"type d'équipement hors bonus territoire ayant reçu du bonus : {_money_moved_fr(rec)}"
    if flag == Flag.GESTIONNAIRE_NON_SIGNATAIRE:
        names = ", ".join(sorted(rec.unexpected_beneficiaries))
        return f"bénéficiaire ni signataire de la convention ni gestionnaire : {names}"
    if flag == Flag.SANS_BAREME:
        return f"aucun barème applicable en {due.year} : montant dû inconnu"
    if flag == Flag.COUT_MANQUANT:
        return f"coût annuel du poste non renseigné : montant dû {due.year} inconnu"
    raise ValueError(f"unknown flag {flag!r}")


def explain_flags_fr(rec: Reconciliation) -> tuple[str, ...]:
    """ "label : reason" for every raised flag, in the order of the flags."""
    return tuple(f"{flag.label_fr} : {explain_flag_fr(rec, flag)}" for flag in rec.flags)


def _minus(left: Decimal | None, right: Decimal | None) -> Decimal | None:
    return None if left is None or right is None else left - right


def _positive(value: Decimal | None) -> bool:
    return value is not None and value > 0


def _money_moved_fr(rec: Reconciliation) -> str:
    parts = []
    if _positive(rec.notified):
        parts.append(f"{exact_money(rec.notified)} notifiés")
    if _positive(rec.paid):
        parts.append(f"{exact_money(rec.paid)} versés")
    return " et ".join(parts)


def _basis_fr(due: Due) -> str:
    return RateBasis.label_of(due.rate.basis) if due.rate else ""
