"""`ctg check`'s rules find what single-row constraints cannot see."""

from datetime import date

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
    assert [v.rule for v in found] == [
        "Financement lié à un équipement, une action ou un poste d'une autre convention"]
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
