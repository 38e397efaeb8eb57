"""User-typed text is never rendered as HTML or Markdown: payloads saved in every text field of
the demo convention render inert on every page (AppTest). Text shown through Markdown must be
escaped; tables, charts, plain text and code blocks show it as typed."""

import re
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from ctg_data import models as m
from ctg_data.actors import Actor, Role
from tests.conftest import sign_in

ROOT = Path(__file__).resolve().parent.parent
PAYLOAD = "<script>alert(1)</script> <img src=x onerror=alert(1)> [lien](javascript:alert(1)) **gras**"
# Markdown that fetches, links, colours or typesets: an image, bare addresses, a colour, LaTeX.
LINKS = "![i](http://127.0.0.1:9/i.png) www.x.test a@b.test :red[r] $x$"
# Each token, found in a Markdown-rendered string without a backslash before it, would be live.
LIVE = [
    re.compile(r"(?<!\\)" + re.escape(token))
    for token in ("<script>", "<img src=x", "[lien](javascript:", "**gras**", "![i]", ":red[", "$x$")
]
# Bare addresses are found once escapes are resolved (GFM autolink literals): a backslash can't stop them.
AUTOLINK = re.compile(r"https?://|www(?=\.)|[-.\w+]+@[-\w]+(?:\.[-\w]+)+", re.IGNORECASE)
# Elements that never interpret their text, and widget fields that are shown as plain text (a
# text input's label is Markdown: only its value and placeholder are plain).
INERT_ELEMENTS = {"text", "code", "arrow_data_frame", "arrow_vega_lite_chart", "vega_lite_chart", "json", "arrow_table"}
PLAIN_FIELDS = {
    "options",
    "default",
    "value",
    "raw_value",
    "raw_values",
    "id",
    "form_id",
    "key",
    "page",
    "url",
    "icon",
    "placeholder",
    "data",
}
FACILITY = "eaje-souris-verte"


def typed(code: str) -> str:
    return f"{code} {PAYLOAD}"


@pytest.fixture
def hostile(demo_engine):
    """The demo convention with the payload in every text field a person can type."""
    with Session(demo_engine) as s:
        for model, fields in (
            (m.Convention, ("name", "territory")),
            (m.Organisation, ("name",)),
            (m.Commune, ("name",)),
            (m.Orientation, ("title",)),
            (m.Action, ("title", "description", "target_public")),
            (m.Indicator, ("name", "baseline_source")),
            (m.Measurement, ("source", "comment")),
            (m.Facility, ("name",)),
            (m.CoordinationPost, ("title",)),
            (m.FundingLine, ("comment",)),
            (m.Signatory, ("representative", "capacity")),
        ):
            for row in s.exec(select(model)).all():
                for name in fields:
                    setattr(row, name, typed(getattr(row, "code", name))[:120])
                s.add(row)
        for indicator in s.exec(select(m.Indicator)).all():
            indicator.unit = LINKS  # the unit reaches the value field's label of Nouvelle mesure
            s.add(indicator)
        for action in s.exec(select(m.Action)).all():
            s.add(
                m.ActionNote(
                    action_id=action.id, noted_on=m.date(2026, 1, 15), text=typed("note"), author=typed("auteur")
                )
            )
            s.add(m.ActionNote(action_id=action.id, noted_on=m.date(2026, 1, 16), text=LINKS, author="auteur"))
        admin = m.User(email="admin@xss.test", role="admin", display_name=typed("nom"))
        s.add(admin)
        s.add(m.AuditEvent(actor="test", operation="test", table_name="actions", record_key="0"))  # new data version
        s.commit()
        return Actor(email=admin.email, role=Role.ADMIN, user_id=admin.id)


def walk(node):
    """(element type, proto message) of every element and block under `node`."""
    proto, kind = getattr(node, "proto", None), getattr(node, "type", None)
    if proto is not None and kind is not None:
        yield kind, proto
    for child in getattr(node, "children", {}).values():
        yield from walk(child)


def strings(message, field=""):
    """(field name, text) of every string inside a protobuf message."""
    for descriptor, value in message.ListFields():
        values = value if isinstance(value, Sequence) and not isinstance(value, str | bytes) else [value]
        for item in values:
            if isinstance(item, str):
                yield descriptor.name, item
            elif hasattr(item, "ListFields"):
                yield from strings(item, descriptor.name)


def live_payloads(at: AppTest) -> list[str]:
    found = []
    for kind, proto in walk(at._tree):
        if kind == "markdown" and getattr(proto, "allow_html", False):
            found.append(f"markdown with unsafe_allow_html: {proto.body[:80]!r}")
        if kind in INERT_ELEMENTS:
            continue
        for field, text in strings(proto):
            if field in PLAIN_FIELDS:
                continue
            if any(pattern.search(text) for pattern in LIVE) or AUTOLINK.search(resolved(text)):
                found.append(f"{kind}.{field}: {text[:160]!r}")
    return found


def resolved(markdown: str) -> str:
    """The text once CommonMark has resolved backslash escapes."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def escaped_somewhere(at: AppTest) -> bool:
    """The payload did reach the page (so the check above is not vacuous)."""
    return any("\\<img" in text or "<img src=x" in text for _, proto in walk(at._tree) for _, text in strings(proto))


PAGES = sorted(path.name for path in (ROOT / "pages").glob("*.py") if path.name != "vue_ensemble.py")
PARAMS = {"action": "PE-1.1", "indicateur": "TX-COUV-PE", "equipement": FACILITY, "domaine": "petite_enfance"}


def run(at: AppTest, actor: Actor) -> AppTest:
    at = sign_in(at, actor).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.mark.parametrize("name", PAGES)
def test_every_page_renders_typed_text_inert(hostile, name):
    at = AppTest.from_file(str(ROOT / "pages" / name), default_timeout=60)
    at.query_params.update(PARAMS)
    at = run(at, hostile)
    assert escaped_somewhere(at), name  # the payload reached the page: the check below is not vacuous
    assert live_payloads(at) == []


@pytest.mark.parametrize("params", [{}, {"domaine": "petite_enfance"}], ids=["vue", "domaine"])
def test_the_overview_through_the_entrypoint_renders_typed_text_inert(hostile, params):
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.query_params.update(params)
    at = run(at, hostile)
    assert escaped_somewhere(at)
    assert live_payloads(at) == []


def test_the_fiches_show_the_payload_escaped_not_dropped(hostile):
    at = AppTest.from_file(str(ROOT / "pages" / "actions.py"), default_timeout=60)
    at.query_params["action"] = "PE-1.1"
    at = run(at, hostile)
    assert any("PE\\-1\\.1 — PE\\-1\\.1 \\<script\\>" in s.value for s in at.subheader)
    # An invisible word joiner follows each ":" (it keeps icons and addresses inert).
    assert any("\\[lien\\]\\(javascript\\:\u2060alert\\(1\\)\\) \\*\\*gras\\*\\*" in md.value for md in at.markdown)


def test_a_code_in_the_link_is_shown_inert_too(hostile):
    at = AppTest.from_file(str(ROOT / "pages" / "bonus_territoire.py"), default_timeout=60)
    at.query_params["equipement"] = "[lien](javascript:alert(1))**gras**"
    at = run(at, hostile)
    # The unknown code is shown (escaped), so the check below is not vacuous.
    assert any("\\[lien\\]\\(javascript" in text for _, proto in walk(at._tree) for _, text in strings(proto))
    assert live_payloads(at) == []
