"""Coordination et ingénierie: coordination posts (due under the barème vs notified vs paid) and
the diagnostic / engineering co-funding of the convention."""

import streamlit as st

from ctg_data import formats as fmt
from ctg_data.reports import funding
from ctg_data.ui.data import cached_query
from ctg_data.ui.funding_charts import (
    due_paid_chart,
    key_columns_first,
    section,
    stage_metrics,
    table_with_downloads,
    widths,
)
from ctg_data.ui.page import YEAR, ConventionContext, page
from ctg_data.ui.selection import WRAPPED_ROWS

post_reconciliation = cached_query(funding.post_reconciliation)
cofunding_report = cached_query(funding.cofunding_report)

POST_MONEY = ("annual_cost", "due", "notified", "paid", "gap_notified", "gap_paid")
COFUNDING_MONEY = ("planned", "notified", "paid", "gap_paid")
# On screen the key columns come first, sized to fit at 1440 px (the reasons wrap), the others
# after them; the files keep funding.POST_HEADERS / COFUNDING_HEADERS in their order.
POST_WIDTHS = {
    "Poste": 180,
    "Année": 55,
    "Dû": 100,
    "Notifié": 100,
    "Versé": 100,
    "Alertes": 150,
    "Motifs des alertes": 260,
}
COFUNDING_WIDTHS = {
    "Levier": 140,
    "Année": 55,
    "Intitulé de l'action": 200,
    "Bénéficiaire": 130,
    "Prévu": 95,
    "Notifié": 95,
    "Versé": 95,
    "Alertes": 140,
}
POSTS_CAPTION = (
    "Montant dû selon le barème du cofinancement de la coordination (taux du coût du "
    "poste ou montant par ETP, plafonné, au prorata des jours d'existence du poste), "
    "comparé aux montants notifiés et versés."
)
COFUNDING_CAPTION = (
    "Cofinancements du diagnostic partagé et de l'ingénierie : aucun barème ne fixe "
    "de montant dû ; les alertes portent sur les versements au-delà du notifié, "
    "sans notification, ou à un bénéficiaire non signataire."
)


def _posts_sentence(posts) -> str:
    due, paid = funding.total(posts["due"]), funding.total(posts["paid"])
    flagged = int(posts["flag_codes"].map(bool).sum())
    return (
        f"Barres groupées par année : dû, notifié et versé pour l'ensemble des postes. "
        f"Sur la sélection : {fmt.money(due)} dus, {fmt.money(paid)} versés ; "
        f"{flagged} ligne(s) poste × année en alerte."
    )


@page("Coordination et ingénierie", filters=(YEAR,), on_top=(YEAR,))
def render(context: ConventionContext) -> None:
    years = context.chosen_years
    posts = post_reconciliation(context.convention_id, years)
    if section("Postes de coordination", POSTS_CAPTION, posts, "Aucun poste de coordination pour cette sélection."):
        due_paid_chart(funding.sum_by(posts, "year", ("due", "notified", "paid")), by="year", title="Année")
        st.caption(_posts_sentence(posts))
        table_with_downloads(
            posts,
            funding.POST_HEADERS,
            basename="postes-coordination",
            key="coordination-posts",
            money=POST_MONEY,
            formatters={"fte": fmt.smart_number},
            shown=key_columns_first(funding.POST_HEADERS, POST_WIDTHS),
            column_config=widths(POST_WIDTHS),
            row_height=WRAPPED_ROWS,
        )
    cofunding = cofunding_report(context.convention_id, years)
    if section("Diagnostic et ingénierie", COFUNDING_CAPTION, cofunding, "Aucun financement pour cette sélection."):
        stage_metrics(funding.stage_totals(cofunding))
        table_with_downloads(
            cofunding,
            funding.COFUNDING_HEADERS,
            basename="diagnostic-ingenierie",
            key="coordination-cofunding",
            money=COFUNDING_MONEY,
            shown=key_columns_first(funding.COFUNDING_HEADERS, COFUNDING_WIDTHS),
            column_config=widths(COFUNDING_WIDTHS),
            row_height=WRAPPED_ROWS,
        )
