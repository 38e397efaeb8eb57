"""The intermediate targets of one indicator on its page: the list, and for those who may edit
the plan a form to add one, change or remove one (ctg_data.services.targets). A step indicator's
target is picked among its steps; a number is typed as text (« 12,5 »)."""

from collections.abc import Sequence
from datetime import date

import pandas as pd
import streamlit as st

from ctg_data import formats as fmt
from ctg_data.actors import Actor
from ctg_data.permissions import Capability, can
from ctg_data.queries.indicators import targets_frame
from ctg_data.rules.indicators import shown_value, step_code, step_label
from ctg_data.services import targets as svc
from ctg_data.ui.data import cached_query, engine
from ctg_data.ui.forms import EditCycle

load_targets = cached_query(targets_frame)

CYCLE = EditCycle("cibles_intermediaires")
NEW = 0  # the selector's « Nouvelle cible » (ids start at 1)
HELP = (
    "Une cible intermédiaire est une valeur datée par laquelle passe la trajectoire attendue, entre la date "
    "de référence et la date cible (exclues)."
)


def target_section(indicator: pd.Series, actor: Actor) -> None:
    """The targets of `indicator` (a row of queries.indicators.indicators_frame)."""
    steps = indicator["steps"] if isinstance(indicator["steps"], tuple) else None
    targets = load_targets(int(indicator["id"]))
    st.markdown("#### Cibles intermédiaires")
    CYCLE.outcome()
    if targets.empty:
        st.caption("Aucune cible intermédiaire : la trajectoire attendue va droit de la référence à la cible.")
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    "Date": list(targets["target_on"]),
                    "Valeur visée": [shown_value(v, steps) for v in targets["value"]],
                }
            ),
            hide_index=True,
            alt="Cibles intermédiaires de l'indicateur",
            column_config={"Date": st.column_config.DateColumn("Date", format="DD/MM/YYYY")},
        )
    if not can(actor, Capability.WRITE_PLAN):
        return
    with st.expander("Ajouter, modifier ou supprimer une cible intermédiaire"):
        st.caption(HELP)
        _editor(indicator, targets, steps, actor)


def _editor(indicator: pd.Series, targets: pd.DataFrame, steps: Sequence[str] | None, actor: Actor) -> None:
    rows = {int(r.id): r for r in targets.itertuples()}
    labels = {NEW: "+ Nouvelle cible intermédiaire"} | {
        i: f"{fmt.short_date(r.target_on)} — {shown_value(r.value, steps)}" for i, r in rows.items()
    }
    chosen: int = st.selectbox(
        "Cible", list(labels), format_func=lambda i: labels[i], key=f"cibles_choix_{indicator['code']}"
    )
    current = rows.get(chosen)
    key = CYCLE.key(indicator["code"], chosen)
    with st.form(key):
        left, right = st.columns(2)
        on = left.date_input(
            "Date *",
            value=current.target_on if current is not None else None,
            format="DD/MM/YYYY",
            min_value=date(1990, 1, 1),
            max_value=date(2100, 12, 31),
            key=f"{key}_date",
        )
        value = _value_input(right, current.value if current is not None else None, steps, key)
        submitted = st.form_submit_button("Ajouter la cible" if current is None else "Enregistrer", type="primary")
        removed = current is not None and st.form_submit_button("Supprimer cette cible")
    indicator_id = int(indicator["id"])
    if submitted and current is None:
        CYCLE.save(lambda: svc.add_target(engine(), actor, indicator_id=indicator_id, target_on=on, value=value))
    elif submitted and current is not None:
        CYCLE.save(
            lambda: svc.update_target(
                engine(), actor, target_id=chosen, expected_version=int(current.version), target_on=on, value=value
            )
        )
    elif removed and current is not None:
        CYCLE.save(lambda: svc.delete_target(engine(), actor, target_id=chosen, expected_version=int(current.version)))


def _value_input(place, stored: float | None, steps: Sequence[str] | None, key: str) -> str | None:
    """A step indicator's steps as choices; a number typed as text."""
    if steps:
        index = None if stored is None else list(steps).index(step_code(steps, stored))
        return place.selectbox(
            "Étape visée *", list(steps), index=index, format_func=step_label, placeholder="Choisir…", key=f"{key}_v"
        )
    typed = "" if stored is None else fmt.smart_number(stored)
    return place.text_input("Valeur visée *", value=typed, placeholder="ex. 12,5", key=f"{key}_v")
