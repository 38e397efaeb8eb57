"""Saisie · Saisie groupée: for one period, a grid of every indicator the person follows, to fill
many values at once. "Vérifier" checks each row and shows the valid and the rejected ones with
why; only then "Enregistrer" saves the valid ones, together in one transaction (all or none).

The logic lives in ctg_data.services.measurements (grid_frame, rows_from_editor, validate_grid,
save_grid): a data_editor can't be driven by tests, the functions can.
"""

import pandas as pd
import streamlit as st

from ctg_data import formats as fmt
from ctg_data.actors import Actor
from ctg_data.queries.filters import Filters
from ctg_data.queries.indicators import indicators_frame
from ctg_data.services import measurements as svc
from ctg_data.ui.data import cached_query, engine
from ctg_data.ui.forms import EditCycle, attempt, link, override_input
from ctg_data.ui.page import DOMAIN, ConventionContext, page
from ctg_data.vocabulary import MeasurementType

load_indicators = cached_query(indicators_frame)
load_writable = cached_query(svc.writable_indicator_ids)

GRID = "saisie_groupee_grille"
FROZEN = "saisie_groupee_base"
CHECK = "saisie_groupee_verification"
CYCLE = EditCycle("saisie_groupee")
OUTCOMES = {svc.NEW: "Nouvelle valeur", svc.REPLACED: "Correction"}


def _show(check: svc.GridCheck, actor: Actor, n: int) -> None:
    if check.rejected:
        st.markdown(f"#### {fmt.number(len(check.rejected))} ligne(s) refusée(s)")
        st.dataframe(
            pd.DataFrame(
                {
                    "Code": [r.code for r in check.rejected],
                    "Valeur saisie": ["" if r.value is None else str(r.value) for r in check.rejected],
                    "Pourquoi": [" ; ".join(r.reasons) for r in check.rejected],
                }
            ),
            hide_index=True,
            alt="Lignes refusées et leurs motifs",
        )
    if check.unchanged:
        st.caption(
            f"{fmt.number(len(check.unchanged))} valeur(s) identique(s) à celles déjà enregistrées : "
            "rien ne changera pour elles."
        )
    if not check.valid:
        st.warning("Aucune valeur valide à enregistrer.")
        return
    st.markdown(f"#### {fmt.number(len(check.valid))} valeur(s) valide(s)")
    st.dataframe(
        pd.DataFrame(
            {
                "Code": [e.code for e in check.valid],
                "Valeur": [e.shown for e in check.valid],
                "Opération": [
                    OUTCOMES[e.outcome] + ("" if e.previous_value is None else f" (remplace {e.shown_previous})")
                    for e in check.valid
                ],
            }
        ),
        hide_index=True,
        alt="Valeurs valides à enregistrer",
    )
    if check.rejected:
        st.caption(
            "Les lignes refusées ne seront pas enregistrées ; corrigez-les dans la grille puis vérifiez "
            "à nouveau, ou enregistrez seulement les valeurs valides."
        )
    label = (
        f"Enregistrer les {len(check.valid)} valeurs valides"
        if len(check.valid) > 1
        else "Enregistrer la valeur valide"
    )
    if st.button(label, type="primary", key=f"{GRID}_enregistrer_{n}"):
        measured_on = fmt.short_date(check.valid[0].data.measured_on)
        CYCLE.save(
            lambda: svc.save_grid(engine(), actor, check.valid),
            outcome=lambda results: (
                f"{sum(1 for r in results if r.outcome != svc.SAME)} valeur(s) enregistrée(s) au {measured_on}."
            ),
            then=lambda _: st.session_state.pop(CHECK, None),
        )


@page("Saisie groupée", filters=(DOMAIN,))
def render(context: ConventionContext) -> None:
    filters = context.filters
    indicators = load_indicators(
        Filters(convention_id=filters.convention_id, domain_code=filters.domain_code), context.today
    )
    writable = load_writable(context.actor, filters.convention_id)
    if CYCLE.outcome():
        link("pages/indicateurs.py", "Voir les indicateurs", icon=":material/monitoring:")
    n = CYCLE.generation
    # The grid's rows are frozen until the next save: a save by someone else must not reset
    # what the person is typing (a data_editor restarts when its data changes).
    frozen = st.session_state.get(FROZEN)
    if frozen is None or frozen[0] != (n, filters.convention_id, filters.domain_code):
        frozen = ((n, filters.convention_id, filters.domain_code), svc.grid_frame(indicators, writable))
        st.session_state[FROZEN] = frozen
    base = frozen[1]
    if base.empty:
        st.info("Aucun indicateur ne vous est ouvert en saisie pour ces filtres.")
        return

    columns = st.columns([1, 1, 2])
    measured_on = columns[0].date_input(
        "Date des valeurs (fin de période)", value=context.today, format="DD/MM/YYYY", key=f"{GRID}_date"
    )
    kind = columns[1].selectbox(
        "Type",
        list(MeasurementType.labels()),
        key=f"{GRID}_type",
        format_func=MeasurementType.label_of,
        placeholder="Choisir un type",
    )
    override = override_input(GRID, "date hors de la convention", where=columns[2])
    confirmed = st.checkbox(
        "Je confirme les valeurs signalées",
        key=f"{GRID}_confirm",
        help="Seulement pour des valeurs au moins 10 fois plus grandes, ou 10 fois plus petites, que la précédente, "
        "après les avoir vérifiées : la confirmation est gardée dans l'historique.",
    )
    st.caption(
        f"{fmt.number(len(base))} indicateur(s). Remplissez la colonne « Nouvelle valeur » (ex. 12,5, ou le "
        "code de l'étape pour un indicateur à étapes) ; les lignes laissées vides ne sont pas touchées. Les "
        "valeurs saisies ici sont celles de l'ensemble de la convention."
    )
    edited = st.data_editor(
        base,
        key=f"{GRID}_{n}",
        hide_index=True,
        width="stretch",
        disabled=[svc.CODE, svc.NAME, svc.UNIT, svc.LAST],
        column_config={
            svc.NEW_VALUE: st.column_config.TextColumn(
                svc.NEW_VALUE, help="Nombre : 12,5 ou 1 234 ; indicateur à étapes : le code d'une de ses étapes"
            ),
            svc.NAME: st.column_config.TextColumn(svc.NAME, width="medium"),
            svc.SOURCE: st.column_config.TextColumn(svc.SOURCE, max_chars=300),
        },
    )
    rows = svc.rows_from_editor(edited)
    # The check holds for this grid, these values, until the next save (a new generation).
    signature = (n, tuple(rows), measured_on, str(kind), override, confirmed)
    if st.button("Vérifier", key=f"{GRID}_verifier", disabled=not rows):
        check = attempt(
            lambda: svc.validate_grid(
                engine(),
                context.actor,
                convention_id=filters.convention_id,
                measured_on=measured_on,
                rows=rows,
                type=kind,
                override_reason=override,
                confirmed=confirmed,
            )
        )
        st.session_state[CHECK] = (signature, check) if check is not None else None
    if not rows:
        st.caption("Aucune valeur saisie pour l'instant.")
    held = st.session_state.get(CHECK)
    if held is None:
        return
    if held[0] != signature:
        st.info("La grille a changé depuis la vérification : vérifiez à nouveau.")
        return
    _show(held[1], context.actor, n)
