"""Loading a docs/format.md folder: all or nothing, idempotent, errors that say where."""

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.interchange import FormatError, load_folder
from ctg_data.interchange.loader import LoadReport
from ctg_data.reports.integrity import table_counts
from tests.csv_folder import minimal_convention, write_folder


def counts(engine) -> dict[str, int]:
    with Session(engine) as session:
        return table_counts(session)


def load(engine, folder, sheets: dict[str, list[dict]], actor: str = "test") -> LoadReport:
    """`sheets` written as CSV files into `folder`, then loaded into `engine`."""
    return load_folder(write_folder(folder, sheets), actor=actor, engine=engine)


def test_a_valid_folder_creates_every_row(engine, tmp_path):
    sheets = minimal_convention()
    report = load(engine, tmp_path / "f", sheets)
    assert report.ok, report.errors
    for sheet, rows in sheets.items():
        assert report.counts[sheet]["created"] == len(rows), sheet
    with Session(engine) as session:
        action = session.exec(select(m.Action)).one()
        assert action.planned_budget == Decimal("1234.56")  # French number form
        assert action.weight == Decimal(2)
        partners = session.exec(select(m.ActionPartner)).all()
        assert len(partners) == 2
        values = sorted(x.value for x in session.exec(select(m.Measurement)).all())
        assert values == [52.0, 54.5]
        assert session.exec(select(m.Measurement.type)).all() == ["resultat", "resultat"]
        commune = session.get(m.Commune, "65286")
        assert commune.population == 13509 and commune.qpv is True


def test_loading_the_same_folder_twice_changes_nothing(engine, tmp_path):
    folder = write_folder(tmp_path / "f", minimal_convention())
    assert load_folder(folder, actor="test", engine=engine).ok
    first = counts(engine)
    report = load_folder(folder, actor="test", engine=engine)
    assert report.ok and not report.changed
    assert counts(engine) == first


def test_a_changed_row_updates_it_and_records_before_and_after(engine, tmp_path):
    sheets = minimal_convention()
    assert load(engine, tmp_path / "a", sheets).ok
    sheets["actions"][0] |= {"statut": "realisee", "avancement": "100"}  # réalisée ⇒ 100 %
    report = load(engine, tmp_path / "b", sheets, actor="second")
    assert report.counts["actions"]["updated"] == 1
    with Session(engine) as session:
        action = session.exec(select(m.Action)).one()
        assert action.status == "realisee" and action.version == 2
        event = session.exec(select(m.AuditEvent).where(m.AuditEvent.actor == "second")).one()
        assert '"status": "en_cours"' in event.before and '"status": "realisee"' in event.after


def test_a_different_measurement_value_supersedes_the_old_one_and_keeps_it(engine, tmp_path):
    sheets = minimal_convention()
    assert load(engine, tmp_path / "a", sheets).ok
    sheets["mesures"][1]["valeur"] = "55"
    report = load(engine, tmp_path / "b", sheets)
    assert report.counts["mesures"]["corrected"] == 1
    assert report.counts["mesures"]["unchanged"] == 1
    with Session(engine) as session:
        rows = session.exec(select(m.Measurement).where(m.Measurement.measured_on == date(2024, 12, 31))).all()
        current = [r for r in rows if r.superseded_at is None]
        old = [r for r in rows if r.superseded_at is not None]
        assert [r.value for r in current] == [55.0]
        assert [r.value for r in old] == [54.5]
        assert old[0].superseded_by_id == current[0].id


def test_a_reference_to_a_row_already_in_the_database_resolves(engine, tmp_path):
    sheets = minimal_convention()
    assert load(engine, tmp_path / "a", sheets).ok
    only_measures = {"mesures": [dict(sheets["mesures"][0], date="2025-12-31", valeur="57")]}
    report = load_folder(write_folder(tmp_path / "b", only_measures), actor="test", engine=engine)
    assert report.ok and report.counts["mesures"]["created"] == 1


