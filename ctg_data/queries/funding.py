"""Funding read side: the few SQL reads the bonus, coordination and lever views need.

Every money figure is summed by the database (GROUP BY on funding_lines) and comes back as
Decimal: `func.sum` keeps the column's NUMERIC(14, 2) type, so even SQLite's float sums are
read back rounded to the cent. Rows are plain dicts, never ORM objects, so callers can cache them.
"""

from collections.abc import Iterable

from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.orm import aliased

from ctg_data import models as m
from ctg_data.rules.bonus import RateRow

F, A, FL, Org = m.Facility, m.FacilityActivity, m.FundingLine, m.Organisation


def _rows(engine: Engine, query) -> list[dict]:
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def signatory_codes(engine: Engine, convention_id: int) -> frozenset[str]:
    query = (select(Org.code).join(m.Signatory, m.Signatory.organisation_id == Org.id)
             .where(m.Signatory.convention_id == convention_id))
    with engine.connect() as connection:
        return frozenset(connection.execute(query).scalars())


def facilities_with_activity(engine: Engine, convention_id: int, years: Iterable[int],
                             insee_code: str | None = None, facility_code: str | None = None
                             ) -> list[dict]:
    """One row per facility and activity year of `years` (activity columns empty when the
    facility has no activity row in those years), in one query."""
    years = tuple(years)
    query = (
        select(F.id.label("facility_id"), F.code, F.name, F.type, F.insee_code,
               m.Commune.name.label("commune"), Org.code.label("manager"), Org.name.label("manager_name"),
               F.places, F.psu, F.territory_class, F.opens_on, F.closes_on,
               A.year.label("activity_year"), A.places.label("activity_places"),
               A.hours_delivered, A.hours_billed, A.fte)
        .join(Org, Org.id == F.manager_id)
        .join(m.Commune, m.Commune.insee_code == F.insee_code)
        .outerjoin(A, and_(A.facility_id == F.id, A.year.in_(years)))
        .where(F.convention_id == convention_id)
        .order_by(F.code, A.year)
    )
    if insee_code:
        query = query.where(F.insee_code == insee_code)
    if facility_code:
        query = query.where(F.code == facility_code)
    return _rows(engine, query)


def rate_rows(engine: Engine, years: Iterable[int] | None = None, lever: str | None = None,
              facility_type: str | None = None) -> list[RateRow]:
    """Barème rows (a small national table) as the engine's frozen RateRow."""
    R = m.RateRow
    query = select(R).order_by(R.year, R.lever_code, R.facility_type, R.territory_class)
    if years is not None:
        query = query.where(R.year.in_(tuple(years)))
    if lever:
        query = query.where(R.lever_code == lever)
    if facility_type is not None:
        query = query.where(R.facility_type == facility_type)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [RateRow(r.year, r.lever_code, r.facility_type, r.territory_class, r.basis, r.amount,
                    r.floor, r.cap, r.source or "") for r in rows]


def funding_sums(engine: Engine, convention_id: int, years: Iterable[int], *, link: str,
                 levers: Iterable[str] | None = None) -> list[dict]:
    """Planned / notified / paid summed per linked facility or post (`link`), lever, year and
    beneficiary. The beneficiary stays in the key so callers get the set of who was paid;
    summing over it is exact (Decimal)."""
    column = {"facility": FL.facility_id, "post": FL.post_id}[link]
    query = (
        select(column.label("link_id"), FL.lever_code.label("lever"), FL.year,
               Org.code.label("beneficiary"), func.sum(FL.planned).label("planned"),
               func.sum(FL.notified).label("notified"), func.sum(FL.paid).label("paid"))
        .join(Org, Org.id == FL.beneficiary_id)
        .where(FL.convention_id == convention_id, FL.year.in_(tuple(years)), column.is_not(None))
        .group_by(column, FL.lever_code, FL.year, Org.code)
    )
    if levers is not None:
        query = query.where(FL.lever_code.in_(tuple(levers)))
    return _rows(engine, query)


def funding_comments(engine: Engine, convention_id: int, years: Iterable[int], lever: str
                     ) -> list[dict]:
    """The comments typed on facility-linked lines: often the very reason of a gap."""
    query = (select(FL.facility_id, FL.year, FL.comment)
             .where(FL.convention_id == convention_id, FL.year.in_(tuple(years)),
                    FL.lever_code == lever, FL.facility_id.is_not(None), FL.comment.is_not(None),
                    FL.comment != "")
             .order_by(FL.facility_id, FL.year, FL.id))
    return _rows(engine, query)


