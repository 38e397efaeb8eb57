"""`ctg demo-data`: a national synthetic base written in bulk, the same for the same seed.

Conventions are written by chunks (all of a chunk's rows table by table, a few executemany
each), so memory stays flat whatever the number of conventions; the database gives the ids,
read back once per table and chunk. Timestamps are fixed: two runs with one seed give the same
rows (but the accounts' password hashes, salted)."""

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from ctg_data.accounts import passwords
from ctg_data.synthetic import money, plan
from ctg_data.synthetic.bulk import ids_by_code, insert, table
from ctg_data.synthetic.places import DEPARTEMENTS, Place, organisation_codes, organisation_rows, place

STAMP = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CHUNK = 50  # conventions per round trip: a few thousand rows per batch, measurements ~75 000
PASSWORD = "pilotage-national-2026"  # public, like the demo's: synthetic data only
Progress = Callable[[int, int], None]


class DemoDataRefused(Exception):
    """The base already holds conventions and the caller did not force."""


def convention_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table("conventions"))).scalar_one())


def generate(
    engine: Engine, conventions: int, seed: int, *, force: bool = False, progress: Progress | None = None
) -> dict[str, int]:
    """Write `conventions` synthetic conventions; returns the rows written per table."""
    if conventions < 1 or conventions > 10_000:
        raise ValueError("Le nombre de conventions doit être compris entre 1 et 10 000.")
    if convention_count(engine) and not force:
        raise DemoDataRefused("La base contient déjà des conventions.")
    counts: dict[str, int] = {}
    with engine.begin() as connection:
        _referentials(connection, seed, counts)
    for first in range(1, conventions + 1, CHUNK):
        chunk = [place(seed, i) for i in range(first, min(first + CHUNK, conventions + 1))]
        with engine.begin() as connection:  # one transaction per chunk: short on SQLite
            _chunk(connection, seed, chunk, counts)
        if progress:
            progress(chunk[-1].index, conventions)
    with engine.begin() as connection:
        _accounts(connection, seed, conventions, counts)
    return counts


def _add(counts: dict[str, int], connection: Connection, name: str, rows: Iterable[dict[str, Any]]) -> None:
    counts[name] = counts.get(name, 0) + insert(connection, name, rows)


def _referentials(connection: Connection, seed: int, counts: dict[str, int]) -> None:
    """The shared organisations of each département and the national barème."""
    rows = []
    for dep, name in DEPARTEMENTS:
        rows.append({"code": f"s{seed}-caf{dep}", "name": f"CAF {name}", "type": "caf"})
        rows.append({"code": f"s{seed}-cd{dep}", "name": f"Conseil départemental {name}", "type": "departement"})
    _add(counts, connection, "organisations", rows)
    rates = table("rate_rows")
    existing = {
        (year, kind)
        for year, kind in connection.execute(
            select(rates.c.year, rates.c.facility_type).where(rates.c.lever_code == "bonus_territoire")
        )
    }
    _add(counts, connection, "rate_rows", money.rate_rows(STAMP, existing))


def _organisation_ids(connection: Connection, codes: Iterable[str]) -> dict[str, int]:
    organisations = table("organisations")
    query = select(organisations.c.code, organisations.c.id).where(organisations.c.code.in_(list(codes)))
    return {code: id_ for code, id_ in connection.execute(query)}


def _chunk(connection: Connection, seed: int, chunk: list[Place], counts: dict[str, int]) -> None:
    communes = table("communes")
    wanted = {code: name for item in chunk for code, name in zip(item.insee_codes, item.commune_names, strict=True)}
    known = set(
        connection.execute(select(communes.c.insee_code).where(communes.c.insee_code.in_(list(wanted)))).scalars()
    )
    rng = Random(f"{seed}:communes:{chunk[0].index}")
    _add(
        counts,
        connection,
        "communes",
        (
            {"insee_code": code, "name": name, "population": rng.randrange(800, 40_000), "qpv": rng.random() < 0.1}
            for code, name in wanted.items()
            if code not in known
        ),
    )
    own = [row for item in chunk for row in organisation_rows(seed, item) if row["type"] not in ("caf", "departement")]
    _add(counts, connection, "organisations", own)
    orgs = _organisation_ids(connection, {code for item in chunk for code in organisation_codes(seed, item).values()})
    _add(counts, connection, "conventions", (_convention_row(item, orgs, seed) for item in chunk))
    conventions = table("conventions")
    ids = dict(
        connection.execute(
            select(conventions.c.code, conventions.c.id).where(conventions.c.code.in_([i.code for i in chunk]))
        ).all()
    )
    for item in chunk:
        _convention_content(connection, seed, item, ids[item.code], orgs, counts)


