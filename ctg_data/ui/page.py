"""The page framework: a page declares its title, the filters it reads and any extra guard, and
is only its rendering. The framework does the rest, in this order, inside the one
database-failure boundary (ctg_data.ui.boundary):

1. page setup (title of the tab, wide layout);
2. the sign-in (ctg_data.ui.auth): no data is read before the person is known;
3. the role check (ctg_data.permissions.may_open_page, the same rule as the menu), then the
   page's own guard if it declares one;
4. for a convention page: the current convention among those the person may see, and the
   sidebar filters the page declares, kept in the URL so that a copied link opens the same view;
5. the rendering, which receives a context (actor, today, filters, the convention card).

    @page("Actions")
    def render(context: ConventionContext) -> None: ...

A deep link runs a page without the entrypoint, so nothing a page needs is set up only by
dashboard.py: the decorator runs the page where it is declared, at the end of the page's file.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import pandas as pd
import streamlit as st

from ctg_data import permissions
from ctg_data.actors import Actor, Role
from ctg_data.demo import DEMO_CONVENTION_CODES
from ctg_data.errors import PermissionDenied
from ctg_data.queries import conventions as q
from ctg_data.queries import referentials
from ctg_data.queries.filters import Filters, today
from ctg_data.ui.auth import ACTOR_KEY, page_refusal, require_actor
from ctg_data.ui.boundary import database_boundary
from ctg_data.ui.data import cached_query, end_run, start_run
from ctg_data.ui.navigation import sidebar_menu
from ctg_data.ui.selection import kept_choice
from ctg_data.ui.text import escape_markdown

list_conventions = cached_query(q.list_conventions)
convention_card = cached_query(q.convention_card)
visible_conventions = cached_query(permissions.visible_conventions)
convention_domains = cached_query(referentials.convention_domains)

# The URL parameters of the shared filters. Every page keeps them (a page that does not use a
# filter leaves it in the URL for the next page); each page shows only those it declares.
CONVENTION, YEAR, DOMAIN, COMMUNE = "convention", "annee", "domaine", "commune"
PARAMS = (CONVENTION, YEAR, DOMAIN, COMMUNE)
ALL_FILTERS = (YEAR, DOMAIN, COMMUNE)
SAVED = "ctg_saved_filters"
ALL: Any = ""  # the « all » option of a filter: a plain value round-trips through widgets and links
ALL_YEARS, ALL_DOMAINS, ALL_COMMUNES = "Toutes les années", "Tous les domaines", "Toutes les communes"

# ACTOR_KEY ("ctg_actor", from ctg_data.ui.auth) is the session key of the signed-in person's
# Actor: set by the sign-in, read by every page; tests may set it directly.
__all__ = [
    "ACTOR_KEY",
    "ALL_FILTERS",
    "COMMUNE",
    "DOMAIN",
    "YEAR",
    "ConventionContext",
    "PageContext",
    "general_page",
    "page",
]

Guard = Callable[[Actor], None]  # raises PermissionDenied with the French reason


@dataclass(frozen=True)
class PageContext:
    """What every page receives: who is using it and what day it is (Paris)."""

    actor: Actor
    today: date


@dataclass(frozen=True)
class ConventionContext(PageContext):
    """A convention page's context: the filters it declared (the others are None) and the
    current convention's card."""

    filters: Filters
    card: dict[str, Any]

    @property
    def convention_id(self) -> int:
        return self.filters.convention_id

    @property
    def years(self) -> tuple[int, ...]:
        """The convention's calendar years, first to last (derived once, in rules.conventions)."""
        return tuple(self.card["years"])

    @property
    def chosen_years(self) -> tuple[int, ...]:
        """The year chosen in the filters, or every year of the convention."""
        return (self.filters.year,) if self.filters.year else self.years


C = TypeVar("C", bound=PageContext)
Render = Callable[[C], None]


def page(
    title: str,
    *,
    filters: Sequence[str] = ALL_FILTERS,
    on_top: Sequence[str] = (),
    guard: Guard | None = None,
) -> Callable[[Render[ConventionContext]], Render[ConventionContext]]:
    """Declare and run a page about one convention; `filters` names the filters it reads
    (YEAR, DOMAIN, COMMUNE; the convention is always chosen), in the sidebar except those in
    `on_top`: a row under the page's title, for pages read with one filter in mind (an advisor's
    year), which the sidebar shows only below the long menu."""
    unknown = (set(filters) | set(on_top)) - set(ALL_FILTERS)
    if unknown:
        raise ValueError(f"unknown filters {sorted(unknown)}")
    if set(on_top) - set(filters):
        raise ValueError(f"filters {sorted(set(on_top) - set(filters))} on top but not read")

    def run(render: Render[ConventionContext]) -> Render[ConventionContext]:
        with database_boundary():
            try:
                actor = _open(title, _page_name(render), guard)
                # Drawn in this order on the page, filled once the convention is known.
                heading = st.container()
                top = dict(zip(on_top, st.columns(len(on_top)), strict=True)) if on_top else {}
                filters_, card = _convention(title, actor, tuple(filters), top)
                with heading:
                    _heading(title, card)
                render(ConventionContext(actor=actor, today=today(), filters=filters_, card=card))
            finally:
                _remember_filters()
                end_run()
        return render

    return run