BAD_CELLS = [
    ("actions", "pilote", "inconnu", "actions.csv, ligne 2, colonne « pilote » : code « inconnu » inconnu"),
    ("actions", "date_fin", "31/02/2026", "colonne « date_fin » : date « 31/02/2026 » invalide"),
    ("actions", "avancement", "beaucoup", "colonne « avancement » : nombre attendu"),
    ("actions", "avancement", "120", "hors bornes"),
    ("actions", "statut", "fini", "valeur « fini » inconnue"),
    ("financements", "montant_verse", "-5", "montant négatif"),
    ("financements", "montant_verse", "10.123", "deux décimales au plus"),
    ("mesures", "valeur", "150", "hors des bornes de l'indicateur"),
    ("equipements", "code_insee", "99999", "code « 99999 » inconnu"),
    ("orientations", "domaine", "sport", "code « sport » inconnu (domaine)"),
]


@pytest.mark.parametrize(
    ("sheet", "column", "value", "message"), BAD_CELLS, ids=[f"{s}.{c}={v}" for s, c, v, _ in BAD_CELLS]
)
def test_a_bad_cell_is_refused_with_its_place_and_nothing_is_written(engine, tmp_path, sheet, column, value, message):
    before = counts(engine)
    sheets = minimal_convention()
    sheets[sheet][0][column] = value
    report = load(engine, tmp_path / "f", sheets)
    assert not report.ok
    assert any(message in str(error) for error in report.errors), [str(e) for e in report.errors]
    assert counts(engine) == before


def test_a_duplicate_key_in_one_file_is_refused(engine, tmp_path):
    sheets = minimal_convention()
    sheets["organisations"].append(dict(sheets["organisations"][0]))
    report = load(engine, tmp_path / "f", sheets)
    assert [str(e) for e in report.errors] == [
        "fichier organisations.csv, ligne 5 : doublon de la ligne 2 (même clé : code)"
    ]
    assert counts(engine)["organisations"] == 0


def test_an_extra_or_missing_column_refuses_the_whole_folder(engine, tmp_path):
    sheets = minimal_convention()
    sheets["actions"][0]["commentaire"] = "colonne en trop"
    del sheets["communes"][0]["nom"]
    with pytest.raises(FormatError) as refused:
        load(engine, tmp_path / "f", sheets)
    messages = [str(e) for e in refused.value.errors]
    assert "fichier actions.csv, ligne 1, colonne « commentaire » : colonne inconnue" in messages[0]
    assert "fichier communes.csv, ligne 1, colonne « nom » : colonne obligatoire absente" in messages
    assert counts(engine)["conventions"] == 0


def test_an_unknown_sheet_file_is_refused(engine, tmp_path):
    folder = write_folder(tmp_path / "f", minimal_convention())
    (folder / "action.csv").write_text("code\nx\n", encoding="utf-8")
    with pytest.raises(FormatError, match="feuille inconnue"):
        load_folder(folder, actor="test", engine=engine)


def test_changing_an_actions_partners_updates_it_and_the_same_list_changes_nothing(engine, tmp_path):
    sheets = minimal_convention()
    assert load(engine, tmp_path / "a", sheets).ok
    sheets["actions"][0]["partenaires"] = "asso"
    report = load(engine, tmp_path / "b", sheets)
    assert report.counts["actions"]["updated"] == 1
    with Session(engine) as session:
        codes = session.exec(
            select(m.Organisation.code).join(m.ActionPartner, m.ActionPartner.organisation_id == m.Organisation.id)
        ).all()
    assert codes == ["asso"]
    again = load(engine, tmp_path / "c", sheets)
    assert again.counts["actions"]["unchanged"] == 1 and not again.changed


def test_every_load_that_writes_moves_the_data_version_so_views_refresh(engine, tmp_path):
    from ctg_data.queries.conventions import data_version

    before = data_version(engine)
    sheets = minimal_convention()
    assert load(engine, tmp_path / "a", sheets).ok
    after_load = data_version(engine)
    assert after_load > before
    assert load(engine, tmp_path / "a", sheets).ok
    assert data_version(engine) == after_load  # nothing changed, caches stay valid


def test_a_dry_run_reports_what_would_change_and_writes_nothing(engine, tmp_path):
    report = load_folder(write_folder(tmp_path / "a", minimal_convention()), actor="test", engine=engine, dry_run=True)
    assert report.ok and report.counts["actions"]["created"] == 1
    assert counts(engine)["actions"] == 0
