"""The sheets of docs/format.md: their fixed column names, what each column holds, and keys.

This table is the single description of the format; the loader, the Excel template and the
export all read it, so a column cannot exist in one and not the others.
"""

from dataclasses import dataclass
from functools import cached_property

from ctg_data.vocabulary import (
    PLACE_CATEGORIES,
    ActionStatus,
    Attendance,
    DecisionStatus,
    Direction,
    Frequency,
    IndicatorNature,
    MeasurementType,
    MeetingKind,
    MeetingStatus,
    RateBasis,
)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # code, text, insee, date, int, float, decimal, money, rate, bool, list, choice, ref
    required: bool = False
    choices: tuple[str, ...] = ()
    ref: str | None = None  # what a `ref` / `list` column points at

    @property
    def target(self) -> str:
        """What a `ref` or `list` column points at (a kind of the resolver)."""
        if self.ref is None:
            raise ValueError(f"column {self.name} names no other row")
        return self.ref


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @cached_property
    def _by_name(self) -> dict[str, Column]:  # asked for every cell of a file
        return {column.name: column for column in self.columns}

    def column(self, name: str) -> Column:
        return self._by_name[name]


def req(name: str, kind: str, *, choices: tuple[str, ...] = (), ref: str | None = None) -> Column:
    return Column(name, kind, required=True, choices=choices, ref=ref)


def opt(name: str, kind: str, *, choices: tuple[str, ...] = (), ref: str | None = None) -> Column:
    return Column(name, kind, choices=choices, ref=ref)


CONVENTION = req("convention", "ref", ref="convention")
REFERENTIAL = (req("code", "code"), req("libelle", "text"))

