"""Grow a loaded base `factor` times, deterministically and in bulk (SQL inserts of copied rows),
for the tests that compare a page's statement count on a small base and on the same base grown
tenfold (tests/test_statement_counts.py).

`grow(engine, factor)` on a base holding the demo convention gives:
- 2 × factor conventions: copies of each convention with all its rows (plan, measurements,
  facilities and their activity, funding, meetings…), codes suffixed « -cN »;
- inside each original convention (the one the pages open), factor × its actions, indicators,
  facilities, coordination posts, funding lines and meetings, each with its own rows (partners,
  co-pilots, communes, notes, targets, measurements, co-managers, activity, decisions…), codes
  suffixed « -xN »;
- factor × the audit trail, and 3 × factor accounts (a lecteur, a partner, an advisor each time).

Copies keep their references to shared rows (organisations, communes, domains), so a partner
organisation takes part in every copy: what it sees and may write grows with the base too.
Rows get explicit ids (old id + the table's current maximum), which maps every reference to a
copied row without reading anything back.
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, select, text
from sqlmodel import Session, SQLModel

from ctg_data import models as m  # also registers the tables in SQLModel.metadata

# What a copy of a convention takes with it: every table below `conventions`, in dependency order.
CONVENTION_ROWS = (
    "conventions",
    "amendments",
    "annual_reviews",
    "domain_evaluations",
    "signatories",
    "perimeter",
    "orientations",
    "actions",
    "action_partners",
    "action_copilots",
    "action_communes",
    "action_notes",
    "indicators",
    "indicator_targets",
    "measurements",
    "facilities",
    "facility_comanagers",
    "facility_activity",
    "coordination_posts",
    "funding_lines",
    "meetings",
    "meeting_participants",
    "decisions",
    "decision_links",
    "snapshots",
)
# What is multiplied inside a convention: the tables listed by convention (roots) and their rows.
ITEM_ROOTS = ("actions", "indicators", "facilities", "coordination_posts", "funding_lines", "meetings")
ITEM_ROWS = tuple(
    name
    for name in CONVENTION_ROWS
    if name
    not in {
        "conventions",
        "amendments",
        "annual_reviews",
        "domain_evaluations",
        "signatories",
        "perimeter",
        "orientations",
    }
)


def _tables(names: Iterable[str]) -> list[Table]:
    wanted = set(names)
    return [t for t in SQLModel.metadata.sorted_tables if t.name in wanted]


class _Base:
    """The rows there before any copy, read once: every copy is made of these (a copy of a copy
    would grow the base geometrically), with the next free id of each table."""

    def __init__(self, connection: Connection):
        self.rows = {
            t.name: [dict(r) for r in connection.execute(select(t)).mappings()] for t in _tables(CONVENTION_ROWS)
        }
        self.top = {
            name: max((r["id"] for r in rows), default=0)
            for name, rows in self.rows.items()
            if rows and "id" in rows[0]
        }


def _copy(connection: Connection, base: _Base, names: Iterable[str], roots: dict[str, Any], suffix: str) -> None:
    """One copy: the rows of the root tables matching `roots` (table → convention id), and every
    row of the other tables referring to a copied row, references remapped to the copies."""
    copied: dict[str, set[Any]] = {}
    offsets = dict(base.top)  # a copied row's id: its own + the table's largest id so far
    for table in _tables(names):
        references = [
            (column.name, next(iter(column.foreign_keys)).column.table.name)
            for column in table.columns
            if column.foreign_keys
        ]
        rows = [
            dict(row)
            for row in base.rows[table.name]
            if (table.name in roots and row[_root_column(table)] == roots[table.name])
            or any(row[name] in copied.get(parent, ()) for name, parent in references)
        ]
        if not rows:
            continue
        if "id" in table.c:
            copied[table.name] = {row["id"] for row in rows}
        for row in rows:
            for name, parent in references:
                if row[name] is not None and row[name] in copied.get(parent, ()):
                    row[name] += offsets[parent]
            if "id" in table.c:
                row["id"] += offsets[table.name]
            if "code" in table.c and (table.name == "conventions" or "convention_id" in table.c):
                row["code"] = f"{row['code']}{suffix}"
        connection.execute(table.insert(), rows)
        if "id" in table.c:
            base.top[table.name] = max(row["id"] for row in rows)


def _root_column(table: Table) -> str:
    return "id" if table.name == "conventions" else "convention_id"


def _copy_audit(connection: Connection, copies: int) -> None:
    table = SQLModel.metadata.tables["audit_events"]
    rows = [dict(row) for row in connection.execute(select(table)).mappings()]
    for _ in range(copies):
        offset = connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
        if rows:
            connection.execute(table.insert(), [{**row, "id": row["id"] + offset} for row in rows])


def _add_accounts(connection: Connection, count: int) -> None:
    organisation = connection.execute(text("SELECT min(id) FROM organisations")).scalar_one()
    roles = ("lecteur", "partenaire", "conseiller")
    with Session(connection) as session:  # the model's defaults (timestamps, version)
        session.add_all(
            m.User(
                email=f"compte{n}@grow.test",
                display_name=f"Compte {n}",
                role=roles[n % 3],
                organisation_id=organisation if roles[n % 3] == "partenaire" else None,
            )
            for n in range(count)
        )
        session.flush()


def _reset_sequences(connection: Connection) -> None:
    """PostgreSQL: explicit ids leave the sequences behind; a later insert must not collide."""
    if connection.dialect.name != "postgresql":
        return
    for table in SQLModel.metadata.sorted_tables:
        if "id" in table.c and table.c.id.autoincrement in (True, "auto"):
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"
                )
            )


def grow(engine: Engine, factor: int) -> None:
    """The loaded base grown `factor` times (see the module docstring); factor 1 gives the small
    base the tests compare with (2 conventions)."""
    with engine.begin() as connection:
        originals = [row[0] for row in connection.execute(text("SELECT id FROM conventions ORDER BY id"))]
        base = _Base(connection)
        for convention_id in originals:
            for n in range(1, 2 * factor):
                _copy(connection, base, CONVENTION_ROWS, {"conventions": convention_id}, f"-c{n}")
        for convention_id in originals:
            for n in range(1, factor):
                _copy(connection, base, ITEM_ROWS, dict.fromkeys(ITEM_ROOTS, convention_id), f"-x{n}")
        _copy_audit(connection, factor - 1)
        _add_accounts(connection, 3 * factor)
        _reset_sequences(connection)
