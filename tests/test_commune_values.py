"""Values per commune (format v2, `mesures.code_insee`): the value of one commune of the
perimeter beside the value of the whole convention. The current value and the status read the
whole convention's values only; the breakdown lists each commune's latest value; a commune
outside the perimeter is refused by the import and the form alike. SQLite and PostgreSQL."""

from datetime import date

import pandas as pd
import pytest
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.errors import ValidationError
from ctg_data.interchange.export import export_rows
from ctg_data.interchange.sheets import SHEETS_BY_NAME
from ctg_data.queries.filters import Filters
from ctg_data.queries.indicators import commune_latest, commune_series, indicators_frame, measurements_frame
from ctg_data.services import measurements as svc
from tests.indicator_data import (
    ALBI,
    CASTRES,
    CONVENTION,
    GAILLAC,
    MAZAMET,
    errors,
    ids,
    indicator,
    load,
    tarn_convention,
)
from tests.saisie_data import ADMIN

PLACES = indicator(
    "PLACES", valeur_reference="100", date_reference="2024-01-01", valeur_cible="140", date_cible="2027-12-31"
)


def measure(on: str, value: str, commune: str = "") -> dict:
    return {"convention": CONVENTION, "indicateur": "PLACES", "date": on, "valeur": value, "code_insee": commune}


MEASURES = [
    measure("2024-12-31", "110"),  # the whole convention
    measure("2024-12-31", "40", ALBI),
    measure("2024-12-31", "35", CASTRES),
    measure("2024-06-30", "20", GAILLAC),
    measure("2025-06-30", "25", GAILLAC),  # later than the whole convention's value
    measure("2025-06-30", "38", CASTRES),
]


def current(engine, today=date(2025, 12, 1)) -> dict:
    convention_id, _ = ids(engine)
    return (
        indicators_frame(engine, Filters(convention_id=convention_id), today).set_index("code").loc["PLACES"].to_dict()
    )


def test_the_current_value_is_the_whole_conventions_and_the_breakdown_lists_each_commune(engine, tmp_path):
    report = load(engine, tmp_path / "a", tarn_convention([PLACES], mesures=MEASURES))
    assert report.ok, errors(report)
    assert report.counts["mesures"]["created"] == 6
    row = current(engine)
    # The communes' values of 30 June 2025 are later, but only the whole convention's counts.
    assert (row["current_value"], row["current_date"]) == (110.0, date(2024, 12, 31))
    assert row["attainment"] == pytest.approx((110 - 100) / (140 - 100))

    _, indicators = ids(engine)
    latest = commune_latest(engine, indicators["PLACES"], date(2025, 12, 1))
    assert list(zip(latest["commune"], latest["measured_on"], latest["value"], strict=True)) == [
        ("Albi", date(2024, 12, 31), 40.0),
        ("Castres", date(2025, 6, 30), 38.0),
        ("Gaillac", date(2025, 6, 30), 25.0),
    ]
    # As of the end of 2024, the latest value of each commune then.
    then = commune_latest(engine, indicators["PLACES"], date(2024, 12, 31))
    assert list(then["value"]) == [40.0, 35.0, 20.0]
    assert len(commune_series(engine, indicators["PLACES"], date(2025, 12, 1))) == 5
    # The indicator's chart reads the whole convention's values only.
    assert list(measurements_frame(engine, indicators["PLACES"])["value"]) == [110.0]

    with Session(engine) as session:
        rows = export_rows(session, convention_code=CONVENTION)
    columns = SHEETS_BY_NAME["mesures"].column_names
    exported = [dict(zip(columns, r, strict=True)) for r in rows["mesures"]]
    assert sorted((r["code_insee"] or "", r["valeur"]) for r in exported) == sorted(
        (x["code_insee"], float(x["valeur"])) for x in MEASURES
    )
    again = load(engine, tmp_path / "b", tarn_convention([PLACES], mesures=MEASURES))
    assert again.ok and not again.changed


