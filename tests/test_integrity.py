"""`ctg check`'s rules find what single-row constraints cannot see."""

from datetime import date
from pathlib import Path

from sqlmodel import Session

from ctg_data import models as m
from ctg_data.interchange import load_folder
from ctg_data.reports.integrity import violations
from tests.csv_folder import minimal_convention, write_folder


def test_a_clean_convention_breaks_no_rule(engine, tmp_path):
    assert load_folder(write_folder(tmp_path / "f", minimal_convention()), actor="t", engine=engine).ok
    with Session(engine) as session:
        assert violations(session) == []


def test_a_funding_line_pointing_at_another_conventions_facility_is_reported(engine, tmp_path):
    assert load_folder(write_folder(tmp_path / "f", minimal_convention()), actor="t", engine=engine).ok
    with Session(engine) as session:
        other = m.Convention(code="autre", name="Autre", starts_on=date(2023, 1, 1), ends_on=date(2026, 12, 31))
        session.add(other)
        session.flush()
        line = session.get(m.FundingLine, 1)
        line.convention_id = other.id
        session.commit()
        found = violations(session)
    assert [v.rule for v in found] == ["Financement lié à un équipement, une action ou un poste d'une autre convention"]
    assert found[0].detail == "autre / bonus_territoire / 2024"


def test_a_realisee_action_below_100_percent_is_reported(engine, tmp_path):
    # Every writer refuses it now (forms, referentials, import): such a row predates the rule.
    assert load_folder(write_folder(tmp_path / "f", minimal_convention()), actor="t", engine=engine).ok
    with Session(engine) as session:
        action = session.get(m.Action, 1)
        assert action.progress == 40
        action.status = "realisee"
        session.commit()
        assert [v.detail for v in violations(session)] == ["ctg-t / PE-1"]


def test_a_facility_outside_its_conventions_perimeter_is_a_warning(engine, tmp_path):
    sheets = minimal_convention()
    sheets["communes"].append(
        {"code_insee": "65440", "nom": "Tarbes", "population": "", "enfants_moins_3_ans": "", "qpv": ""}
    )
    sheets["equipements"][0]["code_insee"] = "65440"  # perimeter: 65286 only
    assert load_folder(write_folder(tmp_path / "f", sheets), actor="t", engine=engine).ok
    with Session(engine) as session:
        found = violations(session)
        assert [(v.rule, v.detail, v.warning) for v in found] == [
            (
                "Équipement hors du périmètre de sa convention (avertissement)",
                "équipement EAJE1 à Tarbes, hors du périmètre de la convention ctg-t",
                True,
            )
        ]
        session.add(m.Perimeter(convention_id=session.get_one(m.Facility, 1).convention_id, insee_code="65440"))
        session.commit()
        assert violations(session) == []


def test_the_controls_page_shows_warnings_apart_from_broken_rules(sqlite_url, tmp_path, monkeypatch, signed_in):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from ctg_data.db import engine_for, make_engine

    sheets = minimal_convention()
    sheets["communes"].append(
        {"code_insee": "65440", "nom": "Tarbes", "population": "", "enfants_moins_3_ans": "", "qpv": ""}
    )
    sheets["equipements"][0]["code_insee"] = "65440"
    engine = make_engine(sqlite_url)
    assert load_folder(write_folder(tmp_path / "f", sheets), actor="t", engine=engine).ok
    engine.dispose()
    monkeypatch.setenv("CTG_DATABASE_URL", sqlite_url)
    engine_for.cache_clear()
    st.cache_data.clear()  # the app's engine and reads are cached per process: start from this database
    st.cache_resource.clear()
    page = str(Path(__file__).resolve().parent.parent / "pages" / "controles.py")
    at = signed_in(AppTest.from_file(page, default_timeout=30)).run()
    at.main.button[0].click().run()  # « Lancer les contrôles »: the checks run on demand
    assert not at.exception
    assert [s.value for s in at.success] == ["Aucune règle d'intégrité enfreinte."]
    assert at.warning[0].value.startswith("1 point(s) à vérifier, sans erreur")
    warnings = at.dataframe[0].value
    assert list(warnings.columns) == ["Avertissement", "Enregistrement"]
    assert list(warnings["Enregistrement"]) == ["équipement EAJE1 à Tarbes, hors du périmètre de la convention ctg-t"]
    engine_for.cache_clear()
