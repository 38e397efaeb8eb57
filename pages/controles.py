"""Contrôles des données: rows per table and the integrity rules the data breaks (as `ctg check`)."""

import pandas as pd
import streamlit as st

from ctg_data.queries.history import table_name
from ctg_data.reports.integrity import integrity_report
from ctg_data.ui.data import cached_query
from ctg_data.ui.page import PageContext, general_page

integrity = cached_query(integrity_report)


@general_page("Contrôles des données")
def render(context: PageContext) -> None:
    counts, broken, warnings = integrity()
    if broken:
        st.error(f"{len(broken)} règle(s) enfreinte(s).")
        st.dataframe(pd.DataFrame(broken, columns=["Règle", "Enregistrement"]), hide_index=True)
    else:
        st.success("Aucune règle d'intégrité enfreinte.")
    if warnings:
        st.warning(
            f"{len(warnings)} point(s) à vérifier, sans erreur (par exemple un équipement hors du "
            "périmètre de sa convention, ce qu'un syndicat intercommunal peut faire)."
        )
        st.dataframe(pd.DataFrame(warnings, columns=["Avertissement", "Enregistrement"]), hide_index=True)
    st.dataframe(
        pd.DataFrame([(table_name(table), rows) for table, rows in counts.items()], columns=["Contenu", "Lignes"]),
        hide_index=True,
    )
