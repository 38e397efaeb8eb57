"""Bonus territoire CTG: for CAF advisors, facility by facility and year, what the barème says
is due, what was notified and paid, and why they differ; totals per manager; a facility's page
(selected here, kept in the URL as ?equipement=CODE)."""

import pandas as pd
import streamlit as st

from ctg_data import formats as fmt
from ctg_data.reports import bonus_report as report
from ctg_data.reports.funding import FLAG_MARK, line_totals, year_clock
from ctg_data.rules.reconciliation import Flag
from ctg_data.ui.data import cached_query
from ctg_data.ui.funding_charts import display_frame, table_with_downloads, widths
from ctg_data.ui.page import COMMUNE, YEAR, ConventionContext, page
from ctg_data.ui.selection import kept_choice
from ctg_data.ui.text import escape_markdown

bonus_reconciliation = cached_query(report.bonus_reconciliation)
facility_detail = cached_query(report.facility_detail)

DETAIL_PARAM = "equipement"
VIEW_PARAM = "lignes"
ALL_YEARS = "toutes"  # kept in the URL as annee=toutes: no parameter means the default year
NO_FLAG = "aucune"
PARTS = ("Alertes et lignes", "Totaux par gestionnaire", "Fiche équipement")
VIEWS = {"alertes": "Alertes à traiter", "informations": "Alertes et informations", "toutes": "Toutes les lignes"}
# Pixels that fit the main column at 1440 px beside the menu (about 950 px): "Pourquoi" takes
# what is left and wraps (row height above 64 px).
WIDTHS = {
    "Équipement": 160,
    "Année": 50,
    "Alerte ou information": 140,
    "Dû": 100,
    "Notifié": 100,
    "Versé": 100,
    "Écart notifié − dû": 105,
    "Pourquoi": 240,
}


def _year(context: ConventionContext) -> tuple[int, ...]:
    """The year, at the top of the page (within sight): by default the last year that is over,
    the one whose alerts are to be acted on."""
    years = list(context.years)
    clock = year_clock(context.today)
    over = [index for index, year in enumerate(years) if not clock.is_pending(year)]
    default = over[-1] if over else len(years) - 1
    chosen = kept_choice(
        "Année",
        [*years, ALL_YEARS],
        YEAR,
        key="bonus_year",
        placeholder="Choisir une année",
        default=default,
        format_func=lambda y: "Toutes les années" if y == ALL_YEARS else str(y),
    )
    return context.years if chosen is None or chosen == ALL_YEARS else (int(str(chosen)),)


def _view(where) -> str:
    """Which lines the table shows, kept in the URL (?lignes=toutes); the alerts by default."""
    chosen = kept_choice(
        "Lignes affichées",
        list(VIEWS),
        VIEW_PARAM,
        key="bonus_view",
        format_func=VIEWS.__getitem__,
        default=0,
        where=where,
        radio=True,
    )
    return chosen or "alertes"


def _in_view(rows, view: str):
    flagged = rows["flag_codes"].map(bool)
    if view == "alertes":
        return rows[flagged].reset_index(drop=True)
    if view == "informations":
        return rows[flagged | rows["information"].map(bool)].reset_index(drop=True)
    return rows


def _page_filters(rows):
    columns = st.columns(3)
    flags = columns[0].multiselect(
        "Alertes",
        [NO_FLAG, *(flag.value for flag in Flag)],
        key="bonus_flags",
        format_func=lambda code: "sans alerte" if code == NO_FLAG else Flag(code).label_fr,
        placeholder="Toutes",
    )
    types = columns[1].multiselect("Type", sorted(set(rows["type_label"])), key="bonus_types", placeholder="Tous")
    managers = columns[2].multiselect(
        "Gestionnaire", sorted(set(rows["manager_name"])), key="bonus_managers", placeholder="Tous"
    )
    keep = rows["type_label"].isin(types) if types else rows["type_label"].notna()
    if managers:
        keep &= rows["manager_name"].isin(managers)
    if flags:
        keep &= rows["flag_codes"].map(
            lambda codes: (not codes and NO_FLAG in flags) or any(code in flags for code in codes)
        )
    return rows[keep].reset_index(drop=True)


