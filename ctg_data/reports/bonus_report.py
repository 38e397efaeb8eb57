"""The bonus territoire CTG, facility by facility: the database's facts fed into the pure engine
(rules.bonus, rules.reconciliation), one row per facility and year, as advisors check them.

Four small reads per call (facilities with their activity, the barème of the years, funding sums
with the set of beneficiaries, signatories) whatever the number of facilities.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from ctg_data import formats as fmt
from ctg_data.queries import funding as q
from ctg_data.queries import referentials
from ctg_data.reports.funding import (
    LineTotals,
    Sums,
    flag_text,
    fold_sums,
    frame,
    line_totals,
    reconciliation_columns,
    tolerance_settings,
    year_clock,
)
from ctg_data.rules.bonus import (
    EXISTING,
    NEW,
    ActivityFacts,
    FacilityFacts,
    RateRow,
    days_open,
    facility_due,
    find_rate,
)
from ctg_data.rules.reconciliation import (
    BONUS_LEVER,
    Reconciliation,
    explain_flag_fr,
    information_fr,
    reconcile,
)
from ctg_data.vocabulary import PLACE_CATEGORIES, FacilityType, RateBasis

COLUMNS = [
    "facility_id",
    "facility",
    "facility_name",
    "type",
    "type_label",
    "insee_code",
    "commune",
    "manager",
    "manager_name",
    "year",
    "basis",
    "quantity",
    "base_label",
    "rate_amount",
    "rate_label",
    "status",
    "due",
    "planned",
    "notified",
    "paid",
    "gap_notified",
    "gap_paid",
    "flag_codes",
    "flag_labels",
    "information",
    "reasons",
    "explanation",
    "comments",
    "situation",
    "why",
]

# The figures an advisor compares come first; identity and the long texts follow.
HEADERS = {
    "facility_name": "Équipement",
    "year": "Année",
    "flag_labels": "Alertes",
    "information": "Information",
    "due": "Dû",
    "notified": "Notifié",
    "paid": "Versé",
    "gap_notified": "Écart notifié − dû",
    "gap_paid": "Écart versé − notifié",
    "type_label": "Type",
    "commune": "Commune",
    "manager_name": "Gestionnaire",
    "base_label": "Base",
    "rate_label": "Taux appliqué",
    "explanation": "Calcul",
    "reasons": "Motifs des alertes",
    "comments": "Commentaires",
    "facility": "Code équipement",
}

# What the page shows by default: few columns that fit 1440 px, the computation in words last.
SCREEN_HEADERS = {
    "facility_name": "Équipement",
    "year": "Année",
    "situation": "Alerte ou information",
    "due": "Dû",
    "notified": "Notifié",
    "paid": "Versé",
    "gap_notified": "Écart notifié − dû",
    "why": "Pourquoi",
}
# The rest, shown on demand (the downloads always carry HEADERS).
MORE_HEADERS = {
    "gap_paid": "Écart versé − notifié",
    "type_label": "Type",
    "commune": "Commune",
    "manager_name": "Gestionnaire",
    "base_label": "Base",
    "rate_label": "Taux appliqué",
    "comments": "Commentaires",
    "facility": "Code équipement",
}
MONEY = ("due", "notified", "paid", "gap_notified", "gap_paid")

MANAGER_HEADERS = {
    "manager_name": "Gestionnaire",
    "due": "Dû",
    "notified": "Notifié",
    "paid": "Versé",
    "gap_notified": "Écart notifié − dû",
    "gap_paid": "Écart versé − notifié",
    "flagged": "Lignes en alerte",
    "facilities": "Lignes au dû connu",
    "unknown_due": "Lignes au dû inconnu",
    "unknown_notified": "Notifié (dû inconnu)",
    "unknown_paid": "Versé (dû inconnu)",
}
MANAGER_MONEY = ("due", "notified", "paid", "gap_notified", "gap_paid", "unknown_notified", "unknown_paid")


def bonus_reconciliation(
    engine: Engine,
    convention_id: int,
    years: tuple[int, ...],
    insee_code: str | None = None,
    facility_code: str | None = None,
    today: date | None = None,
) -> pd.DataFrame:
    """Due vs notified vs paid for each facility and year of `years`, with flags and reasons;
    `today` (default: the reference date) decides which years are not over."""
    facts_rows = q.facilities_with_activity(engine, convention_id, years, insee_code, facility_code)
    rates = q.rate_rows(engine, years, lever=BONUS_LEVER)
    sums = fold_sums(q.funding_sums(engine, convention_id, years, link="facility", levers=(BONUS_LEVER,)))
    comments: defaultdict[tuple[int, int], list[str]] = defaultdict(list)
    for row in q.funding_comments(engine, convention_id, years, BONUS_LEVER):
        comments[(row["facility_id"], row["year"])].append(row["comment"])
    signatories = q.signatory_codes(engine, convention_id)
    comanagers = q.comanager_codes(engine, convention_id)  # a co-manager is a manager (`gestionnaire`)
    settings = tolerance_settings()
    clock = year_clock(today)
    scopes = q.convention_scopes(engine, convention_id)
    types = referentials.facility_types(engine)

    rows = []
    for facility, activities in _by_facility(facts_rows):
        facts = _facts(facility, scopes, types)
        for year in years:
            line = sums.get((facility["facility_id"], BONUS_LEVER, year))
            closed = days_open(facts.opens_on, facts.closes_on, year) == 0
            if closed and line is None:
                continue  # not open and not funded: not part of that year's allocation
            line = line or Sums()
            activity = activities.get(year)
            due = facility_due(facts, activity, rates, year=year, lever=BONUS_LEVER, clock=clock)
            rec = reconcile(
                due,
                line.totals(),
                is_closed_all_year=closed,
                is_eaje_outside_psu=facts.type == FacilityType.EAJE and facility["psu"] is False,
                allowed_beneficiaries=signatories
                | {facility["manager"]}
                | comanagers.get(facility["facility_id"], frozenset()),
                settings=settings,
            )
            quantity = _quantity(due.rate, facts, activity)
            rows.append(
                {
                    **{
                        key: facility[key]
                        for key in ("facility_id", "type", "insee_code", "commune", "manager", "manager_name")
                    },
                    "facility": facility["code"],
                    "facility_name": facility["name"],
                    "type_label": facts.kind,
                    "year": year,
                    "basis": due.rate.basis if due.rate else None,
                    "quantity": quantity,
                    "base_label": _base_label(due.rate, quantity),
                    "rate_amount": due.rate.amount if due.rate else None,
                    "rate_label": _rate_label(due.rate) if due.rate else information_fr(due) or "sans barème",
                    **reconciliation_columns(rec, line),
                    "comments": " | ".join(comments.get((facility["facility_id"], year), [])),
                    "situation": flag_text(rec.flags) or information_fr(due) or "",
                    "why": _why(rec),
                }
            )
    return frame(rows, COLUMNS, integers=("facility_id", "year"))


def _facts(facility: dict[str, Any], scopes: tuple[str, ...], types: referentials.Entries) -> FacilityFacts:
    """The rule's facts of one facility; its type's eligibility and label are the referential's
    (an unknown type, which the foreign key makes impossible, would be outside the bonus)."""
    kind = types.get(facility["type"])
    return FacilityFacts(
        facility["code"],
        facility["type"],
        facility["territory_class"],
        facility["places"],
        facility["opens_on"],
        facility["closes_on"],
        facility["psu"],
        facility["new_places"],
        facility["new_places_from"],
        scopes,
        bonus_eligible=bool(kind and kind.bonus),
        type_label=kind.label if kind else facility["type"],
    )


def _why(rec: Reconciliation) -> str:
    """The line in words: the computation, then each alert's reason with its figures."""
    sentences = [rec.due.explain_fr(), *(explain_flag_fr(rec, flag) for flag in rec.flags)]
    return " ".join(f"{text[:1].upper()}{text[1:]}." for text in sentences if text)