def _convention_row(item: Place, orgs: dict[str, int], seed: int) -> dict[str, Any]:
    return {
        "code": item.code,
        "name": f"CTG {item.commune_names[0]} ({item.departement[0]})",
        "territory": item.territory,
        "department": item.departement[1],
        "caf_id": orgs[organisation_codes(seed, item)["caf"]],
        "signed_on": item.starts_on - timedelta(days=2),
        "starts_on": item.starts_on,
        "ends_on": item.ends_on,
        "signed_ends_on": item.ends_on,
        "restricted": item.restricted,
        "created_at": STAMP,
        "updated_at": STAMP,
    }


def _convention_content(
    connection: Connection, seed: int, item: Place, convention_id: int, orgs: dict[str, int], counts: dict[str, int]
) -> None:
    """Every row of one convention; ids read back per table (a convention is ~1 600 rows)."""
    rng = Random(f"{seed}:convention:{item.index}")
    role = {name: orgs[code] for name, code in organisation_codes(seed, item).items()}
    _add(counts, connection, "perimeter", ({"convention_id": convention_id, "insee_code": c} for c in item.insee_codes))
    signatories = [
        role["caf"],
        role["departement"],
        role["epci"],
        *(role[f"commune{k}"] for k in range(len(item.insee_codes))),
    ]
    _add(
        counts, connection, "signatories", ({"convention_id": convention_id, "organisation_id": o} for o in signatories)
    )
    _add(counts, connection, "orientations", plan.orientation_rows(convention_id))
    enjeux = {code: id_ for (_, code), id_ in ids_by_code(connection, "orientations", [convention_id]).items()}
    _add(counts, connection, "orientations", plan.objectif_rows(convention_id, enjeux))
    objectifs = {code: id_ for (_, code), id_ in ids_by_code(connection, "orientations", [convention_id]).items()}
    pilots = [role["epci"], role["centre_social"], role["association"], role["commune0"]]
    _add(counts, connection, "actions", plan.action_rows(rng, item, convention_id, objectifs, pilots, STAMP))
    actions = {code: id_ for (_, code), id_ in ids_by_code(connection, "actions", [convention_id]).items()}
    partners = (
        {"action_id": id_, "organisation_id": role["caf"]} for code, id_ in actions.items() if int(code[2:]) % 3
    )
    _add(counts, connection, "action_partners", partners)
    indicators = plan.indicator_rows(rng, item, convention_id, actions, STAMP)
    _add(counts, connection, "indicators", indicators)
    indicator_ids = {code: id_ for (_, code), id_ in ids_by_code(connection, "indicators", [convention_id]).items()}
    _add(counts, connection, "indicator_targets", plan.target_rows(indicators, indicator_ids, item, STAMP))
    _add(counts, connection, "measurements", plan.measurement_rows(rng, indicators, indicator_ids, item, STAMP))
    managers = [role["epci"], role["commune0"], role["association"], role["centre_social"]]
    facilities = money.facility_rows(rng, item, convention_id, managers, STAMP)
    _add(counts, connection, "facilities", facilities)
    facility_ids = {code: id_ for (_, code), id_ in ids_by_code(connection, "facilities", [convention_id]).items()}
    _add(counts, connection, "facility_activity", money.activity_rows(rng, item, facilities, facility_ids, STAMP))
    _add(counts, connection, "coordination_posts", [money.post_row(item, convention_id, role["epci"])])
    post_id = ids_by_code(connection, "coordination_posts", [convention_id])[(convention_id, "COORD")]
    links = {"facilities": facilities, "facility_ids": facility_ids, "action_ids": actions, "post_id": post_id}
    _add(counts, connection, "funding_lines", money.funding_rows(rng, item, convention_id, role, links, STAMP))
    _meetings(connection, rng, item, convention_id, role, actions, counts)
    _audit(connection, item, convention_id, actions, counts)


