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
from ctg_data.ui.forms import EditCycle, editable, links_beside_history, override_input, versioned
from ctg_data.ui.page import YEAR, ConventionContext, page
from ctg_data.ui.selection import editable_record
from ctg_data.validation import Field

load_lines = cached_query(funding_lines_frame)
load_may_write = cached_query(may_write_funding)

PARAM = "ligne"
CYCLE = EditCycle("saisie_financement")
NOT_OPEN = "Votre rôle ne permet pas de modifier les financements : seuls les conseillers CAF le peuvent."


def describe(row) -> str:
    linked = next((str(v) for v in (row.facility, row.action, row.post) if isinstance(v, str)), "")
    return (
        f"{row.year} · {row.lever} · {row.funder} → {row.beneficiary}"
        + (f" · {linked}" if linked else "")
        + f" (notifié {fmt.money(row.notified)})"
    )


def _form(actor: Actor, line: pd.Series, snapshot: dict) -> None:
    line_id = int(line["id"])
    key = CYCLE.key(line_id)
    with st.form(key):
        st.caption(
            "Montants en euros, deux décimales au plus (ex. 77 500 ou 54 250,50) ; laissez vide ce qui n'est pas connu."
        )
        columns = st.columns(3)
        planned = columns[0].text_input(
            f"{Field.PLANNED} (€)", value=editable(snapshot["planned"]), key=f"{key}_planned"
        )
        notified = columns[1].text_input(
            f"{Field.NOTIFIED} (€)", value=editable(snapshot["notified"]), key=f"{key}_notified"
        )
        paid = columns[2].text_input(f"{Field.PAID} (€)", value=editable(snapshot["paid"]), key=f"{key}_paid")
        comment = st.text_area(Field.COMMENT, value=snapshot["comment"] or "", height=68, key=f"{key}_comment")
        override = override_input(key, "seulement si le versé dépasse le notifié")
        submitted = st.form_submit_button("Enregistrer les montants", type="primary")
    if submitted:
        CYCLE.save(
            lambda: update_funding(
                engine(),
                actor,
                funding_line_id=line_id,
                **versioned(snapshot),
                planned=planned,
                notified=notified,
                paid=paid,
                comment=comment,
                override_reason=override,
            ),
            table="funding_lines",
            record=line_id,
            load=lambda: funding_for_edit(engine(), line_id),
        )


@page("Financement", filters=(YEAR,))
def render(context: ConventionContext) -> None:
    if not load_may_write(context.actor, context.convention_id):
        st.info(NOT_OPEN)
        return
    CYCLE.outcome()
    lines = load_lines(context.convention_id)
    if context.filters.year:
        lines = lines[lines["year"] == context.filters.year]
    line = editable_record(
        "Ligne de financement",
        lines,
        PARAM,
        nothing="Aucune ligne de financement pour ces filtres.",
        labels=lambda rows: {int(row.id): describe(row) for row in rows.itertuples()},
        column="id",
        key="saisie_financement_choix",
        relabel=True,
        placeholder="Rechercher une ligne (année, levier, financeur, bénéficiaire)…",
    )
    if line is None:
        return
    line_id = int(line["id"])
    snapshot = CYCLE.open(
        line_id, lambda: funding_for_edit(engine(), line_id), "Cette ligne de financement n'existe plus."
    )
    if snapshot is None:
        return
    _form(context.actor, line, snapshot)
    links_beside_history(
        "pages/leviers.py", "Voir les financements par levier", ":material/euro:", "financement", str(line_id)
    )
