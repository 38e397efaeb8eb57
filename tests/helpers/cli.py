"""The `ctg` command for tests: run in this process (quick, the default) or as the installed
program (a few end-to-end checks). Both return the exit code and what was printed."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
INSTALLED = str(Path(sys.executable).parent / "ctg")


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run_installed(url: str, *args: str) -> subprocess.CompletedProcess:
    """The installed `ctg` program, in a new process, on the database at `url`."""
    env = os.environ | {"CTG_DATABASE_URL": url}
    return subprocess.run([INSTALLED, *args], env=env, capture_output=True, text=True, cwd=ROOT)


def in_process(monkeypatch, capsys):
    """`run(url, *args) -> Ran`: `ctg.cli.main(args)` in this process, on the database at `url`
    (the environment variable set through `monkeypatch`, the output read through `capsys`)."""
    from ctg_data import cli

    def run(url: str, *args: str) -> Ran:
        monkeypatch.setenv("CTG_DATABASE_URL", url)
        monkeypatch.chdir(ROOT)  # as run_installed: relative paths are the repository's
        capsys.readouterr()
        try:
            code = cli.main(list(args))
        except SystemExit as exit_:  # argparse's usage errors
            code = exit_.code if isinstance(exit_.code, int) else 1
        out = capsys.readouterr()
        return Ran(code, out.out, out.err)

    return run


def make_run_commands() -> list[list[str]]:
    """The `ctg` steps `make run` performs before serving, read from the Makefile itself."""
    dry = subprocess.run(
        ["make", "-n", "-W", "requirements/app.lock", "run"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return [line.split()[1:] for line in dry.splitlines() if line.startswith(".venv/bin/ctg ")]
