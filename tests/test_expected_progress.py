"""The plan read against time (docs/rules.md, "Avancement attendu" and "En retard sur le
calendrier"): each action's expected progress at a date, weighted like the progress roll-up, and
the domains, orientations and convention more than 15 points behind it.

Every expected figure is computed here by hand from the rule, never read from the code.
"""

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from ctg_data import models as m
from ctg_data import settings
from ctg_data.errors import SettingError
from ctg_data.interchange import load_folder
from ctg_data.queries.actions import plan_frame
from ctg_data.queries.filters import Filters
from ctg_data.queries.overview import steering_summary
from ctg_data.rules.actions import expected_progress, expected_rollup, is_behind, rollup, subtrees
from ctg_data.vocabulary import DOMAINS
from tests.conftest import sign_in
from tests.csv_folder import write_folder

ROOT = Path(__file__).resolve().parent.parent

# ------------------------------------------------------------------ the pure rules

CONVENTION_START, CONVENTION_END = date(2025, 1, 1), date(2025, 4, 11)  # 100 days
TODAY = date(2025, 2, 20)  # 50 days after the convention's start


def test_an_action_half_way_through_its_dates_is_expected_at_half():
    # 10 February → 2 March: 20 days; the 20th of February is 10 days in.
    assert expected_progress(date(2025, 2, 10), date(2025, 3, 2), TODAY, CONVENTION_START, CONVENTION_END) == 50


def test_an_action_is_expected_at_nothing_before_its_start_and_at_all_after_its_end():
    assert expected_progress(date(2025, 3, 1), date(2025, 4, 1), TODAY, CONVENTION_START, CONVENTION_END) == 0
    assert expected_progress(date(2025, 2, 20), date(2025, 4, 1), TODAY, CONVENTION_START, CONVENTION_END) == 0
    assert expected_progress(date(2024, 6, 1), date(2025, 1, 31), TODAY, CONVENTION_START, CONVENTION_END) == 100
    assert expected_progress(date(2024, 6, 1), date(2025, 2, 20), TODAY, CONVENTION_START, CONVENTION_END) == 100


def test_an_action_without_dates_takes_the_conventions():
    assert expected_progress(None, None, TODAY, CONVENTION_START, CONVENTION_END) == 50  # 50 days of 100
    # Only the end given: the start is the convention's (1 January → 12 March: 70 days, 50 gone).
    figure = expected_progress(None, date(2025, 3, 12), TODAY, CONVENTION_START, CONVENTION_END)
    assert figure == pytest.approx(100 * 50 / 70)


def test_the_expected_rollup_weighs_the_same_actions_as_the_progress_rollup():
    timed = [
        (("en_cours", 20, Decimal(3)), 50.0),
        (("realisee", None, None), 50.0),  # poids absent: 1
        (("abandonnee", 10, Decimal(4)), 100.0),  # left out of both
        (("non_renseigne", None, Decimal(2)), 100.0),  # no progress: left out of both
        (("non_renseigne", 30, Decimal(1)), 0.0),  # an avancement is given: it counts
    ]
    assert expected_rollup(timed) == pytest.approx((50 * 3 + 50 + 0) / 5)
    assert rollup(triple for triple, _ in timed) == pytest.approx((20 * 3 + 100 + 30) / 5)
    assert expected_rollup([(("abandonnee", None, None), 80.0)]) is None  # nothing counts: "—"


def test_behind_means_more_than_fifteen_points_below_the_expected_progress():
    assert not is_behind(35.0, 50.0, 15)  # exactly 15 points: not behind
    assert is_behind(34.9, 50.0, 15)  # 15.1 points
    assert not is_behind(80.0, 50.0, 15)
    assert not is_behind(None, 50.0, 15) and not is_behind(30.0, None, 15)


def test_subtrees_give_each_node_the_items_of_its_whole_branch():
    below = subtrees({"E": None, "O": "E"}, [("O", "a"), ("E", "b"), (None, "c")])
    assert below == {"E": ["a", "b"], "O": ["a"]}


def test_the_setting_moves_the_threshold_and_a_wrong_value_is_said(monkeypatch):
    assert settings.behind_schedule_points() == 15
    monkeypatch.setenv("CTG_BEHIND_SCHEDULE_POINTS", "12,5")
    assert settings.behind_schedule_points() == Decimal("12.5")
    monkeypatch.setenv("CTG_BEHIND_SCHEDULE_POINTS", "-3")
    with pytest.raises(SettingError, match="CTG_BEHIND_SCHEDULE_POINTS"):
        settings.behind_schedule_points()


# ------------------------------------------------------------------ the queries, on both databases

