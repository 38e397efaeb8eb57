"""Coordination et ingénierie: coordination posts (due under the barème vs notified vs paid) and
the diagnostic / engineering co-funding of the convention."""

import streamlit as st

from ctg_data import formats as fmt
from ctg_data import funding
from ctg_data.ui.data import cached_query
from ctg_data.ui.funding_charts import due_paid_chart, table_with_downloads
from ctg_data.ui.page import run_page, start

post_reconciliation = cached_query(funding.post_reconciliation)
cofunding_report = cached_query(funding.cofunding_report)

POST_MONEY = ("annual_cost", "due", "notified", "paid", "gap_notified", "gap_paid")
COFUNDING_MONEY = ("planned", "notified", "paid", "gap_paid")


def main() -> None:
    context = start("Coordination et ingénierie")
    filters, card = context.filters, context.card
    years = ((filters.year,) if filters.year
             else tuple(range(card["starts_on"].year, card["ends_on"].year + 1)))
    if filters.domain_code or filters.insee_code:
        st.caption("Les filtres « Domaine » et « Commune » ne s'appliquent pas aux postes : "
                   "ils servent toute la convention.")

    st.subheader("Postes de coordination")
    st.caption("Montant dû selon le barème du cofinancement de la coordination (taux du coût du "
               "poste ou montant par ETP, plafonné, au prorata des jours d'existence du poste), "
               "comparé aux montants notifiés et versés.")
    posts = post_reconciliation(filters.convention_id, years)
    if posts.empty:
        st.info("Aucun poste de coordination pour cette sélection.")
    else:
        due_paid_chart(funding.sum_by(posts, "year", ("due", "notified", "paid")), by="year",
                       title="Année")
        st.caption(_posts_sentence(posts))
        table_with_downloads(posts, funding.POST_HEADERS, basename="postes-coordination",
                             key="coordination-posts", money=POST_MONEY,
                             formatters={"fte": fmt.smart_number})

    st.subheader("Diagnostic et ingénierie")
    st.caption("Cofinancements du diagnostic partagé et de l'ingénierie : aucun barème ne fixe "
               "de montant dû ; les alertes portent sur les versements au-delà du notifié, "
               "sans notification, ou à un bénéficiaire non signataire.")
    cofunding = cofunding_report(filters.convention_id, years)
    if cofunding.empty:
        st.info("Aucun financement pour cette sélection.")
    else:
        columns = st.columns(3)
        for column, (stage, label) in zip(columns, funding.STAGES.items(), strict=True):
            column.metric(label, fmt.money(funding.total(cofunding[stage])))
        table_with_downloads(cofunding, funding.COFUNDING_HEADERS,
                             basename="diagnostic-ingenierie", key="coordination-cofunding",
                             money=COFUNDING_MONEY)


def _posts_sentence(posts) -> str:
    due, paid = funding.total(posts["due"]), funding.total(posts["paid"])
    flagged = int(posts["flag_codes"].map(bool).sum())
    return (f"Barres groupées par année : dû, notifié et versé pour l'ensemble des postes. "
            f"Sur la sélection : {fmt.money(due)} dus, {fmt.money(paid)} versés ; "
            f"{flagged} ligne(s) poste × année en alerte.")


run_page(main)
