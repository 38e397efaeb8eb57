"""Meetings, participants and decisions in the interchange format (sheets reunions, participants,
decisions): the forms' rules, a past meeting closed at load freezes its snapshot at its date, a
stored closed meeting never changes through an import, and only meeting writers import them."""

import json
from datetime import date

from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.actors import Actor, Role
from ctg_data.interchange import load_folder
from ctg_data.interchange.importer import import_tables
from ctg_data.interchange.rights import Rights
from ctg_data.interchange.tables import read_csv_folder
from tests.csv_folder import write_folder
from tests.test_format_v2_roundtrip import C, tarn_convention


def _load(engine, tmp_path, sheets, name="f"):
    return load_folder(write_folder(tmp_path / name, sheets), actor="test", engine=engine)


def _errors(report):
    return [str(error) for error in report.errors]


def test_a_closed_past_meeting_freezes_its_snapshot_at_its_date(engine, tmp_path):
    report = _load(engine, tmp_path, tarn_convention())
    assert report.ok, _errors(report)
    with Session(engine) as session:
        frozen = session.exec(select(m.Snapshot)).all()
        meetings = session.exec(select(m.Meeting).order_by(m.Meeting.id)).all()
    assert [x.status for x in meetings] == ["close", "prevue"]
    assert len(frozen) == 1 and frozen[0].meeting_id == meetings[0].id
    assert frozen[0].as_of == date(2024, 6, 18)
    document = json.loads(frozen[0].payload)
    indicators = {row["code"]: row for row in document["indicators"]}
    # The file's own rows, not yet committed when frozen; FAMILLES' only value is of 2024-12-31,
    # after the meeting: none at its date.
    assert set(indicators) == {"OUTIL", "FAMILLES"}
    assert indicators["FAMILLES"]["current_value"] is None


def test_a_stored_closed_meeting_is_never_changed_by_an_import(engine, tmp_path):
    assert _load(engine, tmp_path, tarn_convention()).ok
    sheets = tarn_convention()
    sheets["reunions"][0]["compte_rendu"] = "Un autre compte rendu"
    report = _load(engine, tmp_path, sheets, "changed")
    assert any("la réunion n° 1 du 18/06/2024 est close" in error for error in _errors(report)), _errors(report)
    sheets = tarn_convention()
    sheets["participants"].append({"convention": C, "reunion": "1", "organisation": "ft81"})
    assert any("ses participants ne changent plus" in e for e in _errors(_load(engine, tmp_path, sheets, "p")))
    sheets = tarn_convention()
    sheets["decisions"].append({"convention": C, "reunion": "1", "numero": "3", "texte": "Une de plus"})
    assert any("seul le statut" in e for e in _errors(_load(engine, tmp_path, sheets, "d")))
    # Its decisions' follow-up goes on, as in the forms: a status alone may change.
    sheets = tarn_convention()
    sheets["decisions"][1]["statut"] = "fait"
    report = _load(engine, tmp_path, sheets, "status")
    assert report.ok, _errors(report)
    assert report.counts["decisions"]["updated"] == 1
    with Session(engine) as session:
        assert len(session.exec(select(m.Snapshot)).all()) == 1  # never frozen again


def test_rows_follow_the_forms_rules(engine, tmp_path):
    sheets = tarn_convention()
    sheets["reunions"][1]["theme"] = ""  # a thematic committee says its theme
    sheets["decisions"][1]["numero"] = "4"  # decisions are numbered 1, 2, 3… in their meeting
    sheets["participants"].append({"convention": C, "reunion": "7", "organisation": "albi"})
    report = _load(engine, tmp_path, sheets)
    errors = _errors(report)
    assert any("un comité thématique dit son thème" in e for e in errors), errors
    assert any("la prochaine décision de cette réunion porte le n° 1" in e for e in errors), errors
    assert any("réunion n° 7 inconnue" in e for e in errors), errors


def test_only_meeting_writers_import_meetings(engine, tmp_path):
    assert _load(engine, tmp_path, tarn_convention()).ok
    sheets = {"reunions": [{"convention": C, "numero": "3", "type": "cotech", "date": "2026-05-01"}]}
    tables = read_csv_folder(write_folder(tmp_path / "more", sheets))
    allowed = import_tables(engine, Actor(email="admin@test", role=Role.ADMIN), tables, dry_run=True)
    assert allowed.ok and allowed.counts["reunions"]["created"] == 1, _errors(allowed)
    with Session(engine) as session:
        convention_id = session.exec(select(m.Convention.id).where(m.Convention.code == C)).one()
        partner = Actor(email="p@test", role=Role.PARTENAIRE)
        for sheet in ("reunions", "participants", "decisions"):
            assert Rights(session, partner).refusal(sheet, None, {"convention_id": convention_id}, set())
