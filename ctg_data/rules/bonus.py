"""Amounts due under a barème (bonus territoire CTG, coordination posts), per docs/rules.md
(rules version 2: eligibility, existing and new places, barème scopes, rate floor, years not over).

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
from ctg_data.vocabulary import PLACE_CATEGORIES, FacilityType, RateBasis

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
BONUS_LEVER = "bonus_territoire"
EXISTING, NEW = "existante", "nouvelle"


@dataclass(frozen=True)
class RateRow:
    year: int
    lever: str
    facility_type: str  # "" for rows that are not tied to a facility type (posts)
    territory_class: str  # "" for the fallback row of a type
    basis: str
    amount: Decimal
    floor: Decimal | None = None  # plancher: bounds the yearly amount
    cap: Decimal | None = None  # plafond: bounds the yearly amount
    source: str = ""
    place_category: str = ""  # existante, nouvelle, or "" for any place
    scope: str = ""  # a convention code, a CAF's organisation code, or "" (national)
    rate_floor: Decimal | None = None  # taux_plancher: raises the rate itself (€ per hour…)


@dataclass(frozen=True)
class FacilityFacts:
    code: str
    type: str
    territory_class: str
    places: int | None
    opens_on: date | None
    closes_on: date | None
    psu: bool | None = None
    new_places: int | None = None  # places created since the convention began
    new_places_from: date | None = None
    # The barème scopes to search before the national rows, most specific first: the
    # convention's code, then its CAF's organisation code.
    scopes: tuple[str, ...] = ()
    # The type's bonus eligibility and label: referential data (facility_types), which the
    # caller reads and passes in so that the rule stays pure.
    bonus_eligible: bool = True
    type_label: str = ""

    @property
    def kind(self) -> str:
        """The type as a reader names it: the label given, else a default type's own label (or the code)."""
        return self.type_label or FacilityType.label_of(self.type)


@dataclass(frozen=True)
class ActivityFacts:
    places: int | None = None
    hours_delivered: Decimal | None = None
    hours_billed: Decimal | None = None
    fte: Decimal | None = None
    new_places: int | None = None


@dataclass(frozen=True)
class YearClock:
    """Which years are not over: a year's activity is declared, and its barème published, by a
    declaration date of the next year (31 March by default, a setting). Until that date passes,
    what is missing is not a fault yet."""

    today: date
    declaration_month: int = 3
    declaration_day: int = 31

    def declaration_date(self, year: int) -> date:
        return date(year + 1, self.declaration_month, self.declaration_day)

    def is_pending(self, year: int) -> bool:
        return self.today <= self.declaration_date(year)


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
    HORS_BONUS = "hors_bonus"  # facility type not eligible to the bonus: due is 0
    HORS_PSU = "hors_psu"  # EAJE outside PSU (micro-crèche PAJE): due is 0
    PREVISIONNEL = "previsionnel"  # year not over, its activity not declared yet: unknown
    BAREME_A_PUBLIER = "bareme_a_publier"  # year not over, its barème not published yet: unknown


# Statuses where the facility is outside the bonus: nothing is owed, and money is the whole gap.
INELIGIBLE = frozenset({DueStatus.FERME, DueStatus.HORS_BONUS, DueStatus.HORS_PSU})
# Statuses of a year not over: unknown due, no fault yet.
PENDING = frozenset({DueStatus.PREVISIONNEL, DueStatus.BAREME_A_PUBLIER})


@dataclass(frozen=True)
class Step:
    """One line of the audit trail; `value` is the running amount after it (None for remarks)."""

    # base, floor, cap, proration, rounding (amounts); fallback, scope, rate_floor, eligibility,
    # closed, no_rate, missing, pending (remarks)
    kind: str
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


def find_rate(
    rates: Iterable[RateRow],
    *,
    year: int,
    lever: str,
    facility_type: str,
    territory_class: str,
    scopes: tuple[str, ...] = (),
    place_category: str = "",
) -> RateRow | None:
    """The barème row that applies (rules step 1): scopes are searched from the most specific
    (`scopes`, then the national rows of empty scope); within a scope a row of the place
    category wins over one of empty category, then the exact class over the empty class.
    There is deliberately no fallback on the facility type."""
    candidates = [
        row
        for row in rates
        if (row.year, row.lever, row.facility_type) == (year, lever, facility_type)
        and row.place_category in (place_category, "")
        and row.territory_class in (territory_class, "")
    ]
    for scope in (*scopes, ""):
        in_scope = [row for row in candidates if row.scope == scope]
        if in_scope:
            # Category first: existing and new places are different money; then the class.
            return max(
                in_scope, key=lambda row: (row.place_category == place_category, row.territory_class == territory_class)
            )
    return None


