"""Saisie · Financement: a funding line's planned, notified and paid amounts (euros, at most two
decimals), for CAF advisors. A line saved by someone else since the form opened is refused
with what they changed.

The line chosen is in the URL (`?ligne=ID`).
"""

import pandas as pd
import streamlit as st

from ctg_data import formats as fmt
from ctg_data.actors import Actor
from ctg_data.services.funding import funding_for_edit, funding_lines_frame, may_write_funding, update_funding
from ctg_data.ui.data import cached_query, engine
from ctg_data.ui.forms import attempt, bump, counter, editable, flash, history_link, labelled_key, link, opened, reopen
from ctg_data.ui.page import run_page, start
from ctg_data.ui.text import escape_markdown
from ctg_data.validation import Field

load_lines = cached_query(funding_lines_frame)
load_may_write = cached_query(may_write_funding)

PARAM = "ligne"
OPENED = "saisie_financement_opened"
FORM = "saisie_financement_form"
DONE = "saisie_financement_done"
NOT_OPEN = "Votre rôle ne permet pas de modifier les financements : seuls les conseillers CAF le peuvent."


def main() -> None:
    context = start("Financement")
    filters = context.filters
    allowed = load_may_write(context.actor, filters.convention_id)
    lines = load_lines(filters.convention_id) if allowed else None
    if not allowed:
        st.info(NOT_OPEN)
        return
    done = st.session_state.pop(DONE, None)
    if done:
        st.success(escape_markdown(done), icon=":material/check_circle:")
    if filters.year:
        lines = lines[lines["year"] == filters.year]
    if lines.empty:
        st.info("Aucune ligne de financement pour ces filtres.")
        return
    line = _choose(lines)
    if line is None:
        return
    line_id = int(line["id"])
    snapshot = opened(OPENED, line_id, lambda: funding_for_edit(engine(), line_id))
    if snapshot is None:
        st.warning("Cette ligne de financement n'existe plus.")
        return
    _form(context.actor, line, snapshot)
    columns = st.columns(2)
    with columns[0]:
        link("pages/leviers.py", "Voir les financements par levier", icon=":material/euro:")
    with columns[1]:
        history_link("financement", line_id)


def describe(row) -> str:
    linked = next((str(v) for v in (row.facility, row.action, row.post) if isinstance(v, str)), "")
    return (f"{row.year} · {row.lever} · {row.funder} → {row.beneficiary}" + (f" · {linked}" if linked else "")
            + f" (notifié {fmt.money(row.notified)})")


def _choose(lines: pd.DataFrame):
    ids = [int(i) for i in lines["id"]]
    labels = {int(row.id): describe(row) for row in lines.itertuples()}
    wanted = st.query_params.get(PARAM)
    wanted = int(wanted) if wanted and wanted.isdigit() else None
    chosen = st.selectbox("Ligne de financement", ids, index=ids.index(wanted) if wanted in ids else None,
                          format_func=labels.get, key=labelled_key("saisie_financement_choix", labels.values()),
                          placeholder="Rechercher une ligne (année, levier, financeur, bénéficiaire)…")
    if chosen is None:
        st.query_params.pop(PARAM, None)
        return None
    st.query_params[PARAM] = str(chosen)
    return lines[lines["id"] == chosen].iloc[0]


def _form(actor: Actor, line: pd.Series, snapshot: dict) -> None:
    line_id = int(line["id"])
    n = counter(FORM)
    key = f"{FORM}_{line_id}_{n}"
    with st.form(key):
        st.caption("Montants en euros, deux décimales au plus (ex. 77 500 ou 54 250,50) ; laissez vide ce qui "
                   "n'est pas connu.")
        columns = st.columns(3)
        planned = columns[0].text_input(f"{Field.PLANNED} (€)", value=editable(snapshot["planned"]),
                                        key=f"{key}_planned")
        notified = columns[1].text_input(f"{Field.NOTIFIED} (€)", value=editable(snapshot["notified"]),
                                         key=f"{key}_notified")
        paid = columns[2].text_input(f"{Field.PAID} (€)", value=editable(snapshot["paid"]), key=f"{key}_paid")
        comment = st.text_area(Field.COMMENT, value=snapshot["comment"] or "", height=68, key=f"{key}_comment")
        submitted = st.form_submit_button("Enregistrer les montants", type="primary")
    if not submitted:
        return
    result = attempt(lambda: update_funding(
        engine(), actor, funding_line_id=line_id, expected_version=snapshot["version"], opened=snapshot,
        planned=planned, notified=notified, paid=paid, comment=comment), table="funding_lines",
        on_conflict=lambda: reopen(OPENED, line_id, funding_for_edit(engine(), line_id)))
    if result is not None:
        reopen(OPENED, line_id, result.opened)
        flash(DONE, result.message)
        bump(FORM)
        st.rerun()


run_page(main)
