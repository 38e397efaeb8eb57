"""The overview counts statuses by code: a label is for display, never looked up."""

import pandas as pd

from ctg_data.queries import overview
from ctg_data.rules.conventions import convention_years, year_in_convention
from ctg_data.vocabulary import ActionStatus

STATUSES = ["realisee", "realisee", "en_cours", "abandonnee", "a_venir"]


def test_done_share_counts_realisees_among_actions_not_abandoned():
    actions = pd.DataFrame({"status": STATUSES})
    assert overview.done_share(actions) == 2 / 4
    assert overview.status_counts(actions)[ActionStatus.REALISEE] == 2


def test_done_share_does_not_depend_on_the_label(monkeypatch):
    monkeypatch.setattr(ActionStatus.REALISEE, "label", "Terminée")
    actions = pd.DataFrame({"status": STATUSES})
    assert overview.done_share(actions) == 2 / 4
    assert overview.action_status_counts(actions)["Terminée"] == 2


def test_done_share_is_unknown_when_every_action_is_abandoned():
    assert overview.done_share(pd.DataFrame({"status": ["abandonnee"]})) is None


def test_the_years_of_a_convention_are_computed_once():
    from datetime import date

    assert convention_years(date(2023, 5, 30), date(2027, 5, 29)) == (2023, 2024, 2025, 2026, 2027)
    assert convention_years(date(2024, 1, 1), date(2024, 12, 31)) == (2024,)
    assert year_in_convention(2027, date(2023, 5, 30), date(2027, 5, 29))
    assert not year_in_convention(2028, date(2023, 5, 30), date(2027, 5, 29))
