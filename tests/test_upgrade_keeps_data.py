"""A database created by an earlier release migrates in place, keeping its data."""

from alembic import command
from sqlalchemy import inspect
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


# A whole convention as the release of revision 0004 stored it, written through that schema with
# plain SQL (never through today's models, which describe the next schema).
AT_0004 = [
    "INSERT INTO organisations (id, code, name, type) VALUES (1, 'caf81', 'CAF du Tarn', 'caf'), "
    "(2, 'cc-ts', 'CC Tarn Sud', 'epci'), (3, 'asso', 'Familles rurales', 'association')",
    "INSERT INTO communes (insee_code, name, population, children_under_3, qpv) VALUES "
    "('81004', 'Albi', 48970, 1420, true), ('81060', 'Castres', 41500, NULL, NULL)",
    "INSERT INTO conventions (id, code, name, territory, signed_on, starts_on, ends_on, created_at, updated_at, "
    "restricted, caf_id) VALUES (1, 'ctg-tarn', 'CTG Tarn Sud', 'Tarn Sud', '2023-03-01', '2023-01-01', "
    "'2026-12-31', '2023-03-01 10:00:00', '2023-03-01 10:00:00', false, 1)",
    "INSERT INTO signatories (convention_id, organisation_id, representative, capacity) VALUES "
    "(1, 1, 'M. A', 'Directeur'), (1, 2, 'Mme B', 'Présidente')",
    "INSERT INTO perimeter (convention_id, insee_code) VALUES (1, '81004'), (1, '81060')",
    "INSERT INTO orientations (id, convention_id, code, domain_code, title, version) VALUES "
    "(1, 1, 'PE', 'petite_enfance', 'Petite enfance', 1)",
    "INSERT INTO actions (id, convention_id, code, title, domain_code, orientation_id, pilot_id, status, priority, "
    "starts_on, ends_on, progress, weight, planned_budget, version, created_at, updated_at) VALUES "
    "(1, 1, 'PE-1', 'Ouvrir une crèche', 'petite_enfance', 1, 2, 'en_cours', 1, '2023-01-01', '2025-12-31', 40, "
    "1, 12000.50, 1, '2023-03-01 10:00:00', '2023-03-01 10:00:00'), "
    "(2, 1, 'PE-2', 'Relais', 'petite_enfance', 1, 2, 'a_venir', NULL, NULL, NULL, NULL, 2, NULL, 1, "
    "'2023-03-01 10:00:00', '2023-03-01 10:00:00')",
    "INSERT INTO action_partners (action_id, organisation_id) VALUES (1, 1), (1, 3)",
    "INSERT INTO action_communes (action_id, insee_code) VALUES (1, '81004')",
    "INSERT INTO action_notes (id, action_id, noted_on, text, author, created_at) VALUES "
    "(1, 1, '2024-01-15', 'Terrain trouvé', 'conseillere@caf81', '2024-01-15 09:00:00')",
    "INSERT INTO indicators (id, convention_id, code, name, domain_code, action_id, unit, direction, "
    "baseline_value, baseline_date, target_value, target_date, frequency, min_value, max_value, version, "
    "created_at, updated_at) VALUES (1, 1, 'TX', 'Taux de couverture', 'petite_enfance', 1, 'pourcent', 'hausse', 50, "
    "'2022-12-31', 60, '2026-12-31', 'annuelle', 0, 100, 1, '2023-03-01 10:00:00', '2023-03-01 10:00:00')",
    "INSERT INTO measurements (id, indicator_id, measured_on, value, type, recorded_by, recorded_at, "
    "superseded_at, superseded_by_id) VALUES "
    "(1, 1, '2023-12-31', 51, 'resultat', 'import', '2024-01-10 08:00:00', NULL, NULL), "
    "(2, 1, '2024-12-31', 53, 'resultat', 'import', '2025-01-10 08:00:00', NULL, NULL)",
    # a correction: the first value of 2024, superseded by the current one
    "INSERT INTO measurements (id, indicator_id, measured_on, value, type, recorded_by, recorded_at, "
    "superseded_at, superseded_by_id) VALUES "
    "(3, 1, '2024-12-31', 52, 'resultat', 'import', '2025-01-05 08:00:00', '2025-01-10 08:00:00', 2)",
    "INSERT INTO facilities (id, convention_id, code, name, type, insee_code, manager_id, places, psu, "
    "territory_class, opens_on, closes_on, version, created_at, updated_at, new_places, new_places_from) VALUES "
    "(1, 1, 'EAJE1', 'Les Petits Pas', 'eaje', '81004', 2, 30, true, 'B', '2024-09-01', NULL, 1, "
    "'2023-03-01 10:00:00', '2023-03-01 10:00:00', 10, '2024-09-01'), "
    "(2, 1, 'RPE', 'Relais', 'rpe', '81060', 2, NULL, NULL, '', NULL, NULL, 1, "
    "'2023-03-01 10:00:00', '2023-03-01 10:00:00', NULL, NULL)",
    "INSERT INTO facility_activity (id, facility_id, year, places, hours_delivered, hours_billed, fte, version, "
    "updated_at, new_places) VALUES (1, 1, 2024, 30, 14000, 15000, 8.5, 1, '2025-01-10 08:00:00', 10), "
    "(2, 1, 2025, 30, 42000, 44000, 8.5, 1, '2026-01-10 08:00:00', 10)",
    "INSERT INTO coordination_posts (id, convention_id, code, title, employer_id, fte, starts_on, ends_on, "
    "annual_cost, version) VALUES (1, 1, 'COORD', 'Chargée de coopération', 2, 1, '2023-03-01', NULL, 52000, 1)",
    "INSERT INTO rate_rows (id, year, lever_code, facility_type, territory_class, place_category, scope, basis, "
    "amount, rate_floor, floor, cap, source, version, updated_at) VALUES "
    "(1, 2024, 'bonus_territoire', 'eaje', '', '', '', 'par_place', 3600, NULL, NULL, NULL, 'barème', 1, "
    "'2024-01-01 00:00:00')",
    "INSERT INTO funding_lines (id, convention_id, lever_code, year, funder_id, beneficiary_id, facility_id, "
    "action_id, post_id, domain_code, planned, notified, paid, comment, version, created_at, updated_at) VALUES "
    "(1, 1, 'bonus_territoire', 2024, 1, 2, 1, NULL, NULL, 'petite_enfance', 36000, 36000, 18000, NULL, 1, "
    "'2024-01-01 00:00:00', '2024-01-01 00:00:00'), "
    "(2, 1, 'prestation_service', 2024, 1, 2, NULL, 1, NULL, NULL, 10000, NULL, NULL, 'acompte', 1, "
    "'2024-01-01 00:00:00', '2024-01-01 00:00:00'), "
    "(3, 1, 'autre', 2025, 1, 2, NULL, NULL, 1, NULL, 26000, NULL, NULL, NULL, 1, "
    "'2025-01-01 00:00:00', '2025-01-01 00:00:00')",
    "INSERT INTO audit_events (id, at, actor, operation, table_name, record_key, before, after, reason) VALUES "
    "(1, '2024-01-10 08:00:00', 'import', 'import:création', 'measurements', '1', NULL, '{}', NULL)",
]
# What revision 0005 itself adds to tables that existed before: the new default domains and levers.
ADDED_BY_0005 = {"domains": 4, "funding_levers": 3}


