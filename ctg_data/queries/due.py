"""« À saisir »: what each partner organisation has to enter, over every convention at once.

Three queries, whatever the number of conventions (the rule of each item is ctg_data.rules.due):
- measurements: the indicators of the actions an organisation pilots (lead or co-pilot), in the
  conventions running today, with their latest whole-convention « résultat » (GROUP BY on the
  measurements index);
- activity: the facilities an organisation manages (main manager or co-manager) that were open
  during the year to declare and have no activity row for it.

- decisions: the open decisions of the comités (« à faire ») an organisation is responsible for.

An action's partners may enter its indicators too (permissions._takes_part) but answer for none:
they get no reminder.
"""

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from itertools import groupby
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Engine, and_, func, label, or_, select, union
from sqlmodel import col

from ctg_data import formats as fmt
from ctg_data import models as m
from ctg_data.actors import Role
from ctg_data.rules.bonus import YearClock
from ctg_data.rules.due import declaration_year, measurement_due
from ctg_data.vocabulary import DecisionStatus, Frequency, IndicatorNature, MeasurementType

MEASUREMENT_PAGE, ACTIVITY_PAGE = "saisie_mesure", "saisie_activite"  # pages/<name>.py, also its URL path
MEETINGS_PAGE = "comites"
NAME_LIMIT = 120  # a decision's text is free: a line of a list or an e-mail shows its beginning


class DueKind(StrEnum):
    MESURE = "mesure"
    ACTIVITE = "activite"
    DECISION = "decision"


# Per kind: how an item is named, the page where it is entered, and the URL parameter naming it.
KINDS = {
    DueKind.MESURE: ("Indicateur", MEASUREMENT_PAGE, "indicateur"),
    DueKind.ACTIVITE: ("Équipement", ACTIVITY_PAGE, "equipement"),
    DueKind.DECISION: ("Décision", MEETINGS_PAGE, "reunion"),
}


@dataclass(frozen=True)
class DueItem:
    """One thing an organisation has to enter, and where."""

    kind: DueKind
    organisation_id: int
    convention_id: int
    convention_code: str
    # Whether the convention is restricted: only its members see it (permissions._visibility).
    restricted: bool
    code: str  # the indicator's or the facility's code; a decision's meeting (its number)
    name: str
    due_on: date
    detail: str  # French, after the item's name

    @property
    def description(self) -> str:
        what = KINDS[self.kind][0]
        named = f"{what} « {self.name} »" if self.kind == DueKind.DECISION else f"{what} {self.code} « {self.name} »"
        return f"{named} : {self.detail}"

    @property
    def page(self) -> str:
        return KINDS[self.kind][1]

    @property
    def params(self) -> dict[str, str]:
        """The URL parameters that open the entry form on this item, in its convention."""
        return {"convention": self.convention_code, KINDS[self.kind][2]: self.code}

    @property
    def path(self) -> str:
        """The link, relative to the app's address: « saisie_mesure?convention=…&indicateur=… »."""
        return f"{self.page}?{urlencode(self.params)}"


@dataclass(frozen=True)
class OrganisationDue:
    organisation_id: int
    code: str
    name: str
    items: tuple[DueItem, ...] = field(default=())


def due_items(
    engine: Engine, clock: YearClock, *, convention_id: int | None = None, organisation_id: int | None = None
) -> list[OrganisationDue]:
    """What is due at `clock.today`, by organisation (by name), each organisation's items by
    convention, due date and code; organisations with nothing due are left out."""
    with engine.connect() as connection:
        rows = [
            *_measurements(connection, clock.today, convention_id, organisation_id),
            *_activities(connection, clock, convention_id, organisation_id),
            *_decisions(connection, clock.today, convention_id, organisation_id),
        ]
    rows.sort(key=lambda r: (r[0].casefold(), r[1], r[2].convention_code, r[2].due_on, r[2].code))
    return [
        OrganisationDue(
            organisation_id=items[0][2].organisation_id, code=code, name=name, items=tuple(r[2] for r in items)
        )
        for (name, code), group in groupby(rows, key=lambda r: (r[0], r[1]))
        for items in [list(group)]
    ]


# An item with its organisation's name and code, to group by.
Row = tuple[str, str, DueItem]


def _scope(convention: Any, organisation: Any, convention_id: int | None, organisation_id: int | None) -> list[Any]:
    clauses = []
    if convention_id is not None:
        clauses.append(convention == convention_id)
    if organisation_id is not None:
        clauses.append(organisation == organisation_id)
    return clauses


