"""The write core: every writer (the services behind the forms, the referential editor, the
accounts, the import) changes the database through these functions, inside the caller's
transaction, so that the version check, the superseding of a measurement, an action's links and
the audit event are written one way only.

Optimistic locking: a record read for an edit is locked (`load_for_update`: FOR UPDATE on
PostgreSQL; on SQLite the write lock every `db.session_scope`/`db.for_writing` unit of work
takes as it begins), its version compared with the one the form read (`refuse_if_stale`), and
the UPDATE or DELETE itself carries the version read (models.versioned), turned into a
ConflictError when it matches no row (`conflict_if_stale`).
"""

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, TypeAlias, TypeVar

from sqlalchemy import Table, inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, SQLModel, col, select

from ctg_data import models as m
from ctg_data.actors import Actor
from ctg_data.audit import audit, record_key, snapshot
from ctg_data.errors import ConflictError, ValidationError
from ctg_data.rules.indicators import steps_of
from ctg_data.validation import IndicatorLimits

Record = TypeVar("Record", bound=SQLModel)
# How the audit trail shows a record (accounts leave their password hash out).
View: TypeAlias = Callable[[Any], dict[str, Any]]
# A record's links by name: an action's partners (organisation ids) and communes (INSEE codes),
# sorted, by docs/format.md column; its co-pilots and a facility's co-managers, in their order.
Links: TypeAlias = dict[str, list[Any]]
LinkRow: TypeAlias = m.ActionPartner | m.ActionCommune | m.ActionCopilot | m.FacilityComanager
Linked: TypeAlias = m.Action | m.Facility  # the records that have links
ACTION_LINKS: dict[str, tuple[type[LinkRow], str]] = {
    "partenaires": (m.ActionPartner, "organisation_id"),
    "communes": (m.ActionCommune, "insee_code"),
    "copilotes": (m.ActionCopilot, "organisation_id"),
}
FACILITY_LINKS: dict[str, tuple[type[LinkRow], str]] = {"cogestionnaires": (m.FacilityComanager, "organisation_id")}
RECORD_LINKS: dict[type[Linked], tuple[str, dict[str, tuple[type[LinkRow], str]]]] = {
    m.Action: ("action_id", ACTION_LINKS),
    m.Facility: ("facility_id", FACILITY_LINKS),
}
# Links whose order means something (`position`): the first co-pilot comes after the lead, and so on.
ORDERED_LINKS = frozenset({"copilotes", "cogestionnaires"})
# A list column whose first code is the record's own attribute (the lead pilot, the main manager)
# and the others the ordered link named here: `pilote` = "simaje;lourdes".
LEAD_LISTS = {"pilote": "copilotes", "gestionnaire": "cogestionnaires"}
ACTOR_LIMIT = 200  # AuditEvent.actor


def actor_name(actor: Actor | str) -> str:
    """The audit trail's name of whoever writes: an Actor, or the loader's label."""
    return (actor.label if isinstance(actor, Actor) else actor)[:ACTOR_LIMIT]


# ------------------------------------------------------------------ reading for an edit


def load_for_update(session: Session, model: type[Record], record_id: object, field: str, what: str) -> Record:
    """The record, locked until the transaction ends (FOR UPDATE on PostgreSQL; on SQLite the
    unit of work already holds the write lock), or a ValidationError naming `field` when it
    does not exist."""
    record = None
    if record_id is not None:
        table: Table = inspect(model).local_table
        primary = next(iter(table.primary_key.columns))
        record = session.exec(select(model).where(primary == record_id).with_for_update()).first()
    if record is None:
        raise ValidationError(
            {field: f"{what} n° {record_id} inconnu(e)" if record_id is not None else "champ obligatoire"}
        )
    return record


def opened_snapshot(record: m.Versioned) -> dict[str, Any]:
    """What a form is built from: the audit snapshot plus the version it read."""
    return snapshot(record) | {"version": record.version}


def last_writer(session: Session, record: SQLModel) -> str | None:
    """Who wrote `record` last, from the audit trail."""
    return session.exec(
        select(col(m.AuditEvent.actor))
        .where(col(m.AuditEvent.table_name) == record.__tablename__, col(m.AuditEvent.record_key) == record_key(record))
        .order_by(col(m.AuditEvent.id).desc())
    ).first()


