"""Saisie · Suivi d'une action: status, avancement and a dated note; a change of dates with
its reason. A save made by someone else since the form opened is refused with what they
changed, and the person's input is kept.

The action chosen is in the URL (`?action=CODE`).
"""

from collections.abc import Callable

import pandas as pd
import streamlit as st

from ctg_data import formats as fmt
from ctg_data.queries.actions import action_fiche, actions_frame
from ctg_data.queries.filters import Filters
from ctg_data.services.actions import action_for_edit, change_dates, update_followup, writable_action_ids
from ctg_data.ui.data import cached_query, engine
from ctg_data.ui.forms import EditCycle, editable, history_link, link, override_input, versioned
from ctg_data.ui.page import ConventionContext, page
from ctg_data.ui.selection import coded_labels, editable_record
from ctg_data.ui.text import escape_markdown
from ctg_data.validation import Field
from ctg_data.vocabulary import ActionStatus

load_actions = cached_query(actions_frame)
load_fiche = cached_query(action_fiche)
load_writable = cached_query(writable_action_ids)

PARAM = "action"
CYCLE = EditCycle("saisie_action")


def _state(action: pd.Series) -> None:
    progress = fmt.DASH if fmt.missing(action["progress"]) else fmt.percent(int(action["progress"]) / 100)
    late = " · **en retard**" if action["late"] else ""
    st.markdown(
        f"**Statut** : {escape_markdown(action['status_label'])} · **Avancement** : {progress} · "
        f"**Début** : {fmt.short_date(action['starts_on'])} · "
        f"**Échéance** : {fmt.short_date(action['ends_on'])}{late}"
    )
    pilots = escape_markdown(", ".join(action["pilots"]))
    st.markdown(f"**Pilote{'s' if len(action['pilots']) > 1 else ''}** (le premier mène l'action) : {pilots}")
    link("pages/actions.py", "Voir la fiche de l'action", {"action": action["code"]}, icon=":material/checklist:")


def _followup_form(context: ConventionContext, action: pd.Series, snapshot: dict) -> None:
    statuses = list(ActionStatus.labels())
    key = CYCLE.key(int(action["id"]))
    with st.form(f"{key}_suivi"):
        st.markdown("#### Suivi")
        left, right = st.columns(2)
        status = left.selectbox(
            Field.STATUS,
            statuses,
            index=statuses.index(ActionStatus(snapshot["status"])),
            format_func=ActionStatus.label_of,
            placeholder="Choisir un statut",
            key=f"{key}_status",
        )
        # A text field, not a bounded number_input: that one clamps or rounds what is typed with
        # at most an English tooltip; the validation refuses 150 or 33,7 in French instead.
        progress = right.text_input(
            f"{Field.PROGRESS} (%)",
            value=editable(snapshot["progress"]),
            placeholder="non renseigné",
            help="Un nombre entier de 0 à 100.",
            key=f"{key}_progress",
        )
        noted_on = left.date_input(Field.NOTE_DATE, value=context.today, format="DD/MM/YYYY", key=f"{key}_noted_on")
        note = st.text_area(
            f"{Field.NOTE} (facultative)",
            height=90,
            key=f"{key}_note",
            placeholder="Ce qui s'est passé, ce qui bloque, la prochaine étape…",
        )
        override = override_input(key, "seulement pour une note datée hors de la convention")
        submitted = st.form_submit_button("Enregistrer le suivi", type="primary")
    if submitted:
        _save(
            context,
            action,
            snapshot,
            update_followup,
            status=status,
            progress=progress,
            note=note,
            noted_on=noted_on,
            override_reason=override,
        )


def _dates_form(context: ConventionContext, action: pd.Series, snapshot: dict) -> None:
    key = CYCLE.key(int(action["id"]))
    card = context.card
    starts = None if snapshot["starts_on"] is None else pd.Timestamp(snapshot["starts_on"]).date()
    ends = None if snapshot["ends_on"] is None else pd.Timestamp(snapshot["ends_on"]).date()
    with st.form(f"{key}_dates"):
        st.markdown("#### Changer les dates")
        st.caption(
            f"Convention du {fmt.short_date(card['starts_on'])} au {fmt.short_date(card['ends_on'])}. "
            "Le motif est obligatoire : il est gardé dans l'historique et ajouté au suivi de l'action."
        )
        left, right = st.columns(2)
        starts_on = left.date_input(Field.STARTS_ON, value=starts, format="DD/MM/YYYY", key=f"{key}_starts")
        ends_on = right.date_input(Field.ENDS_ON, value=ends, format="DD/MM/YYYY", key=f"{key}_ends")
        reason = st.text_input(Field.REASON, key=f"{key}_reason", placeholder="ex. retard du chantier")
        outside = st.checkbox("Dates hors de la convention (justifiées par le motif)", key=f"{key}_outside")
        submitted = st.form_submit_button("Modifier les dates")
    if submitted:
        _save(
            context,
            action,
            snapshot,
            change_dates,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=reason,
            outside_convention=outside,
        )


def _save(
    context: ConventionContext, action: pd.Series, snapshot: dict, write: Callable[..., object], **fields: object
) -> None:
    """Both forms save the action as it was opened, through the same cycle."""
    action_id = int(action["id"])
    CYCLE.save(
        lambda: write(engine(), context.actor, action_id=action_id, **versioned(snapshot), **fields),
        table="actions",
        record=action_id,
        load=lambda: action_for_edit(engine(), action_id),
    )


def _notes(action_id: int) -> None:
    fiche = load_fiche(action_id)
    notes = fiche["notes"] if fiche else pd.DataFrame()
    st.markdown("#### Notes de suivi")
    if notes.empty:
        st.caption("Aucune note de suivi.")
        return
    st.dataframe(
        pd.DataFrame(
            {"Date": list(notes["noted_on"]), "Note": list(notes["text"]), "Auteur": list(notes["author"].fillna(""))}
        ),
        hide_index=True,
        alt="Notes de suivi de l'action",
        column_config={"Date": st.column_config.DateColumn("Date", format="DD/MM/YYYY")},
    )


@page("Suivi d'une action", filters=())
def render(context: ConventionContext) -> None:
    CYCLE.outcome()
    actions = load_actions(Filters(convention_id=context.convention_id), context.today)
    action = editable_record(
        "Action",
        actions,
        PARAM,
        writable=load_writable(context.actor, context.convention_id),
        nothing=(
            "Aucune action de cette convention ne vous est ouverte en saisie : seuls ses pilotes (pilote et "
            "copilotes) et ses partenaires (ou un conseiller CAF) peuvent en saisir le suivi."
        ),
        labels=lambda rows: coded_labels(rows, "title"),
        key="saisie_action_choix",
        placeholder="Rechercher une action (code ou intitulé)…",
    )
    if action is None:
        return
    action_id = int(action["id"])
    snapshot = CYCLE.open(action_id, lambda: action_for_edit(engine(), action_id), "Cette action n'existe plus.")
    if snapshot is None:
        return
    _state(action)
    _followup_form(context, action, snapshot)
    _dates_form(context, action, snapshot)
    _notes(action_id)
    history_link("action", action["code"])
