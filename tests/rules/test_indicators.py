"""Indicator rules (docs/rules.md, "Indicators"): attainment, expected trajectory, status.

Most status tests use one 100-day trajectory (2024-01-01 → 2024-04-10, from 0 to 100) so that
a day on the calendar is one hundredth of the expected attainment and one unit of value is one
hundredth of the attainment: every boundary below is exact in decimal arithmetic.
Expected figures are recomputed from docs/rules.md, never copied from the code's output.
"""

from datetime import date, timedelta

import pytest

from ctg_data.rules.indicators import (
    IndicatorFacts,
    IndicatorStatus,
    StatusSettings,
    assess,
    attainment,
    clip,
    domain_attainment,
    expected_attainment,
)

REFERENCE_DATE = date(2024, 1, 1)
TARGET_DATE = date(2024, 4, 10)
SPAN_DAYS = 100


def day(n: int) -> date:
    """The n-th day of the trajectory, where the expected attainment is n / 100."""
    return REFERENCE_DATE + timedelta(days=n)


def facts(
    current,
    measured_on,
    *,
    reference=0.0,
    target=100.0,
    direction="hausse",
    frequency="annuelle",
    reference_date=REFERENCE_DATE,
    target_date=TARGET_DATE,
):
    return IndicatorFacts(
        direction=direction,
        baseline_value=reference,
        baseline_date=reference_date,
        target_value=target,
        target_date=target_date,
        frequency=frequency,
        current_value=current,
        current_date=measured_on,
    )


def status_of(indicator, today=None):
    """Status with `today` a few days after the measurement, well within any frequency."""
    return assess(indicator, today or indicator.current_date + timedelta(days=3)).status


def test_trajectory_used_by_these_tests_lasts_exactly_100_days():
    assert (TARGET_DATE - REFERENCE_DATE).days == SPAN_DAYS


# --- attainment -----------------------------------------------------------------------------


def test_attainment_is_the_share_of_the_way_from_reference_to_target_when_rising():
    assert attainment(14, 10, 20, "hausse") == pytest.approx((14 - 10) / (20 - 10))


def test_attainment_is_the_share_of_the_way_from_reference_to_target_when_falling():
    assert attainment(17, 20, 10, "baisse") == pytest.approx((17 - 20) / (10 - 20))


@pytest.mark.parametrize(
    ("current", "reference", "target", "direction"),
    [(25, 10, 20, "hausse"), (5, 20, 10, "baisse")],
)
def test_attainment_beyond_the_target_exceeds_one(current, reference, target, direction):
    expected = (current - reference) / (target - reference)  # 15/10 and -15/-10
    assert attainment(current, reference, target, direction) == pytest.approx(expected)
    assert expected > 1


@pytest.mark.parametrize(
    ("current", "reference", "target", "direction"),
    [(5, 10, 20, "hausse"), (25, 20, 10, "baisse")],
)
def test_attainment_on_the_wrong_side_of_the_reference_is_negative(current, reference, target, direction):
    expected = (current - reference) / (target - reference)  # -5/10 and 5/-10
    assert attainment(current, reference, target, direction) == pytest.approx(expected)
    assert expected < 0


@pytest.mark.parametrize(("current", "expected"), [(50, 1.0), (51, 1.0), (49, 0.0)])
def test_attainment_when_target_equals_reference_rising_is_one_at_or_above_target(current, expected):
    assert attainment(current, 50, 50, "hausse") == expected


@pytest.mark.parametrize(("current", "expected"), [(50, 1.0), (49, 1.0), (51, 0.0)])
def test_attainment_when_target_equals_reference_falling_is_one_at_or_below_target(current, expected):
    assert attainment(current, 50, 50, "baisse") == expected


@pytest.mark.parametrize(("ratio", "expected"), [(-0.5, 0.0), (0.0, 0.0), (0.3, 0.3), (1.0, 1.0), (1.5, 1.0)])
def test_clip_keeps_attainment_between_zero_and_one(ratio, expected):
    assert clip(ratio) == expected


def test_clip_of_no_attainment_is_no_value():
    assert clip(None) is None


# --- expected attainment --------------------------------------------------------------------


def test_expected_attainment_before_the_reference_date_is_zero():
    assert expected_attainment(date(2023, 12, 1), REFERENCE_DATE, TARGET_DATE) == 0


def test_expected_attainment_on_the_reference_date_is_zero():
    assert expected_attainment(REFERENCE_DATE, REFERENCE_DATE, TARGET_DATE) == 0