def _measurements(connection: Any, today: date, convention_id: int | None, organisation_id: int | None) -> list[Row]:
    live = col(m.Action.deleted_at).is_(None)
    pilots = union(
        select(label("action_id", col(m.Action.id)), label("organisation_id", col(m.Action.pilot_id))).where(live),
        select(col(m.ActionCopilot.action_id), col(m.ActionCopilot.organisation_id))
        .join(m.Action, col(m.Action.id) == m.ActionCopilot.action_id)
        .where(live),
    ).subquery()
    current_rows = [
        col(m.Measurement.superseded_at).is_(None),
        col(m.Measurement.type) == MeasurementType.RESULTAT,
        col(m.Measurement.insee_code).is_(None),  # the whole convention's values only
        col(m.Measurement.measured_on) <= today,
    ]
    latest_query = select(col(m.Measurement.indicator_id), label("last_on", func.max(col(m.Measurement.measured_on))))
    if convention_id is not None:  # one convention's measurements only, not the whole table's
        latest_query = latest_query.join(m.Indicator, col(m.Indicator.id) == m.Measurement.indicator_id).where(
            col(m.Indicator.convention_id) == convention_id
        )
    latest = latest_query.where(*current_rows).group_by(col(m.Measurement.indicator_id)).subquery()
    current = (
        select(col(m.Measurement.indicator_id), col(m.Measurement.measured_on), col(m.Measurement.value))
        .join(
            latest,
            and_(latest.c.indicator_id == m.Measurement.indicator_id, latest.c.last_on == m.Measurement.measured_on),
        )
        .where(*current_rows)
        .subquery()
    )
    query = (
        select(
            col(m.Organisation.name),
            col(m.Organisation.code),
            pilots.c.organisation_id,
            col(m.Convention.id),
            col(m.Convention.code),
            col(m.Convention.restricted),
            col(m.Convention.starts_on),
            col(m.Indicator.code),
            col(m.Indicator.name),
            col(m.Indicator.frequency),
            col(m.Indicator.nature),
            col(m.Indicator.target_value),
            current.c.measured_on,
            current.c.value,
        )
        .join(pilots, pilots.c.action_id == m.Indicator.action_id)
        .join(m.Organisation, col(m.Organisation.id) == pilots.c.organisation_id)
        .join(m.Convention, col(m.Convention.id) == m.Indicator.convention_id)
        .outerjoin(current, current.c.indicator_id == m.Indicator.id)
        .where(
            col(m.Convention.starts_on) <= today,
            col(m.Convention.ends_on) >= today,
            *_scope(col(m.Convention.id), pilots.c.organisation_id, convention_id, organisation_id),
        )
    )
    found: list[Row] = []
    for row in connection.execute(query):
        reached = row.nature == IndicatorNature.ETAPE and _at_target(row.value, row.target_value)
        due_on = measurement_due(row.measured_on, row.frequency, today, start=row.starts_on, reached=reached)
        if due_on is None:
            continue
        item = DueItem(
            kind=DueKind.MESURE,
            organisation_id=row.organisation_id,
            convention_id=row[3],
            convention_code=row[4],
            restricted=bool(row.restricted),
            code=row[7],
            name=row[8],
            due_on=due_on,
            detail=_measurement_detail(row.measured_on, row.frequency, due_on),
        )
        found.append((row[0], row[1], item))
    return found


def _at_target(value: float | None, target: float | None) -> bool:
    return value is not None and target is not None and value >= target


def _measurement_detail(last_on: date | None, frequency: str | None, due_on: date) -> str:
    every = Frequency.label_of(frequency or Frequency.ANNUELLE).lower()
    if last_on is None:
        return f"aucune valeur enregistrée, première valeur attendue le {fmt.short_date(due_on)} ({every})"
    return f"dernière valeur du {fmt.short_date(last_on)}, suivante attendue le {fmt.short_date(due_on)} ({every})"


