"""The app's menu, drawn by us rather than by Streamlit. Streamlit's own menu is switched off
(`client.showSidebarNavigation = false`): on a fresh server, a deep link runs the page in
Streamlit's folder mode, whose menu lists every file of pages/, administration included. Ours
lists only the pages the signed-in role may open, whichever way the page was reached."""

from contextlib import suppress
from dataclasses import dataclass

import streamlit as st
from streamlit.errors import StreamlitAPIException

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
