"""The benchmark's table: every page (cold and warm, national/demo, page/SQL, statements,
RSS) and every budget of benchmarks/budgets.py with its measure on each database."""

from typing import Any

from benchmarks.budgets import BUDGETS, Budget

ENGINES = ("SQLite", "PostgreSQL")


def ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:,.0f}".replace(",", "\u202f")


def ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}".replace(".", ",")


def number(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "":
        return "oui" if value else "non"
    return f"{value:,.2f}".replace(",", "\u202f").replace(".", ",") + f" {unit}"


def pages_table(results: dict[tuple[str, str], list[dict[str, Any]]]) -> list[str]:
    """One row per page and database: demo and national, cold and warm (ms), ratios, etc."""
    lines = [
        "| Page | Base | Démo froid | Démo chaud | Nat. froid | Nat. chaud | Nat./démo | Page/SQL"
        " | Requêtes démo / nat. | RSS Mo | OK |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for engine in ENGINES:
        demo = {r["page"]: r for r in results.get(("démo", engine), [])}
        national = {r["page"]: r for r in results.get(("nationale", engine), [])}
        for page in sorted(set(demo) | set(national)):
            d, n = demo.get(page, {}), national.get(page, {})
            vs = n["warm"] / d["warm"] if n and d and d["warm"] else None
            own = n["warm"] / n["warm_sql"] if n and n.get("warm_sql") else None
            ok = "oui" if d.get("ok", True) and n.get("ok", True) else "**erreur**"
            lines.append(
                f"| {page} | {engine} | {ms(d.get('cold'))} | {ms(d.get('warm'))} | {ms(n.get('cold'))} | "
                f"{ms(n.get('warm'))} | {ratio(vs)} | {ratio(own)} | {d.get('statements', '—')} / "
                f"{n.get('statements', '—')} | {n.get('rss_mb', d.get('rss_mb', 0)):.0f} | {ok} |"
            )
    return lines


def missed(budget: Budget, value: float | None) -> bool:
    if value is None:
        return True  # not measured: not met
    if budget.unit == "":
        return not value
    return value > budget.limit


def budgets_table(measures: dict[str, dict[str, float | None]]) -> tuple[list[str], list[str]]:
    """The budgets against their measures per database; returns the lines and what was missed."""
    lines = ["| Budget | Limite | SQLite | PostgreSQL | Tenu |", "|---|--:|--:|--:|---|"]
    failures = []
    for budget in BUDGETS:
        values = measures.get(budget.key, {})
        cells = [number(values.get(engine), budget.unit) if engine in values else "n/a" for engine in ENGINES]
        bad = [engine for engine in values if missed(budget, values[engine])]
        if not values:
            bad = ["non mesuré"]
        failures += [f"{budget.label} ({where})" for where in bad]
        limit = number(budget.limit, budget.unit) if budget.unit else "oui"
        lines.append(f"| {budget.label} | {limit} | {cells[0]} | {cells[1]} | {'non' if bad else 'oui'} |")
    return lines, failures
