"""The "Historique" of a record, read from the audit trail: who changed what, when, and why,
each change written "champ : avant → après" with French field labels and values.

An action's history includes its notes, an indicator's its measurements, a facility's its
yearly activity rows: what a person thinks of as "this record".
"""

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Engine, and_, inspect, or_, select
from sqlmodel import col

from ctg_data import formats as fmt
from ctg_data import models as m
from ctg_data.actors import ROLE_LABELS
from ctg_data.queries import referentials
from ctg_data.rules.indicators import step_label, steps_of
from ctg_data.vocabulary import ActionStatus, Direction, MeasurementType

COLUMNS = ["Date", "Par", "Opération", "Élément", "Modifications", "Motif"]

Record = type[m.Action] | type[m.Indicator] | type[m.Facility] | type[m.FundingLine]
Child = type[m.ActionNote] | type[m.Measurement] | type[m.FacilityActivity]

# kind in the URL → (model, French name, child table and its link column)
OBJECTS: dict[str, tuple[Record, str, Child | None, str | None]] = {
    "action": (m.Action, "Action", m.ActionNote, "action_id"),
    "indicateur": (m.Indicator, "Indicateur", m.Measurement, "indicator_id"),
    "equipement": (m.Facility, "Équipement", m.FacilityActivity, "facility_id"),
    "financement": (m.FundingLine, "Ligne de financement", None, None),
}

