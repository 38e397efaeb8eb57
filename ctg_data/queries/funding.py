"""Funding read side: the few SQL reads the bonus, coordination and lever views need.

Every money figure is summed by the database (GROUP BY on funding_lines) and comes back as
Decimal: `func.sum` keeps the column's NUMERIC(14, 2) type, so even SQLite's float sums are
read back rounded to the cent. Rows are plain dicts, never ORM objects, so callers can cache them.
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, Executable, Label, and_, func, label, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from ctg_data import models as m
from ctg_data.rules.bonus import RateRow

F, A, FL, Org = m.Facility, m.FacilityActivity, m.FundingLine, m.Organisation


def _rows(engine: Engine, query: Executable) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def _money_sums() -> tuple[Label[Any], ...]:
    """Planned, notified and paid summed by the database (NUMERIC: Decimal to the cent)."""
    return (
        label("planned", func.sum(col(FL.planned))),
        label("notified", func.sum(col(FL.notified))),
        label("paid", func.sum(col(FL.paid))),
    )


def signatory_codes(engine: Engine, convention_id: int) -> frozenset[str]:
    query = (
        select(col(Org.code))
        .join(m.Signatory, col(m.Signatory.organisation_id) == Org.id)
        .where(col(m.Signatory.convention_id) == convention_id)
    )
    with engine.connect() as connection:
        return frozenset(connection.execute(query).scalars())


def comanager_codes(engine: Engine, convention_id: int) -> dict[int, frozenset[str]]:
    """Facility id → its co-managers' organisation codes (`gestionnaire` after the first), in one
    query: a bonus paid to a co-manager goes to a manager of the facility."""
    query = (
        select(col(m.FacilityComanager.facility_id), col(Org.code))
        .join(Org, col(Org.id) == m.FacilityComanager.organisation_id)
        .join(m.Facility, col(m.Facility.id) == m.FacilityComanager.facility_id)
        .where(col(m.Facility.convention_id) == convention_id)
    )
    found: dict[int, set[str]] = {}
    with engine.connect() as connection:
        for facility_id, code in connection.execute(query):
            found.setdefault(facility_id, set()).add(code)
    return {facility_id: frozenset(codes) for facility_id, codes in found.items()}


def convention_scopes(engine: Engine, convention_id: int) -> tuple[str, ...]:
    """The barème scopes of a convention, most specific first: its own code, then its CAF's
    organisation code (the convention's `caf`, else its signatory of type caf)."""
    C = m.Convention
    with engine.connect() as connection:
        code, caf_id = connection.execute(select(col(C.code), col(C.caf_id)).where(col(C.id) == convention_id)).one()
        query = select(col(Org.code))
        if caf_id is not None:
            query = query.where(col(Org.id) == caf_id)
        else:
            query = (
                query.join(m.Signatory, col(m.Signatory.organisation_id) == Org.id)
                .where(col(m.Signatory.convention_id) == convention_id, col(Org.type) == "caf")
                .order_by(col(Org.code))
            )
        caf = connection.execute(query.limit(1)).scalar()
    return (code, caf) if caf else (code,)


def facilities_with_activity(
    engine: Engine,
    convention_id: int,
    years: Iterable[int],
    insee_code: str | None = None,
    facility_code: str | None = None,
) -> list[dict[str, Any]]:
    """One row per facility and activity year of `years` (activity columns empty when the
    facility has no activity row in those years), in one query."""
    years = tuple(years)
    query = (
        select(
            label("facility_id", col(F.id)),
            col(F.code),
            col(F.name),
            col(F.type),
            col(F.insee_code),
            label("commune", col(m.Commune.name)),
            label("manager", col(Org.code)),
            label("manager_name", col(Org.name)),
            col(F.places),
            col(F.psu),
            col(F.territory_class),
            col(F.new_places),
            col(F.new_places_from),
            col(F.opens_on),
            col(F.closes_on),
            label("activity_year", col(A.year)),
            label("activity_places", col(A.places)),
            label("activity_new_places", col(A.new_places)),
            col(A.hours_delivered),
            col(A.hours_billed),
            col(A.fte),
        )
        .join(Org, col(Org.id) == F.manager_id)
        .join(m.Commune, col(m.Commune.insee_code) == F.insee_code)
        .outerjoin(A, and_(col(A.facility_id) == F.id, col(A.year).in_(years)))
        .where(col(F.convention_id) == convention_id)
        .order_by(col(F.code), col(A.year))
    )
    if insee_code:
        query = query.where(col(F.insee_code) == insee_code)
    if facility_code:
        query = query.where(col(F.code) == facility_code)
    return _rows(engine, query)


def rate_rows(
    engine: Engine, years: Iterable[int] | None = None, lever: str | None = None, facility_type: str | None = None
) -> list[RateRow]:
    """Barème rows (a small national table) as the engine's frozen RateRow."""
    R = m.RateRow
    query = select(R).order_by(
        col(R.year),
        col(R.lever_code),
        col(R.facility_type),
        col(R.territory_class),
        col(R.place_category),
        col(R.scope),
    )
    if years is not None:
        query = query.where(col(R.year).in_(tuple(years)))
    if lever:
        query = query.where(col(R.lever_code) == lever)
    if facility_type is not None:
        query = query.where(col(R.facility_type) == facility_type)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        RateRow(
            r.year,
            r.lever_code,
            r.facility_type,
            r.territory_class,
            r.basis,
            r.amount,
            r.floor,
            r.cap,
            r.source or "",
            r.place_category,
            r.scope,
            r.rate_floor,
        )
        for r in rows
    ]


