"""Implausible values (issue 13) get the same French refusal from the form's service and from the
import, on both databases: one validation layer (ctg_data.validation, rules.plausibility). The
expected messages are written out here by hand, as a person reads them."""

import csv
import io
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import Engine
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
from ctg_data.services.funding import funding_for_edit, update_funding
from ctg_data.services.measurements import GridRow, record_measurement, validate_grid
from ctg_data.store import opened_snapshot
from tests.csv_folder import minimal_convention, write_folder

ADVISOR = Actor(email="conseiller@test", role=Role.CONSEILLER)
TODAY = "2025-06-30"  # the convention runs from 01/06/2023 to 31/05/2027
NNBSP = "\u202f"  # the French thousands separator
NBSP = "\xa0"  # before the euro sign


@pytest.fixture
def loaded(engine, tmp_path, monkeypatch):
    """The minimal convention, today pinned to 30/06/2025, plus a percentage indicator without
    bounds (PC), where only the 0–100 of a percentage holds, and one whose bounds say otherwise
    (EVOL, a change in points from -50 to 200)."""
    monkeypatch.setenv("CTG_TODAY", TODAY)
    sheets = minimal_convention()
    tx = sheets["indicateurs"][0]
    sheets["indicateurs"] += [
        tx | {"code": "PC", "unite": "%", "min": "", "max": ""},
        tx | {"code": "EVOL", "unite": "%", "min": "-50", "max": "200"},
    ]
    assert load_folder(write_folder(tmp_path / "seed", sheets), actor="seed", engine=engine).ok
    return engine