def _summary(rows) -> None:
    """Totals that add up: due, notified, paid and gaps over the lines whose due is known; the
    lines whose due is unknown are totalled apart (docs/rules.md, "Totaux")."""
    sums = line_totals(rows)
    # Two rows of three: French amounts in the millions don't fit five to a row.
    first, second = st.columns(3), st.columns(3)
    first[0].metric("Dû", fmt.money(sums.due))
    first[1].metric("Notifié", fmt.money(sums.notified))
    first[2].metric("Versé", fmt.money(sums.paid))
    second[0].metric("Écart notifié − dû", fmt.money(sums.gap_notified))
    second[1].metric("Écart versé − notifié", fmt.money(sums.gap_paid))
    second[2].metric("Lignes en alerte", fmt.number(int(rows["flag_codes"].map(bool).sum())))
    st.caption(
        f"Totaux des {sums.lines} ligne(s) de la sélection dont le dû est connu, quelles que "
        "soient les lignes affichées dans le tableau."
    )
    if sums.unknown_lines:
        st.caption(
            f"{FLAG_MARK} {sums.unknown_fr().capitalize()} (prévisionnel, barème à publier, sans "
            "barème ou activité manquante) : comptés à part, jamais dans les totaux ci-dessus."
        )


def _lines(selected, view: str, one_year: bool) -> None:
    shown = _in_view(selected, view)
    st.subheader(VIEWS[view] if view != "toutes" else "Équipements")
    if shown.empty:
        st.success(
            "Aucune alerte pour cette sélection."
            if view == "alertes"
            else "Aucune ligne à afficher pour cette sélection."
        )
        return
    more = st.toggle(
        "Toutes les colonnes", key="bonus_columns", help="Type, commune, gestionnaire, base, taux, commentaires, code…"
    )
    screen = report.SCREEN_HEADERS | (report.MORE_HEADERS if more else {})
    if one_year:
        screen = {column: header for column, header in screen.items() if column != "year"}
    table_with_downloads(
        report.with_totals(shown),
        report.HEADERS,
        basename="bonus-territoire",
        key="bonus-rows",
        money=report.MONEY,
        shown=screen,
        formatters={"year": lambda year: "" if year is None else str(year)},
        column_config=widths(WIDTHS),
        row_height=None if more else 120,
    )
    st.caption(
        "Les deux dernières lignes du tableau et des fichiers sont les totaux des lignes "
        "affichées : le dû inconnu est compté à part."
    )


def _managers(selected) -> None:
    st.caption(
        "Le bonus est versé au gestionnaire de chaque équipement : ces totaux sont "
        "les sommes de toutes les lignes de la sélection. Un montant dû inconnu "
        "(sans barème, activité manquante) est compté à part, jamais comme 0."
    )
    table_with_downloads(
        report.manager_totals(selected),
        report.MANAGER_HEADERS,
        basename="bonus-territoire-gestionnaires",
        key="bonus-managers",
        money=report.MANAGER_MONEY,
    )


