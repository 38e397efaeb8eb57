"""The bases the benchmark measures: the demo convention and the national synthetic base
(`ctg demo-data`), each on SQLite and on a PostgreSQL server of the run's own, built through
the public `ctg` command as an administrator would."""

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from ctg_data.db import make_engine
from tests.postgres_server import PostgresServer

ROOT = Path(__file__).resolve().parent.parent
CTG = str(Path(sys.executable).parent / "ctg")
DEMO_CONVENTION = "ctg-lourdes-2023"
SEED = 1


@dataclass(frozen=True)
class Base:
    name: str  # "démo" or "nationale"
    engine: str  # "SQLite" or "PostgreSQL"
    url: str
    convention: str  # the code of the convention the one-convention pages open
    built_in: float  # seconds to build it


def ctg(url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"CTG_DATABASE_URL": url}
    done = subprocess.run([CTG, *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"ctg {' '.join(args)} : {done.stderr.strip()[-2000:]}")
    return done


class Servers:
    """A scratch folder for SQLite files and one PostgreSQL server, for the whole run."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="ctg-bench-"))
        self.postgres = PostgresServer()
        self.postgres_base = self.postgres.start()

    def url(self, engine: str, name: str) -> str:
        if engine == "SQLite":
            return f"sqlite:///{self.folder / name}.sqlite3"
        admin = make_engine(f"{self.postgres_base}/postgres").execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return f"{self.postgres_base}/{name}"

    def stop(self) -> None:
        self.postgres.stop()


def build(servers: Servers, name: str, engine: str, conventions: int) -> Base:
    """The demo (`ctg seed`) when `conventions` is 0, else `ctg demo-data --conventions N`."""
    url = servers.url(engine, f"ctg_{'demo' if conventions == 0 else 'national'}")
    started = time.perf_counter()
    ctg(url, "db", "upgrade")
    if conventions == 0:
        ctg(url, "seed")
        convention = DEMO_CONVENTION
    else:
        ctg(url, "demo-data", "--conventions", str(conventions), "--seed", str(SEED))
        convention = f"ctg-s{SEED}-{max(1, conventions // 2):04d}"  # one in the middle of the base
    if engine == "PostgreSQL":
        vacuum = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
        with vacuum.connect() as connection:
            connection.execute(text("VACUUM ANALYZE"))
        vacuum.dispose()
    return Base(name, engine, url, convention, time.perf_counter() - started)
