"""Looking up codes in the database during an import, including rows the same import created.

Each lookup table is loaded once per import (one query per convention and kind), so that a
file of thousands of rows costs a handful of queries, not one per cell.
"""

from sqlmodel import Session, select

from ctg_data.models import (
    Action,
    Commune,
    Convention,
    CoordinationPost,
    Domain,
    Facility,
    FundingLever,
    Indicator,
    Organisation,
    Orientation,
)

GLOBAL = {
    "convention": (Convention, Convention.code, Convention.id),
    "organisation": (Organisation, Organisation.code, Organisation.id),
    "commune": (Commune, Commune.insee_code, Commune.insee_code),
    "domain": (Domain, Domain.code, Domain.code),
    "lever": (FundingLever, FundingLever.code, FundingLever.code),
}
SCOPED = {
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
        self._maps: dict[tuple, dict] = {}

    def _map(self, kind: str, convention_id: int | None) -> dict:
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
                    select(model.code, model.id).where(model.convention_id == convention_id)
                ).all()
            self._maps[key] = dict(rows)
        return self._maps[key]

    def lookup(self, kind: str, code: str, convention_id: int | None = None):
        return self._map(kind, convention_id if kind in SCOPED else None).get(code)

    def remember(self, kind: str, code: str, value, convention_id: int | None = None) -> None:
        self._map(kind, convention_id if kind in SCOPED else None)[code] = value
