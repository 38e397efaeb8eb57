"""Historique: every change of one action, indicator, facility or funding line, from the audit
trail — when (French local time), who, what operation, why, and "champ : avant → après".

The record is in the URL: `?objet=action|indicateur|equipement|financement&id=CODE` (a funding
line, which has no code, by its number), so that every form can link to it.
"""

from datetime import date

import pandas as pd
import streamlit as st

from ctg_data.queries.actions import actions_frame
from ctg_data.queries.filters import Filters
from ctg_data.queries.history import find_record, history_frame
from ctg_data.queries.indicators import indicators_frame
from ctg_data.services.activity import facilities_frame
from ctg_data.services.funding import funding_lines_frame
from ctg_data.ui.data import cached_query
from ctg_data.ui.page import ConventionContext, page
from ctg_data.ui.selection import CHANGES_ROWS, kept_choice
from ctg_data.ui.text import escape_markdown

load_history = cached_query(history_frame)
load_record = cached_query(find_record)
load_actions = cached_query(actions_frame)
load_indicators = cached_query(indicators_frame)
load_facilities = cached_query(facilities_frame)
load_lines = cached_query(funding_lines_frame)

# At 1440 px beside the menu (about 980 px): « Modifications » and « Motif » wrap.
COLUMNS = {
    "Date": st.column_config.TextColumn("Date", width=115),
    "Par": st.column_config.TextColumn("Par", width=140),
    "Opération": st.column_config.TextColumn("Opération", width=110),
    "Élément": st.column_config.TextColumn("Élément", width=150),
    "Modifications": st.column_config.TextColumn("Modifications", width=320),
    "Motif": st.column_config.TextColumn("Motif", width=115),
}
KINDS = {
    "action": "Action",
    "indicateur": "Indicateur",
    "equipement": "Équipement",
    "financement": "Ligne de financement",
}


def _options(kind: str, convention_id: int, on: date) -> dict[str, str]:
    """code (or number) → what the selector shows."""
    if kind == "action":
        frame = load_actions(Filters(convention_id=convention_id), on)
        return {c: f"{c} — {t}" for c, t in zip(frame["code"], frame["title"], strict=True)}
    if kind == "indicateur":
        frame = load_indicators(Filters(convention_id=convention_id), on)
        return {c: f"{c} — {t}" for c, t in zip(frame["code"], frame["name"], strict=True)}
    if kind == "equipement":
        frame = load_facilities(convention_id)
        return {c: f"{c} — {t}" for c, t in zip(frame["code"], frame["name"], strict=True)}
    frame = load_lines(convention_id)
    return {
        str(int(row.id)): f"n° {int(row.id)} · {row.year} · {row.lever} · {row.funder} → {row.beneficiary}"
        + ("" if pd.isna(row.facility) else f" · {row.facility}")
        for row in frame.itertuples()
    }


@page("Historique", filters=())
def render(context: ConventionContext) -> None:
    convention_id = context.convention_id
    kind = (
        kept_choice(
            "Type d'élément",
            list(KINDS),
            "objet",
            format_func=KINDS.__getitem__,
            default=0,
            key="historique_objet",
            placeholder="Choisir un type d'élément",
            clears=("id",),
        )
        or "action"
    )
    options = _options(kind, convention_id, context.today)
    key = kept_choice(
        KINDS[kind],
        list(options),
        "id",
        format_func=lambda code: options.get(code, code),
        key=f"historique_id_{kind}",
        placeholder="Rechercher…",
        keep_unknown=True,
    )
    if key is None:
        st.caption("Choisissez un élément pour voir ses modifications.")
        return
    record = load_record(kind, key, convention_id)
    if record is None:
        st.warning(f"Aucun élément « {escape_markdown(key)} » de ce type dans cette convention.")
        return
    history = load_history(kind, record["id"])
    title = record["title"] + (f" — {record['name']}" if record["name"] else "")
    st.subheader(escape_markdown(title))
    if history.empty:
        st.info("Aucune modification enregistrée pour cet élément.")
        return
    st.caption(f"{len(history)} événement(s), du plus récent au plus ancien. Heures de Paris.")
    st.dataframe(
        history,
        hide_index=True,
        alt="Historique des modifications",
        column_config=COLUMNS,
        row_height=CHANGES_ROWS,
    )