def refuse_if_stale(
    session: Session,
    record: m.Versioned,
    expected_version: int | None,
    opened: dict[str, Any] | None,
    what: str,
    *,
    shown: dict[str, Any] | None = None,
    label: Callable[[str], str] = str,
) -> None:
    """ConflictError (who saved, and what changed) when someone saved `record` since the form
    read `expected_version`; a form that saw no record (None) conflicts with any record.
    `shown` is the record as the form shows it (default: its audit snapshot) and `label` names
    its fields, so that the changes are told in the form's own terms."""
    if expected_version is not None and record.version == expected_version:
        return
    current = snapshot(record) if shown is None else shown
    if expected_version is None:
        changes = [(name, None, value) for name, value in current.items() if value is not None and name != "id"]
    else:
        changes = [
            (name, opened.get(name), value)
            for name, value in current.items()
            if opened is not None and name in opened and opened[name] != value
        ]
    raise ConflictError(
        record=what,
        changed_by=last_writer(session, record),
        changes=[(label(name), was, now) for name, was, now in changes],
    )


@contextmanager
def conflict_if_stale(what: str | None = None) -> Iterator[None]:
    """Turn the database's refusal of a stale write into the ConflictError forms show: the
    UPDATE or DELETE of a versioned record (models.versioned) matched no row because someone
    saved it since it was read. `what` names the record ("Le financement n° 3")."""
    try:
        yield
    except StaleDataError:
        raise ConflictError(record=what or "L'enregistrement", changed_by=None) from None


# ------------------------------------------------------------------ writing


def _store(session: Session, record: SQLModel, *, updating: bool, what: str | None, at: datetime | None) -> None:
    """INSERT or UPDATE `record` now, bumping its version on an update (the UPDATE carries the
    version read: a stale one is a ConflictError naming `what`)."""
    if updating and hasattr(record, "version"):
        record.version += 1
    if hasattr(record, "updated_at"):
        record.updated_at = at or m.utcnow()
    session.add(record)
    with conflict_if_stale(what):
        session.flush()


def save(
    session: Session,
    actor: Actor | str,
    record: SQLModel,
    *,
    before: dict[str, Any] | None,
    operation: str,
    reason: str | None = None,
    what: str | None = None,
    view: View = snapshot,
    at: datetime | None = None,
) -> None:
    """Write `record` (`before` None: a creation) and its audit event in the caller's
    transaction. `view` is how the audit shows the record after the write (as `before` showed
    it before); `at` the time of the change (default: now)."""
    _store(session, record, updating=before is not None, what=what, at=at)
    audit(
        session,
        actor=actor_name(actor),
        operation=operation,
        record=record,
        before=before,
        after=view(record),
        reason=reason,
    )


def remove(
    session: Session,
    actor: Actor | str,
    record: SQLModel,
    *,
    operation: str,
    reason: str | None = None,
    what: str | None = None,
    before: dict[str, Any] | None = None,
) -> None:
    """Delete `record` with its audit event (`before`: how it is shown, default its snapshot).
    The DELETE of a versioned record carries the version read: a stale one deletes nothing."""
    audit(
        session,
        actor=actor_name(actor),
        operation=operation,
        record=record,
        before=snapshot(record) if before is None else before,
        after=None,
        reason=reason,
    )
    session.delete(record)
    with conflict_if_stale(what):
        session.flush()


# ------------------------------------------------------------------ an action (or a facility) and its links


def current_links(
    session: Session, record_id: int | None, names: Iterable[str] | None = None, model: type[Linked] = m.Action
) -> Links:
    """The stored links of an action (partners, communes, co-pilots) or of a facility
    (`model`; its co-managers), none for a record not yet created, for the link names `names`
    (default: all of the model's). Ordered links come in their order, the others sorted."""
    owner, links_of = RECORD_LINKS[model]
    links: Links = {}
    for name in links_of if names is None else names:
        link, attribute = links_of[name]
        if record_id is None:
            links[name] = []
            continue
        query = select(col(getattr(link, attribute))).where(col(getattr(link, owner)) == record_id)
        if name in ORDERED_LINKS:
            links[name] = list(session.exec(query.order_by(inspect(link).columns["position"])).all())
        else:
            links[name] = sorted(session.exec(query).all())
    return links


