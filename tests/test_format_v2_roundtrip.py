"""A convention written with every novelty of format version 2 (docs/format.md) loads, and
export → import into an empty database → export gives the same workbook."""

import pytest
from sqlmodel import Session

from ctg_data.actors import Actor, Role
from ctg_data.interchange import load_folder
from ctg_data.interchange.export import export_rows, export_workbook
from ctg_data.interchange.importer import import_workbook
from ctg_data.interchange.sheets import SHEETS_BY_NAME
from ctg_data.interchange.workbook import read_values
from tests.conftest import drop_postgres_database
from tests.csv_folder import write_folder
from tests.test_export_roundtrip import _empty_like, assert_same_workbooks

ADMIN = Actor(email="admin@test", role=Role.ADMIN)
C = "ctg-tarn-2023"


def tarn_convention() -> dict[str, list[dict]]:
    """Every v2 sheet and column, with data written for this test."""
    return {
        "domaines": [{"code": "culture", "libelle": "Culture et loisirs"}],
        "types_organisation": [{"code": "bailleur", "libelle": "Bailleur social"}],
        "types_equipement": [{"code": "creche_familiale", "libelle": "Crèche familiale", "bonus": "oui"}],
        "leviers": [{"code": "fonds_local", "libelle": "Fonds local d'initiatives"}],
        "organisations": [
            {"code": "caf81", "nom": "CAF du Tarn", "type": "caf"},
            {"code": "occitanie", "nom": "Région Occitanie", "type": "region"},
            {"code": "cias-cocagne", "nom": "CIAS du Pays de Cocagne", "type": "cias"},
            {"code": "ft81", "nom": "France Travail Tarn", "type": "france_travail"},
            {"code": "albi", "nom": "Ville d'Albi", "type": "commune"},
            {"code": "tarn-habitat", "nom": "Tarn Habitat", "type": "bailleur"},
        ],
        "communes": [
            {"code_insee": "81004", "nom": "Albi", "population": "48970", "qpv": "oui", "annee_donnees": "2019"},
            {"code_insee": "81004", "nom": "Albi", "population": "49280", "qpv": "oui", "annee_donnees": "2021"},
            {"code_insee": "81060", "nom": "Castres", "population": "41664", "qpv": "oui", "annee_donnees": ""},
        ],
        "conventions": [
            {
                "code": C,
                "nom": "CTG du Pays de Cocagne",
                "departement": "Tarn",
                "caf": "caf81",
                "date_debut": "2023",
                "date_fin": "2026",
            }
        ],
        "avenants": [
            {
                "convention": C,
                "numero": "1",
                "date_signature": "12/03/2025",
                "objet": "Ajout du volet santé et prolongation d'un an",
                "date_fin": "2027-12-31",
            }
        ],
        "signataires": [{"convention": C, "organisation": o} for o in ("caf81", "albi", "cias-cocagne")],
        "perimetre": [{"convention": C, "code_insee": code} for code in ("81004", "81060")],
        # Children before their parents: the file's order is not the plan's.
        "orientations": [
            {"convention": C, "code": "E1.O1.a", "parent": "E1.O1", "domaine": "sante", "intitule": "Prévention"},
            {"convention": C, "code": "E1.O1", "parent": "E1", "domaine": "", "intitule": "Bien vieillir"},
            {"convention": C, "code": "E1", "parent": "", "domaine": "", "intitule": "Une vie sociale pour tous"},
        ],
        "actions": [
            {
                "convention": C,
                "code": "A1",
                "intitule": "Ateliers mémoire",
                "domaine": "seniors",
                "orientation": "E1.O1.a",
                "pilote": "cias-cocagne;albi;ft81",
                "statut": "",
            },
            {
                "convention": C,
                "code": "A2",
                "intitule": "Saison culturelle des familles",
                "domaine": "culture",
                "orientation": "E1.O1",
                "pilote": "albi",
                "statut": "en_cours",
            },
        ],
        "indicateurs": [
            {
                "convention": C,
                "code": "OUTIL",
                "nom": "Outil de suivi en place",
                "domaine": "seniors",
                "unite": "étape",
                "sens": "hausse",
                "nature": "etape",
                "etapes": "non_demarre;cahier_des_charges;en_service",
                "valeur_reference": "non_demarre",
                "date_reference": "2023-01-01",
                "valeur_cible": "en_service",
                "date_cible": "2025-12-31",
                "frequence": "semestrielle",
            },
            {
                "convention": C,
                "code": "FAMILLES",
                "nom": "Familles accompagnées",
                "domaine": "sante",
                "unite": "familles",
                "sens": "hausse",
                "nature": "",
                "etapes": "",
                "valeur_reference": "40",
                "date_reference": "2023-01-01",
                "valeur_cible": "100",
                "date_cible": "2026-12-31",
                "frequence": "annuelle",
            },
        ],
        "cibles": [
            {"convention": C, "indicateur": "FAMILLES", "date": "31/12/2024", "valeur": "55"},
            {"convention": C, "indicateur": "FAMILLES", "date": "2025-12-31", "valeur": "80"},
        ],
        "mesures": [
            {"convention": C, "indicateur": "OUTIL", "date": "2024-06-30", "valeur": "cahier_des_charges"},
            {"convention": C, "indicateur": "FAMILLES", "date": "2024-12-31", "valeur": "59", "code_insee": ""},
            {"convention": C, "indicateur": "FAMILLES", "date": "2024-12-31", "valeur": "42", "code_insee": "81004"},
            {"convention": C, "indicateur": "FAMILLES", "date": "2024-12-31", "valeur": "17", "code_insee": "81060"},
        ],
        "equipements": [
            {
                "convention": C,
                "code": "mam-soleil",
                "nom": "MAM Le Soleil",
                "type": "mam",
                "code_insee": "81004",
                "gestionnaire": "albi;cias-cocagne",
                "places": "12",
            },
            {
                "convention": C,
                "code": "cf-albi",
                "nom": "Crèche familiale d'Albi",
                "type": "creche_familiale",
                "code_insee": "81004",
                "gestionnaire": "albi",
                "places": "40",
                "psu": "oui",
            },
        ],
        "financements": [
            {
                "convention": C,
                "levier": lever,
                "annee": "2024",
                "financeur": funder,
                "beneficiaire": "albi",
                "montant_prevu": "5 000 €",
            }
            for lever, funder in (("fonds_publics_territoires", "caf81"), ("fonds_local", "occitanie"))
        ],
        # The steering cycle: a past COPIL closed (its snapshot is frozen at load), a COTECH to come.
        "reunions": [
            {
                "convention": C,
                "numero": "1",
                "type": "copil",
                "date": "2024-06-18",
                "lieu": "Mairie d'Albi",
                "ordre_du_jour": "Bilan 2023",
                "compte_rendu": "Le plan avance.",
                "statut": "close",
            },
            {"convention": C, "numero": "2", "type": "thematique", "theme": "Santé", "date": "2026-03-10"},
        ],
        "participants": [
            {"convention": C, "reunion": "1", "organisation": "caf81", "personne": "Mme Conseillère"},
            {"convention": C, "reunion": "1", "organisation": "caf81", "personne": "M. Conseiller"},
            {"convention": C, "reunion": "1", "organisation": "albi", "presence": "excuse"},
        ],
        "decisions": [
            {
                "convention": C,
                "reunion": "1",
                "numero": "2",
                "texte": "Étendre les ateliers à Castres",
                "responsable": "cias-cocagne",
                "echeance": "2025-03-31",
                "statut": "fait",
                "actions": "A1",
                "equipements": "mam-soleil",
            },
            {"convention": C, "reunion": "1", "numero": "1", "texte": "Suivre les familles", "indicateurs": "FAMILLES"},
        ],
    }


