"""Commune figures per year (`communes.annee_donnees`): a new year is added beside the others,
never overwriting one; the same year with other figures is a change to shared data (refused,
unless an administrator asks to update shared referentials: each change is listed); a row without
a year is a format v1 row, its figures on the commune itself."""

from datetime import date
from pathlib import Path

from sqlmodel import Session, col, select

from ctg_data import models as m
from ctg_data.actors import Actor, Role
from ctg_data.db import for_writing
from ctg_data.interchange.export import export_rows
from ctg_data.interchange.loader import load_tables
from ctg_data.interchange.tables import read_csv_folder
from ctg_data.interchange.workbook import read_workbook, write_workbook
from ctg_data.queries.conventions import convention_card
from tests.csv_folder import write_folder

ADMIN = Actor(email="admin@test", role=Role.ADMIN)
ADVISOR = Actor(email="conseillere@caf81.test", role=Role.CONSEILLER)
KEPT = ": les données partagées ne sont pas modifiées par un import"


def albi(year: str, population: str, children: str = "", qpv: str = "") -> dict[str, str]:
    return {
        "code_insee": "81004",
        "nom": "Albi",
        "population": population,
        "enfants_moins_3_ans": children,
        "qpv": qpv,
        "annee_donnees": year,
    }


def convention() -> dict[str, list[dict]]:
    return {
        "organisations": [{"code": "caf81", "nom": "CAF du Tarn", "type": "caf"}],
        "conventions": [{"code": "ctg-tarn", "nom": "CTG Tarn", "date_debut": "2023", "date_fin": "2026"}],
        "perimetre": [
            {"convention": "ctg-tarn", "code_insee": "81004"},
            {"convention": "ctg-tarn", "code_insee": "81060"},
        ],
    }


def load(engine, folder: Path, sheets: dict[str, list[dict]], actor: Actor | None = None, shared_updates=False):
    tables = read_csv_folder(write_folder(folder, sheets))
    with Session(for_writing(engine)) as session:
        report = load_tables(
            session,
            tables,
            actor="test" if actor is None else actor.label,
            rights=actor,
            shared_updates=shared_updates,
        )
        if report.ok:
            session.commit()
    return report


def years(engine) -> dict[int, tuple]:
    with Session(engine) as session:
        rows = session.exec(select(m.CommuneFigures).order_by(col(m.CommuneFigures.year))).all()
    return {f.year: (f.insee_code, f.population, f.children_under_3, f.qpv) for f in rows}


def test_figures_of_2019_and_2021_are_kept_side_by_side(engine, tmp_path):
    assert load(engine, tmp_path / "a", {"communes": [albi("2019", "49 236", "1410", "oui")]}).ok
    report = load(engine, tmp_path / "b", {"communes": [albi("2021", "48970", "1380", "oui")]}, ADMIN)
    assert report.ok, report.errors
    assert dict(report.counts["communes"]) == {"created": 1} and report.changes == []
    assert years(engine) == {2019: ("81004", 49236, 1410, True), 2021: ("81004", 48970, 1380, True)}
    with Session(engine) as session:
        commune = session.get_one(m.Commune, "81004")
    assert (commune.name, commune.population, commune.children_under_3) == ("Albi", None, None)


def test_the_same_year_again_changes_nothing(engine, tmp_path):
    rows = {"communes": [albi("2019", "49236"), albi("2021", "48970")]}
    assert load(engine, tmp_path / "a", rows).ok
    again = load(engine, tmp_path / "a", rows, ADMIN)
    assert again.ok and not again.changed
    assert dict(again.counts["communes"]) == {"unchanged": 2}


def test_the_same_year_with_other_figures_is_refused_for_an_advisor_and_an_admin_without_request(engine, tmp_path):
    assert load(engine, tmp_path / "a", {"communes": [albi("2021", "48970", "1380")]}).ok
    other = {"communes": [albi("2021", "49100", "1380")]}
    advisor = load(engine, tmp_path / "b", other, ADVISOR)
    assert not advisor.ok and "ne permet pas de modifier les référentiels" in advisor.errors[0].message
    admin = load(engine, tmp_path / "c", other, ADMIN)
    assert [(e.column, e.message) for e in admin.errors] == [
        (
            "population",
            "la commune 81004 (données 2021) a pour population « 48970 » dans la base ; "
            f"le fichier dit « 49100 » {KEPT}",
        )
    ]
    assert years(engine) == {2021: ("81004", 48970, 1380, None)}


