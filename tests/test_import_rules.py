"""An import obeys the forms' rules (one validation path) and answers every bad cell in French,
naming the sheet, line and column, without writing anything and without a raw exception."""

import csv
import io
from datetime import date

import pytest
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.actors import Actor, Role
from ctg_data.errors import ValidationError
from ctg_data.interchange import load_folder
from ctg_data.interchange.importer import import_upload
from ctg_data.reports.integrity import table_counts
from ctg_data.services import referentials
from ctg_data.services.actions import update_followup
from ctg_data.services.activity import upsert_activity
from ctg_data.services.measurements import record_measurement
from ctg_data.store import opened_snapshot
from tests.csv_folder import minimal_convention, write_folder

ADMIN = Actor(email="admin@test", role=Role.ADMIN)
ADVISOR = Actor(email="conseiller@test", role=Role.CONSEILLER)
NINES = "9" * 400


@pytest.fixture
def loaded(engine, tmp_path):
    """The minimal convention (1 June 2023 – 31 May 2027), loaded as a seed, plus an indicator
    without bounds (NB), where only the validation layer's own limits hold."""
    sheets = minimal_convention()
    sheets["indicateurs"].append(sheets["indicateurs"][0] | {"code": "NB", "unite": "familles", "min": "", "max": ""})
    assert load_folder(write_folder(tmp_path / "seed", sheets), actor="seed", engine=engine).ok
    return engine


