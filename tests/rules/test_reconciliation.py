"""Due vs notified vs paid, and the advisors' flags (docs/rules.md, "Reconciliation")."""

from decimal import Decimal

from ctg_data.rules.bonus import Due, DueStatus, RateRow
from ctg_data.rules.reconciliation import (
    Flag,
    FundingTotals,
    ReconciliationSettings,
    explain_flag_fr,
    explain_flags_fr,
    reconcile,
)

NNBSP, NBSP = "\u202f", "\u00a0"
BONUS = "bonus_territoire"
RATE = RateRow(2024, BONUS, "eaje", "B", "par_place", Decimal("3600"), None, None)
HOUR_RATE = RateRow(2024, BONUS, "alsh", "B", "par_heure", Decimal("0.15"), None, None)
SIGNATORIES = frozenset({"SIMAJE", "VILLE_LOURDES", "CAF65"})


def due(amount="30000.00", status=DueStatus.CALCULE, rate=RATE, lever=BONUS):
    return Due(status, Decimal(amount) if amount is not None else None, rate, (), 2024, lever)


def totals(notified="30000.00", paid="30000.00", beneficiaries=("SIMAJE",)):
    return FundingTotals(
        notified=Decimal(notified) if notified is not None else None,
        paid=Decimal(paid) if paid is not None else None,
        beneficiaries=frozenset(beneficiaries),
    )


def check(the_due, the_totals, *, closed=False, outside_psu=False, allowed=SIGNATORIES, **kwargs):
    return reconcile(
        the_due,
        the_totals,
        is_closed_all_year=closed,
        is_eaje_outside_psu=outside_psu,
        allowed_beneficiaries=allowed,
        **kwargs,
    )


def test_flag_codes_and_french_labels_are_those_of_the_rules():
    assert {flag.value: flag.label_fr for flag in Flag} == {
        "ecart_notifie": "écart notifié",
        "trop_verse": "trop versé",
        "verse_sans_notification": "versé sans notification",
        "equipement_ferme": "équipement fermé",
        "activite_manquante": "activité manquante",
        "hors_psu": "hors PSU",
        "hors_bonus": "hors bonus",  # rules v2
        "gestionnaire_non_signataire": "gestionnaire non signataire",
        "sans_bareme": "sans barème",
        "cout_manquant": "coût manquant",
    }


def test_matching_amounts_paid_to_a_signatory_raise_no_flag():
    rec = check(due(), totals())
    assert rec.flags == ()
    assert (rec.gap_notified, rec.gap_paid) == (Decimal("0.00"), Decimal("0.00"))
    assert explain_flags_fr(rec) == ()


def test_gaps_are_notified_minus_due_and_paid_minus_notified():
    rec = check(due("30000.00"), totals(notified="30100.00", paid="15000.00"))
    assert rec.gap_notified == Decimal("30100.00") - Decimal("30000.00")
    assert rec.gap_paid == Decimal("15000.00") - Decimal("30100.00")


def test_gaps_are_unknown_when_one_side_is_missing():
    rec = check(due(None, DueStatus.SANS_BAREME, rate=None), totals(notified=None, paid="10"))
    assert (rec.gap_notified, rec.gap_paid) == (None, None)


# --- écart notifié --------------------------------------------------------------------------


def test_notified_amount_off_by_more_than_1_percent_is_ecart_notifie():
    rec = check(due("30000.00"), totals(notified="31000.00", paid="31000.00"))
    assert rec.flags == (Flag.ECART_NOTIFIE,)
    assert explain_flag_fr(rec, Flag.ECART_NOTIFIE) == (
        f"notifié 31{NNBSP}000,00{NBSP}€ pour 30{NNBSP}000,00{NBSP}€ dus : écart de 1{NNBSP}000,00{NBSP}€ (3,3{NBSP}%)"
    )


def test_notified_exactly_1_percent_away_from_due_is_within_tolerance():
    one_percent = Decimal("30000.00") * Decimal("0.01")
    for notified in (Decimal("30000.00") + one_percent, Decimal("30000.00") - one_percent):
        rec = check(due("30000.00"), totals(notified=str(notified), paid=str(notified)))
        assert Flag.ECART_NOTIFIE not in rec.flags


def test_notified_one_cent_beyond_1_percent_is_ecart_notifie():
    one_percent = Decimal("30000.00") * Decimal("0.01")
    for notified in (
        Decimal("30000.00") + one_percent + Decimal("0.01"),
        Decimal("30000.00") - one_percent - Decimal("0.01"),
    ):
        rec = check(due("30000.00"), totals(notified=str(notified), paid=str(notified)))
        assert Flag.ECART_NOTIFIE in rec.flags


def test_on_a_small_due_the_1_euro_tolerance_dominates_the_1_percent():
    assert Decimal("50.00") * Decimal("0.01") < Decimal("1")
    for notified, flagged in (("50.60", False), ("51.00", False), ("49.00", False), ("51.01", True), ("48.99", True)):
        rec = check(due("50.00"), totals(notified=notified, paid=notified))
        assert (Flag.ECART_NOTIFIE in rec.flags) is flagged, notified


def test_missing_notification_is_not_an_ecart():
    rec = check(due("30000.00"), totals(notified=None, paid=None))
    assert rec.flags == ()


def test_tolerances_come_from_the_settings():
    strict = ReconciliationSettings(tolerance_abs=Decimal("0"), tolerance_rel=Decimal("0"))
    rec = check(due("30000.00"), totals(notified="30000.01", paid="30000.01"), settings=strict)
    assert rec.flags == (Flag.ECART_NOTIFIE,)


