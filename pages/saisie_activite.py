"""Saisie · Activité d'un équipement: for one facility and year, places, hours delivered and
billed, FTE. The bonus territoire of `par_place`, `par_heure` and `par_etp` rates is computed
from these figures.

The facility chosen is in the URL (`?equipement=CODE`).
"""

import pandas as pd
import streamlit as st

from ctg_data import formats as fmt
from ctg_data.actors import Actor
from ctg_data.queries.filters import today
from ctg_data.services.activity import (
    activity_for_edit,
    activity_frame,
    facilities_frame,
    upsert_activity,
    writable_facility_ids,
)
from ctg_data.ui.data import cached_query, engine
from ctg_data.ui.forms import attempt, bump, counter, editable, flash, history_link, link, opened, reopen
from ctg_data.ui.page import run_page, start
from ctg_data.ui.text import escape_markdown
from ctg_data.validation import Field
from ctg_data.vocabulary import FACILITY_TYPE_LABELS, FacilityType

load_facilities = cached_query(facilities_frame)
load_activity = cached_query(activity_frame)
load_writable = cached_query(writable_facility_ids)

PARAM = "equipement"
OPENED = "saisie_activite_opened"
FORM = "saisie_activite_form"
DONE = "saisie_activite_done"
NONE_OPEN = ("Aucun équipement de cette convention ne vous est ouvert en saisie : seul son gestionnaire "
             "(ou un conseiller CAF) peut en saisir l'activité.")


def main() -> None:
    context = start("Activité d'un équipement")
    filters, card = context.filters, context.card
    facilities = load_facilities(filters.convention_id)
    writable = load_writable(context.actor, filters.convention_id)
    done = st.session_state.pop(DONE, None)
    if done:
        st.success(escape_markdown(done), icon=":material/check_circle:")
    choices = facilities[facilities["id"].isin(writable)]
    if choices.empty:
        st.info(NONE_OPEN)
        return
    facility = _choose(choices)
    if facility is None:
        return
    years = list(range(card["starts_on"].year - 1, card["ends_on"].year + 1))
    default = filters.year or min(max(today().year, years[0]), years[-1])
    year = st.selectbox(Field.YEAR, years, index=years.index(default), key="saisie_activite_annee",
                        help="L'année précédant la convention (référence) demande un motif de dérogation.")
    facility_id = int(facility["id"])
    snapshot = opened(OPENED, (facility_id, year), lambda: activity_for_edit(engine(), facility_id, year))
    _form(context.actor, facility, year, snapshot)
    _years(facility_id)
    columns = st.columns(2)
    with columns[0]:
        link("pages/bonus_territoire.py", "Voir le bonus territoire", icon=":material/child_care:")
    with columns[1]:
        history_link("equipement", facility["code"])


def _choose(choices: pd.DataFrame):
    codes = list(choices["code"])
    labels = {row.code: f"{row.code} — {row.name} ({FACILITY_TYPE_LABELS.get(FacilityType(row.type), row.type)}, "
                        f"{row.manager})" for row in choices.itertuples()}
    wanted = st.query_params.get(PARAM)
    code = st.selectbox("Équipement", codes, index=codes.index(wanted) if wanted in codes else None,
                        format_func=labels.get, key="saisie_activite_choix",
                        placeholder="Rechercher un équipement (code ou nom)…")
    if code is None:
        st.query_params.pop(PARAM, None)
        return None
    st.query_params[PARAM] = code
    return choices[choices["code"] == code].iloc[0]


def _form(actor: Actor, facility: pd.Series, year: int, snapshot: dict | None) -> None:
    facility_id = int(facility["id"])
    n = counter(FORM)
    key = f"{FORM}_{facility_id}_{year}_{n}"
    current = snapshot or {}
    if snapshot is None:
        st.caption(f"Aucune activité enregistrée pour {year} : l'enregistrement la créera.")
    with st.form(key):
        columns = st.columns(4)
        places = columns[0].text_input(Field.PLACES, value=editable(current.get("places")), key=f"{key}_places")
        delivered = columns[1].text_input(Field.HOURS_DELIVERED, value=editable(current.get("hours_delivered")),
                                          key=f"{key}_delivered", placeholder="ex. 40 420")
        billed = columns[2].text_input(Field.HOURS_BILLED, value=editable(current.get("hours_billed")),
                                       key=f"{key}_billed")
        fte = columns[3].text_input(Field.FTE, value=editable(current.get("fte")), key=f"{key}_fte",
                                    placeholder="ex. 1,5")
        override = st.text_input(f"{Field.OVERRIDE} (seulement pour une année hors de la convention)",
                                 key=f"{key}_override")
        submitted = st.form_submit_button("Enregistrer l'activité", type="primary")
    if not submitted:
        return

    def refresh() -> None:
        reopen(OPENED, (facility_id, year), activity_for_edit(engine(), facility_id, year))

    result = attempt(lambda: upsert_activity(
        engine(), actor, facility_id=facility_id, year=year, places=places, hours_delivered=delivered,
        hours_billed=billed, fte=fte, expected_version=None if snapshot is None else snapshot["version"],
        opened=snapshot, override_reason=override), table="facility_activity", on_conflict=refresh)
    if result is not None:
        reopen(OPENED, (facility_id, year), result.opened)
        flash(DONE, f"{result.message} ({facility['code']}, {year})")
        bump(FORM)
        st.rerun()


def _years(facility_id: int) -> None:
    rows = load_activity(facility_id)
    if rows.empty:
        return
    st.markdown("#### Activité enregistrée")
    st.dataframe(pd.DataFrame({
        "Année": rows["year"].astype(str),
        "Places": [fmt.number(v) for v in rows["places"]],
        "Heures réalisées": [fmt.number(v) for v in rows["hours_delivered"]],
        "Heures facturées": [fmt.number(v) for v in rows["hours_billed"]],
        "ETP": [fmt.number(v, 2) for v in rows["fte"]],
    }), hide_index=True, alt="Activité de l'équipement par année")


run_page(main)
