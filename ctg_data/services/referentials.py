"""Referentials (Administration > Référentiels): the plan's actions, indicators, facilities,
orientations and barème rows, created, edited and deleted one record at a time.

Values are named as the interchange format names its columns (FORMAT.md: `intitule`, `pilote`,
`budget_prevu`…) and point at other items by their codes, so that a record typed in a form obeys
exactly the rules of one row of an imported file: the same cell parsers and row rules
(ctg_data.interchange), the same code lookups. Values may be typed Python values or text
(French "1 234,56" included). Errors are keyed by the field's French label.

An edit sends back the row the form was opened from (`open_record`) with its version: if
someone saved the record meanwhile, ConflictError lists what they changed and nothing is written.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Numeric, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from ctg_data import models as m
from ctg_data import validation as v
from ctg_data.actors import Actor
from ctg_data.audit import audit, snapshot
from ctg_data.db import session_scope
from ctg_data.interchange.loader import ACTION_LINKS, EMPTY_AS_BLANK, TARGETS
from ctg_data.interchange.resolver import LABELS as REFERENCE_LABELS
from ctg_data.interchange.resolver import Resolver
from ctg_data.interchange.sheets import SHEETS_BY_NAME, Column
from ctg_data.interchange.typing import DEFAULTS, ROW_RULES, parse_cell
from ctg_data.models import utcnow
from ctg_data.permissions import require_write_rates, require_write_referentials
from ctg_data.services.base import ConflictError, ValidationError, check_version, conflict_if_stale, save
from ctg_data.services.common import CREATED, UPDATED, last_writer, load_for_update
from ctg_data.vocabulary import FACILITY_TYPE_LABELS, LEVERS

FIELD_LABELS = {
    "code": "Code", "intitule": "Intitulé", "nom": "Nom", "domaine": "Domaine",
    "orientation": "Orientation", "pilote": "Pilote", "partenaires": "Partenaires",
    "public_cible": "Public cible", "communes": "Communes", "statut": "Statut", "priorite": "Priorité",
    "date_debut": "Date de début", "date_fin": "Date de fin", "avancement": "Avancement",
    "poids": "Poids", "budget_prevu": "Budget prévu (€)", "description": "Description",
    "action": "Action liée", "unite": "Unité", "sens": "Sens", "valeur_reference": "Valeur de référence",
    "date_reference": "Date de référence", "source_reference": "Source de la référence",
    "valeur_cible": "Valeur cible", "date_cible": "Date cible", "frequence": "Fréquence",
    "min": "Minimum", "max": "Maximum", "type": "Type", "code_insee": "Commune",
    "gestionnaire": "Gestionnaire", "places": "Places", "psu": "PSU",
    "classe_territoire": "Classe de territoire", "date_ouverture": "Date d'ouverture",
    "date_fermeture": "Date de fermeture", "annee": "Année", "levier": "Levier",
    "type_equipement": "Type d'équipement", "base": "Base", "montant": "Montant",
    "plancher": "Plancher (€)", "plafond": "Plafond (€)", "source": "Source",
}
RECORD = "Enregistrement"  # the error key of what concerns the record as a whole
DELETED = "saisie:suppression"  # beside services.common's CREATED and UPDATED
REFERENCE_MODELS = {"organisation": m.Organisation, "orientation": m.Orientation, "action": m.Action,
                    "facility": m.Facility, "post": m.CoordinationPost}


@dataclass(frozen=True)
class Kind:
    sheet: str  # FORMAT.md sheet, whose columns name the values
    noun: str  # "de l'action": how messages name one record
    permission: Callable[[Actor], None]
    scoped: bool = True  # belongs to a convention, its code unique there

    @property
    def model(self) -> type[SQLModel]:
        return TARGETS[self.sheet][0]

    @property
    def columns(self) -> tuple[Column, ...]:
        return tuple(c for c in SHEETS_BY_NAME[self.sheet].columns if c.name != "convention")

    def attribute(self, column: str) -> str:
        return TARGETS[self.sheet][1][column]


ACTIONS = Kind("actions", "de l'action", require_write_referentials)
INDICATORS = Kind("indicateurs", "de l'indicateur", require_write_referentials)
FACILITIES = Kind("equipements", "de l'équipement", require_write_referentials)
ORIENTATIONS = Kind("orientations", "de l'orientation", require_write_referentials)
RATES = Kind("bareme", "de la ligne du barème", require_write_rates, scoped=False)
KINDS = {kind.sheet: kind for kind in (ACTIONS, INDICATORS, FACILITIES, ORIENTATIONS, RATES)}
# What refuses a hard delete: the rows that would go with the record or point at it.
DEPENDENTS = {
    "indicateurs": ((m.Measurement, m.Measurement.indicator_id, "mesure(s)"),),
    "equipements": ((m.FacilityActivity, m.FacilityActivity.facility_id, "année(s) d'activité"),
                    (m.FundingLine, m.FundingLine.facility_id, "ligne(s) de financement")),
    "orientations": ((m.Action, m.Action.orientation_id, "action(s) (supprimées comprises)"),),
}


def label(column: str) -> str:
    return FIELD_LABELS.get(column, column)


@dataclass(frozen=True)
class Opened:
    """What an edit form is built from and sends back: the record's values when it was read."""

    id: int
    version: int
    values: dict


