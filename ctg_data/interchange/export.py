"""Conventions read back out of the store as docs/format.md rows: one list per sheet, values in
the sheet's column order, every reference written as the code it is known by.

What an export holds, so that importing it into an empty database gives the same data:
- every convention the actor may read, or one convention (`convention_code`);
- the organisations and communes: all of them, or for one convention those it cites
  (signatories, pilots, partners, managers, employers, funders, beneficiaries; perimeter,
  action communes, facility communes);
- the barème (shared by all conventions): all of it, or for one convention the rows of the
  years it runs (from the year it starts to the year it ends);
- measurements: the current values only; superseded values stay in the database's history;
- actions: live ones only (a deleted action is left out, and references to it are blank).
Rows are sorted by their docs/format.md key, so two exports of the same data are identical.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from typing import Any, TypeAlias, TypeVar

from sqlalchemy import ColumnElement, Engine, func
from sqlalchemy import select as select_columns  # sqlmodel's select is typed for four columns at most
from sqlalchemy.orm import Mapped
from sqlmodel import Session, SQLModel, col, select

from ctg_data import models as m
from ctg_data.actors import COMMAND_LINE, Actor
from ctg_data.interchange.meetings import numbers
from ctg_data.interchange.resolver import Scoped
from ctg_data.interchange.shared import FIGURES
from ctg_data.interchange.sheets import SHEETS_BY_NAME
from ctg_data.interchange.workbook import referential_lists, write_workbook
from ctg_data.permissions import require_read_convention, visible_convention_ids
from ctg_data.rules.indicators import step_code, steps_of
from ctg_data.rules.plan import parents_first
from ctg_data.vocabulary import DEFAULT_OUTSIDE_BONUS, DOMAINS, LEVERS, FacilityType, OrganisationType

Row: TypeAlias = dict[str, object]  # column name → value, in the sheet's column order
Values: TypeAlias = tuple[object, ...]  # one row's values, in the sheet's column order
# Measurements are read from the database this many rows at a time while a file is written.
STREAM_BATCH = 10_000
# The records that belong to one convention.
_OfConvention = TypeVar(
    "_OfConvention", bound=m.Signatory | m.Perimeter | Scoped | m.FundingLine | m.Amendment | m.Meeting
)


class UnknownConvention(LookupError):
    def __init__(self, code: str, known: list[str]):
        super().__init__(
            f"Convention inconnue : « {code} » (conventions enregistrées : {', '.join(known) or 'aucune'})."
        )


class StreamedRows:
    """A sheet too long to hold in memory (the measurements of a national base): its row count,
    known beforehand, and its rows, read from the database in order each time it is iterated
    (while the session that made it is open)."""

    def __init__(self, count: int, rows: Callable[[], Iterator[Values]]):
        self.count, self.rows = count, rows

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Values]:
        return self.rows()


SheetRows: TypeAlias = list[Values] | StreamedRows


def export_workbook(engine: Engine, *, convention_code: str | None = None, actor: Actor = COMMAND_LINE) -> bytes:
    """The exchange workbook of one convention, or of everything the actor may read (a sheet
    beyond Excel's row limit: see interchange.export_files, which offers CSV files instead)."""
    with Session(engine) as session:
        sheets = export_sheets(session, convention_code=convention_code, actor=actor)
        return write_workbook(sheets, lists=referential_lists(engine))


def exportable_conventions(engine: Engine, actor: Actor) -> dict[str, str]:
    """Code → name of the conventions the actor may export (those they may read), in two
    queries whatever their number."""
    with Session(engine) as session:
        visible = visible_convention_ids(session, actor)
        every = session.exec(select(m.Convention).order_by(col(m.Convention.starts_on).desc(), col(m.Convention.code)))
        return {c.code: c.name for c in every if c.id in visible}


def export_rows(
    session: Session, *, convention_code: str | None = None, actor: Actor = COMMAND_LINE
) -> dict[str, list[Values]]:
    """Every sheet's rows, held in memory (a small export; files are written from export_sheets)."""
    sheets = export_sheets(session, convention_code=convention_code, actor=actor)
    return {name: list(rows) for name, rows in sheets.items()}


def export_sheets(
    session: Session, *, convention_code: str | None = None, actor: Actor = COMMAND_LINE
) -> dict[str, SheetRows]:
    """Every sheet's rows; the measurements streamed (StreamedRows), the other sheets in memory."""
    conventions = _conventions(session, convention_code, actor)
    return _Export(session, conventions, whole=convention_code is None).rows()


def _conventions(session: Session, code: str | None, actor: Actor) -> list[m.Convention]:
    if code is None:
        visible = visible_convention_ids(session, actor)
        every = session.exec(select(m.Convention).order_by(col(m.Convention.code))).all()
        return [c for c in every if c.id in visible]
    convention = session.exec(select(m.Convention).where(col(m.Convention.code) == code)).first()
    if convention is None:
        visible = visible_convention_ids(session, actor)
        known = session.exec(select(m.Convention).order_by(col(m.Convention.code)))
        raise UnknownConvention(code, [c.code for c in known if c.id in visible])
    require_read_convention(session, actor, m.stored_id(convention))
    return [convention]


def _empty(value: str | None) -> str | None:
    return None if value == "" else value


def _flag(value: bool | None) -> str | None:
    return None if value is None else ("oui" if value else "non")


def _listed(codes: Iterable[str]) -> str | None:
    return ";".join(sorted(codes)) or None


def _key_part(value: object) -> tuple[int, object]:
    return (0, "") if value is None else (1, value)


class _Export:
    def __init__(self, session: Session, conventions: list[m.Convention], *, whole: bool):
        self.session, self.conventions, self.whole = session, conventions, whole
        self.ids = [m.stored_id(c) for c in conventions]
        self.convention = {m.stored_id(c): c.code for c in conventions}
        self.organisation = dict(session.exec(select(col(m.Organisation.id), col(m.Organisation.code))).all())
        self.cited_organisations: set[int] = set()
        self.cited_communes: set[str] = set()

    def select(self, model: type[_OfConvention], *where: ColumnElement[bool]) -> Sequence[_OfConvention]:
        """Rows of `model` belonging to the exported conventions."""
        return self.session.exec(select(model).where(col(model.convention_id).in_(self.ids), *where)).all()

    def codes(self, model: type[Scoped], *where: ColumnElement[bool]) -> dict[int | None, str]:
        """Code by id (a blank reference, None, finds none): two columns, not whole records."""
        query = select(col(model.id), col(model.code)).where(col(model.convention_id).in_(self.ids), *where)
        return dict(self.session.exec(query).all())

    def org(self, organisation_id: int | None) -> str | None:
        return None if organisation_id is None else self.cite(organisation_id)

    def cite(self, organisation_id: int) -> str:
        self.cited_organisations.add(organisation_id)
        return self.organisation[organisation_id]

    def rows(self) -> dict[str, SheetRows]:
        self.orientation = self.codes(m.Orientation)
        self.action = self.codes(m.Action, col(m.Action.deleted_at).is_(None))
        self.indicator = self.codes(m.Indicator)
        self.facility = self.codes(m.Facility)
        self.post = self.codes(m.CoordinationPost)
        built: dict[str, list[Row] | StreamedRows] = {
            "conventions": self.conventions_sheet(),
            "avenants": self.amendments(),
            "signataires": self.signatories(),
            "perimetre": self.perimeter(),
            "orientations": self.orientations(),
            "actions": self.actions(),
            "indicateurs": self.indicators(),
            "cibles": self.targets(),
            "mesures": self.measurements(),
            "equipements": self.facilities(),
            "activite": self.activity(),
            "bareme": self.rates(),
            "postes": self.posts(),
            "financements": self.funding(),
            **self.meetings(),
        }
        built |= vocabulary_sheets(self.session)
        # Last: the sheets above record which organisations and communes they cite.
        built["organisations"] = self.organisations()
        built["communes"] = self.communes()
        return {name: _sorted(name, built[name]) for name in SHEETS_BY_NAME}

    def ordered_links(
        self, model: type[m.ActionCopilot | m.FacilityComanager], ids: list[int | None]
    ) -> defaultdict[int, list[int]]:
        """Co-pilots (or co-managers) of each record, in their order, in one query."""
        owner = col(m.ActionCopilot.action_id) if model is m.ActionCopilot else col(m.FacilityComanager.facility_id)
        found: defaultdict[int, list[int]] = defaultdict(list)
        query = select(owner, col(model.organisation_id)).where(owner.in_(ids)).order_by(owner, col(model.position))
        for record_id, organisation_id in self.session.exec(query):
            found[record_id].append(organisation_id)
        return found

    def lead_list(self, lead_id: int, others: list[int]) -> str:
        """`pilote` / `gestionnaire`: the lead's code, then the others' in their order."""
        return ";".join(self.cite(organisation_id) for organisation_id in (lead_id, *others))

    # ------------------------------------------------------------ one method per sheet

    def conventions_sheet(self) -> list[Row]:
        return [
            {
                "code": c.code,
                "nom": c.name,
                "territoire": _empty(c.territory),
                "departement": _empty(c.department),
                "caf": self.org(c.caf_id),
                "date_signature": c.signed_on,
                "date_debut": c.starts_on,
                # The current end, the latest avenant's: an empty database given this sheet and
                # the avenants has the same dates (services.amendments).
                "date_fin": c.ends_on,
            }
            for c in self.conventions
        ]

    def amendments(self) -> list[Row]:
        return [
            {
                "convention": self.convention[a.convention_id],
                "numero": a.number,
                "date_signature": a.signed_on,
                "objet": a.subject,
                "date_fin": a.ends_on,
            }
            for a in self.select(m.Amendment)
        ]

    def organisations(self) -> list[Row]:
        every = self.session.exec(select(m.Organisation)).all()
        return [
            {"code": o.code, "nom": o.name, "type": o.type}
            for o in every
            if self.whole or o.id in self.cited_organisations
        ]

    def communes(self) -> list[Row]:
        """One row per commune and year of figures (`annee_donnees`), and the undated row when the
        commune has undated figures (format v1) or no figures at all: every row names the commune."""
        communes = [
            c for c in self.session.exec(select(m.Commune)) if self.whole or c.insee_code in self.cited_communes
        ]
        names = {c.insee_code: c.name for c in communes}
        dated: list[Row] = [
            _commune_row(f.insee_code, names[f.insee_code], f, f.year)
            for f in self.session.exec(select(m.CommuneFigures))
            if f.insee_code in names  # filtered here: a national export would pass thousands of codes
        ]
        with_years = {row["code_insee"] for row in dated}
        undated = [
            _commune_row(c.insee_code, c.name, c, None)
            for c in communes
            if c.insee_code not in with_years or any(getattr(c, name) is not None for name in FIGURES)
        ]
        return undated + dated

    def signatories(self) -> list[Row]:
        return [
            {
                "convention": self.convention[s.convention_id],
                "organisation": self.org(s.organisation_id),
                "representant": _empty(s.representative),
                "qualite": _empty(s.capacity),
            }
            for s in self.select(m.Signatory)
        ]

    def perimeter(self) -> list[Row]:
        rows: list[Row] = []
        for p in self.select(m.Perimeter):
            self.cited_communes.add(p.insee_code)
            rows.append({"convention": self.convention[p.convention_id], "code_insee": p.insee_code})
        return rows

    def orientations(self) -> list[Row]:
        """Sorted by convention and code, each parent before its children (an import of the file
        reads them in order, and so does a person)."""
        every = sorted(self.select(m.Orientation), key=lambda o: (self.convention[o.convention_id], o.code))
        by_convention: defaultdict[int, dict[str, m.Orientation]] = defaultdict(dict)
        for o in every:  # one pass: a national export has a thousand conventions
            by_convention[o.convention_id][o.code] = o
        rows: list[Row] = []
        for convention_id, mine in by_convention.items():
            plan = {o.code: self.orientation.get(o.parent_id) for o in mine.values()}
            rows += [
                {
                    "convention": self.convention[convention_id],
                    "code": code,
                    "parent": plan[code],
                    "domaine": mine[code].domain_code,
                    "intitule": mine[code].title,
                }
                for code in parents_first(mine, plan)
            ]
        return rows

    def actions(self) -> list[Row]:
        reasons = self.audited_reasons(m.Action)
        periods = {m.stored_id(c): (c.starts_on, c.ends_on) for c in self.conventions}
        partners: defaultdict[int | None, list[str]] = defaultdict(list)
        communes: defaultdict[int | None, list[str]] = defaultdict(list)
        ids = list(self.action)
        copilots = self.ordered_links(m.ActionCopilot, ids)
        for partner in self.session.exec(select(m.ActionPartner).where(col(m.ActionPartner.action_id).in_(ids))):
            partners[partner.action_id].append(self.cite(partner.organisation_id))
        for commune in self.session.exec(select(m.ActionCommune).where(col(m.ActionCommune.action_id).in_(ids))):
            communes[commune.action_id].append(commune.insee_code)
            self.cited_communes.add(commune.insee_code)
        return [
            {
                "convention": self.convention[a.convention_id],
                "code": a.code,
                "intitule": a.title,
                "domaine": a.domain_code,
                "orientation": self.orientation.get(a.orientation_id),
                "pilote": self.lead_list(a.pilot_id, copilots[m.stored_id(a)]),
                "partenaires": _listed(partners[a.id]),
                "public_cible": _empty(a.target_public),
                "communes": _listed(communes[a.id]),
                "statut": a.status,
                "priorite": a.priority,
                "date_debut": a.starts_on,
                "date_fin": a.ends_on,
                "avancement": a.progress,
                "poids": a.weight,
                "budget_prevu": a.planned_budget,
                "description": _empty(a.description),
                # Dates outside the convention were accepted with a reason: the file carries it
                # so that it imports again (the one date rule).
                "motif_derogation": reasons.get(str(a.id), OUTSIDE) if outside(a, *periods[a.convention_id]) else None,
            }
            for a in self.select(m.Action, col(m.Action.deleted_at).is_(None))
        ]

    def indicators(self) -> list[Row]:
        # A step indicator's values are written as step codes (stored: their positions).
        self.steps = {m.stored_id(i): steps_of(i.nature, i.steps) for i in self.select(m.Indicator)}
        return [
            {
                "convention": self.convention[i.convention_id],
                "code": i.code,
                "nom": i.name,
                "domaine": i.domain_code,
                "action": self.action.get(i.action_id),
                "unite": i.unit,
                "sens": i.direction,
                "nature": i.nature,
                "etapes": _empty(i.steps),
                "valeur_reference": self.value(m.stored_id(i), i.baseline_value),
                "date_reference": i.baseline_date,
                "source_reference": _empty(i.baseline_source),
                "valeur_cible": self.value(m.stored_id(i), i.target_value),
                "date_cible": i.target_date,
                "frequence": i.frequency,
                "min": i.min_value,
                "max": i.max_value,
            }
            for i in self.select(m.Indicator)
        ]

    def value(self, indicator_id: int, value: float | None) -> float | str | None:
        steps = self.steps[indicator_id]
        return step_code(steps, value) if steps and value is not None else value

    def targets(self) -> list[Row]:
        query = (
            select(m.IndicatorTarget, col(m.Indicator.convention_id))
            .join(m.Indicator, col(m.Indicator.id) == m.IndicatorTarget.indicator_id)
            .where(col(m.Indicator.convention_id).in_(self.ids))
        )
        return [
            {
                "convention": self.convention[convention_id],
                "indicateur": self.indicator[t.indicator_id],
                "date": t.target_on,
                "valeur": self.value(t.indicator_id, t.value),
            }
            for t, convention_id in self.session.exec(query)
        ]

    def measurements(self) -> StreamedRows:
        """The current values, streamed: a national base holds over a million. Their count and
        the communes they cite are read now; the rows when a file is written."""
        current = (col(m.Indicator.convention_id).in_(self.ids), col(m.Measurement.superseded_at).is_(None))
        joined = select(func.count()).select_from(m.Measurement).join(m.Indicator, _of_indicator)
        count = self.session.exec(joined.where(*current)).one()
        if not self.whole:  # a whole export lists every commune anyway
            cited = (
                select(col(m.Measurement.insee_code))
                .join(m.Indicator, _of_indicator)
                .where(*current, col(m.Measurement.insee_code).is_not(None))
                .distinct()
            )
            self.cited_communes.update(code for code in self.session.exec(cited) if code is not None)
        self.measurement_reasons = self.audited_reasons(m.Measurement)
        return StreamedRows(count, lambda: self.measurement_rows(current))

    def measurement_rows(self, current: tuple[ColumnElement[bool], ...]) -> Iterator[Values]:
        """Sorted by the sheet's key in SQL, in the order Python gives strings (code points:
        `binary`), a blank commune first, as _ordered sorts the other sheets."""
        x = m.Measurement
        query = (
            select_columns(
                col(x.id),
                col(m.Indicator.convention_id),
                col(x.indicator_id),
                col(x.measured_on),
                col(x.value),
                col(x.type),
                col(x.insee_code),
                col(x.source),
                col(x.comment),
            )
            .join(m.Indicator, _of_indicator)
            .join(m.Convention, col(m.Convention.id) == m.Indicator.convention_id)
            .where(*current)
            .order_by(
                self.binary(col(m.Convention.code)),
                self.binary(col(m.Indicator.code)),
                col(x.measured_on),
                self.binary(col(x.type)),
                self.binary(col(x.insee_code)).nulls_first(),
            )
            .execution_options(yield_per=STREAM_BATCH)  # a server-side cursor on PostgreSQL
        )
        columns = SHEETS_BY_NAME["mesures"].column_names
        for values in self.session.execute(query):
            row = self.measurement(*values)
            yield tuple(row[name] for name in columns)

    def binary(self, column: Mapped[Any]) -> ColumnElement[Any] | Mapped[Any]:
        """`column` compared by code points, as Python compares strings (SQLite's default)."""
        dialect = self.session.get_bind().dialect.name
        return column.collate("C") if dialect == "postgresql" else column

    def measurement(
        self,
        measurement_id: int | None,
        convention_id: int,
        indicator_id: int,
        measured_on: date,
        value: float,
        kind: str,
        insee_code: str | None,
        source: str | None,
        comment: str | None,
    ) -> Row:
        return {
            "convention": self.convention[convention_id],
            "indicateur": self.indicator[indicator_id],
            "date": measured_on,
            "valeur": self.value(indicator_id, value),
            "type": kind,
            "code_insee": insee_code,
            "source": _empty(source),
            "commentaire": _empty(comment),
            # A value accepted with a reason (a date outside the convention, a value far from the
            # previous one) carries it, so that the file imports again.
            "motif_derogation": self.measurement_reasons.get(str(measurement_id)),
        }

    def facilities(self) -> list[Row]:
        comanagers = self.ordered_links(m.FacilityComanager, list(self.facility))
        rows: list[Row] = []
        for f in self.select(m.Facility):
            self.cited_communes.add(f.insee_code)
            rows.append(
                {
                    "convention": self.convention[f.convention_id],
                    "code": f.code,
                    "nom": f.name,
                    "type": f.type,
                    "code_insee": f.insee_code,
                    "gestionnaire": self.lead_list(f.manager_id, comanagers[m.stored_id(f)]),
                    "places": f.places,
                    "places_nouvelles": f.new_places,
                    "date_places_nouvelles": f.new_places_from,
                    "psu": _flag(f.psu),
                    "classe_territoire": _empty(f.territory_class),
                    "date_ouverture": f.opens_on,
                    "date_fermeture": f.closes_on,
                }
            )
        return rows

    def activity(self) -> list[Row]:
        query = (
            select(m.FacilityActivity, col(m.Facility.convention_id))
            .join(m.Facility, col(m.Facility.id) == m.FacilityActivity.facility_id)
            .where(col(m.Facility.convention_id).in_(self.ids))
        )
        return [
            {
                "convention": self.convention[convention_id],
                "equipement": self.facility[a.facility_id],
                "annee": a.year,
                "places": a.places,
                "places_nouvelles": a.new_places,
                "heures_realisees": a.hours_delivered,
                "heures_facturees": a.hours_billed,
                "etp": a.fte,
                "motif_derogation": None,
            }
            for a, convention_id in self.session.exec(query)
        ]

    def rates(self) -> list[Row]:
        query = select(m.RateRow)
        if not self.whole:
            if not self.conventions:
                return []
            first = min(c.starts_on for c in self.conventions).year
            last = max(c.ends_on for c in self.conventions).year
            query = query.where(col(m.RateRow.year).between(first, last))
        return [
            {
                "annee": r.year,
                "levier": r.lever_code,
                "type_equipement": _empty(r.facility_type),
                "categorie_place": _empty(r.place_category),
                "classe_territoire": _empty(r.territory_class),
                "portee": _empty(r.scope),
                "base": r.basis,
                "montant": r.amount,
                "taux_plancher": r.rate_floor,
                "plancher": r.floor,
                "plafond": r.cap,
                "source": _empty(r.source),
            }
            for r in self.session.exec(query)
        ]

    def posts(self) -> list[Row]:
        return [
            {
                "convention": self.convention[p.convention_id],
                "code": p.code,
                "intitule": p.title,
                "employeur": self.org(p.employer_id),
                "etp": p.fte,
                "date_debut": p.starts_on,
                "date_fin": p.ends_on,
                "cout_annuel": p.annual_cost,
            }
            for p in self.select(m.CoordinationPost)
        ]

    def funding(self) -> list[Row]:
        reasons = self.overpaid_reasons()
        return [
            {
                "convention": self.convention[f.convention_id],
                "levier": f.lever_code,
                "annee": f.year,
                "financeur": self.org(f.funder_id),
                "beneficiaire": self.org(f.beneficiary_id),
                "equipement": self.facility.get(f.facility_id),
                "action": self.action.get(f.action_id),
                "poste": self.post.get(f.post_id),
                "domaine": f.domain_code,
                "montant_prevu": f.planned,
                "montant_notifie": f.notified,
                "montant_verse": f.paid,
                "commentaire": _empty(f.comment),
                "motif_derogation": reasons.get(str(f.id), OVERPAID) if overpaid(f) else None,
            }
            for f in self.select(m.FundingLine)
        ]

    def meetings(self) -> dict[str, list[Row]]:
        """The sheets `reunions`, `participants` and `decisions`: a meeting by its number in its
        convention, a decision by its number in its meeting (their rank, interchange/meetings.py)."""
        meetings = sorted(self.select(m.Meeting), key=lambda meeting: m.stored_id(meeting))
        number = numbers(self.session, self.ids)
        convention = {m.stored_id(x): self.convention[x.convention_id] for x in meetings}
        ids = list(convention)
        participants = self.session.exec(
            select(m.MeetingParticipant).where(col(m.MeetingParticipant.meeting_id).in_(ids))
        ).all()
        decisions = self.session.exec(
            select(m.Decision).where(col(m.Decision.meeting_id).in_(ids)).order_by(col(m.Decision.id))
        ).all()
        links: defaultdict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        query = select(m.DecisionLink).where(col(m.DecisionLink.decision_id).in_([d.id for d in decisions]))
        for link in self.session.exec(query):
            for column, attribute, codes in (
                ("actions", link.action_id, self.action),
                ("indicateurs", link.indicator_id, self.indicator),
                ("equipements", link.facility_id, self.facility),
            ):
                if attribute in codes:  # a deleted action is left out, as elsewhere
                    links[link.decision_id][column].append(codes[attribute])
        rank: defaultdict[int, int] = defaultdict(int)
        decision_rows: list[Row] = []
        for d in decisions:
            rank[d.meeting_id] += 1
            decision_rows.append(
                {
                    "convention": convention[d.meeting_id],
                    "reunion": number[d.meeting_id],
                    "numero": rank[d.meeting_id],
                    "texte": d.text,
                    "responsable": self.org(d.owner_id),
                    "echeance": d.due_on,
                    "statut": d.status,
                    **{
                        column: _listed(links[m.stored_id(d)][column])
                        for column in ("actions", "indicateurs", "equipements")
                    },
                }
            )
        return {
            "reunions": [
                {
                    "convention": convention[m.stored_id(x)],
                    "numero": number[m.stored_id(x)],
                    "type": x.kind,
                    "theme": _empty(x.theme),
                    "date": x.held_on,
                    "lieu": _empty(x.place),
                    "ordre_du_jour": _empty(x.agenda),
                    "compte_rendu": _empty(x.minutes),
                    "statut": x.status,
                }
                for x in meetings
            ],
            "participants": [
                {
                    "convention": convention[p.meeting_id],
                    "reunion": number[p.meeting_id],
                    "organisation": self.cite(p.organisation_id),
                    "personne": _empty(p.person),
                    "presence": p.attendance,
                }
                for p in participants
            ],
            "decisions": decision_rows,
        }

    def overpaid_reasons(self) -> dict[str, str]:
        """The latest audited reason of each funding line (record key → reason): a line paid
        beyond its notified amount was accepted with one, which its export carries so that the
        file imports again (validation.funding_input)."""
        return self.audited_reasons(m.FundingLine)

    def audited_reasons(self, model: type[SQLModel]) -> dict[str, str]:
        """The latest audited reason of each row of `model` (record key → reason)."""
        rows = self.session.exec(
            select(col(m.AuditEvent.record_key), col(m.AuditEvent.reason))
            .where(col(m.AuditEvent.table_name) == model.__tablename__, col(m.AuditEvent.reason).is_not(None))
            .order_by(col(m.AuditEvent.id))
        ).all()
        return {key: reason for key, reason in rows if reason}


_of_indicator = col(m.Indicator.id) == m.Measurement.indicator_id

# A line paid beyond notified stored before that needed a reason (none audited).
OVERPAID = "versé supérieur au notifié, enregistré avant l'export"


# An action dated outside its convention stored before that needed a reason (none audited).
OUTSIDE = "dates hors de la convention, enregistrées avant l'export"


def outside(action: m.Action, starts_on: date, ends_on: date) -> bool:
    return any(when is not None and not starts_on <= when <= ends_on for when in (action.starts_on, action.ends_on))


def overpaid(line: m.FundingLine) -> bool:
    return line.paid is not None and line.notified is not None and line.paid > line.notified


def vocabulary_sheets(session: Session) -> dict[str, list[Row]]:
    """The referential entries that are not the defaults the migrations seed (added ones, and
    defaults whose label or eligibility an administrator changed): an empty database holds the
    defaults already, so the export carries only what it lacks."""
    facility_defaults = {kind.value: (kind.label, kind not in DEFAULT_OUTSIDE_BONUS) for kind in FacilityType}
    sheets: dict[str, list[Row]] = {
        "domaines": [
            {"code": d.code, "libelle": d.label}
            for d in session.exec(select(m.Domain))
            if (d.code, d.label) not in {(code, label) for code, label, *_ in DOMAINS}
        ],
        "types_organisation": [
            {"code": o.code, "libelle": o.label}
            for o in session.exec(select(m.OrganisationKind))
            if OrganisationType.labels().get(o.code) != o.label
        ],
        "types_equipement": [
            {"code": f.code, "libelle": f.label, "bonus": _flag(f.bonus)}
            for f in session.exec(select(m.FacilityKind))
            if facility_defaults.get(f.code) != (f.label, f.bonus)
        ],
        "leviers": [
            {"code": lever.code, "libelle": lever.label}
            for lever in session.exec(select(m.FundingLever))
            if (lever.code, lever.label) not in {(code, label) for code, label, _ in LEVERS}
        ],
    }
    return sheets


def _commune_row(insee_code: str, name: str, figures: m.Commune | m.CommuneFigures, year: int | None) -> Row:
    return {
        "code_insee": insee_code,
        "nom": name,
        "population": figures.population,
        "enfants_moins_3_ans": figures.children_under_3,
        "qpv": _flag(figures.qpv),
        "annee_donnees": year,
    }


# Sheets whose method already gives the order: orientations, parents before children.
KEPT_ORDER = frozenset({"orientations"})


def _sorted(sheet_name: str, rows: list[Row] | StreamedRows) -> SheetRows:
    """A streamed sheet comes sorted from its query; the others are sorted here."""
    return rows if isinstance(rows, StreamedRows) else _ordered(sheet_name, rows)


def _ordered(sheet_name: str, rows: list[Row]) -> list[Values]:
    """Rows as tuples in the sheet's column order, sorted by the sheet's key (KEPT_ORDER: as given)."""
    sheet = SHEETS_BY_NAME[sheet_name]
    for row in rows[:1]:
        if tuple(row) != sheet.column_names:
            raise AssertionError(f"export de {sheet_name} : colonnes {tuple(row)} ≠ {sheet.column_names}")
    if sheet_name not in KEPT_ORDER:
        rows = sorted(rows, key=lambda row: tuple(_key_part(row[name]) for name in sheet.key))
    return [tuple(row[name] for name in sheet.column_names) for row in rows]


__all__ = [
    "SheetRows",
    "StreamedRows",
    "UnknownConvention",
    "export_rows",
    "export_sheets",
    "export_workbook",
    "exportable_conventions",
]
