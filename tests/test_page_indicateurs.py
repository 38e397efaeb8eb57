"""The Indicateurs page on the demo convention, run by AppTest. Statuses, values and the
chart's description are recomputed here from the seed CSV files with the definitions of
docs/rules.md written out again, never read from the code under test."""

import csv
import json
import re
from datetime import UTC, date, datetime
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import text
from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

from ctg_data.interchange import load_folder
from tests.conftest import sign_in
from tests.csv_folder import write_folder

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "lourdes-2023"
PAGE = ROOT / "pages" / "indicateurs.py"
TODAY = date(2026, 11, 26)
NNBSP = "\u202f"
NO_MEASUREMENT = "Aucune mesure enregistrée pour cet indicateur."
SHOWN_STATUS = {
    "atteint": "✔ Atteint",
    "en bonne voie": "↗ En bonne voie",
    "à surveiller": "⚠ À surveiller",
    "décroché": "✖ Décroché",
    "à renseigner": "? À renseigner",
    "incomplet": "… Incomplet",
}
MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
FREQUENCY_MONTHS = {"mensuelle": 1, "trimestrielle": 3, "semestrielle": 6, "annuelle": 12}
DAYS_PER_MONTH = 365.25 / 12


def seed_rows(sheet: str) -> list[dict]:
    with open(SEED / f"{sheet}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


INDICATORS = {row["code"]: row for row in seed_rows("indicateurs")}
# The values of the whole convention (a value given for one commune never is the current one).
MEASURES = [row for row in seed_rows("mesures") if not row.get("code_insee")]
TARGETS = seed_rows("cibles")
DEFAULT_STEPS = ["non_demarre", "en_cours", "realise"]


def steps_of(code: str) -> list[str] | None:
    row = INDICATORS[code]
    if row.get("nature") != "etape":
        return None
    return row["etapes"].split(";") if row["etapes"] else DEFAULT_STEPS


def number(code: str, value: str) -> float:
    """A value of the seed as stored: a step code's position, else the number."""
    steps = steps_of(code)
    return float(steps.index(value)) if steps else float(value)


def expected_by_hand(code: str, on: date) -> float:
    """docs/rules.md: the expected value is piecewise linear through the reference, each
    intermediate target and the target; e = (expected − reference) / (target − reference),
    clipped to [0, 1]."""
    row = INDICATORS[code]
    points = [(date.fromisoformat(row["date_reference"]), float(row["valeur_reference"]))]
    points += sorted((date.fromisoformat(t["date"]), float(t["valeur"])) for t in TARGETS if t["indicateur"] == code)
    points += [(date.fromisoformat(row["date_cible"]), float(row["valeur_cible"]))]
    expected = points[0][1] if on <= points[0][0] else points[-1][1]
    for (start, low), (end, high) in pairwise(points):
        if start < on <= end:
            expected = low + (high - low) * (on - start).days / (end - start).days
            break
    return min(1.0, max(0.0, (expected - points[0][1]) / (points[-1][1] - points[0][1])))


def latest_result(code: str, on: date) -> dict | None:
    """docs/rules.md: the current value is the latest `resultat` by date (none is superseded in the seed)."""
    results = [
        r
        for r in MEASURES
        if r["indicateur"] == code and r["type"] in ("", "resultat") and date.fromisoformat(r["date"]) <= on
    ]
    return max(results, key=lambda r: r["date"]) if results else None


def by_hand(code: str, on: date = TODAY) -> dict:
    """docs/rules.md, "Indicators", written out: attainment a, expected e at the current value's
    date, then the status thresholds (margins 0.10 and 0.25, staleness 1.5 × frequency)."""
    row = INDICATORS[code]
    if steps_of(code):
        return steps_by_hand(code, on)
    if not row["valeur_reference"] or not row["valeur_cible"]:
        return {"status": "incomplet"}
    latest = latest_result(code, on)
    if latest is None:
        return {"status": "à renseigner"}
    reference, target, current = float(row["valeur_reference"]), float(row["valeur_cible"]), float(latest["valeur"])
    measured_on = date.fromisoformat(latest["date"])
    a = (current - reference) / (target - reference)
    e = expected_by_hand(code, measured_on)
    age_in_months = (on - measured_on).days / DAYS_PER_MONTH
    limit = 1.5 * FREQUENCY_MONTHS[row["frequence"] or "annuelle"]
    assert abs(age_in_months - limit) > 0.2, f"{code} is too close to the staleness limit for this check"
    if age_in_months > limit:
        status = "à renseigner"
    elif a >= 1:
        status = "atteint"
    elif a >= e - 0.10:
        status = "en bonne voie"
    elif a >= e - 0.25:
        status = "à surveiller"
    else:
        status = "décroché"
    return {"status": status, "a": a, "e": e, "current": latest}


def steps_by_hand(code: str, on: date) -> dict:
    """docs/rules.md, step indicators: atteint once the target step is reached, à renseigner
    without a value or with a stale one, else en bonne voie until date_cible, décroché after."""
    row = INDICATORS[code]
    latest = latest_result(code, on)
    if not row["valeur_cible"]:
        return {"status": "incomplet"}
    if latest is None:
        return {"status": "à renseigner"}
    if number(code, latest["valeur"]) >= number(code, row["valeur_cible"]):
        return {"status": "atteint", "current": latest}
    age_in_months = (on - date.fromisoformat(latest["date"])).days / DAYS_PER_MONTH
    if age_in_months > 1.5 * FREQUENCY_MONTHS[row["frequence"] or "annuelle"]:
        return {"status": "à renseigner", "current": latest}
    passed = row["date_cible"] and on > date.fromisoformat(row["date_cible"])
    return {"status": "décroché" if passed else "en bonne voie", "current": latest}


def plain(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")  # the escaper's invisible word joiners


def french_long_date(day: str) -> str:
    day = date.fromisoformat(day)
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def french_value(value: str) -> str:
    """Seed values have at most one decimal and stay below 1 000 where this is used."""
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:.2f}".rstrip("0").replace(".", ",")


def run_page(**query) -> AppTest:
    at = sign_in(AppTest.from_file(str(PAGE), default_timeout=30))
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def indicator_list(at: AppTest):
    return at.main.dataframe[0].value.set_index("Code")


def values_table(at: AppTest):
    return at.main.dataframe[-1].value


def detail_selectbox(at: AppTest):
    return next(box for box in at.main.selectbox if box.label == "Détail de l'indicateur")


# --- the list ------------------------------------------------------------------------------------


def test_list_shows_every_indicator_of_the_demo_convention(demo_engine):
    assert sorted(indicator_list(run_page()).index) == sorted(INDICATORS)


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("PE-PLACES-EAJE", "atteint"),  # 115 places on 2026-09-30, the target itself
        ("PE-NB-AM", "décroché"),  # 43 childminders, below the baseline of 48
        ("AD-NON-RECOURS", "à renseigner"),  # yearly, last measured 2024-12-31: older than 18 months
        ("JEU-BAFA", "à renseigner"),  # no measurement at all
        ("TX-COUV-PE", "à surveiller"),
    ],
)
def test_list_shows_the_status_computed_by_the_rules_with_its_symbol(demo_engine, code, status):
    assert by_hand(code)["status"] == status  # the hand computation agrees with the comment above
    assert indicator_list(run_page()).loc[code, "Statut"] == SHOWN_STATUS[status]


