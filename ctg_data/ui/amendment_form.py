"""« Avenants »: a convention's avenants, shown on its overview and in the Référentiels page,
where those who may amend it (ctg_data.permissions.require_write_amendment) add one — its number
(the next one proposed), date of signature, object and, when it moves it, the new end date."""

from typing import Any

import pandas as pd
import streamlit as st

from ctg_data import formats as fmt
from ctg_data.services.amendments import Label, add_amendment, may_add_amendment, next_number
from ctg_data.ui.data import engine
from ctg_data.ui.forms import EditCycle, date_field
from ctg_data.ui.page import ConventionContext

COLUMNS = {"number": "N°", "signed_on": "Signé le", "subject": "Objet", "ends_on": "Nouvelle fin"}


def amendments_table(card: dict[str, Any]) -> None:
    """The avenants of the convention (none: said in a caption). Plain cells: user text is never
    rendered as Markdown."""
    amendments = card.get("amendments") or []
    if not amendments:
        st.caption("Aucun avenant : la convention court toujours aux dates signées.")
        return
    frame = pd.DataFrame(amendments, columns=list(COLUMNS))
    st.dataframe(
        frame.assign(
            number=frame["number"].map(fmt.format_number),
            signed_on=frame["signed_on"].map(fmt.short_date),
            ends_on=frame["ends_on"].map(lambda end: fmt.short_date(end) if end else "inchangée"),
        ),
        column_config=COLUMNS,
        hide_index=True,
        width="stretch",
    )


def amendments_summary(card: dict[str, Any]) -> None:
    """The overview's short « Avenants » list, shown only when the convention has some."""
    if card.get("amendments"):
        st.subheader("Avenants")
        amendments_table(card)


def amendment_editor(context: ConventionContext) -> None:
    """The Référentiels tab: the list, then the form for whoever may add an avenant."""
    cycle = EditCycle("avenant")
    cycle.outcome()
    amendments_table(context.card)
    convention_id = context.convention_id
    if not may_add_amendment(engine(), context.actor, convention_id):
        st.caption("Seuls les administrateurs ajoutent un avenant.")
        return
    st.markdown("**Nouvel avenant**")
    with st.form(cycle.key("form", convention_id)):
        left, right = st.columns(2)
        number = left.number_input(
            Label.NUMBER, min_value=1, step=1, value=next_number(engine(), convention_id), key=cycle.key("number")
        )
        signed_on = date_field(Label.SIGNED_ON, value=None, key=cycle.key("signed_on"), where=right)
        subject = st.text_area(Label.SUBJECT, key=cycle.key("subject"))
        ends_on = date_field(
            f"{Label.ENDS_ON} (si l'avenant la change)",
            value=None,
            key=cycle.key("ends_on"),
            help=f"Fin actuelle : {fmt.short_date(context.card['ends_on'])}.",
        )
        submitted = st.form_submit_button("Enregistrer l'avenant", type="primary", key=cycle.key("submit"))
    if submitted:
        cycle.save(
            lambda: add_amendment(
                engine(),
                context.actor,
                convention_id=convention_id,
                number=number,
                signed_on=signed_on,
                subject=subject,
                ends_on=ends_on,
            )
        )
