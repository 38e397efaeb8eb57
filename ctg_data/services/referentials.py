"""Referentials (Administration > Référentiels): the plan's actions, indicators, facilities,
orientations and barème rows, created, edited and deleted one record at a time.

Values are named as the interchange format names its columns (docs/format.md: `intitule`, `pilote`,
`budget_prevu`…) and point at other items by their codes, so that a record typed in a form obeys
exactly the rules of one row of an imported file: the same cell parsers and row rules
(ctg_data.interchange), the same code lookups. Values may be typed Python values or text
(French "1 234,56" included). Errors are keyed by the field's French label.

An edit sends back the row the form was opened from (`open_record`) with its version: if
someone saved the record meanwhile, ConflictError lists what they changed and nothing is written.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias, cast

from sqlalchemy import Column as TableColumn
from sqlalchemy import Engine, func, inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped
from sqlalchemy.sql.base import ReadOnlyColumnCollection
from sqlmodel import Session, SQLModel, col, select
from sqlmodel.sql.expression import Select

from ctg_data import models as m
from ctg_data import validation as v
from ctg_data.actors import Actor
from ctg_data.audit import snapshot
from ctg_data.db import session_scope
from ctg_data.errors import ValidationError
from ctg_data.interchange.form_rules import steps_change
from ctg_data.interchange.loader import EMPTY_AS_BLANK, TARGETS
from ctg_data.interchange.resolver import LABELS as REFERENCE_LABELS
from ctg_data.interchange.resolver import Resolver
from ctg_data.interchange.sheets import SHEETS_BY_NAME, Column
from ctg_data.interchange.typing import (
    DEFAULTS,
    PLAUSIBLE_PARSERS,
    ROW_RULES,
    STEP_VALUES,
    VALUE_COLUMNS,
    number_or_step,
    parse_cell,
    step_attributes,
)
from ctg_data.models import utcnow
from ctg_data.perimeter import outside_perimeter
from ctg_data.permissions import require_write_rates, require_write_referentials
from ctg_data.queries import referentials
from ctg_data.rules.indicators import step_code, steps_of
from ctg_data.rules.plan import orientation_problem
from ctg_data.services.common import CREATED, DELETED, UPDATED
from ctg_data.store import (
    ACTION_LINKS,
    LEAD_LISTS,
    current_links,
    load_for_update,
    refuse_if_stale,
    remove,
    save,
    save_action,
)
from ctg_data.vocabulary import FACILITY_TYPE_LABELS, IndicatorNature

FIELD_LABELS = {
    "code": "Code",
    "intitule": "Intitulé",
    "nom": "Nom",
    "domaine": "Domaine",
    "parent": "Orientation parente",
    "orientation": "Orientation",
    "pilote": "Pilote",
    "partenaires": "Partenaires",
    "public_cible": "Public cible",
    "communes": "Communes",
    "statut": "Statut",
    "priorite": "Priorité",
    "date_debut": "Date de début",
    "date_fin": "Date de fin",
    "avancement": "Avancement",
    "poids": "Poids",
    "budget_prevu": "Budget prévu (€)",
    "description": "Description",
    "action": "Action liée",
    "unite": "Unité",
    "sens": "Sens",
    "nature": "Nature",
    "etapes": "Étapes (codes dans l'ordre, séparés par « ; »)",
    "valeur_reference": "Valeur de référence",
    "date_reference": "Date de référence",
    "source_reference": "Source de la référence",
    "valeur_cible": "Valeur cible",
    "date_cible": "Date cible",
    "frequence": "Fréquence",
    "min": "Minimum",
    "max": "Maximum",
    "type": "Type",
    "code_insee": "Commune",
    "gestionnaire": "Gestionnaire",
    "places": "Places",
    "psu": "PSU",
    "classe_territoire": "Classe de territoire",
    "date_ouverture": "Date d'ouverture",
    "date_fermeture": "Date de fermeture",
    "annee": "Année",
    "levier": "Levier",
    "type_equipement": "Type d'équipement",
    "base": "Base",
    "montant": "Montant",
    "plancher": "Plancher (€)",
    "plafond": "Plafond (€)",
    "source": "Source",
}
RECORD = "Enregistrement"  # the error key of what concerns the record as a whole
# The models edited here (Kind.model).
Referential: TypeAlias = m.Action | m.Indicator | m.Facility | m.Orientation | m.RateRow


class _Coded(Protocol):
    code: str


REFERENCE_MODELS: dict[str, type[_Coded]] = {
    "organisation": m.Organisation,
    "orientation": m.Orientation,
    "action": m.Action,
    "facility": m.Facility,
    "post": m.CoordinationPost,
}


@dataclass(frozen=True)
class Kind:
    sheet: str  # docs/format.md sheet, whose columns name the values
    noun: str  # "de l'action": how messages name one record
    permission: Callable[[Actor], None]
    scoped: bool = True  # belongs to a convention, its code unique there

    @property
    def model(self) -> type[Referential]:
        # TARGETS types every model as SQLModel; the sheets of KINDS fill the Referential ones.
        return cast("type[Referential]", TARGETS[self.sheet][0])

    @property
    def columns(self) -> tuple[Column, ...]:
        # `motif_derogation` is no value of the record: the reason of a change, kept in its history.
        return tuple(c for c in SHEETS_BY_NAME[self.sheet].columns if c.name not in ("convention", "motif_derogation"))

    def attribute(self, column: str) -> str:
        return TARGETS[self.sheet][1][column]


ACTIONS = Kind("actions", "de l'action", require_write_referentials)
INDICATORS = Kind("indicateurs", "de l'indicateur", require_write_referentials)
FACILITIES = Kind("equipements", "de l'équipement", require_write_referentials)
ORIENTATIONS = Kind("orientations", "de l'orientation", require_write_referentials)
RATES = Kind("bareme", "de la ligne du barème", require_write_rates, scoped=False)
KINDS = {kind.sheet: kind for kind in (ACTIONS, INDICATORS, FACILITIES, ORIENTATIONS, RATES)}
# What refuses a hard delete: the rows that would go with the record or point at it.
DEPENDENTS: dict[str, tuple[tuple[type[SQLModel], Mapped[Any], str], ...]] = {
    "indicateurs": ((m.Measurement, col(m.Measurement.indicator_id), "mesure(s)"),),
    "equipements": (
        (m.FacilityActivity, col(m.FacilityActivity.facility_id), "année(s) d'activité"),
        (m.FundingLine, col(m.FundingLine.facility_id), "ligne(s) de financement"),
    ),
    "orientations": ((m.Action, col(m.Action.orientation_id), "action(s) (supprimées comprises)"),),
}


def label(column: str) -> str:
    return FIELD_LABELS.get(column, column)


def _columns(model: type[SQLModel]) -> ReadOnlyColumnCollection[str, TableColumn[Any]]:
    """The columns of a model chosen at run time, by attribute name (SQLModel's typing has no
    `__table__`)."""
    columns: ReadOnlyColumnCollection[str, TableColumn[Any]] = inspect(model).columns
    return columns


@dataclass(frozen=True)
class Opened:
    """What an edit form is built from and sends back: the record's values when it was read."""

    id: int
    version: int
    values: dict[str, Any]


