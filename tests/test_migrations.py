"""The schema is created by Alembic alone, and what it creates is exactly the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import ctg_data.models  # noqa: F401


def test_migrations_create_every_table_of_the_models(engine):
    assert set(inspect(engine).get_table_names()) - {"alembic_version"} == set(SQLModel.metadata.tables)


def test_migrations_and_models_agree_with_no_pending_change(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_the_default_referentials_of_format_v2_are_part_of_the_schema(engine):
    with engine.connect() as connection:
        domains = [row[0] for row in connection.exec_driver_sql("SELECT code FROM domains ORDER BY position")]
        levers = {row[0] for row in connection.exec_driver_sql("SELECT code FROM funding_levers")}
    # The codes of docs/format.md, written out here rather than read from the code under test.
    assert domains == [
        "petite_enfance",
        "enfance",
        "jeunesse",
        "parentalite",
        "acces_aux_droits",
        "inclusion_numerique",
        "animation_vie_sociale",
        "logement",
        "handicap",
        "accompagnement_social",
        "sante",
        "seniors",
        "insertion",
        "mobilite",
    ]
    assert levers == {
        "bonus_territoire",
        "cofinancement_diagnostic",
        "cofinancement_ingenierie",
        "cofinancement_coordination",
        "prestation_service",
        "fonds_publics_territoires",
        "bonus_inclusion_handicap",
        "bonus_mixite_sociale",
        "subvention",
        "autre",
    }
    with engine.connect() as connection:
        organisation_types = {row[0] for row in connection.exec_driver_sql("SELECT code FROM organisation_types")}
        facility_types = dict(connection.exec_driver_sql("SELECT code, bonus FROM facility_types").all())
    assert {"region", "cias", "education_nationale", "france_travail", "caf", "autre"} <= organisation_types
    assert len(organisation_types) == 15
    eligible = {"eaje", "alsh", "accueil_jeunes", "rpe", "laep", "ludotheque"}
    ineligible = {"centre_social", "evs", "mam", "micro_creche", "france_services"}
    assert {code for code, bonus in facility_types.items() if bonus} == eligible
    assert {code for code, bonus in facility_types.items() if not bonus} == ineligible


def test_an_unknown_type_is_refused_by_the_database_itself(engine):
    import pytest
    from sqlalchemy.exc import IntegrityError

    with engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO organisations (code, name, type) VALUES ('r', 'Région', 'region')")
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO organisations (code, name, type) VALUES ('x', 'X', 'inconnu')")
