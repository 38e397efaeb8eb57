"""The app as served: Streamlit's pages (dashboard.py, the entrypoint) plus the app's own HTTP
routes for sessions that survive a reload (ctg_data.accounts.http). `streamlit run server.py`
(what `make run` does) and `uvicorn server:app` both serve it; .streamlit/config.toml applies."""

import streamlit as st

from ctg_data.accounts.http import routes

app = st.App("dashboard.py", routes=routes())
