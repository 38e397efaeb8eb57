"""Leviers de financement: the convention's money by lever × year × domain × funder ×
beneficiary, planned vs notified vs paid. Every view regroups the same rows, so totals agree."""

import streamlit as st

from ctg_data import formats as fmt
from ctg_data.queries.year_on_year import funding_year_on_year
from ctg_data.reports import funding
from ctg_data.reports.year_on_year import chart_sentence, lever_headers, lever_rows, totals_chart
from ctg_data.rules.year_on_year import compared_year
from ctg_data.ui.charts import show_chart
from ctg_data.ui.data import cached_query
from ctg_data.ui.funding_charts import stage_metrics, stages_chart, table_with_downloads, widths
from ctg_data.ui.page import ALL_FILTERS, ConventionContext, page
from ctg_data.ui.selection import WRAPPED_ROWS
from ctg_data.ui.text import escape_markdown

lever_breakdown = cached_query(funding.lever_breakdown)
load_year_on_year = cached_query(funding_year_on_year)

STAGE_MONEY = tuple(funding.STAGES)
DETAIL_HEADERS = {
    "lever_label": "Levier",
    "year": "Année",
    "domain_label": "Domaine",
    **funding.STAGES,
    "funder_name": "Financeur",
    "beneficiary_name": "Bénéficiaire",
    "lines": "Lignes",
}
# At 1440 px beside the menu (about 950 px), every column of the detail reads without scrolling.
DETAIL_WIDTHS = {
    "Levier": 150,
    "Année": 55,
    "Domaine": 120,
    "Prévu": 105,
    "Notifié": 105,
    "Versé": 105,
    "Financeur": 120,
    "Bénéficiaire": 130,
    "Lignes": 55,
}


def _with_total_row(per_value, dimension, totals):
    # The key column becomes text so that "Total" can sit under years without mixing types.
    rows = [{**row, dimension: str(row[dimension])} for row in per_value.to_dict("records")]
    rows.append({dimension: "Total", **totals})
    return funding.frame(rows, [dimension, *funding.STAGES], integers=())


def _chart_sentence(per_value, dimension, title, totals) -> str:
    first = max(per_value.itertuples(index=False), key=lambda row: row.planned or row.notified or row.paid or 0)
    return (
        f"Trois barres empilées (prévu, notifié, versé) réparties par {title.lower()} ; "
        f"chacune fait le total de l'étape. {len(per_value)} valeur(s) ; la plus importante "
        f"est « {escape_markdown(getattr(first, dimension))} » ({fmt.money(first.planned)} prévus, "
        f"{fmt.money(first.paid)} versés) sur {fmt.money(totals['planned'])} prévus au total."
    )


def _ratio(part, whole) -> str:
    if part is None or not whole:
        return fmt.DASH
    return fmt.percent(float(part / whole))


def _slug(text: str) -> str:
    return {
        "Levier": "levier",
        "Année": "annee",
        "Domaine": "domaine",
        "Financeur": "financeur",
        "Bénéficiaire": "beneficiaire",
    }.get(text, "valeur")


def _year_on_year(context: ConventionContext) -> None:
    """Each lever's money in N and N − 1 (N: the year chosen in the filters, else the last whole
    year), stage by stage, with the change; then all levers together, as bars."""
    filters = context.filters
    year = compared_year(filters.year, context.today)
    rows = load_year_on_year(filters.convention_id, year, filters.domain_code, filters.insee_code)
    st.subheader(f"D'une année à l'autre : {year} par rapport à {year - 1}")
    if rows.empty:
        st.info(f"Aucun financement en {year - 1} ni en {year} pour cette sélection.")
        return
    st.caption(
        "Montants de chaque levier pour les deux années ; l'évolution compte pour zéro un montant "
        "absent une année, et son pourcentage n'est donné que si l'année précédente a un montant."
    )
    show_chart(totals_chart, rows, year, width="stretch")
    st.caption(chart_sentence(rows, year))
    table_with_downloads(
        funding.frame(lever_rows(rows), list(lever_headers(year)), integers=()),
        lever_headers(year),
        basename=f"financements-{year}-{year - 1}",
        key="leviers-year-on-year",
        money=("previous", "current"),
        row_height=WRAPPED_ROWS,
    )


# The filters under the title: an advisor comes for one year, and the sidebar shows them only
# below the long menu.
@page("Leviers de financement", on_top=ALL_FILTERS)
def render(context: ConventionContext) -> None:
    filters = context.filters
    st.caption(
        "Les montants prévus, notifiés et versés de la convention, par levier, année, "
        "domaine, financeur et bénéficiaire."
    )
    if filters.insee_code:
        st.caption(
            "Avec une commune choisie, seuls les financements rattachés à un équipement "
            "de la commune ou à une action qui la concerne sont comptés (les postes et "
            "financements de toute la convention sont exclus)."
        )
    breakdown = lever_breakdown(filters.convention_id, filters.year, filters.domain_code, filters.insee_code)
    if breakdown.empty:
        st.info("Aucun financement pour cette sélection.")
        return

    totals = funding.stage_totals(breakdown)
    stage_metrics(totals)
    st.caption(
        f"Versé / notifié : {_ratio(totals['paid'], totals['notified'])} · "
        f"notifié / prévu : {_ratio(totals['notified'], totals['planned'])}."
    )

    dimension = st.radio(
        "Répartir par",
        list(funding.BREAKDOWN_DIMENSIONS),
        horizontal=True,
        format_func=funding.BREAKDOWN_DIMENSIONS.get,
        key="leviers_dimension",
    )
    title = funding.BREAKDOWN_DIMENSIONS[dimension]
    per_value = funding.breakdown_by(breakdown, dimension)
    stages_chart(per_value, dimension, title)
    st.caption(_chart_sentence(per_value, dimension, title, totals))

    st.subheader(f"Par {title.lower()}")
    table_with_downloads(
        _with_total_row(per_value, dimension, totals),
        {dimension: title, **funding.STAGES},
        basename=f"financements-par-{_slug(title)}",
        key="leviers-per-value",
        money=STAGE_MONEY,
    )
    _year_on_year(context)
    st.subheader("Détail")
    st.caption("Une ligne par levier, année, domaine, financeur et bénéficiaire.")
    table_with_downloads(
        breakdown,
        DETAIL_HEADERS,
        basename="financements-detail",
        key="leviers-detail",
        money=STAGE_MONEY,
        column_config=widths(DETAIL_WIDTHS),
        row_height=WRAPPED_ROWS,
    )