# ------------------------------------------------------------------ reading for the forms


def open_record(engine: Engine, sheet: str, record_id: int) -> Opened | None:
    """The record's current values (docs/format.md names, codes for references) and version."""
    kind = KINDS[sheet]
    with Session(engine) as session:
        # Session.get types a record of a union of models as SQLModel.
        record = cast("Referential | None", session.get(kind.model, record_id))
        if record is None or getattr(record, "deleted_at", None) is not None:
            return None
        return Opened(m.stored_id(record), record.version, _current_row(session, kind, record))


def list_records(engine: Engine, sheet: str, convention_id: int | None) -> list[dict[str, Any]]:
    """The records a selector offers: id and a readable label, deleted actions left out."""
    kind = KINDS[sheet]
    with Session(engine) as session:
        if not kind.scoped:  # the barème, the only kind outside a convention
            levers = referentials.labels(referentials.levers(engine))
            types = referentials.labels(referentials.facility_types(engine))
            rate = m.RateRow
            rows = session.exec(
                select(rate).order_by(
                    col(rate.year).desc(), col(rate.lever_code), col(rate.facility_type), col(rate.territory_class)
                )
            ).all()
            return [
                {
                    "id": r.id,
                    "label": _rate_key_text(
                        r.year, levers.get(r.lever_code, r.lever_code), r.facility_type, r.territory_class, types
                    ),
                }
                for r in rows
            ]
        columns = _columns(kind.model)
        title = columns["name"] if sheet in {"indicateurs", "equipements"} else columns["title"]
        query = select(columns["id"], columns["code"], title).where(columns["convention_id"] == convention_id)
        if sheet == "actions":
            query = query.where(columns["deleted_at"].is_(None))
        return [
            {"id": i, "label": f"{code} — {text}"} for i, code, text in session.exec(query.order_by(columns["code"]))
        ]


