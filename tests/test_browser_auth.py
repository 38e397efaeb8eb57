"""Sign-in in a real browser on a freshly started server (server.py, as `make run` serves it): a
deep link shows the sign-in and no data, then the linked view once signed in; a wrong password
gets the French generic error; typed payloads stay inert (no image, no script, no javascript:
link, no dialog); the session survives a reload and a new tab, its cookie is HttpOnly, and a
sign-out in one tab ends the others at their next click."""

import json
import urllib.error
import urllib.request
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.accounts import DEMO_ACCOUNTS, GENERIC_FAILURE, create_demo_accounts, web_sessions
from ctg_data.db import make_engine
from ctg_data.interchange import load_folder
from tests import test_browser as shared
from tests.test_browser import ROOT, streamlit_server

page = shared.page  # a fresh context per test of the session's Chromium (tests/conftest.py)

pytestmark = pytest.mark.browser
PAYLOAD = "<img src=x onerror=alert(1)> <script>alert(1)</script> [lien](javascript:alert(1)) **gras**"
PASSWORDS = {account.role: account for account in DEMO_ACCOUNTS}
WAIT = 60_000  # ms: the first run of a fresh server imports everything


@pytest.fixture(scope="module")
def server(tmp_path_factory, sqlite_template):
    """A fresh server on the demo data, its demo accounts, and payloads in typed fields."""
    path = tmp_path_factory.mktemp("browser-auth") / "demo.sqlite3"
    path.write_bytes(sqlite_template.read_bytes())
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    assert load_folder(ROOT / "seeds" / "lourdes-2023", actor="test", engine=engine).ok
    assert create_demo_accounts(engine)
    with Session(engine) as session:
        action = session.exec(select(m.Action).where(m.Action.code == "PE-1.2")).one()
        action.title, action.description = f"Titre {PAYLOAD}", f"Description {PAYLOAD}"
        session.add(
            m.ActionNote(
                action_id=action.id, noted_on=date(2026, 1, 5), text=f"Note {PAYLOAD}", author=f"Auteur {PAYLOAD}"
            )
        )
        indicator = session.exec(select(m.Indicator).where(m.Indicator.code == "TX-COUV-PE")).one()
        indicator.name, indicator.unit = f"Taux {PAYLOAD}", "places pour 100 enfants"
        session.add_all([action, indicator])
        session.commit()
    engine.dispose()
    with streamlit_server(url, script="server.py") as base:
        yield base


def fill(page, email: str, password: str) -> None:
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()


def sign_in(page, role: str) -> None:
    fill(page, PASSWORDS[role].email, PASSWORDS[role].password)


def test_a_deep_link_on_a_fresh_server_shows_the_sign_in_and_no_data(server, page):
    # The first request of this server: the page runs without dashboard.py (docs/architecture.md).
    page.goto(f"{server}/indicateurs?indicateur=TX-COUV-PE")
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible(timeout=WAIT)
    expect(page.get_by_label("Adresse e-mail")).to_be_visible(timeout=WAIT)
    body = page.locator("[data-testid='stMain']").inner_text()
    for word in ("Taux", "Tarbes", "SIMAJE", "Indicateurs"):
        assert word not in body
    assert page.locator("[data-testid='stVegaLiteChart']").count() == 0
    assert page.locator("[data-testid='stDataFrame']").count() == 0
    expect(page.locator("[data-testid='stSidebarNav']")).to_be_hidden()  # no list of pages either

    sign_in(page, "lecteur")
    expect(page.locator("[data-testid='stVegaLiteChart']").first).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("heading", name="Indicateurs")).to_be_visible(timeout=WAIT)
    assert "indicateur=TX-COUV-PE" in page.url


def test_a_wrong_password_gets_the_generic_french_error(server, page):
    page.goto(f"{server}/leviers")
    fill(page, PASSWORDS["conseiller"].email, "pas-le-bon-mot-de-passe")
    expect(page.get_by_text(GENERIC_FAILURE)).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible(timeout=WAIT)
    fill(page, "personne@demo.ctg", "pas-le-bon-mot-de-passe")
    expect(page.get_by_text(GENERIC_FAILURE)).to_be_visible(timeout=WAIT)


def test_signing_out_returns_to_the_sign_in(server, page):
    page.goto(f"{server}/leviers")
    sign_in(page, "admin")
    expect(page.get_by_role("heading", name="Leviers de financement")).to_be_visible(timeout=WAIT)
    page.get_by_role("button", name="Se déconnecter", exact=True).click()
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("Vous êtes déconnecté")).to_be_visible(timeout=WAIT)


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/actions?action=PE-1.2", "Actions"),
        ("/indicateurs?indicateur=TX-COUV-PE", "Indicateurs"),
        ("/", "Vue d'ensemble"),
    ],
)
def test_typed_payloads_stay_inert_in_the_browser(server, page, path, heading):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{server}{path}")
    sign_in(page, "admin")
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=WAIT)
    if path != "/":  # the fiche shows the typed text as text (the overview only in tables)
        expect(page.get_by_text("<img src=x onerror=alert(1)>", exact=False).first).to_be_visible(timeout=WAIT)
    page.wait_for_timeout(1000)  # let any injected handler fire
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("[data-testid='stMain'] script").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert dialogs == []


