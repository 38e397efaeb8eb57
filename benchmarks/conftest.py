"""A national-scale PostgreSQL database for the query benchmarks, built once per run by the
generator of `ctg demo-data` (1 000 conventions, 1,44 million measurements)."""

import pytest
from sqlalchemy import text

from ctg_data.db import make_engine, refresh_statistics, upgrade
from ctg_data.synthetic import generate
from tests.postgres_server import PostgresServer

CONVENTIONS = 1000
SEED = 1


@pytest.fixture(scope="session")
def national_engine():
    server = PostgresServer()
    base = server.start()
    try:
        admin = make_engine(f"{base}/postgres").execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE ctg_national"))
        admin.dispose()
        url = f"{base}/ctg_national"
        upgrade(url)
        engine = make_engine(url)
        generate(engine, CONVENTIONS, SEED)
        refresh_statistics(engine)
        yield engine
        engine.dispose()
    finally:
        server.stop()
