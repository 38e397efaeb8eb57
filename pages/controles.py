"""Contrôles des données: rows per table and the integrity rules the data breaks (as `ctg check`)."""

import pandas as pd
import streamlit as st

from ctg_data.reports.integrity import integrity_report
from ctg_data.ui.data import cached_query
from ctg_data.ui.page import PageContext, general_page

integrity = cached_query(integrity_report)


@general_page("Contrôles des données")
def render(context: PageContext) -> None:
    counts, found = integrity()
    if found:
        st.warning(f"{len(found)} règle(s) enfreinte(s).")
        st.dataframe(pd.DataFrame(found, columns=["Règle", "Enregistrement"]), hide_index=True)
    else:
        st.success("Aucune règle d'intégrité enfreinte.")
    st.dataframe(pd.DataFrame(list(counts.items()), columns=["Table", "Lignes"]), hide_index=True)
