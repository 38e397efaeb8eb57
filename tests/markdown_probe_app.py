"""A page for tests/test_markdown_escape.py: each text of $CTG_PROBE (a JSON list), escaped by
ctg_data.ui.text.escape_markdown, in every place where Streamlit reads Markdown — body,
caption, widget label, metric label, help tooltip left out — inside one container per text so
that the browser test can read what each became. Not part of the app."""

import json
import os

import streamlit as st

from ctg_data.ui.text import escape_markdown

# ?brut=1 shows the texts unescaped: the test's proof that its checks can fail.
escape = (lambda text: text) if st.query_params.get("brut") else escape_markdown
for number, typed in enumerate(json.loads(os.environ["CTG_PROBE"])):
    shown = escape(typed)
    with st.container(key=f"probe_{number}"):
        st.markdown(shown)
        st.caption(shown)
        st.text_input(shown, key=f"input_{number}")
        st.metric(shown, "1")
        st.button(shown, key=f"button_{number}")
        st.selectbox("Choix", [typed], key=f"select_{number}")  # options are plain text: never escaped