# ------------------------------------------------------------------ reading for the forms

def open_record(engine, sheet: str, record_id: int) -> Opened | None:
    """The record's current values (FORMAT.md names, codes for references) and version."""
    kind = KINDS[sheet]
    with Session(engine) as session:
        record = session.get(kind.model, record_id)
        if record is None or getattr(record, "deleted_at", None) is not None:
            return None
        return Opened(record.id, record.version, _current_row(session, kind, record))


def list_records(engine, sheet: str, convention_id: int | None) -> list[dict]:
    """The records a selector offers: id and a readable label, deleted actions left out."""
    kind = KINDS[sheet]
    model = kind.model
    with Session(engine) as session:
        if not kind.scoped:
            levers = {code: name for code, name, _ in LEVERS}
            rows = session.exec(select(model).order_by(model.year.desc(), model.lever_code,
                                                       model.facility_type, model.territory_class)).all()
            return [{"id": r.id, "label": _rate_key_text(r.year, levers.get(r.lever_code, r.lever_code),
                                                         r.facility_type, r.territory_class)} for r in rows]
        title = model.name if sheet in {"indicateurs", "equipements"} else model.title
        query = select(model.id, model.code, title).where(model.convention_id == convention_id)
        if sheet == "actions":
            query = query.where(model.deleted_at.is_(None))
        return [{"id": i, "label": f"{code} — {text}"} for i, code, text in session.exec(query.order_by(model.code))]


def form_choices(engine, convention_id: int) -> dict[str, dict[str, str]]:
    """Codes a form may pick, with their names: organisations, communes, and this convention's
    orientations and (not deleted) actions."""
    with Session(engine) as session:
        def pairs(query):
            return dict(session.exec(query).all())
        return {
            "organisation": pairs(select(m.Organisation.code, m.Organisation.name).order_by(m.Organisation.name)),
            "commune": pairs(select(m.Commune.insee_code, m.Commune.name).order_by(m.Commune.name)),
            "orientation": pairs(select(m.Orientation.code, m.Orientation.title)
                                 .where(m.Orientation.convention_id == convention_id).order_by(m.Orientation.code)),
            "action": pairs(select(m.Action.code, m.Action.title)
                            .where(m.Action.convention_id == convention_id, m.Action.deleted_at.is_(None))
                            .order_by(m.Action.code)),
        }


def _current_row(session: Session, kind: Kind, record: SQLModel) -> dict:
    row = {}
    for column in kind.columns:
        if column.kind == "list":
            row[column.name] = _link_codes(session, record.id, column.name)
            continue
        value = getattr(record, kind.attribute(column.name))
        if column.kind == "ref" and value is not None and column.ref in REFERENCE_MODELS:
            value = session.get(REFERENCE_MODELS[column.ref], value).code
        if column.name in EMPTY_AS_BLANK and value == "":
            value = None
        row[column.name] = value
    return row


