"""The indicator chart (its Vega-Lite spec) and the sentence that describes it."""

from datetime import date

import pandas as pd
import pytest

from ctg_data.ui.indicator_chart import describe, indicator_chart

NNBSP = "\u202f"
TODAY = date(2026, 11, 26)
INDICATOR = {
    "unit": "places pour 100 enfants de moins de 3 ans",
    "baseline_value": 58.4,
    "baseline_date": date(2022, 12, 31),
    "baseline_source": "Cnaf",
    "target_value": 66.0,
    "target_date": date(2027, 5, 31),
}
MEASUREMENTS = pd.DataFrame(
    {
        "measured_on": [date(2023, 12, 31), date(2024, 12, 31), date(2025, 12, 31), date(2026, 9, 30)],
        "value": [59.6, 60.9, 62.0, 66.5],
        "type": ["resultat", "resultat", "resultat", "estimation"],
        "source": ["Cnaf", "Cnaf", "Cnaf", None],
        "comment": [None, None, None, "Après l'ouverture de La Coustète."],
    }
)


def spec(indicator=INDICATOR, measurements=MEASUREMENTS, today=TODAY, **kwargs) -> dict:
    return indicator_chart(indicator, measurements, today, **kwargs).to_dict()


def layers(chart: dict) -> dict[str, dict]:
    return {layer["name"]: layer for layer in chart["layer"]}


def data(chart: dict, layer: dict) -> list[dict]:
    return chart["datasets"][layer["data"]["name"]]


def mark(layer: dict) -> dict:
    return layer["mark"] if isinstance(layer["mark"], dict) else {"type": layer["mark"]}


def test_chart_has_the_measurements_trajectory_baseline_target_and_today_layers():
    found = layers(spec())
    assert {"mesures", "mesures-points", "trajectoire", "reference", "cible", "aujourdhui"} <= set(found)
    assert mark(found["mesures"])["type"] == "line"
    assert mark(found["mesures-points"])["type"] == "point"
    assert mark(found["trajectoire"])["type"] == "line"
    assert mark(found["trajectoire"])["strokeDash"]  # dashed: told apart without colour
    assert mark(found["aujourdhui"])["type"] == "rule"


def test_line_joins_results_only_and_points_show_every_current_value():
    chart = spec()
    found = layers(chart)
    assert [row["value"] for row in data(chart, found["mesures"])] == [59.6, 60.9, 62.0]
    assert sorted(row["value"] for row in data(chart, found["mesures-points"])) == [59.6, 60.9, 62.0, 66.5]
    assert {row["series"] for row in data(chart, found["mesures-points"])} == {"Mesure", "Estimation"}


def test_trajectory_runs_from_baseline_to_target_and_today_is_a_vertical_rule():
    chart = spec()
    found = layers(chart)
    trajectory = data(chart, found["trajectoire"])
    assert [(row["date"][:10], row["value"]) for row in trajectory] == [("2022-12-31", 58.4), ("2027-05-31", 66.0)]
    assert [(row["date"][:10], row["value"]) for row in data(chart, found["cible"])] == [("2027-05-31", 66.0)]
    assert [(row["date"][:10], row["value"]) for row in data(chart, found["reference"])] == [("2022-12-31", 58.4)]
    assert [row["date"][:10] for row in data(chart, found["aujourdhui"])] == ["2026-11-26"]
    assert "y" not in found["aujourdhui"]["encoding"]


def test_axes_and_tooltips_are_titled_in_french():
    found = layers(spec())
    encoding = found["mesures-points"]["encoding"]
    assert encoding["x"]["title"] == "Date"
    assert encoding["y"]["title"] == INDICATOR["unit"]
    tooltips = {tip["field"]: tip["title"] for tip in encoding["tooltip"]}
    assert tooltips == {
        "date": "Date",
        "value": INDICATOR["unit"],
        "type": "Type",
        "source": "Source",
        "comment": "Commentaire",
    }
    assert {tip["field"]: tip["title"] for tip in found["aujourdhui"]["encoding"]["tooltip"]} == {
        "label": "Repère",
        "date": "Date",
    }