def general_page(title: str, *, guard: Guard | None = None) -> Callable[[Render[PageContext]], Render[PageContext]]:
    """Declare and run a page that is not about one convention (accounts, journal, import):
    the same guards, no filters."""

    def run(render: Render[PageContext]) -> Render[PageContext]:
        with database_boundary():
            try:
                actor = _open(title, _page_name(render), guard)
                st.title(title)
                render(PageContext(actor=actor, today=today()))
            finally:
                _remember_filters()
                end_run()
        return render

    return run


# ------------------------------------------------------------------ setup, sign-in, role check


def _page_name(render: Callable[..., None]) -> str:
    """The page's file name without .py: its URL path and its name in permissions.PAGE_ROLES."""
    return Path(render.__code__.co_filename).stem


def _open(title: str, name: str, guard: Guard | None) -> Actor:
    st.set_page_config(page_title=f"{title} · Tableau de bord CTG", page_icon="📊", layout="wide")
    start_run()  # each data version is read once in this run (ctg_data.ui.data)
    _restore_saved_filters()
    actor = require_actor()
    # The menu is drawn before the role check, so that a refused page still offers the way out.
    sidebar_menu(actor)
    refused = page_refusal(actor, name)
    if refused is None and guard is not None:
        try:
            guard(actor)
        except PermissionDenied as error:
            refused = str(error)
    if refused is not None:
        stop_with(title, refused)
    return actor


def stop_with(title: str, message: str, *, error: bool = True) -> NoReturn:
    """The page's title, one message, and nothing else of the page."""
    st.title(title)
    if error:
        st.error(escape_markdown(message))
    else:
        st.info(message)
    st.stop()


def _heading(title: str, card: dict[str, Any]) -> None:
    st.title(title)
    if card["code"] in DEMO_CONVENTION_CODES:
        st.caption(
            "ℹ️ Convention de démonstration : les faits viennent du communiqué de signature ; "
            "les montants, valeurs d'indicateurs et activités sont illustratifs."
        )


# ------------------------------------------------------------------ the convention and the filters


def _convention(
    title: str, actor: Actor, shown: tuple[str, ...], top: dict[str, Any]
) -> tuple[Filters, dict[str, Any]]:
    """The convention and the filters `shown`: in the sidebar, or in `top`'s column for those
    drawn at the top of the page."""
    conventions = list_conventions()
    if conventions.empty:
        stop_with(
            title,
            "Aucune convention n'est encore enregistrée. Chargez-en une avec « ctg seed DOSSIER » "
            "ou, pour la démonstration, « ctg seed ».",
            error=False,
        )
    conventions = _visible(conventions, actor)
    if conventions.empty:
        stop_with(title, "Aucune convention ne vous est ouverte. Demandez l'accès à un administrateur.", error=False)
    names = dict(zip(conventions["code"], conventions["name"], strict=True))
    if len(names) > 1 or set(shown) - set(top):
        st.sidebar.header("Filtres")
    ids = dict(zip(conventions["code"], conventions["id"], strict=True))
    code = next(iter(names))
    if len(names) > 1:
        code = (
            kept_choice(
                "Convention", list(names), CONVENTION, format_func=lambda c: names[c], default=0, where=st.sidebar
            )
            or code
        )
    convention_id = int(ids[code])
    card = convention_card(convention_id)
    if card is None:  # deleted between the two reads: the next run lists what is left
        stop_with(title, "Cette convention n'existe plus. Rechargez la page.", error=False)
    year = _filter(YEAR in shown, "Année", list(card["years"]), YEAR, ALL_YEARS, str, top.get(YEAR))
    # The domains the steering views list: the CTG's ten and any other the convention uses.
    labels = referentials.labels(convention_domains(convention_id)) if DOMAIN in shown else {}
    domain = _filter(DOMAIN in shown, "Domaine", list(labels), DOMAIN, ALL_DOMAINS, labels.__getitem__, top.get(DOMAIN))
    communes = {c["insee_code"]: c["name"] for c in card["communes"]}
    commune = _filter(
        COMMUNE in shown, "Commune", list(communes), COMMUNE, ALL_COMMUNES, communes.__getitem__, top.get(COMMUNE)
    )
    return Filters(convention_id=convention_id, year=year, domain_code=domain, insee_code=commune), card


T = TypeVar("T")


def _filter(
    shown: bool,
    label: str,
    options: list[T],
    param: str,
    all_label: str,
    name: Callable[[T], str],
    where: Any = None,
) -> T | None:
    """A filter with its « all » choice (absent from the URL), in the sidebar unless `where`
    says. A filter the page does not read is neither shown nor applied, and stays in the URL
    for the next page."""
    if not shown:
        return None
    return kept_choice(
        label,
        [ALL, *options],
        param,
        default=0,
        where=st.sidebar if where is None else where,
        format_func=lambda option: all_label if option == ALL else name(option),
        placeholder=all_label,  # never shown (a choice is always made), but French if it were
    )


def _visible(conventions: pd.DataFrame, actor: Actor) -> pd.DataFrame:
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


def _remember_filters() -> None:
    st.session_state[SAVED] = {name: st.query_params.get(name) for name in PARAMS}