def set_links(session: Session, record: Linked, wanted: Links, current: Links) -> None:
    """Make the stored links of `record` (an action or a facility) those of `wanted` (only the
    names it holds); an ordered link also takes the position of each item."""
    owner, links_of = RECORD_LINKS[type(record)]
    record_id = m.stored_id(record)
    for name, ids in wanted.items():
        model, attribute = links_of[name]
        for gone in set(current[name]) - set(ids):
            session.delete(session.get_one(model, (record_id, gone)))
        for position, new in enumerate(ids, start=1):
            stored = session.get(model, (record_id, new)) if new in current[name] else None
            if stored is not None:
                if isinstance(stored, m.ActionCopilot | m.FacilityComanager) and stored.position != position:
                    stored.position = position
                continue
            link: dict[str, Any] = {owner: record_id, attribute: new}
            if name in ORDERED_LINKS:
                link["position"] = position
            session.add(model(**link))
    session.flush()


def save_action(
    session: Session,
    actor: Actor | str,
    action: Linked,
    *,
    before: dict[str, Any] | None,
    links: Links,
    links_before: Links,
    operation: str,
    reason: str | None = None,
    what: str | None = None,
    at: datetime | None = None,
) -> None:
    """`save` for an action with its partners, communes and co-pilots (or a facility with its
    co-managers), in one audit event (the whole record before and after, links included, as the
    import and the referential editor both record it)."""
    _store(session, action, updating=before is not None, what=what, at=at)
    set_links(session, action, links, links_before)
    audit(
        session,
        actor=actor_name(actor),
        operation=operation,
        record=action,
        before=None if before is None else before | links_before,
        after=snapshot(action) | links,
        reason=reason,
    )


# ------------------------------------------------------------------ measurements


def convention_perimeter(session: Session, convention_id: int) -> frozenset[str]:
    """The INSEE codes of a convention's communes."""
    return frozenset(
        session.exec(select(col(m.Perimeter.insee_code)).where(col(m.Perimeter.convention_id) == convention_id)).all()
    )


def measurement_limits(
    session: Session, indicator: m.Indicator, perimeter: frozenset[str] | None = None
) -> IndicatorLimits:
    """What a new value of `indicator` is checked against (form, grid and import alike).
    `perimeter`: its convention's (convention_perimeter), when already read for a whole list."""
    convention = session.get_one(m.Convention, indicator.convention_id)
    if perimeter is None:
        perimeter = convention_perimeter(session, indicator.convention_id)
    return IndicatorLimits(
        m.stored_id(indicator),
        indicator.code,
        indicator.unit,
        indicator.min_value,
        indicator.max_value,
        convention.starts_on,
        convention.ends_on,
        steps=steps_of(indicator.nature, indicator.steps),
        perimeter=perimeter,
        baseline_date=indicator.baseline_date,
        target_date=indicator.target_date,
    )


def current_measurement(
    session: Session, indicator_id: int, measured_on: date, type: str, insee_code: str | None = None
) -> m.Measurement | None:
    """The current (not superseded) value of an indicator at a date, for one commune
    (`insee_code`) or the whole convention (None), locked for the change."""
    commune = col(m.Measurement.insee_code)
    return session.exec(
        select(m.Measurement)
        .where(
            col(m.Measurement.indicator_id) == indicator_id,
            col(m.Measurement.measured_on) == measured_on,
            col(m.Measurement.type) == type,
            commune.is_(None) if insee_code is None else commune == insee_code,
            col(m.Measurement.superseded_at).is_(None),
        )
        .with_for_update()
    ).first()


def supersede(
    session: Session,
    actor: Actor | str,
    current: m.Measurement | None,
    new: m.Measurement,
    *,
    origin: str,
    reason: str | None = None,
    what: str | None = None,
    at: datetime | None = None,
) -> None:
    """Record `new`; the `current` value of the same indicator, date and type (if any) is
    stamped superseded by it and kept, never overwritten. Audited as `<origin>:correction` (the
    old row) and `<origin>:création` (the new one). Another save of the same value at the same
    moment is a ConflictError naming `what`: never two current values."""
    now = at or m.utcnow()
    before = None if current is None else snapshot(current)  # as it was, before being superseded
    try:
        if current is not None:
            current.superseded_at = now
            session.flush()  # frees the "one current value" slot (partial unique index) first
        new.recorded_at = now
        session.add(new)
        session.flush()
    except IntegrityError:
        raise ConflictError(record=what or "La mesure", changed_by=None) from None
    if current is not None:
        current.superseded_by_id = new.id
        audit(
            session,
            actor=actor_name(actor),
            operation=f"{origin}:correction",
            record=current,
            before=before,
            after=snapshot(current),
            reason=reason,
        )
    audit(
        session,
        actor=actor_name(actor),
        operation=f"{origin}:création",
        record=new,
        before=None,
        after=snapshot(new),
        reason=reason,
    )
    session.flush()
