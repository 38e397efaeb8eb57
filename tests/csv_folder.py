"""Writing small docs/format.md folders for tests."""

import csv
from pathlib import Path


def write_folder(folder: Path, sheets: dict[str, list[dict]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in sheets.items():
        header = list(dict.fromkeys(name for row in rows for name in row))  # every row's columns, in order
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=header)
            writer.writeheader()
            writer.writerows(rows)
    return folder


def minimal_convention() -> dict[str, list[dict]]:
    """A small but complete convention touching every sheet."""
    return {
        "organisations": [
            {"code": "caf65", "nom": "CAF des Hautes-Pyrénées", "type": "caf"},
            {"code": "ville", "nom": "Ville de Lourdes", "type": "commune"},
            {"code": "asso", "nom": "Association", "type": "association"},
        ],
        "communes": [
            {
                "code_insee": "65286",
                "nom": "Lourdes",
                "population": "13 509",
                "enfants_moins_3_ans": "390",
                "qpv": "oui",
            }
        ],
        "conventions": [
            {
                "code": "ctg-t",
                "nom": "CTG test",
                "territoire": "",
                "date_signature": "2023-05-30",
                "date_debut": "2023-06-01",
                "date_fin": "2027-05-31",
            }
        ],
        "signataires": [
            {"convention": "ctg-t", "organisation": "caf65", "representant": "A", "qualite": "Directeur"},
            {"convention": "ctg-t", "organisation": "ville", "representant": "B", "qualite": "Maire"},
        ],
        "perimetre": [{"convention": "ctg-t", "code_insee": "65286"}],
        "orientations": [{"convention": "ctg-t", "code": "PE1", "domaine": "petite_enfance", "intitule": "Places"}],
        "actions": [
            {
                "convention": "ctg-t",
                "code": "PE-1",
                "intitule": "Ouvrir une crèche",
                "domaine": "petite_enfance",
                "orientation": "PE1",
                "pilote": "ville",
                "partenaires": "caf65;asso",
                "public_cible": "",
                "communes": "65286",
                "statut": "en_cours",
                "priorite": "1",
                "date_debut": "2023-06-01",
                "date_fin": "2026-08-31",
                "avancement": "40",
                "poids": "2",
                "budget_prevu": "1 234,56",
                "description": "=SOMME(A1)",
            },
        ],
        "indicateurs": [
            {
                "convention": "ctg-t",
                "code": "TX",
                "nom": "Taux de couverture",
                "domaine": "petite_enfance",
                "action": "PE-1",
                "unite": "%",
                "sens": "hausse",
                "valeur_reference": "50",
                "date_reference": "2022-12-31",
                "source_reference": "Cnaf",
                "valeur_cible": "60",
                "date_cible": "2027-05-31",
                "frequence": "annuelle",
                "min": "0",
                "max": "100",
            },
        ],
        "mesures": [
            {
                "convention": "ctg-t",
                "indicateur": "TX",
                "date": "2023-12-31",
                "valeur": "52",
                "type": "",
                "source": "CAF",
                "commentaire": "",
            },
            {
                "convention": "ctg-t",
                "indicateur": "TX",
                "date": "2024-12-31",
                "valeur": "54,5",
                "type": "resultat",
                "source": "CAF",
                "commentaire": "",
            },
        ],
        "equipements": [
            {
                "convention": "ctg-t",
                "code": "EAJE1",
                "nom": "La Souris verte",
                "type": "eaje",
                "code_insee": "65286",
                "gestionnaire": "ville",
                "places": "25",
                "psu": "oui",
                "classe_territoire": "B",
                "date_ouverture": "2024-09-01",
                "date_fermeture": "",
            },
        ],
        "activite": [
            {
                "convention": "ctg-t",
                "equipement": "EAJE1",
                "annee": "2024",
                "places": "25",
                "heures_realisees": "12000",
                "heures_facturees": "13000",
                "etp": "",
            }
        ],
        "bareme": [
            {
                "annee": "2024",
                "levier": "bonus_territoire",
                "type_equipement": "eaje",
                "classe_territoire": "",
                "base": "par_place",
                "montant": "3600",
                "plancher": "",
                "plafond": "",
                "source": "illustratif",
            }
        ],
        "postes": [
            {
                "convention": "ctg-t",
                "code": "COORD",
                "intitule": "Chargée de coopération",
                "employeur": "ville",
                "etp": "0,8",
                "date_debut": "2023-09-01",
                "date_fin": "",
                "cout_annuel": "52000",
            }
        ],
        "financements": [
            {
                "convention": "ctg-t",
                "levier": "bonus_territoire",
                "annee": "2024",
                "financeur": "caf65",
                "beneficiaire": "ville",
                "equipement": "EAJE1",
                "action": "",
                "poste": "",
                "domaine": "petite_enfance",
                "montant_prevu": "30000",
                "montant_notifie": "30000.00",
                "montant_verse": "15000",
                "commentaire": "",
            },
        ],
    }
