"""Choices kept in the URL (`?action=CODE`, `?annee=2025`, `?ligne=12`), so that a copied link
or a link in an email opens the same view: one select box helper for every page and the
sidebar filters, the record a form page edits, and a table whose clicked row opens an item."""

import zlib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from ctg_data import formats as fmt
from ctg_data.ui.text import escape_markdown

T = TypeVar("T")


def kept_choice(
    label: str,
    options: Sequence[T],
    param: str,
    *,
    format_func: Callable[[T], str],
    default: int | None = None,
    placeholder: str | None = None,
    key: str | None = None,
    keep_unknown: bool = False,
    clears: tuple[str, ...] = (),
    rerun: bool = False,
    where: Any = st,
    radio: bool = False,
) -> T | None:
    """A select box read from and written to the URL parameter `param`.

    The URL's value picks the option whose text is the same (numbers too); otherwise the box
    opens on `default` (an index, or None for an empty box with `placeholder`). Choosing ""
    (an « all » option) or nothing removes the parameter and returns None. `keep_unknown`: a URL value not among
    the options is offered all the same (a link to an item the filters hide), shown as it is.
    `clears`: parameters that depend on this one, dropped when the choice changes. `rerun`: run
    the page again after a change, for widgets drawn earlier that follow the URL (a table's row).
    `radio`: horizontal radio buttons instead of a select box, for a few options seen at once.
    """
    wanted = st.query_params.get(param)
    choices = list(options)
    texts = [None if option is None else str(option) for option in choices]
    if keep_unknown and wanted is not None and wanted not in texts:
        choices.append(wanted)  # type: ignore[arg-type]  # the URL's text stands for itself
        texts.append(wanted)
    index = texts.index(wanted) if wanted in texts else default
    chosen: T | None
    if radio:
        chosen = where.radio(label, choices, index=index or 0, format_func=format_func, horizontal=True, key=key)
    else:
        chosen = where.selectbox(label, choices, index=index, format_func=format_func, placeholder=placeholder, key=key)
    if chosen == "":
        chosen = None  # the « all » option: "" rather than None, a plain value widgets round-trip
    now = None if chosen is None else str(chosen)
    if now != wanted:
        if now is None:
            st.query_params.pop(param, None)
        else:
            st.query_params[param] = now
        for other in clears:
            st.query_params.pop(other, None)
        if rerun:
            st.rerun()
    return chosen


STATUS_PARAM = "statut"  # a list page's status, set by a link (an overview tile: `?statut=en_retard`)


def linked_filter(param: str, presets: Mapping[str, Mapping[str, Any]]) -> Callable[[], None]:
    """Page filters a link sets: `presets[value]` gives the widget keys and values that the
    URL's `param` stands for, set before the widgets are drawn so that the person sees the
    filter and can change it. Returns the widgets' `on_change`: once the person changes a
    filter, the parameter leaves the URL and no longer overrides the widgets."""
    wanted = st.query_params.get(param)
    for key, value in presets.get(wanted or "", {}).items():
        st.session_state[key] = value

    def changed() -> None:
        st.query_params.pop(param, None)

    return changed


def kept_row(
    label: str,
    frame: pd.DataFrame,
    param: str,
    *,
    labels: Mapping[Any, str],
    column: str = "code",
    visible: Sequence[Any] | None = None,
    missing: str | None = None,
    placeholder: str | None = None,
    key: str | None = None,
    rerun: bool = False,
) -> pd.Series | None:
    """The row of `frame` whose `column` is chosen in a select box kept in the URL. `visible`:
    the values offered (default: every row's). `missing` (« Aucune action « {} »… ») makes a
    URL value that is no row of `frame` shown and answered with that warning."""
    values = list(frame[column]) if visible is None else list(visible)
    if not values and param not in st.query_params:
        return None  # nothing to choose from: no empty box
    chosen = kept_choice(
        label,
        values,
        param,
        format_func=lambda value: labels.get(value, str(value)),
        placeholder=placeholder,
        key=key,
        keep_unknown=missing is not None,
        rerun=rerun,
    )
    if chosen is None:
        return None
    rows = frame[frame[column].astype(str) == str(chosen)]
    if rows.empty:
        if missing is not None:
            st.warning(missing.format(escape_markdown(str(chosen))))
        return None
    return rows.iloc[0]


