"""The French text a workbook carries for the person filling it: the « Mode d'emploi » sheet
and the note on each column header. Built from sheets.py so that it names every sheet and
column that exists, and no other."""

from ctg_data.interchange.resolver import LABELS
from ctg_data.interchange.sheets import SHEETS_BY_NAME, Column, Sheet

GUIDE_SHEET = "Mode d'emploi"

# The sheets in the order docs/format.md lists them (the order of the workbook's tabs).
FORMAT_ORDER = (
    "conventions",
    "avenants",
    "organisations",
    "signataires",
    "communes",
    "perimetre",
    "orientations",
    "actions",
    "indicateurs",
    "cibles",
    "mesures",
    "equipements",
    "activite",
    "bareme",
    "postes",
    "financements",
    "domaines",
    "types_organisation",
    "types_equipement",
    "leviers",
    "reunions",
    "participants",
    "decisions",
)

SHEET_PURPOSES = {
    "conventions": "La convention : son code, son nom, ses dates.",
    "organisations": "Les signataires, pilotes, partenaires, gestionnaires et financeurs.",
    "signataires": "Qui signe la convention, représenté par qui, en quelle qualité.",
    "communes": "Les communes (code INSEE), leur population et leurs enfants de moins de 3 ans.",
    "perimetre": "Les communes que couvre la convention.",
    "orientations": "Les orientations du plan d'action, par domaine.",
    "actions": "Les fiches action : pilote, partenaires, statut, dates, avancement, budget.",
    "indicateurs": "Les indicateurs suivis : unité, sens, référence, cible, fréquence, bornes.",
    "mesures": "Les valeurs datées des indicateurs (résultats ou estimations).",
    "equipements": "Les équipements : EAJE, ALSH, RPE, LAEP, centres sociaux…",
    "activite": "L'activité annuelle de chaque équipement : places, heures, ETP.",
    "bareme": "Le barème des financements par année et par levier (commun à toutes les conventions).",
    "postes": "Les postes de coordination et d'ingénierie.",
    "financements": "Les montants prévus, notifiés et versés, par levier, année, financeur et bénéficiaire.",
    "avenants": "Les avenants de la convention : numéro, date de signature, objet, nouvelle date de fin.",
    "cibles": "Les cibles intermédiaires des indicateurs : une valeur attendue à une date.",
    "domaines": "Les domaines d'intervention ajoutés à ceux du tableau de bord (réservé aux administrateurs).",
    "types_organisation": "Les types d'organisation ajoutés à ceux du tableau de bord (réservé aux administrateurs).",
    "types_equipement": (
        "Les types d'équipement ajoutés à ceux du tableau de bord, et s'ils ouvrent droit au bonus "
        "territoire (réservé aux administrateurs)."
    ),
    "leviers": "Les leviers de financement ajoutés à ceux du tableau de bord (réservé aux administrateurs).",
    "reunions": (
        "Les réunions de pilotage (COPIL, COTECH, comités thématiques) : numéro, date, ordre du jour, "
        "compte rendu, statut. Une réunion close ne se modifie plus."
    ),
    "participants": "Les organisations présentes ou excusées à chaque réunion.",
    "decisions": "Les décisions de chaque réunion : responsable, échéance, statut, éléments concernés.",
}

KIND_HINTS = {
    "code": "code : lettres sans accent, chiffres, « - », « _ » ou « . »",
    "text": "texte libre",
    "insee": "code INSEE à cinq caractères (ex. 65286)",
    "date": "date AAAA-MM-JJ, JJ/MM/AAAA ou date du tableur",
    "int": "nombre entier",
    "float": "nombre (1234.56 ou 1 234,56)",
    "decimal": "nombre (1234.56 ou 1 234,56)",
    "money": "montant en euros, deux décimales au plus",
    "rate": "montant ou taux, quatre décimales au plus",
    "bool": "oui ou non",
    "choice": "une valeur de la liste déroulante",
}
DEFAULT_NOTES = {
    ("mesures", "type"): "vide = resultat",
    ("actions", "poids"): "vide = 1",
    ("mesures", "motif_derogation"): "obligatoire pour une date hors de la convention",
    ("actions", "motif_derogation"): "obligatoire pour une date de début ou de fin hors de la convention",
    ("activite", "motif_derogation"): "obligatoire pour une année hors de la convention",
    ("financements", "motif_derogation"): "obligatoire pour un montant versé supérieur au notifié",
    # Bonus territoire (règles version 2)
    ("conventions", "caf"): "la CAF dont le barème s'applique ; vide = la CAF signataire",
    ("equipements", "places_nouvelles"): "places créées depuis le début de la convention",
    ("equipements", "date_places_nouvelles"): "date de création des places nouvelles",
    ("activite", "places_nouvelles"): "vide = celles de l'équipement",
    ("bareme", "categorie_place"): "existante ou nouvelle ; vide = toute place",
    ("bareme", "portee"): "code d'une convention ou d'une CAF ; vide = national",
    ("bareme", "taux_plancher"): "plancher du taux lui-même, ex. 0,15 € par heure",
    ("bareme", "plancher"): "montant annuel minimum",
    ("bareme", "plafond"): "montant annuel maximum",
    ("types_equipement", "bonus"): "oui si le bonus territoire peut le financer ; vide = non pour un nouveau type",
    # Comités (format v2)
    ("reunions", "numero"): "1, 2, 3… dans l'ordre où les réunions de la convention sont enregistrées",
    ("reunions", "theme"): "obligatoire pour un comité thématique",
    ("reunions", "statut"): "vide = prevue ; close fige les chiffres présentés",
    ("participants", "reunion"): "numéro de la réunion dans la feuille reunions",
    ("participants", "presence"): "vide = present",
    ("decisions", "reunion"): "numéro de la réunion dans la feuille reunions",
    ("decisions", "numero"): "1, 2, 3… dans la réunion",
    ("decisions", "statut"): "vide = a_faire",
}
# Columns whose codes the `listes` sheet offers in a drop-down (the referentials of the database).
LISTED_REFERENCES = ("domain", "lever", "organisation_type", "facility_type")


