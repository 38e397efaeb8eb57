"""An import changes the plan only for those the Référentiels page lets change it, row by row,
and a convention a person may not see reads « inconnue » exactly like one that does not exist."""

import pytest
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.actors import Actor, Role
from ctg_data.interchange import load_folder
from ctg_data.interchange.importer import import_upload
from ctg_data.permissions import can_read_convention
from tests.csv_folder import minimal_convention, write_folder
from tests.test_import_rules import as_csv, counts

ADMIN = Actor(email="admin@test", role=Role.ADMIN)
ADVISOR = Actor(email="conseiller@test", role=Role.CONSEILLER)


def seed() -> dict[str, list[dict]]:
    """The minimal convention, a commune outside its perimeter, and a restricted convention."""
    sheets = minimal_convention()
    sheets["communes"].append(
        {"code_insee": "65100", "nom": "Argelès", "population": "", "enfants_moins_3_ans": "", "qpv": ""}
    )
    sheets["conventions"].append(
        {
            "code": "ctg-secret",
            "nom": "CTG réservée",
            "territoire": "",
            "date_signature": "",
            "date_debut": "2023-01-01",
            "date_fin": "2026-12-31",
        }
    )
    sheets["indicateurs"].append(sheets["indicateurs"][0] | {"convention": "ctg-secret", "action": ""})
    return sheets


@pytest.fixture
def loaded(engine, tmp_path):
    assert load_folder(write_folder(tmp_path / "seed", seed()), actor="seed", engine=engine).ok
    with Session(engine) as session:
        secret = session.exec(select(m.Convention).where(m.Convention.code == "ctg-secret")).one()
        secret.restricted = True
        session.commit()
    return engine


def first(sheet: str, **changes) -> dict:
    return minimal_convention()[sheet][0] | changes


# Each a change of the plan a conseiller may not make (the Référentiels page refuses them all).
PLAN_CHANGES = [
    ("actions", first("actions", code="PE-2")),
    ("actions", first("actions", pilote="asso")),
    ("actions", first("actions", partenaires="caf65")),
    ("actions", first("actions", date_fin="2026-12-31")),
    ("signataires", {"convention": "ctg-t", "organisation": "asso", "representant": "", "qualite": ""}),
    ("perimetre", {"convention": "ctg-t", "code_insee": "65100"}),
    ("orientations", first("orientations", code="PE2")),
    ("orientations", first("orientations", intitule="Autre intitulé")),
    ("indicateurs", first("indicateurs", code="TX2")),
    ("indicateurs", first("indicateurs", max="90")),
    ("equipements", first("equipements", code="EAJE2")),
    ("equipements", first("equipements", places="30")),
    ("postes", first("postes", code="COORD2")),
    ("conventions", first("conventions", nom="Autre nom")),
    ("organisations", first("organisations", nom="Autre nom")),
    ("communes", first("communes", population="14000")),
]


@pytest.mark.parametrize(
    ("sheet", "row"), PLAN_CHANGES, ids=[f"{sheet}-{i}" for i, (sheet, _) in enumerate(PLAN_CHANGES)]
)
def test_an_advisor_may_not_change_the_plan_through_an_import(loaded, sheet, row):
    before = counts(loaded)
    report = import_upload(loaded, ADVISOR, f"{sheet}.csv", as_csv([row]), dry_run=False)
    assert [(e.where, e.line) for e in report.errors] == [(f"fichier {sheet}.csv", 2)], report.errors
    assert "ne permet pas de modifier" in report.errors[0].message
    assert counts(loaded) == before
    # An administrator may: the refusal is the role's, not the row's (shared rows, on request).
    assert import_upload(loaded, ADMIN, f"{sheet}.csv", as_csv([row]), dry_run=True, shared_updates=True).ok


def test_an_advisor_may_import_what_their_forms_let_them_write(loaded):
    rows = {
        "actions": [first("actions", statut="en_pause", avancement="45")],  # follow-up only
        "mesures": [first("mesures", valeur="53")],
        "activite": [first("activite", heures_realisees="12500")],
        "financements": [first("financements", montant_verse="20000")],
        "bareme": [first("bareme", montant="3700")],
    }
    for sheet, sheet_rows in rows.items():
        report = import_upload(loaded, ADVISOR, f"{sheet}.csv", as_csv(sheet_rows), dry_run=False)
        assert report.ok, (sheet, report.errors)
        assert report.changed, sheet
    with Session(loaded) as session:
        action = session.exec(select(m.Action)).one()
    assert (action.status, action.progress) == ("en_pause", 45)


def test_an_advisor_may_reimport_the_plan_unchanged(loaded):
    sheets = {name: rows for name, rows in minimal_convention().items()}
    for sheet, rows in sheets.items():
        report = import_upload(loaded, ADVISOR, f"{sheet}.csv", as_csv(rows), dry_run=True)
        assert report.ok, (sheet, report.errors)
        assert not report.changed, sheet


def test_a_refused_signatory_leaves_the_other_convention_invisible_to_that_organisations_partners(loaded):
    with Session(loaded) as session:
        asso = session.exec(select(m.Organisation).where(m.Organisation.code == "asso")).one()
        secret = session.exec(select(m.Convention).where(m.Convention.code == "ctg-secret")).one()
        secret.restricted = False  # open to partners taking part: a signatory would see it
        session.commit()
        partner = Actor(email="p@asso", role=Role.PARTENAIRE, organisation_id=asso.id)
        assert not can_read_convention(session, partner, secret.id)
    row = {"convention": "ctg-secret", "organisation": "asso", "representant": "", "qualite": ""}
    assert not import_upload(loaded, ADVISOR, "signataires.csv", as_csv([row]), dry_run=False).ok
    with Session(loaded) as session:
        assert not can_read_convention(session, partner, secret.id)


# ------------------------------------------------------------------ conventions one may not see


def _messages(report, code: str) -> list[tuple]:
    return [(e.where, e.line, e.column, e.message.replace(code, "CODE")) for e in report.errors]


@pytest.mark.parametrize("sheet", ["mesures", "signataires", "financements"])
def test_a_restricted_convention_reads_exactly_like_an_unknown_one(loaded, sheet):
    row = first(sheet, convention="ctg-secret") | ({"equipement": ""} if sheet == "financements" else {})
    hidden = import_upload(loaded, ADVISOR, f"{sheet}.csv", as_csv([row]), dry_run=True)
    absent = import_upload(loaded, ADVISOR, f"{sheet}.csv", as_csv([row | {"convention": "ctg-nulle"}]), dry_run=True)
    assert _messages(hidden, "ctg-secret") == _messages(absent, "ctg-nulle")
    assert hidden.errors[0].message == "convention « ctg-secret » inconnue"
    assert import_upload(loaded, ADMIN, f"{sheet}.csv", as_csv([row]), dry_run=True).errors == []


def test_the_conventions_sheet_does_not_tell_whether_a_restricted_convention_exists(loaded):
    same = seed()["conventions"][1]
    hidden = import_upload(loaded, ADVISOR, "conventions.csv", as_csv([same]), dry_run=True)
    absent = import_upload(loaded, ADVISOR, "conventions.csv", as_csv([same | {"code": "ctg-nulle"}]), dry_run=True)
    assert not hidden.ok and hidden.counts == absent.counts
    assert _messages(hidden, "ctg-secret") == _messages(absent, "ctg-nulle")
    assert import_upload(loaded, ADMIN, "conventions.csv", as_csv([same]), dry_run=True).counts == {
        "conventions": {"unchanged": 1}
    }
