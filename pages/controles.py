"""Contrôles des données: rows per table and the integrity rules the data breaks (as `ctg check`)."""

import pandas as pd
import streamlit as st

from ctg_data.queries.history import table_name
from ctg_data.reports.integrity import integrity_report
from ctg_data.ui.data import cached_query
from ctg_data.ui.page import PageContext, general_page
from ctg_data.ui.selection import WRAPPED_ROWS

integrity = cached_query(integrity_report)


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


@general_page("Contrôles des données")
def render(context: PageContext) -> None:
    counts, broken, warnings = integrity()
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