def form_choices(engine: Engine, convention_id: int) -> dict[str, dict[str, str]]:
    """Codes a form may pick, with their names: organisations, communes, and this convention's
    orientations and (not deleted) actions."""
    with Session(engine) as session:

        def pairs(query: Select[str, str]) -> dict[str, str]:
            return dict(session.exec(query).all())

        return {
            "nature": IndicatorNature.labels(),  # the indicator form's choice (number or steps)
            "organisation": pairs(
                select(col(m.Organisation.code), col(m.Organisation.name)).order_by(col(m.Organisation.name))
            ),
            "commune": pairs(select(col(m.Commune.insee_code), col(m.Commune.name)).order_by(col(m.Commune.name))),
            "orientation": pairs(
                select(col(m.Orientation.code), col(m.Orientation.title))
                .where(col(m.Orientation.convention_id) == convention_id)
                .order_by(col(m.Orientation.code))
            ),
            "action": pairs(
                select(col(m.Action.code), col(m.Action.title))
                .where(col(m.Action.convention_id) == convention_id, col(m.Action.deleted_at).is_(None))
                .order_by(col(m.Action.code))
            ),
        }


def _current_row(session: Session, kind: Kind, record: Referential) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column in kind.columns:
        if column.kind == "list":
            row[column.name] = _link_codes(session, record, column.name)
            continue
        value = getattr(record, kind.attribute(column.name))
        if column.kind == "ref" and value is not None and column.ref in REFERENCE_MODELS:
            value = session.get_one(REFERENCE_MODELS[column.ref], value).code
        if column.name in EMPTY_AS_BLANK and value == "":
            value = None
        row[column.name] = value
    steps = steps_of(row.get("nature"), row.get("etapes")) if kind is INDICATORS else None
    for name in STEP_VALUES:  # a step indicator's are shown as the step codes the form takes
        if steps and row[name] is not None:
            row[name] = step_code(steps, row[name])
    return row


def _link_codes(session: Session, record: Referential, name: str) -> list[str]:
    """The codes of a list column: partners, communes (sorted), or `pilote` / `gestionnaire`
    (the lead's code, then the co-pilots' or co-managers' in their order)."""
    if name in LEAD_LISTS and isinstance(record, m.Action | m.Facility):
        lead = record.pilot_id if isinstance(record, m.Action) else record.manager_id
        others = current_links(session, record.id, [LEAD_LISTS[name]], type(record))[LEAD_LISTS[name]]
        named = select(col(m.Organisation.id), col(m.Organisation.code))
        codes = dict(session.exec(named.where(col(m.Organisation.id).in_([lead, *others]))).all())
        return [codes[organisation_id] for organisation_id in (lead, *others)]
    link, attribute = ACTION_LINKS[name]
    columns = _columns(link)
    action_id = m.stored_id(record)
    if attribute == "insee_code":
        query = select(columns["insee_code"]).where(columns["action_id"] == action_id)
    else:
        query = (
            select(col(m.Organisation.code))
            .join(link, columns["organisation_id"] == m.Organisation.id)
            .where(columns["action_id"] == action_id)
        )
    return sorted(session.exec(query).all())