def test_every_status_in_the_list_matches_the_rules_recomputed_by_hand(demo_engine):
    shown = indicator_list(run_page())["Statut"]
    assert {code: shown[code] for code in INDICATORS} == {
        code: SHOWN_STATUS[by_hand(code)["status"]] for code in INDICATORS
    }


def test_list_shows_current_value_target_and_attainment_in_french(demo_engine):
    row = indicator_list(run_page()).loc["TX-COUV-PE"]
    expected = by_hand("TX-COUV-PE")
    assert row["Valeur actuelle"] == french_value(expected["current"]["valeur"]) == "62"
    assert row["Référence"] == "58,4"
    assert row["Cible"] == french_value(INDICATORS["TX-COUV-PE"]["valeur_cible"])
    assert int(row["Atteinte"]) == round(100 * expected["a"])


def test_sidebar_domain_filter_applies_to_the_list(demo_engine):
    shown = indicator_list(run_page(domaine="jeunesse"))
    assert sorted(shown.index) == sorted(code for code, r in INDICATORS.items() if r["domaine"] == "jeunesse")


def test_a_past_year_shows_the_values_known_at_its_end(demo_engine):
    end_of_2024 = date(2024, 12, 31)
    at = run_page(annee="2024")
    assert "Situation au 31/12/2024" in " ".join(c.value for c in at.main.caption)
    row = indicator_list(at).loc["TX-COUV-PE"]
    assert row["Valeur actuelle"] == french_value(latest_result("TX-COUV-PE", end_of_2024)["valeur"]) == "60,9"
    assert row["Statut"] == SHOWN_STATUS[by_hand("TX-COUV-PE", end_of_2024)["status"]]


