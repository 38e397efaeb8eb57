"""Action rules (docs/rules.md, "Actions"): progress, lateness, weighted roll-up.

Every expected figure is recomputed here from the rule's definition, never copied from the
code's output.
"""

from datetime import date
from decimal import Decimal

import pytest

from ctg_data.rules.actions import action_progress, is_late, rollup

DUE = date(2024, 6, 30)


# --- progress -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [("a_venir", 0), ("en_cours", 50), ("en_pause", 50), ("realisee", 100)],
)
def test_progress_without_avancement_comes_from_the_status(status, expected):
    assert action_progress(status, None) == expected


@pytest.mark.parametrize(
    ("status", "avancement"),
    [("a_venir", 10), ("en_cours", 30), ("en_pause", 80)],
)
def test_stated_avancement_takes_precedence_over_the_status_default(status, avancement):
    assert action_progress(status, avancement) == avancement


def test_stated_avancement_of_zero_is_kept_and_not_replaced_by_the_status_default():
    assert action_progress("en_cours", 0) == 0


@pytest.mark.parametrize("avancement", [None, 0, 60, 99])
def test_realisee_action_is_always_100_percent_even_with_a_lower_avancement(avancement):
    assert action_progress("realisee", avancement) == 100


# --- lateness -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["a_venir", "en_cours", "en_pause"])
def test_open_action_is_late_the_day_after_its_date_fin(status):
    assert is_late(status, DUE, today=date(2024, 7, 1)) is True


@pytest.mark.parametrize("status", ["a_venir", "en_cours", "en_pause"])
def test_open_action_is_not_late_on_its_date_fin_itself(status):
    assert is_late(status, DUE, today=DUE) is False


def test_open_action_is_not_late_before_its_date_fin():
    assert is_late("en_cours", DUE, today=date(2024, 6, 1)) is False


@pytest.mark.parametrize("status", ["realisee", "abandonnee"])
def test_closed_action_is_never_late_even_long_after_its_date_fin(status):
    assert is_late(status, DUE, today=date(2026, 1, 1)) is False


@pytest.mark.parametrize("status", ["a_venir", "en_cours", "en_pause", "realisee", "abandonnee"])
def test_action_without_date_fin_is_never_late(status):
    assert is_late(status, None, today=date(2030, 1, 1)) is False


# --- roll-up --------------------------------------------------------------------------------


def test_rollup_weights_each_action_one_when_poids_is_not_given():
    actions = [("en_cours", None, None), ("realisee", None, None), ("a_venir", None, None)]
    assert rollup(actions) == pytest.approx((1 * 50 + 1 * 100 + 1 * 0) / (1 + 1 + 1))


def test_rollup_is_the_weighted_mean_of_progress():
    actions = [("en_cours", None, 2), ("realisee", None, 1)]
    assert rollup(actions) == pytest.approx((2 * 50 + 1 * 100) / (2 + 1))


def test_rollup_uses_the_stated_avancement_of_each_action():
    actions = [("en_cours", 20, 3), ("en_pause", 80, 1)]
    assert rollup(actions) == pytest.approx((3 * 20 + 1 * 80) / (3 + 1))


def test_rollup_accepts_decimal_weights():
    actions = [("en_cours", 20, Decimal("1.5")), ("en_cours", 60, Decimal("0.5"))]
    assert rollup(actions) == pytest.approx((1.5 * 20 + 0.5 * 60) / (1.5 + 0.5))


def test_rollup_accepts_float_weights():
    actions = [("en_cours", 10, 0.1), ("en_cours", 40, 0.2)]
    assert rollup(actions) == pytest.approx((0.1 * 10 + 0.2 * 40) / (0.1 + 0.2))


def test_rollup_mixes_given_and_default_weights():
    actions = [("realisee", None, Decimal(3)), ("a_venir", None, None)]
    assert rollup(actions) == pytest.approx((3 * 100 + 1 * 0) / (3 + 1))


def test_rollup_counts_a_realisee_action_as_100_whatever_its_avancement():
    actions = [("realisee", 40, 1), ("a_venir", None, 1)]
    assert rollup(actions) == pytest.approx((1 * 100 + 1 * 0) / 2)


def test_rollup_leaves_abandoned_actions_out_of_both_sums():
    actions = [("en_cours", None, 1), ("abandonnee", None, 5), ("abandonnee", 100, 2)]
    # Only the en_cours action counts: (1·50) / 1.
    assert rollup(actions) == pytest.approx((1 * 50) / 1)


def test_rollup_of_no_action_has_no_value_rather_than_zero():
    assert rollup([]) is None


def test_rollup_of_only_abandoned_actions_has_no_value_rather_than_zero():
    assert rollup([("abandonnee", None, 1), ("abandonnee", 30, 2)]) is None


def test_rollup_of_actions_all_at_zero_is_zero_not_no_value():
    assert rollup([("a_venir", None, 1), ("en_cours", 0, 2)]) == 0
