"""Year on year (docs/rules.md, « 9. D'une année à l'autre »): the pure comparisons, the two
frames on a convention written for the test (SQLite and PostgreSQL), and the Indicateurs and
Leviers pages on the demo. Every expected figure is worked out by hand here."""

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ctg_data.queries.year_on_year import funding_year_on_year, indicators_year_on_year
from ctg_data.rules.year_on_year import (
    Change,
    MoneyChange,
    Trend,
    change_text,
    compare,
    compared_year,
    money_change,
    money_change_text,
    year_end,
)
from tests.conftest import sign_in
from tests.indicator_data import ALBI, CONVENTION, ids, indicator, load, tarn_convention

D = Decimal
NNBSP, NBSP, MINUS = "\u202f", "\u00a0", "\u2212"
ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "lourdes-2023"
TODAY = date(2026, 6, 30)
YEAR = 2025


# ------------------------------------------------------------------ the rules


def test_a_hausse_indicator_that_rises_improves():
    assert compare(110.0, 121.0, "hausse") == Change(11.0, 0.1, Trend.AMELIORATION)


def test_a_baisse_indicator_that_rises_worsens_and_one_that_falls_improves():
    assert compare(15.0, 18.0, "baisse") == Change(3.0, 0.2, Trend.DEGRADATION)
    assert compare(20.0, 18.0, "baisse") == Change(-2.0, -0.1, Trend.AMELIORATION)


def test_no_previous_value_means_no_comparison_and_the_same_value_is_stable():
    assert compare(None, 7.0, "hausse") == Change(None, None, Trend.SANS_COMPARAISON)
    assert compare(9.0, None, "hausse") == Change(None, None, Trend.SANS_COMPARAISON)
    assert compare(9.0, 9.0, "baisse") == Change(0.0, 0.0, Trend.STABLE)


def test_a_step_indicator_is_compared_in_steps_without_a_percentage():
    assert compare(1.0, 3.0, "hausse", by_steps=True) == Change(2.0, None, Trend.AMELIORATION)
    assert compare(2.0, 1.0, "hausse", by_steps=True) == Change(-1.0, None, Trend.DEGRADATION)


def test_a_zero_previous_value_has_no_percentage():
    assert compare(0.0, 4.0, "hausse") == Change(4.0, None, Trend.AMELIORATION)


def test_money_missing_one_year_counts_as_zero_and_missing_both_years_is_no_change():
    assert money_change(D("1000.00"), D("1500.00")) == MoneyChange(D("500.00"), 0.5)
    assert money_change(D("5000.00"), None) == MoneyChange(D("-5000.00"), -1.0)
    assert money_change(None, D("250.00")) == MoneyChange(D("250.00"), None)
    assert money_change(None, None) == MoneyChange(None, None)


def test_the_changes_read_in_french_with_their_sign():
    assert change_text(compare(60.9, 62.0, "hausse")) == f"+1,1 (+1,8{NNBSP}%)"
    assert change_text(compare(5.0, 3.0, "hausse")) == f"{MINUS}2 ({MINUS}40,0{NNBSP}%)"
    assert change_text(compare(0.0, 2.0, "hausse", by_steps=True), by_steps=True) == "+2 étapes"
    assert change_text(compare(None, 2.0, "hausse")) == "—"
    assert money_change_text(money_change(D("1000"), D("2500"))) == f"+1{NNBSP}500,00{NBSP}€ (+150,0{NNBSP}%)"


def test_n_is_the_year_chosen_else_the_last_whole_year():
    assert compared_year(2024, date(2026, 11, 26)) == 2024
    assert compared_year(None, date(2026, 11, 26)) == 2025
    assert year_end(2025, date(2026, 11, 26)) == date(2025, 12, 31)
    assert year_end(2026, date(2026, 11, 26)) == date(2026, 11, 26)


# ------------------------------------------------------------------ the frames, on both databases


def measure(code, day, value, kind="resultat", insee=""):
    return {
        "convention": CONVENTION,
        "indicateur": code,
        "date": day,
        "valeur": value,
        "type": kind,
        "code_insee": insee,
        "source": "test",
        "commentaire": "",
    }