def _link_codes(session: Session, action_id: int, name: str) -> list[str]:
    link, attribute = ACTION_LINKS[name]
    if attribute == "insee_code":
        query = select(link.insee_code).where(link.action_id == action_id)
    else:
        query = (select(m.Organisation.code).join(link, link.organisation_id == m.Organisation.id)
                 .where(link.action_id == action_id))
    return sorted(session.exec(query).all())


# ------------------------------------------------------------------ validation

# The shared validation layer's parsers where it has one for a kind of cell (they add the
# database's limits to the import's parsers); the import's own for the others.
PARSERS: dict[str, Callable] = {"int": v.integer, "float": v.number, "money": v.money, "date": v.day}


def _parser(column: Column) -> Callable:
    return PARSERS.get(column.kind) or (lambda raw: parse_cell(column, raw))


def _typed_row(kind: Kind, given: dict, check: v.Check) -> dict:
    """Parse every value, then apply the import's row rules to the typed row."""
    row = {}
    for column in kind.columns:
        raw = given.get(column.name)
        if column.kind == "list" and isinstance(raw, list | tuple | set):
            raw = ";".join(str(item) for item in raw)
        value = check.parse(label(column.name), raw, _parser(column), required=column.required)
        row[column.name] = sorted(set(value or [])) if column.kind == "list" else value
    for name, default in DEFAULTS.get(kind.sheet, {}).items():
        if row.get(name) is None:
            row[name] = default
    if not check.errors:
        for rule in ROW_RULES.get(kind.sheet, ()):
            broken = rule(row)
            if broken:
                check.add(label(broken[0]), broken[1])
    return row


def _resolved(session: Session, kind: Kind, row: dict, convention_id: int | None, check: v.Check) -> dict:
    """Model attributes of a typed row, every code replaced by what it names."""
    resolver, values = Resolver(session), {}
    for column in kind.columns:
        value = row[column.name]
        codes = value if column.kind == "list" else [value] if column.kind == "ref" and value is not None else []
        for code in codes:
            found = resolver.lookup(column.ref, code, convention_id)
            check.add(label(column.name), None if found is not None else
                      f"code « {code} » inconnu ({REFERENCE_LABELS[column.ref]})")
            if found is not None and column.ref == "action" and session.get(m.Action, found).deleted_at:
                check.add(label(column.name), f"l'action « {code} » a été supprimée")
        if column.kind == "list":
            continue
        if column.kind == "ref" and value is not None:
            value = resolver.lookup(column.ref, value, convention_id)
        if column.name in EMPTY_AS_BLANK and value is None:
            value = ""
        values[kind.attribute(column.name)] = value
    return values


def _fits(kind: Kind, values: dict, check: v.Check) -> None:
    """What the database column cannot hold as given: text length, digits, decimals."""
    columns = {kind.attribute(c.name): c.name for c in kind.columns if c.kind != "list"}
    for attribute, value in values.items():
        sql_type, name = kind.model.__table__.c[attribute].type, label(columns[attribute])
        length = getattr(sql_type, "length", None)  # AutoString is a TypeDecorator, not a String
        if isinstance(value, str) and length and len(value) > length:
            check.add(name, f"{length} caractères au plus ({len(value)} saisis)")
        elif isinstance(value, Decimal) and isinstance(sql_type, Numeric) and sql_type.precision:
            if abs(value) >= Decimal(10) ** (sql_type.precision - sql_type.scale):
                check.add(name, f"nombre « {value} » trop grand")
            elif value != value.quantize(Decimal(1).scaleb(-sql_type.scale)):
                check.add(name, f"« {value} » : {sql_type.scale} décimales au plus")