def test_dates_and_numbers_are_written_the_french_way():
    chart = spec()
    assert chart["config"]["locale"]["number"]["decimal"] == ","
    assert chart["config"]["locale"]["time"]["months"][0] == "janvier"
    date_tip = next(t for t in layers(chart)["mesures-points"]["encoding"]["tooltip"] if t["field"] == "date")
    assert date_tip["format"] == "%d/%m/%Y"


def test_every_series_has_its_own_colour_and_shape_in_one_legend():
    found = layers(spec())
    colours = found["cible"]["encoding"]["color"]["scale"]
    shapes = found["cible"]["encoding"]["shape"]["scale"]
    assert (
        colours["domain"] == shapes["domain"] == ["Mesure", "Estimation", "Trajectoire attendue", "Référence", "Cible"]
    )
    assert len(set(colours["range"])) == len(colours["range"])
    assert len(set(shapes["range"])) == len(shapes["range"])
    # Same scale on every layer, or Vega-Lite would draw several legends.
    assert all(
        layer["encoding"]["color"]["scale"] == colours for name, layer in found.items() if "color" in layer["encoding"]
    )


def test_today_label_can_name_a_past_date():
    chart = spec(today=date(2024, 12, 31), today_label="Au 31/12/2024")
    rule = layers(chart)["aujourdhui"]
    assert [row["label"] for row in data(chart, rule)] == ["Au 31/12/2024"]


def test_without_measurements_the_chart_still_shows_baseline_target_and_trajectory():
    found = layers(spec(measurements=MEASUREMENTS.iloc[0:0]))
    assert {"reference", "cible", "trajectoire", "aujourdhui"} <= set(found)
    assert not {"mesures", "mesures-points"} & set(found)


def test_without_a_target_there_is_no_trajectory():
    found = layers(spec(indicator=dict(INDICATOR, target_value=None, target_date=None)))
    assert "trajectoire" not in found and "cible" not in found
    assert {"mesures", "reference"} <= set(found)


def test_nothing_to_draw_gives_no_chart():
    nothing = dict(INDICATOR, baseline_value=None, target_value=None)
    assert indicator_chart(nothing, MEASUREMENTS.iloc[0:0], TODAY) is None


def test_missing_values_from_a_dataframe_row_count_as_absent():
    row = pd.Series(dict(INDICATOR, target_value=float("nan"), target_date=None))
    assert "cible" not in layers(spec(indicator=row))


# --- the sentence under the chart -------------------------------------------------------------

ROW = dict(
    INDICATOR,
    current_value=62.0,
    current_date=date(2025, 12, 31),
    attainment=3.6 / 7.6,
    expected=1096 / 1612,
    status="a_surveiller",
)


def test_description_gives_value_target_progress_and_what_was_expected():
    assert describe(ROW) == (
        f"Valeur actuelle 62 (31 décembre 2025), cible 66 au 31 mai 2027 : "
        f"47{NNBSP}% du chemin parcouru, 68{NNBSP}% attendu à cette date."
    )


def test_description_clips_progress_and_says_when_the_value_went_backwards():
    sentence = describe(dict(ROW, current_value=55.0, attainment=-3.4 / 7.6))
    assert f": 0{NNBSP}% du chemin parcouru (valeur moins bonne que la référence)" in sentence
    assert f"100{NNBSP}% du chemin parcouru" in describe(dict(ROW, attainment=1.3))


def test_description_of_an_indicator_without_measurement():
    sentence = describe(
        dict(ROW, current_value=None, current_date=None, attainment=None, expected=None, status="a_renseigner")
    )
    assert sentence == "Aucune valeur mesurée. Référence 58,4 au 31 décembre 2022, cible 66 au 31 mai 2027."


def test_description_of_an_incomplete_indicator():
    sentence = describe(
        dict(ROW, target_value=None, target_date=None, attainment=None, expected=None, status="incomplet")
    )
    assert sentence == "Valeur actuelle 62 (31 décembre 2025), pas de cible fixée."


def test_description_warns_when_the_value_is_too_old():
    assert describe(dict(ROW, status="a_renseigner")).endswith(
        "trop ancienne pour la fréquence de l'indicateur : à renseigner."
    )


@pytest.mark.parametrize("missing", [None, float("nan")])
def test_description_without_expected_attainment_leaves_it_out(missing):
    assert describe(dict(ROW, expected=missing)).endswith(f"47{NNBSP}% du chemin parcouru.")