def as_csv(rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def counts(engine) -> dict[str, int]:
    with Session(engine) as session:
        return table_counts(session)


def refused(engine, actor, sheet: str, rows: list[dict]) -> list[tuple]:
    """Import `rows` as `<sheet>.csv`; it must be refused with nothing written.
    Returns (line, column, message) of each error."""
    before = counts(engine)
    report = import_upload(engine, actor, f"{sheet}.csv", as_csv(rows), dry_run=False)
    assert not report.ok
    assert counts(engine) == before
    assert all(error.where == f"fichier {sheet}.csv" for error in report.errors), report.errors
    return [(error.line, error.column, error.message) for error in report.errors]


def measure(**changes) -> dict:
    return {
        "convention": "ctg-t",
        "indicateur": "TX",
        "date": "2025-12-31",
        "valeur": "55",
        "type": "resultat",
        "source": "CAF",
        "commentaire": "",
    } | changes


def activity(**changes) -> dict:
    return {
        "convention": "ctg-t",
        "equipement": "EAJE1",
        "annee": "2025",
        "places": "25",
        "heures_realisees": "12000",
        "heures_facturees": "",
        "etp": "",
    } | changes


def action_row(**changes) -> dict:
    return minimal_convention()["actions"][0] | changes


# ------------------------------------------------------------------ finding 4: the forms' rules


def test_a_value_of_four_hundred_nines_is_refused_not_stored_as_infinity(loaded):
    ((line, column, message),) = refused(loaded, ADVISOR, "mesures", [measure(indicateur="NB", valeur=NINES)])
    assert (line, column) == (2, "valeur")
    assert "trop grand" in message and len(message) < 200  # the 400 digits are not echoed back


def test_a_forty_digit_number_of_hours_is_refused(loaded):
    ((line, column, message),) = refused(loaded, ADVISOR, "activite", [activity(heures_realisees="1" + "0" * 39)])
    assert (line, column) == (2, "heures_realisees") and "trop grand" in message


def test_a_measurement_dated_1901_needs_an_exemption_reason_as_in_the_form(loaded):
    ((line, column, message),) = refused(loaded, ADVISOR, "mesures", [measure(date="1901-01-01")])
    assert (line, column) == (2, "date")
    assert message.startswith("le 01/01/1901 est hors de la convention (du 01/06/2023 au 31/05/2027)")
    with_reason = as_csv([measure(date="1901-01-01", motif_derogation="Reprise d'un historique")])
    report = import_upload(loaded, ADVISOR, "mesures.csv", with_reason, dry_run=False)
    assert report.ok, report.errors
    with Session(loaded) as session:
        event = session.exec(
            select(m.AuditEvent)
            .where(m.AuditEvent.operation == "import:création", m.AuditEvent.table_name == "measurements")
            .order_by(m.AuditEvent.id.desc())
        ).first()
    assert event.reason == "Reprise d'un historique" and '"measured_on": "1901-01-01"' in event.after


def test_an_activity_row_with_no_values_is_refused(loaded):
    row = activity(places="", heures_realisees="", heures_facturees="", etp="")
    ((line, column, message),) = refused(loaded, ADVISOR, "activite", [row])
    assert (line, column, message) == (2, "places", "indiquez au moins une valeur (places, heures ou ETP)")


def test_an_activity_year_outside_the_convention_needs_a_reason(loaded):
    ((line, column, message),) = refused(loaded, ADVISOR, "activite", [activity(annee="2031")])
    assert (line, column) == (2, "annee") and message.startswith("l'année 2031 est hors de la convention")


def test_a_hundred_thousand_character_organisation_name_is_refused(loaded):
    row = {"code": "longue", "nom": "x" * 100_000, "type": "association"}
    ((line, column, message),) = refused(loaded, ADMIN, "organisations", [row])
    assert (line, column, message) == (2, "nom", "200 caractères au plus (100000 saisis)")


def test_an_endless_comment_is_refused_by_the_form_and_by_the_import(loaded):
    with Session(loaded) as session:
        indicator = session.exec(select(m.Indicator).where(m.Indicator.code == "TX")).one()
    with pytest.raises(ValidationError) as form:
        record_measurement(
            loaded, ADVISOR, indicator_id=indicator.id, measured_on=date(2025, 12, 31), value=55, comment="x" * 100_000
        )
    ((_, column, message),) = refused(loaded, ADVISOR, "mesures", [measure(commentaire="x" * 100_000)])
    assert column == "commentaire" and message == form.value.errors["Commentaire"]


def test_an_action_imported_as_realisee_must_be_at_100_percent(loaded):
    ((line, column, message),) = refused(loaded, ADMIN, "actions", [action_row(statut="realisee", avancement="80")])
    assert (line, column) == (2, "avancement")
    assert message == "une action réalisée est à 100 % : indiquez 100 ou laissez vide"
    report = import_upload(
        loaded, ADMIN, "actions.csv", as_csv([action_row(statut="realisee", avancement="100")]), dry_run=False
    )
    assert report.ok, report.errors


def _form_measurement(engine):
    with Session(engine) as session:
        indicator = session.exec(select(m.Indicator).where(m.Indicator.code == "TX")).one()
    record_measurement(engine, ADVISOR, indicator_id=indicator.id, measured_on=date(1901, 1, 1), value=55)


def _form_activity(engine):
    with Session(engine) as session:
        facility = session.exec(select(m.Facility)).one()
    upsert_activity(engine, ADVISOR, facility_id=facility.id, year=2025)


def _form_followup(engine):
    with Session(engine) as session:
        action = session.exec(select(m.Action)).one()
        opened = opened_snapshot(action)
    update_followup(
        engine,
        ADVISOR,
        action_id=action.id,
        expected_version=opened["version"],
        opened=opened,
        status="realisee",
        progress=80,
    )


def _referential_editor(engine):
    with Session(engine) as session:
        action = session.exec(select(m.Action)).one()
    referentials.update(
        engine,
        ADMIN,
        "actions",
        action.id,
        expected_version=action.version,
        values={"statut": "realisee", "avancement": 80},
    )


SAME_ROW = [  # (the form's call, its field label, the sheet, the same row, its column)
    (_form_measurement, "Date", "mesures", measure(date="1901-01-01"), "date"),
    (_form_activity, "Places", "activite", activity(places="", heures_realisees=""), "places"),
    (_form_followup, "Avancement", "actions", action_row(statut="realisee", avancement="80"), "avancement"),
    (_referential_editor, "Avancement", "actions", action_row(statut="realisee", avancement="80"), "avancement"),
]


@pytest.mark.parametrize(
    ("form", "field", "sheet", "row", "column"),
    SAME_ROW,
    ids=["mesure-1901", "activite-vide", "realisee-80", "referentiel-realisee-80"],
)
def test_the_same_bad_row_gets_the_same_refusal_from_the_form_and_from_the_import(
    loaded, form, field, sheet, row, column
):
    with pytest.raises(ValidationError) as by_form:
        form(loaded)
    actor = ADMIN if sheet == "actions" else ADVISOR
    ((_, by_import_column, by_import),) = refused(loaded, actor, sheet, [row])
    assert (by_import_column, by_import) == (column, by_form.value.errors[field])


# ------------------------------------------------------------------ finding 5: no raw exception


def test_places_of_ten_to_the_thirtieth_are_refused_in_french(loaded):
    facility = minimal_convention()["equipements"][0] | {"places": "1" + "0" * 30}
    ((line, column, message),) = refused(loaded, ADMIN, "equipements", [facility])
    assert (line, column) == (2, "places") and "trop grand" in message
    ((line, column, message),) = refused(loaded, ADVISOR, "activite", [activity(places="1" + "0" * 30)])
    assert (line, column) == (2, "places") and "trop grand" in message


@pytest.mark.parametrize("column", ["montant_prevu", "montant_notifie", "montant_verse"])
def test_a_thirty_digit_amount_is_refused_in_french(loaded, column):
    line = minimal_convention()["financements"][0] | {column: "1" * 30}
    ((where_line, where_column, message),) = refused(loaded, ADVISOR, "financements", [line])
    assert (where_line, where_column) == (2, column) and "trop grand" in message


@pytest.mark.parametrize("raw", ["1e400", "nan", "inf", "-inf", "1" * 25 + ",5"])
def test_numbers_no_column_can_hold_are_refused_in_french(loaded, raw):
    ((_, column, message),) = refused(loaded, ADVISOR, "mesures", [measure(indicateur="NB", valeur=raw)])
    assert column == "valeur" and ("nombre attendu" in message or "trop grand" in message)


def test_a_funding_file_without_its_optional_key_columns_is_read_as_blank_keys(loaded):
    line = minimal_convention()["financements"][0]
    trimmed = {k: v for k, v in line.items() if k not in ("equipement", "action", "poste", "domaine")}
    trimmed["annee"] = "2025"
    report = import_upload(loaded, ADVISOR, "financements.csv", as_csv([trimmed]), dry_run=False)
    assert report.ok, report.errors
    assert dict(report.counts["financements"]) == {"created": 1}
    again = import_upload(loaded, ADVISOR, "financements.csv", as_csv([trimmed]), dry_run=False)
    assert dict(again.counts["financements"]) == {"unchanged": 1}
    with Session(loaded) as session:
        created = session.exec(select(m.FundingLine).where(m.FundingLine.year == 2025)).one()
    assert (created.facility_id, created.action_id, created.post_id) == (None, None, None)


def test_a_rate_file_without_its_optional_key_columns_is_read_as_blank_keys(loaded):
    row = {"annee": "2025", "levier": "bonus_territoire", "base": "forfait", "montant": "1000"}
    report = import_upload(loaded, ADVISOR, "bareme.csv", as_csv([row]), dry_run=False)
    assert report.ok, report.errors
    again = import_upload(loaded, ADVISOR, "bareme.csv", as_csv([row]), dry_run=False)
    assert dict(again.counts["bareme"]) == {"unchanged": 1}
    with Session(loaded) as session:
        created = session.exec(select(m.RateRow).where(m.RateRow.year == 2025)).one()
    assert (created.facility_type, created.territory_class) == ("", "")
