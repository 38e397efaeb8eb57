"""Avenants: a convention's dates change only through one — by import (sheet `avenants`) or by the
« Avenants » form — which is kept and audited; a re-import that moves `date_fin` without an
avenant is refused, `date_debut` never changes by import, and the same file twice changes nothing."""

import json
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from ctg_data import models as m
from ctg_data.actors import Actor, Role
from ctg_data.db import for_writing
from ctg_data.errors import PermissionDenied, ValidationError
from ctg_data.interchange.export import export_rows
from ctg_data.interchange.loader import load_tables
from ctg_data.interchange.tables import read_csv_folder
from ctg_data.queries.conventions import convention_card
from ctg_data.services.amendments import add_amendment, may_add_amendment, next_number
from tests.csv_folder import write_folder

ADMIN = Actor(email="admin@test", role=Role.ADMIN)
ADVISOR = Actor(email="conseillere@caf81.test", role=Role.CONSEILLER)
MOVED = "la date de fin d'une convention ne change que par un avenant : ajoutez une ligne à la feuille avenants"


def tarn(**convention: str) -> dict[str, list[dict]]:
    """A Tarn-like convention as CTGs publish it: « 2023-2026 », years for dates."""
    return {
        "organisations": [{"code": "caf81", "nom": "CAF du Tarn", "type": "caf"}],
        "communes": [{"code_insee": "81004", "nom": "Albi"}],
        "conventions": [
            {
                "code": "ctg-tarn",
                "nom": "CTG Tarn Sud",
                "departement": "Tarn",
                "caf": "caf81",
                "date_debut": "2023",
                "date_fin": "2026",
            }
            | convention
        ],
        "perimetre": [{"convention": "ctg-tarn", "code_insee": "81004"}],
    }


EXTENSION = {
    "convention": "ctg-tarn",
    "numero": "1",
    "date_signature": "2026-06-15",
    "objet": "Prolongation d'un an",
    "date_fin": "2027",
}


def load(engine, folder: Path, sheets: dict[str, list[dict]], actor: Actor | None = None):
    """Load a folder in one transaction, committed only when the report is ok."""
    tables = read_csv_folder(write_folder(folder, sheets))
    with Session(for_writing(engine)) as session:
        report = load_tables(session, tables, actor="test" if actor is None else actor.label, rights=actor)
        if report.ok:
            session.commit()
    return report


def stored(engine) -> tuple[m.Convention, list[m.Amendment]]:
    with Session(engine) as session:
        convention = session.exec(select(m.Convention)).one()
        amendments = list(session.exec(select(m.Amendment).order_by(col(m.Amendment.number))))
        return convention, amendments


def date_events(engine) -> list[m.AuditEvent]:
    """The audit events that changed a convention's end date."""
    with Session(engine) as session:
        events = session.exec(
            select(m.AuditEvent).where(m.AuditEvent.table_name == "conventions").order_by(col(m.AuditEvent.id))
        ).all()
    return [e for e in events if e.before and json.loads(e.before)["ends_on"] != json.loads(e.after)["ends_on"]]


def test_a_convention_published_as_2023_2026_is_created_with_its_dates_and_department(engine, tmp_path):
    report = load(engine, tmp_path / "a", tarn())
    assert report.ok, report.errors
    convention, amendments = stored(engine)
    assert (convention.starts_on, convention.ends_on) == (date(2023, 1, 1), date(2026, 12, 31))
    assert convention.department == "Tarn" and amendments == []


def test_a_reimport_moving_date_fin_without_an_avenant_is_refused(engine, tmp_path):
    assert load(engine, tmp_path / "a", tarn()).ok
    report = load(engine, tmp_path / "b", tarn(date_fin="2027"))
    assert [(e.line, e.column, e.message) for e in report.errors] == [(2, "date_fin", MOVED)]
    assert stored(engine)[0].ends_on == date(2026, 12, 31)


def test_an_avenant_row_in_the_same_file_moves_date_fin_kept_and_audited(engine, tmp_path):
    assert load(engine, tmp_path / "a", tarn()).ok
    sheets = tarn(date_fin="2027") | {"avenants": [EXTENSION]}
    report = load(engine, tmp_path / "b", sheets, ADMIN)
    assert report.ok, report.errors
    assert dict(report.counts["avenants"]) == {"created": 1}
    convention, amendments = stored(engine)
    assert convention.ends_on == date(2027, 12, 31)
    assert [(a.number, a.signed_on, a.subject, a.ends_on) for a in amendments] == [
        (1, date(2026, 6, 15), "Prolongation d'un an", date(2027, 12, 31))
    ]
    [event] = date_events(engine)
    assert (json.loads(event.before)["ends_on"], json.loads(event.after)["ends_on"]) == ("2026-12-31", "2027-12-31")
    assert event.reason == "avenant n° 1 du 15/06/2026 : Prolongation d'un an" and event.actor == ADMIN.label

    again = load(engine, tmp_path / "b", sheets, ADMIN)  # the same file, twice
    assert again.ok and not again.changed
    assert len(date_events(engine)) == 1


