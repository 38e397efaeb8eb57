"""The sheets of docs/format.md: their fixed column names, what each column holds, and keys.

This table is the single description of the format; the loader, the Excel template and the
export all read it, so a column cannot exist in one and not the others.
"""

from dataclasses import dataclass

from ctg_data.vocabulary import (
    PLACE_CATEGORIES,
    ActionStatus,
    Direction,
    FacilityType,
    Frequency,
    MeasurementType,
    OrganisationType,
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

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


def req(name: str, kind: str, *, choices: tuple[str, ...] = (), ref: str | None = None) -> Column:
    return Column(name, kind, required=True, choices=choices, ref=ref)


def opt(name: str, kind: str, *, choices: tuple[str, ...] = (), ref: str | None = None) -> Column:
    return Column(name, kind, choices=choices, ref=ref)


CONVENTION = req("convention", "ref", ref="convention")

SHEETS = (
    Sheet(
        "organisations",
        (req("code", "code"), req("nom", "text"), req("type", "choice", choices=tuple(OrganisationType))),
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
        ),
        ("code_insee",),
    ),
    Sheet(
        "conventions",
        (
            req("code", "code"),
            req("nom", "text"),
            opt("territoire", "text"),
            opt("caf", "ref", ref="organisation"),
            opt("date_signature", "date"),
            req("date_debut", "date"),
            req("date_fin", "date"),
        ),
        ("code",),
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
        (CONVENTION, req("code", "code"), req("domaine", "ref", ref="domain"), req("intitule", "text")),
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
            req("pilote", "ref", ref="organisation"),
            opt("partenaires", "list", ref="organisation"),
            opt("public_cible", "text"),
            opt("communes", "list", ref="commune"),
            req("statut", "choice", choices=tuple(ActionStatus)),
            opt("priorite", "int"),
            opt("date_debut", "date"),
            opt("date_fin", "date"),
            opt("avancement", "int"),
            opt("poids", "decimal"),
            opt("budget_prevu", "money"),
            opt("description", "text"),
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
        "mesures",
        (
            CONVENTION,
            req("indicateur", "ref", ref="indicator"),
            req("date", "date"),
            req("valeur", "float"),
            opt("type", "choice", choices=tuple(MeasurementType)),
            opt("source", "text"),
            opt("commentaire", "text"),
            opt("motif_derogation", "text"),
        ),
        ("convention", "indicateur", "date", "type"),
    ),
    Sheet(
        "equipements",
        (
            CONVENTION,
            req("code", "code"),
            req("nom", "text"),
            req("type", "choice", choices=tuple(FacilityType)),
            req("code_insee", "ref", ref="commune"),
            req("gestionnaire", "ref", ref="organisation"),
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
            opt("type_equipement", "choice", choices=tuple(FacilityType)),
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
        ),
        ("convention", "levier", "annee", "financeur", "beneficiaire", "equipement", "action", "poste"),
    ),
)

SHEETS_BY_NAME = {sheet.name: sheet for sheet in SHEETS}
