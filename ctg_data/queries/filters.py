"""The filters every view shares: convention, year, domain, commune."""

import os
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Filters:
    convention_id: int
    year: int | None = None
    domain_code: str | None = None
    insee_code: str | None = None


def today() -> date:
    """The reference date of lateness and staleness. CTG_TODAY pins it (demos, tests)."""
    pinned = os.environ.get("CTG_TODAY")
    return date.fromisoformat(pinned) if pinned else date.today()
