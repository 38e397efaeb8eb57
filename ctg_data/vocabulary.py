"""The field's fixed vocabularies: codes stored in the database, French labels shown to users.

One place for every enumeration so that models, rules, the loader and pages speak alike.
Domains, levers, organisation types and facility types are referential *data* (tables that
administrators extend, docs/format.md "Referentials"): the enumerations below are only their
defaults, the codes the migrations seed and the rules name.
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
    NON_RENSEIGNE = "non_renseigne", "Non renseigné"  # an empty `statut`
    A_VENIR = "a_venir", "À venir"
    EN_COURS = "en_cours", "En cours"
    EN_PAUSE = "en_pause", "En pause"
    REALISEE = "realisee", "Réalisée"
    ABANDONNEE = "abandonnee", "Abandonnée"


class OrganisationType(Labelled):
    """The default organisation types (table organisation_types)."""

    CAF = "caf", "CAF"
    DEPARTEMENT = "departement", "Département"
    REGION = "region", "Région"
    COMMUNE = "commune", "Commune"
    EPCI = "epci", "EPCI"
    CCAS = "ccas", "CCAS"
    CIAS = "cias", "CIAS"
    SYNDICAT = "syndicat", "Syndicat"
    CPAM = "cpam", "CPAM"
    MSA = "msa", "MSA"
    ETAT = "etat", "État"
    EDUCATION_NATIONALE = "education_nationale", "Éducation nationale"
    FRANCE_TRAVAIL = "france_travail", "France Travail"
    ASSOCIATION = "association", "Association"
    AUTRE = "autre", "Autre"


class FacilityType(Labelled):
    """The default facility types (table facility_types, which also says their bonus eligibility)."""

    EAJE = "eaje", "EAJE (crèche, multi-accueil)"
    ALSH = "alsh", "ALSH (accueil de loisirs)"
    ACCUEIL_JEUNES = "accueil_jeunes", "Accueil de jeunes"
    RPE = "rpe", "RPE (relais petite enfance)"
    LAEP = "laep", "LAEP (lieu d'accueil enfants-parents)"
    LUDOTHEQUE = "ludotheque", "Ludothèque"
    CENTRE_SOCIAL = "centre_social", "Centre social"
    EVS = "evs", "EVS (espace de vie sociale)"
    MAM = "mam", "MAM (maison d'assistants maternels)"
    MICRO_CRECHE = "micro_creche", "Micro-crèche"
    FRANCE_SERVICES = "france_services", "France services"


# The default types outside the bonus territoire (docs/rules.md, "Eligibility"): centres sociaux
# and EVS are funded by their own prestations. What the migrations seed, hence what an export
# leaves out; the facility_types table holds the truth that the bonus report reads.
DEFAULT_OUTSIDE_BONUS = frozenset(
    {
        FacilityType.CENTRE_SOCIAL,
        FacilityType.EVS,
        FacilityType.MAM,
        FacilityType.MICRO_CRECHE,
        FacilityType.FRANCE_SERVICES,
    }
)


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


class IndicatorNature(Labelled):
    NOMBRE = "nombre", "Nombre"
    ETAPE = "etape", "Étapes"


# The steps of a step indicator when its `etapes` is empty, in order.
DEFAULT_STEPS = ("non_demarre", "en_cours", "realise")


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
    ("sante", "Santé", 11, "#117733"),
    ("seniors", "Seniors", 12, "#882255"),
    ("insertion", "Insertion", 13, "#44AA99"),
    ("mobilite", "Mobilité", 14, "#DDCC77"),
)
# Colours of the domains administrators add, in turn (the defaults above keep theirs).
EXTRA_DOMAIN_COLOURS = ("#332288", "#AA4499", "#88CCEE", "#999933", "#661100", "#6699CC")

# (code, French label, display order)
LEVERS = (
    ("bonus_territoire", "Bonus territoire CTG", 1),
    ("cofinancement_diagnostic", "Cofinancement du diagnostic", 2),
    ("cofinancement_ingenierie", "Cofinancement de l'ingénierie", 3),
    ("cofinancement_coordination", "Cofinancement de la coordination", 4),
    ("prestation_service", "Prestation de service", 5),
    ("fonds_publics_territoires", "Fonds publics et territoires", 6),
    ("bonus_inclusion_handicap", "Bonus inclusion handicap", 7),
    ("bonus_mixite_sociale", "Bonus mixité sociale", 8),
    ("subvention", "Subvention", 9),
    ("autre", "Autre financement", 10),
)

DOMAIN_CODES = tuple(code for code, *_ in DOMAINS)
# The ten domains of the CTG: the steering views list them even when a convention leaves one empty.
CTG_DOMAIN_CODES = DOMAIN_CODES[:10]
LEVER_CODES = tuple(code for code, *_ in LEVERS)


def sql_in(values: Iterable[str]) -> str:
    """SQL list literal for CHECK constraints built from an enumeration."""
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


# ---------------------------------------------------------------- meetings and decisions (issue 14)


class MeetingKind(Labelled):
    COPIL = "copil", "COPIL"
    COTECH = "cotech", "COTECH"
    THEMATIQUE = "thematique", "Comité thématique"  # carries its theme (Meeting.theme)


class MeetingStatus(Labelled):
    PREVUE = "prevue", "Prévue"
    TENUE = "tenue", "Tenue"
    CLOSE = "close", "Close"


class Attendance(Labelled):
    PRESENT = "present", "Présent"
    EXCUSE = "excuse", "Excusé"


class DecisionStatus(Labelled):
    A_FAIRE = "a_faire", "À faire"
    FAIT = "fait", "Fait"
    ABANDONNEE = "abandonnee", "Abandonnée"