def with_totals(rows: pd.DataFrame) -> pd.DataFrame:
    """`rows` followed by their totals (line_totals): one row over the lines whose due is known,
    one for the lines whose due is unknown (when there are some), as on the page."""
    sums = line_totals(rows)
    lines = "1 ligne" if sums.lines == 1 else f"{sums.lines} lignes"
    extra = [
        {
            "facility_name": f"Total ({lines} au dû connu)",
            "due": sums.due,
            "notified": sums.notified,
            "paid": sums.paid,
            "gap_notified": sums.gap_notified,
            "gap_paid": sums.gap_paid,
        }
    ]
    if sums.unknown_lines:
        unknown = "1 ligne" if sums.unknown_lines == 1 else f"{sums.unknown_lines} lignes"
        extra.append(
            {
                "facility_name": f"Dû inconnu ({unknown}, hors total)",
                "notified": sums.unknown_notified,
                "paid": sums.unknown_paid,
            }
        )
    blank = dict.fromkeys(rows.columns)  # None, not NaN: a missing value stays missing in the files
    totals = pd.DataFrame([blank | entry for entry in extra], columns=rows.columns, dtype=object)
    return pd.concat([rows.astype(object), totals], ignore_index=True)


def manager_totals(report: pd.DataFrame) -> pd.DataFrame:
    """Per manager (the one the bonus is paid to): the totals of its facility rows, which add
    up as the page's (line_totals): a due that cannot be computed is counted apart."""
    entries = []
    for manager, rows in report.groupby("manager", sort=False):
        sums: LineTotals = line_totals(rows)
        entries.append(
            {
                "manager": manager,
                "manager_name": rows["manager_name"].iloc[0],
                "due": sums.due,
                "notified": sums.notified,
                "paid": sums.paid,
                "gap_notified": sums.gap_notified,
                "gap_paid": sums.gap_paid,
                "flagged": int(rows["flag_codes"].map(bool).sum()),
                "facilities": sums.lines,
                "unknown_due": sums.unknown_lines,
                "unknown_notified": sums.unknown_notified,
                "unknown_paid": sums.unknown_paid,
            }
        )
    return frame(
        sorted(entries, key=lambda entry: entry["manager_name"]),
        ["manager", *MANAGER_HEADERS],
        integers=("facilities", "unknown_due", "flagged"),
    )


