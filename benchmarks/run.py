"""`make bench`: what users feel, on the demo and the national base, SQLite and PostgreSQL.

Prints one report (pages, then the budgets of issue 15), writes it to benchmarks/results/latest.md
and exits 1 when a budget is missed. Times in milliseconds; medians.

    python -m benchmarks.run [--conventions 1000] [--cold 2] [--warm 3] [--import-rows 100000]
"""

import argparse
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from benchmarks import scenarios
from benchmarks.bases import Base, Servers, build
from benchmarks.budgets import GENERAL_PAGES, PORTFOLIO_PAGE
from benchmarks.report import ENGINES, budgets_table, number, pages_table

RESULTS = Path(__file__).resolve().parent / "results"
T = TypeVar("T")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conventions", type=int, default=1000, help="conventions of the national base")
    parser.add_argument("--cold", type=int, default=2, help="cold runs of each page")
    parser.add_argument("--warm", type=int, default=3, help="warm runs of each page")
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--engines", default=",".join(ENGINES), help="SQLite,PostgreSQL")
    parser.add_argument("--skip", default="", help="parts to skip: load,import,export")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.md")
    return parser.parse_args(argv)


def say(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def page_measures(results: dict[tuple[str, str], list[dict[str, Any]]], measures: dict[str, dict]) -> None:
    for engine in ENGINES:
        national = {r["page"]: r for r in results.get(("nationale", engine), [])}
        demo = {r["page"]: r for r in results.get(("démo", engine), [])}
        if not national:
            continue
        one = [p for p in national if p not in GENERAL_PAGES]
        measures.setdefault("page_warm", {})[engine] = max(national[p]["warm"] for p in one)
        ratios = [national[p]["warm"] / demo[p]["warm"] for p in one if p in demo and demo[p]["warm"]]
        measures.setdefault("page_vs_demo", {})[engine] = max(ratios, default=None)
        if PORTFOLIO_PAGE in national:
            measures.setdefault("portfolio_warm", {})[engine] = national[PORTFOLIO_PAGE]["warm"]
        rss = max(r["rss_mb"] for r in [*national.values(), *demo.values()])
        served = measures.get("load_app_rss", {}).get(engine) or 0.0  # an app process behind the proxy
        measures.setdefault("app_rss", {})[engine] = max(rss, served)


class Run:
    """What one `make bench` gathers: page rows per (base, database), budget measures, notes."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.results: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.measures: dict[str, dict[str, Any]] = {}
        self.notes: list[str] = []

    def measure(self, key: str, engine: str, value: float | None) -> None:
        self.measures.setdefault(key, {})[engine] = value

    def engine(self, servers: Servers, engine: str, skip: set[str]) -> None:
        """Every part on one database; a part that fails is said in the notes (its budgets then
        count as missed) and the others still run."""
        national = None
        for name, conventions in (("démo", 0), ("nationale", self.args.conventions)):
            national = self.attempt(f"base {name} sur {engine}", self.base, servers, name, engine, conventions)
        if national is None:
            return
        if "export" not in skip:
            self.attempt(f"export ({engine})", self.export, national)
        if "load" not in skip and engine == "PostgreSQL":
            self.attempt("sessions simultanées", self.load, national)
        if "import" not in skip:
            self.attempt(f"import ({engine})", self.imported, servers, engine)

    def attempt(self, what: str, step: Callable[..., T], *args: Any) -> T | None:
        try:
            return step(*args)
        except Exception as error:  # said in the report; the other parts still run
            say(f"ÉCHEC de {what} : {error}")
            self.notes.append(f"ÉCHEC de {what} : {str(error).strip().splitlines()[-1][:300]}")
            return None

    def base(self, servers: Servers, name: str, engine: str, conventions: int) -> Base:
        say(f"base {name} sur {engine}…")
        base = build(servers, name, engine, conventions)
        self.notes.append(f"Base {name} ({engine}) construite en {number(base.built_in, 's')}.")
        say(f"pages de la base {name} sur {engine}…")
        self.results[(name, engine)] = rows = scenarios.pages(base, self.args.cold, self.args.warm)
        self.notes += [
            f"Page {r['page']} en erreur (base {name}, {engine}) : {r['error']}" for r in rows if not r["ok"]
        ]
        return base

    def export(self, national: Base) -> None:
        say(f"export de la base nationale sur {national.engine}…")
        exported = scenarios.export_everything(national)
        self.measure("export_ok", national.engine, float(exported["ok"]))
        self.notes.append(
            f"Export ({national.engine}) : {'réussi' if exported['ok'] else 'ÉCHEC'} en {number(exported['s'], 's')}, "
            f"{number(exported['mb'], 'Mo')} écrits, mémoire max {number(exported['rss_mb'], 'Mo')}"
            + (f" — {exported['error'].strip()}" if exported["error"] else "")
        )

    def load(self, national: Base) -> None:
        say("sessions simultanées sur la vue d'ensemble…")
        load = scenarios.concurrent_overview(national, (10, 30))
        if "error" in load:  # HOOK: benchmarks/load.py or scripts/serve missing or failing
            self.notes.append(f"Sessions simultanées non mesurées : {load['error']}")
            return
        engine = national.engine
        self.measure("load10_median", engine, load["10"]["median"])
        self.measure("load10_p95", engine, load["10"]["p95"])
        self.measure("load30_p95", engine, load["30"]["p95"])
        self.measure("load_app_rss", engine, load["app_peak_mb"])
        ten, thirty = load["10"], load["30"]
        self.notes.append(
            f"Sessions simultanées (PostgreSQL, 2 processus + HAProxy) : 10 → médiane {number(ten['median'], 's')}, "
            f"p95 {number(ten['p95'], 's')} ; 30 → médiane {number(thirty['median'], 's')}, "
            f"p95 {number(thirty['p95'], 's')} ; mémoire max d'un processus {number(load['app_peak_mb'], 'Mo')}"
        )

    def imported(self, servers: Servers, engine: str) -> None:
        rows = self.args.import_rows
        say(f"import de {rows} mesures sur {engine}…")
        imported = scenarios.import_measurements(servers, engine, rows)
        if "s" not in imported:
            self.notes.append(f"Import non mesuré ({engine}) : {imported['error']}")
            return
        scale = 100_000 / rows  # the budget is for 100 000 rows
        self.measure("import_s", engine, imported["s"] * scale if imported["ok"] else None)
        self.measure("import_dry_s", engine, imported["dry_s"] * scale)
        self.measure("import_rss", engine, imported["rss_mb"])
        self.notes.append(
            f"Import de {rows} mesures ({engine}) : {number(imported['s'], 's')}, simulation "
            f"{number(imported['dry_s'], 's')}, mémoire max {number(imported['rss_mb'], 'Mo')}"
            + (f" — ÉCHEC : {imported['error'].strip()}" if imported["error"] else "")
        )


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    started = time.perf_counter()
    run = Run(args)
    servers = Servers()
    try:
        for engine in [e for e in ENGINES if e in args.engines.split(",")]:
            run.engine(servers, engine, set(args.skip.split(",")))
    finally:
        servers.stop()
    results, measures, notes = run.results, run.measures, run.notes
    page_measures(results, measures)
    budget_lines, failures = budgets_table(measures)
    lines = [
        f"# make bench — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}",
        "",
        f"Base nationale : {args.conventions} conventions (`ctg demo-data --seed 1`) ; démo : `ctg seed`. "
        f"Pages par AppTest en administrateur, médianes de {args.cold} passages à froid (caches vidés) et "
        f"{args.warm} à chaud ; Page/SQL = temps de la page / temps passé dans SQL (nationale, à chaud) ; "
        "requêtes d'un passage à chaud ; RSS du processus après la page.",
        "",
        *pages_table(results),
        "",
        *budget_lines,
        "",
        *(f"- {note}" for note in notes),
        "",
        f"Durée totale : {number(time.perf_counter() - started, 's')}. "
        + ("Budgets manqués : " + " ; ".join(failures) if failures else "Tous les budgets sont tenus."),
    ]
    report = "\n".join(lines)
    print(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report + "\n", encoding="utf-8")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
