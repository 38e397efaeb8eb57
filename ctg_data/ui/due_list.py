"""« À saisir » on the home page: for a partner, what its organisation has to enter in this
convention, each item one click from its form; for an advisor or an administrator, how much each
organisation has to enter. Readers (the steering committee) enter nothing: nothing is shown.
Open decisions are not listed yet: there is no decisions model (issue 14)."""

import pandas as pd
import streamlit as st

from ctg_data import formats as fmt
from ctg_data.actors import Actor, Role
from ctg_data.permissions import ADVISORS
from ctg_data.queries import due as q
from ctg_data.queries.filters import today
from ctg_data.reports.funding import year_clock
from ctg_data.ui.data import cached_query
from ctg_data.ui.text import escape_markdown

due_items = cached_query(q.due_items)
TITLE = "À saisir"
SHOWN = 8  # items listed at once; the rest in an expander, so that the home page stays short


def render_due(actor: Actor, convention_id: int) -> None:
    """The « À saisir » block of `actor` in the convention `convention_id` (which it sees)."""
    if actor.role == Role.PARTENAIRE and actor.organisation_id is not None:
        _organisation_items(actor.organisation_id, convention_id)
    elif actor.role in ADVISORS:
        _counts(convention_id)


ICONS = {
    q.DueKind.MESURE: ":material/monitoring:",
    q.DueKind.ACTIVITE: ":material/domain:",
    q.DueKind.DECISION: ":material/groups:",
}


def _organisation_items(organisation_id: int, convention_id: int) -> None:
    found = due_items(year_clock(today()), convention_id=convention_id, organisation_id=organisation_id)
    items = [item for due in found for item in due.items]
    st.subheader(f"{TITLE} ({fmt.number(len(items))})")
    if not items:
        st.caption("Rien à saisir pour votre organisation dans cette convention.")
        return
    for item in items[:SHOWN]:
        _link(item)
    if len(items) > SHOWN:
        with st.expander(f"Voir les {len(items) - SHOWN} autres"):
            for item in items[SHOWN:]:
                _link(item)


def _link(item: q.DueItem) -> None:
    icon = ICONS[item.kind]
    st.page_link(f"pages/{item.page}.py", label=escape_markdown(item.description), query_params=item.params, icon=icon)


def _counts(convention_id: int) -> None:
    found = due_items(year_clock(today()), convention_id=convention_id)
    total = sum(len(due.items) for due in found)
    st.subheader(f"{TITLE} par les partenaires ({fmt.number(total)})")
    if not found:
        st.caption("Aucun partenaire n'a de saisie en attente dans cette convention.")
        return
    table = pd.DataFrame(
        [
            {
                "organisation": due.name,
                "measurements": sum(item.kind == q.DueKind.MESURE for item in due.items),
                "activities": sum(item.kind == q.DueKind.ACTIVITE for item in due.items),
                "decisions": sum(item.kind == q.DueKind.DECISION for item in due.items),
                "total": len(due.items),
            }
            for due in found
        ]
    )
    st.dataframe(
        table,
        column_config={
            "organisation": st.column_config.TextColumn("Organisation", width="large"),
            "measurements": st.column_config.NumberColumn("Mesures attendues", format="%d"),
            "activities": st.column_config.NumberColumn("Activités à déclarer", format="%d"),
            "decisions": st.column_config.NumberColumn("Décisions à mener", format="%d"),
            "total": st.column_config.NumberColumn("Total", format="%d"),
        },
        hide_index=True,
        width="stretch",
    )
