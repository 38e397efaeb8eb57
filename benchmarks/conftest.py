"""A national-scale PostgreSQL database for benchmarks, built once per run."""

from pathlib import Path

import pytest
from sqlalchemy import text

from ctg_data.db import make_engine, upgrade
from tests.postgres_server import PostgresServer

HERE = Path(__file__).resolve().parent


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
        raw = engine.raw_connection()  # the script's `%` are SQL, not driver placeholders
        try:
            raw.cursor().execute((HERE / "national.sql").read_text(encoding="utf-8"))
            raw.commit()
        finally:
            raw.close()
        yield engine
        engine.dispose()
    finally:
        server.stop()
