"""Vue d'ensemble: where the convention stands, for the steering committee."""

import streamlit as st

from ctg_data import formats as fmt
from ctg_data.perimeter import figures_line
from ctg_data.queries import overview as q
from ctg_data.rules.indicators import STATUS_LABELS, STATUS_SYMBOLS, IndicatorStatus
from ctg_data.ui import overview_charts as charts
from ctg_data.ui.amendment_form import amendments_summary
from ctg_data.ui.data import cached_query
from ctg_data.ui.page import ConventionContext, page
from ctg_data.ui.text import escape_markdown

steering_summary = cached_query(q.steering_summary)
lever_totals = cached_query(q.lever_totals)
recent_changes = cached_query(q.recent_changes)

TILE_STATUSES = [
    IndicatorStatus.ATTEINT,
    IndicatorStatus.EN_BONNE_VOIE,
    IndicatorStatus.A_SURVEILLER,
    IndicatorStatus.DECROCHE,
    IndicatorStatus.A_RENSEIGNER,
]


def action_tiles(actions) -> None:
    st.subheader("Actions")
    if actions.empty:
        st.info("Aucune action pour cette sélection.")
        return
    counts = q.action_status_counts(actions)
    columns = st.columns(len(counts) + 1)
    for column, (label, count) in zip(columns, counts.items(), strict=False):
        column.metric(label, fmt.number(count))
    columns[-1].metric(
        "En retard",
        fmt.number(int(actions["late"].sum())),
        help="Date de fin dépassée et action ni réalisée ni abandonnée.",
    )
    st.caption(
        f"Part réalisée : {fmt.percent(q.done_share(actions))} des actions non abandonnées. "
        "Une action au statut non renseigné (sans avancement) ne compte dans aucun avancement."
    )


def indicator_tiles(indicators) -> None:
    st.subheader("Indicateurs")
    if indicators.empty:
        st.info("Aucun indicateur pour cette sélection.")
        return
    counts = indicators["status"].value_counts()
    for column, status in zip(st.columns(len(TILE_STATUSES)), TILE_STATUSES, strict=True):
        column.metric(f"{STATUS_SYMBOLS[status]} {STATUS_LABELS[status]}", fmt.number(int(counts.get(status, 0))))


def funding_tiles(context: ConventionContext) -> None:
    year = context.filters.year
    st.subheader(f"Financements {year}" if year else "Financements (toutes années)")
    totals = lever_totals(context.filters)
    if totals.empty:
        st.info("Aucun financement enregistré pour cette sélection.")
        return
    st.dataframe(
        totals.assign(
            planned=totals["planned"].map(fmt.money),
            notified=totals["notified"].map(fmt.money),
            paid=totals["paid"].map(fmt.money),
        ),
        column_config={"lever": "Levier", "planned": "Prévu", "notified": "Notifié", "paid": "Versé"},
        hide_index=True,
        width="stretch",
    )


def watch_list(indicators) -> None:
    """Indicators needing attention, each one click away from its chart."""
    worrying = indicators[indicators["status"].isin([IndicatorStatus.DECROCHE, IndicatorStatus.A_SURVEILLER])]
    if worrying.empty:
        return
    st.subheader("Indicateurs à regarder")
    for row in worrying.itertuples():
        st.page_link(
            "pages/indicateurs.py",
            query_params={"indicateur": row.code},
            label=f"{STATUS_SYMBOLS[row.status]} {row.status_label} — {escape_markdown(row.name)}",
        )


def territory(card: dict) -> None:
    """The département and each commune's latest figures, with their year (« population 2021 »)."""
    if card.get("department"):
        st.text(f"Département : {card['department']}")
    lines = [line for line in map(figures_line, card["communes"]) if line]
    if lines:
        with st.expander(f"Communes du périmètre ({len(card['communes'])})"):
            st.text("\n".join(lines))  # plain text: commune names are never read as Markdown


@page("Vue d'ensemble")
def render(context: ConventionContext) -> None:
    card = context.card
    st.text(
        f"{card['name']} — signée le {fmt.long_date(card['signed_on'])}, "
        f"du {fmt.long_date(card['starts_on'])} au {fmt.long_date(card['ends_on'])}"
    )
    territory(card)
    now = context.today
    summary = steering_summary(context.filters, now)
    action_tiles(summary["actions"])
    indicator_tiles(summary["indicators"])

    st.subheader("Avancement par domaine")
    charts.domain_progress(summary["domains"])
    left, right = st.columns([3, 2])
    with left:
        funding_tiles(context)
    with right:
        st.subheader("Calendrier de la convention")
        charts.timeline(card, now)
        amendments_summary(card)

    watch_list(summary["indicators"])
    st.subheader("Dernières évolutions")
    changes = recent_changes(card["id"])
    if changes.empty:
        st.info("Aucune évolution enregistrée.")
    else:
        st.dataframe(
            changes.assign(date=changes["date"].map(fmt.short_date))[["date", "kind", "what"]],
            column_config={"date": "Date", "kind": "Type", "what": "Évolution"},
            hide_index=True,
            width="stretch",
        )
