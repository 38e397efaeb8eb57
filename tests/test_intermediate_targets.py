"""Intermediate targets (format v2, sheet `cibles` and the target form): dated values the expected
trajectory passes through. The expected attainment is recomputed by hand from docs/rules.md
(piecewise linear through reference, intermediate targets and target). SQLite and PostgreSQL."""

from datetime import date

import pytest
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.errors import ConflictError, PermissionDenied, ValidationError
from ctg_data.interchange.export import export_rows
from ctg_data.queries.filters import Filters
from ctg_data.queries.indicators import indicators_frame, targets_frame
from ctg_data.rules.indicators import IndicatorStatus, expected_attainment
from ctg_data.services import targets as svc
from tests.indicator_data import CONVENTION, errors, ids, indicator, load, tarn_convention
from tests.saisie_data import ADMIN, READER, audit_events

# From 20 on 1 Jan 2024 to 60 on 1 Jan 2026 (731 days: 2024 has 366), through 50 on 1 Jan 2025.
TX = indicator(
    "TX",
    unite="%",
    valeur_reference="20",
    date_reference="2024-01-01",
    valeur_cible="60",
    date_cible="2026-01-01",
    frequence="annuelle",
)
TARGET = {"convention": CONVENTION, "indicateur": "TX", "date": "2025-01-01", "valeur": "50"}


def measure(on: str, value: str) -> dict:
    return {"convention": CONVENTION, "indicateur": "TX", "date": on, "valeur": value}


def row_of(engine, today: date) -> dict:
    convention_id, _ = ids(engine)
    return indicators_frame(engine, Filters(convention_id=convention_id), today).set_index("code").loc["TX"].to_dict()


def test_the_piecewise_expected_value_by_hand():
    reference, final = (date(2024, 1, 1), 20.0), (date(2026, 1, 1), 60.0)
    targets = [(date(2025, 1, 1), 50.0)]

    def e(on):
        return expected_attainment(on, reference[0], final[0], reference=20.0, target=60.0, targets=targets)

    # 1 Jul 2024 is day 182 of the 366 to the intermediate target: 20 + 30 × 182/366.
    assert e(date(2024, 7, 1)) == pytest.approx((30 * 182 / 366) / 40)
    # On the intermediate target: (50 − 20) / (60 − 20).
    assert e(date(2025, 1, 1)) == pytest.approx(0.75)
    # 2 Jul 2025 is day 182 of the 365 to the target: 50 + 10 × 182/365.
    assert e(date(2025, 7, 2)) == pytest.approx((30 + 10 * 182 / 365) / 40)
    assert (e(date(2023, 6, 1)), e(date(2026, 6, 1))) == (0.0, 1.0)
    # Without intermediate targets, the share of the time elapsed.
    assert expected_attainment(date(2024, 7, 1), reference[0], final[0]) == pytest.approx(182 / 731)


def test_an_intermediate_target_changes_the_expected_attainment_and_the_status(engine, tmp_path):
    # 30 on 1 Jul 2024: a = (30 − 20) / 40 = 0.25.
    sheets = tarn_convention([TX], mesures=[measure("2024-07-01", "30")])
    assert load(engine, tmp_path / "a", sheets).ok
    without = row_of(engine, date(2024, 7, 15))
    # e = 182/731 ≈ 0.249: a ≥ e − 0.10, on track.
    assert without["expected"] == pytest.approx(182 / 731)
    assert without["status"] == IndicatorStatus.EN_BONNE_VOIE

    report = load(engine, tmp_path / "b", tarn_convention([TX], cibles=[TARGET]))
    assert report.ok, errors(report)
    assert report.counts["cibles"]["created"] == 1
    with_target = row_of(engine, date(2024, 7, 15))
    # e = (30 × 182/366) / 40 ≈ 0.373: 0.25 < e − 0.10 ≈ 0.273 but ≥ e − 0.25 ≈ 0.123: à surveiller.
    assert with_target["expected"] == pytest.approx((30 * 182 / 366) / 40)
    assert with_target["status"] == IndicatorStatus.A_SURVEILLER
    assert with_target["targets"] == ((date(2025, 1, 1), 50.0),)


