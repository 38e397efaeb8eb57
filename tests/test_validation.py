"""The one validation layer: parsers and rules in French, each naming what is wrong; shared by
forms, the grid and the import."""

from datetime import date
from decimal import Decimal

import pytest

from ctg_data import validation as v
from ctg_data.errors import ValidationError

CONVENTION = (date(2023, 6, 1), date(2027, 5, 31))
PERCENT = v.IndicatorLimits(1, "TX", "%", None, None, *CONVENTION)
PLACES = v.IndicatorLimits(2, "PL", "places", 0.0, 200.0, *CONVENTION)


def refused(call) -> dict[str, str]:
    with pytest.raises(ValidationError) as error:
        call()
    return error.value.errors


# --- parsers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12,5", 12.5), ("1 234,5", 1234.5), ("1\u202f234", 1234.0), ("7", 7.0), (3, 3.0), (2.25, 2.25)],
)
def test_numbers_are_read_in_french_or_plain_form(raw, expected):
    assert v.number(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "1.234,5", "nan", "inf", "12 %"])
def test_a_value_that_is_not_a_number_is_refused_in_french(raw):
    with pytest.raises(ValueError, match=r"nombre|ambigu"):
        v.number(raw)


def test_money_reuses_the_import_parser_two_decimals_at_most_never_negative():
    assert v.money("77 500") == Decimal("77500.00")
    assert v.money("54 250,5") == Decimal("54250.50")
    assert v.money(Decimal("10.10")) == Decimal("10.10")
    with pytest.raises(ValueError, match="deux décimales au plus"):
        v.money("10,123")
    with pytest.raises(ValueError, match="montant négatif"):
        v.money("-5")
    with pytest.raises(ValueError, match="trop grand"):
        v.money("1000000000000")


def test_decimals_are_given_back_as_the_column_stores_them():
    assert v.decimal("40 420") == Decimal("40420.00")
    with pytest.raises(ValueError, match="deux décimales au plus"):
        v.decimal("1,234")


def test_a_choice_accepts_the_code_or_its_french_label():
    labels = {"resultat": "Résultat", "estimation": "Estimation"}
    assert v.choice("estimation", labels) == "estimation"
    assert v.choice("Résultat", labels) == "resultat"
    with pytest.raises(ValueError, match="valeurs possibles : Résultat, Estimation"):
        v.choice("prévision", labels)


# --- rules ---------------------------------------------------------------------------------


def test_indicator_bounds_and_percentages():
    assert v.indicator_value(200, low=0, high=200) is None
    assert v.indicator_value(201, low=0, high=200) == "valeur 201 hors des bornes de l'indicateur (0 à 200)"
    assert v.indicator_value(-1, low=0, high=None) == "valeur -1 hors des bornes de l'indicateur (au moins 0)"
    assert v.indicator_value(11, low=None, high=10) == "valeur 11 hors des bornes de l'indicateur (au plus 10)"
    assert "pourcentage" in v.indicator_value(120, low=None, high=None, unit="%")
    assert v.indicator_value(120, low=None, high=None, unit="places") is None
    # The indicator's own bounds replace 0–100 (a change in points, a growth rate).
    assert v.indicator_value(150, low=-50, high=200, unit="%") is None


def test_a_date_outside_the_convention_needs_a_reason():
    message = v.date_in_convention(date(2022, 12, 31), *CONVENTION, None)
    assert message == (
        "le 31/12/2022 est hors de la convention (du 01/06/2023 au 31/05/2027) : indiquez un "
        "motif de dérogation pour l'enregistrer quand même"
    )
    assert v.date_in_convention(date(2022, 12, 31), *CONVENTION, "  ") == message
    assert v.date_in_convention(date(2022, 12, 31), *CONVENTION, "valeur de référence") is None
    assert v.date_in_convention(date(2023, 6, 1), *CONVENTION, None) is None
    assert v.date_in_convention(date(2027, 5, 31), *CONVENTION, None) is None