CONVENTION = "ctg-cal"


def action(code, domain, status, avancement="", poids="", start="", end="", orientation="") -> dict:
    return {
        "convention": CONVENTION,
        "code": code,
        "intitule": f"Fiche {code}",
        "domaine": domain,
        "orientation": orientation,
        "pilote": "ville",
        "statut": status,
        "avancement": avancement,
        "poids": poids,
        "date_debut": start,
        "date_fin": end,
        # Some fiches run past this short convention on purpose: the date rule asks for a reason.
        "motif_derogation": "calendrier de test" if start or end else "",
    }


def calendar_plan() -> dict[str, list[dict]]:
    return {
        "organisations": [
            {"code": "caf", "nom": "CAF", "type": "caf"},
            {"code": "ville", "nom": "Ville", "type": "commune"},
        ],
        "communes": [{"code_insee": "65286", "nom": "Lourdes"}],
        "conventions": [
            {"code": CONVENTION, "nom": "CTG calendrier", "date_debut": "2025-01-01", "date_fin": "2025-04-11"}
        ],
        "signataires": [{"convention": CONVENTION, "organisation": "caf"}],
        "perimetre": [{"convention": CONVENTION, "code_insee": "65286"}],
        "orientations": [
            {"convention": CONVENTION, "code": "E1", "parent": "", "domaine": "", "intitule": "Enjeu"},
            {"convention": CONVENTION, "code": "O1", "parent": "E1", "domaine": "logement", "intitule": "Loger"},
            {"convention": CONVENTION, "code": "O2", "parent": "E1", "domaine": "jeunesse", "intitule": "Jeunes"},
        ],
        "actions": [
            # Logement: progress (20×3 + 100)/4 = 40, expected (50×3 + 50)/4 = 50: 10 points, on time.
            action("L1", "logement", "en_cours", "20", "3", "2025-02-10", "2025-03-02", "O1"),  # half-way: 50
            action("L2", "logement", "realisee", orientation="O1"),  # no dates: the convention's, 50
            action("L3", "logement", "abandonnee", "0", "5", "2024-01-01", "2025-01-31", "O1"),  # left out
            action("L4", "logement", "", "", "5", "2024-01-01", "2025-01-31", "O1"),  # non renseignée: out
            # Petite enfance: 35 for 50 expected, exactly 15 points: not behind.
            action("PE1", "petite_enfance", "en_cours", "35", orientation="E1"),
            # Jeunesse: (35×9 + 34)/10 = 34.9 for 50 expected, 15.1 points: behind.
            action("J1", "jeunesse", "en_cours", "35", "9", orientation="O2"),
            action("J2", "jeunesse", "en_cours", "34", "1", orientation="O2"),
            # Parentalité: (0 + 50)/2 = 25 for (0 + 100)/2 = 50: behind.
            action("P1", "parentalite", "a_venir", "", "", "2025-03-01", "2025-04-01"),  # not started: 0
            action("P2", "parentalite", "en_cours", "", "", "2024-06-01", "2025-01-31"),  # ended: 100
            # Santé: 100 for 50/70 of the way (only an end date: the convention's start).
            action("S1", "sante", "realisee", end="2025-03-12"),
        ],
    }


def loaded(engine, tmp_path) -> int:
    assert load_folder(write_folder(tmp_path / "cal", calendar_plan()), actor="test", engine=engine).ok
    with Session(engine) as session:
        return session.exec(select(m.Convention.id).where(m.Convention.code == CONVENTION)).one()


SANTE = 100 * 50 / 70


def test_each_domain_and_the_convention_get_their_expected_progress(engine, tmp_path):
    summary = steering_summary(engine, Filters(convention_id=loaded(engine, tmp_path)), TODAY)
    domains = summary["domains"].set_index("domain_code")
    expected = {
        "logement": (40, 50, False),
        "petite_enfance": (35, 50, False),
        "jeunesse": (34.9, 50, True),
        "parentalite": (25, 50, True),
        "sante": (100, SANTE, False),
    }
    for code, (progress, attendu, behind) in expected.items():
        assert domains.loc[code, "progress"] == pytest.approx(progress), code
        assert domains.loc[code, "expected"] == pytest.approx(attendu), code
        assert bool(domains.loc[code, "behind"]) is behind, code
    assert pd.isna(domains.loc["enfance", "expected"]) and not domains.loc["enfance", "behind"]  # no action

    # The convention: every action that counts, weights 3,1,1,9,1,1,1,1 (18).
    convention = summary["convention"].iloc[0]
    assert convention["progress"] == pytest.approx((60 + 100 + 35 + 315 + 34 + 0 + 50 + 100) / 18)
    assert convention["expected"] == pytest.approx((150 + 50 + 50 + 450 + 50 + 0 + 100 + SANTE) / 18)
    assert not convention["behind"]  # 51.2 expected, 38.6 done: 12.6 points