# --- one indicator -------------------------------------------------------------------------------


def chart_of(at: AppTest) -> tuple[dict, dict]:
    charts = at.main.get("vega_lite_chart")
    assert len(charts) == 1
    proto = charts[0].proto
    datasets = {d.name: dataframe_util.convert_arrow_bytes_to_pandas_df(d.data.data) for d in proto.datasets}
    return json.loads(proto.spec), datasets


def test_deep_link_shows_the_chart_its_description_and_the_values(demo_engine):
    code = "TX-COUV-PE"
    indicator, expected = INDICATORS[code], by_hand("TX-COUV-PE")
    at = run_page(indicateur=code)
    assert detail_selectbox(at).value == code
    assert plain(at.main.subheader[0].value) == f"{code} — {indicator['nom']}"

    spec, datasets = chart_of(at)
    layers = {layer["name"]: layer for layer in spec["layer"]}
    assert {"mesures", "mesures-points", "trajectoire", "reference", "cible", "aujourdhui"} <= set(layers)
    assert layers["mesures"]["encoding"]["x"]["title"] == "Date"
    assert layers["mesures"]["encoding"]["y"]["title"] == indicator["unite"]
    measured = datasets[layers["mesures-points"]["data"]["name"]]
    assert sorted(measured["value"]) == sorted(float(r["valeur"]) for r in MEASURES if r["indicateur"] == code)
    trajectory = datasets[layers["trajectoire"]["data"]["name"]]
    milestones = sorted((t["date"], float(t["valeur"])) for t in TARGETS if t["indicateur"] == code)
    assert list(trajectory["value"]) == [
        float(indicator["valeur_reference"]),
        *(value for _, value in milestones),
        float(indicator["valeur_cible"]),
    ]

    current = expected["current"]
    sentence = (
        f"Valeur actuelle {french_value(current['valeur'])} ({french_long_date(current['date'])}), "
        f"cible {french_value(indicator['valeur_cible'])} au {french_long_date(indicator['date_cible'])} : "
        f"{round(100 * expected['a'])}{NNBSP}% du chemin parcouru, "
        f"{round(100 * expected['e'])}{NNBSP}% attendu à cette date."
    )
    # Expected on 31 Dec 2025, the date of the intermediate target 63: (63 − 58,4) / (66 − 58,4) ≈ 61 %.
    assert (
        sentence == f"Valeur actuelle 62 (31 décembre 2025), cible 66 au 31 mai 2027 : 47{NNBSP}% du chemin "
        f"parcouru, 61{NNBSP}% attendu à cette date."
    )
    assert sentence in [plain(c.value) for c in at.main.caption]
    assert at.main.get("vega_lite_chart")[0].proto.alt == sentence

    values = values_table(at)
    rows = sorted((r for r in MEASURES if r["indicateur"] == code), key=lambda r: r["date"], reverse=True)
    assert [str(d)[:10] for d in values["Date"]] == [r["date"] for r in rows]
    assert list(values["Valeur"]) == [french_value(r["valeur"]) for r in rows]
    assert list(values["Source"]) == [r["source"] for r in rows]
    assert list(values["Commentaire"]) == [r["commentaire"] for r in rows]
    assert list(values["Type"]) == ["Estimation" if r["type"] == "estimation" else "Résultat" for r in rows]


def test_the_detail_names_the_direction_and_the_frequency_in_french(demo_engine):
    directions = {"hausse": "à la hausse", "baisse": "à la baisse"}
    code = "TX-COUV-PE"
    indicator = INDICATORS[code]
    facts = plain(run_page(indicateur=code).main.markdown[0].value)
    assert f"**Sens** : {directions[indicator['sens']]}" in facts
    assert f"**Fréquence** : {indicator['frequence'] or '—'}" in facts  # the seed's codes are the words


