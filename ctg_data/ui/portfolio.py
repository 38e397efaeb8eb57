"""The portfolio page's widgets: its filters (kept in the URL), its summary, the table of
conventions (a row opens the convention's overview) and the table by domain."""

import functools
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from ctg_data import formats as fmt
from ctg_data.actors import Actor
from ctg_data.queries import portfolio as q
from ctg_data.rules.bonus import YearClock
from ctg_data.rules.indicators import STATUS_LABELS, STATUS_SYMBOLS, IndicatorStatus
from ctg_data.ui.page import CONVENTION
from ctg_data.ui.selection import WRAPPED_ROWS, kept_choice

DEPARTMENT, ADVISOR = "departement", "conseiller"
ALL = ""  # the « all » option, as on the other pages' filters
OVERVIEW = "pages/vue_ensemble.py"
# Key columns first: on a phone the convention, its alerts and its progress are seen without
# scrolling sideways; at 1440 px beside the menu (about 980 px) the first seven columns fit.
HEADERS = {
    "name": "Convention",
    "alerts_text": "Alertes",
    "progress_text": "Avancement",
    "late": "En retard",
    "indicators_text": "Indicateurs",
    "bonus_notified": "Bonus notifié",
    "bonus_paid": "Bonus versé",
    "period": "Période",
    "department": "Département",
    "advisors_text": "Conseillers",
    "overdue_decisions": "Décisions échues",
    "link": "Lien",
}
WIDTHS = {
    "Convention": 170,
    "Alertes": 260,
    "Avancement": 110,
    "En retard": 80,
    "Indicateurs": 150,
    "Bonus notifié": 110,
    "Bonus versé": 110,
}
BEHIND_MARK = "⚠"  # a domain behind schedule: a symbol, never colour alone
VIEW = "vue"  # ?vue=domaines: the table by domain
VIEWS = {ALL: "Conventions", "domaines": "Avancement par domaine"}  # the default absent from the URL


def filters(conventions: pd.DataFrame) -> tuple[str | None, int | None]:
    """The département and the advisor chosen, side by side under the title, kept in the URL."""
    departments = q.department_choices(conventions)
    advisors = q.advisor_choices(conventions)
    left, right = st.columns(2)
    department = kept_choice(
        "Département",
        [ALL, *departments],
        DEPARTMENT,
        format_func=lambda d: "Tous les départements" if d == ALL else d,
        default=0,
        where=left,
        key="portfolio_department",
    )
    advisor = kept_choice(
        "Conseiller CAF",
        [ALL, *(str(i) for i in advisors)],
        ADVISOR,
        format_func=lambda a: "Tous les conseillers" if a == ALL else advisors[int(a)],
        default=0,
        where=right,
        key="portfolio_advisor",
    )
    return department, int(advisor) if advisor else None


def summary(rows: pd.DataFrame) -> None:
    """The conventions shown in one line (a phone sees the table right below): how many, how
    many behind schedule, late actions, bonus notified and not paid in the years that are over."""
    unpaid = sum((v for v in rows["bonus_unpaid"] if v is not None and v > 0), start=Decimal(0))
    count, behind, late = len(rows), int(rows["behind"].sum()), int(rows["late"].sum())
    st.markdown(
        f"**{fmt.format_number(count)}** convention{'s' if count > 1 else ''} · "
        f"**{fmt.format_number(behind)}** en retard sur le calendrier · "
        f"**{fmt.format_number(late)}** action{'s' if late > 1 else ''} en retard · "
        f"**{fmt.format_money(unpaid)}** de bonus notifié non versé (années closes)"
    )


@functools.cache
def _whole_percent(value: int) -> str:
    return fmt.format_percent(value / 100)


def _percent(value: Any) -> str:
    """A progress (0–100) as a whole French percentage; at most 101 texts, each formatted once."""
    return fmt.DASH if value is None or pd.isna(value) else _whole_percent(round(value))


def _indicators(counts: dict[str, int]) -> str:
    """« ✔ 3 · ↗ 5 · ✖ 1 »: the statuses present, each with its symbol (never colour alone)."""
    parts = [f"{STATUS_SYMBOLS[s]} {counts[s]}" for s in IndicatorStatus if counts[s]]
    return " · ".join(parts) if parts else fmt.DASH


