"""Domaines: each domain the convention uses, with its roll-up; one domain's branch of the plan
(enjeu → objectif → fiche, rolled up at each level), its actions and indicators."""

import streamlit as st

from ctg_data import formats as fmt
from ctg_data.queries import overview as q
from ctg_data.queries.actions import plan_frame
from ctg_data.rules.indicators import STATUS_LABELS, STATUS_SYMBOLS, IndicatorStatus
from ctg_data.ui.changes import since_last_copil
from ctg_data.ui.data import cached_query
from ctg_data.ui.overview_charts import BEHIND, plan_table, progress_for_expected
from ctg_data.ui.page import ConventionContext, page
from ctg_data.ui.text import escape_markdown

steering_summary = cached_query(q.steering_summary)
load_plan = cached_query(plan_frame)


def status_line(domain) -> str:
    parts = [
        f"{STATUS_SYMBOLS[s]} {STATUS_LABELS[s]} : {getattr(domain, f'status_{s}')}"
        for s in IndicatorStatus
        if getattr(domain, f"status_{s}")
    ]
    return " · ".join(parts) or "aucun indicateur"


def schedule_text(domain) -> str:
    """« Attendu : 61 % — en retard sur le calendrier » (plain text: read as typed)."""
    if fmt.missing(domain.expected):
        return "Attendu : —"
    reading = f" — {BEHIND.lower()}" if domain.behind else ""
    return f"Attendu : {fmt.percent(fmt.share(domain.expected))}{reading}"


def domain_block(domain) -> None:
    with st.container(border=True):
        st.markdown(f"**{escape_markdown(domain.domain)}**")
        if domain.actions == 0:
            st.text("Aucune action")
        else:
            progress = fmt.share(domain.progress)
            st.progress(progress or 0.0, text=f"Avancement des actions : {fmt.percent(progress)}")
            st.text(schedule_text(domain))
            unreported = f", {domain.unreported} non renseignée(s)" if domain.unreported else ""
            st.caption(
                f"{domain.actions} action(s), dont {domain.done} réalisée(s), {domain.late} en retard{unreported}"
            )
        st.text(f"Atteinte des indicateurs : {fmt.percent(domain.attainment)} ({domain.indicators} indicateur(s))")
        st.caption(status_line(domain))
        st.page_link(
            "pages/domaines.py", label="Voir le détail du domaine", query_params={"domaine": domain.domain_code}
        )


def domain_detail(context: ConventionContext, summary, domain) -> None:
    actions = summary["actions"]
    indicators = summary["indicators"]
    st.subheader(escape_markdown(domain.domain))
    columns = st.columns(4)
    columns[0].metric("Avancement des actions", fmt.percent(fmt.share(domain.progress)))
    columns[1].metric(
        "Attendu",
        fmt.percent(fmt.share(domain.expected)),
        help="Avancement que les dates des actions prévoient à ce jour, avec les mêmes poids",
    )
    columns[2].metric("Atteinte des indicateurs", fmt.percent(domain.attainment))
    columns[3].metric("Actions en retard", fmt.number(domain.late))
    if domain.behind:
        st.warning(f"{BEHIND} : {progress_for_expected(domain.progress, domain.expected)}.")

    st.subheader("Orientations")
    st.caption("Les branches du plan qui portent des fiches de ce domaine (ou rattachées à lui).")
    plan_table(load_plan(context.filters, context.today), alt_text=f"Plan du domaine {domain.domain}")
    if actions.empty:
        st.info("Aucune action dans ce domaine.")
    else:
        st.subheader("Actions")
        st.dataframe(
            actions.assign(
                late=actions["late"].map({True: "En retard", False: ""}),
                ends_on=actions["ends_on"].map(fmt.short_date),
                expected=actions["expected"].round(),  # shown as a whole number, rounded not cut
            )[["code", "title", "status_label", "progress", "expected", "late", "ends_on", "pilot"]],
            column_config={
                "code": "Code",
                "title": "Intitulé",
                "status_label": "Statut",
                "progress": st.column_config.ProgressColumn("Avancement", format="%d %%", min_value=0, max_value=100),
                "expected": st.column_config.NumberColumn("Attendu", format="%d %%"),
                "late": "Retard",
                "ends_on": "Échéance",
                "pilot": "Pilote",
            },
            hide_index=True,
            width="stretch",
        )
    st.subheader("Indicateurs")
    if indicators.empty:
        st.info("Aucun indicateur dans ce domaine.")
        return
    st.dataframe(
        indicators.assign(
            status_label=[
                f"{STATUS_SYMBOLS[s]} {label}"
                for s, label in zip(indicators["status"], indicators["status_label"], strict=True)
            ],
            attainment=indicators["attainment_clipped"].map(fmt.percent),
        )[["code", "name", "status_label", "attainment"]],
        column_config={"code": "Code", "name": "Indicateur", "status_label": "Statut", "attainment": "Atteinte"},
        hide_index=True,
        width="stretch",
    )


@page("Domaines")
def render(context: ConventionContext) -> None:
    summary = steering_summary(context.filters, context.today)
    domains = summary["domains"]
    if context.filters.domain_code:
        domain_detail(context, summary, next(domains.itertuples()))
        since_last_copil(context, domain=context.filters.domain_code)
        st.caption("Pour revenir à tous les domaines, choisissez « Tous les domaines » dans les filtres.")
        return
    for start_index in range(0, len(domains), 2):
        columns = st.columns(2)
        for column, domain in zip(columns, list(domains.itertuples())[start_index : start_index + 2], strict=False):
            with column:
                domain_block(domain)
    st.subheader("Plan de la convention")
    plan_table(load_plan(context.filters, context.today))
