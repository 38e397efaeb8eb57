"""The app's menu, drawn by us rather than by Streamlit. Streamlit's own menu is switched off
(`client.showSidebarNavigation = false`): on a fresh server, a deep link runs the page in
Streamlit's folder mode, whose menu lists every file of pages/, administration included. Ours
lists only the pages the signed-in role may open, whichever way the page was reached."""

from contextlib import suppress
from dataclasses import dataclass

import streamlit as st
from streamlit.errors import StreamlitAPIException
from streamlit.runtime.scriptrunner import get_script_run_ctx

from ctg_data.accounts.http import MENU_SCRIPT_PATH
from ctg_data.actors import Actor
from ctg_data.permissions import may_open_page


@dataclass(frozen=True)
class MenuPage:
    name: str  # file name under pages/, without .py; also the URL path
    title: str
    icon: str

    @property
    def path(self) -> str:
        return f"pages/{self.name}.py"


MENU: dict[str, list[MenuPage]] = {
    "Pilotage": [
        MenuPage("vue_ensemble", "Vue d'ensemble", ":material/dashboard:"),
        MenuPage("domaines", "Domaines", ":material/category:"),
        MenuPage("actions", "Actions", ":material/checklist:"),
        MenuPage("indicateurs", "Indicateurs", ":material/monitoring:"),
        MenuPage("comites", "Comités", ":material/groups:"),
        MenuPage("portefeuille", "Portefeuille", ":material/work:"),
    ],
    "Financements": [
        MenuPage("leviers", "Leviers", ":material/euro:"),
        MenuPage("bonus_territoire", "Bonus territoire", ":material/child_care:"),
        MenuPage("coordination", "Coordination et ingénierie", ":material/handshake:"),
    ],
    "Saisie": [
        MenuPage("saisie_mesure", "Nouvelle mesure", ":material/add_chart:"),
        MenuPage("saisie_groupee", "Saisie groupée", ":material/table_edit:"),
        MenuPage("saisie_action", "Suivi d'une action", ":material/edit_note:"),
        MenuPage("saisie_activite", "Activité d'un équipement", ":material/domain:"),
        MenuPage("saisie_financement", "Financement", ":material/payments:"),
        MenuPage("import_export", "Import / export", ":material/swap_vert:"),
        MenuPage("historique", "Historique", ":material/history:"),
    ],
    "Administration": [
        MenuPage("admin_referentiels", "Référentiels", ":material/tune:"),
        MenuPage("comptes", "Comptes et accès", ":material/manage_accounts:"),
        MenuPage("journal", "Journal des événements", ":material/receipt_long:"),
        MenuPage("controles", "Contrôles des données", ":material/fact_check:"),
    ],
}
HOME = "vue_ensemble"  # the default page: the empty URL path
NOT_FOUND = "Page introuvable"


def st_pages() -> dict[str, list]:
    """The menu as `st.Page`s for `st.navigation` in dashboard.py."""
    return {
        section: [st.Page(page.path, title=page.title, icon=page.icon, default=page.name == HOME) for page in pages]
        for section, pages in MENU.items()
    }


def allowed(actor: Actor) -> dict[str, list[MenuPage]]:
    """The menu's sections with only the pages `actor` may open (empty sections left out)."""
    kept = {section: [page for page in pages if may_open_page(actor, page.name)] for section, pages in MENU.items()}
    return {section: pages for section, pages in kept.items() if pages}


def sidebar_menu(actor: Actor) -> None:
    """The signed-in person's menu in the sidebar. A page run on its own (a test) knows no other
    page: its links are left out rather than failing."""
    with st.sidebar:
        for section, pages in allowed(actor).items():
            st.caption(section)
            for page in pages:
                with suppress(StreamlitAPIException):
                    st.page_link(page.path, label=page.title, icon=page.icon)
        st.divider()
        # A file of the app, as the production Content-Security-Policy wants (no inline script).
        st.html(f'<script src="{MENU_SCRIPT_PATH}" data-ctg-menu="1"></script>', unsafe_allow_javascript=True)


# ------------------------------------------------------------------ an unknown address


def requested_path() -> str | None:
    """The URL path the browser asked for when it opened the app (« nimporte-quoi »); None for
    the home page and for a switch from a link of the app (which names a page by its hash).
    Streamlit keeps it in the run's page manager only: `st.navigation` reads it there too."""
    ctx = get_script_run_ctx()
    if ctx is None or ctx.pages_manager.intended_page_script_hash:
        return None
    return ctx.pages_manager.intended_page_name or None


def with_not_found(pages: dict[str, list], actor: Actor | None, wanted: str | None) -> dict[str, list]:
    """The routed pages plus, for an address that is none of them, a hidden page at that very
    address saying so in French. Without it, `st.navigation` shows Streamlit's English « Page
    not found » dialog over the home page. A nested path cannot be a page's address
    (`st.Page` refuses "/"): Streamlit's dialog remains for those."""
    # The default page answers at "" (its `url_path`) and at its own name, which stays taken.
    routed = {page.url_path for items in pages.values() for page in items} | {HOME}
    if not wanted or wanted in routed or "/" in wanted:
        return pages

    def not_found() -> None:
        not_found_page(actor, wanted)

    hidden = st.Page(not_found, title=NOT_FOUND, url_path=wanted, visibility="hidden")
    return {**pages, "": [*pages.get("", []), hidden]}


def not_found_page(actor: Actor | None, wanted: str) -> None:
    """What an unknown address shows: the reason in French and the way back."""
    st.set_page_config(page_title=f"{NOT_FOUND} · Tableau de bord CTG", page_icon="📊", layout="wide")
    if actor is not None:
        sidebar_menu(actor)
    st.title(NOT_FOUND)
    st.info("Aucune page ne se trouve à cette adresse : le lien est peut-être incomplet ou ancien.")
    st.page_link(MenuPage(HOME, "", "").path, label="Retour à la vue d'ensemble", icon=":material/dashboard:")