def _duplicate(session: Session, kind: Kind, values: dict, convention_id, record_id, check: v.Check) -> None:
    model = kind.model
    if kind.scoped:
        query = select(model.id).where(model.convention_id == convention_id, model.code == values["code"])
        field, message = label("code"), f"le code « {values['code']} » existe déjà dans cette convention"
    else:
        query = select(model.id).where(model.year == values["year"], model.lever_code == values["lever_code"],
                                       model.facility_type == values["facility_type"],
                                       model.territory_class == values["territory_class"])
        field, message = label("annee"), "une ligne du barème existe déjà pour " + _rate_key_text(
            values["year"], values["lever_code"], values["facility_type"], values["territory_class"])
    if record_id is not None:
        query = query.where(model.id != record_id)
    found = session.exec(query).first()
    if found is not None:
        deleted = kind is ACTIONS and session.get(m.Action, found).deleted_at is not None
        check.add(field, message + (" (action supprimée)" if deleted else ""))


def _rate_key_text(year, lever, facility_type, territory_class) -> str:
    kind = FACILITY_TYPE_LABELS.get(facility_type, facility_type) if facility_type else "tout type"
    return f"{year} · {lever} · {kind} · " + (f"classe {territory_class}" if territory_class else "toute classe")


def _action_rules(convention: m.Convention, row: dict, before: dict | None, reason: str | None,
                  check: v.Check) -> None:
    """The follow-up forms' rules: dates within the convention unless a reason is given (a date
    the record already held is not questioned again), and a réalisée action at 100 %."""
    for name in ("date_debut", "date_fin"):
        day = row.get(name)
        if day is not None and (before is None or before.get(name) != day):
            check.add(label(name), v.date_in_convention(day, convention.starts_on, convention.ends_on, reason))
    check.add(label("avancement"), v.done_means_complete(row["statut"], row["avancement"]))


def _validated(session: Session, kind: Kind, values: dict, *, convention: m.Convention | None,
               before: dict | None, record_id: int | None, reason: str | None) -> tuple[dict, dict]:
    """(typed row, model attributes), or ValidationError naming every bad field."""
    check = v.Check()
    for name in sorted(set(values) - {column.name for column in kind.columns}):
        check.add(name, "champ inconnu")
    check.done()
    row = _typed_row(kind, (before or {}) | values, check)
    check.done()
    convention_id = convention.id if convention else None
    attributes = _resolved(session, kind, row, convention_id, check)
    _fits(kind, attributes, check)
    if not check.errors:
        _duplicate(session, kind, attributes, convention_id, record_id, check)
    if kind is ACTIONS:
        _action_rules(convention, row, before, reason, check)
    check.done()
    return row, attributes


# ------------------------------------------------------------------ writing

def _clean_reason(reason: str | None) -> str | None:
    return reason.strip() if reason and reason.strip() else None


def _convention(session: Session, convention_id: int) -> m.Convention:
    convention = session.get(m.Convention, convention_id)
    if convention is None:
        raise ValidationError({"Convention": f"convention n° {convention_id} introuvable"})
    return convention


def _link_ids(session: Session, row: dict) -> dict[str, list]:
    """Partners as organisation ids and communes as INSEE codes, as the import audits them."""
    resolver = Resolver(session)
    return {"partenaires": sorted(resolver.lookup("organisation", code) for code in row["partenaires"]),
            "communes": sorted(row["communes"])}


def _current_link_ids(session: Session, action_id: int) -> dict[str, list]:
    current = {}
    for name, (link, attribute) in ACTION_LINKS.items():
        column = getattr(link, attribute)
        current[name] = sorted(session.exec(select(column).where(link.action_id == action_id)).all())
    return current


def _save_action(session: Session, actor: Actor, action: m.Action, *, before: dict | None,
                 links_before: dict, links: dict, operation: str, reason: str | None) -> None:
    """base.save for an action, with its partners and communes in the same audit event (as the
    import records them), so that one event tells the whole fiche before and after."""
    if before is not None:
        action.version += 1
    action.updated_at = utcnow()
    session.add(action)
    with conflict_if_stale(_what(ACTIONS)):
        session.flush()
    for name, wanted in links.items():
        link, attribute = ACTION_LINKS[name]
        for gone in set(links_before[name]) - set(wanted):
            session.delete(session.get(link, (action.id, gone)))
        for new in set(wanted) - set(links_before[name]):
            session.add(link(action_id=action.id, **{attribute: new}))
    session.flush()
    audit(session, actor=actor.label, operation=operation, record=action,
          before=None if before is None else before | links_before, after=snapshot(action) | links,
          reason=reason)