def money(lever, year, planned="", notified="", paid="", domain="", funder="caf81"):
    return {
        "convention": CONVENTION,
        "levier": lever,
        "annee": str(year),
        "financeur": funder,
        "beneficiaire": "agglo",
        "domaine": domain,
        "montant_prevu": planned,
        "montant_notifie": notified,
        "montant_verse": paid,
    }


INDICATORS = [
    indicator("HAUSSE", valeur_reference="100", date_reference="2024-01-01", valeur_cible="150"),
    indicator("BAISSE", sens="baisse", valeur_reference="20", date_reference="2024-01-01", valeur_cible="10"),
    indicator("NOUVEAU", valeur_reference="0", date_reference="2024-01-01", valeur_cible="10"),
    indicator("ANCIEN", valeur_reference="5", date_reference="2024-01-01", valeur_cible="10"),
    indicator("ETAPE", nature="etape", etapes="a;b;c;d", valeur_reference="a", valeur_cible="d"),
]
MEASURES = [
    measure("HAUSSE", "2024-03-31", "104"),
    measure("HAUSSE", "2024-06-30", "110"),  # the latest of 2024
    measure("HAUSSE", "2025-12-31", "121"),  # the latest of 2025: +11, +10 %
    measure("HAUSSE", "2025-12-31", "999", insee=ALBI),  # one commune's: never the convention's value
    measure("HAUSSE", "2025-09-30", "500", kind="estimation"),  # an estimate: not a result
    measure("HAUSSE", "2026-03-31", "130"),  # after the end of 2025
    measure("BAISSE", "2024-12-31", "15"),
    measure("BAISSE", "2025-06-30", "18"),  # +3, +20 %: worse for a baisse indicator
    measure("NOUVEAU", "2025-03-31", "7"),  # nothing in 2024
    measure("ANCIEN", "2024-05-01", "9"),  # nothing in 2025: carried over
    measure("ETAPE", "2024-12-31", "b"),  # step 1
    measure("ETAPE", "2025-12-31", "d"),  # step 3: two steps up
]
FUNDING = [
    money("subvention", 2024, "1000", "800", "500", domain="petite_enfance"),
    money("subvention", 2025, "1000", "700", "700", domain="petite_enfance"),
    money("subvention", 2025, "500", "500", "500", domain="jeunesse", funder="agglo"),
    money("prestation_service", 2024, planned="2000"),
    money("prestation_service", 2024, planned="3000", funder="agglo"),
    money("autre", 2025, planned="250"),
    money("bonus_mixite_sociale", 2026, planned="9000"),  # neither year
]


@pytest.fixture
def tarn(engine, tmp_path):
    report = load(engine, tmp_path / "tarn", tarn_convention(INDICATORS, mesures=MEASURES, financements=FUNDING))
    assert report.ok, [str(e) for e in report.errors]
    return ids(engine)[0]


def by_code(frame):
    return {row["code"]: row for row in frame.to_dict("records")}


def test_each_indicator_s_value_at_the_end_of_n_and_n_minus_1_and_the_change(engine, tarn):
    rows = by_code(indicators_year_on_year(engine, tarn, YEAR, TODAY))
    hausse = rows["HAUSSE"]
    assert (hausse["previous_value"], hausse["previous_date"]) == (110.0, date(2024, 6, 30))
    assert (hausse["current_value"], hausse["current_date"]) == (121.0, date(2025, 12, 31))
    assert (hausse["change"], hausse["change_relative"], hausse["trend"]) == (
        11.0,
        pytest.approx(11 / 110),
        "amelioration",
    )
    assert (hausse["since_reference"], hausse["since_reference_relative"]) == (21.0, pytest.approx(21 / 100))
    baisse = rows["BAISSE"]
    assert (baisse["previous_value"], baisse["current_value"]) == (15.0, 18.0)
    assert (baisse["change"], baisse["change_relative"], baisse["trend"]) == (3.0, pytest.approx(3 / 15), "degradation")
    assert baisse["trend_label"] == "En dégradation"
    assert (baisse["since_reference"], baisse["since_reference_trend"]) == (-2.0, "amelioration")  # 20 → 18