SHEETS = (
    # Referentials first: every other sheet may use the codes they add (format v2).
    Sheet("domaines", REFERENTIAL, ("code",)),
    Sheet("types_organisation", REFERENTIAL, ("code",)),
    Sheet("types_equipement", (*REFERENTIAL, opt("bonus", "bool")), ("code",)),
    Sheet("leviers", REFERENTIAL, ("code",)),
    Sheet(
        "organisations",
        (req("code", "code"), req("nom", "text"), req("type", "ref", ref="organisation_type")),
        ("code",),
    ),
    Sheet(
        "communes",
        (
            req("code_insee", "insee"),
            req("nom", "text"),
            opt("population", "int"),
            opt("enfants_moins_3_ans", "int"),
            opt("qpv", "bool"),
            opt("annee_donnees", "int"),
        ),
        ("code_insee", "annee_donnees"),
    ),
    Sheet(
        "conventions",
        (
            req("code", "code"),
            req("nom", "text"),
            opt("territoire", "text"),
            opt("departement", "text"),
            opt("caf", "ref", ref="organisation"),
            opt("date_signature", "date"),
            req("date_debut", "date"),
            req("date_fin", "date"),
        ),
        ("code",),
    ),
    Sheet(
        "avenants",
        (
            CONVENTION,
            req("numero", "int"),
            req("date_signature", "date"),
            req("objet", "text"),
            opt("date_fin", "date"),
        ),
        ("convention", "numero"),
    ),
    Sheet(
        "signataires",
        (
            CONVENTION,
            req("organisation", "ref", ref="organisation"),
            opt("representant", "text"),
            opt("qualite", "text"),
        ),
        ("convention", "organisation"),
    ),
    Sheet("perimetre", (CONVENTION, req("code_insee", "ref", ref="commune")), ("convention", "code_insee")),
    Sheet(
        "orientations",
        (
            CONVENTION,
            req("code", "code"),
            opt("parent", "ref", ref="orientation"),
            opt("domaine", "ref", ref="domain"),
            req("intitule", "text"),
        ),
        ("convention", "code"),
    ),
    Sheet(
        "actions",
        (
            CONVENTION,
            req("code", "code"),
            req("intitule", "text"),
            req("domaine", "ref", ref="domain"),
            opt("orientation", "ref", ref="orientation"),
            req("pilote", "list", ref="organisation"),  # the lead first, then co-pilots
            opt("partenaires", "list", ref="organisation"),
            opt("public_cible", "text"),
            opt("communes", "list", ref="commune"),
            opt("statut", "choice", choices=tuple(ActionStatus)),  # empty: non_renseigne
            opt("priorite", "int"),
            opt("date_debut", "date"),
            opt("date_fin", "date"),
            opt("avancement", "int"),
            opt("poids", "decimal"),
            opt("budget_prevu", "money"),
            opt("description", "text"),
            opt("motif_derogation", "text"),  # dates outside the convention: why (kept in the history)
        ),
        ("convention", "code"),
    ),
    Sheet(
        "indicateurs",
        (
            CONVENTION,
            req("code", "code"),
            req("nom", "text"),
            req("domaine", "ref", ref="domain"),
            opt("action", "ref", ref="action"),
            req("unite", "text"),
            req("sens", "choice", choices=tuple(Direction)),
            opt("nature", "choice", choices=tuple(IndicatorNature)),
            opt("etapes", "text"),  # step codes, in order, separated by ";"
            opt("valeur_reference", "float"),
            opt("date_reference", "date"),
            opt("source_reference", "text"),
            opt("valeur_cible", "float"),
            opt("date_cible", "date"),
            opt("frequence", "choice", choices=tuple(Frequency)),
            opt("min", "float"),
            opt("max", "float"),
        ),
        ("convention", "code"),
    ),
    Sheet(
        "cibles",
        (CONVENTION, req("indicateur", "ref", ref="indicator"), req("date", "date"), req("valeur", "float")),
        ("convention", "indicateur", "date"),
    ),
    Sheet(
        "mesures",
        (
            CONVENTION,
            req("indicateur", "ref", ref="indicator"),
            req("date", "date"),
            req("valeur", "float"),
            opt("type", "choice", choices=tuple(MeasurementType)),
            opt("code_insee", "ref", ref="commune"),
            opt("source", "text"),
            opt("commentaire", "text"),
            opt("motif_derogation", "text"),
        ),
        ("convention", "indicateur", "date", "type", "code_insee"),
    ),
    Sheet(
        "equipements",
        (
            CONVENTION,
            req("code", "code"),
            req("nom", "text"),
            req("type", "ref", ref="facility_type"),
            req("code_insee", "ref", ref="commune"),
            req("gestionnaire", "list", ref="organisation"),  # the main manager first, then co-managers
            opt("places", "int"),
            opt("places_nouvelles", "int"),
            opt("date_places_nouvelles", "date"),
            opt("psu", "bool"),
            opt("classe_territoire", "code"),
            opt("date_ouverture", "date"),
            opt("date_fermeture", "date"),
        ),
        ("convention", "code"),
    ),
    Sheet(
        "activite",
        (
            CONVENTION,
            req("equipement", "ref", ref="facility"),
            req("annee", "int"),
            opt("places", "int"),
            opt("places_nouvelles", "int"),
            opt("heures_realisees", "decimal"),
            opt("heures_facturees", "decimal"),
            opt("etp", "decimal"),
            opt("motif_derogation", "text"),
        ),
        ("convention", "equipement", "annee"),
    ),
    Sheet(
        "bareme",
        (
            req("annee", "int"),
            req("levier", "ref", ref="lever"),
            opt("type_equipement", "ref", ref="facility_type"),
            opt("categorie_place", "choice", choices=tuple(PLACE_CATEGORIES)),
            opt("classe_territoire", "code"),
            opt("portee", "code"),
            req("base", "choice", choices=tuple(RateBasis)),
            req("montant", "rate"),
            opt("taux_plancher", "rate"),
            opt("plancher", "money"),
            opt("plafond", "money"),
            opt("source", "text"),
        ),
        ("annee", "levier", "type_equipement", "categorie_place", "classe_territoire", "portee"),
    ),
    Sheet(
        "postes",
        (
            CONVENTION,
            req("code", "code"),
            req("intitule", "text"),
            req("employeur", "ref", ref="organisation"),
            req("etp", "decimal"),
            req("date_debut", "date"),
            opt("date_fin", "date"),
            opt("cout_annuel", "money"),
        ),
        ("convention", "code"),
    ),
    Sheet(
        "financements",
        (
            CONVENTION,
            req("levier", "ref", ref="lever"),
            req("annee", "int"),
            req("financeur", "ref", ref="organisation"),
            req("beneficiaire", "ref", ref="organisation"),
            opt("equipement", "ref", ref="facility"),
            opt("action", "ref", ref="action"),
            opt("poste", "ref", ref="post"),
            opt("domaine", "ref", ref="domain"),
            opt("montant_prevu", "money"),
            opt("montant_notifie", "money"),
            opt("montant_verse", "money"),
            opt("commentaire", "text"),
            opt("motif_derogation", "text"),
        ),
        ("convention", "levier", "annee", "financeur", "beneficiaire", "equipement", "action", "poste"),
    ),
    # The steering cycle (format v2), last: a meeting closed by the file freezes what the plan
    # above shows at its date. A meeting is known by its number in its convention (1, 2, 3… in
    # the order meetings were recorded), a decision by its number in its meeting.
    Sheet(
        "reunions",
        (
            CONVENTION,
            req("numero", "int"),
            req("type", "choice", choices=tuple(MeetingKind)),
            opt("theme", "text"),
            req("date", "date"),
            opt("lieu", "text"),
            opt("ordre_du_jour", "text"),
            opt("compte_rendu", "text"),
            opt("statut", "choice", choices=tuple(MeetingStatus)),  # empty: prevue
        ),
        ("convention", "numero"),
    ),
    Sheet(
        "participants",
        (
            CONVENTION,
            req("reunion", "int"),
            req("organisation", "ref", ref="organisation"),
            opt("personne", "text"),
            opt("presence", "choice", choices=tuple(Attendance)),  # empty: present
        ),
        # Two people may come for one organisation (the forms allow it): the person is in the key.
        ("convention", "reunion", "organisation", "personne"),
    ),
    Sheet(
        "decisions",
        (
            CONVENTION,
            req("reunion", "int"),
            req("numero", "int"),
            req("texte", "text"),
            opt("responsable", "ref", ref="organisation"),
            opt("echeance", "date"),
            opt("statut", "choice", choices=tuple(DecisionStatus)),  # empty: a_faire
            opt("actions", "list", ref="action"),
            opt("indicateurs", "list", ref="indicator"),
            opt("equipements", "list", ref="facility"),
        ),
        ("convention", "reunion", "numero"),
    ),
)

SHEETS_BY_NAME = {sheet.name: sheet for sheet in SHEETS}
