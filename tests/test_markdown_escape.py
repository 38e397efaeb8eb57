"""Text a person typed, escaped by ctg_data.ui.text.escape_markdown, reads exactly as typed
wherever Streamlit renders Markdown (body, caption, widget label, metric label, button) and
never becomes a link, an image (which the browser would fetch), coloured text, an icon, an
emoji or LaTeX. Checked where it matters: in Chromium, on what Streamlit really draws."""

import json
import re

import pytest
from playwright.sync_api import expect

from tests.test_browser import page, streamlit_server  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

# Addresses on this machine only (port 9: nothing listens), so that a fetched image stays local.
TYPED = [
    "Places ![pixel](http://127.0.0.1:9/pixel.png) réservées",
    "Voir http://127.0.0.1:9/page et www.exemple.test ou contact@exemple.test",
    "https://exemple.test/a_b?c=d&e=f (mailto:contact@exemple.test)",
    ":red[rouge] :blue-background[fond] :material/home: :smile: $x^2$ $$y$$",
    "**gras** _italique_ `code` ~~barré~~ [lien](http://127.0.0.1:9/lien)",
    "<img src=http://127.0.0.1:9/html.png> <b>gras</b> &amp; &#65;",
    "# Titre | a | b | > citation",
    "C:\\dossier\\ \\* déjà échappé \\",
]
PLACES = {
    "corps": "[data-testid='stMarkdown'] [data-testid='stMarkdownContainer']",
    "légende": "[data-testid='stCaptionContainer']",
    "libellé de champ": "[data-testid='stTextInput'] [data-testid='stWidgetLabel']",
    "libellé d'indicateur": "[data-testid='stMetricLabel']",
    "bouton": "[data-testid='stButton'] button",
}
INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff]")


def visible(text: str) -> str:
    return " ".join(INVISIBLE.sub("", text).split())


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    database = tmp_path_factory.mktemp("probe") / "unused.sqlite3"
    with streamlit_server(
        f"sqlite:///{database}", script="tests/markdown_probe_app.py", env={"CTG_PROBE": json.dumps(TYPED)}
    ) as base:
        yield base


@pytest.fixture
def drawn(probe, page):  # noqa: F811 - the browser fixture's page
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.route("http://127.0.0.1:9/**", lambda route: route.abort())
    page.goto(probe)
    expect(page.locator(f".st-key-probe_{len(TYPED) - 1} [data-testid='stButton']")).to_be_visible()
    page.wait_for_timeout(500)  # images of the last elements, if any, have been asked for
    return page, requested


@pytest.mark.parametrize("number", range(len(TYPED)))
def test_typed_text_reads_as_typed_everywhere_markdown_is_rendered(drawn, number):
    shown, _ = drawn
    box = shown.locator(f".st-key-probe_{number}")
    for place, selector in PLACES.items():
        element = box.locator(selector).first
        assert visible(element.inner_text()) == visible(TYPED[number]), place
        active = element.locator("a, img, .katex, svg, [data-testid='stIconMaterial'], span[style*='color']")
        assert active.count() == 0, (place, element.inner_html())
    # A selectbox option is plain text: shown as typed without any escaping.
    option = box.locator("[data-testid='stSelectbox'] input[role='combobox']").first
    assert option.input_value() == TYPED[number]


def test_no_typed_address_is_fetched(drawn):
    _, requested = drawn
    assert [url for url in requested if url.startswith("http://127.0.0.1:9/")] == []


def test_the_probe_is_not_vacuous_unescaped_text_does_become_links_and_images(probe, page):  # noqa: F811
    # The same page without escaping draws what the escaper must prevent: the checks can fail.
    page.route("http://127.0.0.1:9/**", lambda route: route.abort())
    page.goto(probe + "?brut=1")
    box = page.locator(".st-key-probe_1")
    expect(box.locator("[data-testid='stButton']")).to_be_visible()
    # Links, images and KaTeX are drawn after the text (KaTeX loads lazily): wait for them.
    expect(box.locator("[data-testid='stMarkdownContainer'] a").nth(2)).to_be_attached()
    expect(page.locator(".st-key-probe_0 [data-testid='stMarkdown'] img").first).to_be_attached()
    expect(page.locator(".st-key-probe_3 .katex").first).to_be_attached(timeout=15_000)
