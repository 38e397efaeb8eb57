"""What the data-entry pages (Saisie) share: showing refusals in French, links that survive a
page opened on its own, the snapshot a form was opened from, and numbers as a person edits them."""

import zlib
from collections.abc import Callable
from contextlib import suppress
from decimal import Decimal

import streamlit as st
from streamlit.errors import StreamlitAPIException

from ctg_data import formats as fmt
from ctg_data.permissions import PermissionDenied
from ctg_data.queries.history import conflict_lines
from ctg_data.services.base import ConflictError, ValidationError
from ctg_data.ui.data import engine
from ctg_data.ui.text import escape_markdown

NOTHING_WRITTEN = "Rien n'a été enregistré."


def link(page: str, label: str, query_params: dict | None = None, icon: str | None = None) -> None:
    """A link to another page of the app. A page run on its own (a test, a server started on
    one file) does not know the others: the link is then left out rather than failing."""
    with suppress(StreamlitAPIException):
        st.page_link(page, label=label, query_params=query_params, icon=icon)


def history_link(kind: str, key: str) -> None:
    link("pages/historique.py", "Historique des modifications", {"objet": kind, "id": str(key)},
         icon=":material/history:")


def refusal(error: Exception, table: str | None = None) -> None:
    """Show why a save was refused, in French, naming each field."""
    if isinstance(error, ValidationError):
        lines = "\n".join(f"- **{escape_markdown(name)}** : {escape_markdown(message)}"
                          for name, message in error.errors.items())
        st.error(f"{NOTHING_WRITTEN} Corrigez :\n\n{lines}")
    elif isinstance(error, ConflictError):
        changes = conflict_lines(engine(), table, error.changes) if table else []
        details = "\n".join(f"- {escape_markdown(line)}" for line in changes)
        st.warning(escape_markdown(str(error))
                   + (f"\n\nCe qui a changé (à l'ouverture → maintenant) :\n\n{details}" if details else "")
                   + "\n\nVotre saisie est conservée : vérifiez-la, puis enregistrez à nouveau pour l'appliquer.")
    elif isinstance(error, PermissionDenied):
        st.error(f"{escape_markdown(str(error))} {NOTHING_WRITTEN}")
    else:
        raise error


def attempt(save: Callable, table: str | None = None, on_conflict: Callable[[], None] | None = None):
    """Run a service call; on a refusal show it and return None. `on_conflict` runs after a
    ConflictError is shown (typically: the form now compares with what is saved, so that saving
    again applies the person's input knowingly). A database failure is not a refusal: it goes
    up to the page's boundary (ctg_data.ui.boundary), the form and its input staying on screen."""
    try:
        return save()
    except (ValidationError, ConflictError, PermissionDenied) as error:
        refusal(error, table)
        if isinstance(error, ConflictError) and on_conflict is not None:
            on_conflict()
        return None


def opened(key: str, record_key, load: Callable[[], dict | None]) -> dict | None:
    """The snapshot a form was opened from, kept for the session so that a save compares it with
    the database (optimistic locking) instead of re-reading it on every run."""
    held = st.session_state.setdefault(key, {})
    if record_key not in held:
        held[record_key] = load()
    return held[record_key]


def reopen(key: str, record_key, snapshot: dict | None) -> None:
    st.session_state.setdefault(key, {})[record_key] = snapshot


def labelled_key(prefix: str, labels) -> str:
    """A widget key that changes with the labels it shows. A selectbox whose labels carry data
    (a last value, an amount) would otherwise keep showing the old label of the chosen option
    after a save; a new key draws it afresh (the choice itself is kept in the URL)."""
    return f"{prefix}_{zlib.crc32(chr(31).join(map(str, labels)).encode()):08x}"


def counter(key: str) -> int:
    """A number in widget keys: bumped after a save, it gives fresh, empty widgets."""
    return st.session_state.setdefault(key, 0)


def bump(key: str) -> None:
    st.session_state[key] = st.session_state.get(key, 0) + 1


def flash(key: str, payload) -> None:
    """Keep something to show on the next run (after `st.rerun()`)."""
    st.session_state[key] = payload


def editable(value) -> str:
    """A stored number as a person would type it: no thousands separator, decimal comma."""
    if fmt.missing(value):
        return ""
    number = Decimal(str(value))
    if number == number.to_integral_value():
        return str(number.quantize(Decimal(1)))
    return format(number.normalize(), "f").replace(".", ",")
