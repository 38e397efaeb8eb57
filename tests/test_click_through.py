"""Every tile of the overview opens the list it counts: the action tiles open Actions filtered on
that status (or on the late actions), the indicator tiles open Indicateurs filtered on that
status, and the indicator tiles add up to every indicator. Expected figures are recomputed from
the seed CSV files (tests/test_page_overview.py, tests/test_page_indicateurs.py)."""

from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import sign_in
from tests.test_page_indicateurs import INDICATORS, SHOWN_STATUS, by_hand
from tests.test_page_overview import ACTIONS, late

ROOT = Path(__file__).resolve().parent.parent
ACTION_LABELS = {
    "a_venir": "À venir",
    "en_cours": "En cours",
    "en_pause": "En pause",
    "realisee": "Réalisée",
    "abandonnee": "Abandonnée",
}
# The indicator status codes of the URL, by the label the by-hand rules give.
INDICATOR_CODES = {
    "atteint": "atteint",
    "en bonne voie": "en_bonne_voie",
    "à surveiller": "a_surveiller",
    "décroché": "decroche",
    "à renseigner": "a_renseigner",
    "incomplet": "incomplet",
}
EXPECTED_STATUS = Counter(by_hand(code)["status"] for code in INDICATORS)


def app(*, page: str | None = None, **params) -> AppTest:
    at = sign_in(AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60))
    at.run()
    for name, value in params.items():
        at.query_params[name] = value
    if page:
        at.switch_page(page)
    return at.run()


def tiles(at: AppTest) -> dict[str, tuple[str, str, dict]]:
    """Each tile's label → (count shown, target page, query parameters of its link)."""
    shown = {}
    for block in at.main.get("container"):
        metrics, links = list(block.get("metric")), list(block.get("page_link"))
        if len(metrics) == 1 and len(links) == 1:
            link = links[0].proto
            shown[metrics[0].label] = (metrics[0].value, link.page, parse_qs(link.query_string))
    return shown


def test_the_indicator_tiles_count_every_indicator_and_link_to_their_status(demo_app):
    shown = tiles(app())
    assert not set(EXPECTED_STATUS) - set(INDICATOR_CODES)
    total = 0
    for status, code in INDICATOR_CODES.items():
        count, target, query = shown[SHOWN_STATUS[status]]
        assert count == str(EXPECTED_STATUS[status]), status
        assert target == "indicateurs" and query == {"statut": [code]}
        total += int(count)
    assert total == len(INDICATORS)


def test_the_action_tiles_link_to_their_status_and_to_the_late_actions(demo_app):
    shown = tiles(app())
    for status, label in ACTION_LABELS.items():
        count, target, query = shown[label]
        assert count == str(sum(r["statut"] == status for r in ACTIONS))
        assert target == "actions" and query == {"statut": [status]}
    count, target, query = shown["En retard"]
    assert count == str(sum(late(r) for r in ACTIONS)) and count != "0"
    assert target == "actions" and query == {"statut": ["en_retard"]}


def action_codes(at: AppTest) -> set[str]:
    return set(at.main.dataframe[0].value["Code"])


def test_the_late_link_opens_the_late_actions_with_the_filter_shown(demo_app):
    at = app(page="pages/actions.py", statut="en_retard")
    assert not at.exception
    assert action_codes(at) == {r["code"] for r in ACTIONS if late(r)}
    assert at.toggle(key="actions_late_only").value is True  # seen, and can be switched off
    at.toggle(key="actions_late_only").set_value(False).run()
    assert "statut" not in at.query_params
    assert action_codes(at) == {r["code"] for r in ACTIONS}


@pytest.mark.parametrize("status", ["en_cours", "realisee"])
def test_a_status_link_opens_the_actions_of_that_status(demo_app, status):
    at = app(page="pages/actions.py", statut=status)
    assert not at.exception
    assert action_codes(at) == {r["code"] for r in ACTIONS if r["statut"] == status}
    assert at.multiselect(key="actions_status").value == [status]


@pytest.mark.parametrize("status", ["décroché", "incomplet", "à surveiller"])
def test_a_status_link_opens_the_indicators_of_that_status(demo_app, status):
    at = app(page="pages/indicateurs.py", statut=INDICATOR_CODES[status])
    assert not at.exception
    table = at.main.dataframe[0].value
    assert set(table["Code"]) == {code for code in INDICATORS if by_hand(code)["status"] == status}
    assert set(table["Statut"]) == {SHOWN_STATUS[status]}
    box = at.multiselect(key="indicators_status")
    assert box.value == [INDICATOR_CODES[status]]
    box.set_value([]).run()  # the person widens the list again
    assert "statut" not in at.query_params
    assert len(at.main.dataframe[0].value) == len(INDICATORS)


def test_each_domain_of_the_overview_links_to_its_detail(demo_app):
    at = app()
    links = {link.proto.label: parse_qs(link.proto.query_string) for link in at.main.get("page_link")}
    domains = {r["domaine"] for r in ACTIONS}
    targets = {query["domaine"][0] for query in links.values() if "domaine" in query}
    assert domains <= targets