@pytest.fixture
def loaded(engine, tmp_path):
    report = load_folder(write_folder(tmp_path / "tarn", tarn_convention()), actor="test", engine=engine)
    assert report.ok, [str(error) for error in report.errors]
    return engine


@pytest.fixture
def empty(database_url, request, tmp_path):
    engine, url = _empty_like(database_url, request, tmp_path)
    yield engine
    engine.dispose()
    if not url.startswith("sqlite"):
        drop_postgres_database(url)


def exported(engine) -> dict[str, list[dict]]:
    """The convention's export as rows keyed by column name, sheet by sheet."""
    with Session(engine) as session:
        rows = export_rows(session, convention_code=C)
    return {
        sheet: [dict(zip(SHEETS_BY_NAME[sheet].column_names, row, strict=True)) for row in sheet_rows]
        for sheet, sheet_rows in rows.items()
    }


def test_every_v2_feature_survives_export_import_export(loaded, empty):
    first = export_workbook(loaded, convention_code=C)
    report = import_workbook(empty, ADMIN, first, dry_run=False)
    assert report.ok, [str(error) for error in report.errors]
    assert_same_workbooks(first, export_workbook(empty, convention_code=C))
    again = import_workbook(empty, ADMIN, first, dry_run=False)
    assert again.ok and not again.changed, again.counts