def test_ranges_order_and_signs():
    assert v.between(100, 0, 100) is None
    assert v.between(120, 0, 100) == "valeur 120 hors bornes : entre 0 et 100"
    assert v.between(4, 1, 3) == "valeur 4 hors bornes : entre 1 et 3"
    assert v.ordered(date(2024, 1, 2), date(2024, 1, 1)) == "la date de fin précède la date de début"
    assert v.ordered(date(2024, 1, 1), None) is None
    assert v.not_negative(Decimal("-0.01")) == "valeur positive ou nulle attendue"
    assert v.not_negative(0, strict=True) == "valeur strictement positive attendue"


# --- whole inputs --------------------------------------------------------------------------


def test_a_valid_measurement_comes_back_typed():
    data = v.measurement_input(
        PLACES, measured_on=date(2024, 12, 31), value="112,5", type="", source=" CAF ", comment=""
    )
    assert (data.indicator_id, data.measured_on, data.value, data.type, data.source, data.comment) == (
        2,
        date(2024, 12, 31),
        112.5,
        "resultat",
        "CAF",
        None,
    )


def test_every_bad_field_of_a_measurement_is_named_at_once():
    errors = refused(
        lambda: v.measurement_input(
            PLACES, measured_on=date(2020, 1, 1), value="250", type="prévision", source="x" * 301
        )
    )
    assert set(errors) == {"Date", "Valeur", "Type", "Source"}
    assert errors["Valeur"].startswith("valeur 250 hors des bornes")
    assert errors["Source"] == "300 caractères au plus (301 saisis)"


def test_required_measurement_fields():
    errors = refused(lambda: v.measurement_input(None, measured_on=None, value=" "))
    assert errors == {"Indicateur": "champ obligatoire", "Date": "champ obligatoire", "Valeur": "champ obligatoire"}


def test_follow_up_rules():
    assert v.followup_input(status="En cours", progress=40).status == "en_cours"
    assert refused(lambda: v.followup_input(status="fini", progress=None)).keys() == {"Statut"}
    assert refused(lambda: v.followup_input(status="en_cours", progress=120)) == {
        "Avancement": "valeur 120 hors bornes : entre 0 et 100"
    }
    assert "réalisée est à 100" in refused(lambda: v.followup_input(status="realisee", progress=40))["Avancement"]
    assert refused(lambda: v.followup_input(status="en_cours", progress=40, note="x")) == {
        "Date de la note": "la note doit être datée"
    }


def test_new_dates_need_a_reason_and_an_explicit_override_outside_the_convention():
    assert refused(
        lambda: v.dates_input(
            starts_on=None,
            ends_on=date(2025, 1, 1),
            reason="",
            convention_starts_on=CONVENTION[0],
            convention_ends_on=CONVENTION[1],
        )
    ) == {"Motif": "champ obligatoire"}
    errors = refused(
        lambda: v.dates_input(
            starts_on=date(2024, 1, 1),
            ends_on=date(2028, 1, 1),
            reason="retard",
            convention_starts_on=CONVENTION[0],
            convention_ends_on=CONVENTION[1],
        )
    )
    assert "hors de la convention" in errors["Date de fin"] and "cochez" in errors["Date de fin"]
    data = v.dates_input(
        starts_on=date(2024, 1, 1),
        ends_on=date(2028, 1, 1),
        reason="retard",
        convention_starts_on=CONVENTION[0],
        convention_ends_on=CONVENTION[1],
        outside_convention=True,
    )
    assert data.ends_on == date(2028, 1, 1)


def test_an_unchanged_date_outside_the_convention_is_not_held_against_the_new_one():
    data = v.dates_input(
        starts_on=date(2023, 1, 1),
        ends_on=date(2026, 1, 1),
        reason="report",
        convention_starts_on=CONVENTION[0],
        convention_ends_on=CONVENTION[1],
        unchanged=(date(2023, 1, 1),),
    )
    assert data.starts_on == date(2023, 1, 1)


