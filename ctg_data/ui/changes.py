"""« Depuis le dernier COPIL » and « Ce qui a été présenté »: what changed since the last closed
COPIL (a list and a small chart: one call for the overview, `domain=` for a domain's page), and
the figures a closed meeting was shown, read from its snapshot (queries.snapshots), never
recomputed. Names and labels typed by people stay table cells or escaped text."""

from decimal import Decimal

import pandas as pd
import streamlit as st

from ctg_data import formats as fmt
from ctg_data.chart_specs import change_counts_chart
from ctg_data.queries import changes as q
from ctg_data.queries.snapshots import Frozen
from ctg_data.ui.charts import show_chart
from ctg_data.ui.data import cached_query
from ctg_data.ui.page import ConventionContext
from ctg_data.ui.text import escape_markdown, status_text, value_text

load_since = cached_query(q.since_last_copil)
load_between = cached_query(q.between_meetings)
TITLE = "Depuis le dernier COPIL"
PRESENTED = "Ce qui a été présenté"


def _signed_money(amount: Decimal) -> str:
    return ("+" if amount > 0 else "") + fmt.format_money(amount)


def change_counts(found: q.SinceCopil) -> pd.DataFrame:
    """How many of each kind of change, as the chart draws them."""
    kinds = {
        "Indicateurs qui changent de statut": len(found.changes.statuses),
        "Mesures enregistrées": len(found.measurements),
        "Actions réalisées": len(found.changes.completed),
        "Actions passées en retard": len(found.changes.newly_late),
        "Actions ajoutées": len(found.changes.added),
    }
    return pd.DataFrame({"Changement": list(kinds), "Nombre": list(kinds.values())})


def change_lines(found: q.SinceCopil) -> list[str]:
    """The changes in words, one Markdown line each (user text escaped)."""
    found_changes = found.changes
    lines = [
        f"{escape_markdown(s['code'])} — {escape_markdown(s['name'])} : "
        f"{escape_markdown(s['before'] or 'nouvel indicateur')} → {escape_markdown(s['after'])}"
        for s in found_changes.statuses
    ]
    for title, actions in (
        ("réalisée", found_changes.completed),
        ("en retard sur son échéance", found_changes.newly_late),
        ("ajoutée au plan", found_changes.added),
    ):
        lines += [f"Action {escape_markdown(a['code'])} — {escape_markdown(a['title'])} : {title}" for a in actions]
    lines += [
        f"{escape_markdown(money['lever_label'])} : {_signed_money(money['notified'])} notifiés, "
        f"{_signed_money(money['paid'])} versés"
        for money in found_changes.money
    ]
    return lines


def _chart(found: q.SinceCopil) -> None:
    counts = change_counts(found)
    show_chart(change_counts_chart, counts, width="stretch")


def show_changes(found: q.SinceCopil, key: str) -> None:
    """The list and the chart of one comparison, and the measurements recorded in between."""
    until = f" au {found.until}" if found.until else " à aujourd'hui"
    st.caption(f"Du {found.since}{until}.")
    lines = change_lines(found)
    if not lines and found.measurements.empty:
        st.info("Rien n'a changé depuis.")
        return
    _chart(found)
    if lines:
        # The counts above say what changed; the list can be long (a whole year of a convention).
        with st.expander(
            f"Le détail ({len(lines)} évolution{'s' if len(lines) > 1 else ''})", expanded=len(lines) <= 5
        ):
            st.markdown("\n".join(f"- {line}" for line in lines))
    if not found.measurements.empty:
        measured = found.measurements
        plural = "s" if len(measured) > 1 else ""
        st.markdown(f"**{len(measured)} mesure{plural} enregistrée{plural}**")
        st.dataframe(
            pd.DataFrame(
                {
                    "Code": measured["code"],
                    "Indicateur": measured["name"],
                    "Date de la mesure": measured["measured_on"],
                    "Valeur": [value_text(v) for v in measured["value"]],
                    "Commune": measured["insee_code"].fillna("—"),
                    "Correction": ["oui" if c else "non" for c in measured["correction"]],
                }
            ),
            hide_index=True,
            key=f"{key}_measurements",
            column_config={"Date de la mesure": st.column_config.DateColumn(format="DD/MM/YYYY")},
        )