def record_warnings(engine: Engine, sheet: str, record_id: int) -> list[str]:
    """What a saved record is accepted with but worth saying (French sentences, shown by the form
    after a save): a facility outside its convention's perimeter (an intercommunal syndicate's
    may be)."""
    if sheet != "equipements":
        return []
    with Session(engine) as session:
        facility = session.get(m.Facility, record_id)
        if facility is None:
            return []
        warning = outside_perimeter(session, facility.convention_id, facility.code, facility.insee_code)
        return [warning] if warning else []


# ------------------------------------------------------------------ validation

# The shared validation layer's parsers where it has one for a kind of cell (they add the
# database's limits to the import's parsers); the import's own for the others.
# A parsed value's type depends on the column's kind: Any.
PARSERS: dict[str, Callable[[object], Any]] = {"int": v.integer, "float": v.number, "money": v.money, "date": v.day}


def _parser(kind: Kind, column: Column) -> Callable[[object], Any]:
    if (kind.sheet, column.name) in VALUE_COLUMNS:  # a step indicator's reference and target are step codes
        return number_or_step
    if (kind.sheet, column.name) in PLAUSIBLE_PARSERS:  # a facility's places: rules.plausibility
        return PLAUSIBLE_PARSERS[(kind.sheet, column.name)]
    return PARSERS.get(column.kind) or (lambda raw: parse_cell(column, raw))


def _typed_row(kind: Kind, given: dict[str, Any], check: v.Check) -> dict[str, Any]:
    """Parse every value, then apply the import's row rules to the typed row."""
    row: dict[str, Any] = {}
    for column in kind.columns:
        raw = given.get(column.name)
        if column.kind == "list" and isinstance(raw, list | tuple | set):
            raw = ";".join(str(item) for item in raw)
        value = check.parse(label(column.name), raw, _parser(kind, column), required=column.required)
        if column.kind == "list":  # `pilote` / `gestionnaire` keep their order: the first leads
            value = list(value or []) if column.name in LEAD_LISTS else sorted(set(value or []))
        row[column.name] = value
    for name, default in DEFAULTS.get(kind.sheet, {}).items():
        if row.get(name) is None:
            row[name] = default
    if not check.errors:
        for rule in ROW_RULES.get(kind.sheet, ()):
            broken = rule(row)
            if broken:
                check.add(label(broken[0]), broken[1])
    return row


def _resolved(
    session: Session, kind: Kind, row: dict[str, Any], convention_id: int | None, check: v.Check
) -> dict[str, Any]:
    """Model attributes of a typed row, every code replaced by what it names."""
    resolver = Resolver(session)
    values: dict[str, Any] = {}
    for column in kind.columns:
        value = row[column.name]
        if column.ref is not None:  # a `ref` or `list` column: codes to look up
            codes = value if column.kind == "list" else [] if value is None else [value]
            for code in codes:
                found = resolver.lookup(column.ref, code, convention_id)
                check.add(
                    label(column.name),
                    None if found is not None else f"code « {code} » inconnu ({REFERENCE_LABELS[column.ref]})",
                )
                if found is not None and column.ref == "action" and session.get_one(m.Action, found).deleted_at:
                    check.add(label(column.name), f"l'action « {code} » a été supprimée")
            if column.kind == "list" and column.name not in LEAD_LISTS:
                continue
            if column.kind == "list":  # the lead pilot, the main manager: the record's own
                value = value[0] if value else None
            if value is not None:
                value = resolver.lookup(column.ref, value, convention_id)
        if column.name in EMPTY_AS_BLANK and value is None:
            value = ""
        values[kind.attribute(column.name)] = value
    return values


def _fits(kind: Kind, values: dict[str, Any], check: v.Check) -> None:
    """What the database column cannot hold as given: text length, digits, decimals."""
    columns = {kind.attribute(c.name): c.name for c in kind.columns if c.kind != "list"}
    table_columns = _columns(kind.model)
    for attribute, value in values.items():
        if attribute not in columns:  # the lead of a list: an organisation's id
            continue
        check.add(label(columns[attribute]), v.fits(table_columns[attribute].type, value))


