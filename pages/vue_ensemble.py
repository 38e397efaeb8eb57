"""Vue d'ensemble: where the convention stands, for the steering committee."""

import streamlit as st

from ctg_data import formats as fmt
from ctg_data.perimeter import figures_line
from ctg_data.queries import overview as q
from ctg_data.rules.indicators import STATUS_LABELS, STATUS_SYMBOLS, IndicatorStatus
from ctg_data.ui import overview_charts as charts
from ctg_data.ui.amendment_form import amendments_summary
from ctg_data.ui.changes import since_last_copil
from ctg_data.ui.data import cached_query
from ctg_data.ui.decisions import late_decisions
from ctg_data.ui.due_list import render_due
from ctg_data.ui.page import ConventionContext, page
from ctg_data.ui.selection import STATUS_PARAM
from ctg_data.ui.text import escape_markdown

steering_summary = cached_query(q.steering_summary)
lever_totals = cached_query(q.lever_totals)
recent_changes = cached_query(q.recent_changes)

# Every status, so that the tiles add up to the number of indicators.
TILE_STATUSES = list(STATUS_LABELS)
ACTIONS_PAGE, INDICATORS_PAGE = "pages/actions.py", "pages/indicateurs.py"
OPEN = "Voir la liste"


def tile(column, label: str, count: int, target: str, status: str, about: str, *, help: str | None = None) -> None:
    """A count and, under it, the link to the list it counts (the target page reads `?statut=`)."""
    with column.container(border=True):
        st.metric(label, fmt.number(count), help=help)
        st.page_link(target, label=OPEN, query_params={STATUS_PARAM: status}, help=about)


def action_tiles(actions) -> None:
    st.subheader("Actions")
    if actions.empty:
        st.info("Aucune action pour cette sélection.")
        return
    counts = q.status_counts(actions)
    columns = st.columns(len(counts) + 1)
    for column, (status, count) in zip(columns, counts.items(), strict=False):
        tile(column, status.label, count, ACTIONS_PAGE, status.value, f"Les actions au statut « {status.label} »")
    tile(
        columns[-1],
        "En retard",
        int(actions["late"].sum()),
        ACTIONS_PAGE,
        "en_retard",
        "Les actions en retard",
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
        tile(
            column,
            f"{STATUS_SYMBOLS[status]} {STATUS_LABELS[status]}",
            int(counts.get(status, 0)),
            INDICATORS_PAGE,
            status.value,
            f"Les indicateurs au statut « {STATUS_LABELS[status]} »",
        )


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


def convention_schedule(convention) -> None:
    """The whole convention against its calendar, under the domains' line."""
    row = convention.iloc[0]
    if fmt.missing(row["expected"]):
        return
    reading = f" — {charts.BEHIND.lower()}" if row["behind"] else ""
    st.caption(
        f"Ensemble de la convention : {charts.progress_for_expected(row['progress'], row['expected'])}{reading}."
    )


def domain_links(domains) -> None:
    """Each domain of the chart, one click from its detail (the chart's bars are not links)."""
    if domains.empty:
        return
    with st.expander("Ouvrir un domaine"):
        for row in domains.sort_values("position").itertuples():
            st.page_link(
                "pages/domaines.py", label=escape_markdown(row.domain), query_params={"domaine": row.domain_code}
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
    render_due(context.actor, context.convention_id)  # a partner's « À saisir » first; counts for advisors
    late_decisions(context)
    since_last_copil(context)
    now = context.today
    summary = steering_summary(context.filters, now)
    action_tiles(summary["actions"])
    indicator_tiles(summary["indicators"])

    st.subheader("Avancement par domaine")
    charts.behind_schedule(summary["domains"])
    convention_schedule(summary["convention"])
    charts.domain_progress(summary["domains"])
    domain_links(summary["domains"])
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
