"""Contrôles des données: rows per table and the integrity rules the data breaks (as `ctg check`).

The checks read every table (on a national base, over a million measurements): they run when
asked (« Lancer les contrôles »), not on every visit, and their results stay in the session
until the data changes (its version, queries.conventions.data_version)."""

import pandas as pd
import streamlit as st

from ctg_data.queries.conventions import data_version
from ctg_data.queries.history import table_name
from ctg_data.reports.integrity import integrity_report
from ctg_data.ui.data import cached_query, engine
from ctg_data.ui.page import PageContext, general_page
from ctg_data.ui.selection import WRAPPED_ROWS

integrity = cached_query(integrity_report)  # two people asking at once share one run
RESULTS = "controles_results"  # session key: (data version, the report)


def _findings(rows, what: str) -> None:
    """A rule (or warning) and the record that breaks it, side by side at 1440 px, each wrapping
    over three lines rather than cut."""
    st.dataframe(
        pd.DataFrame(rows, columns=[what, "Enregistrement"]),
        hide_index=True,
        width="stretch",
        row_height=WRAPPED_ROWS,
        column_config={
            what: st.column_config.TextColumn(what, width=540),
            "Enregistrement": st.column_config.TextColumn("Enregistrement", width=400),
        },
    )


def _kept(version: int):
    """The report run in this session on the current data, if any."""
    kept = st.session_state.get(RESULTS)
    if kept is None:
        return None
    if kept[0] != version:
        st.session_state.pop(RESULTS)
        st.info("Les données ont changé depuis les derniers contrôles : relancez-les pour un résultat à jour.")
        return None
    return kept[1]


def _show(report) -> None:
    counts, broken, warnings = report
    if broken:
        st.error(f"{len(broken)} règle(s) enfreinte(s).")
        _findings(broken, "Règle")
    else:
        st.success("Aucune règle d'intégrité enfreinte.")
    if warnings:
        st.warning(
            f"{len(warnings)} point(s) à vérifier, sans erreur (par exemple un équipement hors du "
            "périmètre de sa convention, ce qu'un syndicat intercommunal peut faire)."
        )
        _findings(warnings, "Avertissement")
    st.dataframe(
        pd.DataFrame([(table_name(table), rows) for table, rows in counts.items()], columns=["Contenu", "Lignes"]),
        hide_index=True,
    )


@general_page("Contrôles des données")
def render(context: PageContext) -> None:
    st.caption(
        "Les contrôles relisent toutes les données (chaque mesure de chaque convention) : ils se "
        "lancent à la demande, et leur résultat reste affiché tant que les données ne changent pas."
    )
    version = data_version(engine())
    report = _kept(version)
    if report is None:  # kept results are those of the current data: nothing to run again
        if not st.button("Lancer les contrôles", type="primary", icon=":material/rule:"):
            return
        with st.spinner("Contrôles en cours…"):
            report = integrity()
        st.session_state[RESULTS] = (version, report)
        st.rerun()  # redrawn without the button: the results shown are those of the current data
    _show(report)