def facility_detail(
    engine: Engine, convention_id: int, facility_code: str, years: tuple[int, ...]
) -> dict[str, Any] | None:
    """One facility's page: identity, activity over the years, the barème rows of its type and
    class (marking the one applied each year), the computation per year and its funding lines."""
    facts_rows = q.facilities_with_activity(engine, convention_id, years, facility_code=facility_code)
    if not facts_rows:
        return None
    facility = facts_rows[0]
    activity = frame(
        [
            {
                "Année": r["activity_year"],
                "Places": r["activity_places"],
                "Heures réalisées": r["hours_delivered"],
                "Heures facturées": r["hours_billed"],
                "ETP": r["fte"],
            }
            for r in facts_rows
            if r["activity_year"] is not None
        ],
        ACTIVITY_COLUMNS,
        integers=("Année",),
    )
    rates = q.rate_rows(engine, None, lever=BONUS_LEVER, facility_type=facility["type"])
    scopes = q.convention_scopes(engine, convention_id)
    applied = {
        find_rate(
            rates,
            year=r.year,
            lever=BONUS_LEVER,
            facility_type=facility["type"],
            territory_class=facility["territory_class"],
            scopes=scopes,
            place_category=category,
        )
        for r in rates
        for category in (EXISTING, NEW)
    }
    rate_table = frame(
        [
            {
                "Année": r.year,
                "Portée": r.scope or "nationale",
                "Places": PLACE_CATEGORIES.get(r.place_category, "toutes"),
                "Classe de territoire": r.territory_class or "toutes (taux de repli)",
                "Base": RateBasis.label_of(r.basis),
                "Montant": r.amount,
                "Taux plancher": r.rate_floor,
                "Plancher": r.floor,
                "Plafond": r.cap,
                "Appliqué": "oui" if r in applied else "non",
                "Source": r.source,
            }
            for r in rates
            if r.territory_class in ("", facility["territory_class"]) and r.scope in ("", *scopes)
        ],
        RATE_COLUMNS,
        integers=("Année",),
    )
    levers = referentials.levers(engine)
    lines = frame(
        [
            {
                "Levier": referentials.label_of(levers, r["lever"]),
                "Année": r["year"],
                "Financeur": r["funder_name"],
                "Bénéficiaire": r["beneficiary_name"],
                "Prévu": r["planned"],
                "Notifié": r["notified"],
                "Versé": r["paid"],
                "Commentaire": r["comment"] or "",
            }
            for r in q.facility_funding_lines(engine, convention_id, facility_code)
        ],
        LINE_COLUMNS,
        integers=("Année",),
    )
    return {
        "facility": {
            key: facility[key]
            for key in (
                "code",
                "name",
                "type",
                "commune",
                "manager",
                "manager_name",
                "places",
                "new_places",
                "new_places_from",
                "psu",
                "territory_class",
                "opens_on",
                "closes_on",
            )
        },
        "type_label": referentials.label_of(referentials.facility_types(engine), facility["type"]),
        "activity": activity,
        "rates": rate_table,
        "lines": lines,
        "years": bonus_reconciliation(engine, convention_id, years, facility_code=facility_code),
    }