def test_the_cibles_sheet_creates_updates_and_leaves_unchanged(engine, tmp_path):
    assert load(engine, tmp_path / "a", tarn_convention([TX], cibles=[TARGET])).ok
    same = load(engine, tmp_path / "b", tarn_convention([TX], cibles=[TARGET]))
    assert same.ok and same.counts["cibles"]["unchanged"] == 1
    moved = load(engine, tmp_path / "c", tarn_convention([TX], cibles=[TARGET | {"valeur": "45"}]))
    assert moved.ok and moved.counts["cibles"]["updated"] == 1
    _, indicators = ids(engine)
    stored = targets_frame(engine, indicators["TX"])
    assert list(zip(stored["target_on"], stored["value"], strict=True)) == [(date(2025, 1, 1), 45.0)]
    events = audit_events(engine, "indicator_targets")
    assert [e.operation for e in events] == ["import:création", "import:modification"]
    with Session(engine) as session:
        rows = export_rows(session, convention_code=CONVENTION)["cibles"]
    assert rows == [(CONVENTION, "TX", date(2025, 1, 1), 45.0)]


@pytest.mark.parametrize("on", ["2024-01-01", "2026-01-01", "2023-12-31", "2026-03-01"])
def test_a_target_outside_the_reference_and_target_dates_is_refused_by_import_and_form(engine, tmp_path, on):
    assert load(engine, tmp_path / "a", tarn_convention([TX])).ok
    report = load(engine, tmp_path / "b", tarn_convention([TX], cibles=[TARGET | {"date": on}]))
    assert [(e.where, e.line, e.column) for e in report.errors] == [("fichier cibles.csv", 2, "date")]
    message = report.errors[0].message
    assert "n'est pas entre la date de référence (01/01/2024) et la date cible (01/01/2026)" in message
    _, indicators = ids(engine)
    with pytest.raises(ValidationError) as refused:
        svc.add_target(engine, ADMIN, indicator_id=indicators["TX"], target_on=on, value="50")
    assert refused.value.errors == {"Date": message}


def test_a_step_indicator_takes_step_codes_as_targets(engine, tmp_path):
    outil = indicator(
        "OUTIL", nature="etape", date_reference="2024-01-01", valeur_cible="realise", date_cible="2026-01-01"
    )
    target = {"convention": CONVENTION, "indicateur": "OUTIL", "date": "2025-01-01", "valeur": "en_cours"}
    report = load(engine, tmp_path / "a", tarn_convention([outil], cibles=[target]))
    assert report.ok, errors(report)
    _, indicators = ids(engine)
    assert list(targets_frame(engine, indicators["OUTIL"])["value"]) == [1.0]
    with Session(engine) as session:
        assert export_rows(session, convention_code=CONVENTION)["cibles"][0][-1] == "en_cours"
    bad = load(engine, tmp_path / "b", tarn_convention([outil], cibles=[target | {"valeur": "1"}]))
    assert [(e.column, "étape attendue" in e.message) for e in bad.errors] == [("valeur", True)]


def test_the_target_form_adds_changes_and_removes(engine, tmp_path):
    assert load(engine, tmp_path / "a", tarn_convention([TX])).ok
    _, indicators = ids(engine)
    added = svc.add_target(engine, ADMIN, indicator_id=indicators["TX"], target_on=date(2025, 1, 1), value="50")
    assert added.message == "Cible intermédiaire 50 ajoutée au 01/01/2025 pour TX."
    with pytest.raises(ValidationError) as twice:
        svc.add_target(engine, ADMIN, indicator_id=indicators["TX"], target_on=date(2025, 1, 1), value="40")
    assert twice.value.errors == {"Date": "une cible intermédiaire existe déjà au 01/01/2025"}
    with pytest.raises(PermissionDenied):
        svc.add_target(engine, READER, indicator_id=indicators["TX"], target_on=date(2025, 6, 1), value="55")

    assert added.target_id is not None
    changed = svc.update_target(
        engine, ADMIN, target_id=added.target_id, expected_version=1, target_on=date(2025, 3, 1), value="52,5"
    )
    assert changed.message == "Cible intermédiaire de TX modifiée : 52,5 au 01/03/2025."
    with pytest.raises(ConflictError):  # the form read version 1: someone saved since
        svc.update_target(
            engine, ADMIN, target_id=added.target_id, expected_version=1, target_on=date(2025, 3, 1), value="51"
        )
    svc.delete_target(engine, ADMIN, target_id=added.target_id, expected_version=2)
    assert targets_frame(engine, indicators["TX"]).empty
    assert [e.operation for e in audit_events(engine, "indicator_targets")] == [
        "saisie:création",
        "saisie:modification",
        "saisie:suppression",
    ]
    with Session(engine) as session:
        assert session.exec(select(m.IndicatorTarget)).all() == []
