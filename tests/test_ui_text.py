"""Text shown to users: user-typed text made inert for Markdown, statuses with their symbol,
stored timestamps as French calendar days."""

import re
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from ctg_data.formats import local_day
from ctg_data.ui.text import escape_markdown, status_text, value_text

# Characters that start Markdown (CommonMark, GFM) or Streamlit syntax (:emoji:, :red[...], $LaTeX$).
ACTIVE = set("\\`*_{}[]()<>#+-.!|~:$=&")
JOINER = "\u2060"
# What GFM and Streamlit find in the text once backslash escapes are resolved: bare web and
# e-mail addresses (the autolink-literal patterns) and Streamlit's icon shortcodes.
AUTOLINK = re.compile(r"https?://|www(?=\.)|[-.\w+]+@[-\w]+(?:\.[-\w]+)+", re.IGNORECASE)
ICON = re.compile(r":material/\w+:")


def unescape(markdown: str) -> str:
    """CommonMark: a backslash before ASCII punctuation stands for that character."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def unescaped_active(markdown: str) -> list[str]:
    """Active characters that no backslash escapes: each could start Markdown syntax."""
    found, i = [], 0
    while i < len(markdown):
        if markdown[i] == "\\" and i + 1 < len(markdown) and markdown[i + 1] in ACTIVE:
            i += 2
            continue
        if markdown[i] in ACTIVE:
            found.append(markdown[i])
        i += 1
    return found


def live(markdown: str) -> list[str]:
    """Everything in `markdown` that Streamlit would render as more than plain text."""
    resolved = unescape(markdown)
    return unescaped_active(markdown) + AUTOLINK.findall(resolved) + ICON.findall(resolved)


TEXTS = [
    "**gras** _italique_ `code`",
    "[lien](javascript:alert(1)) ![image](http://127.0.0.1:9/y.png)",
    "<script>alert('x')</script> &amp;",
    "# Titre\n- liste\n1. numérotée\n> citation",
    ":red[rouge] :material/home: :smile: $x^2$",
    "a | b | c\n---|---\n~~barré~~",
    "Voir https://exemple.test/page, www.exemple.test ou contact@exemple.test",
    "Ouverture le 1er septembre 2026 (date illustrative) ; 1 850 000,00 €",
    "C:\\dossier\\fichier",
]


@pytest.mark.parametrize("text", TEXTS)
def test_escaped_text_is_inert(text):
    assert live(escape_markdown(text)) == []


@pytest.mark.parametrize("text", TEXTS)
def test_the_inertness_check_fails_on_unescaped_text(text):
    # The oracle above is not vacuous: the same texts left as typed are live.
    assert live(text) != []


@pytest.mark.parametrize("text", TEXTS)
def test_escaped_text_reads_back_exactly_as_typed(text):
    escaped = escape_markdown(text)
    # Every sample holds active characters (the test above): without this, an escape that does
    # nothing would pass the round trip.
    assert escaped != text
    # The word joiners that break addresses are invisible: a person reads the text as typed.
    assert unescape(escaped).replace(JOINER, "") == text


def test_every_active_character_is_escaped():
    escaped = escape_markdown("".join(sorted(ACTIVE)))
    assert escaped == "".join("\\" + c for c in sorted(ACTIVE))


def test_word_joiners_go_only_where_an_address_or_icon_would_start():
    assert JOINER not in escape_markdown("Bilan : 12:30, 3 € ; a @ b")
    assert escape_markdown("http://x www.y :red[") == (
        "http\\:" + JOINER + "//x www" + JOINER + "\\.y \\:" + JOINER + "red\\["
    )
    assert escape_markdown("contact@caf.fr") == "contact@" + JOINER + "caf\\.fr"


def test_ordinary_letters_digits_and_accents_are_left_alone():
    assert escape_markdown("Crèche Saint-Vincent 60 places") == "Crèche Saint\\-Vincent 60 places"


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA])
def test_missing_text_escapes_to_nothing(missing):
    assert escape_markdown(missing) == ""


def test_status_is_its_symbol_then_its_label():
    assert status_text("atteint") == "✔ Atteint"
    assert status_text("decroche") == "✖ Décroché"
    assert status_text("a_renseigner") == "? À renseigner"


def test_values_are_french_and_missing_ones_a_dash():
    assert value_text(108737.5) == "108\u202f737,5"
    assert value_text(float("nan")) == "—"
    assert value_text(None) == "—"


def test_a_stored_utc_timestamp_is_read_as_the_day_in_france():
    # 23:30 UTC on 31 December is already 1 January in Paris (UTC+1 in winter).
    assert local_day(datetime(2025, 12, 31, 23, 30)) == date(2026, 1, 1)
    assert local_day(datetime(2025, 12, 31, 23, 30, tzinfo=UTC)) == date(2026, 1, 1)
    assert local_day(pd.NaT) is None