def test_an_avenant_alone_moves_the_end_and_another_date_is_then_refused_naming_the_current_one(engine, tmp_path):
    assert load(engine, tmp_path / "a", tarn()).ok
    assert load(engine, tmp_path / "b", {"avenants": [EXTENSION]}).ok
    assert stored(engine)[0].ends_on == date(2027, 12, 31)
    report = load(engine, tmp_path / "c", tarn(date_fin="2029"))  # neither signed nor amended
    assert [e.message for e in report.errors] == [MOVED + " (date de fin selon l'avenant n° 1 : 31/12/2027)"]
    first_published = load(engine, tmp_path / "d", tarn())  # the signed date, kept beside the avenant
    assert first_published.ok and not first_published.changed
    assert load(engine, tmp_path / "e", tarn(date_fin="2027-12-31")).ok  # the current date: unchanged
    assert stored(engine)[0].ends_on == date(2027, 12, 31)


def test_an_avenant_without_date_fin_changes_no_date_and_the_latest_dated_one_wins(engine, tmp_path):
    assert load(engine, tmp_path / "a", tarn()).ok
    rows = [
        EXTENSION,
        EXTENSION | {"numero": "2", "date_signature": "2026-09-01", "objet": "Nouvelle fiche", "date_fin": ""},
        EXTENSION
        | {"numero": "3", "date_signature": "2027-03-01", "objet": "Seconde prolongation", "date_fin": "2028"},
    ]
    assert load(engine, tmp_path / "b", tarn(date_fin="2028") | {"avenants": rows}).ok
    convention, amendments = stored(engine)
    assert convention.ends_on == date(2028, 12, 31)
    assert [a.ends_on for a in amendments] == [date(2027, 12, 31), None, date(2028, 12, 31)]


def test_date_debut_of_a_stored_convention_never_changes_by_import(engine, tmp_path):
    assert load(engine, tmp_path / "a", tarn()).ok
    report = load(engine, tmp_path / "b", tarn(date_debut="2022-09-01"))
    assert [(e.column, e.message) for e in report.errors] == [
        (
            "date_debut",
            "la date de début d'une convention ne change pas : elle reste le 01/01/2023 (le fichier dit 01/09/2022)",
        )
    ]
    assert stored(engine)[0].starts_on == date(2023, 1, 1)


def test_an_imported_avenant_ending_before_the_start_or_numbered_zero_is_refused(engine, tmp_path):
    assert load(engine, tmp_path / "a", tarn()).ok
    early = load(engine, tmp_path / "b", {"avenants": [EXTENSION | {"date_fin": "2022-12-31"}]})
    assert [(e.column, e.message) for e in early.errors] == [
        ("date_fin", "la nouvelle date de fin précède le début de la convention (01/01/2023)")
    ]
    zero = load(engine, tmp_path / "c", {"avenants": [EXTENSION | {"numero": "0"}]})
    assert [(e.column, e.message) for e in zero.errors] == [("numero", "valeur strictement positive attendue")]
    assert stored(engine)[1] == []


def test_only_who_may_edit_the_plan_imports_an_avenant(engine, tmp_path):
    assert load(engine, tmp_path / "a", tarn()).ok
    report = load(engine, tmp_path / "b", {"avenants": [EXTENSION]}, ADVISOR)
    assert not report.ok and "ne permet pas" in report.errors[0].message
    assert stored(engine)[1] == []


# ------------------------------------------------------------------ the service behind the form


def convention_id(engine) -> int:
    return m.stored_id(stored(engine)[0])


def test_an_avenant_added_through_the_service_moves_the_end_in_one_audited_transaction(engine, tmp_path):
    assert load(engine, tmp_path / "a", tarn()).ok
    cid = convention_id(engine)
    assert next_number(engine, cid) == 1
    result = add_amendment(
        engine,
        ADMIN,
        convention_id=cid,
        number="1",
        signed_on="2026-06-15",
        subject="Prolongation",
        ends_on="2027-06-30",
    )
    assert result.moved and result.ends_on == date(2027, 6, 30)
    assert result.message == "Avenant n° 1 enregistré : la convention se termine le 30/06/2027."
    convention, [amendment] = stored(engine)
    assert convention.ends_on == date(2027, 6, 30) and amendment.subject == "Prolongation"
    [event] = date_events(engine)
    assert event.reason == "avenant n° 1 du 15/06/2026 : Prolongation" and event.operation == "saisie:dates"
    assert next_number(engine, cid) == 2
    plain = add_amendment(engine, ADMIN, convention_id=cid, number=2, signed_on="2026-09-01", subject="Nouvelle fiche")
    assert not plain.moved and stored(engine)[0].ends_on == date(2027, 6, 30)
    card = convention_card(engine, cid)
    assert [(a["number"], a["subject"], a["ends_on"]) for a in card["amendments"]] == [
        (1, "Prolongation", date(2027, 6, 30)),
        (2, "Nouvelle fiche", None),
    ]