LABELS = {
    "actions": {
        "code": "Code",
        "title": "Intitulé",
        "domain_code": "Domaine",
        "orientation_id": "Orientation (n°)",
        "pilot_id": "Pilote",
        "target_public": "Public cible",
        "status": "Statut",
        "priority": "Priorité",
        "starts_on": "Date de début",
        "ends_on": "Date de fin",
        "progress": "Avancement",
        "weight": "Poids",
        "planned_budget": "Budget prévu",
        "description": "Description",
        "deleted_at": "Supprimée le",
        "partenaires": "Partenaires",
        "communes": "Communes",
        "copilotes": "Copilotes",
    },
    "action_notes": {"noted_on": "Date de la note", "text": "Note", "author": "Auteur"},
    "indicators": {
        "code": "Code",
        "name": "Nom",
        "domain_code": "Domaine",
        "action_id": "Action (n°)",
        "unit": "Unité",
        "direction": "Sens",
        "baseline_value": "Valeur de référence",
        "baseline_date": "Date de référence",
        "baseline_source": "Source de la référence",
        "target_value": "Valeur cible",
        "target_date": "Date cible",
        "frequency": "Fréquence",
        "min_value": "Minimum",
        "max_value": "Maximum",
        "nature": "Nature",
        "steps": "Étapes",
    },
    "measurements": {
        "measured_on": "Date",
        "value": "Valeur",
        "type": "Type",
        "insee_code": "Commune (INSEE)",
        "source": "Source",
        "comment": "Commentaire",
        "recorded_by": "Saisie par",
        "superseded_at": "Remplacée le",
        "superseded_by_id": "Remplacée par (mesure n°)",
        "validated_by": "Validée par",
        "validated_at": "Validée le",
    },
    "facilities": {
        "code": "Code",
        "name": "Nom",
        "type": "Type",
        "insee_code": "Commune (INSEE)",
        "manager_id": "Gestionnaire",
        "cogestionnaires": "Cogestionnaires",
        "places": "Places",
        "psu": "PSU",
        "territory_class": "Classe de territoire",
        "opens_on": "Ouverture",
        "closes_on": "Fermeture",
    },
    "facility_activity": {
        "year": "Année",
        "places": "Places",
        "hours_delivered": "Heures réalisées",
        "hours_billed": "Heures facturées",
        "fte": "ETP",
    },
    "funding_lines": {
        "lever_code": "Levier",
        "year": "Année",
        "funder_id": "Financeur",
        "beneficiary_id": "Bénéficiaire",
        "facility_id": "Équipement (n°)",
        "action_id": "Action (n°)",
        "post_id": "Poste (n°)",
        "domain_code": "Domaine",
        "planned": "Montant prévu",
        "notified": "Montant notifié",
        "paid": "Montant versé",
        "comment": "Commentaire",
    },
    # Accounts and access (the Journal's default view): everything audited but bookkeeping.
    "users": {
        "email": "Adresse e-mail",
        "display_name": "Nom",
        "role": "Rôle",
        "organisation_id": "Organisation",
        "must_change_password": "Mot de passe à changer",
        "password_set": "Mot de passe défini",
        "directory_sign_in": "Connexion par l'annuaire",
        "disabled_at": "Désactivé le",
        "locked_until": "Verrouillé jusqu'au",
    },
    "conventions": {
        "code": "Code",
        "name": "Nom",
        "territory": "Territoire",
        "department": "Département",
        "starts_on": "Date de début",
        "ends_on": "Date de fin",
        "restricted": "Réservée à ses membres",
    },
    "convention_members": {"convention": "Convention", "email": "Compte"},
}
# The usual columns of the tables LABELS does not list (referentials, the plan's other rows),
# so that their changes read as sentences too.
COMMON_LABELS = {
    "code": "Code",
    "name": "Nom",
    "label": "Libellé",
    "title": "Intitulé",
    "type": "Type",
    "insee_code": "Code INSEE",
    "domain_code": "Domaine",
    "position": "Rang",
    "number": "Numéro",
    "signed_on": "Signé le",
    "starts_on": "Date de début",
    "ends_on": "Date de fin",
    "bonus": "Bonus territoire",
    "year": "Année",
    "deleted_at": "Supprimé le",
}
# The tables of the database as a person names what they hold (Journal, Contrôles); sign-ins
# are not a table of the audit trail but come with it in the Journal as "connexions".
TABLE_NAMES = {
    "domains": "Domaines",
    "funding_levers": "Leviers de financement",
    "organisation_types": "Types d'organisation",
    "facility_types": "Types d'équipement",
    "conventions": "Conventions",
    "amendments": "Avenants",
    "organisations": "Organisations",
    "signatories": "Signataires",
    "communes": "Communes",
    "commune_figures": "Chiffres des communes",
    "perimeter": "Périmètres (communes des conventions)",
    "orientations": "Orientations",
    "actions": "Actions",
    "action_partners": "Partenaires des actions",
    "action_copilots": "Copilotes des actions",
    "action_communes": "Communes des actions",
    "action_notes": "Notes de suivi",
    "indicators": "Indicateurs",
    "indicator_targets": "Cibles intermédiaires",
    "measurements": "Mesures",
    "facilities": "Équipements",
    "facility_comanagers": "Cogestionnaires des équipements",
    "facility_activity": "Activité des équipements",
    "rate_rows": "Barème",
    "coordination_posts": "Postes de coordination",
    "funding_lines": "Lignes de financement",
    "audit_events": "Journal des modifications",
    "users": "Comptes",
    "convention_members": "Accès aux conventions",
    "sign_in_throttle": "Attentes après échecs de connexion",
    "sign_in_events": "Connexions",
    "web_sessions": "Sessions ouvertes",
    "app_secrets": "Clés de l'application",
    "meetings": "Réunions des comités",
    "meeting_participants": "Participants aux réunions",
    "decisions": "Décisions des comités",
    "decision_links": "Liens des décisions",
    "snapshots": "Chiffres présentés aux comités",
    "annual_reviews": "Bilans annuels",
    "domain_evaluations": "Évaluations par domaine",
    "connexions": "Connexions",
}
# One record of a table, for the tables element_label has no finer wording for.
RECORD_NAMES = {
    "domains": "Domaine",
    "funding_levers": "Levier",
    "organisation_types": "Type d'organisation",
    "facility_types": "Type d'équipement",
    "conventions": "Convention",
    "amendments": "Avenant",
    "organisations": "Organisation",
    "communes": "Commune",
    "orientations": "Orientation",
    "actions": "Action",
    "indicators": "Indicateur",
    "indicator_targets": "Cible intermédiaire",
    "facilities": "Équipement",
    "rate_rows": "Ligne du barème",
    "coordination_posts": "Poste de coordination",
    "users": "Compte",
    "meetings": "Réunion",
    "decisions": "Décision",
    "snapshots": "Chiffres présentés",
    "annual_reviews": "Bilan annuel",
    "domain_evaluations": "Évaluation d'un domaine",
}
ORGANISATION_FIELDS = {
    "pilot_id",
    "manager_id",
    "funder_id",
    "beneficiary_id",
    "partenaires",
    "copilotes",
    "cogestionnaires",
    "organisation_id",
}
MONEY_FIELDS = {"planned_budget", "planned", "notified", "paid"}
NUMBER_FIELDS = {
    "value",
    "places",
    "hours_delivered",
    "hours_billed",
    "fte",
    "weight",
    "baseline_value",
    "target_value",
    "min_value",
    "max_value",
}
VALUE_LABELS = {
    "status": ActionStatus.labels(),
    "type": MeasurementType.labels(),
    "direction": Direction.labels(),
    "role": {role.value: label for role, label in ROLE_LABELS.items()},
}
# Fields whose labels are referential data (queries.referentials), read with the history.
Labels = dict[str, dict[Any, str]]  # "table.column" or "column" → stored value → label