def _meetings(
    connection: Connection,
    rng: Random,
    item: Place,
    convention_id: int,
    role: dict[str, int],
    actions: dict[str, int],
    counts: dict[str, int],
) -> None:
    _add(counts, connection, "meetings", money.meeting_rows(item, convention_id, STAMP))
    meetings = table("meetings")
    held = connection.execute(
        select(meetings.c.id, meetings.c.held_on)
        .where(meetings.c.convention_id == convention_id, meetings.c.status == "tenue")
        .order_by(meetings.c.held_on)
    ).all()
    participants = [
        {
            "meeting_id": meeting,
            "organisation_id": org,
            "attendance": "excuse" if org == role["association"] else "present",
        }
        for meeting, _ in held
        for org in (role["caf"], role["departement"], role["epci"], role["association"])
    ]
    _add(counts, connection, "meeting_participants", participants)
    decisions = [
        {
            "meeting_id": meeting,
            "text": text,
            "owner_id": role["epci"],
            "due_on": day + timedelta(days=180),
            "status": "fait" if n == 0 else "a_faire",
            "version": 1,
            "created_at": STAMP,
            "updated_at": STAMP,
        }
        for n, (meeting, day) in enumerate(held)
        for text in ("Relancer le recrutement de la coordination", "Étendre l'action aux communes voisines")
    ]
    _add(counts, connection, "decisions", decisions)


def _audit(
    connection: Connection, item: Place, convention_id: int, actions: dict[str, int], counts: dict[str, int]
) -> None:
    """A trail like a year of use: the convention's creation and one status change per action."""
    events = [
        {
            "at": STAMP,
            "actor": plan.ACTOR,
            "operation": "import:création",
            "table_name": "conventions",
            "record_key": str(convention_id),
            "convention_id": convention_id,
            "after": json.dumps({"code": item.code}, ensure_ascii=False),
        }
    ]
    events += [
        {
            "at": STAMP + timedelta(days=300, minutes=item.index * 40 + n),
            "actor": plan.ACTOR,
            "operation": "saisie:modification",
            "table_name": "actions",
            "record_key": str(id_),
            "convention_id": convention_id,
            "before": json.dumps({"status": "a_venir"}),
            "after": json.dumps({"status": "en_cours"}),
        }
        for n, id_ in enumerate(actions.values())
    ]
    _add(counts, connection, "audit_events", events)


def _accounts(connection: Connection, seed: int, conventions: int, counts: dict[str, int]) -> None:
    """An administrator and one conseiller per département, member of its département's
    conventions; existing addresses are left as they are."""
    users = table("users")
    passwords.check_policy(PASSWORD)
    digest = passwords.hash_password(PASSWORD)  # one hash for all: the same public password
    wanted = [("admin@national.ctg", "admin", "Administratrice nationale (données synthétiques)")]
    departements = DEPARTEMENTS[: min(conventions, len(DEPARTEMENTS))]
    wanted += [
        (f"conseiller.{dep}@national.ctg", "conseiller", f"Conseillère CAF {name}") for dep, name in departements
    ]
    known = set(connection.execute(select(users.c.email).where(users.c.email.in_([w[0] for w in wanted]))).scalars())
    base = {"password_hash": digest, "created_at": STAMP, "updated_at": STAMP, "version": 1}
    rows = [base | {"email": e, "role": r, "display_name": n} for e, r, n in wanted if e not in known]
    _add(counts, connection, "users", rows)
    ids = dict(
        connection.execute(
            select(users.c.email, users.c.id).where(users.c.email.like("conseiller.%@national.ctg"))
        ).all()
    )
    conventions_table = table("conventions")
    members = []
    for index in range(1, conventions + 1):
        item = place(seed, index)
        user = ids.get(f"conseiller.{item.departement[0]}@national.ctg")
        if user is not None:
            members.append((item.code, user))
    codes = dict(
        connection.execute(
            select(conventions_table.c.code, conventions_table.c.id).where(
                conventions_table.c.code.like(f"ctg-s{seed}-%")
            )
        ).all()
    )
    _add(counts, connection, "convention_members", ({"convention_id": codes[c], "user_id": u} for c, u in members))
