"""Deterministic files for the import benchmark (docs/format.md), in any base: a convention of
its own with its indicators (`write_plan_folder`), then as many measurements as wanted
(`write_measurements_file`, one `mesures.csv`). Import the plan first (an administrator), then
the measurements: a file of measurements only is what a bulk import usually is.

`python -m benchmarks.import_data <database URL> [n] [seed]` times, in a process of its own (so
that its peak memory is the import's), the dry run, the import and the unchanged re-import of
`n` measurements (100 000 by default) into an existing database, and prints them as JSON.

The values stay between 100 and 200, so that none is ten times (or a tenth of) the previous
one, and every date is inside the convention and before today: every row passes the rules."""

import csv
import json
import random
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

INDICATORS = 20
FIRST_DAY = date(1990, 1, 1)  # 20 indicators × one value a day: room for 260 000 measurements
LAST_DAY = date(2025, 12, 31)


def indicator_codes() -> list[str]:
    return [f"IND-{number:03d}" for number in range(1, INDICATORS + 1)]


def write_plan_folder(folder: Path, convention_code: str) -> Path:
    """A folder with the convention and its indicators (`conventions.csv`, `indicateurs.csv`)."""
    folder.mkdir(parents=True, exist_ok=True)
    convention = {
        "code": convention_code,
        "nom": f"Convention {convention_code}",
        "date_debut": FIRST_DAY.isoformat(),
        "date_fin": LAST_DAY.isoformat(),
    }
    indicators = [
        {
            "convention": convention_code,
            "code": code,
            "nom": f"Indicateur {code}",
            "domaine": "petite_enfance",
            "unite": "places",
            "sens": "hausse",
            "min": "0",
            "max": "1000",
        }
        for code in indicator_codes()
    ]
    _write(folder / "conventions.csv", [convention])
    _write(folder / "indicateurs.csv", indicators)
    return folder


def write_measurements_file(path: Path, convention_code: str, n: int, seed: int) -> Path:
    """`n` measurements of the convention's indicators (write_plan_folder), one a day each,
    streamed to `path` (a `mesures.csv`); the same (n, seed) always writes the same file."""
    days = -(-n // INDICATORS)
    if FIRST_DAY + timedelta(days=days) > LAST_DAY:
        raise ValueError(f"{n} mesures : au plus {INDICATORS * (LAST_DAY - FIRST_DAY).days}")
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = ["convention", "indicateur", "date", "valeur", "type", "source"]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        written = 0
        for day in range(days):
            when = (FIRST_DAY + timedelta(days=day)).isoformat()
            for code in indicator_codes():
                if written == n:
                    break
                value = f"{rng.uniform(100, 200):.1f}"
                writer.writerow([convention_code, code, when, value, "resultat", "benchmark"])
                written += 1
    return path


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def measure_import(url: str, n: int = 100_000, seed: int = 1) -> dict[str, float]:
    """Seconds of the dry run, the import and the unchanged re-import of `n` measurements of a
    new convention in the database at `url` (migrated), and the process's peak RSS in MB."""
    from ctg_data.actors import COMMAND_LINE
    from ctg_data.db import make_engine
    from ctg_data.interchange.importer import import_workbook

    engine = make_engine(url)
    code = f"bench-import-{seed}"
    with tempfile.TemporaryDirectory() as work:
        plan = import_workbook(engine, COMMAND_LINE, write_plan_folder(Path(work) / "plan", code), dry_run=False)
        if not plan.ok:
            raise RuntimeError([str(error) for error in plan.errors[:5]])
        path = write_measurements_file(Path(work) / "mesures" / "mesures.csv", code, n, seed)
        timings: dict[str, float] = {}
        for name, dry_run, outcome in (
            ("dry_run", True, "created"),
            ("import", False, "created"),
            ("reimport", False, "unchanged"),
        ):
            start = time.perf_counter()
            report = import_workbook(engine, COMMAND_LINE, path, dry_run=dry_run)
            timings[name] = round(time.perf_counter() - start, 2)
            if not report.ok or report.counts["mesures"][outcome] != n:
                raise RuntimeError(f"{name}: {[str(error) for error in report.errors[:5]]} {report.counts}")
    engine.dispose()
    return timings | {"peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


if __name__ == "__main__":
    arguments = sys.argv[1:]
    print(json.dumps(measure_import(arguments[0], *(int(value) for value in arguments[1:3]))))
