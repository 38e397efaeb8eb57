"""Counting the SQL statements a piece of work sends, for the tests (a page run must send as many
statements on a base ten times larger: no N+1) and for the benchmark (statements per page).

No Streamlit here: the benchmark harness and the tests import it outside any page.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event


@dataclass
class StatementCount:
    """The statements seen so far: `count`, and their SQL text in order (to say which ones
    repeat when a count is higher than expected)."""

    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)

    def repeated(self, at_least: int = 2) -> dict[str, int]:
        """Statements sent `at_least` times, with how many times: the usual sign of an N+1."""
        seen: dict[str, int] = {}
        for statement in self.statements:
            seen[statement] = seen.get(statement, 0) + 1
        return {text: n for text, n in seen.items() if n >= at_least}


@contextmanager
def count_statements(engine: Engine | type[Engine]) -> Iterator[StatementCount]:
    """Count the statements sent through `engine` (and the engines derived from it by
    `execution_options`, which share its events) while the block runs, from every thread.
    `Engine` itself counts those of every engine of the process.

        with count_statements(engine) as counted:
            ...
        counted.count
    """
    counted = StatementCount()

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        counted.statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield counted
    finally:
        event.remove(engine, "before_cursor_execute", seen)
