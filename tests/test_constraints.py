"""The database itself refuses rows that break the model's rules, whatever path writes them."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from ctg_data import models as m


@pytest.fixture
def base(engine):
    """A convention, an organisation and a commune to hang rows on."""
    with Session(engine, expire_on_commit=False) as session:
        convention = m.Convention(code="c1", name="CTG test", starts_on=date(2023, 1, 1), ends_on=date(2026, 12, 31))
        organisation = m.Organisation(code="o1", name="Organisation", type="commune")
        commune = m.Commune(insee_code="65286", name="Lourdes")
        session.add_all([convention, organisation, commune])
        session.commit()
        return {"convention_id": convention.id, "organisation_id": organisation.id}


def action(base, **overrides):
    values = dict(
        convention_id=base["convention_id"],
        code="A1",
        title="Action",
        domain_code="jeunesse",
        pilot_id=base["organisation_id"],
        status="en_cours",
    )
    return m.Action(**(values | overrides))


def refused(engine, *records) -> bool:
    with Session(engine, expire_on_commit=False) as session:
        session.add_all(records)
        try:
            session.commit()
        except IntegrityError:
            return True
    return False


def test_a_valid_action_is_stored(engine, base):
    assert not refused(engine, action(base))


@pytest.mark.parametrize(
    "overrides",
    [
        {"domain_code": "sport"},
        {"status": "terminee"},
        {"progress": 101},
        {"progress": -1},
        {"weight": Decimal(0)},
        {"priority": 4},
        {"planned_budget": Decimal("-1.00")},
        {"starts_on": date(2024, 5, 1), "ends_on": date(2024, 4, 30)},
        {"pilot_id": 999_999},
    ],
    ids=lambda o: ",".join(o),
)
def test_the_database_refuses_an_action_breaking_a_rule(engine, base, overrides):
    assert refused(engine, action(base, **overrides))


def test_action_codes_are_unique_within_a_convention(engine, base):
    assert not refused(engine, action(base))
    assert refused(engine, action(base))


def test_the_same_action_code_may_exist_in_two_conventions(engine, base):
    with Session(engine) as session:
        other = m.Convention(code="c2", name="Autre", starts_on=date(2023, 1, 1), ends_on=date(2027, 1, 1))
        session.add(other)
        session.commit()
        other_id = other.id
    assert not refused(engine, action(base), action(base, convention_id=other_id))


def test_money_cannot_be_negative(engine, base):
    line = m.FundingLine(
        convention_id=base["convention_id"],
        lever_code="bonus_territoire",
        year=2024,
        funder_id=base["organisation_id"],
        beneficiary_id=base["organisation_id"],
        paid=Decimal("-0.01"),
    )
    assert refused(engine, line)


def test_a_convention_cannot_end_before_it_starts(engine):
    assert refused(engine, m.Convention(code="x", name="x", starts_on=date(2024, 1, 2), ends_on=date(2024, 1, 1)))


def test_an_unknown_lever_is_refused(engine, base):
    line = m.FundingLine(
        convention_id=base["convention_id"],
        lever_code="loterie",
        year=2024,
        funder_id=base["organisation_id"],
        beneficiary_id=base["organisation_id"],
    )
    assert refused(engine, line)


def test_only_one_current_measurement_per_indicator_date_and_type(engine, base):
    indicator = m.Indicator(
        convention_id=base["convention_id"], code="I1", name="I", domain_code="jeunesse", unit="u", direction="hausse"
    )
    assert not refused(engine, indicator)
    point = dict(indicator_id=indicator.id, measured_on=date(2024, 1, 31), type="resultat", recorded_by="t")
    assert not refused(engine, m.Measurement(value=1.0, **point))
    assert refused(engine, m.Measurement(value=2.0, **point))
    # A superseded value may stand beside the current one: that is how corrections keep history.
    assert not refused(engine, m.Measurement(value=0.5, superseded_at=m.utcnow(), **point))


def test_barème_keys_are_unique_even_with_an_empty_class(engine):
    row = dict(
        year=2024,
        lever_code="bonus_territoire",
        facility_type="eaje",
        territory_class="",
        basis="par_place",
        amount=Decimal("2600"),
    )
    assert not refused(engine, m.RateRow(**row))
    assert refused(engine, m.RateRow(**row))