def _counts(engine) -> dict[str, int]:
    tables = sorted(set(inspect(engine).get_table_names()) - {"alembic_version"})
    with engine.connect() as connection:
        return {table: connection.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar_one() for table in tables}


def test_upgrading_from_0004_to_0005_keeps_every_row_of_a_convention(database_url):
    command.downgrade(alembic_config(database_url), "0004")
    engine = make_engine(database_url)
    with engine.begin() as connection:
        for statement in AT_0004:
            connection.exec_driver_sql(statement)
    before = _counts(engine)
    assert before["actions"] == 2 and before["measurements"] == 3 and before["funding_lines"] == 3
    engine.dispose()

    upgrade(database_url)

    engine = make_engine(database_url)
    after = _counts(engine)
    expected = {table: count + ADDED_BY_0005.get(table, 0) for table, count in before.items()}
    assert {table: after[table] for table in before} == expected
    with Session(engine) as session:  # the rows kept are the rows written, with their values
        action = session.exec(select(m.Action).where(m.Action.code == "PE-1")).one()
        assert (action.status, action.progress, str(action.planned_budget)) == ("en_cours", 40, "12000.50")
        facility = session.exec(select(m.Facility).where(m.Facility.code == "EAJE1")).one()
        assert (facility.type, facility.places, facility.new_places) == ("eaje", 30, 10)
        assert [x.value for x in session.exec(select(m.Measurement).order_by(m.Measurement.id))] == [51, 53, 52]
        assert session.exec(select(m.Organisation.type).where(m.Organisation.code == "cc-ts")).one() == "epci"
        orientation = session.exec(select(m.Orientation)).one()
        assert (orientation.domain_code, orientation.parent_id) == ("petite_enfance", None)
        convention = session.exec(select(m.Convention)).one()
        assert (convention.starts_on.isoformat(), convention.ends_on.isoformat()) == ("2023-01-01", "2026-12-31")
    engine.dispose()


