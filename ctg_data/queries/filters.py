"""The filters every view shares: convention, year, domain, commune."""

from dataclasses import dataclass
from datetime import date

from ctg_data.settings import pinned_today


@dataclass(frozen=True)
class Filters:
    convention_id: int
    year: int | None = None
    domain_code: str | None = None
    insee_code: str | None = None


def today() -> date:
    """The reference date of lateness and staleness. CTG_TODAY pins it (demos, tests)."""
    return pinned_today() or date.today()
