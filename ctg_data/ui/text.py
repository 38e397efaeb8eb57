"""Text a user reads: user-typed text made inert for Markdown, and the French display of
indicator statuses and values shared by the Actions and Indicateurs pages."""

import re

import pandas as pd

from ctg_data import formats as fmt
from ctg_data.rules.indicators import STATUS_LABELS, STATUS_SYMBOLS, IndicatorStatus, shown_value

# CommonMark lets a backslash escape any ASCII punctuation; these are the characters that can
# start Markdown syntax, plus Streamlit's own (":" for emoji, icons and :red[colours], "$" for
# LaTeX). Escaping them all leaves the text exactly as typed.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$=&])")
# Streamlit finds bare addresses (http://…, www.…, name@host) and icons (:material/home:) in the
# text *after* backslash escapes are resolved, so a backslash can't keep them inert. An invisible
# word joiner where such a pattern would go on — after ":" before a letter or "/", after "@"
# before a name, between "www" and "." — breaks it while the text reads the same.
_WORD_JOINER = "\u2060"
_LINK_STARTS = re.compile(r"(?<=:)(?=[A-Za-z/])|(?<=@)(?=[-\w])|(?<=(?i:www))(?=\.)")


def escape_markdown(text) -> str:
    """`text` as literal Markdown: shown as typed, never as links (bare addresses included),
    images, headings, HTML, coloured text, icons or LaTeX. The one escaper of the app: every
    user-typed text shown through Markdown (body, captions, widget and metric labels) goes
    through it."""
    if fmt.missing(text):
        return ""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", _LINK_STARTS.sub(_WORD_JOINER, str(text)))


def status_text(status: str) -> str:
    """The status label beside its symbol ("✔ Atteint"): never told by colour alone."""
    status = IndicatorStatus(status)
    return f"{STATUS_SYMBOLS[status]} {STATUS_LABELS[status]}"


def value_text(value) -> str:
    """A measured value in French, or "—" when there is none (NaN included)."""
    return fmt.smart_number(value)


def indicator_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The indicator list as read on screen: French values (a step indicator's as its steps, with
    no percentage), attainment 0–100, status with symbol. Dates stay dates so that the table
    sorts them by time."""
    steps = [s if isinstance(s, tuple) else None for s in frame["steps"]]
    attainment = [
        None if s is not None or fmt.missing(a) else round(100 * a)
        for a, s in zip(frame["attainment_clipped"], steps, strict=True)
    ]

    def shown(column: str) -> list[str]:
        return [shown_value(v, s) for v, s in zip(frame[column], steps, strict=True)]

    return pd.DataFrame(
        {
            "Code": frame["code"],
            "Indicateur": frame["name"],
            "Statut": [status_text(s) for s in frame["status"]],
            "Atteinte": pd.array(attainment, dtype="Int64"),
            "Valeur actuelle": shown("current_value"),
            "Unité": frame["unit"],
            "Mesurée le": [None if fmt.missing(d) else d for d in frame["current_date"]],
            "Référence": shown("baseline_value"),
            "Cible": shown("target_value"),
            "Échéance": [None if fmt.missing(d) else d for d in frame["target_date"]],
            "Domaine": frame["domain"],
        }
    )