def referential_labels(engine: Engine) -> Labels:
    """The labels of the referentials a history names: domains, levers, facility and
    organisation types (a facility's "type" is a facility type, a measurement's its kind)."""
    return {
        "domain_code": referentials.labels(referentials.domains(engine)),
        "lever_code": referentials.labels(referentials.levers(engine)),
        "facilities.type": referentials.labels(referentials.facility_types(engine)),
        "organisations.type": referentials.labels(referentials.organisation_types(engine)),
    }


OPERATIONS = {"saisie": "Saisie", "import": "Import"}


def field_label(table: str, name: str) -> str:
    return LABELS.get(table, {}).get(name, name)


def format_value(
    table: str, name: str, value: Any, organisations: dict[int, str] | None = None, labels: Labels | None = None
) -> str:
    """A snapshot value (JSON-plain: ISO dates, Decimal as text) as a French reader expects it."""
    if value is None or value == "" or value == []:
        return fmt.DASH
    if name in ORGANISATION_FIELDS and organisations is not None:
        if isinstance(value, list):
            return ", ".join(organisations.get(v, str(v)) for v in value)
        return organisations.get(value, str(value))
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, bool):
        return "oui" if value else "non"
    named = (labels or {}).get(f"{table}.{name}") or (labels or {}).get(name) or VALUE_LABELS.get(name)
    if named is not None:
        return named.get(value, str(value))
    if name in MONEY_FIELDS:
        return fmt.money(Decimal(str(value)))
    if name == "progress":
        return f"{value}\u202f%"
    if name == "year":
        return str(value)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return fmt.short_date(datetime.fromisoformat(value).date())
    if isinstance(value, str) and "T" in value and value[:4].isdigit():
        return fmt.format_time(value)
    if name in NUMBER_FIELDS:
        return fmt.smart_number(Decimal(str(value)))
    return str(value)


def describe_changes(
    table: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    organisations: dict[int, str] | None = None,
    labels: Labels | None = None,
) -> list[str]:
    """ "Champ : avant → après" for every labelled field that differs (every filled one when created)."""
    before, after = before or {}, after or {}
    lines = []
    for name, label in LABELS.get(table, COMMON_LABELS).items():
        if name not in before and name not in after:
            continue
        old = format_value(table, name, before.get(name), organisations, labels)
        new = format_value(table, name, after.get(name), organisations, labels)
        if old != new:  # compared as shown: "40420" and "40420.00" are the same amount
            lines.append(f"{label} : {old} → {new}")
    return lines


def conflict_lines(engine: Engine, table: str, changes: list[tuple[str, object, object]]) -> list[str]:
    """A ConflictError's changes in French: "Statut : En cours → Réalisée" (when the form opened
    → as saved meanwhile), labelled fields only."""
    organisations, labels = organisation_names(engine), referential_labels(engine)
    return [
        f"{field_label(table, name)} : {format_value(table, name, opened, organisations, labels)} → "
        f"{format_value(table, name, current, organisations, labels)}"
        for name, opened, current in changes
        if name in LABELS.get(table, {})
    ]


def organisation_names(engine: Engine) -> dict[int, str]:
    with engine.connect() as connection:
        return {
            id_: name
            for id_, name in connection.execute(select(col(m.Organisation.id), col(m.Organisation.name)))
            if id_ is not None
        }


def find_record(engine: Engine, kind: str, key: str, convention_id: int) -> dict[str, Any] | None:
    """The record `?objet=kind&id=key` names in a convention: by code, or by number."""
    if kind not in OBJECTS or not key:
        return None
    model, name, *_ = OBJECTS[kind]
    # The table's columns by name: the kind, hence the model, is only known at run time.
    table = inspect(model).local_table
    clauses = [table.c.convention_id == convention_id]
    by_code = "code" in table.c
    with engine.connect() as connection:
        row = None
        if by_code:
            row = connection.execute(select(table).where(table.c.code == key, *clauses)).first()
        if row is None and str(key).isdigit():
            row = connection.execute(select(table).where(table.c.id == int(key), *clauses)).first()
    if row is None:
        return None
    record = dict(row._mapping)
    title = record.get("code") or f"n° {record['id']}"
    if kind == "financement":
        title = f"n° {record['id']} ({record['lever_code']}, {record['year']})"
    return {
        "id": record["id"],
        "kind": kind,
        "title": f"{name} {title}",
        "name": record.get("title") or record.get("name"),
    }