ACTIVITY_COLUMNS = ["Année", "Places", "Heures réalisées", "Heures facturées", "ETP"]
RATE_COLUMNS = [
    "Année",
    "Portée",
    "Places",
    "Classe de territoire",
    "Base",
    "Montant",
    "Taux plancher",
    "Plancher",
    "Plafond",
    "Appliqué",
    "Source",
]
LINE_COLUMNS = ["Levier", "Année", "Prévu", "Notifié", "Versé", "Financeur", "Bénéficiaire", "Commentaire"]


def _by_facility(rows: list[dict[str, Any]]) -> Iterable[tuple[dict[str, Any], dict[int, ActivityFacts]]]:
    """Group the one-query rows: the facility's columns once, its activity by year."""
    grouped: dict[int, tuple[dict[str, Any], dict[int, ActivityFacts]]] = {}
    for row in rows:
        _, activities = grouped.setdefault(row["facility_id"], (row, {}))
        if row["activity_year"] is not None:
            activities[row["activity_year"]] = ActivityFacts(
                row["activity_places"],
                row["hours_delivered"],
                row["hours_billed"],
                row["fte"],
                row["activity_new_places"],
            )
    return grouped.values()


def _quantity(rate: RateRow | None, facility: FacilityFacts, activity: ActivityFacts | None) -> Decimal | int | None:
    """The number the rate multiplies (as docs/rules.md step 2 picks it), for display and scripts."""
    if rate is None:
        return None
    if rate.basis == RateBasis.PAR_PLACE:
        return activity.places if activity and activity.places is not None else facility.places
    if rate.basis == RateBasis.PAR_HEURE:
        return activity.hours_delivered if activity else None
    if rate.basis == RateBasis.PAR_ETP:
        return activity.fte if activity else None
    return None


def _base_label(rate: RateRow | None, quantity: Decimal | int | None) -> str:
    if rate is None:
        return fmt.DASH
    if rate.basis == RateBasis.FORFAIT:
        return RateBasis.FORFAIT.label
    if quantity is None:
        return "non renseignée"
    unit: dict[str, str] = {RateBasis.PAR_PLACE: "places", RateBasis.PAR_HEURE: "h", RateBasis.PAR_ETP: "ETP"}
    return f"{fmt.smart_number(quantity)} {unit.get(rate.basis, '')}".strip()


def _rate_label(rate: RateRow) -> str:
    suffixes: dict[str, str] = {
        RateBasis.PAR_PLACE: " / place",
        RateBasis.PAR_HEURE: " / heure",
        RateBasis.PAR_ETP: " / ETP",
        RateBasis.FORFAIT: " (forfait)",
    }
    per = suffixes.get(rate.basis, "")
    text = fmt.exact_money(rate.amount) + per
    bounds = [
        f"taux plancher {fmt.exact_money(rate.rate_floor)}" if rate.rate_floor is not None else "",
        f"plancher {fmt.money(rate.floor)}" if rate.floor is not None else "",
        f"plafond {fmt.money(rate.cap)}" if rate.cap is not None else "",
    ]
    bounds = [b for b in bounds if b]
    return text + (f", {', '.join(bounds)}" if bounds else "")
