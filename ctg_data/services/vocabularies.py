"""The four referentials administrators extend (Administration > Référentiels): domains,
organisation types, facility types (with their bonus eligibility) and funding levers.

An entry is added or relabelled, never deleted (rows of every convention may use its code):
administrators only (PermissionDenied otherwise), values checked as the import checks a row of
the sheets `domaines`, `types_organisation`, `types_equipement`, `leviers` (same code rule, same
lengths), one transaction and one audit event per save. An added entry goes last, and an added
domain takes the next colour of the extra palette, as it does through an import.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from ctg_data import models as m
from ctg_data import validation as v
from ctg_data.actors import Actor
from ctg_data.audit import snapshot
from ctg_data.db import session_scope
from ctg_data.errors import ValidationError
from ctg_data.interchange.parsing import parse_code
from ctg_data.permissions import require_write_referentials
from ctg_data.queries.referentials import next_colour, next_position
from ctg_data.services.common import CREATED, UPDATED
from ctg_data.store import save

CODE, LABEL, BONUS = "Code", "Libellé", "Bonus territoire"
LABEL_LIMIT = 80  # the label columns are VARCHAR(80)
Model = type[m.Domain] | type[m.OrganisationKind] | type[m.FacilityKind] | type[m.FundingLever]


@dataclass(frozen=True)
class Vocabulary:
    sheet: str  # the docs/format.md sheet of the same entries
    model: Model
    noun: str  # "le domaine": how messages name one entry
    code_limit: int  # the code column's length

    @property
    def has_bonus(self) -> bool:
        return self.model is m.FacilityKind


VOCABULARIES = {
    vocabulary.sheet: vocabulary
    for vocabulary in (
        Vocabulary("domaines", m.Domain, "le domaine", 40),
        Vocabulary("types_organisation", m.OrganisationKind, "le type d'organisation", 20),
        Vocabulary("types_equipement", m.FacilityKind, "le type d'équipement", 20),
        Vocabulary("leviers", m.FundingLever, "le levier", 40),
    )
}


def _code(raw: object, limit: int) -> str:
    code = parse_code(raw)
    too_long = v.too_long(code, limit)
    if too_long:
        raise ValueError(f"code {too_long}")
    return code


def _checked(vocabulary: Vocabulary, code: object, label: object, bonus: object) -> tuple[str, dict[str, Any]]:
    """(code, attributes to store), or ValidationError naming each bad field."""
    check = v.Check()
    parsed = check.parse(CODE, code, lambda raw: _code(raw, vocabulary.code_limit), required=True)
    text = check.parse(LABEL, label, lambda raw: v.text(raw, limit=LABEL_LIMIT), required=True)
    values: dict[str, Any] = {"label": text}
    if vocabulary.has_bonus:
        if not isinstance(bonus, bool):
            check.add(BONUS, "oui ou non attendu")
        values["bonus"] = bonus
    check.done()
    assert parsed is not None  # required: Check refused a blank code
    return parsed, values


def create(engine: Engine, actor: Actor, sheet: str, *, code: object, label: object, bonus: object = False) -> str:
    """Add an entry; returns its code. A code already used by an entry is refused."""
    vocabulary = VOCABULARIES[sheet]
    try:
        with session_scope(engine) as session:
            require_write_referentials(actor)
            parsed, values = _checked(vocabulary, code, label, bonus)
            if session.get(vocabulary.model, parsed) is not None:
                raise ValidationError({CODE: f"le code « {parsed} » existe déjà : choisissez-le pour le modifier"})
            place: dict[str, Any] = {"position": next_position(session, vocabulary.model)}
            if vocabulary.model is m.Domain:
                place["colour"] = next_colour(session)
            record = vocabulary.model(code=parsed, **values, **place)
            save(session, actor, record, before=None, operation=CREATED)
            return parsed
    except IntegrityError:
        raise ValidationError({CODE: f"le code « {code} » vient d'être créé par quelqu'un d'autre"}) from None


def update(engine: Engine, actor: Actor, sheet: str, code: str, *, label: object, bonus: object = None) -> list[str]:
    """Change an entry's label (and a facility type's eligibility; None keeps it). Returns the
    labels of the fields that changed: none means nothing was written."""
    vocabulary = VOCABULARIES[sheet]
    with session_scope(engine) as session:
        require_write_referentials(actor)
        record = _entry(session, vocabulary, code)
        kept_bonus = getattr(record, "bonus", None) if bonus is None else bonus
        _, values = _checked(vocabulary, code, label, kept_bonus)
        changed = {name: value for name, value in values.items() if getattr(record, name) != value}
        if not changed:
            return []
        before = snapshot(record)
        for name, value in changed.items():
            setattr(record, name, value)
        save(session, actor, record, before=before, operation=UPDATED, what=f"{vocabulary.noun} {code}")
        return [{"label": LABEL, "bonus": BONUS}[name] for name in changed]


def _entry(session: Session, vocabulary: Vocabulary, code: str) -> Any:
    record = session.get(vocabulary.model, code, with_for_update=True)
    if record is None:
        raise ValidationError({CODE: f"{vocabulary.noun} « {code} » n'existe pas"})
    return record


__all__ = ["VOCABULARIES", "Vocabulary", "create", "update"]
