"""One item of a list opened from the URL (`?action=CODE`, `?indicateur=CODE`), chosen by a
selectbox or a click on a table row, so that a link in an email opens the same item."""

import streamlit as st


def open_item(param: str, code: str | None) -> None:
    if code is None:
        st.query_params.pop(param, None)
    else:
        st.query_params[param] = code
    st.rerun()


def table_choice(event, codes: list[str], default: list[int], param: str) -> None:
    """Follow a click on a row of a `st.dataframe(on_select="rerun")` table. Unkeyed, the table
    is a new widget whenever the URL's item changes, so its highlighted row follows the URL;
    a selection that differs from that row is the user's choice."""
    rows = list(event.selection.rows)
    if rows != default:
        open_item(param, codes[rows[0]] if rows else None)


def default_rows(codes: list[str], wanted: str | None) -> list[int]:
    return [codes.index(wanted)] if wanted in codes else []


def choose_item(label: str, param: str, visible: list[str], titles: dict[str, str], *,
                placeholder: str) -> str | None:
    """A selectbox over the visible codes; the URL's item is offered even when filters hide it."""
    wanted = st.query_params.get(param)
    options = list(visible)
    if wanted in titles and wanted not in options:
        options.append(wanted)
    if not options:
        return wanted
    index = options.index(wanted) if wanted in options else None
    chosen = st.selectbox(label, options, index=index, placeholder=placeholder,
                          format_func=lambda code: f"{code} — {titles[code]}")
    if chosen != (wanted if wanted in options else None):
        open_item(param, chosen)
    return chosen if chosen is not None else wanted
