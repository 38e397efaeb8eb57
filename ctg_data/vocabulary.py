"""The field's fixed vocabularies: codes stored in the database, French labels shown to users.

One place for every enumeration so that models, rules, the loader and pages speak alike.
The ten intervention domains and the funding levers are also rows of referential tables
(seeded by the first migration) so that the database itself refuses an unknown code.
"""

from collections.abc import Iterable
from enum import StrEnum
from typing import Self


class Labelled(StrEnum):
    """A code stored in the database that carries its French label: `ActionStatus.REALISEE.label`.

    Members are declared as `CODE = "code", "Label"`; the member still equals its code (it is a
    str), so comparisons, SQL parameters and JSON keep using the code. A label is for display
    only: code never compares labels."""

    label: str

    def __new__(cls, code: str, label: str = "") -> Self:
        # `label` has a default only so that a lookup `ActionStatus("realisee")` type-checks;
        # every member gives one (tests/test_vocabulary.py checks it).
        member = str.__new__(cls, code)
        member._value_ = code
        member.label = label
        return member

    @classmethod
    def labels(cls) -> dict[str, str]:
        """Code → label, in declaration order: what a choice list or a code column needs."""
        return {member.value: member.label for member in cls}

    @classmethod
    def label_of(cls, code: object) -> str:
        """The label of a code; an unknown code (an old row, a typo in a file) is shown as it is."""
        try:
            return cls(str(code)).label
        except ValueError:
            return str(code)


class ActionStatus(Labelled):
    A_VENIR = "a_venir", "À venir"
    EN_COURS = "en_cours", "En cours"
    EN_PAUSE = "en_pause", "En pause"
    REALISEE = "realisee", "Réalisée"
    ABANDONNEE = "abandonnee", "Abandonnée"


class OrganisationType(Labelled):
    CAF = "caf", "CAF"
    DEPARTEMENT = "departement", "Département"
    COMMUNE = "commune", "Commune"
    EPCI = "epci", "EPCI"
    CCAS = "ccas", "CCAS"
    SYNDICAT = "syndicat", "Syndicat"
    CPAM = "cpam", "CPAM"
    MSA = "msa", "MSA"
    ETAT = "etat", "État"
    ASSOCIATION = "association", "Association"
    AUTRE = "autre", "Autre"


class FacilityType(Labelled):
    EAJE = "eaje", "EAJE (crèche, multi-accueil)"
    ALSH = "alsh", "ALSH (accueil de loisirs)"
    ACCUEIL_JEUNES = "accueil_jeunes", "Accueil de jeunes"
    RPE = "rpe", "RPE (relais petite enfance)"
    LAEP = "laep", "LAEP (lieu d'accueil enfants-parents)"
    LUDOTHEQUE = "ludotheque", "Ludothèque"
    CENTRE_SOCIAL = "centre_social", "Centre social"
    EVS = "evs", "EVS (espace de vie sociale)"


# Bonus territoire eligibility, a fact of each facility type (docs/rules.md, "Eligibility"): centres
# sociaux and EVS are funded by their own prestations. The other codes are types of format v2
# not yet in the enumeration, listed so that they are ineligible the day they arrive.
NOT_BONUS_ELIGIBLE = frozenset({FacilityType.CENTRE_SOCIAL, FacilityType.EVS, "mam", "micro_creche", "france_services"})


def bonus_eligible(facility_type: str) -> bool:
    """Whether a facility of this type may receive the bonus territoire CTG."""
    return facility_type not in NOT_BONUS_ELIGIBLE


# A barème row for existing places (formerly funded by the CEJ) or places created since the
# convention began; an empty category applies to any place.
PLACE_CATEGORIES = {"existante": "places existantes", "nouvelle": "places nouvelles"}


class RateBasis(Labelled):
    """Labels read inside a sentence or a table cell: « 12 € par place »."""

    PAR_PLACE = "par_place", "par place"
    PAR_HEURE = "par_heure", "par heure"
    FORFAIT = "forfait", "forfait"
    PAR_ETP = "par_etp", "par ETP"
    TAUX_COUT = "taux_cout", "taux du coût"


class Direction(Labelled):
    HAUSSE = "hausse", "À la hausse"
    BAISSE = "baisse", "À la baisse"


class Frequency(Labelled):
    MENSUELLE = "mensuelle", "Mensuelle"
    TRIMESTRIELLE = "trimestrielle", "Trimestrielle"
    SEMESTRIELLE = "semestrielle", "Semestrielle"
    ANNUELLE = "annuelle", "Annuelle"


FREQUENCY_MONTHS = {
    Frequency.MENSUELLE: 1,
    Frequency.TRIMESTRIELLE: 3,
    Frequency.SEMESTRIELLE: 6,
    Frequency.ANNUELLE: 12,
}


class MeasurementType(Labelled):
    RESULTAT = "resultat", "Résultat"
    ESTIMATION = "estimation", "Estimation"


# What choice lists show under a label when the label alone does not say enough.
HINTS: dict[str, str] = {
    Direction.HAUSSE: "plus c'est haut, mieux c'est",
    Direction.BAISSE: "plus c'est bas, mieux c'est",
    RateBasis.PAR_HEURE: "heures réalisées",
    RateBasis.TAUX_COUT: "pourcentage du coût annuel",
}


def choice_labels(vocabulary: type[Labelled]) -> dict[str, str]:
    """Code → label as a choice list shows it: capitalised, with its hint when it has one."""
    return {
        member.value: _capitalised(member.label) + (f" ({HINTS[member]})" if member in HINTS else "")
        for member in vocabulary
    }


def _capitalised(label: str) -> str:
    return label[:1].upper() + label[1:]


# The former label dictionaries, kept for the modules that import them: read `.label` instead.
ACTION_STATUS_LABELS: dict[str, str] = ActionStatus.labels()
FACILITY_TYPE_LABELS: dict[str, str] = FacilityType.labels()


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
