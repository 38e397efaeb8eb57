"""The field's fixed vocabularies: codes stored in the database, French labels shown to users.

One place for every enumeration so that models, rules, the loader and pages speak alike.
The ten intervention domains and the funding levers are also rows of referential tables
(seeded by the first migration) so that the database itself refuses an unknown code.
"""

from collections.abc import Iterable
from enum import StrEnum


class ActionStatus(StrEnum):
    A_VENIR = "a_venir"
    EN_COURS = "en_cours"
    EN_PAUSE = "en_pause"
    REALISEE = "realisee"
    ABANDONNEE = "abandonnee"


ACTION_STATUS_LABELS = {
    ActionStatus.A_VENIR: "À venir",
    ActionStatus.EN_COURS: "En cours",
    ActionStatus.EN_PAUSE: "En pause",
    ActionStatus.REALISEE: "Réalisée",
    ActionStatus.ABANDONNEE: "Abandonnée",
}


class OrganisationType(StrEnum):
    CAF = "caf"
    DEPARTEMENT = "departement"
    COMMUNE = "commune"
    EPCI = "epci"
    CCAS = "ccas"
    SYNDICAT = "syndicat"
    CPAM = "cpam"
    MSA = "msa"
    ETAT = "etat"
    ASSOCIATION = "association"
    AUTRE = "autre"


class FacilityType(StrEnum):
    EAJE = "eaje"
    ALSH = "alsh"
    ACCUEIL_JEUNES = "accueil_jeunes"
    RPE = "rpe"
    LAEP = "laep"
    LUDOTHEQUE = "ludotheque"
    CENTRE_SOCIAL = "centre_social"
    EVS = "evs"


FACILITY_TYPE_LABELS: dict[str, str] = {
    FacilityType.EAJE: "EAJE (crèche, multi-accueil)",
    FacilityType.ALSH: "ALSH (accueil de loisirs)",
    FacilityType.ACCUEIL_JEUNES: "Accueil de jeunes",
    FacilityType.RPE: "RPE (relais petite enfance)",
    FacilityType.LAEP: "LAEP (lieu d'accueil enfants-parents)",
    FacilityType.LUDOTHEQUE: "Ludothèque",
    FacilityType.CENTRE_SOCIAL: "Centre social",
    FacilityType.EVS: "EVS (espace de vie sociale)",
}


class RateBasis(StrEnum):
    PAR_PLACE = "par_place"
    PAR_HEURE = "par_heure"
    FORFAIT = "forfait"
    PAR_ETP = "par_etp"
    TAUX_COUT = "taux_cout"


class Direction(StrEnum):
    HAUSSE = "hausse"
    BAISSE = "baisse"


class Frequency(StrEnum):
    MENSUELLE = "mensuelle"
    TRIMESTRIELLE = "trimestrielle"
    SEMESTRIELLE = "semestrielle"
    ANNUELLE = "annuelle"


FREQUENCY_MONTHS = {
    Frequency.MENSUELLE: 1,
    Frequency.TRIMESTRIELLE: 3,
    Frequency.SEMESTRIELLE: 6,
    Frequency.ANNUELLE: 12,
}


class MeasurementType(StrEnum):
    RESULTAT = "resultat"
    ESTIMATION = "estimation"


# (code, French label, display order, colour). The palette is Okabe–Ito plus two neutral
# tones, chosen to stay distinguishable for colour-blind readers; a domain is never told
# by colour alone in the app (labels always accompany it).
DOMAINS = (
    ("petite_enfance", "Petite enfance", 1, "#E69F00"),
    ("enfance", "Enfance", 2, "#56B4E9"),
    ("jeunesse", "Jeunesse", 3, "#009E73"),
    ("parentalite", "Parentalité", 4, "#F0E442"),
    ("acces_aux_droits", "Accès aux droits", 5, "#0072B2"),
    ("inclusion_numerique", "Inclusion numérique", 6, "#D55E00"),
    ("animation_vie_sociale", "Animation de la vie sociale", 7, "#CC79A7"),
    ("logement", "Logement", 8, "#000000"),
    ("handicap", "Handicap", 9, "#999999"),
    ("accompagnement_social", "Accompagnement social", 10, "#8C6D31"),
)

# (code, French label, display order)
LEVERS = (
    ("bonus_territoire", "Bonus territoire CTG", 1),
    ("cofinancement_diagnostic", "Cofinancement du diagnostic", 2),
    ("cofinancement_ingenierie", "Cofinancement de l'ingénierie", 3),
    ("cofinancement_coordination", "Cofinancement de la coordination", 4),
    ("prestation_service", "Prestation de service", 5),
    ("subvention", "Subvention", 6),
    ("autre", "Autre financement", 7),
)

DOMAIN_CODES = tuple(code for code, *_ in DOMAINS)
LEVER_CODES = tuple(code for code, *_ in LEVERS)


def sql_in(values: Iterable[str]) -> str:
    """SQL list literal for CHECK constraints built from an enumeration."""
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"
