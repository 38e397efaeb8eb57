"""The referentials as stored: domains, funding levers, organisation types and facility types,
each code with its French label (and a domain's colour, a facility type's bonus eligibility).

They are data that administrators extend (sheets `domaines`, `types_organisation`,
`types_equipement`, `leviers`, and the Référentiels page): every list, label and colour shown
comes from here, one query per referential, never from the vocabulary's defaults. Pages read
them through `ui.data.cached_query`, so an entry saved a moment ago shows on the next run.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import CompoundSelect, Engine, func, or_, select, union
from sqlmodel import Session, col
from sqlmodel import select as select_one

from ctg_data import models as m
from ctg_data.vocabulary import CTG_DOMAIN_CODES, DOMAIN_CODES, EXTRA_DOMAIN_COLOURS


@dataclass(frozen=True)
class Entry:
    code: str
    label: str
    position: int
    colour: str | None = None  # domains only
    bonus: bool | None = None  # facility types only: may the bonus territoire fund it


Entries = dict[str, Entry]  # code → entry, in display order


def _entries(engine: Engine, model: Any, *extra: str) -> Entries:
    columns = [col(model.code), col(model.label), col(model.position), *(getattr(model, name) for name in extra)]
    with engine.connect() as connection:
        rows = connection.execute(select(*columns).order_by(col(model.position), col(model.code))).all()
    return {row[0]: Entry(row[0], row[1], row[2], **dict(zip(extra, row[3:], strict=True))) for row in rows}


def domains(engine: Engine) -> Entries:
    return _entries(engine, m.Domain, "colour")


def levers(engine: Engine) -> Entries:
    return _entries(engine, m.FundingLever)


def organisation_types(engine: Engine) -> Entries:
    return _entries(engine, m.OrganisationKind)


def facility_types(engine: Engine) -> Entries:
    return _entries(engine, m.FacilityKind, "bonus")


def labels(entries: Entries) -> dict[str, str]:
    """Code → label, in display order: what a choice list or a code column needs."""
    return {code: entry.label for code, entry in entries.items()}


def label_of(entries: Entries, code: str | None) -> str:
    """The label of a code; an unknown one (a typo, an old row) is shown as it is."""
    if code is None:
        return ""
    entry = entries.get(code)
    return entry.label if entry else code


def convention_domains(engine: Engine, convention_id: int) -> Entries:
    """The domains a convention's steering views list (and its domain filter offers): the ten
    domains of the CTG, shown even when empty, and every other domain the convention uses (in an
    orientation, a live action, an indicator or a funding line), in the referential's order."""
    used: CompoundSelect[Any] = union(
        select(col(m.Orientation.domain_code)).where(col(m.Orientation.convention_id) == convention_id),
        select(col(m.Action.domain_code)).where(
            col(m.Action.convention_id) == convention_id, col(m.Action.deleted_at).is_(None)
        ),
        select(col(m.Indicator.domain_code)).where(col(m.Indicator.convention_id) == convention_id),
        select(col(m.FundingLine.domain_code)).where(col(m.FundingLine.convention_id) == convention_id),
    )
    query = (
        select(col(m.Domain.code), col(m.Domain.label), col(m.Domain.position), col(m.Domain.colour))
        .where(or_(col(m.Domain.code).in_(CTG_DOMAIN_CODES), col(m.Domain.code).in_(select(used.subquery().c[0]))))
        .order_by(col(m.Domain.position), col(m.Domain.code))
    )
    with engine.connect() as connection:
        return {
            code: Entry(code, label, position, colour) for code, label, position, colour in connection.execute(query)
        }


# ------------------------------------------------------------------ a new entry's place


def next_position(session: Session, model: Any) -> int:
    """Where an added entry goes: after every other one."""
    highest = session.exec(select_one(func.max(col(model.position)))).one()
    return int(highest or 0) + 1


def next_colour(session: Session) -> str:
    """The colour of an added domain: the extra palette in turn, by how many domains exist
    beyond the defaults (so two added domains never share one until the palette comes round)."""
    added = session.exec(
        select_one(func.count()).select_from(m.Domain).where(col(m.Domain.code).not_in(DOMAIN_CODES))
    ).one()
    return EXTRA_DOMAIN_COLOURS[added % len(EXTRA_DOMAIN_COLOURS)]
