"""Step indicators (format v2, `nature = etape`): a milestone such as "outil de suivi en place",
recorded through the import and the form as step codes, stored as step positions, exported back
as codes, with the status of docs/rules.md computed by hand at several dates. SQLite and
PostgreSQL."""

from datetime import date

import pytest
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.errors import ValidationError
from ctg_data.interchange.export import export_rows
from ctg_data.interchange.sheets import SHEETS_BY_NAME
from ctg_data.queries.filters import Filters
from ctg_data.queries.indicators import indicators_frame
from ctg_data.rules.indicators import IndicatorFacts, IndicatorStatus, assess
from ctg_data.services import measurements as svc
from ctg_data.services import referentials as ref
from tests.indicator_data import CONVENTION, errors, ids, indicator, load, tarn_convention
from tests.saisie_data import ADMIN

# "Outil de suivi en place": default steps non_demarre (0), en_cours (1), realise (2); target
# realise by 30 June 2025; measured every six months (stale after 1.5 × 6 = 9 months).
OUTIL = indicator(
    "OUTIL",
    nom="Outil de suivi en place",
    unite="étape",
    nature="etape",
    valeur_reference="non_demarre",
    date_reference="2024-01-01",
    valeur_cible="realise",
    date_cible="2025-06-30",
    frequence="semestrielle",
)
MEASURES = [
    {"convention": CONVENTION, "indicateur": "OUTIL", "date": "2024-06-30", "valeur": "non_demarre"},
    {"convention": CONVENTION, "indicateur": "OUTIL", "date": "2024-12-31", "valeur": "en_cours"},
]


def status_at(engine, today: date) -> dict:
    convention_id, _ = ids(engine)
    frame = indicators_frame(engine, Filters(convention_id=convention_id), today)
    return frame.set_index("code").loc["OUTIL"].to_dict()


def test_step_values_are_imported_as_positions_and_exported_as_codes(engine, tmp_path):
    report = load(engine, tmp_path / "a", tarn_convention([OUTIL], mesures=MEASURES))
    assert report.ok, errors(report)
    with Session(engine) as session:
        stored = session.exec(select(m.Indicator).where(m.Indicator.code == "OUTIL")).one()
        assert (stored.nature, stored.steps, stored.baseline_value, stored.target_value) == ("etape", None, 0.0, 2.0)
        values = session.exec(
            select(m.Measurement.measured_on, m.Measurement.value).order_by(m.Measurement.measured_on)
        )
        assert values.all() == [(date(2024, 6, 30), 0.0), (date(2024, 12, 31), 1.0)]
        rows = export_rows(session, convention_code=CONVENTION)
    columns = SHEETS_BY_NAME["indicateurs"].column_names
    exported = dict(zip(columns, rows["indicateurs"][0], strict=True))
    assert (exported["nature"], exported["valeur_reference"], exported["valeur_cible"]) == (
        "etape",
        "non_demarre",
        "realise",
    )
    measure_columns = SHEETS_BY_NAME["mesures"].column_names
    assert [dict(zip(measure_columns, row, strict=True))["valeur"] for row in rows["mesures"]] == [
        "non_demarre",
        "en_cours",
    ]
    # The same file again changes nothing.
    again = load(engine, tmp_path / "b", tarn_convention([OUTIL], mesures=MEASURES))
    assert again.ok and not again.changed, errors(again)


def test_status_of_a_step_indicator_by_hand(engine, tmp_path):
    assert load(engine, tmp_path / "a", tarn_convention([OUTIL], mesures=MEASURES)).ok
    # 15 Jan 2025: en_cours (1) < realise (2), measured half a month ago, before date_cible.
    row = status_at(engine, date(2025, 1, 15))
    assert (row["status"], row["current_value"]) == (IndicatorStatus.EN_BONNE_VOIE, 1.0)
    assert row["steps"] == ("non_demarre", "en_cours", "realise")
    # 15 Jul 2025: date_cible passed; the value is 12 − 5 − 16/31 ≈ 6.5 months old (≤ 9: not stale).
    assert status_at(engine, date(2025, 7, 15))["status"] == IndicatorStatus.DECROCHE
    # 15 Oct 2025: 12 − 2 − 16/31 ≈ 9.5 months old > 9: to be filled in.
    assert status_at(engine, date(2025, 10, 15))["status"] == IndicatorStatus.A_RENSEIGNER

    # The form records the target step: reached, whatever the date and the value's age.
    _, indicators = ids(engine)
    result = svc.record_measurement(
        engine, ADMIN, indicator_id=indicators["OUTIL"], measured_on=date(2025, 5, 31), value="realise"
    )
    assert result.value == 2.0
    assert "Réalisé" in result.message
    for today in (date(2025, 6, 1), date(2027, 12, 1)):
        assert status_at(engine, today)["status"] == IndicatorStatus.ATTEINT


