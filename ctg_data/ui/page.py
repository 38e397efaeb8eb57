"""What every page does first: page config, the signed-in person (or the sign-in form), the
shared sidebar filters (kept in the URL so a copied link opens the same view), and the current
convention among those the person may see.

Pages call `start()` themselves: a deep link runs a page without the entrypoint
(see ENGINEERING.md), so nothing a page needs may be set up only by dashboard.py — the sign-in
least of all: no data is read before `require_actor()` has returned.
"""

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from ctg_data import permissions
from ctg_data.actors import Actor, Role
from ctg_data.demo import DEMO_CONVENTION_CODES
from ctg_data.queries import conventions as q
from ctg_data.queries.filters import Filters
from ctg_data.ui.auth import ACTOR_KEY, require_actor, require_page
from ctg_data.ui.boundary import database_boundary
from ctg_data.ui.data import cached_query
from ctg_data.ui.navigation import sidebar_menu
from ctg_data.vocabulary import DOMAINS

list_conventions = cached_query(q.list_conventions)
convention_card = cached_query(q.convention_card)
visible_conventions = cached_query(permissions.visible_conventions)

PARAMS = ("convention", "annee", "domaine", "commune")
SAVED = "ctg_saved_filters"
ALL = ""
ALL_YEARS, ALL_DOMAINS, ALL_COMMUNES = "Toutes les années", "Tous les domaines", "Toutes les communes"


# ACTOR_KEY ("ctg_actor", from ctg_data.ui.auth) is the session key of the signed-in person's
# Actor: set by the sign-in, read by every page; tests may set it directly.
__all__ = ["ACTOR_KEY", "PageContext", "run_page", "start", "start_plain"]


def run_page(body: Callable[[], None]) -> None:
    """Run a page: `body` does its setup (`start`, hence the sign-in) and its rendering inside
    the one database-failure boundary. Pages never catch database errors themselves."""
    with database_boundary():
        body()


@dataclass(frozen=True)
class PageContext:
    filters: Filters
    card: dict
    actor: Actor


def start(title: str) -> PageContext:
    st.set_page_config(page_title=f"{title} · Tableau de bord CTG", page_icon="📊", layout="wide")
    actor = _signed_in()
    require_page(actor, title)
    conventions = list_conventions()
    if conventions.empty:
        st.title(title)
        st.info("Aucune convention n'est encore enregistrée. Chargez-en une avec « ctg seed DOSSIER » "
                "ou, pour la démonstration, « ctg seed ».")
        st.stop()
    conventions = _visible(conventions, actor)
    if conventions.empty:
        st.title(title)
        st.info("Aucune convention ne vous est ouverte. Demandez l'accès à un administrateur.")
        st.stop()
    _restore_saved_filters()
    filters, card = _sidebar(conventions)
    st.session_state[SAVED] = {name: st.query_params.get(name) for name in PARAMS}
    st.title(title)
    if card["code"] in DEMO_CONVENTION_CODES:
        st.caption("ℹ️ Convention de démonstration : les faits viennent du communiqué de signature ; "
                   "les montants, valeurs d'indicateurs et activités sont illustratifs.")
    return PageContext(filters=filters, card=card, actor=actor)


def start_plain(title: str) -> Actor:
    """For pages that are not about one convention (accounts, audit trail): the same guards,
    no filters."""
    st.set_page_config(page_title=f"{title} · Tableau de bord CTG", page_icon="📊", layout="wide")
    actor = _signed_in()
    require_page(actor, title)
    st.title(title)
    return actor


def _signed_in() -> Actor:
    """The signed-in person (otherwise the sign-in form and a stop), then their menu: drawn
    before the role check so that a refused page still offers the way out."""
    actor = require_actor()
    sidebar_menu(actor)
    return actor


def _visible(conventions, actor: Actor):
    if actor.role == Role.ADMIN:
        return conventions
    ids = visible_conventions(actor)
    return conventions[conventions["id"].isin(ids)].reset_index(drop=True)


def _restore_saved_filters() -> None:
    # Page switches drop the query string; the session remembers the last filters.
    if not any(name in st.query_params for name in PARAMS) and st.session_state.get(SAVED):
        for name, value in st.session_state[SAVED].items():
            if value is not None:
                st.query_params[name] = value


def _select(label: str, options: list, param: str, *, all_label: str | None = None,
            format_func=str):
    """A sidebar choice read from and written to the URL. "All" is the empty string rather
    than None: a plain value round-trips through widgets and links alike."""
    choices = ([ALL] if all_label else []) + options
    wanted = st.query_params.get(param)
    index = next((i for i, option in enumerate(choices) if option != ALL and str(option) == wanted), 0)
    value = st.sidebar.selectbox(label, choices, index=index,
                                 format_func=lambda o: all_label if o == ALL else format_func(o))
    if value == ALL:
        st.query_params.pop(param, None)
        return None
    st.query_params[param] = str(value)
    return value


def _sidebar(conventions) -> tuple[Filters, dict]:
    st.sidebar.header("Filtres")
    names = dict(zip(conventions["code"], conventions["name"], strict=True))
    ids = dict(zip(conventions["code"], conventions["id"], strict=True))
    if len(names) > 1:
        code = _select("Convention", list(names), "convention", format_func=names.get)
    else:
        code = next(iter(names))
    card = convention_card(int(ids[code]))
    years = list(range(card["starts_on"].year, card["ends_on"].year + 1))
    year = _select("Année", years, "annee", all_label=ALL_YEARS)
    labels = {domain: label for domain, label, *_ in DOMAINS}
    domain = _select("Domaine", list(labels), "domaine", all_label=ALL_DOMAINS, format_func=labels.get)
    communes = {c["insee_code"]: c["name"] for c in card["communes"]}
    commune = _select("Commune", list(communes), "commune", all_label=ALL_COMMUNES,
                      format_func=communes.get)
    filters = Filters(convention_id=int(ids[code]), year=year, domain_code=domain, insee_code=commune)
    return filters, card
