"""Loading interchange tables into the store: validate everything, then write in one
transaction, or write nothing.

Rows are matched on their FORMAT.md key: a new key creates, a known key updates only what
differs, an identical row changes nothing (so loading the same file twice is a no-op).
Measurements are never overwritten: a different value for the same key supersedes the old one.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel import Session, SQLModel, select

from ctg_data import models as m
from ctg_data import validation
from ctg_data.audit import audit, snapshot
from ctg_data.interchange.resolver import LABELS, Resolver
from ctg_data.interchange.sheets import SHEETS, SHEETS_BY_NAME
from ctg_data.interchange.tables import LoadError, Table
from ctg_data.interchange.typing import type_rows

# Which model each sheet fills, and which attribute each column sets.
TARGETS: dict[str, tuple[type[SQLModel], dict[str, str]]] = {
    "organisations": (m.Organisation, {"code": "code", "nom": "name", "type": "type"}),
    "communes": (m.Commune, {"code_insee": "insee_code", "nom": "name", "population": "population",
                             "enfants_moins_3_ans": "children_under_3", "qpv": "qpv"}),
    "conventions": (m.Convention, {"code": "code", "nom": "name", "territoire": "territory",
                                   "date_signature": "signed_on", "date_debut": "starts_on",
                                   "date_fin": "ends_on"}),
    "signataires": (m.Signatory, {"convention": "convention_id", "organisation": "organisation_id",
                                  "representant": "representative", "qualite": "capacity"}),
    "perimetre": (m.Perimeter, {"convention": "convention_id", "code_insee": "insee_code"}),
    "orientations": (m.Orientation, {"convention": "convention_id", "code": "code",
                                     "domaine": "domain_code", "intitule": "title"}),
    "actions": (m.Action, {"convention": "convention_id", "code": "code", "intitule": "title",
                           "domaine": "domain_code", "orientation": "orientation_id",
                           "pilote": "pilot_id", "public_cible": "target_public", "statut": "status",
                           "priorite": "priority", "date_debut": "starts_on", "date_fin": "ends_on",
                           "avancement": "progress", "poids": "weight",
                           "budget_prevu": "planned_budget", "description": "description"}),
    "indicateurs": (m.Indicator, {"convention": "convention_id", "code": "code", "nom": "name",
                                  "domaine": "domain_code", "action": "action_id", "unite": "unit",
                                  "sens": "direction", "valeur_reference": "baseline_value",
                                  "date_reference": "baseline_date",
                                  "source_reference": "baseline_source",
                                  "valeur_cible": "target_value", "date_cible": "target_date",
                                  "frequence": "frequency", "min": "min_value", "max": "max_value"}),
    "mesures": (m.Measurement, {"indicateur": "indicator_id", "date": "measured_on", "valeur": "value",
                                "type": "type", "source": "source", "commentaire": "comment"}),
    "equipements": (m.Facility, {"convention": "convention_id", "code": "code", "nom": "name",
                                 "type": "type", "code_insee": "insee_code",
                                 "gestionnaire": "manager_id", "places": "places", "psu": "psu",
                                 "classe_territoire": "territory_class",
                                 "date_ouverture": "opens_on", "date_fermeture": "closes_on"}),
    "activite": (m.FacilityActivity, {"equipement": "facility_id", "annee": "year",
                                      "places": "places", "heures_realisees": "hours_delivered",
                                      "heures_facturees": "hours_billed", "etp": "fte"}),
    "bareme": (m.RateRow, {"annee": "year", "levier": "lever_code", "type_equipement": "facility_type",
                           "classe_territoire": "territory_class", "base": "basis", "montant": "amount",
                           "plancher": "floor", "plafond": "cap", "source": "source"}),
    "postes": (m.CoordinationPost, {"convention": "convention_id", "code": "code",
                                    "intitule": "title", "employeur": "employer_id", "etp": "fte",
                                    "date_debut": "starts_on", "date_fin": "ends_on",
                                    "cout_annuel": "annual_cost"}),
    "financements": (m.FundingLine, {"convention": "convention_id", "levier": "lever_code",
                                     "annee": "year", "financeur": "funder_id",
                                     "beneficiaire": "beneficiary_id", "equipement": "facility_id",
                                     "action": "action_id", "poste": "post_id", "domaine": "domain_code",
                                     "montant_prevu": "planned", "montant_notifie": "notified",
                                     "montant_verse": "paid", "commentaire": "comment"}),
}
# Columns stored as '' rather than NULL when blank (part of a key, see models.RateRow).
EMPTY_AS_BLANK = {"type_equipement", "classe_territoire"}
# The code a created row is known by in later sheets of the same import.
REMEMBERED = {"conventions": "convention", "organisations": "organisation", "communes": "commune",
              "orientations": "orientation", "actions": "action", "indicateurs": "indicator",
              "equipements": "facility", "postes": "post"}
ACTION_LINKS = {"partenaires": (m.ActionPartner, "organisation_id"),
                "communes": (m.ActionCommune, "insee_code")}


@dataclass
class LoadReport:
    counts: dict[str, Counter] = field(default_factory=dict)
    errors: list[LoadError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, sheet: str, outcome: str) -> None:
        self.counts.setdefault(sheet, Counter())[outcome] += 1

    @property
    def changed(self) -> bool:
        return any(c["created"] or c["updated"] or c["corrected"] for c in self.counts.values())


def load_tables(session: Session, tables: list[Table], *, actor: str) -> LoadReport:
    """Validate and apply; the caller commits only when the report is ok."""
    report = LoadReport()
    typed = {}
    for table in tables:
        rows, errors = type_rows(table)
        typed[table.sheet] = (table, rows)
        report.errors += errors
    if report.errors:
        return report
    loader = _Loader(session, actor, report)
    for sheet in SHEETS:
        if sheet.name in typed:
            table, rows = typed[sheet.name]
            for line, row in rows:
                loader.apply(table, line, row)
    session.flush()
    return report


class _Loader:
    def __init__(self, session: Session, actor: str, report: LoadReport):
        self.session, self.actor, self.report = session, actor, report
        self.resolver = Resolver(session)
        self.now = datetime.now(UTC)
        self.indicator_bounds: dict[int, tuple] = {}

    def error(self, table: Table, line: int, column: str | None, message: str) -> None:
        self.report.errors.append(LoadError(table.where, line, column, message))

    def apply(self, table: Table, line: int, row: dict) -> None:
        values = self.resolve(table, line, row)
        if values is None:
            return
        if table.sheet == "mesures":
            self.apply_measurement(table, line, values)
            return
        model, columns = TARGETS[table.sheet]
        key = {columns[name]: values[columns[name]] for name in SHEETS_BY_NAME[table.sheet].key
               if name in columns}
        record = self.session.exec(select(model).filter_by(**key)).first()
        links = self.action_links(row) if table.sheet == "actions" else {}
        if record is None:
            record = model(**values)
            self.session.add(record)
            self.session.flush()
            self.set_links(record, links, {name: [] for name in links})
            audit(self.session, actor=self.actor, operation="import:création", record=record,
                  before=None, after=snapshot(record) | links)
            self.report.count(table.sheet, "created")
        else:
            current_links = self.current_links(record, links)
            changed = {name: value for name, value in values.items() if getattr(record, name) != value}
            if not changed and current_links == links:
                self.report.count(table.sheet, "unchanged")
                return
            before = snapshot(record) | current_links
            for name, value in changed.items():
                setattr(record, name, value)
            self.set_links(record, links, current_links)
            if hasattr(record, "version"):
                record.version += 1
            if hasattr(record, "updated_at"):
                record.updated_at = self.now
            self.session.flush()
            audit(self.session, actor=self.actor, operation="import:modification", record=record,
                  before=before, after=snapshot(record) | links)
            self.report.count(table.sheet, "updated")
        if table.sheet in REMEMBERED:
            kind = REMEMBERED[table.sheet]
            code = row.get("code") or row.get("code_insee")
            value = record.insee_code if kind == "commune" else record.id
            self.resolver.remember(kind, code, value, getattr(record, "convention_id", None))

    def resolve(self, table: Table, line: int, row: dict) -> dict | None:
        """Typed row → model attributes, with every code replaced by the id it names."""
        sheet = SHEETS_BY_NAME[table.sheet]
        _, columns = TARGETS[table.sheet]
        convention_id = None
        if "convention" in row:
            convention_id = self.resolver.lookup("convention", row["convention"])
            if convention_id is None:
                self.error(table, line, "convention", f"convention « {row['convention']} » inconnue")
                return None
        values, ok = {}, True
        for name, value in row.items():
            column = sheet.column(name)
            if column.kind == "ref" and value is not None and name != "convention":
                resolved = self.resolver.lookup(column.ref, value, convention_id)
                if resolved is None:
                    self.error(table, line, name, f"code « {value} » inconnu ({LABELS[column.ref]})")
                    ok = False
                value = resolved
            elif column.kind == "list":
                for code in value or []:
                    if self.resolver.lookup(column.ref, code, convention_id) is None:
                        self.error(table, line, name, f"code « {code} » inconnu ({LABELS[column.ref]})")
                        ok = False
            if name == "convention":
                value = convention_id
            if name in EMPTY_AS_BLANK and value is None:
                value = ""
            if name in columns:
                values[columns[name]] = value
        return values if ok else None

    # ------------------------------------------------------------ action partners and communes

    def action_links(self, row: dict) -> dict[str, list]:
        links = {}
        for name, (_, attribute) in ACTION_LINKS.items():
            if name in row:
                codes = row[name] or []
                ids = [code if attribute == "insee_code" else self.resolver.lookup("organisation", code)
                       for code in codes]
                links[name] = sorted(set(ids))
        return links

    def current_links(self, action: m.Action, wanted: dict) -> dict[str, list]:
        current = {}
        for name in wanted:
            model, attribute = ACTION_LINKS[name]
            column = getattr(model, attribute)
            current[name] = sorted(self.session.exec(
                select(column).where(model.action_id == action.id)).all())
        return current

    def set_links(self, action: m.Action, wanted: dict, current: dict) -> None:
        for name, ids in wanted.items():
            model, attribute = ACTION_LINKS[name]
            for gone in set(current[name]) - set(ids):
                self.session.delete(self.session.get(model, (action.id, gone)))
            for new in set(ids) - set(current[name]):
                self.session.add(model(action_id=action.id, **{attribute: new}))

    # ------------------------------------------------------------ measurements

    def apply_measurement(self, table: Table, line: int, values: dict) -> None:
        low, high, unit = self.bounds(values["indicator_id"])
        value = values["value"]
        broken = validation.indicator_value(value, low=low, high=high, unit=unit)
        if broken:
            self.error(table, line, "valeur", broken)
            return
        current = self.session.exec(select(m.Measurement).where(
            m.Measurement.indicator_id == values["indicator_id"],
            m.Measurement.measured_on == values["measured_on"],
            m.Measurement.type == values["type"],
            m.Measurement.superseded_at.is_(None),
        )).first()
        if current is not None and current.value == value:
            self.report.count(table.sheet, "unchanged")
            return
        if current is not None:
            current.superseded_at = self.now
            self.session.flush()  # frees the "one current value" slot before the new row
        new = m.Measurement(**values, recorded_by=self.actor, recorded_at=self.now)
        self.session.add(new)
        self.session.flush()
        if current is not None:
            before = snapshot(current)
            current.superseded_by_id = new.id
            audit(self.session, actor=self.actor, operation="import:correction", record=current,
                  before=before, after=snapshot(current))
        audit(self.session, actor=self.actor, operation="import:création", record=new,
              before=None, after=snapshot(new))
        self.report.count(table.sheet, "corrected" if current is not None else "created")

    def bounds(self, indicator_id: int) -> tuple:
        if indicator_id not in self.indicator_bounds:
            indicator = self.session.get(m.Indicator, indicator_id)
            self.indicator_bounds[indicator_id] = (indicator.min_value, indicator.max_value, indicator.unit)
        return self.indicator_bounds[indicator_id]


def load_folder(folder, *, actor: str, engine=None, dry_run: bool = False) -> LoadReport:
    """Load a FORMAT.md folder of CSV files in one transaction (rolled back on any error, or
    always with dry_run). Raises FormatError when the files themselves are malformed."""
    from ctg_data.db import get_engine
    from ctg_data.interchange.tables import read_csv_folder

    tables = read_csv_folder(folder)
    with Session(engine or get_engine()) as session:
        report = load_tables(session, tables, actor=actor)
        if report.ok and not dry_run:
            session.commit()
        else:
            session.rollback()
    return report