def test_the_service_refuses_a_taken_number_and_an_end_before_the_start_writing_nothing(engine, tmp_path):
    assert load(engine, tmp_path / "a", tarn()).ok
    cid = convention_id(engine)
    add_amendment(engine, ADMIN, convention_id=cid, number=1, signed_on="2026-06-15", subject="Prolongation")
    with pytest.raises(ValidationError) as refused:
        add_amendment(
            engine, ADMIN, convention_id=cid, number=1, signed_on="2026-07-01", subject="", ends_on="2022-01-01"
        )
    assert refused.value.errors == {
        "Numéro": "l'avenant n° 1 existe déjà",
        "Objet": "champ obligatoire",
        "Nouvelle date de fin": "la nouvelle date de fin précède le début de la convention (01/01/2023)",
    }
    assert len(stored(engine)[1]) == 1


def test_an_advisor_may_not_add_an_avenant(engine, tmp_path):
    assert load(engine, tmp_path / "a", tarn()).ok
    cid = convention_id(engine)
    assert may_add_amendment(engine, ADMIN, cid) and not may_add_amendment(engine, ADVISOR, cid)
    with pytest.raises(PermissionDenied):
        add_amendment(engine, ADVISOR, convention_id=cid, number=1, signed_on="2026-06-15", subject="Prolongation")
    assert stored(engine)[1] == []


# ------------------------------------------------------------------ export


def test_the_export_carries_the_avenants_and_reimports_into_an_empty_database_identically(engine, tmp_path):
    assert load(engine, tmp_path / "a", tarn(date_fin="2027") | {"avenants": [EXTENSION]}).ok
    with Session(engine) as session:
        rows = export_rows(session, convention_code="ctg-tarn")
    assert rows["avenants"] == [("ctg-tarn", 1, date(2026, 6, 15), "Prolongation d'un an", date(2027, 12, 31))]
    [convention_row] = rows["conventions"]
    assert convention_row[3] == "Tarn" and convention_row[-1] == date(2027, 12, 31)
    # into an empty database: a second database of the same kind, emptied of the convention
    with Session(for_writing(engine)) as session:
        session.delete(session.exec(select(m.Convention)).one())
        session.commit()
    from ctg_data.interchange.workbook import read_workbook, write_workbook

    with Session(for_writing(engine)) as session:
        report = load_tables(session, read_workbook(write_workbook(rows)), actor="test")
        assert report.ok, report.errors
        session.commit()
    with Session(engine) as session:
        assert export_rows(session, convention_code="ctg-tarn") == rows


# ------------------------------------------------------------------ the pages


def run(page: str, actor: Actor):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import sign_in

    at = sign_in(
        AppTest.from_file(str(Path(__file__).resolve().parent.parent / "pages" / page), default_timeout=60), actor
    )
    at.run()
    assert not at.exception, at.exception
    return at


def test_an_admin_adds_an_avenant_in_the_referentials_page_and_the_overview_lists_it(demo_app, demo_engine):
    at = run("admin_referentiels.py", ADMIN)
    tab = next(t for t in at.tabs if t.label == "Avenants")
    assert tab.dataframe[0].value["subject"].tolist()[0].startswith("Ajout de l'outil de suivi partagé")
    assert tab.number_input[0].value == 2  # the next number is proposed
    tab.date_input[0].set_value(date(2026, 11, 20))
    tab.text_area[0].input("Prolongation de six mois")
    tab.date_input[1].set_value(date(2027, 11, 30))
    next(b for b in tab.button if b.label == "Enregistrer l'avenant").click()
    at.run()
    assert not at.exception, at.exception
    assert [s.value.replace("\\", "") for s in at.success] == [
        "Avenant n° 2 enregistré : la convention se termine le 30/11/2027."
    ]
    with Session(demo_engine) as session:
        convention = session.exec(select(m.Convention)).one()
        assert convention.ends_on == date(2027, 11, 30)

    overview = run("../dashboard.py", ADMIN)  # the overview, through the entrypoint (its links need the menu)
    assert "Avenants" in [h.value for h in overview.subheader]
    listed = next(frame.value for frame in overview.dataframe if "subject" in frame.value)
    assert listed["subject"].tolist()[1] == "Prolongation de six mois"
    assert listed["ends_on"].tolist() == ["inchangée", "30/11/2027"]
    texts = [t.value for t in overview.text]
    assert "Département : Hautes-Pyrénées" in texts
    assert any("Lourdes — population : 13" in text for text in texts), texts


def test_an_advisor_sees_no_avenants_tab(demo_app):
    at = run("admin_referentiels.py", ADVISOR)
    assert "Avenants" not in [t.label for t in at.tabs]
