"""Which model each sheet fills and which attribute each column sets: what the loader writes,
and the database column type a cell must fit before it is written."""

from functools import cache
from typing import Any

from sqlalchemy import Table, inspect
from sqlalchemy.types import TypeEngine
from sqlmodel import SQLModel

from ctg_data import models as m

# Which model each sheet fills, and which attribute each column sets.
TARGETS: dict[str, tuple[type[SQLModel], dict[str, str]]] = {
    "domaines": (m.Domain, {"code": "code", "libelle": "label"}),
    "types_organisation": (m.OrganisationKind, {"code": "code", "libelle": "label"}),
    "types_equipement": (m.FacilityKind, {"code": "code", "libelle": "label", "bonus": "bonus"}),
    "leviers": (m.FundingLever, {"code": "code", "libelle": "label"}),
    "organisations": (m.Organisation, {"code": "code", "nom": "name", "type": "type"}),
    "communes": (
        m.Commune,
        {
            "code_insee": "insee_code",
            "nom": "name",
            "population": "population",
            "enfants_moins_3_ans": "children_under_3",
            "qpv": "qpv",
        },
    ),
    "conventions": (
        m.Convention,
        {
            "code": "code",
            "nom": "name",
            "territoire": "territory",
            "departement": "department",
            "caf": "caf_id",
            "date_signature": "signed_on",
            "date_debut": "starts_on",
            "date_fin": "ends_on",
        },
    ),
    "avenants": (
        m.Amendment,
        {
            "convention": "convention_id",
            "numero": "number",
            "date_signature": "signed_on",
            "objet": "subject",
            "date_fin": "ends_on",
        },
    ),
    "signataires": (
        m.Signatory,
        {
            "convention": "convention_id",
            "organisation": "organisation_id",
            "representant": "representative",
            "qualite": "capacity",
        },
    ),
    "perimetre": (m.Perimeter, {"convention": "convention_id", "code_insee": "insee_code"}),
    "orientations": (
        m.Orientation,
        {
            "convention": "convention_id",
            "code": "code",
            "parent": "parent_id",
            "domaine": "domain_code",
            "intitule": "title",
        },
    ),
    "actions": (
        m.Action,
        {
            "convention": "convention_id",
            "code": "code",
            "intitule": "title",
            "domaine": "domain_code",
            "orientation": "orientation_id",
            "pilote": "pilot_id",
            "public_cible": "target_public",
            "statut": "status",
            "priorite": "priority",
            "date_debut": "starts_on",
            "date_fin": "ends_on",
            "avancement": "progress",
            "poids": "weight",
            "budget_prevu": "planned_budget",
            "description": "description",
        },
    ),
    "indicateurs": (
        m.Indicator,
        {
            "convention": "convention_id",
            "code": "code",
            "nom": "name",
            "domaine": "domain_code",
            "action": "action_id",
            "unite": "unit",
            "sens": "direction",
            "nature": "nature",
            "etapes": "steps",
            "valeur_reference": "baseline_value",
            "date_reference": "baseline_date",
            "source_reference": "baseline_source",
            "valeur_cible": "target_value",
            "date_cible": "target_date",
            "frequence": "frequency",
            "min": "min_value",
            "max": "max_value",
        },
    ),
    "cibles": (m.IndicatorTarget, {"indicateur": "indicator_id", "date": "target_on", "valeur": "value"}),
    "mesures": (
        m.Measurement,
        {
            "indicateur": "indicator_id",
            "date": "measured_on",
            "valeur": "value",
            "type": "type",
            "code_insee": "insee_code",
            "source": "source",
            "commentaire": "comment",
        },
    ),
    "equipements": (
        m.Facility,
        {
            "convention": "convention_id",
            "code": "code",
            "nom": "name",
            "type": "type",
            "code_insee": "insee_code",
            "gestionnaire": "manager_id",
            "places": "places",
            "places_nouvelles": "new_places",
            "date_places_nouvelles": "new_places_from",
            "psu": "psu",
            "classe_territoire": "territory_class",
            "date_ouverture": "opens_on",
            "date_fermeture": "closes_on",
        },
    ),
    "activite": (
        m.FacilityActivity,
        {
            "equipement": "facility_id",
            "annee": "year",
            "places": "places",
            "places_nouvelles": "new_places",
            "heures_realisees": "hours_delivered",
            "heures_facturees": "hours_billed",
            "etp": "fte",
        },
    ),
    "bareme": (
        m.RateRow,
        {
            "annee": "year",
            "levier": "lever_code",
            "type_equipement": "facility_type",
            "classe_territoire": "territory_class",
            "categorie_place": "place_category",
            "portee": "scope",
            "taux_plancher": "rate_floor",
            "base": "basis",
            "montant": "amount",
            "plancher": "floor",
            "plafond": "cap",
            "source": "source",
        },
    ),
    "postes": (
        m.CoordinationPost,
        {
            "convention": "convention_id",
            "code": "code",
            "intitule": "title",
            "employeur": "employer_id",
            "etp": "fte",
            "date_debut": "starts_on",
            "date_fin": "ends_on",
            "cout_annuel": "annual_cost",
        },
    ),
    "financements": (
        m.FundingLine,
        {
            "convention": "convention_id",
            "levier": "lever_code",
            "annee": "year",
            "financeur": "funder_id",
            "beneficiaire": "beneficiary_id",
            "equipement": "facility_id",
            "action": "action_id",
            "poste": "post_id",
            "domaine": "domain_code",
            "montant_prevu": "planned",
            "montant_notifie": "notified",
            "montant_verse": "paid",
            "commentaire": "comment",
        },
    ),
    # A meeting's and a decision's number is their rank (interchange/meetings.py), not a column.
    "reunions": (
        m.Meeting,
        {
            "convention": "convention_id",
            "type": "kind",
            "theme": "theme",
            "date": "held_on",
            "lieu": "place",
            "ordre_du_jour": "agenda",
            "compte_rendu": "minutes",
            "statut": "status",
        },
    ),
    "participants": (
        m.MeetingParticipant,
        {"organisation": "organisation_id", "personne": "person", "presence": "attendance"},
    ),
    "decisions": (
        m.Decision,
        {"texte": "text", "responsable": "owner_id", "echeance": "due_on", "statut": "status"},
    ),
}


@cache  # asked for every cell of a file
def column_type(sheet: str, column: str) -> TypeEngine[Any] | None:
    """The SQLAlchemy type of the column a cell is written to, or None (codes of other rows,
    lists of links: what they name is checked, not the text)."""
    model, columns = TARGETS[sheet]
    attribute = columns.get(column)
    if attribute is None:
        return None
    table: Table = inspect(model).local_table
    return table.c[attribute].type