def test_the_status_rule_of_steps_alone():
    def facts(current, on):
        return IndicatorFacts(
            direction="hausse",
            baseline_value=0.0,
            baseline_date=date(2024, 1, 1),
            target_value=2.0,
            target_date=date(2025, 6, 30),
            frequency="annuelle",
            current_value=current,
            current_date=on,
            nature="etape",
        )

    assert assess(facts(None, None), date(2024, 2, 1)).status == IndicatorStatus.A_RENSEIGNER
    assert assess(facts(1.0, date(2025, 6, 1)), date(2025, 6, 30)).status == IndicatorStatus.EN_BONNE_VOIE
    assert assess(facts(1.0, date(2025, 6, 1)), date(2025, 7, 1)).status == IndicatorStatus.DECROCHE
    assert assess(facts(2.0, date(2024, 2, 1)), date(2027, 1, 1)).status == IndicatorStatus.ATTEINT


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2", "étape attendue, pas un nombre (« 2 ») ; étapes possibles : non_demarre, en_cours, realise"),
        ("publie", "étape « publie » inconnue ; étapes possibles : non_demarre, en_cours, realise"),
    ],
)
def test_a_measurement_of_a_step_indicator_must_be_one_of_its_steps(engine, tmp_path, value, message):
    assert load(engine, tmp_path / "a", tarn_convention([OUTIL])).ok
    bad = [{"convention": CONVENTION, "indicateur": "OUTIL", "date": "2024-09-30", "valeur": value}]
    report = load(engine, tmp_path / "b", tarn_convention([OUTIL], mesures=bad))
    assert errors(report) == [("fichier mesures.csv", 2, "valeur", message)]
    # The form refuses it with the same words.
    _, indicators = ids(engine)
    with pytest.raises(ValidationError) as refused:
        svc.record_measurement(engine, ADMIN, indicator_id=indicators["OUTIL"], measured_on="2024-09-30", value=value)
    assert refused.value.errors == {"Valeur": message}


def test_a_step_indicator_and_its_measurements_in_one_file_with_its_own_steps(engine, tmp_path):
    guide = indicator(
        "GUIDE",
        nature="etape",
        etapes="redaction;validation;publie",
        valeur_reference="redaction",
        valeur_cible="publie",
        date_cible="2026-12-31",
    )
    measures = [{"convention": CONVENTION, "indicateur": "GUIDE", "date": "2025-01-31", "valeur": "validation"}]
    report = load(engine, tmp_path / "a", tarn_convention([guide], mesures=measures))
    assert report.ok, errors(report)
    row = status_at_code(engine, "GUIDE", date(2025, 2, 1))
    assert (row["current_value"], row["steps"], row["status"]) == (
        1.0,
        ("redaction", "validation", "publie"),
        IndicatorStatus.EN_BONNE_VOIE,
    )


def status_at_code(engine, code, today):
    convention_id, _ = ids(engine)
    return indicators_frame(engine, Filters(convention_id=convention_id), today).set_index("code").loc[code].to_dict()


@pytest.mark.parametrize(
    ("columns", "column", "message"),
    [
        ({"etapes": "a"}, "etapes", "au moins 2 étapes attendues"),
        ({"etapes": "a;b;a"}, "etapes", "étape « a » citée deux fois"),
        ({"etapes": "a;é"}, "etapes", "code « é » invalide"),
        ({"valeur_cible": "3"}, "valeur_cible", "étape attendue, pas un nombre"),
        ({"max": "2"}, "max", "sans objet pour un indicateur à étapes"),
        ({"sens": "baisse"}, "sens", "sens « hausse »"),
        ({"nature": "nombre", "etapes": "a;b"}, "etapes", "nature « etape »"),
        ({"nature": "nombre", "valeur_reference": "", "valeur_cible": "realise"}, "valeur_cible", "nombre attendu"),
    ],
)
def test_step_indicator_rows_are_checked(engine, tmp_path, columns, column, message):
    report = load(engine, tmp_path / "a", tarn_convention([OUTIL | columns]))
    assert [(e.column, message in e.message) for e in report.errors] == [(column, True)], errors(report)