def _what(kind: Kind) -> str:
    return f"L'enregistrement {kind.noun}"  # ConflictError says "a été modifié"


def _refuse_stale(session: Session, kind: Kind, record: SQLModel, expected_version: int,
                  opened: dict | None) -> None:
    """check_version, with the changes told in the form's own terms (fields, codes)."""
    if record.version == expected_version:
        return
    try:
        check_version(record, expected_version, changed_by=last_writer(session, record))
    except ConflictError as conflict:
        current = _current_row(session, kind, record)
        conflict.record = f"{_what(kind)} « {_display_key(kind, current)} »"
        conflict.changes = [(label(name), opened.get(name), value) for name, value in current.items()
                            if opened is not None and name in opened and opened[name] != value]
        raise


def _display_key(kind: Kind, row: dict) -> str:
    if kind.scoped:
        return row["code"]
    return _rate_key_text(row["annee"], row["levier"], row["type_equipement"], row["classe_territoire"])


def _load(session: Session, kind: Kind, record_id: int) -> SQLModel:
    record = load_for_update(session, kind.model, record_id, RECORD, f"enregistrement {kind.noun}")
    if getattr(record, "deleted_at", None) is not None:
        raise ValidationError({RECORD: f"l'enregistrement {kind.noun} n° {record_id} a été supprimé"})
    return record


def _refused_by_database(kind: Kind) -> ValidationError:
    return ValidationError({RECORD: f"la base de données a refusé l'enregistrement {kind.noun} "
                                    "(un autre enregistrement identique vient sans doute d'être créé) : "
                                    "rien n'a été enregistré"})


def create(engine, actor: Actor, sheet: str, *, convention_id: int | None = None, values: dict,
           override_reason: str | None = None) -> int:
    kind, reason = KINDS[sheet], _clean_reason(override_reason)
    try:
        with session_scope(engine) as session:
            kind.permission(actor)
            convention = _convention(session, convention_id) if kind.scoped else None
            row, attributes = _validated(session, kind, values, convention=convention, before=None,
                                         record_id=None, reason=reason)
            record = kind.model(**attributes, **({"convention_id": convention.id} if kind.scoped else {}))
            if kind is ACTIONS:
                empty = {name: [] for name in ACTION_LINKS}
                _save_action(session, actor, record, before=None, links_before=empty,
                             links=_link_ids(session, row), operation=CREATED, reason=reason)
            else:
                save(session, actor, record, before=None, operation=CREATED, reason=reason)
            return record.id
    except IntegrityError:
        raise _refused_by_database(kind) from None


def update(engine, actor: Actor, sheet: str, record_id: int, *, expected_version: int,
           opened: dict | None = None, values: dict, override_reason: str | None = None) -> list[str]:
    """Apply `values` (the fields given; the others keep their stored value). Returns the labels
    of the fields that changed: none means nothing was written."""
    kind, reason = KINDS[sheet], _clean_reason(override_reason)
    try:
        with session_scope(engine) as session:
            kind.permission(actor)
            record = _load(session, kind, record_id)
            _refuse_stale(session, kind, record, expected_version, opened)
            current = _current_row(session, kind, record)
            convention = session.get(m.Convention, record.convention_id) if kind.scoped else None
            row, attributes = _validated(session, kind, values, convention=convention, before=current,
                                         record_id=record.id, reason=reason)
            changed = [label(name) for name in row if row[name] != current[name]]
            if not changed:
                return []
            before = snapshot(record)
            for attribute, value in attributes.items():
                setattr(record, attribute, value)
            if kind is ACTIONS:
                _save_action(session, actor, record, before=before,
                             links_before=_current_link_ids(session, record.id),
                             links=_link_ids(session, row), operation=UPDATED, reason=reason)
            else:
                save(session, actor, record, before=before, operation=UPDATED, reason=reason, what=_what(kind))
            return changed
    except IntegrityError:
        raise _refused_by_database(kind) from None


