"""The demo convention: loads cleanly on both databases and keeps the press release's facts."""

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.integrity import violations
from ctg_data.interchange import load_folder

SEED = Path(__file__).resolve().parent.parent / "seeds" / "lourdes-2023"
PRESS_RELEASE = Path(__file__).resolve().parents[2] / "shared" / "seed" / "ctg-lourdes-2023-communique.txt"


def rows(sheet: str) -> list[dict]:
    with open(SEED / f"{sheet}.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def demo(engine):
    report = load_folder(SEED, actor="test", engine=engine)
    assert report.ok, [str(e) for e in report.errors]
    return engine


def test_the_demo_loads_without_breaking_any_integrity_rule(demo):
    with Session(demo) as session:
        assert violations(session) == []


def test_the_demo_convention_is_the_one_signed_on_30_may_2023_for_four_years(demo):
    with Session(demo) as session:
        convention = session.exec(select(m.Convention)).one()
    assert convention.name == "CTG Tarbes Lourdes Pyrénées Sud"
    assert convention.signed_on == date(2023, 5, 30)
    assert (convention.ends_on - convention.starts_on).days + 1 in (1461, 1462)  # four years


def test_every_representative_of_the_press_release_signs(demo):
    text = PRESS_RELEASE.read_text(encoding="utf-8").replace("- ", "-")
    people = ["Thierry Lavit", "Sylvie Mazurek", "Odette Menvielle-Larrousse", "Ange Mur", "Christian Gélis",
              "Bertrand Perriot-Bocquel", "Marc Begorre", "Jacques Baby", "Gaby Laquet", "Etienne Ducongé"]
    assert all(person in text for person in people)
    with Session(demo) as session:
        representatives = " ; ".join(r or "" for r in session.exec(select(m.Signatory.representative)).all())
    for person in people:
        assert person in representatives


def test_the_demo_covers_all_ten_domains_with_actions_and_indicators(demo):
    action_domains = {row["domaine"] for row in rows("actions")}
    indicator_domains = {row["domaine"] for row in rows("indicateurs")}
    assert len(action_domains) == 10 and len(indicator_domains) == 10
    with Session(demo) as session:
        assert len(session.exec(select(m.Action)).all()) == len(rows("actions")) >= 30
        assert len(session.exec(select(m.Indicator)).all()) == len(rows("indicateurs")) >= 30
        assert session.exec(select(m.Indicator).where(m.Indicator.code == "TX-COUV-PE")).one()


def test_the_demo_has_late_done_and_exactly_one_abandoned_action():
    today = date(2026, 11, 26)
    statuses = [row["statut"] for row in rows("actions")]
    late = [row for row in rows("actions") if row["date_fin"] and date.fromisoformat(row["date_fin"]) < today
            and row["statut"] not in ("realisee", "abandonnee")]
    assert statuses.count("abandonnee") == 1
    assert statuses.count("realisee") >= 3
    assert len(late) >= 5
