"""Barème-driven amounts (docs/rules.md, "Bonus territoire CTG").

Every expected figure is recomputed here from the rule with Decimal arithmetic, never copied
from the code's output.
"""

from datetime import date
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import pytest

from ctg_data.rules.bonus import (
    ActivityFacts,
    DueStatus,
    FacilityFacts,
    PostFacts,
    RateRow,
    days_in_year,
    days_open,
    explain_fr,
    facility_due,
    find_rate,
    post_due,
)

CENT = Decimal("0.01")
NNBSP, NBSP = "\u202f", "\u00a0"
BONUS = "bonus_territoire"
COORD = "cofinancement_coordination"


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def eaje(places=25, opens_on=None, closes_on=None, territory_class="B"):
    return FacilityFacts("SOURIS", "eaje", territory_class, places, opens_on, closes_on)


def alsh(opens_on=None, closes_on=None):
    return FacilityFacts("BISCAYE", "alsh", "B", None, opens_on, closes_on)


def place_rate(year=2024, amount="3600", floor=None, cap=None, territory_class="B"):
    return RateRow(
        year,
        BONUS,
        "eaje",
        territory_class,
        "par_place",
        Decimal(amount),
        Decimal(floor) if floor else None,
        Decimal(cap) if cap else None,
    )


def hour_rate(year=2024, amount="0.15", floor=None, cap=None):
    return RateRow(
        year,
        BONUS,
        "alsh",
        "B",
        "par_heure",
        Decimal(amount),
        Decimal(floor) if floor else None,
        Decimal(cap) if cap else None,
    )


def hours(value):
    return ActivityFacts(places=None, hours_delivered=Decimal(value), hours_billed=None, fte=None)


# --- days -----------------------------------------------------------------------------------


def test_days_in_year_counts_29_february_in_leap_years_only():
    assert days_in_year(2024) == 366
    assert days_in_year(2023) == 365
    assert days_in_year(2100) == 365


def test_days_open_counts_both_the_opening_and_the_closing_day():
    assert days_open(date(2024, 9, 1), None, 2024) == 30 + 31 + 30 + 31
    assert days_open(None, date(2023, 6, 30), 2023) == 31 + 28 + 31 + 30 + 31 + 30
    assert days_open(date(2024, 3, 10), date(2024, 3, 10), 2024) == 1


def test_days_open_is_zero_when_the_facility_is_closed_all_year():
    assert days_open(date(2025, 1, 1), None, 2024) == 0
    assert days_open(None, date(2023, 12, 31), 2024) == 0


# --- facilities -----------------------------------------------------------------------------


def test_facility_opening_on_1_september_of_a_leap_year_gets_122_of_366_days():
    due = facility_due(eaje(opens_on=date(2024, 9, 1)), None, [place_rate()], year=2024, lever=BONUS)
    assert due.status == DueStatus.CALCULE
    assert due.amount == cents(Decimal(25) * Decimal("3600") * Decimal(122) / Decimal(366))
    assert due.amount == Decimal("30000.00")


def test_facility_opening_on_1_september_of_a_common_year_gets_122_of_365_days():
    due = facility_due(eaje(opens_on=date(2023, 9, 1)), None, [place_rate(year=2023)], year=2023, lever=BONUS)
    assert due.amount == cents(Decimal(25) * Decimal("3600") * Decimal(122) / Decimal(365))


def test_facility_closing_mid_year_is_paid_up_to_its_closing_day_included():
    due = facility_due(eaje(closes_on=date(2023, 6, 30)), None, [place_rate(year=2023)], year=2023, lever=BONUS)
    days = 31 + 28 + 31 + 30 + 31 + 30
    assert due.amount == cents(Decimal(25) * Decimal("3600") * Decimal(days) / Decimal(365))


def test_facility_open_all_year_gets_the_full_yearly_amount():
    due = facility_due(eaje(opens_on=date(2010, 1, 1)), None, [place_rate()], year=2024, lever=BONUS)
    assert due.amount == cents(Decimal(25) * Decimal("3600"))


def test_cap_lowers_the_yearly_amount():
    due = facility_due(eaje(), None, [place_rate(cap="80000")], year=2024, lever=BONUS)
    assert Decimal(25) * Decimal("3600") > Decimal("80000")
    assert due.amount == Decimal("80000.00")


def test_floor_raises_the_yearly_amount():
    due = facility_due(alsh(), hours("1000"), [hour_rate(floor="500")], year=2024, lever=BONUS)
    assert Decimal(1000) * Decimal("0.15") < Decimal("500")
    assert due.amount == Decimal("500.00")