def _facility_page(convention_id: int, all_years: tuple[int, ...], rows) -> None:
    """The computation in sight; the activity, the barème and the funding lines folded (each
    part of the fiche one tap away on a phone)."""
    names = dict(zip(rows["facility"], rows["facility_name"], strict=False))
    code = kept_choice(
        "Équipement",
        sorted(names, key=names.__getitem__),
        DETAIL_PARAM,
        key="bonus_facility",
        format_func=lambda c: f"{names[c]} ({c})" if c in names else c,
        keep_unknown=True,
        placeholder="Choisir un équipement…",
    )
    if code is None:
        return
    detail = facility_detail(convention_id, code, all_years)
    if detail is None:
        st.warning(f"Aucun équipement « {escape_markdown(code)} » dans cette convention.")
        return
    facility = detail["facility"]
    psu = {True: "oui", False: "non", None: fmt.DASH}[facility["psu"]]
    st.text(
        f"{facility['name']} · {detail['type_label']} · {facility['commune']} · gestionnaire : "
        f"{facility['manager_name']} · places : {fmt.number(facility['places'])} · PSU : {psu} · "
        f"classe : {facility['territory_class'] or fmt.DASH} · ouverture : "
        f"{fmt.short_date(facility['opens_on'])} · fermeture : {fmt.short_date(facility['closes_on'])}"
    )

    st.markdown("**Calcul année par année**")
    for row in detail["years"].itertuples(index=False):
        st.markdown(
            f"**{row.year}** — {escape_markdown(row.explanation)} · dû {fmt.money(row.due)} · notifié "
            f"{fmt.money(row.notified)} · versé {fmt.money(row.paid)}"
            + (f" · {escape_markdown(row.flag_labels)}" if row.flag_codes else "")
        )
        for reason in filter(None, row.reasons.split(" | ")):
            st.markdown(f"- {escape_markdown(reason)}")

    with st.expander("Activité", icon=":material/domain:"):
        _activity(detail["activity"], code)
    with st.expander("Barème applicable", icon=":material/table_chart:"):
        _rates(detail["rates"])
    with st.expander("Financements de l'équipement", icon=":material/payments:"):
        _detail_table(
            detail["lines"],
            "Aucun financement pour cet équipement.",
            basename=f"financements-{code}",
            key="bonus-lines",
            money=("Prévu", "Notifié", "Versé"),
        )


def _activity(activity: pd.DataFrame, code: str) -> None:
    _detail_table(
        activity,
        "Aucune activité déclarée pour cet équipement.",
        basename=f"activite-{code}",
        key="bonus-activity",
        formatters={
            "Places": fmt.number,
            "Heures réalisées": fmt.smart_number,
            "Heures facturées": fmt.smart_number,
            "ETP": fmt.smart_number,
        },
    )


def _rates(rates: pd.DataFrame) -> None:
    if rates.empty:
        st.info("Aucune ligne de barème pour ce type d'équipement : rien n'est dû (« sans barème »).")
    else:
        st.dataframe(
            display_frame(
                rates,
                {c: c for c in rates.columns},
                money=("Plancher", "Plafond"),
                formatters={"Montant": fmt.exact_money},
            ),
            hide_index=True,
            width="stretch",
        )


def _detail_table(
    frame: pd.DataFrame,
    empty: str,
    *,
    basename: str,
    key: str,
    money: tuple[str, ...] = (),
    formatters: dict | None = None,
) -> None:
    """A table of the facility page, its columns already named in French, with its downloads."""
    if frame.empty:
        st.info(empty)
        return
    table_with_downloads(
        frame,
        {column: column for column in frame.columns},
        basename=basename,
        key=key,
        money=money,
        formatters=formatters,
    )


@page("Bonus territoire CTG", filters=(COMMUNE,))
def render(context: ConventionContext) -> None:
    filters = context.filters
    with st.columns([1, 3])[0]:
        years = _year(context)
    st.caption(
        "Pour chaque équipement et chaque année : le montant dû selon le barème, le montant "
        "notifié et le montant versé, les écarts et les alertes avec leur motif."
    )
    rows = bonus_reconciliation(filters.convention_id, years, filters.insee_code)
    selected = rows if rows.empty else _page_filters(rows)
    # Three parts in tabs, each reached with one tap (the page was 7 900 px long on a phone);
    # a link naming a facility (?equipement=CODE) opens on its fiche.
    lines, managers, facility = st.tabs(PARTS, default=PARTS[2] if DETAIL_PARAM in st.query_params else None)
    with lines:
        if rows.empty:
            st.info("Aucun équipement pour cette sélection.")
        elif selected.empty:
            st.info("Aucun équipement ne correspond à ces filtres.")
        else:
            _summary(selected)
            _lines(selected, _view(st), one_year=len(years) == 1)
    with managers:
        if selected.empty:
            st.info("Aucun équipement pour cette sélection.")
        else:
            _managers(selected)
    with facility:
        _facility_page(filters.convention_id, context.years, rows)
