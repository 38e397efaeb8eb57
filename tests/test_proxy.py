"""Scale out (issue 15): two app processes behind HAProxy, started by scripts/serve on the test
PostgreSQL server with the demo data, exactly as `make serve` does. Through the proxy: the health
check, a signed-in browser session answered by either process, the routing cookie that pins a
browser to one process (an upload must reach the process that holds the page), the upload limit
taken from Streamlit's, and the load generator of the benchmarks (benchmarks/load.py)."""

import asyncio
import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest
import requests

from benchmarks.load import PROXY_COOKIE, open_page, overview_load, render, run_async, signed_in_cookie, summary
from ctg_data.accounts import web_sessions
from ctg_data.db import make_engine
from tests.conftest import DEMO_TODAY, drop_postgres_database, fresh_postgres_url

ROOT = Path(__file__).resolve().parent.parent
SERVE = ROOT / "scripts" / "serve"
STARTUP_SECONDS = 180  # readiness wait only, not a measure
pytestmark = pytest.mark.postgres


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def three_free_ports() -> int:
    """A port such that it and the two above are free: the proxy, then one per process."""
    for _ in range(200):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port < 65000 and all(_free(port + offset) for offset in range(3)):
            return port
    raise RuntimeError("pas de ports libres")


def _ready(url: str, server: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except OSError:
            time.sleep(0.3)
    return False


@pytest.fixture(scope="module")
def database(postgres_base_url, demo_postgres_database_template):
    # The template was analysed when the demo was loaded (conftest): the copy has its statistics.
    url = fresh_postgres_url(postgres_base_url, demo_postgres_database_template)
    yield url
    drop_postgres_database(url)


@pytest.fixture(scope="module")
def proxy(database, tmp_path_factory):
    """The proxy's address, with two app processes behind it."""
    haproxy = shutil.which("haproxy", path=f"{os.environ.get('PATH', '')}:/usr/sbin")  # Debian: /usr/sbin
    assert haproxy, "HAProxy manquant : make test installe le paquet Debian « haproxy »"
    port = three_free_ports()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    env = os.environ | {"CTG_DATABASE_URL": database, "CTG_TODAY": DEMO_TODAY}
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, str(SERVE), "--procs", "2", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        assert _ready(f"{base}/_stcore/health", server), log.read_text(errors="replace")
        yield base
    finally:
        server.terminate()  # scripts/serve stops its processes and the proxy
        server.wait(timeout=60)


@pytest.fixture(scope="module")
def cookie(database):
    engine = make_engine(database)
    try:
        return signed_in_cookie(engine, "conseil@proxy.ctg", "conseiller")
    finally:
        engine.dispose()


def test_the_health_check_answers_through_the_proxy(proxy):
    response = requests.get(f"{proxy}/_stcore/health", timeout=30)
    assert response.status_code == 200
    assert response.text == "ok"
    assert response.cookies.get(PROXY_COOKIE) in {"app1", "app2"}


def test_new_browsers_are_spread_over_both_processes_and_a_browser_stays_on_its_own(proxy):
    assigned = {requests.get(f"{proxy}/", timeout=30).cookies.get(PROXY_COOKIE) for _ in range(4)}
    assert assigned == {"app1", "app2"}
    for process in ("app1", "app2"):
        again = requests.get(f"{proxy}/", cookies={PROXY_COOKIE: process}, timeout=30)
        assert again.status_code == 200
        assert PROXY_COOKIE not in again.cookies  # pinned: the proxy keeps the browser where it is


def test_a_signed_in_session_is_answered_by_either_process(proxy, cookie):
    for process in ("app1", "app2"):
        page = run_async(render(proxy, {web_sessions.COOKIE_NAME: cookie, PROXY_COOKIE: process}))
        assert "Vue d'ensemble" in page.texts
        assert any(text.startswith("Connecté") for text in page.texts)
    anonymous = run_async(render(proxy, {PROXY_COOKIE: "app1"}))
    assert "Vue d'ensemble" not in anonymous.texts
    assert not any(text.startswith("Connecté") for text in anonymous.texts)


def _upload(proxy: str, session_id: str, process: str) -> int:
    """Streamlit's upload of one small file for the tab `session_id`, as the browser sends it."""
    browser = requests.Session()
    browser.cookies.set(PROXY_COOKIE, process)
    browser.get(f"{proxy}/_stcore/health", timeout=30)  # sets Streamlit's XSRF cookie, sent back as a header
    token = browser.cookies.get("_streamlit_xsrf")
    response = browser.put(
        f"{proxy}/_stcore/upload_file/{session_id}/fichier-1",
        files={"file": ("mesures.csv", b"code;valeur\nTX;1\n", "text/csv")},
        headers={"X-Xsrftoken": token or ""},
        timeout=30,
    )
    return response.status_code


def test_an_upload_reaches_the_process_that_holds_the_page(proxy, cookie):
    async def scenario() -> tuple[int, int]:
        jar = {web_sessions.COOKIE_NAME: cookie, PROXY_COOKIE: "app1"}
        async with open_page(proxy, jar) as page:  # the tab stays open on process 1
            same = await asyncio.to_thread(_upload, proxy, page.session_id, "app1")
            other = await asyncio.to_thread(_upload, proxy, page.session_id, "app2")
        return same, other

    same, other = run_async(scenario())
    assert same in (200, 204)
    assert other == 400  # the other process does not know the tab: why stickiness is needed


def test_the_proxy_body_limit_is_streamlit_upload_limit(proxy):
    with (ROOT / ".streamlit" / "config.toml").open("rb") as file:
        megabytes = tomllib.load(file)["server"]["maxUploadSize"]
    limit = megabytes * 1024 * 1024 + 1024 * 1024  # Streamlit's own cap: the file and 1 MB of framing
    config = subprocess.run(
        [sys.executable, str(SERVE), "--procs", "2", "--port", "8501", "--print-config"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"content-length) gt {limit} }}" in config
    host = proxy.removeprefix("http://")
    connection = http.client.HTTPConnection(host, timeout=30)
    try:  # the headers announce a body above the limit: refused before any byte of it is read
        connection.putrequest("PUT", "/_stcore/upload_file/x/y")
        connection.putheader("Content-Length", str(limit + 1))
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 413
        assert response.getheader("server") is None  # answered by HAProxy, not by a process
    finally:
        connection.close()


def test_several_processes_on_sqlite_are_refused_in_french(tmp_path):
    env = os.environ | {"CTG_DATABASE_URL": f"sqlite:///{tmp_path / 'ctg.sqlite3'}"}
    result = subprocess.run(
        [sys.executable, str(SERVE), "--procs", "2", "--port", "8501"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "Plusieurs processus demandent une base PostgreSQL" in result.stderr
    assert not (tmp_path / "ctg.sqlite3").exists()


def test_the_load_generator_times_every_session_on_the_overview(proxy, cookie):
    seconds = overview_load(proxy, 3, cookie)
    assert len(seconds) == 3
    assert all(value > 0 for value in seconds)


def test_the_load_summary_is_the_median_and_the_95th_percentile():
    times = [float(value) for value in range(1, 21)]  # 1 … 20 s
    assert summary(times) == {"median": 10.5, "p95": 19.0, "max": 20.0}
    assert summary([3.0, 1.0, 2.0]) == {"median": 2.0, "p95": 3.0, "max": 3.0}
