"""Portefeuille: every convention an advisor or an administrator sees, one row each — period,
progress against schedule, late actions, indicators by status, bonus, alerts — filtered by
département and advisor; a row opens the convention."""

import streamlit as st

from ctg_data.queries import portfolio as q
from ctg_data.reports.funding import year_clock
from ctg_data.ui import portfolio as view
from ctg_data.ui.data import cached_query
from ctg_data.ui.page import PageContext, general_page

# The figures and their French texts, computed once per data version for the person.
portfolio = cached_query(view.portfolio_view)


@general_page("Portefeuille")
def render(context: PageContext) -> None:
    found = portfolio(context.actor, context.today, year_clock(context.today))
    conventions = found["conventions"]
    if conventions.empty:
        st.info("Aucune convention ne vous est ouverte. Demandez l'accès à un administrateur.")
        return
    department, advisor = view.filters(conventions)
    rows = q.filtered(conventions, department, advisor)
    if rows.empty:
        st.info("Aucune convention pour ce département et ce conseiller.")
        return
    view.summary(rows)
    if view.view_choice() == "domaines":
        view.domains_table(rows, found["by_domain"])
    else:
        view.conventions_table(rows)