def test_an_administrator_with_shared_updates_changes_a_year_each_change_listed_and_audited(engine, tmp_path):
    assert load(engine, tmp_path / "a", {"communes": [albi("2019", "49236"), albi("2021", "48970", "1380")]}).ok
    other = {"communes": [albi("2021", "49100", "1400")]}
    report = load(engine, tmp_path / "b", other, ADMIN, shared_updates=True)
    assert report.ok, report.errors
    assert report.changes == [
        "commune 81004 (données 2021) : population « 48970 » → « 49100 »",
        "commune 81004 (données 2021) : enfants de moins de 3 ans « 1380 » → « 1400 »",
    ]
    assert years(engine) == {2019: ("81004", 49236, None, None), 2021: ("81004", 49100, 1400, None)}
    with Session(engine) as session:
        event = session.exec(
            select(m.AuditEvent).where(
                m.AuditEvent.table_name == "commune_figures", m.AuditEvent.operation == "import:modification"
            )
        ).one()
    assert event.record_key == "81004/2021" and "référentiels partagés" in event.reason


def test_a_dated_row_still_may_not_rename_the_commune(engine, tmp_path):
    assert load(engine, tmp_path / "a", {"communes": [albi("2019", "49236")]}).ok
    report = load(engine, tmp_path / "b", {"communes": [albi("2021", "48970") | {"nom": "Albi-Ville"}]}, ADMIN)
    assert [e.message for e in report.errors] == [
        f"la commune 81004 (données 2021) s'appelle « Albi » dans la base ; le fichier dit « Albi-Ville » {KEPT}"
    ]
    assert years(engine) == {2019: ("81004", 49236, None, None)}


def test_a_v1_communes_file_still_loads_its_figures_on_the_commune(engine, tmp_path):
    v1 = {"communes": [{"code_insee": "81004", "nom": "Albi", "population": "48970", "enfants_moins_3_ans": "1380"}]}
    report = load(engine, tmp_path / "a", v1)
    assert report.ok, report.errors
    with Session(engine) as session:
        commune = session.get_one(m.Commune, "81004")
    assert (commune.population, commune.children_under_3) == (48970, 1380)
    assert years(engine) == {}


def test_views_show_the_latest_years_figures_with_their_year(engine, tmp_path):
    communes = [
        albi("2019", "49236", "1410"),
        albi("2021", "48970", "1380"),
        {"code_insee": "81060", "nom": "Castres", "population": "41500", "annee_donnees": ""},
    ]
    assert load(engine, tmp_path / "a", {"communes": communes} | convention()).ok
    with Session(engine) as session:
        cid = session.exec(select(m.Convention.id)).one()
    card = convention_card(engine, cid)
    by_code = {c["insee_code"]: (c["population"], c["children_under_3"], c["figures_year"]) for c in card["communes"]}
    assert by_code == {"81004": (48970, 1380, 2021), "81060": (41500, None, None)}


def test_the_export_writes_a_row_per_year_and_reimports_identically(engine, tmp_path):
    communes = [
        albi("2019", "49236", "1410", "oui"),
        albi("2021", "48970", "1380", "oui"),
        {"code_insee": "81060", "nom": "Castres", "population": "41500", "annee_donnees": ""},
        {"code_insee": "81060", "nom": "Castres", "population": "41200", "annee_donnees": "2020"},
    ]
    assert load(engine, tmp_path / "a", {"communes": communes} | convention()).ok
    with Session(engine) as session:
        rows = export_rows(session, convention_code="ctg-tarn")
    # Albi has dated figures only: no undated row; Castres has both.
    assert rows["communes"] == [
        ("81004", "Albi", 49236, 1410, "oui", 2019),
        ("81004", "Albi", 48970, 1380, "oui", 2021),
        ("81060", "Castres", 41500, None, None, None),
        ("81060", "Castres", 41200, None, None, 2020),
    ]
    with Session(for_writing(engine)) as session:  # empty the database of what the export holds
        session.delete(session.exec(select(m.Convention)).one())
        for model in (m.CommuneFigures, m.Commune):
            for record in session.exec(select(model)):
                session.delete(record)
        session.commit()
    with Session(for_writing(engine)) as session:
        report = load_tables(session, read_workbook(write_workbook(rows)), actor="test")
        assert report.ok, report.errors
        session.commit()
    with Session(engine) as session:
        assert export_rows(session, convention_code="ctg-tarn") == rows
        assert session.get_one(m.Commune, "81004").population is None  # dated figures stay dated
        assert session.exec(select(m.Convention.starts_on)).one() == date(2023, 1, 1)
