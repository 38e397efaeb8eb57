"""The `ctg` command as an administrator runs it, and `make run`'s promise to keep user data."""

import os
import re
import subprocess
import sys
from pathlib import Path

from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.db import make_engine

ROOT = Path(__file__).resolve().parent.parent
CTG = str(Path(sys.executable).parent / "ctg")


def ctg(url: str, *args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"CTG_DATABASE_URL": url}
    return subprocess.run([CTG, *args], env=env, capture_output=True, text=True, cwd=ROOT)


def check_counts(output: str) -> dict[str, int]:
    return {name: int(count) for name, count in re.findall(r"^\s+(\w+)\s+(\d+)$", output, re.MULTILINE)}


def test_upgrade_seed_seed_check_leaves_the_counts_of_one_seed(database_url):
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


def test_a_bad_seed_folder_is_refused_with_its_line_and_exit_code_1(sqlite_url, tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "organisations.csv").write_text("code,nom,type\ncaf,CAF,caf\nx,X,banque\n", encoding="utf-8")
    result = ctg(sqlite_url, "seed", str(folder))
    assert result.returncode == 1
    assert "fichier organisations.csv, ligne 3, colonne « type » : valeur « banque » inconnue" in result.stderr
    assert "créées" not in result.stdout


def test_usage_errors_exit_with_2(sqlite_url):
    assert ctg(sqlite_url, "nothing").returncode == 2


def make_run_commands() -> list[list[str]]:
    """The `ctg` steps `make run` performs before serving, read from the Makefile itself."""
    dry = subprocess.run(["make", "-n", "-W", "requirements/app.lock", "run"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    return [line.split()[1:] for line in dry.splitlines() if line.startswith(".venv/bin/ctg ")]


def test_make_run_does_not_reseed_or_wipe_a_database_with_data(sqlite_url):
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


def test_make_run_seeds_the_demo_into_an_empty_database(sqlite_url):
    for step in make_run_commands():
        assert ctg(sqlite_url, *step).returncode == 0
    engine = make_engine(sqlite_url)
    with Session(engine) as session:
        assert session.exec(select(m.Convention.code)).all() == ["ctg-lourdes-2023"]
    engine.dispose()