def test_an_indicator_without_a_value_in_n_minus_1_has_no_comparison(engine, tarn):
    row = by_code(indicators_year_on_year(engine, tarn, YEAR, TODAY))["NOUVEAU"]
    assert (row["previous_value"], row["current_value"], row["change"]) == (None, 7.0, None)
    assert (row["trend"], row["trend_label"], row["renewed"]) == ("sans_comparaison", "Sans comparaison", True)


def test_a_value_carried_over_from_n_minus_1_says_there_is_no_new_value(engine, tarn):
    row = by_code(indicators_year_on_year(engine, tarn, YEAR, TODAY))["ANCIEN"]
    assert (row["previous_value"], row["current_value"], row["change"], row["trend"]) == (9.0, 9.0, 0.0, "stable")
    assert (row["renewed"], row["trend_label"]) == (False, "Aucune valeur nouvelle en 2025")


def test_a_step_indicator_is_compared_by_steps(engine, tarn):
    row = by_code(indicators_year_on_year(engine, tarn, YEAR, TODAY))["ETAPE"]
    assert row["steps"] == ("a", "b", "c", "d")
    assert (row["previous_value"], row["current_value"]) == (1.0, 3.0)  # b, d
    assert (row["change"], row["change_relative"], row["trend"]) == (2.0, None, "amelioration")
    assert (row["since_reference"], row["since_reference_relative"]) == (3.0, None)  # a → d


def test_the_year_not_over_yet_reads_up_to_today(engine, tarn):
    row = by_code(indicators_year_on_year(engine, tarn, 2026, TODAY))["HAUSSE"]
    assert (row["previous_value"], row["current_value"], row["change"]) == (121.0, 130.0, 9.0)


def test_funding_per_lever_in_n_and_n_minus_1_with_the_change(engine, tarn):
    rows = {row["lever"]: row for row in funding_year_on_year(engine, tarn, YEAR).to_dict("records")}
    # The referential's order; bonus_mixite_sociale has money in neither year.
    assert list(rows) == ["prestation_service", "subvention", "autre"]
    sub = rows["subvention"]
    assert (sub["planned_previous"], sub["planned_current"], sub["planned_change"]) == (D(1000), D(1500), D(500))
    assert sub["planned_change_relative"] == pytest.approx(0.5)
    assert (sub["notified_previous"], sub["notified_current"], sub["notified_change"]) == (D(800), D(1200), D(400))
    assert (sub["paid_previous"], sub["paid_current"], sub["paid_change"]) == (D(500), D(1200), D(700))
    assert sub["paid_change_relative"] == pytest.approx(1.4)
    prestation = rows["prestation_service"]
    assert (prestation["planned_previous"], prestation["planned_current"]) == (D(5000), None)
    assert (prestation["planned_change"], prestation["planned_change_relative"]) == (D(-5000), pytest.approx(-1.0))
    assert (prestation["notified_previous"], prestation["notified_current"], prestation["notified_change"]) == (
        None,
        None,
        None,
    )
    other = rows["autre"]
    assert (other["planned_previous"], other["planned_change"], other["planned_change_relative"]) == (
        None,
        D(250),
        None,
    )


def test_funding_of_one_domain_only(engine, tarn):
    frame = funding_year_on_year(engine, tarn, YEAR, domain_code="petite_enfance")
    assert list(frame["lever"]) == ["subvention"]
    sub = frame.to_dict("records")[0]
    assert (sub["planned_previous"], sub["planned_current"], sub["planned_change"]) == (D(1000), D(1000), D(0))
    assert (sub["notified_change"], sub["notified_change_relative"]) == (D(-100), pytest.approx(-100 / 800))
    assert (sub["paid_change"], sub["paid_change_relative"]) == (D(200), pytest.approx(200 / 500))


# ------------------------------------------------------------------ the pages, on the demo