def test_a_correction_is_per_commune(engine, tmp_path):
    assert load(engine, tmp_path / "a", tarn_convention([PLACES], mesures=MEASURES)).ok
    corrected = [measure("2024-12-31", "42", ALBI)]
    report = load(engine, tmp_path / "b", tarn_convention([PLACES], mesures=corrected))
    assert report.ok and report.counts["mesures"]["corrected"] == 1
    with Session(engine) as session:
        superseded = session.exec(select(m.Measurement).where(m.Measurement.superseded_at.is_not(None))).all()
        assert [(x.insee_code, x.value) for x in superseded] == [(ALBI, 40.0)]
    # The whole convention's value of the same date is untouched; the form corrects Castres alone.
    assert current(engine)["current_value"] == 110.0
    _, indicators = ids(engine)
    result = svc.record_measurement(
        engine, ADMIN, indicator_id=indicators["PLACES"], measured_on="2024-12-31", value="36", insee_code=CASTRES
    )
    assert (result.outcome, result.previous_value) == (svc.REPLACED, 35.0)
    assert "(commune 81065)" in result.message
    whole = svc.record_measurement(
        engine, ADMIN, indicator_id=indicators["PLACES"], measured_on="2024-12-31", value="110"
    )
    assert whole.outcome == svc.SAME


def test_a_commune_outside_the_perimeter_is_refused_by_import_and_form(engine, tmp_path):
    assert load(engine, tmp_path / "a", tarn_convention([PLACES])).ok
    report = load(engine, tmp_path / "b", tarn_convention([PLACES], mesures=[measure("2024-12-31", "9", MAZAMET)]))
    message = "la commune 81163 n'est pas dans le périmètre de la convention"
    assert errors(report) == [("fichier mesures.csv", 2, "code_insee", message)]
    _, indicators = ids(engine)
    with pytest.raises(ValidationError) as refused:
        svc.record_measurement(
            engine, ADMIN, indicator_id=indicators["PLACES"], measured_on="2024-12-31", value="9", insee_code=MAZAMET
        )
    assert refused.value.errors == {"Commune": message}
    with Session(engine) as session:
        assert session.exec(select(m.Measurement)).all() == []


def test_the_small_multiples_draw_one_chart_per_commune_with_its_latest_value_highlighted():
    from ctg_data.ui.commune_chart import commune_chart, commune_table

    series = pd.DataFrame(
        {
            "insee_code": [ALBI, GAILLAC, GAILLAC],
            "commune": ["Albi", "Gaillac", "Gaillac"],
            "measured_on": [date(2024, 12, 31), date(2024, 6, 30), date(2025, 6, 30)],
            "value": [40.0, 20.0, 25.0],
        }
    )
    spec = commune_chart(series, "places").to_dict()
    assert spec["facet"]["field"] == "commune"
    rows = spec["datasets"][spec["data"]["name"]]
    assert [(r["commune"], r["value"], r["point"]) for r in rows] == [
        ("Albi", 40.0, "Dernière valeur"),
        ("Gaillac", 20.0, "Valeur"),
        ("Gaillac", 25.0, "Dernière valeur"),
    ]
    latest = series.iloc[[0, 2]]
    assert list(commune_table(latest)["Dernière valeur"]) == ["40", "25"]


def test_the_latest_changes_say_which_commune_a_value_is_for(engine, tmp_path):
    from ctg_data.queries.overview import recent_changes

    assert load(engine, tmp_path / "a", tarn_convention([PLACES], mesures=MEASURES)).ok
    convention_id, _ = ids(engine)
    latest = set(recent_changes(engine, convention_id, limit=20)["what"])
    name = PLACES["nom"]
    assert {f"{name} (Castres) : 38 {PLACES['unite']}", f"{name} : 110 {PLACES['unite']}"} <= latest


def test_the_latest_changes_read_by_the_date_they_are_about_not_by_entry_time(engine, tmp_path):
    from ctg_data.queries.overview import recent_changes

    assert load(engine, tmp_path / "a", tarn_convention([PLACES], mesures=[measure("2025-12-31", "120")])).ok
    # Entered afterwards, but about an earlier date: it reads below the December value.
    assert load(engine, tmp_path / "b", {"mesures": [measure("2024-03-31", "101")]}).ok
    dates = list(recent_changes(engine, ids(engine)[0])["date"])
    assert dates == sorted(dates, reverse=True) and dates[0] == date(2025, 12, 31)
