"""A facility's yearly activity: places, hours delivered and billed, FTE (one row per year).

The form reads the year's row (or none) and passes its version back: a row created or changed
by someone else since then refuses the save with what they wrote.
"""

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy import select as select_columns  # sqlmodel's select is typed for four columns at most
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ctg_data import models as m
from ctg_data.actors import Actor
from ctg_data.audit import snapshot
from ctg_data.db import session_scope
from ctg_data.errors import ConflictError, ValidationError
from ctg_data.interchange.form_rules import previous_activity
from ctg_data.permissions import Capability, require_write_activity, writable_ids
from ctg_data.services.common import CREATED, UPDATED
from ctg_data.store import load_for_update, opened_snapshot, refuse_if_stale, save
from ctg_data.validation import activity_input


@dataclass(frozen=True)
class ActivityResult:
    outcome: str  # "créée", "modifiée" or "inchangée"
    activity_id: int
    opened: dict[str, Any]

    @property
    def message(self) -> str:
        return {
            "créée": "Activité enregistrée.",
            "modifiée": "Activité mise à jour.",
            "inchangée": "Rien n'a changé : rien n'a été enregistré.",
        }[self.outcome]


def facilities_frame(engine: Engine, convention_id: int) -> pd.DataFrame:
    """The facilities of a convention, for the form's selector."""
    query = (
        select_columns(
            col(m.Facility.id),
            col(m.Facility.code),
            col(m.Facility.name),
            col(m.Facility.type),
            col(m.Organisation.name),
        )
        .join(m.Organisation, col(m.Organisation.id) == m.Facility.manager_id)
        .where(col(m.Facility.convention_id) == convention_id)
        .order_by(col(m.Facility.code))
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return pd.DataFrame(rows, columns=["id", "code", "name", "type", "manager"])


def activity_frame(engine: Engine, facility_id: int) -> pd.DataFrame:
    """The activity rows of one facility, most recent year first."""
    A = m.FacilityActivity
    query = (
        select_columns(col(A.year), col(A.places), col(A.hours_delivered), col(A.hours_billed), col(A.fte))
        .where(col(A.facility_id) == facility_id)
        .order_by(col(A.year).desc())
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return pd.DataFrame(rows, columns=["year", "places", "hours_delivered", "hours_billed", "fte"])


def activity_for_edit(engine: Engine, facility_id: int, year: int) -> dict[str, Any] | None:
    """The year's row as a snapshot with its version, or None when the year has no row yet."""
    with Session(engine) as session:
        row = session.exec(
            select(m.FacilityActivity).where(
                col(m.FacilityActivity.facility_id) == facility_id, col(m.FacilityActivity.year) == year
            )
        ).first()
        return None if row is None else opened_snapshot(row)


def writable_facility_ids(engine: Engine, actor: Actor, convention_id: int) -> frozenset[int]:
    """The facilities of a convention whose activity `actor` may write."""
    with Session(engine) as session:
        return writable_ids(session, actor, Capability.WRITE_ACTIVITY, m.Facility, convention_id)


def upsert_activity(
    engine: Engine,
    actor: Actor,
    *,
    facility_id: int,
    year,
    places=None,
    hours_delivered=None,
    hours_billed=None,
    fte=None,
    expected_version: int | None = None,
    opened: dict[str, Any] | None = None,
    override_reason=None,
    confirmed: bool = False,
) -> ActivityResult:
    """Create the year's row, or update it. `expected_version` is the version the form read,
    None when it saw no row for that year. Places or hours ten times those of the year before,
    or a tenth of them, are refused unless `confirmed` (kept as the audit reason)."""
    with session_scope(engine) as session:
        facility = load_for_update(session, m.Facility, facility_id, "Équipement", "équipement")
        require_write_activity(session, actor, facility)
        convention = session.get_one(m.Convention, facility.convention_id)
        data = activity_input(
            year=year,
            places=places,
            hours_delivered=hours_delivered,
            hours_billed=hours_billed,
            fte=fte,
            convention_starts_on=convention.starts_on,
            convention_ends_on=convention.ends_on,
            override_reason=override_reason,
            previous=previous_activity(session, m.stored_id(facility)),
            confirmed=confirmed,
        )
        what = f"Le relevé d'activité {data.year} de {facility.code}"
        values: dict[str, Any] = {
            "places": data.places,
            "hours_delivered": data.hours_delivered,
            "hours_billed": data.hours_billed,
            "fte": data.fte,
        }
        row = session.exec(
            select(m.FacilityActivity)
            .where(col(m.FacilityActivity.facility_id) == facility.id, col(m.FacilityActivity.year) == data.year)
            .with_for_update()
        ).first()
        if row is None:
            if expected_version is not None:
                raise ValidationError(
                    {
                        "Année": f"l'activité {data.year} de cet équipement a été supprimée "
                        "depuis l'ouverture du formulaire"
                    }
                )
            row = m.FacilityActivity(facility_id=m.stored_id(facility), year=data.year, **values)
            _save_new(session, actor, row, what, data.override_reason)
            return ActivityResult("créée", m.stored_id(row), opened_snapshot(row))
        if all(getattr(row, name) == value for name, value in values.items()):
            return ActivityResult("inchangée", m.stored_id(row), opened_snapshot(row))
        refuse_if_stale(session, row, expected_version, opened, what)
        before = snapshot(row)
        for name, value in values.items():
            setattr(row, name, value)
        save(session, actor, row, before=before, operation=UPDATED, reason=data.override_reason, what=what)
        return ActivityResult("modifiée", m.stored_id(row), opened_snapshot(row))


def _save_new(session: Session, actor: Actor, row: m.FacilityActivity, what: str, reason: str | None) -> None:
    try:
        save(session, actor, row, before=None, operation=CREATED, reason=reason)
    except IntegrityError:
        # Someone created the same year at the same moment (unique facility + year).
        raise ConflictError(record=what, changed_by=None) from None