def as_csv(rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return table_counts(session)


def imported(engine: Engine, sheet: str, row: dict) -> list[tuple[str | None, str]]:
    """Import one row as `<sheet>.csv`: its errors as (column, message), nothing written on error;
    the dry run (the import page's "Vérifier") answers the same."""
    before = counts(engine)
    dry = import_upload(engine, ADVISOR, f"{sheet}.csv", as_csv([row]), dry_run=True)
    assert counts(engine) == before
    report = import_upload(engine, ADVISOR, f"{sheet}.csv", as_csv([row]), dry_run=False)
    if not report.ok:
        assert counts(engine) == before
    assert dry.errors == report.errors
    return [(error.column, error.message) for error in report.errors]


def _one(engine: Engine, model: type, **where: object) -> int:
    with Session(engine) as session:
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return session.exec(query).one().id


# ------------------------------------------------------------------ the form's side of each case


def measurement(indicator: str, **fields: object) -> Callable[[Engine], object]:
    def write(engine: Engine) -> object:
        return record_measurement(engine, ADVISOR, indicator_id=_one(engine, m.Indicator, code=indicator), **fields)

    return write


def activity(**fields: object) -> Callable[[Engine], object]:
    def write(engine: Engine) -> object:
        return upsert_activity(engine, ADVISOR, facility_id=_one(engine, m.Facility, code="EAJE1"), year=2025, **fields)

    return write


def funding(**fields: object) -> Callable[[Engine], object]:
    def write(engine: Engine) -> object:
        line_id = _one(engine, m.FundingLine, year=2024)
        opened = funding_for_edit(engine, line_id)
        assert opened is not None
        amounts: dict[str, object] = {"planned": "30000", "notified": "30000", "paid": "15000"} | fields
        return update_funding(
            engine, ADVISOR, funding_line_id=line_id, expected_version=opened["version"], opened=opened, **amounts
        )

    return write


# ------------------------------------------------------------------ the import's side


def measure_row(indicator: str = "TX", **changes: str) -> dict:
    row = {"convention": "ctg-t", "indicateur": indicator, "date": "2025-03-31", "valeur": "55", "type": "resultat"}
    return row | {"source": "CAF", "commentaire": "", "motif_derogation": ""} | changes


def activity_row(**changes: str) -> dict:
    row = {"convention": "ctg-t", "equipement": "EAJE1", "annee": "2025", "places": "25"}
    return row | {"heures_realisees": "", "heures_facturees": "", "etp": "", "motif_derogation": ""} | changes


def funding_row(**changes: str) -> dict:
    return minimal_convention()["financements"][0] | {"motif_derogation": ""} | changes


OUTSIDE = "indiquez un motif de dérogation pour l'enregistrer quand même"
CASES = [  # (id, the form's call, its field, the sheet, the same values as a row, its column, the message)
    (
        "places-cent-milliards",
        activity(places="1" + "0" * 11),
        "Places",
        "activite",
        activity_row(places="1" + "0" * 11),
        "places",
        f"100000000000 places : trop grand, au plus 1{NNBSP}000 places par équipement",
    ),
    (
        "places-1500",
        activity(places="1500"),
        "Places",
        "activite",
        activity_row(places="1500"),
        "places",
        f"1500 places : trop grand, au plus 1{NNBSP}000 places par équipement",
    ),
    (
        "etp-500",
        activity(fte="500"),
        "ETP",
        "activite",
        activity_row(etp="500"),
        "etp",
        "500 ETP : trop grand, au plus 100 ETP par équipement",
    ),
    (
        "heures-1000-fois",
        activity(hours_delivered="100", hours_billed="100000"),
        "Heures facturées",
        "activite",
        activity_row(heures_realisees="100", heures_facturees="100000"),
        "heures_facturees",
        f"100{NNBSP}000 heures facturées pour 100 heures réalisées : au plus 1,5 fois les heures réalisées",
    ),
    (
        "heures-dix-millions",
        activity(hours_delivered="10000000"),
        "Heures réalisées",
        "activite",
        activity_row(heures_realisees="10000000"),
        "heures_realisees",
        f"10000000 heures : trop grand, au plus 5{NNBSP}000{NNBSP}000 heures par équipement et par an",
    ),
    (
        "resultat-futur",
        measurement("TX", measured_on="2025-11-30", value="55"),
        "Date",
        "mesures",
        measure_row(date="2025-11-30"),
        "date",
        "le 30/11/2025 est après aujourd'hui (30/06/2025) : un résultat ne se date pas dans le futur "
        "(une estimation, si)",
    ),
    (
        "resultat-futur-avec-motif",
        measurement("TX", measured_on="2025-11-30", value="55", override_reason="Chiffre anticipé"),
        "Date",
        "mesures",
        measure_row(date="2025-11-30", motif_derogation="Chiffre anticipé"),
        "date",
        "le 30/11/2025 est après aujourd'hui (30/06/2025) : un résultat ne se date pas dans le futur "
        "(une estimation, si)",
    ),
    (
        "estimation-2030",
        measurement("TX", measured_on="2030-06-30", value="55", type="estimation"),
        "Date",
        "mesures",
        measure_row(date="2030-06-30", type="estimation"),
        "date",
        f"le 30/06/2030 est hors de la convention (du 01/06/2023 au 31/05/2027) : {OUTSIDE}",
    ),
    (
        "pourcentage-150",
        measurement("PC", measured_on="2025-03-31", value="150"),
        "Valeur",
        "mesures",
        measure_row("PC", valeur="150"),
        "valeur",
        "valeur 150 impossible pour un pourcentage (entre 0 et 100)",
    ),
    (
        "verse-au-dela-du-notifie",
        funding(notified="9450", paid="20000"),
        "Montant versé",
        "financements",
        funding_row(montant_notifie="9450", montant_verse="20000"),
        "montant_verse",
        f"versé 20{NNBSP}000,00{NBSP}€ pour 9{NNBSP}450,00{NBSP}€ notifiés : le versé dépasse le notifié ; {OUTSIDE}",
    ),
    (
        "montant-deux-cents-millions",
        funding(planned="200000000"),
        "Montant prévu",
        "financements",
        funding_row(montant_prevu="200000000"),
        "montant_prevu",
        f"200{NNBSP}000{NNBSP}000,00{NBSP}€ : trop grand, au plus 100{NNBSP}000{NNBSP}000{NBSP}€ par montant",
    ),
]


@pytest.mark.parametrize(
    ("form", "field", "sheet", "row", "column", "message"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_an_implausible_value_gets_the_same_french_refusal_from_the_form_and_the_import(
    loaded, form, field, sheet, row, column, message
):
    before = counts(loaded)
    with pytest.raises(ValidationError) as by_form:
        form(loaded)
    assert by_form.value.errors == {field: message}
    assert counts(loaded) == before
    assert imported(loaded, sheet, row) == [(column, message)]


ACCEPTED = [  # what the rules let through: the form and the import both write it
    ("estimation-future", measurement("TX", measured_on="2025-11-30", value="55", type="estimation"), "mesures",
     measure_row(date="2025-11-30", type="estimation")),
    ("2030-avec-motif", measurement("TX", measured_on="2030-06-30", value="55", type="estimation",
     override_reason="Projection"), "mesures", measure_row(date="2030-06-30", type="estimation",
     motif_derogation="Projection")),
    ("pourcentage-borne-par-l-indicateur", measurement("EVOL", measured_on="2025-03-31", value="150"), "mesures",
     measure_row("EVOL", valeur="150")),
    # 40 times the 25 places of 2024: a soft warning (tests/test_soft_warnings.py), confirmed here.
    ("places-1000", activity(places="1000", confirmed=True), "activite",
     activity_row(places="1000", motif_derogation="Nouvelle structure")),
    # Near the 12 000 hours of 2024, so that only the ratio is tested (not the soft warning).
    ("heures-1-5-fois", activity(hours_delivered="10000", hours_billed="15000"), "activite",
     activity_row(heures_realisees="10000", heures_facturees="15000")),
    ("verse-au-dela-avec-motif", funding(notified="9450", paid="20000", override_reason="Complément versé"),
     "financements", funding_row(montant_notifie="9450", montant_verse="20000", motif_derogation="Complément versé")),
]  # fmt: skip


@pytest.mark.parametrize(("form", "sheet", "row"), [case[1:] for case in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_a_plausible_or_justified_value_is_written_by_the_form_and_by_the_import(loaded, form, sheet, row):
    form(loaded)
    assert imported(loaded, sheet, row) == []


def test_paid_beyond_notified_keeps_its_reason_in_the_audit(loaded):
    funding(notified="9450", paid="20000", override_reason="Complément versé")(loaded)
    with Session(loaded) as session:
        event = session.exec(
            select(m.AuditEvent).where(m.AuditEvent.table_name == "funding_lines").order_by(m.AuditEvent.id.desc())
        ).first()
    assert event is not None and event.reason == "Complément versé" and '"paid": "20000.00"' in (event.after or "")


# ------------------------------------------------------------------ one date rule for follow-up notes


def _note(engine: Engine, noted_on: date, reason: str | None = None) -> object:
    with Session(engine) as session:
        action = session.exec(select(m.Action).where(m.Action.code == "PE-1")).one()
        opened = opened_snapshot(action)
    return update_followup(
        engine,
        ADVISOR,
        action_id=action.id,
        expected_version=opened["version"],
        opened=opened,
        status="en_cours",
        progress=40,
        note="Point d'étape",
        noted_on=noted_on,
        override_reason=reason,
    )


def test_a_note_dated_2030_needs_a_reason_as_a_measurement_does(loaded):
    with pytest.raises(ValidationError) as refused:
        _note(loaded, date(2030, 1, 15))
    assert refused.value.errors == {
        "Date de la note": f"le 15/01/2030 est hors de la convention (du 01/06/2023 au 31/05/2027) : {OUTSIDE}"
    }
    _note(loaded, date(2030, 1, 15), reason="Réunion prévue")
    with Session(loaded) as session:
        note = session.exec(select(m.ActionNote).where(m.ActionNote.noted_on == date(2030, 1, 15))).one()
        event = session.exec(
            select(m.AuditEvent).where(m.AuditEvent.table_name == "action_notes").order_by(m.AuditEvent.id.desc())
        ).first()
    assert note.text == "Point d'étape" and event is not None and event.reason == "Réunion prévue"


def test_an_avenant_moves_the_end_of_the_period_for_notes(loaded):
    with Session(loaded) as session:
        convention = session.exec(select(m.Convention).where(m.Convention.code == "ctg-t")).one()
        assert convention.ends_on == date(2027, 5, 31)
    report = import_upload(
        loaded,
        Actor(email="admin@test", role=Role.ADMIN),
        "avenants.csv",
        as_csv(
            [
                {"convention": "ctg-t", "numero": "1", "date_signature": "2027-01-10"}
                | {"objet": "Prolongation", "date_fin": "2030-12-31"}
            ]
        ),
        dry_run=False,
    )
    assert report.ok, report.errors
    _note(loaded, date(2030, 1, 15))  # inside the period the avenant extended: no reason needed
    with Session(loaded) as session:
        assert session.exec(select(m.ActionNote).where(m.ActionNote.noted_on == date(2030, 1, 15))).one()


# ------------------------------------------------------------------ the bulk grid says the same

GRID = [  # (id, the grid's date, type and reason, the indicator and value typed, the refusal)
    (
        "resultat-futur",
        {"measured_on": "2025-11-30"},
        GridRow("TX", "55"),
        "Date : le 30/11/2025 est après aujourd'hui (30/06/2025) : un résultat ne se date pas dans le futur "
        "(une estimation, si)",
    ),
    (
        "estimation-2030",
        {"measured_on": "2030-06-30", "type": "estimation"},
        GridRow("TX", "55"),
        f"Date : le 30/06/2030 est hors de la convention (du 01/06/2023 au 31/05/2027) : {OUTSIDE}",
    ),
    (
        "pourcentage-150",
        {"measured_on": "2025-03-31"},
        GridRow("PC", "150"),
        "Valeur : valeur 150 impossible pour un pourcentage (entre 0 et 100)",
    ),
]


@pytest.mark.parametrize(("grid", "row", "reason"), [case[1:] for case in GRID], ids=[case[0] for case in GRID])
def test_the_bulk_grid_refuses_the_same_values_with_the_same_words(loaded, grid, row, reason):
    with Session(loaded) as session:
        convention_id = session.exec(select(m.Convention).where(m.Convention.code == "ctg-t")).one().id
    check = validate_grid(loaded, ADVISOR, convention_id=convention_id, rows=[row], **grid)
    assert check.valid == [] and [rejected.reasons for rejected in check.rejected] == [(reason,)]


def test_the_referential_editor_holds_a_facility_to_the_same_bound_as_the_import(loaded):
    with Session(loaded) as session:
        facility = session.exec(select(m.Facility).where(m.Facility.code == "EAJE1")).one()
    with pytest.raises(ValidationError) as by_editor:
        referentials.update(
            loaded, Actor(email="admin@test", role=Role.ADMIN), "equipements", facility.id,
            expected_version=facility.version, values={"places": "1500"},
        )  # fmt: skip
    message = f"1500 places : trop grand, au plus 1{NNBSP}000 places par équipement"
    assert list(by_editor.value.errors.values()) == [message]
    row = minimal_convention()["equipements"][0] | {"places": "1500"}
    report = import_upload(
        loaded, Actor(email="admin@test", role=Role.ADMIN), "equipements.csv", as_csv([row]), dry_run=False
    )
    assert [(error.column, error.message) for error in report.errors] == [("places", message)]