# ------------------------------------------------------------------ sessions that survive a reload


def session_cookie(context) -> dict | None:
    return next((c for c in context.cookies() if c["name"] == web_sessions.COOKIE_NAME), None)


def wait_for_cookie(page, present: bool = True) -> dict | None:
    """The browser gets (or loses) its cookie from the app's route, just after the page showed."""
    for _ in range(300):
        cookie = session_cookie(page.context)
        if (cookie is not None) == present:
            return cookie
        page.wait_for_timeout(100)
    raise AssertionError("cookie de session " + ("jamais reçu" if present else "jamais supprimé"))


def test_a_reload_and_a_new_tab_keep_the_session(server, page):
    page.goto(f"{server}/leviers")
    sign_in(page, "conseiller")
    expect(page.get_by_role("heading", name="Leviers de financement")).to_be_visible(timeout=WAIT)
    wait_for_cookie(page)

    page.reload()
    expect(page.get_by_role("heading", name="Leviers de financement")).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("button", name="Se déconnecter", exact=True)).to_be_visible(timeout=WAIT)
    assert page.get_by_label("Mot de passe", exact=True).count() == 0

    # A link opened in a new tab (as from an e-mail): signed in, the linked view at once.
    tab = page.context.new_page()
    tab.goto(f"{server}/indicateurs?indicateur=TX-COUV-PE")
    expect(tab.get_by_role("heading", name="Indicateurs")).to_be_visible(timeout=WAIT)
    expect(tab.locator("[data-testid='stVegaLiteChart']").first).to_be_visible(timeout=WAIT)
    assert tab.get_by_label("Mot de passe", exact=True).count() == 0
    sidebar = tab.locator("[data-testid='stSidebar']").inner_text()
    assert PASSWORDS["conseiller"].email in sidebar or "Conseiller" in sidebar


def test_the_session_cookie_is_httponly_samesite_lax_and_signed(server, page):
    page.goto(f"{server}/leviers")
    sign_in(page, "lecteur")
    expect(page.get_by_role("heading", name="Leviers de financement")).to_be_visible(timeout=WAIT)
    cookie = wait_for_cookie(page)
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["path"] == "/"
    assert cookie["secure"] is False  # served over http here; https adds Secure
    assert web_sessions.COOKIE_NAME not in page.evaluate("document.cookie")
    token, signature = cookie["value"].split(".")
    assert token and signature
    # An altered cookie opens nothing.
    page.context.clear_cookies()
    page.context.add_cookies([{**cookie, "value": f"{token}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"}])
    page.reload()
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible(timeout=WAIT)


def test_signing_out_in_one_tab_ends_the_session_in_the_others(server, page):
    page.goto(f"{server}/leviers")
    sign_in(page, "admin")
    expect(page.get_by_role("heading", name="Leviers de financement")).to_be_visible(timeout=WAIT)
    wait_for_cookie(page)
    other = page.context.new_page()
    other.goto(f"{server}/leviers")
    expect(other.get_by_role("heading", name="Leviers de financement")).to_be_visible(timeout=WAIT)

    page.get_by_role("button", name="Se déconnecter", exact=True).click()
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible(timeout=WAIT)
    wait_for_cookie(page, present=False)  # the app's route deleted it

    # The other tab's next click: the sign-in, no data.
    other.locator("[data-testid='stSidebar'] a", has_text="Indicateurs").first.click()
    expect(other.get_by_role("heading", name="Connexion")).to_be_visible(timeout=WAIT)
    expect(other.get_by_text("Vous avez été déconnecté")).to_be_visible(timeout=WAIT)
    assert other.locator("[data-testid='stVegaLiteChart']").count() == 0
    other.reload()
    expect(other.get_by_role("heading", name="Connexion")).to_be_visible(timeout=WAIT)


def _post(url: str, headers: dict[str, str], body: bytes = b"{}") -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_session_routes_refuse_other_sites_and_unknown_handoffs(server, page):
    host = server.removeprefix("http://")
    handoff = json.dumps({"handoff": "pas-un-jeton"}).encode()
    # Another site cannot post a handoff (it would sign the visitor in to its own account).
    assert _post(f"{server}/ctg/session", {"Origin": "https://autre.example", "Host": host}, handoff) == 403
    assert _post(f"{server}/ctg/session", {"Sec-Fetch-Site": "cross-site"}, handoff) == 403
    assert _post(f"{server}/ctg/sign-out", {"Sec-Fetch-Site": "cross-site"}) == 403
    # From the app itself, an unknown handoff gets no cookie.
    assert _post(f"{server}/ctg/session", {"Sec-Fetch-Site": "same-origin"}, handoff) == 403
    assert _post(f"{server}/ctg/sign-out", {"Sec-Fetch-Site": "same-origin"}) == 204
