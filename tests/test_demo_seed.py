"""The demo convention: loads cleanly on both databases and keeps the public facts of its signing
(tests/fixtures/lourdes-2023-faits.toml)."""

import csv
import tomllib
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.db import make_engine
from ctg_data.interchange import load_folder
from ctg_data.reports.integrity import violations
from tests.conftest import drop_postgres_database, fresh_postgres_url, fresh_sqlite_url

SEED = Path(__file__).resolve().parent.parent / "seeds" / "lourdes-2023"
# The public facts of the signing, in the project's own words: nothing outside the repository is read.
FACTS_FILE = Path(__file__).resolve().parent / "fixtures" / "lourdes-2023-faits.toml"
FACTS = tomllib.loads(FACTS_FILE.read_text(encoding="utf-8"))


def rows(sheet: str) -> list[dict]:
    with open(SEED / f"{sheet}.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def demo(request, tmp_path_factory):
    """The demo loaded once per database for this module, which only reads it."""
    if request.param == "sqlite":
        url = fresh_sqlite_url(request.getfixturevalue("sqlite_template"), tmp_path_factory.mktemp("demo-seed"))
    else:
        url = fresh_postgres_url(
            request.getfixturevalue("postgres_base_url"), request.getfixturevalue("postgres_template")
        )
    engine = make_engine(url)
    report = load_folder(SEED, actor="test", engine=engine)
    assert report.ok, [str(e) for e in report.errors]
    yield engine
    engine.dispose()
    if request.param == "postgresql":
        drop_postgres_database(url)


def test_the_demo_loads_without_breaking_any_integrity_rule(demo):
    with Session(demo) as session:
        assert violations(session) == []


def _signatories(session) -> dict[str, m.Signatory]:
    pairs = session.exec(
        select(m.Organisation.code, m.Signatory).join(m.Signatory, m.Signatory.organisation_id == m.Organisation.id)
    ).all()
    return {code: signatory for code, signatory in pairs}


def test_the_signatories_are_exactly_the_eight_organisations_of_the_signing(demo):
    expected = {entry["organisation"] for entry in FACTS["signataires"]}
    assert len(expected) == 8
    with Session(demo) as session:
        assert set(_signatories(session)) == expected


def test_each_signatory_is_represented_by_the_people_who_signed_for_it(demo):
    with Session(demo) as session:
        signatories = _signatories(session)
    for entry in FACTS["signataires"]:
        signatory = signatories[entry["organisation"]]
        names = [name.strip() for name in (signatory.representative or "").split(";")]
        assert names == entry["representants"], entry["organisation"]
        capacities = [part.strip() for part in (signatory.capacity or "").split(";")]
        assert len(capacities) == len(names), entry["organisation"]  # one capacity per person, same order
        for principal in entry["au_nom_de"]:
            assert principal in (signatory.capacity or ""), (entry["organisation"], principal)


def test_the_convention_was_signed_on_the_announced_day_for_the_announced_duration(demo):
    convention_facts = FACTS["convention"]
    with Session(demo) as session:
        convention = session.exec(select(m.Convention)).one()
    assert convention.name == convention_facts["nom"]
    assert convention.signed_on == convention_facts["signee_le"]
    start = convention.starts_on
    years = convention_facts["duree_annees"]
    assert convention.ends_on == date(start.year + years, start.month, start.day) - timedelta(days=1)


def test_actions_and_indicators_cover_every_announced_domain(demo):
    with Session(demo) as session:
        action_domains = set(session.exec(select(m.Action.domain_code)).all())
        indicator_domains = set(session.exec(select(m.Indicator.domain_code)).all())
    announced = set(FACTS["domaines"]["codes"])
    assert len(announced) == 10
    assert announced <= action_domains and announced <= indicator_domains


def test_the_caf_funds_both_announced_levers(demo):
    caf = FACTS["bonus"]["financeur"]
    with Session(demo) as session:
        caf_levers = set(
            session.exec(
                select(m.FundingLine.lever_code)
                .join(m.Organisation, m.Organisation.id == m.FundingLine.funder_id)
                .where(m.Organisation.code == caf)
            ).all()
        )
    for lever in FACTS["leviers_caf"]:
        assert caf_levers & set(lever["codes"]), lever["libelle"]


def test_the_bonus_reaches_every_kind_of_facility_the_signing_named(demo):
    with Session(demo) as session:
        types = set(
            session.exec(
                select(m.Facility.type)
                .join(m.FundingLine, m.FundingLine.facility_id == m.Facility.id)
                .where(m.FundingLine.lever_code == "bonus_territoire")
            ).all()
        )
    assert set(FACTS["bonus"]["types_equipements_cites"]) <= types


def test_a_cooperation_officer_post_runs_the_technical_committee(demo):
    with Session(demo) as session:
        titles = session.exec(select(m.CoordinationPost.title)).all()
    assert any(FACTS["gouvernance"]["poste_de_cooperation"] in title.lower() for title in titles)


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
    late = [
        row
        for row in rows("actions")
        if row["date_fin"]
        and date.fromisoformat(row["date_fin"]) < today
        and row["statut"] not in ("realisee", "abandonnee")
    ]
    assert statuses.count("abandonnee") == 1
    assert statuses.count("realisee") >= 3
    assert len(late) >= 5