def test_the_indicator_form_takes_nature_steps_and_step_codes(engine, tmp_path):
    assert load(engine, tmp_path / "a", tarn_convention([])).ok
    convention_id, _ = ids(engine)
    values = {
        "code": "OUTIL",
        "nom": "Outil de suivi en place",
        "domaine": "acces_aux_droits",
        "unite": "étape",
        "sens": "hausse",
        "nature": "etape",
        "etapes": "",
        "valeur_reference": "non_demarre",
        "valeur_cible": "realise",
        "date_reference": date(2024, 1, 1),
        "date_cible": date(2025, 6, 30),
    }
    new_id = ref.create(engine, ADMIN, "indicateurs", convention_id=convention_id, values=values)
    with Session(engine) as session:
        stored = session.get_one(m.Indicator, new_id)
        assert (stored.nature, stored.baseline_value, stored.target_value) == ("etape", 0.0, 2.0)
    opened = ref.open_record(engine, "indicateurs", new_id)
    assert opened is not None
    assert (opened.values["valeur_reference"], opened.values["valeur_cible"]) == ("non_demarre", "realise")
    # Sending the form back unchanged changes nothing; a new target step is saved as its position.
    assert ref.update(engine, ADMIN, "indicateurs", new_id, expected_version=opened.version, values={}) == []
    changed = ref.update(
        engine, ADMIN, "indicateurs", new_id, expected_version=opened.version, values={"valeur_cible": "en_cours"}
    )
    assert changed == ["Valeur cible"]
    with Session(engine) as session:
        assert session.get_one(m.Indicator, new_id).target_value == 1.0
    with pytest.raises(ValidationError) as refused:
        ref.update(
            engine, ADMIN, "indicateurs", new_id, expected_version=opened.version + 1, values={"valeur_cible": "fini"}
        )
    assert "étape « fini » inconnue" in refused.value.errors["Valeur cible"]


def test_the_steps_of_an_indicator_with_values_only_grow_at_the_end(engine, tmp_path):
    assert load(engine, tmp_path / "a", tarn_convention([OUTIL], mesures=MEASURES)).ok
    # Reordering would change what every stored position means: refused, by the import and the form.
    reordered = OUTIL | {"etapes": "en_cours;non_demarre;realise"}
    report = load(engine, tmp_path / "b", tarn_convention([reordered]))
    assert [(e.column, "ne changent plus" in e.message) for e in report.errors] == [("etapes", True)]
    _, indicators = ids(engine)
    opened = ref.open_record(engine, "indicateurs", indicators["OUTIL"])
    assert opened is not None
    with pytest.raises(ValidationError) as refused:
        ref.update(
            engine,
            ADMIN,
            "indicateurs",
            indicators["OUTIL"],
            expected_version=opened.version,
            values={"nature": "nombre", "valeur_reference": "0", "valeur_cible": "2"},
        )
    assert "ne changent plus" in next(iter(refused.value.errors.values()))
    # A step added at the end keeps every stored position: accepted.
    longer = OUTIL | {"etapes": "non_demarre;en_cours;realise;evalue"}
    report = load(engine, tmp_path / "c", tarn_convention([longer]))
    assert report.ok, errors(report)
    assert status_at(engine, date(2025, 1, 15))["steps"] == ("non_demarre", "en_cours", "realise", "evalue")


def test_the_history_and_the_latest_changes_read_step_values_as_steps(engine, tmp_path):
    from ctg_data.queries.history import history_frame
    from ctg_data.queries.overview import recent_changes

    assert load(engine, tmp_path / "a", tarn_convention([OUTIL], mesures=MEASURES)).ok
    convention_id, indicator_ids = ids(engine)
    history = " ".join(history_frame(engine, "indicateur", indicator_ids["OUTIL"])["Modifications"])
    # Positions 0 and 1 of the default steps, as a reader knows them (never "0" or "1").
    assert "Valeur : — → Non démarré" in history and "Valeur : — → En cours" in history
    assert "Valeur cible : — → Réalisé" in history
    latest = list(recent_changes(engine, convention_id)["what"])
    assert "Outil de suivi en place : En cours" in latest


def test_a_step_code_for_a_stored_number_indicator_is_refused_beside_the_files_other_mistakes(engine, tmp_path):
    """The cell alone could be a step: it is refused once its (stored) indicator says it is a
    number, even when another mistake stops the file before the loader runs."""
    assert load(engine, tmp_path / "a", tarn_convention([indicator("NB")])).ok
    rows = [
        {"convention": CONVENTION, "indicateur": "NB", "date": "2024-06-30", "valeur": "beaucoup"},
        {"convention": CONVENTION, "indicateur": "NB", "date": "31/02/2024", "valeur": "3"},
    ]
    report = load(engine, tmp_path / "b", {"mesures": rows})
    assert [(line, column) for _, line, column, _ in errors(report)] == [(3, "date"), (2, "valeur")]
    assert errors(report)[1][3] == "nombre attendu, « beaucoup » reçu"