def test_indicator_without_measurements_says_so_and_still_draws_baseline_and_target(demo_engine):
    code = "JEU-BAFA"
    assert not [r for r in MEASURES if r["indicateur"] == code]
    at = run_page(indicateur=code)
    assert [info.value for info in at.main.info] == [NO_MEASUREMENT]
    spec, _ = chart_of(at)
    names = {layer["name"] for layer in spec["layer"]}
    assert {"reference", "cible", "trajectoire", "aujourdhui"} <= names
    assert not names & {"mesures", "mesures-points"}


def test_choosing_an_indicator_puts_it_in_the_url(demo_engine):
    at = run_page()
    assert not at.main.get("vega_lite_chart")
    detail_selectbox(at).set_value("PE-NB-AM").run()
    assert not at.exception
    assert at.query_params["indicateur"] == "PE-NB-AM"
    assert plain(at.main.subheader[0].value).startswith("PE-NB-AM — ")


def test_deep_link_opens_an_indicator_outside_the_chosen_domain(demo_engine):
    at = run_page(domaine="jeunesse", indicateur="TX-COUV-PE")
    assert "TX-COUV-PE" not in indicator_list(at).index
    assert plain(at.main.subheader[0].value).startswith("TX-COUV-PE — ")


def test_unknown_indicator_in_the_link_is_a_warning_not_an_error(demo_engine):
    at = run_page(indicateur="NOPE")
    assert [plain(w.value) for w in at.main.warning] == ["Aucun indicateur « NOPE » dans cette convention."]


def test_corrected_values_are_shown_only_on_demand_and_marked_replaced(demo_engine, tmp_path):
    code, day = "TX-COUV-PE", "2025-12-31"
    original = next(r for r in MEASURES if r["indicateur"] == code and r["date"] == day)
    correction = write_folder(
        tmp_path / "correction",
        {"mesures": [dict(original, valeur="62.4", commentaire="Valeur consolidée par la Cnaf.")]},
    )
    report = load_folder(correction, actor="test", engine=demo_engine)
    assert report.ok and report.counts["mesures"]["corrected"] == 1
    with demo_engine.connect() as connection:
        replaced_at = connection.execute(
            text("SELECT superseded_at FROM measurements WHERE value = 62 AND superseded_at IS NOT NULL")
        ).scalar_one()
    replaced_at = datetime.fromisoformat(str(replaced_at))
    replaced_at = replaced_at if replaced_at.tzinfo else replaced_at.replace(tzinfo=UTC)
    replaced_on = replaced_at.astimezone(ZoneInfo("Europe/Paris")).strftime("%d/%m/%Y")

    at = run_page(indicateur=code)
    assert at.main.metric[0].value == "62,4"
    values = values_table(at)
    that_day = values[[str(d)[:10] == day for d in values["Date"]]]
    assert list(that_day["Valeur"]) == ["62,4"]
    assert "État" not in values.columns

    at.toggle(key="indicators_show_replaced").set_value(True).run()
    assert not at.exception
    values = values_table(at)
    that_day = values[[str(d)[:10] == day for d in values["Date"]]]
    assert list(zip(that_day["Valeur"], that_day["État"], strict=True)) == [
        ("62,4", ""),
        ("62", f"remplacée le {replaced_on}"),
    ]
    assert len(values) == len([r for r in MEASURES if r["indicateur"] == code]) + 1


# --- format v2: steps, intermediate targets, values per commune -----------------------------------


