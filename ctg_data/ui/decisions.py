"""Decisions of the comités as other pages show them: « Décisions en retard », the open
decisions of a convention's meetings past their due date (for the overview: one call)."""

import pandas as pd
import streamlit as st

from ctg_data.queries.meetings import overdue_decisions
from ctg_data.ui.data import cached_query
from ctg_data.ui.forms import link
from ctg_data.ui.page import ConventionContext

load_overdue = cached_query(overdue_decisions)
TITLE = "Décisions en retard"


def late_decisions_table(late: pd.DataFrame) -> pd.DataFrame:
    """The decisions past due as a person reads them (user text stays data, never Markdown)."""
    return pd.DataFrame(
        {
            "Décision": late["text"],
            "Réunion": late["meeting"],
            "Responsable": late["owner"].fillna("—"),
            "Échéance": late["due_on"],
            "Jours de retard": late["days_late"],
        }
    )


def late_decisions(context: ConventionContext) -> None:
    """« Décisions en retard » of the convention (a partner: those concerning its organisation),
    most overdue first, with the way to the Comités page."""
    late = load_overdue(context.convention_id, context.today, context.actor)
    st.subheader(TITLE)
    if late.empty:
        st.caption("Aucune décision en retard.")
    else:
        st.dataframe(
            late_decisions_table(late),
            hide_index=True,
            alt=TITLE,
            column_config={"Échéance": st.column_config.DateColumn("Échéance", format="DD/MM/YYYY")},
        )
    link("pages/comites.py", "Voir les comités et leurs décisions", icon=":material/groups:")