def test_the_export_writes_each_v2_novelty_back(loaded):
    rows = exported(loaded)
    assert {"code": "culture", "libelle": "Culture et loisirs"} in rows["domaines"]
    assert {"code": "creche_familiale", "libelle": "Crèche familiale", "bonus": "oui"} in rows["types_equipement"]
    assert {"code": "bailleur", "libelle": "Bailleur social"} in rows["types_organisation"]
    assert {"code": "fonds_local", "libelle": "Fonds local d'initiatives"} in rows["leviers"]
    parents = {row["code"]: row["parent"] for row in rows["orientations"]}
    assert parents == {"E1": None, "E1.O1": "E1", "E1.O1.a": "E1.O1"}
    # Parents are written before their children, so the export re-imports in its own order.
    order = [row["code"] for row in rows["orientations"]]
    assert order.index("E1") < order.index("E1.O1") < order.index("E1.O1.a")
    actions = {row["code"]: row for row in rows["actions"]}
    assert actions["A1"]["pilote"] == "cias-cocagne;albi;ft81"  # the lead first, then the file's order
    assert actions["A1"]["statut"] == "non_renseigne"
    facilities = {row["code"]: row for row in rows["equipements"]}
    assert facilities["mam-soleil"]["gestionnaire"] == "albi;cias-cocagne"
    indicators = {row["code"]: row for row in rows["indicateurs"]}
    assert indicators["OUTIL"]["nature"] == "etape"
    assert indicators["OUTIL"]["valeur_cible"] == "en_service"
    assert {row["valeur"] for row in rows["mesures"] if row["indicateur"] == "OUTIL"} == {"cahier_des_charges"}
    communes = {(row["indicateur"], row["code_insee"], row["valeur"]) for row in rows["mesures"]}
    assert {("FAMILLES", "81004", 42), ("FAMILLES", "81060", 17), ("FAMILLES", None, 59)} <= communes
    assert len(rows["cibles"]) == 2
    years = {(row["code_insee"], row["annee_donnees"], row["population"]) for row in rows["communes"]}
    assert {("81004", 2019, 48970), ("81004", 2021, 49280)} <= years
    assert [(row["numero"], row["objet"]) for row in rows["avenants"]] == [
        (1, "Ajout du volet santé et prolongation d'un an")
    ]
    assert rows["conventions"][0]["departement"] == "Tarn"
    assert [(row["numero"], row["type"], row["statut"]) for row in rows["reunions"]] == [
        (1, "copil", "close"),
        (2, "thematique", "prevue"),
    ]
    assert {(row["organisation"], row["personne"], row["presence"]) for row in rows["participants"]} == {
        ("caf81", "Mme Conseillère", "present"),
        ("caf81", "M. Conseiller", "present"),
        ("albi", None, "excuse"),
    }
    decisions = {row["numero"]: row for row in rows["decisions"]}
    assert decisions[1]["texte"] == "Suivre les familles" and decisions[1]["statut"] == "a_faire"
    assert (decisions[2]["actions"], decisions[2]["equipements"], decisions[2]["responsable"]) == (
        "A1",
        "mam-soleil",
        "cias-cocagne",
    )


def test_a_version_1_file_reads_the_same_after_version_2(engine, tmp_path):
    """A v1 file (no v2 sheet or column) still loads: statut given, one pilot, no year."""
    sheets = tarn_convention()
    for sheet in (
        "domaines",
        "types_organisation",
        "types_equipement",
        "leviers",
        "avenants",
        "cibles",
        "reunions",
        "participants",
        "decisions",
    ):
        del sheets[sheet]
    sheets["organisations"] = [row for row in sheets["organisations"] if row["type"] != "bailleur"]
    sheets["communes"] = [{k: v for k, v in row.items() if k != "annee_donnees"} for row in sheets["communes"][2:]]
    sheets["communes"].append({"code_insee": "81004", "nom": "Albi", "population": "49280", "qpv": "oui"})
    sheets["conventions"] = [{k: v for k, v in row.items() if k != "departement"} for row in sheets["conventions"]]
    sheets["orientations"] = [{"convention": C, "code": "E1", "domaine": "sante", "intitule": "Santé"}]
    sheets["actions"] = [
        {
            "convention": C,
            "code": "A1",
            "intitule": "Ateliers",
            "domaine": "sante",
            "pilote": "albi",
            "statut": "a_venir",
        }
    ]
    sheets["indicateurs"] = [
        {k: v for k, v in row.items() if k not in ("nature", "etapes")} for row in sheets["indicateurs"][1:]
    ]
    sheets["mesures"] = [{k: v for k, v in row.items() if k != "code_insee"} for row in sheets["mesures"][1:2]]
    sheets["equipements"] = [{**sheets["equipements"][0], "gestionnaire": "albi"}]
    sheets["financements"] = sheets["financements"][:1]
    report = load_folder(write_folder(tmp_path / "v1", sheets), actor="test", engine=engine)
    assert report.ok, [str(error) for error in report.errors]
    read = read_values(export_workbook(engine, convention_code=C))
    assert read["actions"][1][SHEETS_BY_NAME["actions"].column_names.index("statut")] == "a_venir"


def test_the_same_spreadsheet_with_its_avenant_reloads_without_change(loaded, tmp_path):
    """The file keeps the signed end date (2026) and adds the avenant that moves it: the user's
    spreadsheet is re-imported every month and must not be refused."""
    report = load_folder(write_folder(tmp_path / "again", tarn_convention()), actor="test", engine=loaded)
    assert report.ok, [str(error) for error in report.errors]
    assert not report.changed, report.counts
    assert exported(loaded)["conventions"][0]["date_fin"].isoformat() == "2027-12-31"
