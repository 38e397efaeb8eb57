"""The national map of synthetic data: départements, communes, organisations and conventions.

Names are made up but read like real ones; codes carry the seed (`s7-…`) so that a second
generation beside the first (`--force`) never collides with it nor with a user's codes."""

from dataclasses import dataclass
from datetime import date, timedelta
from random import Random

DEPARTEMENTS = (
    ("01", "Ain"), ("02", "Aisne"), ("03", "Allier"), ("05", "Hautes-Alpes"), ("07", "Ardèche"),
    ("09", "Ariège"), ("11", "Aude"), ("12", "Aveyron"), ("14", "Calvados"), ("16", "Charente"),
    ("18", "Cher"), ("19", "Corrèze"), ("22", "Côtes-d'Armor"), ("24", "Dordogne"), ("25", "Doubs"),
    ("26", "Drôme"), ("29", "Finistère"), ("31", "Haute-Garonne"), ("32", "Gers"), ("33", "Gironde"),
    ("35", "Ille-et-Vilaine"), ("38", "Isère"), ("39", "Jura"), ("40", "Landes"), ("42", "Loire"),
    ("44", "Loire-Atlantique"), ("46", "Lot"), ("49", "Maine-et-Loire"), ("51", "Marne"), ("56", "Morbihan"),
    ("59", "Nord"), ("63", "Puy-de-Dôme"), ("64", "Pyrénées-Atlantiques"), ("65", "Hautes-Pyrénées"),
    ("67", "Bas-Rhin"), ("69", "Rhône"), ("71", "Saône-et-Loire"), ("74", "Haute-Savoie"), ("79", "Deux-Sèvres"),
    ("86", "Vienne"),
)  # fmt: skip
_START = ("Saint-", "Sainte-", "Les ", "Le ", "La ", "", "", "")
_ROOT = (
    "Aubigny", "Beaumont", "Champagne", "Fontaine", "Montfort", "Villeneuve", "Roche", "Bellevue",
    "Castelnau", "Mirande", "Valence", "Brienne", "Lavaur", "Marcilly", "Pouilly", "Sauveterre",
)  # fmt: skip
_END = ("", "", "-sur-Loire", "-en-Vallée", "-les-Bains", "-le-Château", "-sur-Mer", "-du-Lac")
COMMUNES_PER_CONVENTION = 2
MAX_CONVENTIONS = 10_000  # three INSEE digits per département and two communes each


@dataclass(frozen=True)
class Place:
    """One convention's frame: its number, code, département, communes and dates."""

    index: int
    code: str
    departement: tuple[str, str]
    insee_codes: tuple[str, ...]
    commune_names: tuple[str, ...]
    starts_on: date
    ends_on: date
    restricted: bool

    @property
    def territory(self) -> str:
        return f"{self.commune_names[0]} et alentours ({self.departement[1]})"


def commune_name(rng: Random) -> str:
    return f"{rng.choice(_START)}{rng.choice(_ROOT)}{rng.choice(_END)}"


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def month_end(day: date, months: int) -> date:
    return add_months(day, months + 1) - timedelta(days=1)


def place(seed: int, index: int) -> Place:
    """Convention number `index` (from 1) of generation `seed`: the same for the same pair."""
    rng = Random(f"{seed}:place:{index}")
    departement = DEPARTEMENTS[(index - 1) % len(DEPARTEMENTS)]
    rank = (index - 1) // len(DEPARTEMENTS)
    insee = tuple(
        f"{departement[0]}{COMMUNES_PER_CONVENTION * rank + k + 1:03d}" for k in range(COMMUNES_PER_CONVENTION)
    )
    starts_on = add_months(date(2022, 9, 1), rng.randrange(10))  # between September 2022 and June 2023
    return Place(
        index=index,
        code=f"ctg-s{seed}-{index:04d}",
        departement=departement,
        insee_codes=insee,
        commune_names=tuple(commune_name(rng) for _ in insee),
        starts_on=starts_on,
        ends_on=add_months(starts_on, 48) - timedelta(days=1),
        restricted=index % 20 == 0,
    )


def organisation_codes(seed: int, item: Place) -> dict[str, str]:
    """The organisations of a convention by role: the CAF and the département are shared by the
    conventions of a département, the others are the convention's own."""
    dep = item.departement[0]
    own = f"s{seed}-{item.index:04d}"
    codes = {"caf": f"s{seed}-caf{dep}", "departement": f"s{seed}-cd{dep}", "epci": f"{own}-epci"}
    codes |= {f"commune{k}": f"{own}-com{k}" for k in range(len(item.insee_codes))}
    return codes | {"association": f"{own}-asso", "centre_social": f"{own}-cs"}


def organisation_rows(seed: int, item: Place) -> list[dict[str, str]]:
    """The organisation rows of a convention; shared ones are the caller's to insert once."""
    codes = organisation_codes(seed, item)
    dep_name = item.departement[1]
    names = {
        "caf": (f"CAF {dep_name}", "caf"),
        "departement": (f"Conseil départemental {dep_name}", "departement"),
        "epci": (f"Communauté de communes {item.commune_names[0]}", "epci"),
        "association": (f"Familles rurales {item.commune_names[-1]}", "association"),
        "centre_social": (f"Centre social {item.commune_names[0]}", "association"),
    }
    names |= {f"commune{k}": (f"Commune de {name}", "commune") for k, name in enumerate(item.commune_names)}
    return [{"code": codes[role], "name": name, "type": kind} for role, (name, kind) in names.items()]
