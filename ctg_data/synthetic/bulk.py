"""Set-based writes for synthetic data: rows as plain dicts, inserted by batches through
SQLAlchemy Core (one executemany per batch), never through the ORM one object at a time."""

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Table, select
from sqlmodel import SQLModel

BATCH = 5_000
COPY_FROM = 500  # rows in a batch from which PostgreSQL gets them through COPY
Row = dict[str, Any]


def table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def _batches(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def insert(connection: Connection, name: str, rows: Iterable[Row], size: int = BATCH) -> int:
    """Insert `rows` into table `name` by batches; returns how many were inserted."""
    count = 0
    target = table(name)
    for batch in _batches(rows, size):
        # One executemany needs the same columns in every row: a key some rows lack is NULL.
        keys = {key for row in batch for key in row}
        if connection.dialect.name == "postgresql" and len(batch) >= COPY_FROM:
            _copy(connection, name, sorted(keys), batch)
        else:
            connection.execute(target.insert(), [dict.fromkeys(keys) | row for row in batch])
        count += len(batch)
    return count


def _copy(connection: Connection, name: str, columns: list[str], batch: list[Row]) -> None:
    """PostgreSQL's COPY, in the connection's transaction: several times faster than an
    executemany for the measurements (the bulk of the base)."""
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in batch:
            copy.write_row([row.get(column) for column in columns])


def ids_by_code(connection: Connection, name: str, convention_ids: Iterable[int]) -> dict[tuple[int, str], int]:
    """The ids the database gave to the rows of `name` of these conventions, by (convention, code):
    one query per table and chunk of conventions."""
    target = table(name)
    query = select(target.c.convention_id, target.c.code, target.c.id).where(
        target.c.convention_id.in_(list(convention_ids))
    )
    return {(convention, code): id_ for convention, code, id_ in connection.execute(query)}