def delete(engine, actor: Actor, sheet: str, record_id: int, *, expected_version: int,
           opened: dict | None = None, reason: str | None = None) -> None:
    """An action is only marked deleted (its history stays); other records are removed, and
    refused while measurements, activity, funding or actions depend on them."""
    kind, reason = KINDS[sheet], _clean_reason(reason)
    with session_scope(engine) as session:
        kind.permission(actor)
        record = _load(session, kind, record_id)
        _refuse_stale(session, kind, record, expected_version, opened)
        before = snapshot(record)
        if kind is ACTIONS:
            record.deleted_at = utcnow()
            save(session, actor, record, before=before, operation=DELETED, reason=reason, what=_what(kind))
            return
        used = []
        for model, column, what in DEPENDENTS.get(sheet, ()):
            count = session.exec(select(func.count()).select_from(model).where(column == record.id)).one()
            if count:
                used.append(f"{count} {what}")
        if used:
            raise ValidationError({RECORD: "suppression impossible, des données y sont rattachées : "
                                           + ", ".join(used)})
        audit(session, actor=actor.label, operation=DELETED, record=record, before=before,
              after=None, reason=reason)
        session.delete(record)
        with conflict_if_stale(_what(kind)):
            session.flush()  # the DELETE carries the version read: a stale one deletes nothing


# ------------------------------------------------------------------ one name per command

def create_action(engine, actor, *, convention_id, values, override_reason=None) -> int:
    return create(engine, actor, "actions", convention_id=convention_id, values=values,
                  override_reason=override_reason)


def update_action(engine, actor, action_id, *, expected_version, opened=None, values,
                  override_reason=None) -> list[str]:
    return update(engine, actor, "actions", action_id, expected_version=expected_version, opened=opened,
                  values=values, override_reason=override_reason)


def delete_action(engine, actor, action_id, *, expected_version, opened=None, reason=None) -> None:
    delete(engine, actor, "actions", action_id, expected_version=expected_version, opened=opened,
           reason=reason)


def create_indicator(engine, actor, *, convention_id, values) -> int:
    return create(engine, actor, "indicateurs", convention_id=convention_id, values=values)


def update_indicator(engine, actor, indicator_id, *, expected_version, opened=None, values) -> list[str]:
    return update(engine, actor, "indicateurs", indicator_id, expected_version=expected_version,
                  opened=opened, values=values)


def delete_indicator(engine, actor, indicator_id, *, expected_version, opened=None) -> None:
    delete(engine, actor, "indicateurs", indicator_id, expected_version=expected_version, opened=opened)


def create_facility(engine, actor, *, convention_id, values) -> int:
    return create(engine, actor, "equipements", convention_id=convention_id, values=values)


def update_facility(engine, actor, facility_id, *, expected_version, opened=None, values) -> list[str]:
    return update(engine, actor, "equipements", facility_id, expected_version=expected_version,
                  opened=opened, values=values)


def delete_facility(engine, actor, facility_id, *, expected_version, opened=None) -> None:
    delete(engine, actor, "equipements", facility_id, expected_version=expected_version, opened=opened)


def create_orientation(engine, actor, *, convention_id, values) -> int:
    return create(engine, actor, "orientations", convention_id=convention_id, values=values)


def update_orientation(engine, actor, orientation_id, *, expected_version, opened=None, values) -> list[str]:
    return update(engine, actor, "orientations", orientation_id, expected_version=expected_version,
                  opened=opened, values=values)


def delete_orientation(engine, actor, orientation_id, *, expected_version, opened=None) -> None:
    delete(engine, actor, "orientations", orientation_id, expected_version=expected_version, opened=opened)


def create_rate_row(engine, actor, *, values) -> int:
    return create(engine, actor, "bareme", values=values)


def update_rate_row(engine, actor, rate_row_id, *, expected_version, opened=None, values) -> list[str]:
    return update(engine, actor, "bareme", rate_row_id, expected_version=expected_version, opened=opened,
                  values=values)


def delete_rate_row(engine, actor, rate_row_id, *, expected_version, opened=None) -> None:
    delete(engine, actor, "bareme", rate_row_id, expected_version=expected_version, opened=opened)
