"""Entrypoint: page config and navigation, nothing else. Each page guards and sets itself up."""

import streamlit as st

from ctg_data.ui.auth import current_actor, pages_for

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
    "Saisie": [
        st.Page("pages/saisie_mesure.py", title="Nouvelle mesure", icon=":material/add_chart:"),
        st.Page("pages/saisie_groupee.py", title="Saisie groupée", icon=":material/table_edit:"),
        st.Page("pages/saisie_action.py", title="Suivi d'une action", icon=":material/edit_note:"),
        st.Page("pages/saisie_activite.py", title="Activité d'un équipement", icon=":material/domain:"),
        st.Page("pages/saisie_financement.py", title="Financement", icon=":material/payments:"),
        st.Page("pages/import_export.py", title="Import / export", icon=":material/swap_vert:"),
        st.Page("pages/historique.py", title="Historique", icon=":material/history:"),
    ],
    "Administration": [
        st.Page("pages/admin_referentiels.py", title="Référentiels", icon=":material/tune:"),
        st.Page("pages/comptes.py", title="Comptes et accès", icon=":material/manage_accounts:"),
        st.Page("pages/journal.py", title="Journal des événements", icon=":material/receipt_long:"),
        st.Page("pages/controles.py", title="Contrôles des données", icon=":material/fact_check:"),
    ],
}

# Only the pages the signed-in role may open. Nobody signed in: every page keeps its link (each
# shows the sign-in itself) and the menu is hidden.
actor = current_actor()
st.navigation(pages_for(PAGES, actor), position="sidebar" if actor else "hidden", expanded=True).run()