# Events of two conventions and of shared data, as revision 0004's trail stored them (no convention).
SECOND_CONVENTION = [
    "INSERT INTO conventions (id, code, name, territory, signed_on, starts_on, ends_on, created_at, updated_at, "
    "restricted, caf_id) VALUES (2, 'ctg-b', 'CTG B', 'B', '2023-03-01', '2023-01-01', "
    "'2026-12-31', '2023-03-01 10:00:00', '2023-03-01 10:00:00', false, 1)",
    "INSERT INTO actions (id, convention_id, code, title, domain_code, orientation_id, pilot_id, status, priority, "
    "starts_on, ends_on, progress, weight, planned_budget, version, created_at, updated_at) VALUES "
    "(3, 2, 'B-1', 'Autre', 'petite_enfance', NULL, 2, 'a_venir', NULL, NULL, NULL, NULL, 1, NULL, 1, "
    "'2023-03-01 10:00:00', '2023-03-01 10:00:00')",
]
EVENTS = {  # id: (table, record key, the convention the upgrade must find; None: shared or gone)
    2: ("actions", "1", 1),
    3: ("actions", "99", None),  # deleted since: reads as every convention
    4: ("organisations", "1", None),
    5: ("action_partners", "1/3", 1),
    6: ("signatories", "1/2", 1),
    7: ("conventions", "1", 1),
    8: ("facility_activity", "2", 1),
    9: ("rate_rows", "1", None),
    10: ("funding_lines", "3", 1),
    11: ("actions", "3", 2),
    12: ("conventions", "2", 2),
    13: ("perimeter", "2/81060", 2),
    14: ("users", "1", None),
}


def test_upgrading_gives_each_past_audit_event_the_convention_of_its_record(database_url):
    command.downgrade(alembic_config(database_url), "0004")
    engine = make_engine(database_url)
    with engine.begin() as connection:
        for statement in AT_0004 + SECOND_CONVENTION:
            connection.exec_driver_sql(statement)
        for event_id, (table, key, _) in EVENTS.items():
            connection.exec_driver_sql(
                "INSERT INTO audit_events (id, at, actor, operation, table_name, record_key, before, after) "
                f"VALUES ({event_id}, '2024-01-10 08:00:00', 'x', 'modification', '{table}', '{key}', '{{}}', '{{}}')"
            )
    engine.dispose()

    upgrade(database_url)

    engine = make_engine(database_url)
    with engine.connect() as connection:
        found = dict(connection.exec_driver_sql("SELECT id, convention_id FROM audit_events").all())
    expected = {event_id: convention for event_id, (_, _, convention) in EVENTS.items()}
    assert found == {1: 1, **expected}  # event 1: AT_0004's measurement of convention 1's indicator
    engine.dispose()
