"""`ctg bonus`: the per-facility reconciliation for scripts and checks."""

import csv
import io

import pytest

from ctg_data import cli, db
from tests.test_funding_queries import DUE_ALSH_K, load

HEADER = ["convention", "equipement", "type", "annee", "base", "taux", "du", "notifie", "verse", "ecart", "alertes"]


@pytest.fixture
def database(engine, monkeypatch):
    """Point the command at the test database (the `engine` fixture: SQLite and PostgreSQL)."""
    monkeypatch.setenv("CTG_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    db.engine_for.cache_clear()
    yield engine
    db.engine_for.cache_clear()


def run(capsys, *args) -> tuple[int, str, str]:
    code = cli.main(["bonus", *args])
    out, err = capsys.readouterr()
    return code, out, err


def parse(out: str) -> dict[str, dict]:
    reader = csv.DictReader(io.StringIO(out))
    assert reader.fieldnames == HEADER
    return {row["equipement"]: row for row in reader}


def test_csv_output_gives_one_row_per_facility_with_due_paid_and_flag_codes(database, tmp_path, capsys):
    load(database, tmp_path)
    code, out, err = run(capsys, "--year", "2024", "--format", "csv")
    assert (code, err) == (0, "")
    rows = parse(out)
    assert set(rows) == {"EAJE-A", "EAJE-N", "ALSH-J", "ALSH-K", "LUDO", "RPE"}
    eaje = rows["EAJE-A"]
    assert eaje == {
        "convention": "ctg-f",
        "equipement": "EAJE-A",
        "type": "eaje",
        "annee": "2024",
        "base": "30",
        "taux": "3100.00",
        "du": "93000.00",
        "notifie": "90000.00",
        "verse": "95000.00",
        "ecart": "-3000.00",
        "alertes": "ecart_notifie;trop_verse",
    }
    # Rules v2: an EAJE outside PSU is owed 0.00 (not unknown), and "hors PSU" replaces "écart notifié".
    assert (rows["EAJE-N"]["du"], rows["EAJE-N"]["alertes"]) == ("0.00", "hors_psu")
    assert (rows["ALSH-K"]["base"], rows["ALSH-K"]["taux"], rows["ALSH-K"]["du"]) == (
        "50500",
        "0.45",
        str(DUE_ALSH_K) + ".00",
    )
    # Unknown stays empty, never 0.
    assert (rows["RPE"]["du"], rows["RPE"]["taux"], rows["RPE"]["alertes"]) == ("", "", "sans_bareme")
    assert rows["ALSH-J"]["alertes"] == "verse_sans_notification;activite_manquante;gestionnaire_non_signataire"


def test_table_output_speaks_french(database, tmp_path, capsys):
    load(database, tmp_path)
    code, out, _ = run(capsys, "--year", "2024", "--convention", "ctg-f")
    assert code == 0
    header, *lines = out.splitlines()
    assert header.split() == HEADER
    eaje = next(line for line in lines if " EAJE-A " in line)
    assert "93\u202f000,00" in eaje and "écart notifié ; trop versé" in eaje


def test_an_unknown_convention_is_a_usage_error_in_french(database, tmp_path, capsys):
    load(database, tmp_path)
    code, out, err = run(capsys, "--year", "2024", "--convention", "ctg-inconnue")
    assert (code, out) == (2, "")
    assert "Convention inconnue : « ctg-inconnue »" in err and "ctg-f" in err


def test_a_missing_or_malformed_year_is_a_usage_error(capsys):
    for args in ([], ["--year", "deux-mille"]):
        with pytest.raises(SystemExit) as stopped:
            cli.main(["bonus", *args])
        assert stopped.value.code == 2
    capsys.readouterr()


def test_a_year_outside_every_convention_prints_only_the_header(database, tmp_path, capsys):
    load(database, tmp_path)
    code, out, _ = run(capsys, "--year", "2031", "--format", "csv")
    assert code == 0 and out.splitlines() == [",".join(HEADER)]


def test_the_demo_discrepancies_of_2024_appear_in_ctg_bonus(demo_database_url, monkeypatch, capsys):
    """On a copy of the demo seed loaded once per session (conftest `demo_database_url`)."""
    monkeypatch.setenv("CTG_DATABASE_URL", demo_database_url)
    db.engine_for.cache_clear()
    code, out, _ = run(capsys, "--year", "2024", "--convention", "ctg-lourdes-2023", "--format", "csv")
    assert code == 0
    rows = parse(out)
    assert (
        rows["eaje-saint-vincent"]["du"],
        rows["eaje-saint-vincent"]["notifie"],
        rows["eaje-saint-vincent"]["alertes"],
    ) == ("186000.00", "176700.00", "ecart_notifie")
    assert rows["alsh-lorda"]["alertes"] == "activite_manquante" and rows["alsh-lorda"]["du"] == ""
    assert rows["mc-ptits-bergers"]["alertes"] == "hors_psu"
    assert rows["alsh-biscaye"]["du"] == "22000.00" and rows["alsh-biscaye"]["alertes"] == ""
