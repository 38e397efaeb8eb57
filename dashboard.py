"""Entrypoint: page config and routing, nothing else. Each page guards and sets itself up, and
draws the menu (ctg_data.ui.navigation): Streamlit's own menu is off."""

import streamlit as st

from ctg_data.ui.auth import current_actor
from ctg_data.ui.boundary import database_boundary
from ctg_data.ui.navigation import requested_path, st_pages, with_not_found

st.set_page_config(page_title="Tableau de bord CTG", page_icon="📊", layout="wide")

# Every page is routed for everyone: each checks access itself (the sign-in, then its role's
# refusal in French), so a link opened before signing in still says why it is closed. The menu
# (ctg_data.ui.navigation) lists only the pages the role may open.
with database_boundary():  # the signed-in account is re-read from the database here already
    actor = current_actor()
    # An unknown address gets a French « Page introuvable » rather than Streamlit's English dialog.
    pages = with_not_found(st_pages(), actor, requested_path())
    st.navigation(pages, position="hidden").run()