def seed_rows(sheet: str) -> list[dict]:
    with open(SEED / f"{sheet}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def latest_by_hand(code: str, end: date) -> str | None:
    """The latest result of the whole convention dated by `end`, as written in the seed."""
    rows = [
        r
        for r in seed_rows("mesures")
        if r["indicateur"] == code
        and r["type"] == "resultat"
        and not r["code_insee"]
        and date.fromisoformat(r["date"]) <= end
    ]
    return max(rows, key=lambda r: r["date"])["valeur"] if rows else None


def french(value: str | None) -> str:
    """A seed number as the page writes it: comma decimals, narrow spaces between thousands."""
    if value is None:
        return "—"
    number = float(value)
    if number.is_integer():
        return f"{int(number):,}".replace(",", NNBSP)
    whole, decimals = f"{number:.2f}".rstrip("0").split(".")
    return f"{int(whole):,}".replace(",", NNBSP) + "," + decimals


def year_on_year_table(at: AppTest):
    return next(frame.value for frame in at.main.dataframe if "Évolution" in frame.value.columns)


def test_the_indicateurs_page_compares_the_last_whole_year_with_the_one_before(demo_engine):
    at = sign_in(AppTest.from_file(str(ROOT / "pages" / "indicateurs.py"), default_timeout=30))
    at.run()
    assert not at.exception, at.exception
    assert "D'une année à l'autre : 2025 par rapport à 2024" in [e.label for e in at.main.expander]
    table = year_on_year_table(at).set_index("Code")
    # TX-COUV-PE by hand: 60.9 at the end of 2024, 62 at the end of 2025 → +1.1, +1.1 / 60.9 = +1.8 %.
    assert latest_by_hand("TX-COUV-PE", date(2024, 12, 31)) == "60.9"
    assert latest_by_hand("TX-COUV-PE", date(2025, 12, 31)) == "62"
    row = table.loc["TX-COUV-PE"]
    assert (row["Fin 2024"], row["Fin 2025"]) == ("60,9", "62")
    assert row["Évolution"] == f"+1,1 (+{round(100 * 1.1 / 60.9, 1):.1f}".replace(".", ",") + f"{NNBSP}%)"
    assert row["Tendance"] == "En amélioration"
    steps = {r["code"] for r in seed_rows("indicateurs") if r["nature"] == "etape"}
    for code in {r["code"] for r in seed_rows("indicateurs")} - steps:
        shown = table.loc[code]
        assert shown["Fin 2024"] == french(latest_by_hand(code, date(2024, 12, 31))), code
        assert shown["Fin 2025"] == french(latest_by_hand(code, date(2025, 12, 31))), code


def test_a_year_chosen_in_the_filters_is_compared_with_the_one_before(demo_engine):
    at = sign_in(AppTest.from_file(str(ROOT / "pages" / "indicateurs.py"), default_timeout=30))
    at.query_params["annee"] = "2024"
    at.run()
    assert not at.exception, at.exception
    row = year_on_year_table(at).set_index("Code").loc["TX-COUV-PE"]
    assert (row["Fin 2023"], row["Fin 2024"]) == (french(latest_by_hand("TX-COUV-PE", date(2023, 12, 31))), "60,9")


def euros(amount: Decimal) -> str:
    return f"{amount:,.2f}".replace(",", NNBSP).replace(".", ",") + f"{NBSP}€"


def test_the_leviers_page_shows_all_levers_in_both_years_with_the_change(demo_engine):
    at = sign_in(AppTest.from_file(str(ROOT / "pages" / "leviers.py"), default_timeout=30))
    at.run()
    assert not at.exception, at.exception
    assert any("2025 par rapport à 2024" in h.value for h in at.main.subheader)
    table = year_on_year_table(at)
    columns = {"Prévu": "montant_prevu", "Notifié": "montant_notifie", "Versé": "montant_verse"}
    for stage, column in columns.items():
        by_hand = {2024: D(0), 2025: D(0)}
        for r in seed_rows("financements"):
            if int(r["annee"]) in by_hand and r[column]:
                by_hand[int(r["annee"])] += D(r[column])
        shown = table[(table["Levier"] == "Tous les leviers") & (table["Étape"] == stage)].iloc[0]
        assert (shown["2024"], shown["2025"]) == (euros(by_hand[2024]), euros(by_hand[2025])), stage
        change = by_hand[2025] - by_hand[2024]
        sign = "+" if change > 0 else MINUS if change < 0 else ""
        percent = f"{abs(change) / by_hand[2024] * 100:.1f}".replace(".", ",")
        assert shown["Évolution"] == f"{sign}{euros(abs(change))} ({sign}{percent}{NNBSP}%)", stage
