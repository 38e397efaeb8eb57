"""Alembic environment: the models' metadata is the target; SQLite needs batch mode to alter.

Migrations are the only path allowed to create the SQLite file (`ctg db upgrade`), and they run
as one write unit of work (on SQLite: holding the write lock from the start)."""

from alembic import context
from sqlmodel import SQLModel

import ctg_data.models  # noqa: F401  (registers the tables on the metadata)
from ctg_data.db import for_writing, make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"), create=True)
    try:
        with for_writing(engine).begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