def history_frame(engine: Engine, kind: str, record_id: int) -> pd.DataFrame:
    """The audit events of a record and of its children, newest first."""
    model, _, child, link = OBJECTS[kind]
    table_name, record_key = col(m.AuditEvent.table_name), col(m.AuditEvent.record_key)
    with engine.connect() as connection:
        targets: list[ColumnElement[bool]] = [and_(table_name == model.__tablename__, record_key == str(record_id))]
        if child is not None and link is not None:
            child_ids = (
                connection.execute(select(col(child.id)).where(col(getattr(child, link)) == record_id)).scalars().all()
            )
            if child_ids:
                targets.append(and_(table_name == child.__tablename__, record_key.in_([str(i) for i in child_ids])))
        events = connection.execute(
            select(m.AuditEvent).where(or_(*targets)).order_by(col(m.AuditEvent.id).desc())
        ).all()
    organisations = organisation_names(engine) if events else {}
    labels = (referential_labels(engine) | _step_labels(engine, model, record_id)) if events else {}
    rows = []
    for event in events:
        before = json.loads(event.before) if event.before else None
        after = json.loads(event.after) if event.after else None
        rows.append(
            {
                "Date": fmt.format_time(event.at),
                "Par": event.actor,
                "Opération": operation_label(event.operation),
                "Élément": element_label(event.table_name, after or before or {}),
                "Modifications": " ; ".join(describe_changes(event.table_name, before, after, organisations, labels)),
                "Motif": event.reason or "",
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def _step_labels(engine: Engine, model: type, record_id: int) -> Labels:
    """A step indicator's stored positions read as its steps, in its history and its values'."""
    if model is not m.Indicator:
        return {}
    with engine.connect() as connection:
        nature, steps = connection.execute(
            select(col(m.Indicator.nature), col(m.Indicator.steps)).where(col(m.Indicator.id) == record_id)
        ).one()
    ordered = steps_of(nature, steps)
    if not ordered:
        return {}
    by_position = {float(position): step_label(code) for position, code in enumerate(ordered)}
    return {
        name: by_position for name in ("indicators.baseline_value", "indicators.target_value", "measurements.value")
    }


def operation_label(operation: str) -> str:
    origin, _, what = operation.partition(":")
    if not what:
        return OPERATIONS.get(origin, operation)
    return f"{OPERATIONS.get(origin, origin)} : {what}"


def element_label(table: str, values: dict[str, Any]) -> str:
    if table == "measurements":
        code = values.get("type")
        kind = None if code is None else VALUE_LABELS["type"].get(code, code)
        return (
            f"Mesure du {format_value(table, 'measured_on', values.get('measured_on'))} : "
            f"{format_value(table, 'value', values.get('value'))} ({kind})"
        )
    if table == "action_notes":
        return f"Note du {format_value(table, 'noted_on', values.get('noted_on'))}"
    if table == "facility_activity":
        return f"Activité {values.get('year')}"
    if table == "funding_lines":
        return f"Ligne de financement n° {values.get('id')}"
    if table == "users":
        return f"Compte {values.get('email', '')}".strip()
    if table == "convention_members":
        return f"Accès de {values.get('email', '?')} à la convention {values.get('convention', '?')}"
    name = values.get("code") or values.get("email") or values.get("name") or ""
    return f"{RECORD_NAMES.get(table, TABLE_NAMES.get(table, 'Enregistrement'))} {name}".strip()


def table_name(table: str) -> str:
    """A table as a person names what it holds: "actions" → "Actions"."""
    return TABLE_NAMES.get(table, table)


JOURNAL_COLUMNS = ["Date", "Par", "Opération", "Élément", "Modifications", "Motif"]
SIGN_INS = "connexions"  # accounts.journal's name for the sign-in events it adds to the audit trail


def journal_frame(engine: Engine, events: pd.DataFrame, operations: dict[str, str]) -> pd.DataFrame:
    """The Journal's rows in French: each event's record named ("Action PE-1.1", "Compte x@y")
    and its changes written "Statut : En cours → Réalisée", as in a record's history, instead
    of table names and JSON snapshots. `operations` names the account and access operations."""
    organisations = organisation_names(engine) if not events.empty else {}
    labels = referential_labels(engine) if not events.empty else {}
    rows = []
    for event in events.itertuples(index=False):
        reason = "" if pd.isna(event.reason) else str(event.reason)
        if event.table_name == SIGN_INS:  # its « after » is already a sentence (client, detail)
            element, changes = "Connexion", "" if pd.isna(event.after) else str(event.after)
        else:
            before = _snapshot(event.before)
            after = _snapshot(event.after)
            element = element_label(event.table_name, after or before or {})
            changes = " ; ".join(describe_changes(event.table_name, before, after, organisations, labels))
        rows.append(
            {
                "Date": fmt.format_time(event.at),  # in Paris time, as everywhere
                "Par": event.actor,
                "Opération": operations.get(event.operation) or operation_label(event.operation),
                "Élément": element,
                "Modifications": changes,
                "Motif": reason,
            }
        )
    return pd.DataFrame(rows, columns=JOURNAL_COLUMNS)


def _snapshot(stored: object) -> dict[str, Any] | None:
    if stored is None or (isinstance(stored, float) and pd.isna(stored)) or stored == "":
        return None
    value = json.loads(str(stored))
    return value if isinstance(value, dict) else None
