"""A database created by an earlier release migrates in place, keeping its data."""

from alembic import command
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.db import alembic_config, make_engine, upgrade


def test_upgrading_from_the_first_schema_keeps_every_row(database_url, tmp_path):
    command.downgrade(alembic_config(database_url), "0001")
    engine = make_engine(database_url)
    with engine.begin() as connection:  # rows written by the first release, through its schema
        connection.exec_driver_sql("INSERT INTO organisations (code, name, type) VALUES ('caf65', 'CAF', 'caf')")
        connection.exec_driver_sql(
            "INSERT INTO conventions (code, name, starts_on, ends_on, created_at, updated_at) "
            "VALUES ('c1', 'CTG', '2023-06-01', '2027-05-31', '2023-06-01', '2023-06-01')"
        )
    upgrade(database_url)
    with Session(engine) as session:
        convention = session.exec(select(m.Convention)).one()
        assert convention.code == "c1" and convention.restricted is False
        assert session.exec(select(m.Organisation.code)).all() == ["caf65"]
    engine.dispose()
