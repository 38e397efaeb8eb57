"""Every enumeration carries its French label, declared once in ctg_data/vocabulary.py; the
modules that show a code read that label instead of keeping their own copy."""

import pytest

from ctg_data import vocabulary as voc
from ctg_data.vocabulary import (
    ActionStatus,
    Attendance,
    DecisionStatus,
    Direction,
    FacilityType,
    Frequency,
    IndicatorNature,
    Labelled,
    MeasurementType,
    MeetingKind,
    MeetingStatus,
    OrganisationType,
    RateBasis,
)

VOCABULARIES = [
    ActionStatus,
    OrganisationType,
    FacilityType,
    RateBasis,
    Direction,
    Frequency,
    IndicatorNature,
    MeasurementType,
    MeetingKind,
    MeetingStatus,
    Attendance,
    DecisionStatus,
]


def test_every_enumeration_of_the_vocabulary_is_labelled():
    declared = {v for v in vars(voc).values() if isinstance(v, type) and issubclass(v, voc.StrEnum)}
    assert declared - {voc.StrEnum, Labelled} == set(VOCABULARIES)


@pytest.mark.parametrize("vocabulary", VOCABULARIES)
def test_every_member_has_a_french_label_and_stays_its_code(vocabulary):
    labels = [member.label for member in vocabulary]
    assert all(label.strip() for label in labels)
    assert len(set(labels)) == len(labels)
    for member in vocabulary:
        assert member == member.value and vocabulary(member.value) is member
        assert vocabulary.labels()[member.value] == member.label


def test_an_unknown_code_is_shown_as_it_is():
    assert RateBasis.label_of("par_etp") == "par ETP"
    assert RateBasis.label_of("ancien_code") == "ancien_code"


def test_choice_lists_capitalise_and_add_the_hint():
    assert voc.choice_labels(Direction)["hausse"] == "À la hausse (plus c'est haut, mieux c'est)"
    assert voc.choice_labels(RateBasis)["par_etp"] == "Par ETP"


@pytest.mark.parametrize("basis", list(RateBasis))
def test_reconciliation_names_every_rate_basis_by_its_label(basis):
    """The reconciliation kept three of the five bases: `forfait` and `taux_cout` were shown as codes."""
    from decimal import Decimal

    from ctg_data.rules.bonus import Due, DueStatus, RateRow
    from ctg_data.rules.reconciliation import _basis_fr

    rate = RateRow(2024, "bonus_territoire", "eaje", "", basis, Decimal(1), None, None, "")
    due = Due(DueStatus.ACTIVITE_MANQUANTE, None, rate, (), 2024, "bonus_territoire")
    assert _basis_fr(due) == basis.label


def test_the_history_reads_the_vocabulary_labels():
    from ctg_data.queries import history

    assert history.VALUE_LABELS["direction"] == Direction.labels()
    assert {k: history.VALUE_LABELS["type"][k] for k in MeasurementType.labels()} == MeasurementType.labels()
