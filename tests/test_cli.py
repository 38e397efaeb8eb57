"""The `ctg` command as an administrator runs it, and `make run`'s promise to keep user data.
Most tests call the command in this process (`ctg_command`); the test named `..._installed_command`
runs the installed program end to end, as `make run` does."""

import re

from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.db import make_engine
from tests.helpers.cli import ROOT, make_run_commands, run_installed

# Kept for the files that import them from here (tests/test_sqlite_file.py, tests/test_cli_exchange.py).
ctg = run_installed
__all__ = ["ROOT", "ctg", "make_run_commands"]


def check_counts(output: str) -> dict[str, int]:
    return {name: int(count) for name, count in re.findall(r"^\s+(\w+)\s+(\d+)$", output, re.MULTILINE)}


def test_upgrade_seed_seed_check_leaves_the_counts_of_one_seed(ctg_command, database_url):
    ctg = ctg_command
    assert ctg(database_url, "db", "upgrade").returncode == 0
    first = ctg(database_url, "seed")
    assert first.returncode == 0, first.stderr
    once = check_counts(ctg(database_url, "check").stdout)
    second = ctg(database_url, "seed")
    assert second.returncode == 0
    assert "créées     0" in second.stdout and "modifiées     0" in second.stdout
    checked = ctg(database_url, "check")
    assert checked.returncode == 0, checked.stdout
    assert check_counts(checked.stdout) == once
    assert once["actions"] >= 30 and once["indicators"] >= 30


def test_a_bad_seed_folder_is_refused_with_its_line_and_exit_code_1(ctg_command, sqlite_url, tmp_path):
    ctg = ctg_command
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "organisations.csv").write_text("code,nom,type\ncaf,CAF,caf\nx,X,banque\n", encoding="utf-8")
    result = ctg(sqlite_url, "seed", str(folder))
    assert result.returncode == 1
    assert (
        "fichier organisations.csv, ligne 3, colonne « type » : code « banque » inconnu (type d'organisation)"
        in result.stderr
    )
    assert "créées" not in result.stdout


def test_usage_errors_exit_with_2(ctg_command, sqlite_url):
    refused = ctg_command(sqlite_url, "nothing")
    assert (refused.returncode, refused.stdout) == (2, "") and "nothing" in refused.stderr


def test_make_run_does_not_reseed_or_wipe_a_database_with_data(ctg_command, sqlite_url):
    ctg = ctg_command
    steps = make_run_commands()
    assert steps, "make run should prepare the database with the ctg command"
    for step in steps:
        assert ctg(sqlite_url, *step).returncode == 0
    engine = make_engine(sqlite_url)
    with Session(engine) as session:
        action = session.exec(select(m.Action).order_by(m.Action.id)).first()
        action.title = "Titre modifié par une utilisatrice"
        session.add(action)
        session.commit()
        before = session.exec(select(m.Action.id, m.Action.title)).all()
    for step in steps:  # the second `make run`
        assert ctg(sqlite_url, *step).returncode == 0
    with Session(engine) as session:
        assert session.exec(select(m.Action.id, m.Action.title)).all() == before
    engine.dispose()


def test_make_run_seeds_the_demo_into_an_empty_database_with_the_installed_command(sqlite_url):
    for step in make_run_commands():
        assert run_installed(sqlite_url, *step).returncode == 0
    engine = make_engine(sqlite_url)
    with Session(engine) as session:
        assert session.exec(select(m.Convention.code)).all() == ["ctg-lourdes-2023"]
    engine.dispose()
