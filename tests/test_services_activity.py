"""A facility's yearly activity, on SQLite and PostgreSQL: created or updated and audited; bad
input refused by field with nothing written; stale edits refused, the first save kept."""

import json
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.errors import ConflictError, PermissionDenied, ValidationError
from ctg_data.services import activity as svc
from tests.saisie_data import ADMIN, ADVISOR, READER, audit_events, fingerprint, load_small, partner


@pytest.fixture
def small(engine, tmp_path):
    return load_small(engine, tmp_path)


def year_row(engine, small, year) -> m.FacilityActivity | None:
    with Session(engine) as session:
        return session.exec(
            select(m.FacilityActivity).where(
                m.FacilityActivity.facility_id == small.facility_id, m.FacilityActivity.year == year
            )
        ).first()


def save(engine, small, actor=ADMIN, year=2024, opened="read", **values):
    if opened == "read":
        opened = svc.activity_for_edit(engine, small.facility_id, year)
    return svc.upsert_activity(
        engine,
        actor,
        facility_id=small.facility_id,
        year=year,
        expected_version=None if opened is None else opened["version"],
        opened=opened,
        **values,
    )


def test_a_new_year_is_created_and_audited(engine, small):
    before = fingerprint(engine)[0]
    result = save(
        engine,
        small,
        partner(small, "ville"),
        year=2025,
        places="25",
        hours_delivered="41 000,5",
        hours_billed="43000",
        fte="1,5",
    )
    assert result.outcome == "créée"
    row = year_row(engine, small, 2025)
    assert (row.places, row.hours_delivered, row.hours_billed, row.fte) == (
        25,
        Decimal("41000.50"),
        Decimal("43000.00"),
        Decimal("1.50"),
    )
    after = fingerprint(engine)[0]
    assert after["facility_activity"] == before["facility_activity"] + 1
    event = audit_events(engine, "facility_activity")[-1]
    assert (event.operation, event.actor, event.before) == ("saisie:création", "ville@test", None)


def test_an_existing_year_is_updated_with_before_and_after(engine, small):
    result = save(engine, small, places="26", hours_delivered="12000", hours_billed="13000")
    assert result.outcome == "modifiée"
    row = year_row(engine, small, 2024)
    assert (row.places, row.version) == (26, 2)
    event = audit_events(engine, "facility_activity")[-1]
    assert (json.loads(event.before)["places"], json.loads(event.after)["places"]) == (25, 26)


def test_the_same_figures_write_nothing(engine, small):
    before = fingerprint(engine)
    assert save(engine, small, places="25", hours_delivered="12 000", hours_billed="13000").outcome == "inchangée"
    assert fingerprint(engine) == before


BAD = [
    ({"places": "-1"}, "Places", "positive ou nulle"),
    ({"hours_delivered": "beaucoup"}, "Heures réalisées", "nombre attendu"),
    ({"fte": "1,234"}, "ETP", "deux décimales au plus"),
    ({"hours_billed": "-3"}, "Heures facturées", "positive ou nulle"),
    ({"year": 2030, "places": 10}, "Année", "hors de la convention"),
    ({"year": None}, "Année", "champ obligatoire"),
    ({"places": None, "hours_delivered": "", "hours_billed": None, "fte": None}, "Places", "au moins une valeur"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD, ids=[f"{f}-{i}" for i, (_, f, _) in enumerate(BAD)])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(engine, small, change, field, message):
    before = fingerprint(engine, (m.FacilityActivity, year_row(engine, small, 2024).id))
    values = {"places": "25", "hours_delivered": "12000", "hours_billed": "13000"} | change
    year = values.pop("year", 2025)
    with pytest.raises(ValidationError) as refused:
        save(engine, small, year=year, opened=None, **values)
    assert message in refused.value.errors[field]
    assert fingerprint(engine, (m.FacilityActivity, year_row(engine, small, 2024).id)) == before


def test_a_year_before_the_convention_is_accepted_with_a_reason(engine, small):
    result = save(engine, small, year=2022, places="20", override_reason="Année de référence (avant la CTG)")
    assert result.outcome == "créée"
    assert audit_events(engine, "facility_activity")[-1].reason == "Année de référence (avant la CTG)"


@pytest.mark.parametrize("who", ["lecteur", "autre organisation", "partenaire de l'action, pas gestionnaire"])
def test_only_the_manager_or_an_advisor_may_write(engine, small, who):
    actor = {
        "lecteur": READER,
        "autre organisation": partner(small, "autre"),
        "partenaire de l'action, pas gestionnaire": partner(small, "asso"),
    }[who]
    before = fingerprint(engine)
    with pytest.raises(PermissionDenied):
        save(engine, small, actor, places="30")
    assert fingerprint(engine) == before
    assert save(engine, small, ADVISOR, places="30").outcome == "modifiée"


def test_two_edits_from_the_same_version_give_one_conflict_and_keep_the_first(engine, small):
    form = svc.activity_for_edit(engine, small.facility_id, 2024)
    save(engine, small, ADVISOR, opened=form, places="27", hours_delivered="12000", hours_billed="13000")
    before = fingerprint(engine)
    with pytest.raises(ConflictError) as conflict:
        save(
            engine,
            small,
            partner(small, "ville"),
            opened=form,
            places="28",
            hours_delivered="12000",
            hours_billed="13000",
        )
    assert conflict.value.changes == [("places", 25, 27)]
    assert conflict.value.changed_by == "conseillere@caf.test"
    assert fingerprint(engine) == before
    assert year_row(engine, small, 2024).places == 27


def test_a_year_created_by_someone_else_since_the_form_opened_is_a_conflict(engine, small):
    assert svc.activity_for_edit(engine, small.facility_id, 2025) is None  # the form sees no row
    save(engine, small, ADVISOR, year=2025, opened=None, places="25")
    before = fingerprint(engine)
    with pytest.raises(ConflictError) as conflict:
        save(engine, small, partner(small, "ville"), year=2025, opened=None, places="24")
    assert ("places", None, 25) in conflict.value.changes
    assert fingerprint(engine) == before
