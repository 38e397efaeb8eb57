"""Recording, correcting and validating measurements, and the bulk grid, on SQLite and
PostgreSQL: valid input saved and audited; bad input refused by field with nothing written;
corrections keep the superseded value; stale corrections are conflicts."""

import json
from datetime import date

import pandas as pd
import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.errors import ConflictError, PermissionDenied, ValidationError
from ctg_data.queries.filters import Filters
from ctg_data.queries.indicators import indicators_frame
from ctg_data.services import measurements as svc
from tests.saisie_data import ADMIN, ADVISOR, READER, audit_events, fingerprint, load_small, partner


@pytest.fixture
def small(engine, tmp_path):
    return load_small(engine, tmp_path)


def measurements(engine, indicator_id) -> list[m.Measurement]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(m.Measurement).where(m.Measurement.indicator_id == indicator_id).order_by(m.Measurement.id)
            ).all()
        )


def test_a_valid_value_is_saved_and_audited(engine, small):
    before = fingerprint(engine)[0]
    result = svc.record_measurement(
        engine,
        partner(small, "ville"),
        indicator_id=small.indicator_id,
        measured_on=date(2025, 12, 31),
        value="57,25",
        source="CAF",
        comment="ok",
    )
    assert result.outcome == svc.NEW
    after = fingerprint(engine)[0]
    assert after["measurements"] == before["measurements"] + 1
    assert after["audit_events"] == before["audit_events"] + 1
    saved = measurements(engine, small.indicator_id)[-1]
    assert (saved.measured_on, saved.value, saved.type, saved.source, saved.comment, saved.recorded_by) == (
        date(2025, 12, 31),
        57.25,
        "resultat",
        "CAF",
        "ok",
        "ville@test",
    )
    event = audit_events(engine, "measurements")[-1]
    assert (event.actor, event.operation, event.record_key, event.before) == (
        "ville@test",
        "saisie:création",
        str(saved.id),
        None,
    )
    assert json.loads(event.after)["value"] == 57.25


