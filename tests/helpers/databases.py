"""Test databases on the session's PostgreSQL server.

Each test gets its own database, cloned from a template. Cloning and dropping are PostgreSQL
work (file copies and checkpoints) that needs none of the test's Python: a worker thread keeps a
small stock of clones ready and drops used databases, so that this work overlaps the tests
instead of adding to their time. A clone is taken from the stock only if it is ready; otherwise
it is made at once, so a test never waits on the worker.
"""

import itertools
import os
import queue
import threading
from collections import defaultdict, deque

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from ctg_data.db import make_engine

STOCK = 2  # clones kept ready per template that is asked for more than once


def admin_engine(base_url: str) -> Engine:
    return make_engine(f"{base_url}/postgres").execution_options(isolation_level="AUTOCOMMIT")


def create_database(connection: Connection, name: str, template: str) -> None:
    # FILE_COPY: for a small template, copying its files beats PostgreSQL 15's default of
    # writing every block through the WAL.
    connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY'))


def drop_database(connection: Connection, name: str) -> None:
    # FORCE ends connections a test left open.
    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


class Databases:
    """Clones of templates for the tests, prepared and dropped in the background."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self._names = itertools.count()
        self._lock = threading.Lock()
        self._ready: dict[str, deque[str]] = defaultdict(deque)
        self._pending: dict[str, int] = defaultdict(int)
        self._asked: dict[str, int] = defaultdict(int)
        self._jobs: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._errors: list[BaseException] = []
        self._handed_out: set[str] = set()  # dropped by close() if no test released them
        self._admin = admin_engine(base_url)
        self._connection = self._admin.connect()  # the main thread's; the worker has its own
        self._worker = threading.Thread(target=self._work, name="ctg-test-databases", daemon=True)
        self._worker.start()

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"

    def clone(self, template: str) -> str:
        """The URL of a new database copied from `template`."""
        with self._lock:
            self._asked[template] += 1
            ready = self._ready[template]
            name = ready.popleft() if ready else None
            refill = self._asked[template] > 1 and len(ready) + self._pending[template] < STOCK
            if refill:
                self._pending[template] += 1
        if name is None:
            name = self._new_name()
            self._create_now(name, template)
        if refill:
            self._jobs.put(("create", template))
        self._handed_out.add(name)
        return self.url(name)

    def release(self, url: str) -> None:
        """Drop a database a test is done with, in the background."""
        name = url.rpartition("/")[2]
        self._handed_out.discard(name)
        self._jobs.put(("drop", name))

    def settle(self) -> None:
        """Wait until the worker has done every job given so far."""
        self._jobs.join()

    def close(self) -> None:
        """Finish the pending work, drop what is left (unused clones, databases no test released,
        templates), and report any failure of the worker."""
        self._jobs.put(None)
        self._worker.join()
        leftovers = [*self._handed_out, *(name for ready in self._ready.values() for name in ready)]
        for name in leftovers:
            drop_database(self._connection, name)
        self._connection.close()
        self._admin.dispose()
        if self._errors:
            raise RuntimeError(f"Préparation des bases de test en échec : {self._errors!r}")

    def _create_now(self, name: str, template: str) -> None:
        try:
            create_database(self._connection, name, template)
        except OperationalError:  # the admin connection was lost (a test ended it): open another
            self._connection.close()
            self._connection = self._admin.connect()
            create_database(self._connection, name, template)

    def _new_name(self) -> str:
        return f"ctg_test_{os.getpid()}_{next(self._names)}"

    def _work(self) -> None:
        engine = admin_engine(self.base_url)
        with engine.connect() as connection:
            while (job := self._jobs.get()) is not None:
                kind, argument = job
                try:
                    if kind == "drop":
                        drop_database(connection, argument)
                    else:
                        name = self._new_name()
                        create_database(connection, name, argument)
                        with self._lock:
                            self._ready[argument].append(name)
                except Exception as error:  # reported by close(), at the end of the session
                    self._errors.append(error)
                finally:
                    if kind == "create":
                        with self._lock:
                            self._pending[argument] -= 1
                    self._jobs.task_done()
            self._jobs.task_done()  # the stop job
        engine.dispose()
