"""Times every page of the app on one base, run by AppTest as an administrator (the role that
sees most), in a process of its own (its memory is one app process's): cold (Streamlit's caches
cleared) and warm (a new session on filled caches), with the time spent in SQL, the statements
of a warm run and the process's RSS after each page. Prints one JSON line per page.

    CTG_DATABASE_URL=… python -m benchmarks.pages CONVENTION_CODE COLD WARM
"""

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from ctg_data.diagnostics import count_statements

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(p.stem for p in (ROOT / "pages").glob("*.py"))


class SqlClock:
    """Seconds spent between before_ and after_cursor_execute, on every engine of the process."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started: list[float] = []
        event.listen(Engine, "before_cursor_execute", self._before)
        event.listen(Engine, "after_cursor_execute", self._after)

    def _before(self, *_args: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, *_args: Any) -> None:
        if self._started:
            self.seconds += time.perf_counter() - self._started.pop()


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_once(page: str, convention: str, clock: SqlClock) -> tuple[float, float, str]:
    """(seconds, seconds in SQL, the page's exception or "") of one run in a new session."""
    from streamlit.testing.v1 import AppTest

    from ctg_data.actors import Actor, Role
    from ctg_data.ui.auth import ACTOR_KEY

    # Through the app's navigation (dashboard.py), as a browser opens the page: links resolve.
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=300)
    at.session_state[ACTOR_KEY] = Actor(email="admin@bench.ctg", role=Role.ADMIN)
    at.query_params["convention"] = convention
    at.switch_page(f"pages/{page}.py")
    sql_before = clock.seconds
    started = time.perf_counter()
    at.run()
    error = ""
    if at.exception:  # the message is redacted (client.showErrorDetails): its type and last frame
        shown = at.exception[0]
        error = " ".join([shown.proto.type, *shown.stack_trace[-1:]]).strip() or shown.message
    return time.perf_counter() - started, clock.seconds - sql_before, error


def clear_caches() -> None:
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()


def counted_run(page: str, convention: str, clock: SqlClock) -> int:
    """The statements of one warm run (ctg_data.diagnostics, as the no-N+1 tests count them)."""
    with count_statements(Engine) as counted:
        run_once(page, convention, clock)
    return counted.count


def main() -> None:
    convention, cold_runs, warm_runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    clock = SqlClock()
    for page in PAGES:
        cold, cold_sql, warm, warm_sql, errors = [], [], [], [], set()
        for _ in range(cold_runs):
            clear_caches()
            seconds, sql, error = run_once(page, convention, clock)
            cold.append(seconds)
            cold_sql.append(sql)
            errors.add(error)
        for _ in range(warm_runs):
            seconds, sql, error = run_once(page, convention, clock)
            warm.append(seconds)
            warm_sql.append(sql)
            errors.add(error)
        statements = counted_run(page, convention, clock)
        result = {
            "page": page,
            "cold": statistics.median(cold),
            "cold_sql": statistics.median(cold_sql),
            "warm": statistics.median(warm),
            "warm_sql": statistics.median(warm_sql),
            "statements": statements,
            "rss_mb": rss_mb(),
            "ok": errors <= {""},
            "error": " ".join(errors - {""})[:300],
        }
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