def _duplicate(
    session: Session,
    kind: Kind,
    values: dict[str, Any],
    convention_id: int | None,
    record_id: int | None,
    check: v.Check,
) -> None:
    columns = _columns(kind.model)
    if kind.scoped:
        query = select(columns["id"]).where(
            columns["convention_id"] == convention_id, columns["code"] == values["code"]
        )
        field, message = label("code"), f"le code « {values['code']} » existe déjà dans cette convention"
    else:  # the barème, the only kind outside a convention
        rate = m.RateRow
        query = select(col(rate.id)).where(
            col(rate.year) == values["year"],
            col(rate.lever_code) == values["lever_code"],
            col(rate.facility_type) == values["facility_type"],
            col(rate.territory_class) == values["territory_class"],
        )
        field, message = (
            label("annee"),
            "une ligne du barème existe déjà pour "
            + _rate_key_text(values["year"], values["lever_code"], values["facility_type"], values["territory_class"]),
        )
    if record_id is not None:
        query = query.where(columns["id"] != record_id)
    found = session.exec(query).first()
    if found is not None:
        deleted = kind is ACTIONS and session.get_one(m.Action, found).deleted_at is not None
        check.add(field, message + (" (action supprimée)" if deleted else ""))


def _rate_key_text(
    year: int, lever: str, facility_type: str | None, territory_class: str | None, types: dict[str, str] | None = None
) -> str:
    """`types`: the facility types' labels (queries.referentials); without, their defaults."""
    kind = (types or FACILITY_TYPE_LABELS).get(facility_type, facility_type) if facility_type else "tout type"
    return f"{year} · {lever} · {kind} · " + (f"classe {territory_class}" if territory_class else "toute classe")


def _action_rules(
    convention: m.Convention, row: dict[str, Any], before: dict[str, Any] | None, reason: str | None, check: v.Check
) -> None:
    """The follow-up forms' rules: dates within the convention unless a reason is given (a date
    the record already held is not questioned again), and a réalisée action at 100 %."""
    for name in ("date_debut", "date_fin"):
        day = row.get(name)
        if day is not None and (before is None or before.get(name) != day):
            check.add(label(name), v.date_in_convention(day, convention.starts_on, convention.ends_on, reason))
    check.add(label("avancement"), v.done_means_complete(row["statut"], row["avancement"]))


def _plan_rules(
    session: Session, convention_id: int, record_id: int | None, attributes: dict[str, Any], check: v.Check
) -> None:
    """The import's rule on the plan's shape (rules.plan): the convention's orientations with
    this one as it would be saved (its code and parent), checked for depth and cycles."""
    stored = session.exec(
        select(col(m.Orientation.id), col(m.Orientation.code), col(m.Orientation.parent_id)).where(
            col(m.Orientation.convention_id) == convention_id
        )
    ).all()
    codes = {orientation_id: code for orientation_id, code, _ in stored}
    parent_ids = {orientation_id: parent_id for orientation_id, _, parent_id in stored}
    key = -1 if record_id is None else record_id  # a new orientation has no id yet
    codes[key], parent_ids[key] = attributes["code"], attributes["parent_id"]
    plan = {codes[i]: None if parent is None else codes[parent] for i, parent in parent_ids.items()}
    check.add(label("parent"), orientation_problem(attributes["code"], plan))