def test_activity_and_funding_inputs():
    data = v.activity_input(
        year="2024",
        places="25",
        hours_delivered="40 420",
        hours_billed=None,
        fte="1,5",
        convention_starts_on=CONVENTION[0],
        convention_ends_on=CONVENTION[1],
    )
    assert (data.year, data.places, data.hours_delivered, data.fte) == (2024, 25, Decimal("40420.00"), Decimal("1.50"))
    assert refused(
        lambda: v.activity_input(
            year=2024,
            places="-1",
            hours_delivered=None,
            hours_billed=None,
            fte=None,
            convention_starts_on=CONVENTION[0],
            convention_ends_on=CONVENTION[1],
        )
    ) == {"Places": "valeur positive ou nulle attendue"}
    assert "Année" in refused(
        lambda: v.activity_input(
            year=2030,
            places=1,
            hours_delivered=None,
            hours_billed=None,
            fte=None,
            convention_starts_on=CONVENTION[0],
            convention_ends_on=CONVENTION[1],
        )
    )
    funding = v.funding_input(planned="30 000", notified=None, paid="15000,5")
    assert (funding.planned, funding.notified, funding.paid) == (Decimal("30000.00"), None, Decimal("15000.50"))


def test_the_import_row_rules_are_the_validation_rules():
    from ctg_data.interchange.typing import ROW_RULES

    messages = [rule({"avancement": 120, "priorite": 4}) for rule in ROW_RULES["actions"]]
    assert ("avancement", v.between(120, 0, 100)) in messages
    assert ("priorite", v.between(4, 1, 3)) in messages
    done = [rule({"statut": "realisee", "avancement": 80}) for rule in ROW_RULES["actions"]]
    assert ("avancement", v.done_means_complete("realisee", 80)) in done


# --- bounds no column can exceed -------------------------------------------------------------


@pytest.mark.parametrize("raw", ["9" * 400, "1" + "0" * 39, "1" * 25 + ",5", 1e300, Decimal("1E+30")])
def test_numbers_of_twenty_digits_or_more_are_too_large_and_quoted_short(raw):
    for parse in (v.number, v.integer, v.decimal, v.money):
        with pytest.raises(ValueError, match="trop grand") as refused:
            parse(raw)
        assert len(str(refused.value)) < 60


@pytest.mark.parametrize("raw", [float("nan"), float("inf"), Decimal("NaN"), Decimal("-Infinity")])
def test_values_that_are_not_finite_numbers_are_refused(raw):
    for parse in (v.number, v.integer, v.decimal, v.money):
        with pytest.raises(ValueError, match="nombre attendu"):
            parse(raw)


def test_integers_stop_at_what_an_integer_column_holds():
    assert v.integer(str(v.INT_LIMIT)) == v.INT_LIMIT
    with pytest.raises(ValueError, match="trop grand"):
        v.integer(str(v.INT_LIMIT + 1))


def test_free_text_is_bounded_in_every_form():
    long = "x" * (v.LONG_TEXT_LIMIT + 1)
    expected = f"{v.LONG_TEXT_LIMIT} caractères au plus ({v.LONG_TEXT_LIMIT + 1} saisis)"
    assert refused(lambda: v.measurement_input(PLACES, measured_on="2024-01-01", value=1, comment=long)) == {
        "Commentaire": expected
    }
    assert refused(lambda: v.funding_input(planned=1, notified=None, paid=None, comment=long)) == {
        "Commentaire": expected
    }
    assert (
        refused(lambda: v.followup_input(status="en_cours", progress=10, note=long, noted_on="2024-01-01"))["Note"]
        == expected
    )


def test_a_value_fits_its_database_column_or_says_why():
    from sqlalchemy import Float, Integer, Numeric, String

    assert v.fits(String(200), "x" * 200) is None
    assert v.fits(String(200), "x" * 201) == "200 caractères au plus (201 saisis)"
    assert v.fits(String(), "x" * (v.LONG_TEXT_LIMIT + 1)).startswith(f"{v.LONG_TEXT_LIMIT} caractères au plus")
    assert v.fits(Integer(), v.INT_LIMIT + 1) == f"nombre « {v.INT_LIMIT + 1} » trop grand"
    assert v.fits(Numeric(6, 2), Decimal("9999.99")) is None
    assert v.fits(Numeric(6, 2), Decimal("10000")) == "nombre « 10000 » trop grand"
    assert v.fits(Numeric(8, 2), Decimal("1.234")) == "« 1.234 » : deux décimales au plus"
    assert v.fits(Float(), 1e19) is None and v.fits(Integer(), True) is None
