"""Entrypoint: page config and navigation, nothing else. Each page guards and sets itself up."""

import streamlit as st

st.set_page_config(page_title="Tableau de bord CTG", page_icon="📊", layout="wide")

PAGES = {
    "Pilotage": [
        st.Page("pages/vue_ensemble.py", title="Vue d'ensemble", icon=":material/dashboard:", default=True),
        st.Page("pages/domaines.py", title="Domaines", icon=":material/category:"),
        st.Page("pages/actions.py", title="Actions", icon=":material/checklist:"),
        st.Page("pages/indicateurs.py", title="Indicateurs", icon=":material/monitoring:"),
    ],
    "Financements": [
        st.Page("pages/leviers.py", title="Leviers", icon=":material/euro:"),
        st.Page("pages/bonus_territoire.py", title="Bonus territoire", icon=":material/child_care:"),
        st.Page("pages/coordination.py", title="Coordination et ingénierie", icon=":material/handshake:"),
    ],
    "Administration": [
        st.Page("pages/controles.py", title="Contrôles des données", icon=":material/fact_check:"),
    ],
}

st.navigation(PAGES).run()
