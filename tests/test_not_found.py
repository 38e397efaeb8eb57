"""An address that is no page of the app gets a French « Page introuvable » with the way back,
not Streamlit's English « Page not found » dialog: in a real browser (the address is read by
Streamlit from the browser's URL, which AppTest cannot give)."""

from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from ctg_data.ui.navigation import HOME, with_not_found
from tests.test_browser import page, server, sign_in  # noqa: F401  (fixtures)
from tests.test_browser_auth import wait_for_cookie

pytestmark = pytest.mark.browser


def test_an_unknown_address_gets_a_french_page_with_the_way_back(server, page):  # noqa: F811
    # Streamlit still sends its own dialog to the very first session of a fresh server (its
    # pages/ folder mode): a server that has answered once, as in production, does not.
    page.goto(server)
    expect(page.get_by_role("button", name="Se connecter")).to_be_visible()
    # Nothing of the app is shown there: no sign-in first.
    page.goto(f"{server}/nimporte-quoi")
    expect(page.get_by_role("heading", name="Page introuvable")).to_be_visible()
    expect(page.get_by_text("Aucune page ne se trouve à cette adresse")).to_be_visible()
    assert page.get_by_text("Page not found").count() == 0
    page.locator("[data-testid='stMain'] a", has_text="Retour à la vue d'ensemble").click()
    sign_in(page)
    expect(page.get_by_role("heading", name="Vue d'ensemble")).to_be_visible()


def test_a_page_the_role_may_not_open_says_so(server, page):  # noqa: F811
    page.goto(server)
    sign_in(page)  # a reader: the accounts page refuses the role itself
    expect(page.get_by_role("heading", name="Vue d'ensemble")).to_be_visible()
    wait_for_cookie(page)
    page.goto(f"{server}/comptes")  # the session survives: a link opened later
    expect(page.get_by_text("Cette page n'est pas ouverte à votre rôle")).to_be_visible()
    assert page.get_by_text("Page not found").count() == 0


def test_known_and_nested_addresses_get_no_extra_page():
    pages = {"Pilotage": []}
    assert with_not_found(pages, None, None) is pages  # the home page
    assert with_not_found(pages, None, "a/b") is pages  # not an address a page can have
    assert len(with_not_found(pages, None, "nimporte-quoi")[""]) == 1


def test_the_home_page_by_its_own_address_is_no_unknown_address():
    """/vue_ensemble typed in the browser: Streamlit refused two pages at that address."""
    pages = {"Pilotage": [SimpleNamespace(url_path="")]}  # the default page answers at the root
    assert HOME == "vue_ensemble"
    assert with_not_found(pages, None, "vue_ensemble") is pages