BAD = [
    ({"value": "beaucoup"}, "Valeur", "nombre attendu"),
    ({"value": "150"}, "Valeur", "hors des bornes de l'indicateur"),
    ({"value": ""}, "Valeur", "champ obligatoire"),
    ({"measured_on": date(2022, 12, 31)}, "Date", "hors de la convention"),
    ({"measured_on": None}, "Date", "champ obligatoire"),
    ({"type": "prevision"}, "Type", "inconnue"),
    ({"source": "s" * 301}, "Source", "300 caractères au plus"),
    ({"indicator_id": 999_999}, "Indicateur", "inconnu"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD, ids=[f for _, f, _ in BAD])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(engine, small, change, field, message):
    before = fingerprint(engine)
    arguments = {"indicator_id": small.indicator_id, "measured_on": date(2025, 12, 31), "value": "57"} | change
    with pytest.raises(ValidationError) as refused:
        svc.record_measurement(engine, ADMIN, **arguments)
    assert message in refused.value.errors[field]
    assert fingerprint(engine) == before


def test_a_date_outside_the_convention_is_saved_with_a_reason_kept_in_the_audit(engine, small):
    result = svc.record_measurement(
        engine,
        ADMIN,
        indicator_id=small.indicator_id,
        measured_on=date(2022, 12, 31),
        value="50",
        override_reason="Valeur de référence mesurée avant la CTG",
    )
    assert result.outcome == svc.NEW
    assert audit_events(engine, "measurements")[-1].reason == "Valeur de référence mesurée avant la CTG"


@pytest.mark.parametrize("who", ["lecteur", "partenaire d'une autre organisation"])
def test_who_may_not_write_is_refused_and_nothing_is_written(engine, small, who):
    actor = READER if who == "lecteur" else partner(small, "autre")
    before = fingerprint(engine)
    with pytest.raises(PermissionDenied):
        svc.record_measurement(
            engine, actor, indicator_id=small.indicator_id, measured_on=date(2025, 12, 31), value="57"
        )
    assert fingerprint(engine) == before


def test_the_same_value_again_writes_nothing(engine, small):
    before = fingerprint(engine)
    result = svc.record_measurement(
        engine, ADMIN, indicator_id=small.indicator_id, measured_on=date(2024, 12, 31), value="54,5"
    )
    assert result.outcome == svc.SAME
    assert "rien n'a été modifié" in result.message
    assert fingerprint(engine) == before


def test_a_different_value_for_the_same_date_supersedes_and_keeps_the_old_one(engine, small):
    old = next(x for x in measurements(engine, small.indicator_id) if x.measured_on == date(2024, 12, 31))
    result = svc.record_measurement(
        engine, ADMIN, indicator_id=small.indicator_id, measured_on=date(2024, 12, 31), value="55"
    )
    assert (result.outcome, result.previous_value, result.superseded_id) == (svc.REPLACED, 54.5, old.id)
    rows = [x for x in measurements(engine, small.indicator_id) if x.measured_on == date(2024, 12, 31)]
    assert [(x.value, x.superseded_at is not None) for x in rows] == [(54.5, True), (55.0, False)]
    assert rows[0].superseded_by_id == rows[1].id
    frame = indicators_frame(engine, Filters(convention_id=small.convention_id), date(2025, 1, 15))
    assert frame.loc[0, "current_value"] == 55.0  # the chart and status read the correction
    operations = [e.operation for e in audit_events(engine, "measurements")[-2:]]
    assert operations == ["saisie:correction", "saisie:création"]


def test_two_corrections_of_the_value_a_form_showed_give_one_conflict_and_keep_the_first(engine, small):
    shown = next(x for x in measurements(engine, small.indicator_id) if x.measured_on == date(2024, 12, 31))
    svc.correct_measurement(engine, ADMIN, measurement_id=shown.id, value="56")
    before = fingerprint(engine)
    with pytest.raises(ConflictError) as conflict:
        svc.correct_measurement(engine, ADVISOR, measurement_id=shown.id, value="57")
    assert conflict.value.changed_by == "admin@test"
    assert conflict.value.changes == [("value", 54.5, 56.0)]
    assert fingerprint(engine) == before
    current = [
        x.value
        for x in measurements(engine, small.indicator_id)
        if x.measured_on == date(2024, 12, 31) and x.superseded_at is None
    ]
    assert current == [56.0]


def test_a_correction_keeps_the_source_when_none_is_typed(engine, small):
    shown = next(x for x in measurements(engine, small.indicator_id) if x.measured_on == date(2024, 12, 31))
    result = svc.correct_measurement(engine, ADMIN, measurement_id=shown.id, value="56", source="")
    new = next(x for x in measurements(engine, small.indicator_id) if x.id == result.measurement_id)
    assert new.source == "CAF"


def test_an_advisor_validates_a_value_once_and_a_partner_may_not(engine, small):
    value = measurements(engine, small.indicator_id)[0]
    with pytest.raises(PermissionDenied):
        svc.validate_measurement(engine, partner(small, "ville"), measurement_id=value.id)
    assert svc.validate_measurement(engine, ADVISOR, measurement_id=value.id) is True
    before = fingerprint(engine)
    assert svc.validate_measurement(engine, ADVISOR, measurement_id=value.id) is False
    assert fingerprint(engine) == before
    validated = measurements(engine, small.indicator_id)[0]
    assert validated.validated_by == "conseillere@caf.test" and validated.validated_at is not None
    assert audit_events(engine, "measurements")[-1].operation == "saisie:validation"


def test_writable_indicators_follow_the_permissions(engine, small):
    assert svc.writable_indicator_ids(engine, partner(small, "asso"), small.convention_id) == {small.indicator_id}
    assert svc.writable_indicator_ids(engine, partner(small, "autre"), small.convention_id) == frozenset()
    assert svc.writable_indicator_ids(engine, READER, small.convention_id) == frozenset()


# --- the bulk grid ------------------------------------------------------------------------------


def add_indicator(engine, small, code: str, unit: str = "places", low=0.0, high=None, action=True) -> int:
    with Session(engine) as session:
        indicator = m.Indicator(
            convention_id=small.convention_id,
            code=code,
            name=f"Indicateur {code}",
            domain_code="petite_enfance",
            action_id=small.action_id if action else None,
            unit=unit,
            direction="hausse",
            min_value=low,
            max_value=high,
        )
        session.add(indicator)
        session.commit()
        return indicator.id


def test_the_grid_lists_the_indicators_a_person_follows_with_their_last_value(engine, small):
    add_indicator(engine, small, "HORS-ACTION", action=False)
    frame = indicators_frame(engine, Filters(convention_id=small.convention_id), date(2025, 1, 15))
    writable = svc.writable_indicator_ids(engine, partner(small, "ville"), small.convention_id)
    grid = svc.grid_frame(frame, writable)
    assert list(grid.columns) == svc.GRID_COLUMNS
    assert list(grid["Code"]) == ["TX"]
    assert grid.loc[0, "Dernière valeur"] == "54,5 (31/12/2024)"
    assert grid.loc[0, "Nouvelle valeur"] == "" and grid.loc[0, "Source"] == "CAF"


def test_only_rows_with_a_new_value_are_taken_from_the_edited_grid():
    edited = pd.DataFrame(
        {
            "Code": ["A", "B", "C", "D"],
            "Nouvelle valeur": ["12,5", "", None, float("nan")],
            "Source": [" CAF ", "", None, None],
            "Commentaire": [None, "x", None, None],
        }
    )
    assert svc.rows_from_editor(edited) == [svc.GridRow("A", "12,5", "CAF", None)]


def mixed_rows(engine, small):
    add_indicator(engine, small, "PLACES", high=200.0)
    add_indicator(engine, small, "FAMILLES")
    add_indicator(engine, small, "AUTRE-SANS-DROIT", action=False)
    return [
        svc.GridRow("TX", "58,5", "CAF"),  # valid
        svc.GridRow("PLACES", "250"),  # above its maximum
        svc.GridRow("FAMILLES", "douze"),  # not a number
        svc.GridRow("INCONNU", "3"),  # no such code
        svc.GridRow("AUTRE-SANS-DROIT", "4"),  # the partner may not write it
        svc.GridRow("TX", "59"),  # twice in the grid
        svc.GridRow("FAMILLES", "12"),  # twice too
    ]


def test_checking_the_grid_sorts_valid_rows_from_rejected_ones_with_their_reasons(engine, small):
    rows = mixed_rows(engine, small)
    before = fingerprint(engine)
    check = svc.validate_grid(
        engine, partner(small, "ville"), convention_id=small.convention_id, measured_on=date(2025, 12, 31), rows=rows
    )
    assert fingerprint(engine) == before  # checking writes nothing
    assert [(e.code, e.data.value, e.outcome) for e in check.valid] == [("TX", 58.5, svc.NEW)]
    reasons = {(r.code, r.value): r.reasons for r in check.rejected}
    assert "hors des bornes" in reasons[("PLACES", "250")][0]
    assert reasons[("FAMILLES", "douze")][0].startswith("Valeur : nombre attendu")
    assert "inconnu" in reasons[("INCONNU", "3")][0]
    assert reasons[("AUTRE-SANS-DROIT", "4")] == (
        "Seuls le pilote et les partenaires de l'action liée peuvent saisir cet indicateur.",
    )
    assert "deux fois" in reasons[("TX", "59")][0]
    assert "deux fois" in reasons[("FAMILLES", "12")][0]


def test_saving_the_grid_writes_only_the_valid_rows(engine, small):
    add_indicator(engine, small, "PLACES", high=200.0)
    rows = [
        svc.GridRow("TX", "58,5", "CAF"),
        svc.GridRow("PLACES", "120"),
        svc.GridRow("PLACES", "x"),
        svc.GridRow("TX", "54,5"),
    ]
    actor = partner(small, "ville")
    check = svc.validate_grid(
        engine, actor, convention_id=small.convention_id, measured_on=date(2024, 12, 31), rows=rows
    )
    assert [(e.code, e.outcome, e.previous_value) for e in check.valid] == [
        ("TX", svc.REPLACED, 54.5),
        ("PLACES", svc.NEW, None),
    ]
    before = fingerprint(engine)[0]
    results = svc.save_grid(engine, actor, check.valid)
    assert [r.outcome for r in results] == [svc.REPLACED, svc.NEW]
    after = fingerprint(engine)[0]
    assert after["measurements"] == before["measurements"] + 2  # the correction adds a row, keeps the old
    assert after["audit_events"] == before["audit_events"] + 3  # supersede + 2 creations


def test_the_grid_is_saved_all_or_nothing_on_a_database_error(engine, small, monkeypatch):
    add_indicator(engine, small, "PLACES", high=200.0)
    check = svc.validate_grid(
        engine,
        ADMIN,
        convention_id=small.convention_id,
        measured_on=date(2025, 12, 31),
        rows=[svc.GridRow("TX", "58"), svc.GridRow("PLACES", "120")],
    )
    assert len(check.valid) == 2
    real = svc._record
    calls = []

    def fails_on_the_second_row(session, actor, indicator, data):
        calls.append(indicator.code)
        if len(calls) == 2:
            session.execute(
                m.Measurement.__table__.insert().values(
                    indicator_id=indicator.id,
                    measured_on=data.measured_on,
                    value=data.value,
                    type="inconnu",
                    recorded_by="x",
                    recorded_at=m.utcnow(),
                )
            )  # refused by the CHECK on type
        return real(session, actor, indicator, data)

    monkeypatch.setattr(svc, "_record", fails_on_the_second_row)
    before = fingerprint(engine)
    with pytest.raises(IntegrityError):
        svc.save_grid(engine, ADMIN, check.valid)
    assert calls == ["TX", "PLACES"]
    assert fingerprint(engine) == before  # the first row was rolled back with the second


def test_the_grid_is_checked_again_when_saved(engine, small):
    check = svc.validate_grid(
        engine,
        partner(small, "ville"),
        convention_id=small.convention_id,
        measured_on=date(2025, 12, 31),
        rows=[svc.GridRow("TX", "58")],
    )
    before = fingerprint(engine)
    with pytest.raises(PermissionDenied):  # e.g. the account lost its rights meanwhile
        svc.save_grid(engine, partner(small, "autre"), check.valid)
    assert fingerprint(engine) == before
