"""Amounts due under a barème (bonus territoire CTG, coordination posts), per RULES.md.

Pure functions over frozen inputs: no database, no Streamlit. Every amount is a Decimal and
is rounded once, at the very end, so that a figure shown to an advisor can be recomputed by hand
from the explanation steps that come with it.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum

from ctg_data.formats import NBSP, exact_money, exact_number
from ctg_data.vocabulary import FacilityType, RateBasis

CENT = Decimal("0.01")


@dataclass(frozen=True)
class RateRow:
    year: int
    lever: str
    facility_type: str  # "" for rows that are not tied to a facility type (posts)
    territory_class: str  # "" for the fallback row of a type
    basis: str
    amount: Decimal
    floor: Decimal | None = None
    cap: Decimal | None = None
    source: str = ""


@dataclass(frozen=True)
class FacilityFacts:
    code: str
    type: str
    territory_class: str
    places: int | None
    opens_on: date | None
    closes_on: date | None


@dataclass(frozen=True)
class ActivityFacts:
    places: int | None = None
    hours_delivered: Decimal | None = None
    hours_billed: Decimal | None = None
    fte: Decimal | None = None


@dataclass(frozen=True)
class PostFacts:
    code: str
    fte: Decimal
    starts_on: date
    ends_on: date | None
    annual_cost: Decimal | None


class DueStatus(StrEnum):
    CALCULE = "calcule"
    SANS_BAREME = "sans_bareme"
    ACTIVITE_MANQUANTE = "activite_manquante"
    COUT_MANQUANT = "cout_manquant"  # taux_cout post without cout_annuel
    FERME = "ferme"  # facility closed, or post not existing, all year


@dataclass(frozen=True)
class Step:
    """One line of the audit trail; `value` is the running amount after it (None for remarks)."""

    kind: str  # base, floor, cap, proration, rounding, fallback, closed, no_rate, missing
    label_fr: str
    value: Decimal | None


@dataclass(frozen=True)
class Due:
    status: DueStatus
    amount: Decimal | None  # None means "unknown", never "zero"
    rate: RateRow | None
    steps: tuple[Step, ...]
    year: int
    lever: str

    def explain_fr(self) -> str:
        return explain_fr(self)


def find_rate(rates: Iterable[RateRow], *, year: int, lever: str, facility_type: str,
              territory_class: str) -> RateRow | None:
    """The exact class row wins; the row with an empty class is the fallback (RULES step 1).
    There is deliberately no fallback on the facility type."""
    fallback = None
    for row in rates:
        if (row.year, row.lever, row.facility_type) != (year, lever, facility_type):
            continue
        if row.territory_class == territory_class:
            return row
        if row.territory_class == "":
            fallback = row
    return fallback


def days_in_year(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


def days_open(opens_on: date | None, closes_on: date | None, year: int) -> int:
    """Days of `year` between the two dates, both inclusive; a missing date is unbounded."""
    first = max(opens_on or date(year, 1, 1), date(year, 1, 1))
    last = min(closes_on or date(year, 12, 31), date(year, 12, 31))
    return max(0, (last - first).days + 1)


def facility_due(facility: FacilityFacts, activity: ActivityFacts | None,
                 rates: Iterable[RateRow], *, year: int, lever: str) -> Due:
    rate = find_rate(rates, year=year, lever=lever, facility_type=facility.type,
                     territory_class=facility.territory_class)
    days = days_open(facility.opens_on, facility.closes_on, year)
    # Closed comes first: nothing is owed whatever the barème or the activity says.
    if days == 0:
        return _closed(f"fermé toute l'année {year}", rate, year, lever)
    if rate is None:
        subject = FacilityType.label_of(facility.type)
        return _no_rate(f"sans barème pour {subject} en {year}", year, lever)

    base = _facility_base(facility, activity, rate, year)
    notes = _fallback_note(rate, facility.territory_class)
    if base.kind == "missing":
        return Due(DueStatus.ACTIVITE_MANQUANTE, None, rate, (base, *notes), year, lever)
    with localcontext() as ctx:
        ctx.prec = 50  # far beyond the cent, so the single final rounding is the only one
        steps = [base, *_bounds(_amount(base), rate.floor, rate.cap)]
        steps += _proration(_amount(steps[-1]), days, year)
    return _finish(steps, notes, rate, year, lever)


def post_due(post: PostFacts, rates: Iterable[RateRow], *, year: int,
             lever: str = "cofinancement_coordination") -> Due:
    rate = find_rate(rates, year=year, lever=lever, facility_type="", territory_class="")
    days = days_open(post.starts_on, post.ends_on, year)
    if days == 0:
        return _closed(f"poste inexistant en {year}", rate, year, lever)
    if rate is None:
        return _no_rate(f"sans barème pour le poste {post.code} en {year}", year, lever)

    with localcontext() as ctx:
        ctx.prec = 50
        if rate.basis == RateBasis.PAR_ETP:
            value = post.fte * rate.amount
            base = Step("base", f"{exact_number(post.fte)} ETP × {exact_money(rate.amount)}", value)
        elif rate.basis == RateBasis.TAUX_COUT:
            if post.annual_cost is None:
                step = Step("missing", f"coût annuel du poste {post.code} non renseigné", None)
                return Due(DueStatus.COUT_MANQUANT, None, rate, (step,), year, lever)
            value = post.annual_cost * rate.amount / 100
            label = f"coût annuel {exact_money(post.annual_cost)} × {exact_number(rate.amount)}{NBSP}%"
            base = Step("base", label, value)
        else:
            raise ValueError(f"base {rate.basis!r} is not defined for a post")
        steps = [base]
        # The barème's plafond is per ETP (RULES.md); a plancher is not defined for posts.
        if rate.cap is not None and value > rate.cap * post.fte:
            limit = rate.cap * post.fte
            label = (f"ramené au plafond de {exact_money(limit)} "
                     f"({exact_money(rate.cap)} × {exact_number(post.fte)} ETP)")
            steps.append(Step("cap", label, limit))
        steps += _proration(_amount(steps[-1]), days, year)
    return _finish(steps, (), rate, year, lever)


def explain_fr(due: Due) -> str:
    """French sentence rebuilt from the steps, e.g.
    "25 places × 3 600,00 € × 122/366 jours = 30 000,00 €"."""
    text, bounded, prorated = "", False, False
    remarks = []
    for step in due.steps:
        if step.kind == "base":
            text = step.label_fr
            base_value = step.value
        elif step.kind in ("floor", "cap"):
            text += ("" if bounded else f" = {exact_money(base_value)}") + f", {step.label_fr}"
            bounded = True
        elif step.kind == "proration":
            text += f" × {step.label_fr}"
            prorated = True
        elif step.kind == "rounding":
            # After a bound without proration the bound already states the final amount.
            if prorated or not bounded:
                text += f" = {exact_money(step.value)}"
        else:
            remarks.append(step.label_fr)
    return " — ".join(part for part in (text, *remarks) if part)


def _facility_base(facility: FacilityFacts, activity: ActivityFacts | None, rate: RateRow,
                   year: int) -> Step:
    """The yearly amount before bounds, or a "missing" step when the activity it needs is absent."""
    if rate.basis == RateBasis.FORFAIT:
        return Step("base", f"forfait {exact_money(rate.amount)}", rate.amount)
    if rate.basis == RateBasis.PAR_PLACE:
        places = activity.places if activity and activity.places is not None else facility.places
        if places is None:
            return Step("missing", f"nombre de places inconnu en {year}", None)
        unit = "place" if places <= 1 else "places"
        label = f"{exact_number(places)} {unit} × {exact_money(rate.amount)}"
        return Step("base", label, Decimal(places) * rate.amount)
    if rate.basis == RateBasis.PAR_HEURE:
        hours = activity.hours_delivered if activity else None
        if hours is None:
            return Step("missing", f"heures réalisées {year} non renseignées", None)
        label = f"{exact_number(hours)} heures réalisées × {exact_money(rate.amount)}/h"
        return Step("base", label, hours * rate.amount)
    if rate.basis == RateBasis.PAR_ETP:
        fte = activity.fte if activity else None
        if fte is None:
            return Step("missing", f"ETP {year} non renseignés", None)
        return Step("base", f"{exact_number(fte)} ETP × {exact_money(rate.amount)}", fte * rate.amount)
    raise ValueError(f"base {rate.basis!r} is not defined for a facility")


def _bounds(value: Decimal, floor: Decimal | None, cap: Decimal | None) -> list[Step]:
    # Floor first, then cap: with inconsistent data (floor > cap) the cap has the last word.
    steps = []
    if floor is not None and value < floor:
        value = floor
        steps.append(Step("floor", f"porté au plancher de {exact_money(floor)}", value))
    if cap is not None and value > cap:
        value = cap
        steps.append(Step("cap", f"ramené au plafond de {exact_money(cap)}", value))
    return steps


def _proration(value: Decimal, days: int, year: int) -> list[Step]:
    total = days_in_year(year)
    if days == total:
        return []  # a full year is not worth a "× 365/365" in the explanation
    return [Step("proration", f"{days}/{total} jours", value * days / total)]


def _fallback_note(rate: RateRow, territory_class: str) -> tuple[Step, ...]:
    if rate.territory_class == territory_class:
        return ()
    return (Step("fallback", "taux de repli (classe vide)", None),)


def _closed(label: str, rate: RateRow | None, year: int, lever: str) -> Due:
    zero = Decimal("0.00")
    return Due(DueStatus.FERME, zero, rate, (Step("closed", label, zero),), year, lever)


def _no_rate(label: str, year: int, lever: str) -> Due:
    return Due(DueStatus.SANS_BAREME, None, None, (Step("no_rate", label, None),), year, lever)


def _finish(steps: list[Step], notes: tuple[Step, ...], rate: RateRow, year: int, lever: str) -> Due:
    amount = _amount(steps[-1]).quantize(CENT, rounding=ROUND_HALF_UP)
    steps.append(Step("rounding", "arrondi au centime", amount))
    return Due(DueStatus.CALCULE, amount, rate, (*steps, *notes), year, lever)


def _amount(step: Step) -> Decimal:
    """The running amount of a step that carries one (base, bounds, proration)."""
    if step.value is None:
        raise ValueError(f"step {step.kind!r} carries no amount")
    return step.value