def since_last_copil(context: ConventionContext, domain: str | None = None) -> None:
    """« Depuis le dernier COPIL » of the convention (of `domain`): the overview and the domain
    page call it once."""
    st.subheader(TITLE)
    found = load_since(context.convention_id, context.today, domain)
    if found is None:
        st.caption("Aucun COPIL n'est encore clos : les évolutions s'afficheront après le premier.")
        return
    show_changes(found, key=f"since_{domain or 'all'}")


def between_meetings(meeting_id: int) -> None:
    """From the COPIL before a closed meeting to that meeting (the meeting page)."""
    found = load_between(meeting_id)
    if found is None:
        st.caption("Aucun COPIL clos avant cette réunion : rien à comparer.")
        return
    show_changes(found, key=f"between_{meeting_id}")


# ------------------------------------------------------------------ a meeting's frozen figures


def _money_table(frame: pd.DataFrame, first: str, first_title: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            first_title: frame[first],
            "Prévu": [fmt.format_money(v) for v in frame["planned"]],
            "Notifié": [fmt.format_money(v) for v in frame["notified"]],
            "Versé": [fmt.format_money(v) for v in frame["paid"]],
        }
    )


def presented(frozen: Frozen) -> None:
    """The figures a closed meeting was shown, as they were when it was closed."""
    st.caption(
        f"Chiffres au {fmt.short_date(frozen.as_of)}, conservés à la clôture de la réunion : "
        "ils ne changent plus, même si une donnée est corrigée ensuite."
    )
    convention = frozen.table("convention")
    if not convention.empty:
        row = convention.iloc[0]
        late = " — en retard sur le calendrier" if row["behind"] else ""
        st.markdown(
            f"Avancement de la convention : {fmt.format_percent(fmt.share(row['progress']))} pour "
            f"{fmt.format_percent(fmt.share(row['expected']))} attendus{late}"
        )
    domains = frozen.table("domains")
    if not domains.empty:
        st.markdown("**Domaines**")
        st.dataframe(
            pd.DataFrame(
                {
                    "Domaine": domains["domain"],
                    "Actions": domains["actions"],
                    "Avancement": [fmt.format_percent(fmt.share(v)) for v in domains["progress"]],
                    "Attendu": [fmt.format_percent(fmt.share(v)) for v in domains["expected"]],
                    "En retard sur le calendrier": ["oui" if b else "non" for b in domains["behind"]],
                }
            ),
            hide_index=True,
        )
    indicators = frozen.table("indicators")
    if not indicators.empty:
        st.markdown("**Indicateurs**")
        st.dataframe(
            pd.DataFrame(
                {
                    "Code": indicators["code"],
                    "Indicateur": indicators["name"],
                    "Statut": [status_text(s) for s in indicators["status"]],
                    "Valeur": [value_text(v) for v in indicators["current_value"]],
                    "Unité": indicators["unit"],
                    "Mesurée le": indicators["current_date"],
                }
            ),
            hide_index=True,
            column_config={"Mesurée le": st.column_config.DateColumn(format="DD/MM/YYYY")},
        )
    actions = frozen.table("actions")
    if not actions.empty:
        st.markdown("**Actions**")
        st.dataframe(
            pd.DataFrame(
                {
                    "Code": actions["code"],
                    "Action": actions["title"],
                    "Statut": actions["status_label"],
                    "Avancement": [fmt.format_percent(fmt.share(v)) for v in actions["progress"]],
                    "En retard": ["oui" if late else "non" for late in actions["late"]],
                }
            ),
            hide_index=True,
        )
    for section, title in (
        ("levers_year", f"Financements {frozen.as_of.year}"),
        ("levers_all", "Financements, toutes années"),
    ):
        levers = frozen.table(section)
        if not levers.empty:
            st.markdown(f"**{title}**")
            st.dataframe(_money_table(levers, "lever_label", "Levier"), hide_index=True)
    bonus = frozen.table("bonus")
    if not bonus.empty:
        st.markdown("**Bonus territoire CTG**")
        st.dataframe(
            pd.DataFrame(
                {
                    "Équipement": bonus["facility_name"],
                    "Année": bonus["year"],
                    "Dû": [fmt.format_money(v) for v in bonus["due"]],
                    "Notifié": [fmt.format_money(v) for v in bonus["notified"]],
                    "Versé": [fmt.format_money(v) for v in bonus["paid"]],
                    "Alerte ou information": bonus["situation"],
                }
            ),
            hide_index=True,
        )


__all__ = ["PRESENTED", "TITLE", "between_meetings", "change_lines", "presented", "show_changes", "since_last_copil"]
