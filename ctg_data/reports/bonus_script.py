"""`ctg bonus`: the bonus report of one year for scripts (CSV: codes, dot decimals) and for a
person at a terminal (French numbers, flag labels, the totals that add up)."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from typing import Any, TextIO

import pandas as pd
from sqlalchemy import Engine

from ctg_data import formats as fmt
from ctg_data.reports.bonus_report import bonus_reconciliation
from ctg_data.reports.funding import line_totals
from ctg_data.rules.reconciliation import Flag

SCRIPT_COLUMNS = [
    "convention",
    "equipement",
    "type",
    "annee",
    "base",
    "taux",
    "du",
    "notifie",
    "verse",
    "ecart",
    "alertes",
]


def script_rows(
    engine: Engine, conventions: list[dict[str, Any]], year: int, today: date | None = None
) -> list[dict[str, Any]]:
    """One row per facility of each convention for `year`, raw values (Decimal, codes); `du` is
    0.00 for a facility outside the bonus and empty only when unknown."""
    rows = []
    for convention in conventions:
        report = bonus_reconciliation(engine, convention["id"], (year,), today=today)
        for row in report.itertuples(index=False):
            rows.append(
                {
                    "convention": convention["code"],
                    "equipement": row.facility,
                    "type": row.type,
                    "annee": row.year,
                    "base": row.quantity,
                    "taux": row.rate_amount,
                    "du": row.due,
                    "notifie": row.notified,
                    "verse": row.paid,
                    "ecart": row.gap_notified,
                    "alertes": row.flag_codes,
                }
            )
    return rows


def script_csv(rows: list[dict[str, Any]], stream: TextIO) -> None:
    """Machine-readable: comma, dot decimals, flag codes joined by ';', empty when unknown."""
    writer = csv.DictWriter(stream, fieldnames=SCRIPT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _plain(key, value) for key, value in row.items()})


def script_table(rows: list[dict[str, Any]]) -> str:
    """For a person at a terminal: French numbers and flag labels, aligned columns."""
    if not rows:
        return "Aucun équipement pour cette année."
    money = {"du", "notifie", "verse", "ecart"}
    cells = [[_french(key, row[key]) for key in SCRIPT_COLUMNS] for row in rows]
    widths = [max(len(key), *(len(line[i]) for line in cells)) for i, key in enumerate(SCRIPT_COLUMNS)]
    lines = [[key.ljust(width) for key, width in zip(SCRIPT_COLUMNS, widths, strict=True)]]
    for line in cells:
        lines.append(
            [
                cell.rjust(width) if key in money or key in ("base", "taux") else cell.ljust(width)
                for key, cell, width in zip(SCRIPT_COLUMNS, line, widths, strict=True)
            ]
        )
    table = "\n".join("  ".join(line).rstrip() for line in lines)
    return table + "\n\n" + script_totals(rows)


def script_totals(rows: list[dict[str, Any]]) -> str:
    """The totals that add up (rules v2): over the lines whose due is known, the rest apart."""
    sums = line_totals(
        pd.DataFrame(
            [{"due": r["du"], "notified": r["notifie"], "paid": r["verse"]} for r in rows],
            columns=["due", "notified", "paid"],
            dtype=object,
        )
    )
    text = (
        f"Total ({sums.lines} lignes au dû connu) : dû {fmt.money(sums.due)}, notifié "
        f"{fmt.money(sums.notified)}, versé {fmt.money(sums.paid)}, écart notifié − dû "
        f"{fmt.money(sums.gap_notified)}"
    )
    return text + (f"\n{sums.unknown_fr().capitalize()}" if sums.unknown_lines else "")


def _plain(key: str, value: Any) -> str:
    if value is None:
        return ""
    if key == "alertes":
        return ";".join(value)
    if isinstance(value, Decimal):
        if key in ("du", "notifie", "verse", "ecart") or (key == "taux" and value == round(value, 2)):
            return f"{value:.2f}"
        return format(value.normalize(), "f")  # hours, ETP, sub-cent rates: as many decimals as needed
    return str(value)


def _french(key: str, value: Any) -> str:
    if key == "alertes":
        return " ; ".join(Flag(code).label_fr for code in value) if value else ""
    if value is None:
        return fmt.DASH
    if key in ("du", "notifie", "verse", "ecart"):
        return fmt.number(value, 2)
    if key == "taux":
        return fmt.exact_number(value, 2)
    if key == "base":
        return fmt.smart_number(value)
    return str(value)
