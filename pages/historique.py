"""Historique: every change of one action, indicator, facility or funding line, from the audit
trail — when (French local time), who, what operation, why, and "champ : avant → après".

The record is in the URL: `?objet=action|indicateur|equipement|financement&id=CODE` (a funding
line, which has no code, by its number), so that every form can link to it.
"""

import pandas as pd
import streamlit as st

from ctg_data.queries.actions import actions_frame
from ctg_data.queries.filters import Filters, today
from ctg_data.queries.history import find_record, history_frame
from ctg_data.queries.indicators import indicators_frame
from ctg_data.services.activity import facilities_frame
from ctg_data.services.funding import funding_lines_frame
from ctg_data.ui.data import cached_query
from ctg_data.ui.page import run_page, start
from ctg_data.ui.text import escape_markdown

load_history = cached_query(history_frame)
load_record = cached_query(find_record)
load_actions = cached_query(actions_frame)
load_indicators = cached_query(indicators_frame)
load_facilities = cached_query(facilities_frame)
load_lines = cached_query(funding_lines_frame)

KINDS = {"action": "Action", "indicateur": "Indicateur", "equipement": "Équipement",
         "financement": "Ligne de financement"}


def main() -> None:
    context = start("Historique")
    convention_id = context.filters.convention_id
    kind = _choose_kind()
    key = _choose_item(kind, convention_id)
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
    st.dataframe(history, hide_index=True, alt="Historique des modifications",
                 column_config={"Modifications": st.column_config.TextColumn("Modifications", width="large"),
                                "Élément": st.column_config.TextColumn("Élément", width="medium")})


def _choose_kind() -> str:
    wanted = st.query_params.get("objet")
    kinds = list(KINDS)
    kind = st.selectbox("Type d'élément", kinds, index=kinds.index(wanted) if wanted in kinds else 0,
                        format_func=KINDS.get, key="historique_objet")
    if kind != wanted:
        st.query_params["objet"] = kind
        st.query_params.pop("id", None)
    return kind


def _choose_item(kind: str, convention_id: int) -> str | None:
    options = _options(kind, convention_id)
    wanted = st.query_params.get("id")
    codes = list(options)
    if wanted and wanted not in options:
        codes.append(wanted)  # a link to a record the list doesn't show: find_record decides
    chosen = st.selectbox(KINDS[kind], codes, index=codes.index(wanted) if wanted in codes else None,
                          format_func=lambda code: options.get(code, code), key=f"historique_id_{kind}",
                          placeholder="Rechercher…")
    if chosen is None:
        st.query_params.pop("id", None)
        return None
    st.query_params["id"] = chosen
    return chosen


def _options(kind: str, convention_id: int) -> dict[str, str]:
    """code (or number) → what the selector shows."""
    if kind == "action":
        frame = load_actions(Filters(convention_id=convention_id), today())
        return {c: f"{c} — {t}" for c, t in zip(frame["code"], frame["title"], strict=True)}
    if kind == "indicateur":
        frame = load_indicators(Filters(convention_id=convention_id), today())
        return {c: f"{c} — {t}" for c, t in zip(frame["code"], frame["name"], strict=True)}
    if kind == "equipement":
        frame = load_facilities(convention_id)
        return {c: f"{c} — {t}" for c, t in zip(frame["code"], frame["name"], strict=True)}
    frame = load_lines(convention_id)
    return {str(int(row.id)): f"n° {int(row.id)} · {row.year} · {row.lever} · {row.funder} → {row.beneficiary}"
            + ("" if pd.isna(row.facility) else f" · {row.facility}") for row in frame.itertuples()}


run_page(main)