def column_note(sheet: Sheet, column: Column) -> str:
    """The header note of a column: required or not, and what a cell holds."""
    if column.kind == "ref":
        hint = f"code ({LABELS[column.target]})"
    elif column.kind == "list":
        hint = f"codes séparés par « ; » ({LABELS[column.target]})"
    else:
        hint = KIND_HINTS[column.kind]
    if column.kind == "ref" and column.ref in LISTED_REFERENCES:
        hint += " ; liste déroulante"
    extra = DEFAULT_NOTES.get((sheet.name, column.name))
    return f"{'Obligatoire' if column.required else 'Facultatif'}. {hint.capitalize()}" + (
        f" ({extra})." if extra else "."
    )


INTRODUCTION = (
    ("Tableau de bord CTG : classeur d'échange (format version 2)", True),
    (
        "Ce classeur sert à importer des données dans le tableau de bord, ou à les exporter. "
        "Chaque onglet porte le nom d'une feuille du format ; la première ligne donne les colonnes.",
        False,
    ),
    ("", False),
    ("Remplir le classeur", True),
    ("• Ne renommez ni les onglets ni les colonnes. Un onglet ou une colonne inconnus sont refusés.", False),
    (
        "• Les colonnes en gras sont obligatoires (une note sur l'en-tête le rappelle). Une colonne "
        "facultative peut être supprimée : les valeurs déjà enregistrées sont alors conservées.",
        False,
    ),
    (
        "• Un onglet sans ligne peut rester vide ou être supprimé, mais chaque code cité doit exister, "
        "dans le classeur ou déjà dans le tableau de bord.",
        False,
    ),
    ("• Saisissez des valeurs, jamais des formules : une cellule contenant une formule est refusée.", False),
    ("", False),
    ("Valeurs", True),
    ("• Codes : lettres sans accent, chiffres, « - », « _ » et « . » ; la casse compte.", False),
    (
        "• Dates : AAAA-MM-JJ (ex. 2024-09-01), JJ/MM/AAAA (ex. 01/09/2024) ou une date du tableur ; "
        "les dates de début et de fin d'une convention peuvent n'être qu'une année (2023).",
        False,
    ),
    ("• Nombres : 1234.56 ou 1 234,56 (58,5 % pour un pourcentage). Montants en euros, deux décimales au plus.", False),
    ("• Oui/non : oui ou non. Listes : codes séparés par « ; » (ex. caf65;lourdes).", False),
    ("• Les listes déroulantes donnent les valeurs possibles (domaines, statuts, types, leviers…).", False),
    ("", False),
    ("Référentiels : domaines, types d'organisation, types d'équipement, leviers", True),
    (
        "• Les onglets domaines, types_organisation, types_equipement et leviers ajoutent des valeurs à "
        "celles du tableau de bord (colonnes code et libelle ; bonus oui ou non pour un type d'équipement). "
        "Les valeurs par défaut existent déjà : inutile de les recopier.",
        False,
    ),
    (
        "• Un code ajouté dans ces onglets peut être utilisé dans les autres onglets du même classeur "
        "(domaine d'une action, type d'un équipement, levier d'un financement…).",
        False,
    ),
    (
        "• Seuls les administrateurs ajoutent ou modifient ces valeurs ; une ligne identique à ce qui est "
        "enregistré est acceptée pour tous. Un nouveau type d'équipement sans « bonus » est hors bonus "
        "territoire ; un « bonus » vide laisse inchangé un type existant.",
        False,
    ),
    (
        "• Un texte qui commence par =, +, - ou @ est précédé d'une apostrophe à l'export, pour "
        "qu'aucun tableur ne l'exécute ; l'import retire cette apostrophe.",
        False,
    ),
    ("", False),
    ("Ce que fait l'import", True),
    (
        "• Chaque ligne est reconnue par sa clé (colonne « clé » ci-dessous) : une clé nouvelle crée la "
        "ligne, une clé connue met à jour ce qui diffère, une ligne identique ne change rien. Importer "
        "deux fois le même classeur ne change donc rien. Rien n'est supprimé par un import.",
        False,
    ),
    (
        "• Mesures : une valeur différente pour le même indicateur, la même date et le même type est une "
        "correction ; la nouvelle valeur remplace l'ancienne, qui reste dans l'historique. L'export ne "
        "contient que les valeurs en vigueur ; l'historique reste dans le tableau de bord.",
        False,
    ),
    (
        "• Tout ou rien : le classeur est d'abord vérifié en entier (simulation). À la moindre erreur, "
        "rien n'est écrit, et chaque erreur est donnée avec son onglet, sa ligne et sa colonne.",
        False,
    ),
    ("• Deux lignes de même clé dans un même onglet sont une erreur.", False),
    ("", False),
    ("Les feuilles", True),
)
SHEET_TABLE_HEADER = ("feuille", "contenu", "colonnes obligatoires", "colonnes facultatives", "clé")


def sheet_table() -> list[tuple[str, str, str, str, str]]:
    rows = []
    for name in FORMAT_ORDER:
        sheet = SHEETS_BY_NAME[name]
        rows.append(
            (
                name,
                SHEET_PURPOSES[name],
                ", ".join(c.name for c in sheet.columns if c.required),
                ", ".join(c.name for c in sheet.columns if not c.required),
                " + ".join(sheet.key),
            )
        )
    return rows