def funding_sums(
    engine: Engine, convention_id: int, years: Iterable[int], *, link: str, levers: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """Planned / notified / paid summed per linked facility or post (`link`), lever, year and
    beneficiary. The beneficiary stays in the key so callers get the set of who was paid;
    summing over it is exact (Decimal)."""
    column = {"facility": col(FL.facility_id), "post": col(FL.post_id)}[link]
    query = (
        select(
            label("link_id", column),
            label("lever", col(FL.lever_code)),
            col(FL.year),
            label("beneficiary", col(Org.code)),
            *_money_sums(),
        )
        .join(Org, col(Org.id) == FL.beneficiary_id)
        .where(col(FL.convention_id) == convention_id, col(FL.year).in_(tuple(years)), column.is_not(None))
        .group_by(column, col(FL.lever_code), col(FL.year), col(Org.code))
    )
    if levers is not None:
        query = query.where(col(FL.lever_code).in_(tuple(levers)))
    return _rows(engine, query)


def funding_comments(engine: Engine, convention_id: int, years: Iterable[int], lever: str) -> list[dict[str, Any]]:
    """The comments typed on facility-linked lines: often the very reason of a gap."""
    query = (
        select(col(FL.facility_id), col(FL.year), col(FL.comment))
        .where(
            col(FL.convention_id) == convention_id,
            col(FL.year).in_(tuple(years)),
            col(FL.lever_code) == lever,
            col(FL.facility_id).is_not(None),
            col(FL.comment).is_not(None),
            col(FL.comment) != "",
        )
        .order_by(col(FL.facility_id), col(FL.year), col(FL.id))
    )
    return _rows(engine, query)


def funding_breakdown(
    engine: Engine,
    convention_id: int,
    year: int | None = None,
    domain_code: str | None = None,
    insee_code: str | None = None,
) -> list[dict[str, Any]]:
    """Money by lever × year × domain × funder × beneficiary. A line's domain is its own, or
    else its action's. With a commune, only lines tied to it (through their facility or the
    communes of their action) count: posts and convention-wide lines have no commune."""
    funder, beneficiary = aliased(Org), aliased(Org)
    domain = func.coalesce(col(FL.domain_code), col(m.Action.domain_code))
    query = (
        select(
            label("lever", col(FL.lever_code)),
            col(FL.year),
            label("domain", domain),
            label("funder", col(funder.code)),
            label("funder_name", col(funder.name)),
            label("beneficiary", col(beneficiary.code)),
            label("beneficiary_name", col(beneficiary.name)),
            *_money_sums(),
            label("lines", func.count(col(FL.id))),
        )
        .join(funder, col(funder.id) == FL.funder_id)
        .join(beneficiary, col(beneficiary.id) == FL.beneficiary_id)
        .outerjoin(m.Action, col(m.Action.id) == FL.action_id)
        .where(col(FL.convention_id) == convention_id)
        .group_by(
            col(FL.lever_code),
            col(FL.year),
            domain,
            col(funder.code),
            col(funder.name),
            col(beneficiary.code),
            col(beneficiary.name),
        )
        .order_by(col(FL.lever_code), col(FL.year), domain, col(funder.code), col(beneficiary.code))
    )
    if year is not None:
        query = query.where(col(FL.year) == year)
    if domain_code:
        query = query.where(domain == domain_code)
    if insee_code:
        in_commune = select(col(F.id)).where(col(F.insee_code) == insee_code)
        action_in_commune = select(col(m.ActionCommune.action_id)).where(col(m.ActionCommune.insee_code) == insee_code)
        query = query.where(or_(col(FL.facility_id).in_(in_commune), col(FL.action_id).in_(action_in_commune)))
    return _rows(engine, query)


def cofunding_lines(
    engine: Engine, convention_id: int, years: Iterable[int], levers: Iterable[str]
) -> list[dict[str, Any]]:
    """Diagnostic / engineering money per lever, year, action, funder and beneficiary."""
    funder, beneficiary = aliased(Org), aliased(Org)
    query = (
        select(
            label("lever", col(FL.lever_code)),
            col(FL.year),
            label("action", col(m.Action.code)),
            label("action_title", col(m.Action.title)),
            label("funder_name", col(funder.name)),
            label("beneficiary", col(beneficiary.code)),
            label("beneficiary_name", col(beneficiary.name)),
            *_money_sums(),
        )
        .join(funder, col(funder.id) == FL.funder_id)
        .join(beneficiary, col(beneficiary.id) == FL.beneficiary_id)
        .outerjoin(m.Action, col(m.Action.id) == FL.action_id)
        .where(
            col(FL.convention_id) == convention_id,
            col(FL.year).in_(tuple(years)),
            col(FL.lever_code).in_(tuple(levers)),
        )
        .group_by(
            col(FL.lever_code),
            col(FL.year),
            col(m.Action.code),
            col(m.Action.title),
            col(funder.name),
            col(beneficiary.code),
            col(beneficiary.name),
        )
        .order_by(col(FL.year), col(FL.lever_code), col(m.Action.code), col(beneficiary.code))
    )
    return _rows(engine, query)


def coordination_posts(engine: Engine, convention_id: int) -> list[dict[str, Any]]:
    P = m.CoordinationPost
    query = (
        select(
            label("post_id", col(P.id)),
            col(P.code),
            col(P.title),
            label("employer", col(Org.code)),
            label("employer_name", col(Org.name)),
            col(P.fte),
            col(P.starts_on),
            col(P.ends_on),
            col(P.annual_cost),
        )
        .join(Org, col(Org.id) == P.employer_id)
        .where(col(P.convention_id) == convention_id)
        .order_by(col(P.code))
    )
    return _rows(engine, query)


def facility_funding_lines(engine: Engine, convention_id: int, facility_code: str) -> list[dict[str, Any]]:
    """Every funding line of one facility, any lever and year: what an advisor opens to see
    who notified and paid what, with the comments."""
    funder, beneficiary = aliased(Org), aliased(Org)
    query = (
        select(
            label("lever", col(FL.lever_code)),
            col(FL.year),
            label("funder_name", col(funder.name)),
            label("beneficiary", col(beneficiary.code)),
            label("beneficiary_name", col(beneficiary.name)),
            col(FL.planned),
            col(FL.notified),
            col(FL.paid),
            col(FL.comment),
        )
        .join(F, col(F.id) == FL.facility_id)
        .join(funder, col(funder.id) == FL.funder_id)
        .join(beneficiary, col(beneficiary.id) == FL.beneficiary_id)
        .where(col(FL.convention_id) == convention_id, col(F.code) == facility_code)
        .order_by(col(FL.year), col(FL.lever_code), col(FL.id))
    )
    return _rows(engine, query)


def convention_by_code(engine: Engine, code: str) -> dict[str, Any] | None:
    C = m.Convention
    query = select(col(C.id), col(C.code), col(C.name), col(C.starts_on), col(C.ends_on)).where(col(C.code) == code)
    rows = _rows(engine, query)
    return rows[0] if rows else None


def all_conventions(engine: Engine) -> list[dict[str, Any]]:
    C = m.Convention
    return _rows(
        engine, select(col(C.id), col(C.code), col(C.name), col(C.starts_on), col(C.ends_on)).order_by(col(C.code))
    )