def test_the_threshold_is_a_setting(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("CTG_BEHIND_SCHEDULE_POINTS", "10")
    summary = steering_summary(engine, Filters(convention_id=loaded(engine, tmp_path)), TODAY)
    behind = summary["domains"].set_index("domain_code")["behind"]
    assert bool(behind["petite_enfance"]) and not bool(behind["logement"])  # 15 > 10; 10 is not > 10


def test_every_level_of_the_plan_gets_its_expected_progress(engine, tmp_path):
    frame = plan_frame(engine, Filters(convention_id=loaded(engine, tmp_path)), TODAY)
    levels = frame[frame["kind"] != "action"].set_index("title")
    # E1 holds L1, L2, J1, J2 and PE1: (60 + 100 + 315 + 34 + 35)/15 for (150 + 50 + 450 + 50 + 50)/15.
    enjeu = levels.loc["Enjeu"]
    assert enjeu["progress"] == pytest.approx(544 / 15) and enjeu["expected"] == pytest.approx(50)
    assert not enjeu["behind"]  # 13.7 points
    assert levels.loc["Loger", "expected"] == pytest.approx(50) and not levels.loc["Loger", "behind"]
    assert levels.loc["Jeunes", "expected"] == pytest.approx(50) and levels.loc["Jeunes", "behind"]
    loose = levels.loc["Actions hors orientation"]  # P1, P2, S1
    assert loose["progress"] == pytest.approx(50) and loose["expected"] == pytest.approx((0 + 100 + SANTE) / 3)
    assert not loose["behind"]
    fiches = frame[frame["kind"] == "action"].set_index("code")
    assert fiches.loc["L1", "expected"] == pytest.approx(50) and fiches.loc["P2", "expected"] == pytest.approx(100)


# ------------------------------------------------------------------ the overview, on the demo

SEED = ROOT / "seeds" / "lourdes-2023"
DEMO_TODAY = date(2026, 11, 26)


def seed(sheet: str) -> list[dict]:
    with open(SEED / f"{sheet}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def demo_expected_line() -> str:
    """The overview's line, recomputed from the seed's actions and convention by the rule."""
    convention = seed("conventions")[0]
    ends = [row["date_fin"] for row in seed("avenants") if row["date_fin"]]  # an avenant may move the end
    c_start = date.fromisoformat(convention["date_debut"])
    c_end = date.fromisoformat(ends[-1] if ends else convention["date_fin"])
    actions = seed("actions")
    assert all(r["statut"] for r in actions)  # no non renseignée in the demo: only abandonnées are left out
    parts = []
    for code, label, *_ in DOMAINS:  # in their position order
        counted = [r for r in actions if r["domaine"] == code and r["statut"] != "abandonnee"]
        if not counted:
            continue
        weights = [Decimal(r["poids"] or 1) for r in counted]
        done = sum(w * by_hand_progress(r) for w, r in zip(weights, counted, strict=True)) / sum(weights)
        due = sum(
            w * Decimal(str(by_hand_expected(r, c_start, c_end))) for w, r in zip(weights, counted, strict=True)
        ) / sum(weights)
        if due - done > 15:
            parts.append(f"{label} ({round(done)}\u202f% pour {round(due)}\u202f% attendus)")
    return (
        f"En retard sur le calendrier : {', '.join(parts)}."
        if parts
        else "Aucun domaine en retard de plus de 15 points sur le calendrier."
    )


def by_hand_progress(row) -> int:
    if row["statut"] == "realisee":
        return 100
    if row["avancement"]:
        return int(row["avancement"])
    return {"a_venir": 0, "en_cours": 50, "en_pause": 50}[row["statut"]]


def by_hand_expected(row, c_start: date, c_end: date) -> float:
    start = date.fromisoformat(row["date_debut"]) if row["date_debut"] else c_start
    end = date.fromisoformat(row["date_fin"]) if row["date_fin"] else c_end
    if end <= DEMO_TODAY:
        return 100
    if start >= DEMO_TODAY:
        return 0
    return 100 * (DEMO_TODAY - start).days / (end - start).days


def test_the_overview_says_in_one_line_which_domains_are_behind(demo_app):
    at = sign_in(AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60))
    at.run()
    assert not at.exception
    line = demo_expected_line()
    shown = [element.value for element in [*at.warning, *at.info] if "calendrier" in element.value]
    assert shown == [line]