def coded_labels(frame: pd.DataFrame, name: str) -> dict[Any, str]:
    """« CODE — name » for each row: how a select box names an action or an indicator."""
    return {code: f"{code} — {text}" for code, text in zip(frame["code"], frame[name], strict=True)}


def editable_record(
    label: str,
    frame: pd.DataFrame,
    param: str,
    *,
    nothing: str,
    labels: Callable[[pd.DataFrame], Mapping[Any, str]],
    key: str,
    writable: Collection[int] | None = None,
    column: str = "code",
    relabel: bool = False,
    placeholder: str | None = None,
) -> pd.Series | None:
    """The record a form page edits, chosen in a select box kept in the URL among the rows of
    `frame` the person may edit (ids in `writable`; None: every row), each named by
    `labels(rows)`. No row: `nothing` is said and None returned. `relabel`: labels that carry
    data a save changes (a last value, an amount) give the box a new key (see `labelled_key`)."""
    rows = frame if writable is None else frame[frame["id"].isin(writable)]
    refuse_link(label, param, set(rows[column].astype(str)))
    if rows.empty:
        st.info(nothing)
        return None
    names = labels(rows)
    return kept_row(
        label,
        rows,
        param,
        labels=names,
        column=column,
        key=labelled_key(key, names.values()) if relabel else key,
        placeholder=placeholder,
    )


def refuse_link(label: str, param: str, offered: Collection[str]) -> None:
    """Say, rather than drop without a word, that the item a link names (`?param=CODE`) is not
    among those `offered` to this person. One sentence whether it is another organisation's item
    or no item of this convention at all: nothing is told of what the person may not see."""
    wanted = st.query_params.get(param)
    if wanted is not None and wanted not in offered:
        st.warning(
            f"Le lien demande « {escape_markdown(wanted)} » ({label.lower()}) : vous ne pouvez pas y saisir dans "
            "cette convention. Choisissez parmi ce qui vous est proposé.",
            icon=":material/block:",
        )


def labelled_key(prefix: str, labels: Iterable[str]) -> str:
    """A widget key that changes with the labels it shows. A selectbox whose labels carry data
    (a last value, an amount) would otherwise keep showing the old label of the chosen option
    after a save; a new key draws it afresh (the choice itself is kept in the URL)."""
    return f"{prefix}_{zlib.crc32(chr(31).join(map(str, labels)).encode()):08x}"


def listed_item(
    label: str, everything: pd.DataFrame, shown: pd.DataFrame, param: str, *, name: str, missing: str, placeholder: str
) -> pd.Series | None:
    """The item a list page opens below its table: chosen among the rows the filters show, or
    any row of `everything` named by the URL (a link to an item the filters hide)."""
    return kept_row(
        label,
        everything,
        param,
        labels=coded_labels(everything, name),
        visible=list(shown["code"]),
        rerun=True,
        missing=missing,
        placeholder=placeholder,
    )


def open_item(param: str, code: str | None) -> None:
    if code is None:
        st.query_params.pop(param, None)
    else:
        st.query_params[param] = code
    st.rerun()


# Streamlit 1.67 wraps a text cell only when the row is taller than 4rem (64 px): 68 px rows
# hold three lines, enough for a title in a column of about 300 px at 1440 px.
WRAPPED_ROWS = 68
# Four lines: the « Modifications » of a history or the journal ("champ : avant → après ; …").
CHANGES_ROWS = 88


def item_table(
    table: pd.DataFrame,
    codes: list[str],
    param: str,
    *,
    alt: str,
    column_config: dict[str, Any],
    row_height: int | None = None,
) -> None:
    """A table whose clicked row opens its item (`codes`: each row's, kept in the URL's `param`).
    Unkeyed, the table is a new widget whenever the URL's item changes, so its highlighted row
    follows the URL; a selection that differs from that row is the user's choice. `row_height`:
    WRAPPED_ROWS to let long texts wrap in the widths `column_config` gives."""
    wanted = st.query_params.get(param)
    default = [codes.index(wanted)] if wanted in codes else []
    event = st.dataframe(
        table,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        selection_default={"selection": {"rows": default}},
        placeholder=fmt.DASH,
        alt=alt,
        column_config=column_config,
        row_height=row_height,
    )
    rows = list(event.selection.rows)
    if rows != default:
        open_item(param, codes[rows[0]] if rows else None)