def portfolio_view(engine: Engine, actor: Actor, today: date, clock: YearClock) -> dict[str, pd.DataFrame]:
    """queries.portfolio.portfolio with the French texts the tables show, computed once per data
    version (pages read it through cached_query): `conventions` gains the texts of HEADERS,
    `by_domain` is one row per convention and a column per domain (« 45 % / 60 % »)."""
    found = q.portfolio(engine, actor, today, clock)
    rows = found["conventions"]
    shown = rows.copy()
    shown["alerts_text"] = [" ; ".join(alerts) if alerts else "Aucune" for alerts in rows["alerts"]]
    shown["progress_text"] = [
        f"{_percent(p)} / {_percent(e)}" for p, e in zip(rows["progress"], rows["expected"], strict=True)
    ]
    statuses = zip(*(rows[f"status_{s}"] for s in IndicatorStatus), strict=True)
    shown["indicators_text"] = [_indicators(dict(zip(IndicatorStatus, row, strict=True))) for row in statuses]
    shown["period"] = [
        f"{fmt.short_date(s)} – {fmt.short_date(e)}" for s, e in zip(rows["starts_on"], rows["ends_on"], strict=True)
    ]
    shown["advisors_text"] = [", ".join(names) if names else fmt.DASH for names in rows["advisors"]]
    shown["department"] = rows["department"].map(lambda d: d or fmt.DASH)
    for column in ("bonus_notified", "bonus_paid"):
        shown[column] = rows[column].map(fmt.format_money).astype(object)
    shown["link"] = [f"vue_ensemble?{CONVENTION}={code}" for code in rows["code"]]
    return {"conventions": shown, "by_domain": _by_domain(rows, found["domains"])}


def _by_domain(rows: pd.DataFrame, domains: pd.DataFrame) -> pd.DataFrame:
    """One row per convention (its id as index), a column per domain: « progress / expected »,
    marked ⚠ when the domain is behind schedule; empty where the convention has no action."""
    if domains.empty:
        return pd.DataFrame(index=rows["id"])
    cells = [
        f"{_percent(p)} / {_percent(e)}{' ' + BEHIND_MARK if behind else ''}"
        for p, e, behind in zip(domains["progress"], domains["expected"], domains["behind"], strict=True)
    ]
    table = domains.assign(cell=cells).pivot(index="convention_id", columns="domain", values="cell")
    order = domains.drop_duplicates("domain").sort_values("position")["domain"]
    return table.reindex(index=rows["id"], columns=list(order))


def conventions_table(rows: pd.DataFrame) -> None:
    """The conventions; clicking a row opens its overview (the convention kept in the URL)."""
    config: dict[str, Any] = {header: st.column_config.Column(width=width) for header, width in WIDTHS.items()}
    config["Avancement"] = st.column_config.TextColumn(
        "Avancement", width=110, help="Avancement pondéré des actions / avancement attendu à ce jour"
    )
    config["En retard"] = st.column_config.NumberColumn(
        "En retard", width=80, help="Actions dont la date de fin est passée, ni réalisées ni abandonnées"
    )
    config["Convention"] = st.column_config.TextColumn("Convention", width=170, pinned=True)
    config["Lien"] = st.column_config.LinkColumn("Lien", display_text="Ouvrir", help="Ouvrir dans un nouvel onglet")
    event = st.dataframe(
        rows[list(HEADERS)].rename(columns=HEADERS),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        placeholder=fmt.DASH,
        alt="Conventions du portefeuille",
        column_config=config,
        row_height=WRAPPED_ROWS,
        key="portfolio_table",
    )
    chosen = list(event.selection.rows) if event is not None else []
    if chosen:
        st.switch_page(OVERVIEW, query_params={CONVENTION: str(rows["code"].iloc[chosen[0]])})
    st.caption(
        "Cliquez sur une ligne pour ouvrir la vue d'ensemble de la convention. Indicateurs : "
        + " · ".join(f"{STATUS_SYMBOLS[s]} {STATUS_LABELS[s].lower()}" for s in IndicatorStatus)
        + ". Bonus : montants notifiés et versés enregistrés (levier bonus territoire) ; le dû selon le "
        "barème, équipement par équipement, est sur la page Bonus territoire de chaque convention."
    )


def view_choice() -> str:
    """Which table the page shows, kept in the URL: one table drawn per run, not both."""
    chosen = kept_choice(
        "Vue", list(VIEWS), VIEW, format_func=VIEWS.__getitem__, default=0, key="portfolio_view", radio=True
    )
    return chosen or "conventions"


def domains_table(rows: pd.DataFrame, by_domain: pd.DataFrame) -> None:
    """Progress against expected progress by domain, one row per convention shown."""
    table = by_domain.reindex(rows["id"]).reset_index(drop=True)
    table.insert(0, "Convention", list(rows["name"]))
    config: dict[str, Any] = {column: st.column_config.TextColumn(width=125) for column in table.columns}
    config["Convention"] = st.column_config.TextColumn("Convention", width=170, pinned=True)
    st.dataframe(table, hide_index=True, placeholder=fmt.DASH, alt="Avancement par domaine", column_config=config)
    st.caption(
        f"Avancement / avancement attendu à ce jour de chaque domaine ; {BEHIND_MARK} : en retard sur le "
        f"calendrier. {fmt.DASH} : aucune action de ce domaine dans la convention."
    )