# --- payments -------------------------------------------------------------------------------


def test_paid_above_notified_is_trop_verse():
    rec = check(due("30000.00"), totals(notified="30000.00", paid="30000.01"))
    assert rec.flags == (Flag.TROP_VERSE,)
    assert explain_flag_fr(rec, Flag.TROP_VERSE) == (
        f"versé 30{NNBSP}000,01{NBSP}€ pour 30{NNBSP}000,00{NBSP}€ notifiés : 0,01{NBSP}€ de trop"
    )


def test_paid_below_or_equal_to_notified_is_not_trop_verse():
    for paid in ("30000.00", "12000.00", None):
        assert Flag.TROP_VERSE not in check(due(), totals(paid=paid)).flags


def test_paid_without_any_notification_is_verse_sans_notification_only():
    rec = check(due("30000.00"), totals(notified=None, paid="5000.00"))
    assert rec.flags == (Flag.VERSE_SANS_NOTIFICATION,)
    assert explain_flag_fr(rec, Flag.VERSE_SANS_NOTIFICATION) == (f"versé 5{NNBSP}000,00{NBSP}€ sans montant notifié")


def test_paid_against_a_zero_notification_is_verse_sans_notification_not_also_trop_verse():
    rec = check(due("0.00"), totals(notified="0", paid="500.00"))
    assert Flag.VERSE_SANS_NOTIFICATION in rec.flags
    assert Flag.TROP_VERSE not in rec.flags


def test_nothing_paid_and_nothing_notified_is_not_verse_sans_notification():
    for paid in (None, "0"):
        assert Flag.VERSE_SANS_NOTIFICATION not in check(due(), totals(notified=None, paid=paid)).flags


# --- facts about the facility ---------------------------------------------------------------


def test_money_for_a_facility_closed_all_year_is_equipement_ferme():
    closed_due = due("0.00", DueStatus.FERME)
    rec = check(closed_due, totals(notified=None, paid="200.00"), closed=True)
    assert Flag.EQUIPEMENT_FERME in rec.flags
    assert explain_flag_fr(rec, Flag.EQUIPEMENT_FERME) == (f"fermé toute l'année 2024 mais 200,00{NBSP}€ versés")


def test_facility_closed_all_year_without_money_is_not_flagged():
    closed_due = due("0.00", DueStatus.FERME)
    assert check(closed_due, totals(notified="0", paid="0"), closed=True).flags == ()
    assert check(closed_due, totals(notified=None, paid=None), closed=True).flags == ()


def test_missing_activity_under_an_hourly_rate_is_flagged_even_without_money():
    missing = due(None, DueStatus.ACTIVITE_MANQUANTE, rate=HOUR_RATE)
    rec = check(missing, totals(notified=None, paid=None))
    assert rec.flags == (Flag.ACTIVITE_MANQUANTE,)
    assert "par heure" in explain_flag_fr(rec, Flag.ACTIVITE_MANQUANTE)


def test_bonus_notified_to_an_eaje_outside_psu_is_hors_psu():
    rec = check(due(), totals(notified="30000.00", paid=None), outside_psu=True)
    assert rec.flags == (Flag.HORS_PSU,)
    assert explain_flag_fr(rec, Flag.HORS_PSU) == (
        f"EAJE hors PSU ayant reçu du bonus territoire : 30{NNBSP}000,00{NBSP}€ notifiés"
    )


def test_eaje_outside_psu_without_bonus_money_is_not_hors_psu():
    assert check(due(), totals(notified=None, paid=None), outside_psu=True).flags == ()
    other_lever = due(lever="subvention")
    assert Flag.HORS_PSU not in check(other_lever, totals(), outside_psu=True).flags


def test_beneficiary_neither_signatory_nor_manager_is_gestionnaire_non_signataire():
    rec = check(due(), totals(beneficiaries=("SIMAJE", "ASSO_X")))
    assert rec.flags == (Flag.GESTIONNAIRE_NON_SIGNATAIRE,)
    assert rec.unexpected_beneficiaries == frozenset({"ASSO_X"})
    assert explain_flag_fr(rec, Flag.GESTIONNAIRE_NON_SIGNATAIRE).endswith(": ASSO_X")


def test_manager_named_in_allowed_beneficiaries_is_not_flagged():
    allowed = SIGNATORIES | {"ASSO_X"}
    assert check(due(), totals(beneficiaries=("ASSO_X",)), allowed=allowed).flags == ()


def test_due_without_bareme_is_flagged_sans_bareme_and_has_no_ecart():
    no_rate = due(None, DueStatus.SANS_BAREME, rate=None)
    rec = check(no_rate, totals(notified="30000.00", paid="30000.00"))
    assert rec.flags == (Flag.SANS_BAREME,)
    assert rec.gap_notified is None


def test_post_without_its_cost_is_flagged_cout_manquant():
    no_cost = due(None, DueStatus.COUT_MANQUANT, lever="cofinancement_coordination")
    assert check(no_cost, totals(notified=None, paid=None)).flags == (Flag.COUT_MANQUANT,)


def test_several_flags_are_listed_in_a_stable_order_with_their_reasons():
    rec = check(due("30000.00"), totals(notified="20000.00", paid="25000.00", beneficiaries=("ASSO_X",)))
    assert rec.flags == (Flag.ECART_NOTIFIE, Flag.TROP_VERSE, Flag.GESTIONNAIRE_NON_SIGNATAIRE)
    lines = explain_flags_fr(rec)
    assert lines[0].startswith("écart notifié : notifié 20")
    assert lines[0].endswith(f"(-33,3{NBSP}%)")
