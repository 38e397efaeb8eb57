"""The menu lists only the pages a role may open, whichever way a page was reached, and
Streamlit's own menu (which lists every file of pages/ after a deep link on a fresh server) is
off. The browser side (a fresh server, a deep link) is in tests/test_browser.py."""

import tomllib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ctg_data.actors import Actor, Role
from ctg_data.ui.navigation import MENU

ROOT = Path(__file__).resolve().parent.parent
PILOTAGE = {
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
}
SAISIE = {"Nouvelle mesure", "Saisie groupée", "Suivi d'une action", "Activité d'un équipement", "Financement"}
ADMINISTRATION = {"Comptes et accès", "Journal des événements", "Contrôles des données"}
# Written out from the access rules (README, "Comptes et rôles"), not computed by the code under test.
EXPECTED = {
    Role.LECTEUR: PILOTAGE,
    Role.PARTENAIRE: PILOTAGE | SAISIE,
    Role.CONSEILLER: PILOTAGE | SAISIE | {"Référentiels", "Portefeuille"},
    Role.ADMIN: PILOTAGE | SAISIE | {"Référentiels", "Portefeuille"} | ADMINISTRATION,
}


def menu(at: AppTest) -> set[str]:
    return {link.label for link in at.sidebar.page_link}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("opened", [None, "pages/actions.py"], ids=["accueil", "actions"])
def test_the_menu_lists_exactly_the_pages_of_the_role(demo_app, role, opened):
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.session_state["ctg_actor"] = Actor(email=f"{role}@test.ctg", role=role)
    at.run()
    if opened:
        at.switch_page(opened).run()
    assert not at.exception, [e.value for e in at.exception]
    assert menu(at) == EXPECTED[role]


def test_nobody_signed_in_sees_no_menu(demo_app):
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    assert [t.value for t in at.title] == ["Connexion"]
    assert menu(at) == set()


def test_every_page_file_is_in_the_menu_once():
    names = [page.name for pages in MENU.values() for page in pages]
    assert sorted(names) == sorted(path.stem for path in (ROOT / "pages").glob("*.py"))


def test_streamlit_menu_and_file_watcher_are_off():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showSidebarNavigation"] is False
    assert config["server"]["fileWatcherType"] == "none"