def test_floor_applies_to_the_yearly_amount_before_proration():
    due = facility_due(
        alsh(opens_on=date(2024, 9, 1)), hours("1000"), [hour_rate(floor="2000")], year=2024, lever=BONUS
    )
    floor_then_prorate = cents(Decimal("2000") * Decimal(122) / Decimal(366))
    prorate_then_floor = max(Decimal(1000) * Decimal("0.15") * Decimal(122) / Decimal(366), Decimal("2000"))
    assert due.amount == floor_then_prorate
    assert due.amount != cents(prorate_then_floor)


def test_cap_applies_to_the_yearly_amount_before_proration():
    due = facility_due(eaje(opens_on=date(2024, 9, 1)), None, [place_rate(cap="80000")], year=2024, lever=BONUS)
    cap_then_prorate = cents(Decimal("80000") * Decimal(122) / Decimal(366))
    prorate_then_cap = min(Decimal(25) * Decimal("3600") * Decimal(122) / Decimal(366), Decimal("80000"))
    assert due.amount == cap_then_prorate
    assert due.amount != cents(prorate_then_cap)


def test_hour_based_alsh_multiplies_the_hours_delivered_by_the_hourly_rate():
    activity = ActivityFacts(places=None, hours_delivered=Decimal("12345.5"), hours_billed=Decimal("13000"), fte=None)
    due = facility_due(alsh(), activity, [hour_rate(amount="0.54")], year=2024, lever=BONUS)
    assert due.amount == cents(Decimal("12345.5") * Decimal("0.54"))


def test_hour_based_alsh_without_activity_row_is_activite_manquante_not_zero():
    due = facility_due(alsh(), None, [hour_rate()], year=2024, lever=BONUS)
    assert due.status == DueStatus.ACTIVITE_MANQUANTE
    assert due.amount is None


def test_hour_based_alsh_does_not_use_billed_hours_when_delivered_hours_are_missing():
    activity = ActivityFacts(places=None, hours_delivered=None, hours_billed=Decimal("900"), fte=None)
    due = facility_due(alsh(), activity, [hour_rate()], year=2024, lever=BONUS)
    assert due.status == DueStatus.ACTIVITE_MANQUANTE
    assert due.amount is None


def test_fte_based_rate_multiplies_the_year_fte_and_needs_it():
    rpe = FacilityFacts("RPE", "rpe", "", None, None, None)
    rate = RateRow(2024, BONUS, "rpe", "", "par_etp", Decimal("12000"), None, None)
    activity = ActivityFacts(places=None, hours_delivered=None, hours_billed=None, fte=Decimal("1.5"))
    assert facility_due(rpe, activity, [rate], year=2024, lever=BONUS).amount == cents(
        Decimal("1.5") * Decimal("12000")
    )
    assert facility_due(rpe, None, [rate], year=2024, lever=BONUS).status == "activite_manquante"


def test_par_place_uses_the_activity_places_over_the_facility_places():
    activity = ActivityFacts(places=30, hours_delivered=None, hours_billed=None, fte=None)
    due = facility_due(eaje(places=25), activity, [place_rate()], year=2024, lever=BONUS)
    assert due.amount == cents(Decimal(30) * Decimal("3600"))


def test_par_place_falls_back_to_the_facility_places_when_the_activity_gives_none():
    activity = ActivityFacts(places=None, hours_delivered=Decimal("50000"), hours_billed=None, fte=None)
    due = facility_due(eaje(places=25), activity, [place_rate()], year=2024, lever=BONUS)
    assert due.amount == cents(Decimal(25) * Decimal("3600"))


def test_par_place_without_any_place_count_is_activite_manquante():
    due = facility_due(eaje(places=None), None, [place_rate()], year=2024, lever=BONUS)
    assert due.status == DueStatus.ACTIVITE_MANQUANTE
    assert due.amount is None


def test_forfait_is_the_rate_amount_prorated_whatever_the_activity():
    rpe = FacilityFacts("RPE", "rpe", "A", None, date(2024, 9, 1), None)
    rate = RateRow(2024, BONUS, "rpe", "", "forfait", Decimal("9150"), None, None)
    due = facility_due(rpe, None, [rate], year=2024, lever=BONUS)
    assert due.amount == cents(Decimal("9150") * Decimal(122) / Decimal(366))


def test_class_fallback_row_is_used_when_no_row_matches_the_territory_class():
    fallback = place_rate(amount="2600", territory_class="")
    other_class = place_rate(amount="3100", territory_class="A")
    due = facility_due(eaje(), None, [other_class, fallback], year=2024, lever=BONUS)
    assert due.rate == fallback
    assert due.amount == cents(Decimal(25) * Decimal("2600"))
    assert "taux de repli (classe vide)" in explain_fr(due)