def days_in_year(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


def days_open(opens_on: date | None, closes_on: date | None, year: int) -> int:
    """Days of `year` between the two dates, both inclusive; a missing date is unbounded."""
    first = max(opens_on or date(year, 1, 1), date(year, 1, 1))
    last = min(closes_on or date(year, 12, 31), date(year, 12, 31))
    return max(0, (last - first).days + 1)


def facility_due(
    facility: FacilityFacts,
    activity: ActivityFacts | None,
    rates: Iterable[RateRow],
    *,
    year: int,
    lever: str,
    clock: YearClock | None = None,
) -> Due:
    """What `facility` is owed for `year` under `lever`. Without `clock`, every year is over."""
    rates = list(rates)
    ineligible = _ineligible(facility, year, lever)
    if ineligible is not None:
        return ineligible
    rate = _rate(rates, facility, year, lever, EXISTING) or _rate(rates, facility, year, lever, NEW)
    days = days_open(facility.opens_on, facility.closes_on, year)
    # Closed comes first: nothing is owed whatever the barème or the activity says.
    if days == 0:
        return _closed(f"fermé toute l'année {year}", rate, year, lever)
    pending = clock.declaration_date(year) if clock and clock.is_pending(year) else None
    if rate is None:
        subject = facility.kind
        return _no_rate(f"sans barème pour {subject} en {year}", year, lever, pending)

    base, used = _facility_base(facility, activity, rates, rate, year, lever)
    if base.kind == "no_rate":
        return _no_rate(base.label_fr, year, lever, pending)
    notes = _notes(used, facility)
    if base.kind == "missing":
        if pending is not None:
            step = Step("pending", f"prévisionnel : {base.label_fr} (attendue au {pending:%d/%m/%Y})", None)
            return Due(DueStatus.PREVISIONNEL, None, rate, (step, *notes), year, lever)
        return Due(DueStatus.ACTIVITE_MANQUANTE, None, rate, (base, *notes), year, lever)
    with localcontext() as ctx:
        ctx.prec = 50  # far beyond the cent, so the single final rounding is the only one
        steps = [base, *_bounds(_amount(base), rate.floor, rate.cap)]
        steps += _proration(_amount(steps[-1]), days, year)
    return _finish(steps, notes, rate, year, lever)


def _ineligible(facility: FacilityFacts, year: int, lever: str) -> Due | None:
    """Rules step 0: a facility outside the bonus is owed 0,00 €, not an unknown amount."""
    if lever != BONUS_LEVER:
        return None
    if not facility.bonus_eligible:
        label = f"{facility.kind} : hors bonus territoire (type d'équipement non éligible)"
        return Due(DueStatus.HORS_BONUS, ZERO, None, (Step("eligibility", label, ZERO),), year, lever)
    if facility.type == FacilityType.EAJE and facility.psu is False:
        label = "EAJE hors PSU (micro-crèche PAJE) : pas de bonus territoire"
        return Due(DueStatus.HORS_PSU, ZERO, None, (Step("eligibility", label, ZERO),), year, lever)
    return None


def _rate(rates: list[RateRow], facility: FacilityFacts, year: int, lever: str, category: str) -> RateRow | None:
    return find_rate(
        rates,
        year=year,
        lever=lever,
        facility_type=facility.type,
        territory_class=facility.territory_class,
        scopes=facility.scopes,
        place_category=category,
    )


def post_due(
    post: PostFacts,
    rates: Iterable[RateRow],
    *,
    year: int,
    lever: str = "cofinancement_coordination",
    clock: YearClock | None = None,
) -> Due:
    rate = find_rate(rates, year=year, lever=lever, facility_type="", territory_class="")
    days = days_open(post.starts_on, post.ends_on, year)
    if days == 0:
        return _closed(f"poste inexistant en {year}", rate, year, lever)
    if rate is None:
        pending = clock.declaration_date(year) if clock and clock.is_pending(year) else None
        return _no_rate(f"sans barème pour le poste {post.code} en {year}", year, lever, pending)

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
        # The barème's plafond is per ETP (docs/rules.md); a plancher is not defined for posts.
        if rate.cap is not None and value > rate.cap * post.fte:
            limit = rate.cap * post.fte
            label = (
                f"ramené au plafond de {exact_money(limit)} ({exact_money(rate.cap)} × {exact_number(post.fte)} ETP)"
            )
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


def _facility_base(
    facility: FacilityFacts, activity: ActivityFacts | None, rates: list[RateRow], rate: RateRow, year: int, lever: str
) -> tuple[Step, tuple[RateRow, ...]]:
    """The yearly amount before bounds and the rows it used; or a "missing" step when the
    activity it needs is absent, a "no_rate" step when a place category has no row."""
    if rate.basis == RateBasis.PAR_PLACE:
        return _places_base(facility, activity, rates, year, lever)
    unit = _rate_value(rate)
    if rate.basis == RateBasis.FORFAIT:
        return Step("base", f"forfait {exact_money(unit)}", unit), (rate,)
    if rate.basis == RateBasis.PAR_HEURE:
        hours = activity.hours_delivered if activity else None
        if hours is None:
            return Step("missing", f"heures réalisées {year} non renseignées", None), (rate,)
        label = f"{exact_number(hours)} heures réalisées × {exact_money(unit)}/h"
        return Step("base", label, hours * unit), (rate,)
    if rate.basis == RateBasis.PAR_ETP:
        fte = activity.fte if activity else None
        if fte is None:
            return Step("missing", f"ETP {year} non renseignés", None), (rate,)
        return Step("base", f"{exact_number(fte)} ETP × {exact_money(unit)}", fte * unit), (rate,)
    raise ValueError(f"base {rate.basis!r} is not defined for a facility")


def _places_base(
    facility: FacilityFacts, activity: ActivityFacts | None, rates: list[RateRow], year: int, lever: str
) -> tuple[Step, tuple[RateRow, ...]]:
    """Rules step 2: existing places at the existing-place rate, new places at the new-place
    rate, new places counted from the day they were created."""
    places = activity.places if activity and activity.places is not None else facility.places
    if places is None:
        return Step("missing", f"nombre de places inconnu en {year}", None), ()
    new = activity.new_places if activity and activity.new_places is not None else facility.new_places
    new = min(new or 0, places)
    existing = places - new
    share = _new_places_share(facility, year)
    terms: list[tuple[str, int, RateRow, Decimal]] = []
    for category, count, fraction in ((EXISTING, existing, Decimal(1)), (NEW, new, share)):
        if count == 0 and (category == NEW or new > 0):
            continue  # a category without places needs no row (a facility of 0 places still gets one)
        row = _rate(rates, facility, year, lever, category)
        if row is None:
            subject = f"{PLACE_CATEGORIES[category]} de {facility.kind}"
            return Step("no_rate", f"sans barème pour les {subject} en {year}", None), ()
        terms.append((category, count, row, fraction))
    value = sum((Decimal(count) * _rate_value(row) * fraction for _, count, row, fraction in terms), Decimal(0))
    split = new > 0 or any(row.place_category for _, _, row, _ in terms)
    label = " + ".join(
        _places_label(category, count, row, fraction, facility, year, split) for category, count, row, fraction in terms
    )
    return Step("base", label, value), tuple(row for _, _, row, _ in terms)


def _places_label(
    category: str, count: int, row: RateRow, fraction: Decimal, facility: FacilityFacts, year: int, split: bool
) -> str:
    unit = "place" if count <= 1 else "places"
    kind = ""
    if split:
        kind = " existante" if category == EXISTING else " nouvelle"
        kind += "s" if count > 1 else ""
    text = f"{exact_number(count)} {unit}{kind} × {exact_money(_rate_value(row))}"
    if fraction != 1:
        counted, open_days = _new_places_days(facility, year)
        text += f" × {counted}/{open_days} jours"
    return text


def _new_places_days(facility: FacilityFacts, year: int) -> tuple[int, int]:
    """(days of `year` the new places exist while the facility is open, days it is open)."""
    start = facility.new_places_from
    opens = max(start, facility.opens_on) if start and facility.opens_on else (start or facility.opens_on)
    return days_open(opens, facility.closes_on, year), days_open(facility.opens_on, facility.closes_on, year)


def _new_places_share(facility: FacilityFacts, year: int) -> Decimal:
    """The part of the open days of `year` during which the new places exist: the whole-year
    proration of step 4 then applies to every place alike, so no day is counted twice."""
    if facility.new_places_from is None:
        return Decimal(1)
    counted, open_days = _new_places_days(facility, year)
    return Decimal(counted) / Decimal(open_days) if open_days else Decimal(0)


def _rate_value(rate: RateRow) -> Decimal:
    """The rate after its floor (taux_plancher): the floor raises the rate, not the amount."""
    if rate.rate_floor is not None and rate.amount < rate.rate_floor:
        return rate.rate_floor
    return rate.amount


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


def _notes(used: tuple[RateRow, ...], facility: FacilityFacts) -> tuple[Step, ...]:
    """Remarks on the rows applied: their scope, the class fallback, a raised rate."""
    notes = []
    for scope in dict.fromkeys(row.scope for row in used if row.scope):
        whose = "de la convention" if facility.scopes and scope == facility.scopes[0] else "de la CAF"
        notes.append(Step("scope", f"barème {whose} {scope}", None))
    if any(row.territory_class != facility.territory_class for row in used):
        notes.append(Step("fallback", "taux de repli (classe vide)", None))
    for row in dict.fromkeys(row for row in used if _rate_value(row) != row.amount):
        notes.append(
            Step(
                "rate_floor",
                f"taux de {exact_money(row.amount)} porté au taux plancher de {exact_money(_rate_value(row))}",
                None,
            )
        )
    return tuple(notes)


def _closed(label: str, rate: RateRow | None, year: int, lever: str) -> Due:
    return Due(DueStatus.FERME, ZERO, rate, (Step("closed", label, ZERO),), year, lever)


def _no_rate(label: str, year: int, lever: str, pending: date | None = None) -> Due:
    if pending is not None:
        step = Step("pending", f"barème {year} à publier", None)
        return Due(DueStatus.BAREME_A_PUBLIER, None, None, (step,), year, lever)
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