@pytest.mark.parametrize("n", [25, 50, 73])
def test_expected_attainment_grows_linearly_between_reference_and_target(n):
    assert expected_attainment(day(n), REFERENCE_DATE, TARGET_DATE) == pytest.approx(n / SPAN_DAYS)


def test_expected_attainment_on_the_target_date_is_one():
    assert expected_attainment(TARGET_DATE, REFERENCE_DATE, TARGET_DATE) == 1


def test_expected_attainment_after_the_target_date_is_one():
    assert expected_attainment(date(2025, 1, 1), REFERENCE_DATE, TARGET_DATE) == 1


def test_expected_attainment_over_a_year_counts_days():
    # 2023-01-01 → 2024-01-01 is 365 days; 2023-07-01 is 181 days in.
    assert expected_attainment(date(2023, 7, 1), date(2023, 1, 1), date(2024, 1, 1)) == pytest.approx(181 / 365)


# --- status: atteint ------------------------------------------------------------------------


def test_indicator_exactly_at_its_target_is_atteint():
    assert status_of(facts(100, day(10))) == IndicatorStatus.ATTEINT  # a = 100/100 = 1


def test_indicator_beyond_its_target_is_atteint_and_keeps_its_unclipped_attainment():
    assessment = assess(facts(120, day(10)), today=day(13))
    assert assessment.status == IndicatorStatus.ATTEINT
    assert assessment.attainment == pytest.approx((120 - 0) / (100 - 0))


def test_falling_indicator_below_its_target_is_atteint():
    # reference 20, target 10, current 8: a = (8 − 20) / (10 − 20) = 1.2
    assert status_of(facts(8, day(10), reference=20, target=10, direction="baisse")) == IndicatorStatus.ATTEINT


# --- status: trajectory margins -------------------------------------------------------------


def test_indicator_ahead_of_its_trajectory_is_en_bonne_voie():
    # Day 50: e = 0.50; a = 0.45 ≥ 0.50 − 0.10
    assert status_of(facts(45, day(50))) == IndicatorStatus.EN_BONNE_VOIE


def test_indicator_exactly_ten_points_behind_halfway_is_still_en_bonne_voie():
    # Day 50: e = 50/100; a = 40/100 = e − 0.10 exactly
    assert status_of(facts(40, day(50))) == IndicatorStatus.EN_BONNE_VOIE


def test_indicator_just_over_ten_points_behind_halfway_is_a_surveiller():
    # Day 50: a = 0.39 < 0.50 − 0.10, and ≥ 0.50 − 0.25
    assert status_of(facts(39, day(50))) == IndicatorStatus.A_SURVEILLER


def test_indicator_exactly_twenty_five_points_behind_halfway_is_still_a_surveiller():
    # Day 50: e = 50/100; a = 25/100 = e − 0.25 exactly
    assert status_of(facts(25, day(50))) == IndicatorStatus.A_SURVEILLER


def test_indicator_just_over_twenty_five_points_behind_halfway_is_decroche():
    # Day 50: a = 0.24 < 0.50 − 0.25
    assert status_of(facts(24, day(50))) == IndicatorStatus.DECROCHE


def test_indicator_exactly_ten_points_behind_at_forty_percent_of_the_way_is_en_bonne_voie():
    # Day 40: e = 40/100 = 0.40; a = 30/100 = 0.30 = e − 0.10 exactly, so the rules say en bonne voie.
    # In binary floating point 0.4 − 0.1 is 0.30000000000000004 > 0.3.
    status = status_of(facts(30, day(40)))
    assert status == IndicatorStatus.EN_BONNE_VOIE, (
        "BUG: a = e − 0.10 exactly (0.30 = 0.40 − 0.10) must be 'en bonne voie' (docs/rules.md: a ≥ e − 0.10), "
        f"got {status!r}: the comparison in assess() is done in binary floats"
    )


def test_indicator_exactly_twenty_five_points_behind_at_forty_percent_of_the_way_is_a_surveiller():
    # Day 40: e = 0.40; a = 15/100 = 0.15 = e − 0.25 exactly, so the rules say à surveiller.
    # In binary floating point 0.4 − 0.25 is 0.15000000000000002 > 0.15.
    status = status_of(facts(15, day(40)))
    assert status == IndicatorStatus.A_SURVEILLER, (
        "BUG: a = e − 0.25 exactly (0.15 = 0.40 − 0.25) must be 'à surveiller' (docs/rules.md: a ≥ e − 0.25), "
        f"got {status!r}: the comparison in assess() is done in binary floats"
    )


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (60, IndicatorStatus.EN_BONNE_VOIE),
        (61, IndicatorStatus.A_SURVEILLER),
        (75, IndicatorStatus.A_SURVEILLER),
        (76, IndicatorStatus.DECROCHE),
    ],
)
def test_falling_indicator_uses_the_same_margins(current, expected):
    # From 100 down to 0; day 50: e = 0.50. a = (current − 100) / (0 − 100):
    # 60 → 0.40 (= e − 0.10), 61 → 0.39, 75 → 0.25 (= e − 0.25), 76 → 0.24.
    indicator = facts(current, day(50), reference=100, target=0, direction="baisse")
    assert status_of(indicator) == expected


