"""Looking up codes in the database during an import, including rows the same import created.

Each lookup table is loaded once per import (one query per convention and kind), so that a
file of thousands of rows costs a handful of queries, not one per cell.
"""

from typing import TypeAlias, cast

from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, select

from ctg_data.models import (
    Action,
    Commune,
    Convention,
    CoordinationPost,
    Domain,
    Facility,
    FacilityKind,
    FundingLever,
    Indicator,
    Organisation,
    OrganisationKind,
    Orientation,
)

# What a code stands for once resolved: the id of the row, or the code itself where the row is
# keyed by it (communes, domains, levers).
Key: TypeAlias = int | str
Scoped: TypeAlias = Orientation | Action | Indicator | Facility | CoordinationPost

GLOBAL: dict[
    str,
    tuple[
        type[Convention | Organisation | Commune | Domain | FundingLever | OrganisationKind | FacilityKind],
        Mapped[str],
        Mapped[int | None] | Mapped[str],
    ],
] = {
    "convention": (Convention, col(Convention.code), col(Convention.id)),
    "organisation": (Organisation, col(Organisation.code), col(Organisation.id)),
    "commune": (Commune, col(Commune.insee_code), col(Commune.insee_code)),
    "domain": (Domain, col(Domain.code), col(Domain.code)),
    "lever": (FundingLever, col(FundingLever.code), col(FundingLever.code)),
    "organisation_type": (OrganisationKind, col(OrganisationKind.code), col(OrganisationKind.code)),
    "facility_type": (FacilityKind, col(FacilityKind.code), col(FacilityKind.code)),
}
SCOPED: dict[str, type[Scoped]] = {
    "orientation": Orientation,
    "action": Action,
    "indicator": Indicator,
    "facility": Facility,
    "post": CoordinationPost,
}
LABELS = {
    "convention": "convention",
    "organisation": "organisation",
    "commune": "commune (code INSEE)",
    "domain": "domaine",
    "lever": "levier",
    "organisation_type": "type d'organisation",
    "facility_type": "type d'équipement",
    "orientation": "orientation de cette convention",
    "action": "action de cette convention",
    "indicator": "indicateur de cette convention",
    "facility": "équipement de cette convention",
    "post": "poste de cette convention",
}


class Resolver:
    """`conventions`: the ids of the conventions the importing person may see (None: all); any
    other convention is looked up as if it did not exist."""

    def __init__(self, session: Session, conventions: set[int] | None = None):
        self.session = session
        self.conventions = conventions
        self._maps: dict[tuple[str, int | None], dict[str, Key | None]] = {}

    def _map(self, kind: str, convention_id: int | None) -> dict[str, Key | None]:
        key = (kind, convention_id)
        if key not in self._maps:
            if kind in GLOBAL:
                _, code_col, id_col = GLOBAL[kind]
                rows = self.session.exec(select(code_col, id_col)).all()
                if kind == "convention" and self.conventions is not None:
                    rows = [(code, id_) for code, id_ in rows if id_ in self.conventions]
            else:
                model = SCOPED[kind]
                rows = self.session.exec(
                    select(col(model.code), col(model.id)).where(col(model.convention_id) == convention_id)
                ).all()
            self._maps[key] = dict(rows)
        return self._maps[key]

    def lookup(self, kind: str, code: str, convention_id: int | None = None) -> Key | None:
        return self._map(kind, convention_id if kind in SCOPED else None).get(code)

    def convention(self, code: str) -> int | None:
        """The id of the convention of this code, if it exists and may be seen."""
        return cast(int | None, self.lookup("convention", code))  # conventions are keyed by id

    def known(self, kind: str, code: str, convention_id: int | None = None) -> Key:
        """What a code already checked to exist stands for."""
        found = self.lookup(kind, code, convention_id)
        if found is None:
            raise LookupError(f"{kind} {code} was checked to exist but is unknown")
        return found

    def remember(self, kind: str, code: str, value: Key, convention_id: int | None = None) -> None:
        self._map(kind, convention_id if kind in SCOPED else None)[code] = value