def test_a_step_indicator_reads_as_steps_in_the_list_and_the_detail(demo_engine):
    code = "AS-OUTIL-SUIVI"
    steps, row = steps_of(code), INDICATORS[code]
    latest = by_hand(code)["current"]
    label = {"non_demarre": "Non démarré", "cahier_des_charges": "Cahier des charges", "en_test": "En test"}
    label |= {"en_service": "En service"}
    listed = indicator_list(run_page()).loc[code]
    assert (listed["Valeur actuelle"], listed["Cible"]) == (label[latest["valeur"]], label[row["valeur_cible"]])
    assert pd.isna(listed["Atteinte"])  # no percentage for a step indicator

    at = run_page(indicateur=code)
    metrics = {m.label: m.value for m in at.main.metric}
    assert metrics == {
        "Étape actuelle": label[latest["valeur"]],
        "Étape de référence": label[row["valeur_reference"]],
        "Étape visée": label[row["valeur_cible"]],
    }
    spec, datasets = chart_of(at)
    layers = {layer["name"]: layer for layer in spec["layer"]}
    y = layers["mesures"]["encoding"]["y"]
    # The y axis is the ordered steps (the first at the bottom), never a percentage.
    assert (y["field"], y["scale"]["domain"]) == ("step", [label[s] for s in reversed(steps)])
    assert layers["mesures"]["mark"]["interpolate"] == "step-after"
    shown = datasets[layers["mesures-points"]["data"]["name"]]
    assert list(shown["step"]) == [label[r["valeur"]] for r in MEASURES if r["indicateur"] == code]
    assert values_table(at)["Valeur"].iloc[0] == label[latest["valeur"]]


def test_the_trajectory_passes_through_the_intermediate_targets_shown_as_points(demo_engine):
    code = "TX-COUV-PE"
    milestones = sorted((t["date"], float(t["valeur"])) for t in TARGETS if t["indicateur"] == code)
    assert milestones  # the demo gives this indicator intermediate targets
    spec, datasets = chart_of(run_page(indicateur=code))
    layers = {layer["name"]: layer for layer in spec["layer"]}
    points = datasets[layers["cibles-intermediaires"]["data"]["name"]]
    assert [(str(d)[:10], v) for d, v in zip(points["date"], points["value"], strict=True)] == milestones
    assert layers["trajectoire"]["mark"]["strokeDash"]


def test_the_commune_breakdown_lists_each_communes_latest_value(demo_engine):
    code = "PE-NB-AM"
    rows = [r for r in seed_rows("mesures") if r["indicateur"] == code and r["code_insee"]]
    latest = {}
    for r in sorted(rows, key=lambda r: r["date"]):
        latest[r["code_insee"]] = r
    names = {r["code_insee"]: r["nom"] for r in seed_rows("communes")}
    at = run_page(indicateur=code)
    table = next(df.value for df in at.main.dataframe if "Code INSEE" in df.value.columns)
    assert sorted(zip(table["Commune"], table["Dernière valeur"], strict=True)) == sorted(
        (names[insee], french_value(r["valeur"])) for insee, r in latest.items()
    )
    # The current value stays the whole convention's.
    assert at.main.metric[0].value == french_value(by_hand(code)["current"]["valeur"])


def test_an_administrator_adds_an_intermediate_target_from_the_indicator_page(demo_engine):
    code = "JEU-BAFA"  # from 0 (31/12/2022) to 30 (31/05/2027), no intermediate target in the demo
    assert not [t for t in TARGETS if t["indicateur"] == code]
    at = run_page(indicateur=code)
    next(d for d in at.main.date_input if d.label == "Date *").set_value(date(2025, 6, 30))
    next(t for t in at.main.text_input if t.label == "Valeur visée *").input("12")
    next(b for b in at.main.button if b.label == "Ajouter la cible").click().run()
    assert not at.exception, at.exception
    assert [plain(s.value) for s in at.main.success] == ["Cible intermédiaire 12 ajoutée au 30/06/2025 pour JEU-BAFA."]
    spec, datasets = chart_of(at)
    layers = {layer["name"]: layer for layer in spec["layer"]}
    trajectory = datasets[layers["trajectoire"]["data"]["name"]]
    assert list(trajectory["value"]) == [0.0, 12.0, 30.0]
    # Outside the reference and target dates: refused in French, nothing written.
    next(d for d in at.main.date_input if d.label == "Date *").set_value(date(2028, 1, 1))
    next(t for t in at.main.text_input if t.label == "Valeur visée *").input("20")
    next(b for b in at.main.button if b.label == "Ajouter la cible").click().run()
    refusals = " ".join(plain(e.value) for e in at.main.error)
    assert "n'est pas entre la date de référence (31/12/2022) et la date cible (31/05/2027)" in refusals