def test_margins_are_settings():
    # Day 50, a = 0.30: à surveiller with the default 0.10, en bonne voie with a 0.20 margin.
    indicator = facts(30, day(50))
    wider = StatusSettings(on_track_margin=0.20, watch_margin=0.40)
    assert assess(indicator, day(53)).status == IndicatorStatus.A_SURVEILLER
    assert assess(indicator, day(53), wider).status == IndicatorStatus.EN_BONNE_VOIE


def test_status_is_evaluated_at_the_date_of_the_current_value_not_today():
    # Measured on day 20 with a = 0.20: on track then (e = 0.20). Judged against today
    # (day 60, e = 0.60) it would be décroché (0.20 < 0.60 − 0.25); a yearly indicator
    # measured 40 days ago is still fresh.
    assessment = assess(facts(20, day(20), frequency="annuelle"), today=day(60))
    assert assessment.expected == pytest.approx(20 / SPAN_DAYS)
    assert assessment.status == IndicatorStatus.EN_BONNE_VOIE


# --- status: incomplet, à renseigner --------------------------------------------------------


def test_indicator_without_reference_value_is_incomplet():
    assert status_of(facts(40, day(50), reference=None)) == IndicatorStatus.INCOMPLET


def test_indicator_without_target_value_is_incomplet():
    assert status_of(facts(40, day(50), target=None)) == IndicatorStatus.INCOMPLET


def test_indicator_without_any_measurement_is_a_renseigner():
    indicator = facts(None, None)
    assert assess(indicator, today=day(50)).status == IndicatorStatus.A_RENSEIGNER


MEASURED_ON = date(2024, 2, 20)  # day 50 of the trajectory; with a = 0.50 it is en bonne voie


@pytest.mark.parametrize(
    ("frequency", "inside", "outside"),
    [
        # 1.5 months: half a month is 14 to 15.5 days whatever the month, so one month and
        # 14 days is inside the limit and one month and 17 days is outside, under any reading.
        ("mensuelle", date(2024, 4, 3), date(2024, 4, 6)),
        # 4.5 months: four months and 14 days / four months and 17 days.
        ("trimestrielle", date(2024, 7, 4), date(2024, 7, 7)),
        # 9 months: exactly 9 months is not older than the limit; one day more is.
        ("semestrielle", date(2024, 11, 20), date(2024, 11, 21)),
        # 18 months: exactly 18 months / 18 months and one day.
        ("annuelle", date(2025, 8, 20), date(2025, 8, 21)),
    ],
)
def test_latest_measurement_older_than_one_and_a_half_frequencies_is_a_renseigner(frequency, inside, outside):
    indicator = facts(50, MEASURED_ON, frequency=frequency)
    assert assess(indicator, today=inside).status == IndicatorStatus.EN_BONNE_VOIE
    assert assess(indicator, today=outside).status == IndicatorStatus.A_RENSEIGNER


def test_stale_measurement_is_a_renseigner_even_when_the_target_was_reached():
    indicator = facts(100, MEASURED_ON, frequency="mensuelle")
    assert assess(indicator, today=date(2024, 6, 1)).status == IndicatorStatus.A_RENSEIGNER


# --- domain attainment ----------------------------------------------------------------------


def test_domain_attainment_is_the_mean_of_clipped_attainments():
    # 1.5 clips to 1, −0.5 clips to 0, 0.4 stays.
    assert domain_attainment([1.5, -0.5, 0.4]) == pytest.approx((1 + 0 + 0.4) / 3)


def test_domain_attainment_ignores_indicators_without_attainment():
    assert domain_attainment([0.2, None, 0.6, None]) == pytest.approx((0.2 + 0.6) / 2)


def test_domain_attainment_of_no_indicator_has_no_value():
    assert domain_attainment([]) is None


def test_domain_attainment_when_no_indicator_has_an_attainment_has_no_value():
    assert domain_attainment([None, None]) is None