def funding_breakdown(engine: Engine, convention_id: int, year: int | None = None,
                      domain_code: str | None = None, insee_code: str | None = None) -> list[dict]:
    """Money by lever × year × domain × funder × beneficiary. A line's domain is its own, or
    else its action's. With a commune, only lines tied to it (through their facility or the
    communes of their action) count: posts and convention-wide lines have no commune."""
    funder, beneficiary = aliased(Org), aliased(Org)
    domain = func.coalesce(FL.domain_code, m.Action.domain_code)
    query = (
        select(FL.lever_code.label("lever"), FL.year, domain.label("domain"),
               funder.code.label("funder"), funder.name.label("funder_name"),
               beneficiary.code.label("beneficiary"), beneficiary.name.label("beneficiary_name"),
               func.sum(FL.planned).label("planned"), func.sum(FL.notified).label("notified"),
               func.sum(FL.paid).label("paid"), func.count(FL.id).label("lines"))
        .join(funder, funder.id == FL.funder_id)
        .join(beneficiary, beneficiary.id == FL.beneficiary_id)
        .outerjoin(m.Action, m.Action.id == FL.action_id)
        .where(FL.convention_id == convention_id)
        .group_by(FL.lever_code, FL.year, domain, funder.code, funder.name, beneficiary.code,
                  beneficiary.name)
        .order_by(FL.lever_code, FL.year, domain, funder.code, beneficiary.code)
    )
    if year is not None:
        query = query.where(FL.year == year)
    if domain_code:
        query = query.where(domain == domain_code)
    if insee_code:
        in_commune = select(F.id).where(F.insee_code == insee_code)
        action_in_commune = (select(m.ActionCommune.action_id)
                             .where(m.ActionCommune.insee_code == insee_code))
        query = query.where(or_(FL.facility_id.in_(in_commune), FL.action_id.in_(action_in_commune)))
    return _rows(engine, query)


def cofunding_lines(engine: Engine, convention_id: int, years: Iterable[int],
                    levers: Iterable[str]) -> list[dict]:
    """Diagnostic / engineering money per lever, year, action, funder and beneficiary."""
    funder, beneficiary = aliased(Org), aliased(Org)
    query = (
        select(FL.lever_code.label("lever"), FL.year, m.Action.code.label("action"),
               m.Action.title.label("action_title"), funder.name.label("funder_name"),
               beneficiary.code.label("beneficiary"), beneficiary.name.label("beneficiary_name"),
               func.sum(FL.planned).label("planned"), func.sum(FL.notified).label("notified"),
               func.sum(FL.paid).label("paid"))
        .join(funder, funder.id == FL.funder_id)
        .join(beneficiary, beneficiary.id == FL.beneficiary_id)
        .outerjoin(m.Action, m.Action.id == FL.action_id)
        .where(FL.convention_id == convention_id, FL.year.in_(tuple(years)),
               FL.lever_code.in_(tuple(levers)))
        .group_by(FL.lever_code, FL.year, m.Action.code, m.Action.title, funder.name,
                  beneficiary.code, beneficiary.name)
        .order_by(FL.year, FL.lever_code, m.Action.code, beneficiary.code)
    )
    return _rows(engine, query)


def coordination_posts(engine: Engine, convention_id: int) -> list[dict]:
    P = m.CoordinationPost
    query = (select(P.id.label("post_id"), P.code, P.title, Org.code.label("employer"),
                    Org.name.label("employer_name"), P.fte, P.starts_on, P.ends_on, P.annual_cost)
             .join(Org, Org.id == P.employer_id).where(P.convention_id == convention_id)
             .order_by(P.code))
    return _rows(engine, query)


def facility_funding_lines(engine: Engine, convention_id: int, facility_code: str) -> list[dict]:
    """Every funding line of one facility, any lever and year: what an advisor opens to see
    who notified and paid what, with the comments."""
    funder, beneficiary = aliased(Org), aliased(Org)
    query = (
        select(FL.lever_code.label("lever"), FL.year, funder.name.label("funder_name"),
               beneficiary.code.label("beneficiary"), beneficiary.name.label("beneficiary_name"),
               FL.planned, FL.notified, FL.paid, FL.comment)
        .join(F, F.id == FL.facility_id)
        .join(funder, funder.id == FL.funder_id)
        .join(beneficiary, beneficiary.id == FL.beneficiary_id)
        .where(FL.convention_id == convention_id, F.code == facility_code)
        .order_by(FL.year, FL.lever_code, FL.id)
    )
    return _rows(engine, query)


def convention_by_code(engine: Engine, code: str) -> dict | None:
    C = m.Convention
    query = select(C.id, C.code, C.name, C.starts_on, C.ends_on).where(C.code == code)
    rows = _rows(engine, query)
    return rows[0] if rows else None


def all_conventions(engine: Engine) -> list[dict]:
    C = m.Convention
    return _rows(engine, select(C.id, C.code, C.name, C.starts_on, C.ends_on).order_by(C.code))