def test_exact_class_row_is_preferred_over_the_fallback_in_any_order():
    fallback = place_rate(amount="2600", territory_class="")
    exact = place_rate(amount="3600", territory_class="B")
    for rates in ([fallback, exact], [exact, fallback]):
        assert find_rate(rates, year=2024, lever=BONUS, facility_type="eaje", territory_class="B") == exact
    due = facility_due(eaje(), None, [fallback, exact], year=2024, lever=BONUS)
    assert "taux de repli" not in explain_fr(due)


def test_a_row_without_facility_type_does_not_apply_to_facilities():
    untyped = RateRow(2024, BONUS, "", "", "par_place", Decimal("3600"), None, None)
    due = facility_due(eaje(), None, [untyped], year=2024, lever=BONUS)
    assert due.status == DueStatus.SANS_BAREME


def test_missing_bareme_is_sans_bareme_and_never_zero():
    other_year = place_rate(year=2023)
    other_lever = RateRow(2024, "prestation_service", "eaje", "B", "par_place", Decimal("1"), None, None)
    due = facility_due(eaje(), None, [other_year, other_lever], year=2024, lever=BONUS)
    assert due.status == DueStatus.SANS_BAREME
    assert due.amount is None
    assert due.rate is None
    text = explain_fr(due)
    assert text.startswith("sans barème pour EAJE") and text.endswith(" en 2024")


def test_facility_closed_all_year_owes_zero_with_status_ferme():
    for facility in (eaje(closes_on=date(2023, 12, 31)), eaje(opens_on=date(2025, 1, 1))):
        due = facility_due(facility, None, [place_rate()], year=2024, lever=BONUS)
        assert due.status == DueStatus.FERME
        assert due.amount == Decimal("0.00")


def test_closed_all_year_wins_over_missing_bareme_and_missing_activity():
    closed = alsh(closes_on=date(2023, 6, 30))
    assert facility_due(closed, None, [], year=2024, lever=BONUS).status == DueStatus.FERME
    assert facility_due(closed, None, [hour_rate()], year=2024, lever=BONUS).status == "ferme"


def test_a_cost_rate_is_refused_for_a_facility():
    rate = RateRow(2024, BONUS, "eaje", "B", "taux_cout", Decimal("50"), None, None)
    with pytest.raises(ValueError):
        facility_due(eaje(), None, [rate], year=2024, lever=BONUS)


# --- rounding -------------------------------------------------------------------------------


def test_amount_landing_exactly_on_half_a_cent_rounds_up():
    due = facility_due(eaje(closes_on=date(2024, 7, 1)), None, [place_rate(amount="100.01")], year=2024, lever=BONUS)
    days = 31 + 29 + 31 + 30 + 31 + 30 + 1
    exact = Decimal(25) * Decimal("100.01") * Decimal(days) / Decimal(366)
    assert exact == Decimal("1250.125")
    assert due.amount == exact.quantize(CENT, rounding=ROUND_HALF_UP) == Decimal("1250.13")
    assert exact.quantize(CENT, rounding=ROUND_HALF_EVEN) != due.amount


def test_rounding_happens_once_at_the_end_not_at_each_step():
    due = facility_due(
        alsh(closes_on=date(2024, 7, 1)), hours("1001"), [hour_rate(amount="0.125")], year=2024, lever=BONUS
    )
    days = 31 + 29 + 31 + 30 + 31 + 30 + 1
    yearly = Decimal(1001) * Decimal("0.125")
    once = cents(yearly * Decimal(days) / Decimal(366))
    at_each_step = cents(cents(yearly) * Decimal(days) / Decimal(366))
    assert due.amount == once == Decimal("62.56")
    assert at_each_step == Decimal("62.57")


# --- posts ----------------------------------------------------------------------------------


def coord_rate(basis="taux_cout", amount="62.43", cap="48000", year=2024):
    return RateRow(year, COORD, "", "", basis, Decimal(amount), None, Decimal(cap) if cap else None)


def post(fte="0.5", starts_on=date(2020, 1, 1), ends_on=None, annual_cost="90000"):
    return PostFacts("CHARGEE-COOP", Decimal(fte), starts_on, ends_on, Decimal(annual_cost) if annual_cost else None)


def test_post_at_half_fte_with_a_cost_rate_is_capped_at_cap_times_fte():
    due = post_due(post(), [coord_rate()], year=2024)
    uncapped = Decimal("90000") * Decimal("62.43") / Decimal(100)
    cap = Decimal("48000") * Decimal("0.5")
    assert uncapped > cap
    assert due.amount == cents(cap)


