"""Rules version 2 of the bonus territoire (docs/rules.md): eligibility, existing and new places,
barème scopes, the rate floor, years not over, and the reconciliation flags that go with them.

Every expected figure is worked out by hand in the comment above it (Decimal, half-up once).
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from ctg_data.rules.bonus import (
    ActivityFacts,
    DueStatus,
    FacilityFacts,
    PostFacts,
    RateRow,
    YearClock,
    explain_fr,
    facility_due,
    find_rate,
    post_due,
)
from ctg_data.rules.reconciliation import Flag, FundingTotals, information_fr, reconcile

BONUS = "bonus_territoire"
NNBSP, NBSP = "\u202f", "\u00a0"
SCOPES = ("ctg-x", "caf65")  # the convention's code, then its CAF's


def row(
    amount,
    *,
    year=2024,
    type_="eaje",
    klass="",
    category="",
    scope="",
    basis="par_place",
    rate_floor=None,
    floor=None,
    cap=None,
):
    return RateRow(
        year,
        BONUS,
        type_,
        klass,
        basis,
        Decimal(amount),
        floor and Decimal(floor),
        cap and Decimal(cap),
        "",
        category,
        scope,
        rate_floor and Decimal(rate_floor),
    )


# The eligibility the bonus report reads from facility_types: these two are outside the bonus.
OUTSIDE_BONUS = {"centre_social", "evs"}


def facility(type_="eaje", places=30, *, psu=True, new=None, new_from=None, klass="B", opens_on=None, closes_on=None):
    return FacilityFacts(
        "F",
        type_,
        klass,
        places,
        opens_on,
        closes_on,
        psu,
        new,
        new_from,
        SCOPES,
        bonus_eligible=type_ not in OUTSIDE_BONUS,
    )


def due_of(fac, rates, activity=None, year=2024, clock=None):
    return facility_due(fac, activity, rates, year=year, lever=BONUS, clock=clock)


def cents(value):
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- step 0: eligibility ------------------------------------------------------------------------


def test_a_type_outside_the_bonus_is_due_zero_not_unknown_even_with_a_bareme_row():
    for type_ in ("centre_social", "evs"):
        due = due_of(facility(type_, None), [row("5000", type_=type_, basis="forfait")])
        assert (due.status, due.amount) == (DueStatus.HORS_BONUS, Decimal("0.00"))
        assert "hors bonus territoire" in explain_fr(due)
        assert information_fr(due) == "hors bonus"


def test_an_eaje_outside_psu_is_due_zero_whatever_the_bareme_says():
    due = due_of(facility(psu=False, places=10, klass="qpv"), [row("3600", klass="qpv")])
    assert (due.status, due.amount) == (DueStatus.HORS_PSU, Decimal("0.00"))
    assert information_fr(due) == "hors PSU"
    # Unknown PSU keeps computing (nothing says the EAJE is outside): 10 × 3 600 = 36 000,00.
    unknown = due_of(facility(psu=None, places=10, klass="qpv"), [row("3600", klass="qpv")])
    assert unknown.amount == Decimal("36000.00")


def test_eligibility_concerns_the_bonus_lever_only():
    rates = [RateRow(2024, "prestation_service", "centre_social", "", "forfait", Decimal("700"))]
    due = facility_due(facility("centre_social", None), None, rates, year=2024, lever="prestation_service")
    assert (due.status, due.amount) == (DueStatus.CALCULE, Decimal("700.00"))


# --- steps 1 and 2: scopes, categories, existing and new places ---------------------------------


def test_existing_places_take_the_caf_row_and_new_places_the_national_row():
    rates = [
        row("3600", klass="B", category="nouvelle"),
        row("2850.40", category="existante", scope="caf65"),
        row("3100", klass="B"),
    ]
    due = due_of(facility(new=5), rates)
    # 25 existing × 2 850,40 = 71 260,00 ; 5 new × 3 600,00 = 18 000,00 ; total 89 260,00.
    assert due.amount == Decimal("89260.00")
    assert explain_fr(due) == (
        f"25 places existantes × 2{NNBSP}850,40{NBSP}€ + 5 places nouvelles × 3{NNBSP}600,00{NBSP}€"
        f" = 89{NNBSP}260,00{NBSP}€ — barème de la CAF caf65 — taux de repli (classe vide)"
    )


def test_without_new_places_a_national_class_row_no_longer_pays_existing_places_the_qpv_maximum():
    # The example: 25 existing places in the qpv class, a CAF row smooths the former CEJ.
    rates = [row("3600", klass="qpv"), row("1200", category="existante", scope="caf65")]
    due = due_of(facility(places=25, klass="qpv"), rates)
    assert due.amount == Decimal("30000.00")  # 25 × 1 200,00, not 25 × 3 600,00 = 90 000,00


def test_scopes_are_searched_convention_then_caf_then_national_in_any_order():
    national, caf, own = row("3100"), row("2000", scope="caf65"), row("1500", scope="ctg-x")
    for rates in ([national, caf, own], [own, caf, national], [caf, national, own]):
        assert find_rate(rates, year=2024, lever=BONUS, facility_type="eaje", territory_class="B", scopes=SCOPES) == own
    assert (
        find_rate([national, caf], year=2024, lever=BONUS, facility_type="eaje", territory_class="B", scopes=SCOPES)
        == caf
    )
    other_caf = row("999", scope="caf31")
    assert (
        find_rate(
            [national, other_caf], year=2024, lever=BONUS, facility_type="eaje", territory_class="B", scopes=SCOPES
        )
        == national
    )


def test_within_a_scope_the_class_row_wins_over_the_empty_class_and_the_category_over_the_empty_one():
    empty, klass = row("2600", scope="caf65"), row("3100", klass="B", scope="caf65")
    category = row("2900", category="existante", scope="caf65")
    for rates in ([empty, klass], [klass, empty]):
        assert (
            find_rate(
                rates,
                year=2024,
                lever=BONUS,
                facility_type="eaje",
                territory_class="B",
                scopes=SCOPES,
                place_category="existante",
            )
            == klass
        )
    assert (
        find_rate(
            [klass, category],
            year=2024,
            lever=BONUS,
            facility_type="eaje",
            territory_class="B",
            scopes=SCOPES,
            place_category="existante",
        )
        == category
    )


def test_new_places_fall_back_to_the_row_of_empty_category():
    due = due_of(facility(new=5), [row("3100", klass="B")])
    # 25 × 3 100 + 5 × 3 100 = 93 000,00: the v1 amount, split in words.
    assert due.amount == Decimal("93000.00")
    assert explain_fr(due).startswith("25 places existantes × 3")


def test_new_places_count_from_their_creation_date_prorated_by_days():
    rates = [row("3100", klass="B"), row("3600", category="nouvelle")]
    due = due_of(facility(new=5, new_from=date(2024, 9, 1)), rates)
    # 2024 has 366 days; new places exist from 1 Sept: 122 days.
    # 25 × 3 100 = 77 500 ; 5 × 3 600 × 122/366 = 6 000 ; total 83 500,00.
    assert due.amount == Decimal("83500.00")
    assert "5 places nouvelles × 3" in explain_fr(due) and "× 122/366 jours" in explain_fr(due)
    before = due_of(facility(new=5, new_from=date(2025, 1, 1)), rates)
    assert before.amount == Decimal("77500.00")  # the new places do not exist yet in 2024
    after = due_of(facility(new=5, new_from=date(2023, 9, 1)), rates)
    assert after.amount == Decimal("95500.00")  # 77 500 + 5 × 3 600


def test_a_facility_opening_with_new_places_is_prorated_once():
    rates = [row("3600", category="nouvelle", year=2026)]
    fac = facility(places=30, new=30, new_from=date(2026, 9, 1), opens_on=date(2026, 9, 1))
    due = due_of(fac, rates, year=2026)
    # 30 × 3 600 = 108 000 × 122/365 = 36 098,630… → 36 098,63 (not × 122/365 twice).
    assert due.amount == cents(Decimal(108000) * 122 / 365) == Decimal("36098.63")


def test_activity_new_places_win_over_the_facility_ones():
    rates = [row("3100", klass="B"), row("3600", category="nouvelle")]
    activity = ActivityFacts(places=32, new_places=7)
    # 25 × 3 100 + 7 × 3 600 = 77 500 + 25 200 = 102 700,00.
    assert due_of(facility(new=5), rates, activity).amount == Decimal("102700.00")


def test_new_places_without_any_row_for_them_is_sans_bareme():
    due = due_of(facility(new=5), [row("2850", category="existante")])
    assert (due.status, due.amount) == (DueStatus.SANS_BAREME, None)
    assert "places nouvelles" in explain_fr(due)


# --- step 3: the rate floor ---------------------------------------------------------------------


def test_the_rate_floor_raises_the_hourly_rate_before_multiplying():
    rates = [row("0.12", type_="alsh", basis="par_heure", rate_floor="0.15")]
    due = due_of(facility("alsh", None), rates, ActivityFacts(hours_delivered=Decimal("1000")))
    assert due.amount == Decimal("150.00")  # 1 000 h × 0,15 (0,12 raised), not 1 000 × 0,12 = 120
    assert "porté au taux plancher de 0,15" in explain_fr(due)
    above = [row("0.45", type_="alsh", basis="par_heure", rate_floor="0.15")]
    assert due_of(facility("alsh", None), above, ActivityFacts(hours_delivered=Decimal("1000"))).amount == Decimal(
        "450.00"
    )


def test_the_yearly_floor_still_bounds_the_amount_after_the_rate_floor():
    rates = [row("0.12", type_="alsh", basis="par_heure", rate_floor="0.15", floor="500")]
    due = due_of(facility("alsh", None), rates, ActivityFacts(hours_delivered=Decimal("1000")))
    assert due.amount == Decimal("500.00")  # 150,00 raised to the yearly plancher


# --- years not over -----------------------------------------------------------------------------


def test_missing_activity_of_a_year_not_over_is_previsionnel_until_the_declaration_date():
    rates = [row("0.45", type_="alsh", basis="par_heure", year=2025)]
    for today, status in (
        (date(2025, 11, 26), DueStatus.PREVISIONNEL),
        (date(2026, 3, 31), DueStatus.PREVISIONNEL),
        (date(2026, 4, 1), DueStatus.ACTIVITE_MANQUANTE),
    ):
        due = due_of(facility("alsh", None), rates, year=2025, clock=YearClock(today))
        assert (due.status, due.amount) == (status, None)
    pending = due_of(facility("alsh", None), rates, year=2025, clock=YearClock(date(2025, 11, 26)))
    assert "attendue au 31/03/2026" in explain_fr(pending)
    assert information_fr(pending) == "prévisionnel"


def test_the_declaration_date_is_a_setting():
    rates = [row("0.45", type_="alsh", basis="par_heure", year=2025)]
    clock = YearClock(date(2026, 4, 15), declaration_month=4, declaration_day=30)
    assert due_of(facility("alsh", None), rates, year=2025, clock=clock).status == DueStatus.PREVISIONNEL


def test_a_missing_bareme_of_a_year_not_over_is_bareme_a_publier():
    clock = YearClock(date(2026, 11, 26))
    due = due_of(facility("ludotheque", None), [], year=2026, clock=clock)
    assert (due.status, due.amount, information_fr(due)) == (DueStatus.BAREME_A_PUBLIER, None, "barème à publier")
    assert due_of(facility("ludotheque", None), [], year=2024, clock=clock).status == DueStatus.SANS_BAREME
    post = PostFacts("P", Decimal(1), date(2020, 1, 1), None, Decimal("50000"))
    assert post_due(post, [], year=2026, clock=clock).status == DueStatus.BAREME_A_PUBLIER


def test_a_computable_year_not_over_is_computed():
    due = due_of(
        facility(places=25), [row("3100", klass="B", year=2026)], year=2026, clock=YearClock(date(2026, 11, 26))
    )
    assert (due.status, due.amount) == (DueStatus.CALCULE, Decimal("77500.00"))


# --- reconciliation -----------------------------------------------------------------------------


def rec(due, notified, paid=None, closed=False):
    totals = FundingTotals(notified and Decimal(notified), paid and Decimal(paid), frozenset({"M"}))
    return reconcile(
        due, totals, is_closed_all_year=closed, is_eaje_outside_psu=False, allowed_beneficiaries=frozenset({"M"})
    )


def test_bonus_money_to_an_ineligible_type_is_hors_bonus_and_replaces_ecart_notifie():
    due = due_of(facility("centre_social", None), [])
    flagged = rec(due, "4000.00", "4000.00")
    assert flagged.flags == (Flag.HORS_BONUS,)
    assert flagged.gap_notified == Decimal("4000.00")  # the whole amount is the gap
    assert rec(due, None).flags == ()  # information only


def test_bonus_money_to_an_eaje_outside_psu_is_hors_psu_only():
    due = due_of(facility(psu=False, places=10, klass="qpv"), [row("3600", klass="qpv")])
    flagged = rec(due, "36000.00", "18000.00")
    assert flagged.flags == (Flag.HORS_PSU,)
    assert flagged.gap_notified == Decimal("36000.00")


def test_money_for_a_closed_facility_is_equipement_ferme_only():
    due = due_of(facility(opens_on=None, closes_on=date(2023, 6, 30)), [row("3100", klass="B")])
    assert rec(due, "5000.00", closed=True).flags == (Flag.EQUIPEMENT_FERME,)


def test_a_year_not_over_raises_no_flag_for_what_is_missing():
    rates = [row("0.45", type_="alsh", basis="par_heure", year=2026)]
    pending = due_of(facility("alsh", None), rates, year=2026, clock=YearClock(date(2026, 11, 26)))
    assert rec(pending, "9000.00", "4000.00").flags == ()
    assert rec(pending, "9000.00", "9500.00").flags == (Flag.TROP_VERSE,)  # a fact, whatever the year
