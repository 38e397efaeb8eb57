"""A convention's facilities (with their yearly activity), funding lines by lever (the CTG bonus
per facility and year, coordination, subsidies of actions), its coordination post and its
steering meetings with decisions."""

from datetime import date, datetime
from decimal import Decimal
from random import Random
from typing import Any

from ctg_data.synthetic.places import Place, add_months

FACILITY_TYPES = ("eaje", "alsh", "rpe", "laep")
FACILITY_NAMES = {"eaje": "Multi-accueil", "alsh": "Accueil de loisirs", "rpe": "Relais petite enfance", "laep": "LAEP"}
# The national barème of the bonus (illustrative amounts of circular C 2021-004's kind).
RATES = {
    "eaje": ("par_place", "3100"),
    "alsh": ("par_heure", "0.54"),
    "rpe": ("forfait", "12000"),
    "laep": ("forfait", "6000"),
}
RATE_YEARS = range(2022, 2028)
FACILITIES = 14
LAST_ACTIVITY_YEAR = 2025  # declared activity: the years before the current one


def facility_rows(rng: Random, item: Place, convention_id: int, managers: list[int], stamp: datetime) -> list[dict]:
    rows = []
    for f in range(1, FACILITIES + 1):
        kind = FACILITY_TYPES[f % 4]
        commune = f % len(item.insee_codes)
        rows.append(
            {
                "convention_id": convention_id,
                "code": f"F-{f:02d}",
                "name": f"{FACILITY_NAMES[kind]} {item.commune_names[commune]} {f}",
                "type": kind,
                "insee_code": item.insee_codes[commune],
                "manager_id": rng.choice(managers),
                "places": rng.randrange(12, 61) if kind in ("eaje", "alsh") else None,
                "psu": kind == "eaje",
                "territory_class": "",
                "opens_on": date(rng.randrange(1985, 2020), rng.randrange(1, 13), 1),
                "version": 1,
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
    return rows


def activity_rows(rng: Random, item: Place, facilities: list[dict], ids: dict[str, int], stamp: datetime) -> list:
    rows = []
    for facility in facilities:
        places = facility["places"]
        for year in range(item.starts_on.year, LAST_ACTIVITY_YEAR + 1):
            hours = Decimal(places * rng.randrange(1300, 1800)) if places else None
            rows.append(
                {
                    "facility_id": ids[facility["code"]],
                    "year": year,
                    "places": places,
                    "hours_delivered": hours,
                    "hours_billed": None if hours is None else (hours * Decimal("1.05")).quantize(Decimal("1")),
                    "fte": Decimal("1.00") if facility["type"] in ("rpe", "laep") else None,
                    "version": 1,
                    "updated_at": stamp,
                }
            )
    return rows


def rate_rows(stamp: datetime, existing: set[tuple[int, str]]) -> list[dict[str, Any]]:
    """The national bonus barème, except the (year, type) pairs a barème of the base already has."""
    return [
        {
            "year": year,
            "lever_code": "bonus_territoire",
            "facility_type": kind,
            "territory_class": "",
            "place_category": "",
            "scope": "",
            "basis": basis,
            "amount": Decimal(amount),
            "source": "Barème illustratif (données synthétiques)",
            "version": 1,
            "updated_at": stamp,
        }
        for year in RATE_YEARS
        for kind, (basis, amount) in RATES.items()
        if (year, kind) not in existing
    ]


def _due(facility: dict, rng: Random) -> Decimal:
    basis, amount = RATES[facility["type"]]
    if basis == "par_place":
        return Decimal(amount) * facility["places"]
    if basis == "par_heure":
        return (Decimal(amount) * facility["places"] * 1500).quantize(Decimal("1"))
    return Decimal(amount)


def _paid(rng: Random, year: int, notified: Decimal, today_year: int) -> Decimal | None:
    if year >= today_year:
        return None
    return (notified * Decimal(rng.choice(("1", "1", "1", "0.8", "0.5")))).quantize(Decimal("0.01"))


def funding_rows(
    rng: Random, item: Place, convention_id: int, org: dict[str, int], links: dict[str, Any], stamp: datetime
) -> list[dict[str, Any]]:
    """Three years of bonus per facility, coordination per year, and subsidies of five actions."""
    rows = []
    years = range(item.starts_on.year, item.starts_on.year + 3)
    base = {"convention_id": convention_id, "version": 1, "created_at": stamp, "updated_at": stamp}
    for facility in links["facilities"]:
        for year in years:
            planned = _due(facility, rng)
            notified = planned if rng.random() < 0.8 else (planned * Decimal("0.9")).quantize(Decimal("0.01"))
            rows.append(
                base
                | {
                    "lever_code": "bonus_territoire",
                    "year": year,
                    "funder_id": org["caf"],
                    "beneficiary_id": facility["manager_id"],
                    "facility_id": links["facility_ids"][facility["code"]],
                    "domain_code": "petite_enfance" if facility["type"] in ("eaje", "rpe") else "enfance",
                    "planned": planned,
                    "notified": notified,
                    "paid": _paid(rng, year, notified, 2026),
                }
            )
    for year in years:
        rows.append(
            base
            | {
                "lever_code": "cofinancement_coordination",
                "year": year,
                "funder_id": org["caf"],
                "beneficiary_id": org["epci"],
                "post_id": links["post_id"],
                "planned": Decimal("30000.00"),
                "notified": Decimal("30000.00"),
                "paid": _paid(rng, year, Decimal("30000.00"), 2026),
            }
        )
    for a in range(1, 6):
        year = years[a % 3]
        amount = Decimal(rng.randrange(2, 40) * 1000)
        rows.append(
            base
            | {
                "lever_code": "subvention",
                "year": year,
                "funder_id": org["departement"],
                "beneficiary_id": org["association"],
                "action_id": links["action_ids"][f"A-{a * 7:02d}"],
                "domain_code": None,
                "planned": amount,
                "notified": amount,
                "paid": _paid(rng, year, amount, 2026),
            }
        )
    return rows


def post_row(item: Place, convention_id: int, employer_id: int) -> dict[str, Any]:
    return {
        "convention_id": convention_id,
        "code": "COORD",
        "title": "Chargé(e) de coopération CTG",
        "employer_id": employer_id,
        "fte": Decimal("1.00"),
        "starts_on": item.starts_on,
        "annual_cost": Decimal("52000.00"),
        "version": 1,
    }


def meeting_rows(item: Place, convention_id: int, stamp: datetime) -> list[dict[str, Any]]:
    """Two COPILs held (after the first year and the third) and one planned before the end."""
    held = [(add_months(item.starts_on, 12), "tenue"), (add_months(item.starts_on, 36), "tenue")]
    return [
        {
            "convention_id": convention_id,
            "kind": "copil",
            "held_on": day,
            "place": f"Mairie de {item.commune_names[0]}",
            "agenda": "Bilan de l'année, avancement des fiches actions, financements",
            "status": status,
            "version": 1,
            "created_at": stamp,
            "updated_at": stamp,
        }
        for day, status in [*held, (add_months(item.ends_on, -3), "prevue")]
    ]
