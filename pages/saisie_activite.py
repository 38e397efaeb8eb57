"""Saisie · Activité d'un équipement: for one facility and year, places, hours delivered and
billed, FTE. The bonus territoire of `par_place`, `par_heure` and `par_etp` rates is computed
from these figures.

The facility chosen is in the URL (`?equipement=CODE`).
"""

import pandas as pd
import streamlit as st

from ctg_data import formats as fmt
from ctg_data.actors import Actor
from ctg_data.queries import referentials
from ctg_data.services.activity import (
    activity_for_edit,
    activity_frame,
    facilities_frame,
    upsert_activity,
    writable_facility_ids,
)
from ctg_data.ui.data import cached_query, engine
from ctg_data.ui.forms import EditCycle, confirm_input, editable, links_beside_history, override_input, versioned
from ctg_data.ui.page import YEAR, ConventionContext, page
from ctg_data.ui.selection import editable_record
from ctg_data.validation import Field

load_facilities = cached_query(facilities_frame)
load_activity = cached_query(activity_frame)
load_writable = cached_query(writable_facility_ids)
load_facility_types = cached_query(referentials.facility_types)

PARAM = "equipement"
CYCLE = EditCycle("saisie_activite")


def _form(actor: Actor, facility: pd.Series, year: int, snapshot: dict | None) -> None:
    facility_id = int(facility["id"])
    key = CYCLE.key(facility_id, year)
    current = snapshot or {}
    if snapshot is None:
        st.caption(f"Aucune activité enregistrée pour {year} : l'enregistrement la créera.")
    with st.form(key):
        columns = st.columns(4)
        places = columns[0].text_input(Field.PLACES, value=editable(current.get("places")), key=f"{key}_places")
        delivered = columns[1].text_input(
            Field.HOURS_DELIVERED,
            value=editable(current.get("hours_delivered")),
            key=f"{key}_delivered",
            placeholder="ex. 40 420",
        )
        billed = columns[2].text_input(
            Field.HOURS_BILLED, value=editable(current.get("hours_billed")), key=f"{key}_billed"
        )
        fte = columns[3].text_input(
            Field.FTE, value=editable(current.get("fte")), key=f"{key}_fte", placeholder="ex. 1,5"
        )
        override = override_input(key, "seulement pour une année hors de la convention")
        confirmed = confirm_input(key)
        submitted = st.form_submit_button("Enregistrer l'activité", type="primary")
    if submitted:
        CYCLE.save(
            lambda: upsert_activity(
                engine(),
                actor,
                facility_id=facility_id,
                year=year,
                places=places,
                hours_delivered=delivered,
                hours_billed=billed,
                fte=fte,
                **versioned(snapshot),
                override_reason=override,
                confirmed=confirmed,
            ),
            table="facility_activity",
            record=(facility_id, year),
            load=lambda: activity_for_edit(engine(), facility_id, year),
            outcome=lambda result: f"{result.message} ({facility['code']}, {year})",
        )


def _years(facility_id: int) -> None:
    rows = load_activity(facility_id)
    if rows.empty:
        return
    st.markdown("#### Activité enregistrée")
    st.dataframe(
        pd.DataFrame(
            {
                "Année": rows["year"].astype(str),
                "Places": [fmt.number(v) for v in rows["places"]],
                "Heures réalisées": [fmt.number(v) for v in rows["hours_delivered"]],
                "Heures facturées": [fmt.number(v) for v in rows["hours_billed"]],
                "ETP": [fmt.number(v, 2) for v in rows["fte"]],
            }
        ),
        hide_index=True,
        alt="Activité de l'équipement par année",
    )


@page("Activité d'un équipement", filters=(YEAR,))
def render(context: ConventionContext) -> None:
    CYCLE.outcome()
    facilities = load_facilities(context.convention_id)
    types = load_facility_types()
    facility = editable_record(
        "Équipement",
        facilities,
        PARAM,
        writable=load_writable(context.actor, context.convention_id),
        nothing=(
            "Aucun équipement de cette convention ne vous est ouvert en saisie : seul son gestionnaire "
            "(ou un conseiller CAF) peut en saisir l'activité."
        ),
        labels=lambda rows: {
            row.code: f"{row.code} — {row.name} ({referentials.label_of(types, row.type)}, {row.manager})"
            for row in rows.itertuples()
        },
        key="saisie_activite_choix",
        placeholder="Rechercher un équipement (code ou nom)…",
    )
    if facility is None:
        return
    years = [context.years[0] - 1, *context.years]  # the year before: the reference, by derogation
    default = context.filters.year or min(max(context.today.year, years[0]), years[-1])
    year = st.selectbox(
        Field.YEAR,
        years,
        index=years.index(default),
        key="saisie_activite_annee",
        placeholder="Choisir une année",
        help="L'année précédant la convention (référence) demande un motif de dérogation.",
    )
    facility_id = int(facility["id"])
    snapshot = CYCLE.snapshot((facility_id, year), lambda: activity_for_edit(engine(), facility_id, year))
    _form(context.actor, facility, year, snapshot)
    _years(facility_id)
    links_beside_history(
        "pages/bonus_territoire.py", "Voir le bonus territoire", ":material/child_care:", "equipement", facility["code"]
    )
