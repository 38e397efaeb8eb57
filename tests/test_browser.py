"""The app as a person sees it: a real server, headless Chromium (Debian's), the demo data."""

import csv
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect

from ctg_data.accounts import DEMO_ACCOUNTS, create_demo_accounts
from ctg_data.db import make_engine
from ctg_data.interchange import load_folder

ROOT = Path(__file__).resolve().parent.parent
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
def streamlit_server(database_url: str, script: str = "server.py", env: dict | None = None):
    """`streamlit run server.py` (as `make run` does; or another script) on a free port of this
    machine, stopped when the block ends."""
    port = _free_port()
    env = os.environ | {"CTG_DATABASE_URL": database_url, "CTG_TODAY": "2026-11-26"} | (env or {})
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            script,
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
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


@pytest.fixture
def page(browser):
    """A fresh context of the session's Chromium (tests/conftest.py, `browser`) for each test."""
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


def sidebar_links(page) -> list[str]:
    return [
        " ".join(text.split())
        for text in page.locator("[data-testid='stSidebar'] a [data-testid='stMarkdownContainer']").all_inner_texts()
    ]


def test_a_deep_link_to_an_indicator_opens_its_chart_on_a_fresh_server(server, page):
    # First request of this server: the page runs without the entrypoint, in Streamlit's folder
    # mode, whose own menu would list every file of pages/ (administration included).
    page.goto(f"{server}/indicateurs?indicateur=TX-COUV-PE")
    expect(page.get_by_role("button", name="Se connecter")).to_be_visible()
    assert sidebar_links(page) == []
    sign_in(page)
    expect(page.get_by_text("Taux de couverture d'accueil du jeune enfant").first).to_be_visible()
    expect(page.locator("[data-testid='stVegaLiteChart']").first).to_be_visible()
    # The menu is the reader's: no data entry, no administration, no file names.
    expect(page.locator("[data-testid='stSidebar'] a", has_text="Vue d'ensemble")).to_be_visible()
    assert page.locator("[data-testid='stSidebarNav']").count() == 0
    assert sidebar_links(page) == [
        "Vue d'ensemble",
        "Domaines",
        "Actions",
        "Indicateurs",
        "Comités",
        "Leviers",
        "Bonus territoire",
        "Coordination et ingénierie",
        "Import / export",
        "Historique",
    ]


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


def test_on_a_phone_the_menu_closes_after_choosing_a_page(server, browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        phone = context.new_page()
        phone.set_default_timeout(60_000)
        phone.goto(server)
        sign_in(phone)
        expect(phone.get_by_role("heading", name="Vue d'ensemble")).to_be_visible()
        sidebar = phone.locator("[data-testid='stSidebar']")
        if sidebar.get_attribute("data-collapsed") != "false":
            phone.locator("[data-testid='stExpandSidebarButton']").click()
        expect(sidebar).to_have_attribute("data-collapsed", "false")
        sidebar.locator("a", has_text="Actions").click()
        expect(phone.get_by_role("heading", name="Actions")).to_be_visible()
        expect(sidebar).to_have_attribute("data-collapsed", "true")
    finally:
        context.close()


# ---------------------------------------------------------------- the documented reverse proxy

PROXY_CONF = ROOT / "deploy" / "nginx" / "ctg.conf"


def proxy_headers() -> dict[str, str]:
    """The headers deploy/nginx/ctg.conf adds to every answer (`add_header NAME "VALUE" always;`)."""
    text = PROXY_CONF.read_text(encoding="utf-8")
    return dict(re.findall(r'^\s*add_header\s+([\w-]+)\s+"([^"]*)"\s+always;', text, flags=re.MULTILINE))


def test_the_proxy_sends_the_security_headers_and_answers_only_its_host_names():
    headers = proxy_headers()
    policy = {
        directive.split()[0]: directive.split()[1:]
        for directive in headers["Content-Security-Policy"].split(";")
        if directive.strip()
    }
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert policy["default-src"] == ["'self'"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    text = PROXY_CONF.read_text(encoding="utf-8")
    names = re.findall(r"^\s*server_name\s+([^;]+);", text, flags=re.MULTILINE)
    assert names[0] == "_"  # the default server, for any other Host header...
    assert re.search(r"default_server;.*?return 444;", text, flags=re.DOTALL)  # ...closes the connection
    assert all(name.split() and "_" not in name.split() for name in names[1:])


def test_the_app_works_under_the_proxy_content_security_policy(server, page):
    # Chromium enforces the proxy's headers, added here to every answer of the real server.
    headers = proxy_headers()

    def with_headers(route):
        response = route.fetch()
        route.fulfill(response=response, headers=response.headers | headers)

    violations = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.route(f"{server}/**", with_headers)
    page.goto(f"{server}/indicateurs?indicateur=TX-COUV-PE")
    sign_in(page)
    expect(page.get_by_text("Taux de couverture d'accueil du jeune enfant").first).to_be_visible()
    expect(
        page.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg").first
    ).to_be_visible()
    page.locator("[data-testid='stSidebar'] a", has_text="Vue d'ensemble").click()  # our own menu
    expect(page.get_by_role("heading", name="Vue d'ensemble")).to_be_visible()
    expect(page.locator("[data-testid='stVegaLiteChart']").first).to_be_visible()
    assert violations == []


# ------------------------------------------------------------------ refusals said in French (issue 13)


def seed_rows(sheet: str) -> list[dict[str, str]]:
    with (ROOT / "seeds" / "lourdes-2023" / f"{sheet}.csv").open(encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_a_progress_of_150_is_refused_in_french_and_nothing_is_saved(server, page):
    page.goto(f"{server}/saisie_action?action=PE-1.2")
    sign_in(page, "partenaire")
    stored = next(row["avancement"] for row in seed_rows("actions") if row["code"] == "PE-1.2")
    progress = page.get_by_role("textbox", name="Avancement (%)")
    expect(progress).to_have_value(stored)
    progress.fill("150")
    page.get_by_role("button", name="Enregistrer le suivi").click()
    expect(page.get_by_text("Rien n'a été enregistré").first).to_be_visible()
    expect(page.get_by_text("valeur 150 hors bornes : entre 0 et 100")).to_be_visible()
    page.reload()  # the session survives; the stored progress is still the old one
    expect(page.get_by_role("textbox", name="Avancement (%)")).to_have_value(stored)


def test_a_link_to_a_page_the_role_may_not_open_says_so(server, page):
    page.goto(f"{server}/comptes")
    sign_in(page, "lecteur")
    expect(page.get_by_text("Cette page n'est pas ouverte à votre rôle")).to_be_visible()
    expect(page.locator("[data-testid='stSidebar'] a", has_text="Vue d'ensemble")).to_be_visible()  # the way back


def test_a_link_to_an_action_of_another_organisation_says_it_is_not_open_to_this_person(server, page):
    page.goto(f"{server}/saisie_action?action=JEU-2.2")  # piloted by the mission locale, not the SIMAJE
    sign_in(page, "partenaire")
    expect(page.get_by_text("Le lien demande « JEU-2.2 » (action) : vous ne pouvez pas y saisir")).to_be_visible()
    expect(page.get_by_role("button", name="Enregistrer le suivi")).to_have_count(0)
