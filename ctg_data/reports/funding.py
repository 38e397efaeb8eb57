"""Funding views fed from the database: the lever breakdown, coordination posts and the
diagnostic / engineering co-funding. Shared pieces for the bonus report live here too
(tolerance setting, folding the SQL sums, French labels).

Money stays Decimal from the database to the DataFrame; only the pure engine rounds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeGuard

import pandas as pd
from sqlalchemy import Engine

from ctg_data import formats as fmt
from ctg_data import settings
from ctg_data.queries import funding as q
from ctg_data.queries import referentials
from ctg_data.queries.filters import today as reference_today
from ctg_data.rules.bonus import PostFacts, YearClock, days_open, post_due
from ctg_data.rules.reconciliation import (
    Flag,
    FundingTotals,
    Reconciliation,
    ReconciliationSettings,
    explain_flags_fr,
    information_fr,
    reconcile,
)

COORDINATION = "cofinancement_coordination"
COFUNDING_LEVERS = ("cofinancement_diagnostic", "cofinancement_ingenierie")
NO_DOMAIN = "Sans domaine"
FLAG_MARK = "⚠"  # flags are read as words; the symbol only helps the eye find them


def tolerance_settings() -> ReconciliationSettings:
    """The "écart notifié" tolerance: max(CTG_TOLERANCE_ABS €, CTG_TOLERANCE_REL × due)."""
    return ReconciliationSettings(settings.tolerance_abs(), settings.tolerance_rel())


def year_clock(today: date | None = None) -> YearClock:
    """Which years are not over, at `today` (default: CTG_TODAY or the real date); a year's
    activity is due by CTG_DECLARATION_DATE of the next year."""
    month, day = settings.declaration_date()
    return YearClock(today or reference_today(), month, day)


@dataclass(frozen=True)
class Sums:
    planned: Decimal | None = None
    notified: Decimal | None = None
    paid: Decimal | None = None
    beneficiaries: frozenset[str] = frozenset()

    def totals(self) -> FundingTotals:
        return FundingTotals(self.notified, self.paid, self.beneficiaries)


def add(left: Decimal | None, right: Decimal | None) -> Decimal | None:
    """Sum where "no amount" stays distinct from zero until some amount is given."""
    if _present(left) and _present(right):
        return left + right
    if _present(left):
        return left
    return right if _present(right) else None


def total(values: Iterable[Decimal | None]) -> Decimal | None:
    result = None
    for value in values:
        result = add(result, value)
    return result


def _present(value: Decimal | None) -> TypeGuard[Decimal]:
    return value is not None and value == value  # NaN is missing too, should pandas have produced one


def fold_sums(rows: Iterable[dict[str, Any]]) -> dict[tuple[int, str, int], Sums]:
    """SQL rows keyed by (link, lever, year, beneficiary) → one Sums per (link, lever, year)."""
    folded: dict[tuple[int, str, int], Sums] = {}
    for row in rows:
        key = (row["link_id"], row["lever"], row["year"])
        old = folded.get(key, Sums())
        folded[key] = Sums(
            add(old.planned, row["planned"]),
            add(old.notified, row["notified"]),
            add(old.paid, row["paid"]),
            old.beneficiaries | {row["beneficiary"]},
        )
    return folded


def frame(rows: list[dict[str, Any]], columns: list[str], integers: Iterable[str] = ("year",)) -> pd.DataFrame:
    """A DataFrame that keeps what the database gave: Decimal stays Decimal and a missing value
    stays None (pandas would otherwise turn a column of ints with a gap into floats)."""
    result = pd.DataFrame(rows, columns=columns, dtype=object)
    for column in integers:
        if column in result:
            result[column] = result[column].astype("int64")
    return result


def flag_text(flags: Iterable[Flag | str]) -> str:
    labels = [Flag(flag).label_fr for flag in flags]
    return f"{FLAG_MARK} " + " ; ".join(labels) if labels else ""


def reconciliation_columns(rec: Reconciliation, sums: Sums) -> dict[str, Any]:
    """The columns every due-vs-paid table shares."""
    return {
        "status": rec.due.status.value,
        "due": rec.due.amount,
        "planned": sums.planned,
        "notified": rec.notified,
        "paid": rec.paid,
        "gap_notified": rec.gap_notified,
        "gap_paid": rec.gap_paid,
        "flag_codes": tuple(flag.value for flag in rec.flags),
        "flag_labels": flag_text(rec.flags),
        "reasons": " | ".join(explain_flags_fr(rec)),
        "information": information_fr(rec.due) or "",
        "explanation": rec.due.explain_fr(),
    }


@dataclass(frozen=True)
class LineTotals:
    """Totals that add up (rules v2, "Totals"): due, notified, paid and both gaps summed over the
    lines whose due is known (the gaps are the differences of those sums, so Dû − Notifié is
    the gap shown); the lines whose due is unknown are totalled apart, never mixed in."""

    lines: int
    due: Decimal
    notified: Decimal
    paid: Decimal
    unknown_lines: int
    unknown_notified: Decimal
    unknown_paid: Decimal

    @property
    def gap_notified(self) -> Decimal:
        return self.notified - self.due

    @property
    def gap_paid(self) -> Decimal:
        return self.paid - self.notified

    def unknown_fr(self) -> str:
        """« dû inconnu : N lignes, X € notifiés, Y € versés »."""
        lines = "1 ligne" if self.unknown_lines == 1 else f"{self.unknown_lines} lignes"
        return (
            f"dû inconnu : {lines}, {fmt.money(self.unknown_notified)} notifiés, {fmt.money(self.unknown_paid)} versés"
        )


def line_totals(rows: pd.DataFrame) -> LineTotals:
    known = rows[rows["due"].map(_present)]
    unknown = rows[~rows["due"].map(_present)]
    return LineTotals(
        lines=len(known),
        due=_sum(known["due"]),
        notified=_sum(known["notified"]),
        paid=_sum(known["paid"]),
        unknown_lines=len(unknown),
        unknown_notified=_sum(unknown["notified"]),
        unknown_paid=_sum(unknown["paid"]),
    )


def _sum(values: Iterable[Decimal | None]) -> Decimal:
    return total(values) or Decimal("0.00")


# ---------------------------------------------------------------- coordination posts


def post_reconciliation(engine: Engine, convention_id: int, years: tuple[int, ...]) -> pd.DataFrame:
    """Due (barème) vs notified vs paid for each coordination post and year."""
    posts = q.coordination_posts(engine, convention_id)
    rates = q.rate_rows(engine, years, lever=COORDINATION)
    sums = fold_sums(q.funding_sums(engine, convention_id, years, link="post", levers=(COORDINATION,)))
    signatories = q.signatory_codes(engine, convention_id)
    settings = tolerance_settings()
    rows = []
    for post in posts:
        facts = PostFacts(post["code"], post["fte"], post["starts_on"], post["ends_on"], post["annual_cost"])
        for year in years:
            line = sums.get((post["post_id"], COORDINATION, year))
            closed = days_open(post["starts_on"], post["ends_on"], year) == 0
            if closed and line is None:
                continue  # a post that did not exist and got nothing is not part of the picture
            line = line or Sums()
            due = post_due(facts, rates, year=year)
            rec = reconcile(
                due,
                line.totals(),
                is_closed_all_year=closed,
                is_eaje_outside_psu=False,
                allowed_beneficiaries=signatories | {post["employer"]},
                settings=settings,
            )
            rows.append(
                {
                    "post": post["code"],
                    "title": post["title"],
                    "employer": post["employer"],
                    "employer_name": post["employer_name"],
                    "year": year,
                    "fte": post["fte"],
                    "annual_cost": post["annual_cost"],
                    **reconciliation_columns(rec, line),
                }
            )
    return frame(rows, POST_COLUMNS)


POST_COLUMNS = [
    "post",
    "title",
    "employer",
    "employer_name",
    "year",
    "fte",
    "annual_cost",
    "status",
    "due",
    "planned",
    "notified",
    "paid",
    "gap_notified",
    "gap_paid",
    "flag_codes",
    "flag_labels",
    "reasons",
    "explanation",
]
POST_HEADERS = {
    "post": "Code poste",
    "title": "Poste",
    "employer_name": "Employeur",
    "year": "Année",
    "fte": "ETP",
    "annual_cost": "Coût annuel",
    "due": "Dû",
    "notified": "Notifié",
    "paid": "Versé",
    "gap_notified": "Écart notifié − dû",
    "gap_paid": "Écart versé − notifié",
    "flag_labels": "Alertes",
    "reasons": "Motifs des alertes",
    "explanation": "Calcul",
}


# ---------------------------------------------------------------- diagnostic and engineering


def cofunding_report(engine: Engine, convention_id: int, years: tuple[int, ...]) -> pd.DataFrame:
    """Diagnostic / engineering money. No barème defines what is due there, so the checks are
    those that need none: paid above notified, paid without notification, a beneficiary
    who did not sign the convention."""
    signatories = q.signatory_codes(engine, convention_id)
    levers = referentials.levers(engine)
    rows = []
    for line in q.cofunding_lines(engine, convention_id, years, COFUNDING_LEVERS):
        notified, paid = line["notified"], line["paid"]
        labels = []
        if notified and paid is not None and paid > notified:
            labels.append(Flag.TROP_VERSE.label_fr)
        if not notified and paid:
            labels.append(Flag.VERSE_SANS_NOTIFICATION.label_fr)
        if line["beneficiary"] not in signatories:
            labels.append("bénéficiaire non signataire")
        rows.append(
            {
                **line,
                "lever_label": referentials.label_of(levers, line["lever"]),
                "action": line["action"] or "",
                "action_title": line["action_title"] or "",
                "gap_paid": None if notified is None or paid is None else paid - notified,
                "flag_labels": f"{FLAG_MARK} " + " ; ".join(labels) if labels else "",
            }
        )
    return frame(rows, [*COFUNDING_HEADERS, "lever", "beneficiary"])


COFUNDING_HEADERS = {
    "lever_label": "Levier",
    "year": "Année",
    "action": "Action",
    "action_title": "Intitulé de l'action",
    "funder_name": "Financeur",
    "beneficiary_name": "Bénéficiaire",
    "planned": "Prévu",
    "notified": "Notifié",
    "paid": "Versé",
    "gap_paid": "Écart versé − notifié",
    "flag_labels": "Alertes",
}


# ---------------------------------------------------------------- levers


BREAKDOWN_DIMENSIONS = {
    "lever_label": "Levier",
    "year": "Année",
    "domain_label": "Domaine",
    "funder_name": "Financeur",
    "beneficiary_name": "Bénéficiaire",
}
STAGES = {"planned": "Prévu", "notified": "Notifié", "paid": "Versé"}


def lever_breakdown(
    engine: Engine,
    convention_id: int,
    year: int | None = None,
    domain_code: str | None = None,
    insee_code: str | None = None,
) -> pd.DataFrame:
    rows = q.funding_breakdown(engine, convention_id, year, domain_code, insee_code)
    levers, domains = referentials.levers(engine), referentials.domains(engine)
    for row in rows:
        row["lever_label"] = referentials.label_of(levers, row["lever"])
        row["domain_label"] = NO_DOMAIN if row["domain"] is None else referentials.label_of(domains, row["domain"])
    columns = [
        "lever",
        "lever_label",
        "year",
        "domain",
        "domain_label",
        "funder",
        "funder_name",
        "beneficiary",
        "beneficiary_name",
        "planned",
        "notified",
        "paid",
        "lines",
    ]
    return frame(rows, columns, integers=("year", "lines"))


def sum_by(rows: pd.DataFrame, key: str, columns: Iterable[str]) -> pd.DataFrame:
    """Decimal sums of `columns` per value of `key`, in order of first appearance; a group
    where no row gives an amount keeps None (pandas would sum such a group as 0 or NaN)."""
    columns = list(columns)
    groups: dict[Any, list[Any]] = {}
    for row in rows.itertuples(index=False):
        groups.setdefault(getattr(row, key), []).append(row)
    result = [
        {key: value, **{column: total(getattr(r, column) for r in members) for column in columns}}
        for value, members in groups.items()
    ]
    return frame(result, [key, *columns], integers=())


def breakdown_by(breakdown: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """Planned / notified / paid per value of one dimension; the rows add up to `stage_totals`
    whatever the dimension, since each breakdown row falls in exactly one group."""
    return sum_by(breakdown, dimension, STAGES)


def stage_totals(breakdown: pd.DataFrame) -> dict[str, Decimal | None]:
    return {stage: total(breakdown[stage]) for stage in STAGES}
