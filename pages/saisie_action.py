"""Saisie · Suivi d'une action: status, avancement and a dated note; a change of dates with
its reason. A save made by someone else since the form opened is refused with what they
changed, and the person's input is kept.

The action chosen is in the URL (`?action=CODE`).
"""

import pandas as pd
import streamlit as st

from ctg_data import formats as fmt
from ctg_data.actors import Actor
from ctg_data.queries.actions import action_fiche, actions_frame
from ctg_data.queries.filters import Filters, today
from ctg_data.services.actions import action_for_edit, change_dates, update_followup, writable_action_ids
from ctg_data.ui.data import cached_query, engine
from ctg_data.ui.forms import attempt, bump, counter, flash, history_link, link, opened, reopen
from ctg_data.ui.page import run_page, start
from ctg_data.ui.text import escape_markdown
from ctg_data.validation import Field
from ctg_data.vocabulary import ACTION_STATUS_LABELS, ActionStatus

load_actions = cached_query(actions_frame)
load_fiche = cached_query(action_fiche)
load_writable = cached_query(writable_action_ids)

PARAM = "action"
OPENED = "saisie_action_opened"
FORM = "saisie_action_form"
DONE = "saisie_action_done"
NONE_OPEN = ("Aucune action de cette convention ne vous est ouverte en saisie : seuls son pilote et ses "
             "partenaires (ou un conseiller CAF) peuvent en saisir le suivi.")


def main() -> None:
    context = start("Suivi d'une action")
    filters = context.filters
    actions = load_actions(Filters(convention_id=filters.convention_id), today())
    writable = load_writable(context.actor, filters.convention_id)
    done = st.session_state.pop(DONE, None)
    if done:
        st.success(escape_markdown(done), icon=":material/check_circle:")
    choices = actions[actions["id"].isin(writable)]
    if choices.empty:
        st.info(NONE_OPEN)
        return
    action = _choose(choices)
    if action is None:
        return
    action_id = int(action["id"])
    snapshot = opened(OPENED, action_id, lambda: action_for_edit(engine(), action_id))
    if snapshot is None:
        st.warning("Cette action n'existe plus.")
        return
    _state(action)
    n = counter(FORM)
    _followup_form(context.actor, action, snapshot, n)
    _dates_form(context.actor, action, snapshot, context.card, n)
    _notes(action_id)
    history_link("action", action["code"])


def _choose(choices: pd.DataFrame):
    codes = list(choices["code"])
    titles = dict(zip(choices["code"], choices["title"], strict=True))
    wanted = st.query_params.get(PARAM)
    code = st.selectbox("Action", codes, index=codes.index(wanted) if wanted in codes else None,
                        format_func=lambda c: f"{c} — {titles[c]}", key="saisie_action_choix",
                        placeholder="Rechercher une action (code ou intitulé)…")
    if code is None:
        st.query_params.pop(PARAM, None)
        return None
    st.query_params[PARAM] = code
    return choices[choices["code"] == code].iloc[0]


def _state(action: pd.Series) -> None:
    progress = "—" if pd.isna(action["progress"]) else fmt.percent(int(action["progress"]) / 100)
    late = " · **en retard**" if action["late"] else ""
    st.markdown(f"**Statut** : {escape_markdown(action['status_label'])} · **Avancement** : {progress} · "
                f"**Début** : {fmt.short_date(action['starts_on'])} · "
                f"**Échéance** : {fmt.short_date(action['ends_on'])}{late}")
    link("pages/actions.py", "Voir la fiche de l'action", {"action": action["code"]}, icon=":material/checklist:")


def _followup_form(actor: Actor, action: pd.Series, snapshot: dict, n: int) -> None:
    statuses = list(ACTION_STATUS_LABELS)
    key = f"{FORM}_{int(action['id'])}_{n}"
    with st.form(f"{key}_suivi"):
        st.markdown("#### Suivi")
        left, right = st.columns(2)
        status = left.selectbox(Field.STATUS, statuses, index=statuses.index(ActionStatus(snapshot["status"])),
                                format_func=ACTION_STATUS_LABELS.get, key=f"{key}_status")
        progress = right.number_input(f"{Field.PROGRESS} (%)", min_value=0, max_value=100, step=5,
                                      value=snapshot["progress"], placeholder="non renseigné",
                                      key=f"{key}_progress")
        noted_on = left.date_input(Field.NOTE_DATE, value=today(), format="DD/MM/YYYY", key=f"{key}_noted_on")
        note = st.text_area(f"{Field.NOTE} (facultative)", height=90, key=f"{key}_note",
                            placeholder="Ce qui s'est passé, ce qui bloque, la prochaine étape…")
        submitted = st.form_submit_button("Enregistrer le suivi", type="primary")
    if submitted:
        result = attempt(lambda: update_followup(
            engine(), actor, action_id=int(action["id"]), expected_version=snapshot["version"], opened=snapshot,
            status=status, progress=progress, note=note, noted_on=noted_on), table="actions",
            on_conflict=lambda: _refresh(int(action["id"])))
        _after(result, int(action["id"]))


def _dates_form(actor: Actor, action: pd.Series, snapshot: dict, card: dict, n: int) -> None:
    key = f"{FORM}_{int(action['id'])}_{n}"
    starts = None if snapshot["starts_on"] is None else pd.Timestamp(snapshot["starts_on"]).date()
    ends = None if snapshot["ends_on"] is None else pd.Timestamp(snapshot["ends_on"]).date()
    with st.form(f"{key}_dates"):
        st.markdown("#### Changer les dates")
        st.caption(f"Convention du {fmt.short_date(card['starts_on'])} au {fmt.short_date(card['ends_on'])}. "
                   "Le motif est obligatoire : il est gardé dans l'historique et ajouté au suivi de l'action.")
        left, right = st.columns(2)
        starts_on = left.date_input(Field.STARTS_ON, value=starts, format="DD/MM/YYYY", key=f"{key}_starts")
        ends_on = right.date_input(Field.ENDS_ON, value=ends, format="DD/MM/YYYY", key=f"{key}_ends")
        reason = st.text_input(Field.REASON, key=f"{key}_reason", placeholder="ex. retard du chantier")
        outside = st.checkbox("Dates hors de la convention (justifiées par le motif)", key=f"{key}_outside")
        submitted = st.form_submit_button("Modifier les dates")
    if submitted:
        result = attempt(lambda: change_dates(
            engine(), actor, action_id=int(action["id"]), expected_version=snapshot["version"], opened=snapshot,
            starts_on=starts_on, ends_on=ends_on, reason=reason, outside_convention=outside), table="actions",
            on_conflict=lambda: _refresh(int(action["id"])))
        _after(result, int(action["id"]))


def _refresh(action_id: int) -> None:
    reopen(OPENED, action_id, action_for_edit(engine(), action_id))


def _after(result, action_id: int) -> None:
    if result is None:
        return
    reopen(OPENED, action_id, result.opened)
    flash(DONE, result.message)
    bump(FORM)
    st.rerun()


def _notes(action_id: int) -> None:
    fiche = load_fiche(action_id)
    notes = fiche["notes"] if fiche else pd.DataFrame()
    st.markdown("#### Notes de suivi")
    if notes.empty:
        st.caption("Aucune note de suivi.")
        return
    st.dataframe(pd.DataFrame({"Date": list(notes["noted_on"]), "Note": list(notes["text"]),
                               "Auteur": list(notes["author"].fillna(""))}),
                 hide_index=True, alt="Notes de suivi de l'action",
                 column_config={"Date": st.column_config.DateColumn("Date", format="DD/MM/YYYY")})


run_page(main)