def _validated(
    session: Session,
    kind: Kind,
    values: dict[str, Any],
    *,
    convention: m.Convention | None,
    before: dict[str, Any] | None,
    record_id: int | None,
    reason: str | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(typed row, model attributes), or ValidationError naming every bad field."""
    check = v.Check()
    for name in sorted(set(values) - {column.name for column in kind.columns}):
        check.add(name, "champ inconnu")
    check.done()
    row = _typed_row(kind, (before or {}) | values, check)
    check.done()
    convention_id = convention.id if convention else None
    attributes = _resolved(session, kind, row, convention_id, check)
    if not check.errors:  # a step indicator's values are stored as step positions
        attributes |= {kind.attribute(name): value for name, value in step_attributes(row).items()}
    _fits(kind, attributes, check)
    if not check.errors:
        _duplicate(session, kind, attributes, convention_id, record_id, check)
    if kind is ACTIONS and convention is not None:  # (actions always have one)
        _action_rules(convention, row, before, reason, check)
    if kind is ORIENTATIONS and convention is not None and not check.errors:
        _plan_rules(session, m.stored_id(convention), record_id, attributes, check)
    check.done()
    return row, attributes


# ------------------------------------------------------------------ writing


def _clean_reason(reason: str | None) -> str | None:
    return reason.strip() if reason and reason.strip() else None


def _convention(session: Session, convention_id: int | None) -> m.Convention:
    convention = session.get(m.Convention, convention_id)
    if convention is None:
        raise ValidationError({"Convention": f"convention n° {convention_id} introuvable"})
    return convention


def _link_ids(session: Session, row: dict[str, Any]) -> dict[str, list[Any]]:
    """An action's partners as organisation ids, communes as INSEE codes and co-pilots as ids in
    their order, or a facility's co-managers: as the import audits them."""
    resolver = Resolver(session)
    if "gestionnaire" in row:  # a facility
        return {"cogestionnaires": [resolver.lookup("organisation", code) for code in row["gestionnaire"][1:]]}
    return {
        "partenaires": sorted(resolver.lookup("organisation", code) for code in row["partenaires"]),
        "communes": sorted(row["communes"]),
        "copilotes": [resolver.lookup("organisation", code) for code in row["pilote"][1:]],
    }


def _what(kind: Kind) -> str:
    return f"L'enregistrement {kind.noun}"  # ConflictError says "a été modifié"


def _refuse_stale(
    session: Session, kind: Kind, record: Referential, expected_version: int, opened: dict[str, Any] | None
) -> None:
    """refuse_if_stale, with the changes told in the form's own terms (fields, codes)."""
    if record.version == expected_version:
        return
    current = _current_row(session, kind, record)
    refuse_if_stale(
        session,
        record,
        expected_version,
        opened,
        f"{_what(kind)} « {_display_key(kind, current)} »",
        shown=current,
        label=label,
    )


def _display_key(kind: Kind, row: dict[str, Any]) -> str:
    if kind.scoped:
        return row["code"]
    return _rate_key_text(row["annee"], row["levier"], row["type_equipement"], row["classe_territoire"])


def _load(session: Session, kind: Kind, record_id: int) -> Referential:
    record = load_for_update(session, kind.model, record_id, RECORD, f"enregistrement {kind.noun}")
    if getattr(record, "deleted_at", None) is not None:
        raise ValidationError({RECORD: f"l'enregistrement {kind.noun} n° {record_id} a été supprimé"})
    return record


def _refused_by_database(kind: Kind) -> ValidationError:
    return ValidationError(
        {
            RECORD: f"la base de données a refusé l'enregistrement {kind.noun} "
            "(un autre enregistrement identique vient sans doute d'être créé) : "
            "rien n'a été enregistré"
        }
    )


def create(
    engine: Engine,
    actor: Actor,
    sheet: str,
    *,
    convention_id: int | None = None,
    values: dict[str, Any],
    override_reason: str | None = None,
) -> int:
    try:
        with session_scope(engine) as session:
            return create_in(
                session, actor, sheet, convention_id=convention_id, values=values, override_reason=override_reason
            )
    except IntegrityError:
        raise _refused_by_database(KINDS[sheet]) from None


def _history_reason(reason: str | None, history_reason: str | None) -> str | None:
    """What the history keeps: why the plan changed (a meeting's decision) and the derogation's
    reason, if any — only the latter lets a date leave the convention."""
    return "; dérogation : ".join(r for r in (history_reason, reason) if r) or None


def create_in(
    session: Session,
    actor: Actor,
    sheet: str,
    *,
    convention_id: int | None = None,
    values: dict[str, Any],
    override_reason: str | None = None,
    history_reason: str | None = None,
) -> int:
    """`create` inside the caller's transaction: for a writer that records more in the same unit
    of work (a meeting's decision applied to the plan, services.meetings)."""
    kind, reason = KINDS[sheet], _clean_reason(override_reason)
    kept = _history_reason(reason, _clean_reason(history_reason))
    kind.permission(actor)
    convention = _convention(session, convention_id) if kind.scoped else None
    row, attributes = _validated(
        session, kind, values, convention=convention, before=None, record_id=None, reason=reason
    )
    scope: dict[str, Any] = {} if convention is None else {"convention_id": convention.id}
    record = kind.model(**attributes, **scope)
    if isinstance(record, m.Action | m.Facility):  # with its links
        save_action(
            session,
            actor,
            record,
            before=None,
            links_before=current_links(session, None, model=type(record)),
            links=_link_ids(session, row),
            operation=CREATED,
            reason=kept,
        )
    else:
        save(session, actor, record, before=None, operation=CREATED, reason=kept)
    return m.stored_id(record)


def update(
    engine: Engine,
    actor: Actor,
    sheet: str,
    record_id: int,
    *,
    expected_version: int,
    opened: dict[str, Any] | None = None,
    values: dict[str, Any],
    override_reason: str | None = None,
) -> list[str]:
    """Apply `values` (the fields given; the others keep their stored value). Returns the labels
    of the fields that changed: none means nothing was written."""
    try:
        with session_scope(engine) as session:
            return update_in(
                session,
                actor,
                sheet,
                record_id,
                expected_version=expected_version,
                opened=opened,
                values=values,
                override_reason=override_reason,
            )
    except IntegrityError:
        raise _refused_by_database(KINDS[sheet]) from None


def update_in(
    session: Session,
    actor: Actor,
    sheet: str,
    record_id: int,
    *,
    expected_version: int,
    opened: dict[str, Any] | None = None,
    values: dict[str, Any],
    override_reason: str | None = None,
    history_reason: str | None = None,
) -> list[str]:
    """`update` inside the caller's transaction (see `create_in`)."""
    kind, reason = KINDS[sheet], _clean_reason(override_reason)
    kept = _history_reason(reason, _clean_reason(history_reason))
    kind.permission(actor)
    record = _load(session, kind, record_id)
    _refuse_stale(session, kind, record, expected_version, opened)
    current = _current_row(session, kind, record)
    convention = (
        None
        if isinstance(record, m.RateRow)  # the barème belongs to no convention
        else session.get_one(m.Convention, record.convention_id)
    )
    row, attributes = _validated(
        session, kind, values, convention=convention, before=current, record_id=record.id, reason=reason
    )
    changed = [label(name) for name in row if row[name] != current[name]]
    if not changed:
        return []
    if isinstance(record, m.Indicator):  # its stored values are positions of its steps
        refusal = steps_change(session, record, attributes["nature"], attributes["steps"])
        if refusal:
            raise ValidationError({label("etapes"): refusal})
    before = snapshot(record)
    for attribute, value in attributes.items():
        setattr(record, attribute, value)
    if isinstance(record, m.Action | m.Facility):  # with its links
        save_action(
            session,
            actor,
            record,
            before=before,
            links_before=current_links(session, record.id, model=type(record)),
            links=_link_ids(session, row),
            operation=UPDATED,
            reason=kept,
            what=_what(kind),
        )
    else:
        save(session, actor, record, before=before, operation=UPDATED, reason=kept, what=_what(kind))
    return changed


def delete(
    engine: Engine,
    actor: Actor,
    sheet: str,
    record_id: int,
    *,
    expected_version: int,
    opened: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """An action is only marked deleted (its history stays); other records are removed, and
    refused while measurements, activity, funding or actions depend on them."""
    kind, reason = KINDS[sheet], _clean_reason(reason)
    with session_scope(engine) as session:
        kind.permission(actor)
        record = _load(session, kind, record_id)
        _refuse_stale(session, kind, record, expected_version, opened)
        before = snapshot(record)
        if isinstance(record, m.Action):
            record.deleted_at = utcnow()
            save(session, actor, record, before=before, operation=DELETED, reason=reason, what=_what(kind))
            return
        used: list[str] = []
        for model, column, what in DEPENDENTS.get(sheet, ()):
            count = session.exec(select(func.count()).select_from(model).where(column == record.id)).one()
            if count:
                used.append(f"{count} {what}")
        if used:
            raise ValidationError(
                {RECORD: "suppression impossible, des données y sont rattachées : " + ", ".join(used)}
            )
        remove(session, actor, record, operation=DELETED, reason=reason, what=_what(kind), before=before)
