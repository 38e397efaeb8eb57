"""The app as a person sees it: a real server, headless Chromium (Debian's), the demo data."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from ctg_data.accounts import DEMO_ACCOUNTS, create_demo_accounts
from ctg_data.db import make_engine
from ctg_data.interchange import load_folder

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, server: subprocess.Popen) -> None:
    for _ in range(600):
        if server.poll() is not None:
            raise RuntimeError(f"le serveur Streamlit s'est arrêté : {server.stdout.read()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("le serveur Streamlit ne répond pas")


@contextmanager
def streamlit_server(database_url: str):
    """`streamlit run dashboard.py` on a free port of this machine, stopped when the block ends."""
    port = _free_port()
    env = os.environ | {"CTG_DATABASE_URL": database_url, "CTG_TODAY": "2026-11-26"}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
         "--server.headless", "true", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory, sqlite_template):
    """A fresh server each module: deep links must work before any session ran dashboard.py."""
    path = tmp_path_factory.mktemp("browser") / "demo.sqlite3"
    path.write_bytes(sqlite_template.read_bytes())
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    assert load_folder(ROOT / "seeds" / "lourdes-2023", actor="test", engine=engine).ok
    assert create_demo_accounts(engine)
    engine.dispose()
    with streamlit_server(url) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "Chromium manquant : make test installe le paquet Debian « chromium »"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def sign_in(page, role: str = "lecteur") -> None:
    """Through the sign-in form every page shows first, with a demo account."""
    account = next(a for a in DEMO_ACCOUNTS if a.role == role)
    page.get_by_label("Adresse e-mail").fill(account.email)
    page.get_by_label("Mot de passe", exact=True).fill(account.password)
    page.get_by_role("button", name="Se connecter").click()


def test_a_deep_link_to_an_indicator_opens_its_chart_on_a_fresh_server(server, page):
    # First request of this server: the page runs without the entrypoint (ENGINEERING.md).
    page.goto(f"{server}/indicateurs?indicateur=TX-COUV-PE")
    sign_in(page)
    expect(page.get_by_text("Taux de couverture d'accueil du jeune enfant").first).to_be_visible()
    expect(page.locator("[data-testid='stVegaLiteChart']").first).to_be_visible()


def test_the_overview_shows_the_demo_convention_and_its_tiles(server, page):
    page.goto(server)
    sign_in(page)
    expect(page.get_by_role("heading", name="Vue d'ensemble")).to_be_visible()
    expect(page.get_by_text("CTG Tarbes Lourdes Pyrénées Sud").first).to_be_visible()
    expect(page.get_by_text("En retard").first).to_be_visible()
    expect(page.get_by_text("Convention de démonstration").first).to_be_visible()


def test_a_link_with_filters_opens_the_same_view(server, page):
    page.goto(f"{server}/domaines?domaine=logement")
    sign_in(page)
    expect(page.get_by_role("heading", name="Logement")).to_be_visible()
    expect(page.get_by_text("Orientations")).to_be_visible()