def _activities(connection: Any, clock: YearClock, convention_id: int | None, organisation_id: int | None) -> list[Row]:
    year = declaration_year(clock)
    if year is None:
        return []
    first, last = date(year, 1, 1), date(year, 12, 31)
    managers = union(
        select(label("facility_id", col(m.Facility.id)), label("organisation_id", col(m.Facility.manager_id))),
        select(col(m.FacilityComanager.facility_id), col(m.FacilityComanager.organisation_id)),
    ).subquery()
    declared = and_(col(m.FacilityActivity.facility_id) == m.Facility.id, col(m.FacilityActivity.year) == year)
    query = (
        select(
            col(m.Organisation.name),
            col(m.Organisation.code),
            managers.c.organisation_id,
            col(m.Convention.id),
            col(m.Convention.code),
            col(m.Convention.restricted),
            col(m.Facility.code),
            col(m.Facility.name),
        )
        .join(managers, managers.c.facility_id == m.Facility.id)
        .join(m.Organisation, col(m.Organisation.id) == managers.c.organisation_id)
        .join(m.Convention, col(m.Convention.id) == m.Facility.convention_id)
        .outerjoin(m.FacilityActivity, declared)
        .where(
            col(m.FacilityActivity.id).is_(None),
            col(m.Convention.starts_on) <= last,
            col(m.Convention.ends_on) >= first,
            or_(col(m.Facility.opens_on).is_(None), col(m.Facility.opens_on) <= last),
            or_(col(m.Facility.closes_on).is_(None), col(m.Facility.closes_on) >= first),
            *_scope(col(m.Convention.id), managers.c.organisation_id, convention_id, organisation_id),
        )
    )
    due_on = clock.declaration_date(year)
    detail = f"activité {year} à déclarer, attendue le {fmt.short_date(due_on)}"
    return [
        (
            row[0],
            row[1],
            DueItem(
                kind=DueKind.ACTIVITE,
                organisation_id=row[2],
                convention_id=row[3],
                convention_code=row[4],
                restricted=bool(row[5]),
                code=row[6],
                name=row[7],
                due_on=due_on,
                detail=detail,
            ),
        )
        for row in connection.execute(query)
    ]


def _decisions(connection: Any, today: date, convention_id: int | None, organisation_id: int | None) -> list[Row]:
    """The open decisions each organisation is responsible for, in conventions not yet over; due
    on their due date, or when none was set, from the day of their meeting."""
    query = (
        select(
            col(m.Organisation.name),
            col(m.Organisation.code),
            col(m.Decision.owner_id),
            col(m.Convention.id),
            col(m.Convention.code),
            col(m.Convention.restricted),
            col(m.Meeting.id),
            col(m.Decision.text),
            col(m.Decision.due_on),
            col(m.Meeting.held_on),
        )
        .join(m.Meeting, col(m.Meeting.id) == m.Decision.meeting_id)
        .join(m.Convention, col(m.Convention.id) == m.Meeting.convention_id)
        .join(m.Organisation, col(m.Organisation.id) == m.Decision.owner_id)
        .where(
            col(m.Decision.status) == DecisionStatus.A_FAIRE,
            col(m.Convention.ends_on) >= today,
            *_scope(col(m.Convention.id), col(m.Decision.owner_id), convention_id, organisation_id),
        )
    )
    return [
        (
            row[0],
            row[1],
            DueItem(
                kind=DueKind.DECISION,
                organisation_id=row[2],
                convention_id=row[3],
                convention_code=row[4],
                restricted=bool(row[5]),
                code=str(row[6]),
                name=row[7] if len(row[7]) <= NAME_LIMIT else row[7][: NAME_LIMIT - 1] + "…",
                due_on=row[8] or row[9],
                detail=(f"à mener pour le {fmt.short_date(row[8])}" if row[8] else "à mener")
                + f" (réunion du {fmt.short_date(row[9])})",
            ),
        )
        for row in connection.execute(query)
    ]


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    # The restricted conventions the account was made a member of: the only ones of that kind it sees.
    member_of: frozenset[int]

    def sees(self, item: DueItem) -> bool:
        return not item.restricted or item.convention_id in self.member_of


def recipients(engine: Engine) -> dict[int, list[Recipient]]:
    """The active partner accounts of each organisation (by address), with their memberships:
    two queries, whatever the number of accounts."""
    active = [col(m.User.role) == Role.PARTENAIRE, col(m.User.disabled_at).is_(None), col(m.User.email) != ""]
    with engine.connect() as connection:
        users = connection.execute(
            select(col(m.User.id), col(m.User.organisation_id), col(m.User.email), col(m.User.display_name))
            .where(*active)
            .order_by(col(m.User.email))
        ).all()
        memberships = connection.execute(
            select(col(m.ConventionMember.user_id), col(m.ConventionMember.convention_id))
            .join(m.User, col(m.User.id) == m.ConventionMember.user_id)
            .where(*active)
        ).all()
    member_of: dict[int | None, set[int]] = {}  # by account id (the models type ids optional)
    for member, convention in memberships:
        member_of.setdefault(member, set()).add(convention)
    found: dict[int, list[Recipient]] = {}
    for account, organisation, email, name in users:
        if organisation is None:  # never: a partner has an organisation (CHECK partner_has_organisation)
            continue
        found.setdefault(organisation, []).append(
            Recipient(email=email, name=name or email, member_of=frozenset(member_of.get(account, ())))
        )
    return found
