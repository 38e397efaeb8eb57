"""Entrypoint: page config and navigation, nothing else. Each page guards and sets itself up."""

import streamlit as st

st.set_page_config(page_title="Tableau de bord CTG", page_icon="📊", layout="wide")

PAGES = {
    "Pilotage": [
        st.Page("pages/vue_ensemble.py", title="Vue d'ensemble", icon="🧭", default=True),
        st.Page("pages/domaines.py", title="Domaines", icon="🗂️"),
        st.Page("pages/actions.py", title="Actions", icon="✅"),
        st.Page("pages/indicateurs.py", title="Indicateurs", icon="📈"),
    ],
    "Financements": [
        st.Page("pages/leviers.py", title="Leviers", icon="💶"),
        st.Page("pages/bonus_territoire.py", title="Bonus territoire", icon="🏫"),
        st.Page("pages/coordination.py", title="Coordination et ingénierie", icon="🤝"),
    ],
    "Administration": [
        st.Page("pages/controles.py", title="Contrôles des données", icon="🩺"),
    ],
}

st.navigation(PAGES).run()