def test_post_below_its_cap_gets_the_cost_rate_share_of_its_cost():
    due = post_due(post(annual_cost="30000"), [coord_rate()], year=2024)
    share = Decimal("30000") * Decimal("62.43") / Decimal(100)
    assert share < Decimal("48000") * Decimal("0.5")
    assert due.amount == cents(share)


def test_post_with_a_fte_rate_gets_fte_times_amount():
    due = post_due(post(fte="0.8"), [coord_rate(basis="par_etp", amount="30000", cap=None)], year=2024)
    assert due.amount == cents(Decimal("0.8") * Decimal("30000"))


def test_post_starting_mid_year_is_prorated_from_its_first_day():
    due = post_due(post(starts_on=date(2023, 3, 15), annual_cost="36000"), [coord_rate(year=2023)], year=2023)
    days = (31 - 15 + 1) + 30 + 31 + 30 + 31 + 31 + 30 + 31 + 30 + 31
    share = Decimal("36000") * Decimal("62.43") / Decimal(100)
    assert share < Decimal("48000") * Decimal("0.5")
    assert due.amount == cents(share * Decimal(days) / Decimal(365))


def test_post_ended_before_the_year_is_ferme_with_zero():
    due = post_due(post(ends_on=date(2023, 8, 31)), [coord_rate()], year=2024)
    assert (due.status, due.amount) == (DueStatus.FERME, Decimal("0.00"))


def test_post_cost_rate_without_annual_cost_is_unknown_not_zero():
    due = post_due(post(annual_cost=None), [coord_rate()], year=2024)
    assert (due.status, due.amount) == (DueStatus.COUT_MANQUANT, None)


def test_post_without_bareme_is_sans_bareme():
    due = post_due(post(), [coord_rate(year=2023)], year=2024)
    assert (due.status, due.amount) == (DueStatus.SANS_BAREME, None)
    assert explain_fr(due) == "sans barème pour le poste CHARGEE-COOP en 2024"


# --- explanation ----------------------------------------------------------------------------


def test_explanation_of_the_rules_example_reads_like_the_hand_computation():
    due = facility_due(eaje(opens_on=date(2024, 9, 1)), None, [place_rate()], year=2024, lever=BONUS)
    assert explain_fr(due) == f"25 places × 3{NNBSP}600,00{NBSP}€ × 122/366 jours = 30{NNBSP}000,00{NBSP}€"
    assert due.explain_fr() == explain_fr(due)


def test_explanation_keeps_every_step_as_data():
    due = facility_due(eaje(opens_on=date(2024, 9, 1)), None, [place_rate(cap="80000")], year=2024, lever=BONUS)
    assert [step.kind for step in due.steps] == ["base", "cap", "proration", "rounding"]
    assert due.steps[0].value == Decimal(25) * Decimal("3600")
    assert due.steps[1].value == Decimal("80000")


def test_explanation_mentions_the_cap_when_it_applied():
    due = facility_due(eaje(opens_on=date(2024, 9, 1)), None, [place_rate(cap="80000")], year=2024, lever=BONUS)
    assert explain_fr(due) == (
        f"25 places × 3{NNBSP}600,00{NBSP}€ = 90{NNBSP}000,00{NBSP}€, ramené au plafond de "
        f"80{NNBSP}000,00{NBSP}€ × 122/366 jours = 26{NNBSP}666,67{NBSP}€"
    )


def test_explanation_mentions_the_floor_when_it_applied():
    due = facility_due(alsh(), hours("1000"), [hour_rate(floor="500")], year=2024, lever=BONUS)
    assert explain_fr(due) == (
        f"1{NNBSP}000 heures réalisées × 0,15{NBSP}€/h = 150,00{NBSP}€, porté au plancher de 500,00{NBSP}€"
    )


def test_explanation_keeps_the_decimals_an_hourly_rate_needs():
    for amount, shown in (("0.54", "0,54"), ("0.155", "0,155"), ("0.5", "0,50")):
        due = facility_due(alsh(), hours("10"), [hour_rate(amount=amount)], year=2024, lever=BONUS)
        assert f"10 heures réalisées × {shown}{NBSP}€/h = " in explain_fr(due)


def test_explanation_of_a_capped_post_shows_the_cap_per_fte():
    due = post_due(post(), [coord_rate()], year=2024)
    assert explain_fr(due) == (
        f"coût annuel 90{NNBSP}000,00{NBSP}€ × 62,43{NBSP}% = 56{NNBSP}187,00{NBSP}€, "
        f"ramené au plafond de 24{NNBSP}000,00{NBSP}€ (48{NNBSP}000,00{NBSP}€ × 0,5 ETP)"
    )
