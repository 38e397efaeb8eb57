"""Who may do what, checked in ctg_data's services (never only by hiding a button).

Each `require_*` function returns nothing or raises PermissionDenied with a French message.
They take the session so that a rule may look at the data (a partner's organisation must pilot
the action, be its partner, or manage the facility).

Roles:
- lecteur (steering committee): reads the conventions it sees; writes nothing.
- partenaire (partner staff, tied to an organisation): reads like a lecteur, the conventions its
  organisation takes part in; writes measurements, action follow-up and facility activity only
  where its organisation pilots the action (lead or co-pilot: a co-pilot is a pilot), is one of
  its partners, or manages the facility (main manager or co-manager).
- conseiller (CAF advisor): reads all it sees; writes funding lines, barème rows, activity,
  measurements and follow-up; validates measurements.
- admin: everything, accounts and referentials included.

Which conventions a person sees (`visible_convention_ids`):
- admin: every convention;
- lecteur, conseiller: every convention that is not restricted;
- partenaire: the non-restricted conventions its organisation takes part in (signatory, pilot or
  partner of an action, manager of a facility);
- and, for everyone, the conventions they were made a member of (convention_members) — the only
  way into a restricted convention.
"""

from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import ColumnElement, CompoundSelect, Engine, exists, false, or_, true, union
from sqlmodel import Session, col, select

from ctg_data import models as m
from ctg_data.actors import Actor, Role, role_in_sentence
from ctg_data.errors import PermissionDenied  # re-exported: pages and tests import it from here


class Capability(StrEnum):
    """What a role may do, named once; the value completes « Votre rôle … ne permet pas de ».
    Whether a partner may write a given row (its organisation's) is a further, per-row rule."""

    WRITE_FOLLOW_UP = "saisir le suivi des actions"
    WRITE_MEASUREMENTS = "saisir des mesures"
    WRITE_ACTIVITY = "saisir l'activité des équipements"
    VALIDATE_MEASUREMENTS = "valider des mesures"
    WRITE_FUNDING = "modifier les financements"
    WRITE_RATES = "modifier le barème"
    IMPORT = "importer des données"
    WRITE_REFERENTIALS = "modifier les référentiels"
    WRITE_PLAN = (
        "modifier le plan de la convention (actions, indicateurs, équipements, orientations, "
        "signataires, périmètre, postes)"
    )
    WRITE_AMENDMENTS = "ajouter un avenant à une convention"
    MANAGE_ACCOUNTS = "gérer les comptes"
    MANAGE_ACCESS = "gérer l'accès aux conventions"
    READ_AUDIT = "consulter le journal des événements"
    RUN_CHECKS = "lancer les contrôles de cohérence"
    WRITE_MEETINGS = "préparer les comités et en noter les participants et les décisions"


ADVISORS = frozenset({Role.CONSEILLER, Role.ADMIN})  # write anywhere they see, no per-row rule
FIELD_WRITERS = frozenset({Role.PARTENAIRE, *ADVISORS})  # partners: for their organisation only
ADMINS = frozenset({Role.ADMIN})
# The one place that says which roles hold each capability.
ROLES: dict[Capability, frozenset[Role]] = {
    Capability.WRITE_FOLLOW_UP: FIELD_WRITERS,
    Capability.WRITE_MEASUREMENTS: FIELD_WRITERS,
    Capability.WRITE_ACTIVITY: FIELD_WRITERS,
    Capability.VALIDATE_MEASUREMENTS: ADVISORS,
    Capability.WRITE_FUNDING: ADVISORS,
    Capability.WRITE_RATES: ADVISORS,
    Capability.IMPORT: ADVISORS,
    Capability.WRITE_REFERENTIALS: ADMINS,
    Capability.WRITE_PLAN: ADMINS,
    # An avenant changes the convention itself (its dates): whoever may edit its plan.
    Capability.WRITE_AMENDMENTS: ADMINS,
    Capability.MANAGE_ACCOUNTS: ADMINS,
    Capability.MANAGE_ACCESS: ADMINS,
    Capability.READ_AUDIT: ADMINS,
    Capability.RUN_CHECKS: ADMINS,
    # Comités: the CAF advisors (who sit on the COTECH and prepare the COPIL) and administrators;
    # partners and lecteurs read them (a partner, only the decisions concerning its organisation).
    Capability.WRITE_MEETINGS: ADVISORS,
}


def can(actor: Actor, capability: Capability) -> bool:
    """Whether `actor`'s role holds `capability` (before any per-row rule)."""
    return actor.role in ROLES[capability]


def require(actor: Actor, capability: Capability) -> None:
    if not can(actor, capability):
        raise PermissionDenied(f"Votre rôle ({role_in_sentence(actor.role)}) ne permet pas de {capability}.")


def require_role(actor: Actor, roles: set[Role] | frozenset[Role], what: str) -> None:
    if actor.role not in roles:
        raise PermissionDenied(f"Votre rôle ({role_in_sentence(actor.role)}) ne permet pas de {what}.")


def allowed(check: Callable[..., None], *args: Any, **kwargs: Any) -> bool:
    """Whether a `require_*` check passes: for the UI, to offer only what may be done."""
    try:
        check(*args, **kwargs)
    except PermissionDenied:
        return False
    return True


# ------------------------------------------------------------------ reading conventions


def _involved(organisation_id: int) -> CompoundSelect[int]:
    """Conventions an organisation takes part in, as one SELECT of convention ids."""
    live = col(m.Action.deleted_at).is_(None)
    partner_of = (
        select(col(m.Action.convention_id))
        .join(m.ActionPartner, col(m.ActionPartner.action_id) == m.Action.id)
        .where(col(m.ActionPartner.organisation_id) == organisation_id, live)
    )
    copilot_of = (
        select(col(m.Action.convention_id))
        .join(m.ActionCopilot, col(m.ActionCopilot.action_id) == m.Action.id)
        .where(col(m.ActionCopilot.organisation_id) == organisation_id, live)
    )
    return union(
        select(col(m.Signatory.convention_id)).where(col(m.Signatory.organisation_id) == organisation_id),
        select(col(m.Action.convention_id)).where(col(m.Action.pilot_id) == organisation_id, live),
        partner_of,
        copilot_of,
        select(col(m.Facility.convention_id)).where(_manages(organisation_id)),
    )


def _visibility(actor: Actor) -> ColumnElement[bool] | None:
    """The WHERE clause on conventions for what `actor` sees."""
    if actor.role == Role.ADMIN:
        return None
    open_to_role: ColumnElement[bool] = col(m.Convention.restricted).is_(False)
    if actor.role == Role.PARTENAIRE:
        if actor.organisation_id is None:
            open_to_role = false()
        else:
            open_to_role = open_to_role & col(m.Convention.id).in_(_involved(actor.organisation_id))
    if actor.user_id is None:
        return open_to_role
    member = col(m.Convention.id).in_(
        select(col(m.ConventionMember.convention_id)).where(col(m.ConventionMember.user_id) == actor.user_id)
    )
    return or_(open_to_role, member)


def visible_convention_ids(session: Session, actor: Actor) -> set[int]:
    query = select(col(m.Convention.id))
    clause = _visibility(actor)
    if clause is not None:
        query = query.where(clause)
    # A primary key is never NULL, whatever the model's `int | None` (None only before insert) says.
    return set(cast("Sequence[int]", session.exec(query).all()))


def visible_conventions(engine: Engine, actor: Actor) -> frozenset[int]:
    """`visible_convention_ids` from an engine, as a value a read cache can keep."""
    with Session(engine) as session:
        return frozenset(visible_convention_ids(session, actor))


def can_read_convention(session: Session, actor: Actor, convention_id: int) -> bool:
    query = select(col(m.Convention.id)).where(col(m.Convention.id) == convention_id)
    clause = _visibility(actor)
    if clause is not None:
        query = query.where(clause)
    return session.exec(query).first() is not None


def require_read_convention(session: Session, actor: Actor, convention_id: int) -> None:
    if not can_read_convention(session, actor, convention_id):
        raise PermissionDenied("Vous n'avez pas accès à cette convention.")


def readable_conventions(actor: Actor) -> ColumnElement[bool]:
    """The WHERE clause on conventions of those `actor` sees: a list of conventions in one query."""
    clause = _visibility(actor)
    return true() if clause is None else clause


# ------------------------------------------------------------------ writing, one record


def _organisation_takes_part(session: Session, organisation_id: int | None, action_id: int | None) -> bool:
    if organisation_id is None or action_id is None:
        return False
    query = select(col(m.Action.id)).where(col(m.Action.id) == action_id, _takes_part(organisation_id))
    return session.exec(query).first() is not None


def _organisation_manages(session: Session, organisation_id: int | None, facility_id: int | None) -> bool:
    if organisation_id is None or facility_id is None:
        return False
    query = select(col(m.Facility.id)).where(col(m.Facility.id) == facility_id, _manages(organisation_id))
    return session.exec(query).first() is not None


def _require_field_write(
    session: Session, actor: Actor, capability: Capability, convention_id: int, own: Callable[[], bool], refusal: str
) -> None:
    """A follow-up write: the convention seen, the role, and for a partner its organisation's row."""
    require_read_convention(session, actor, convention_id)
    require(actor, capability)
    if actor.role in ADVISORS or own():
        return
    raise PermissionDenied(refusal)


def require_write_action(session: Session, actor: Actor, action: m.Action) -> None:
    """Action follow-up (status, avancement, notes, dates)."""
    _require_field_write(
        session,
        actor,
        Capability.WRITE_FOLLOW_UP,
        action.convention_id,
        lambda: _organisation_takes_part(session, actor.organisation_id, action.id),
        "Seuls le pilote et les partenaires de cette action peuvent en saisir le suivi.",
    )


def require_write_measurement(session: Session, actor: Actor, indicator: m.Indicator) -> None:
    _require_field_write(
        session,
        actor,
        Capability.WRITE_MEASUREMENTS,
        indicator.convention_id,
        lambda: _organisation_takes_part(session, actor.organisation_id, indicator.action_id),
        "Seuls le pilote et les partenaires de l'action liée peuvent saisir cet indicateur.",
    )


def require_write_activity(session: Session, actor: Actor, facility: m.Facility) -> None:
    _require_field_write(
        session,
        actor,
        Capability.WRITE_ACTIVITY,
        facility.convention_id,
        lambda: _organisation_manages(session, actor.organisation_id, facility.id),
        "Seuls le gestionnaire et les cogestionnaires de cet équipement peuvent en saisir l'activité.",
    )


def require_write_funding(session: Session, actor: Actor, convention_id: int) -> None:
    require_read_convention(session, actor, convention_id)
    require(actor, Capability.WRITE_FUNDING)


def require_write_rates(actor: Actor) -> None:
    require(actor, Capability.WRITE_RATES)


def require_validate_measurement(session: Session, actor: Actor, indicator: m.Indicator) -> None:
    require_read_convention(session, actor, indicator.convention_id)
    require(actor, Capability.VALIDATE_MEASUREMENTS)


def require_admin(actor: Actor, what: str = "administrer l'application") -> None:
    require_role(actor, ADMINS, what)


def require_write_referentials(actor: Actor) -> None:
    """Organisations, communes, conventions themselves, imports of whole folders."""
    require(actor, Capability.WRITE_REFERENTIALS)


def require_write_plan(session: Session, actor: Actor, convention_id: int) -> None:
    """The plan of a convention (actions, indicators, facilities, orientations, signatories,
    perimeter, coordination posts): what the Référentiels page lets administrators edit."""
    require_read_convention(session, actor, convention_id)
    require(actor, Capability.WRITE_PLAN)


def require_write_amendment(session: Session, actor: Actor, convention_id: int) -> None:
    """An avenant (and the end date it gives): the convention seen, and the right to amend it."""
    require_read_convention(session, actor, convention_id)
    require(actor, Capability.WRITE_AMENDMENTS)


def require_write_meetings(session: Session, actor: Actor, convention_id: int) -> None:
    """A meeting of a convention, its participants and its decisions."""
    require_read_convention(session, actor, convention_id)
    require(actor, Capability.WRITE_MEETINGS)


def require_manage_accounts(actor: Actor) -> None:
    require(actor, Capability.MANAGE_ACCOUNTS)


def require_read_audit(actor: Actor) -> None:
    require(actor, Capability.READ_AUDIT)


# ------------------------------------------------------------------ writing, lists (one query)


def _takes_part(organisation_id: int) -> ColumnElement[bool]:
    """On actions: piloted by the organisation (lead or co-pilot), or with it as a partner."""
    partner = exists().where(
        col(m.ActionPartner.action_id) == m.Action.id, col(m.ActionPartner.organisation_id) == organisation_id
    )
    copilot = exists().where(
        col(m.ActionCopilot.action_id) == m.Action.id, col(m.ActionCopilot.organisation_id) == organisation_id
    )
    return or_(col(m.Action.pilot_id) == organisation_id, partner, copilot)


def _manages(organisation_id: int) -> ColumnElement[bool]:
    """On facilities: managed by the organisation (main manager or co-manager)."""
    comanager = exists().where(
        col(m.FacilityComanager.facility_id) == m.Facility.id,
        col(m.FacilityComanager.organisation_id) == organisation_id,
    )
    return or_(col(m.Facility.manager_id) == organisation_id, comanager)


def _seen(convention_id: Any, actor: Actor) -> ColumnElement[bool]:
    clause = _visibility(actor)
    return true() if clause is None else convention_id.in_(select(col(m.Convention.id)).where(clause))


def writable_clause(
    actor: Actor, capability: Capability, model: type[m.Action | m.Indicator | m.Facility]
) -> ColumnElement[bool]:
    """The WHERE clause on `model` (actions, indicators or facilities) of the rows `actor` may
    write with `capability`: the same rule as require_write_action / _measurement / _activity,
    for a whole list in one query."""
    if not can(actor, capability):
        return false()
    seen = _seen(col(model.convention_id), actor)
    if actor.role in ADVISORS:
        return seen
    organisation = actor.organisation_id
    if organisation is None:
        return false()
    if model is m.Facility:
        return seen & _manages(organisation)
    if model is m.Indicator:
        return seen & col(m.Indicator.action_id).in_(select(col(m.Action.id)).where(_takes_part(organisation)))
    return seen & _takes_part(organisation)


def writable_ids(
    session: Session,
    actor: Actor,
    capability: Capability,
    model: type[m.Action | m.Indicator | m.Facility],
    convention_id: int,
) -> frozenset[int]:
    """The ids of the rows of a convention `actor` may write with `capability` (one query; none
    at all for a role without the capability). Deleted actions are left out."""
    if not can(actor, capability):
        return frozenset()
    query = select(col(model.id)).where(
        col(model.convention_id) == convention_id, writable_clause(actor, capability, model)
    )
    if model is m.Action:
        query = query.where(col(m.Action.deleted_at).is_(None))
    return frozenset(cast("Sequence[int]", session.exec(query).all()))


def writable_anywhere(
    session: Session, actor: Actor, capability: Capability, model: type[m.Action | m.Indicator | m.Facility]
) -> frozenset[int]:
    """The ids of the rows of every convention `actor` may write with `capability` (one query):
    what an import checks its rows against, instead of one check per row."""
    if not can(actor, capability):
        return frozenset()
    query = select(col(model.id)).where(writable_clause(actor, capability, model))
    return frozenset(cast("Sequence[int]", session.exec(query).all()))


def decision_concerns(organisation_id: int) -> ColumnElement[bool]:
    """On decisions: those concerning an organisation — it owns the decision, or the decision is
    linked to an action it takes part in, to an indicator of such an action, or to a facility it
    manages (the rows it may write)."""
    linked_action = (
        select(col(m.DecisionLink.decision_id))
        .join(m.Action, col(m.Action.id) == m.DecisionLink.action_id)
        .where(_takes_part(organisation_id))
    )
    linked_indicator = (
        select(col(m.DecisionLink.decision_id))
        .join(m.Indicator, col(m.Indicator.id) == m.DecisionLink.indicator_id)
        .join(m.Action, col(m.Action.id) == m.Indicator.action_id)
        .where(_takes_part(organisation_id))
    )
    linked_facility = (
        select(col(m.DecisionLink.decision_id))
        .join(m.Facility, col(m.Facility.id) == m.DecisionLink.facility_id)
        .where(_manages(organisation_id))
    )
    return or_(
        col(m.Decision.owner_id) == organisation_id,
        col(m.Decision.id).in_(union(linked_action, linked_indicator, linked_facility)),
    )


def readable_decisions(actor: Actor) -> ColumnElement[bool]:
    """On decisions (of conventions the actor sees): every one for lecteurs, conseillers and
    administrators; for a partner, those concerning its organisation."""
    if actor.role != Role.PARTENAIRE:
        return true()
    if actor.organisation_id is None:
        return false()
    return decision_concerns(actor.organisation_id)


# ------------------------------------------------------------------ pages

# Pages (by file name under pages/, which is also their URL path) that only some roles may
# open; every other page is open to every signed-in role. The navigation shows only what a role
# may open, and the page framework (`ctg_data.ui.page`) refuses the rest even when reached by a direct link.
PAGE_ROLES: dict[str, frozenset[Role]] = {
    "controles": ROLES[Capability.RUN_CHECKS],
    "admin_referentiels": ROLES[Capability.WRITE_RATES],  # conseillers: the barème only
    "comptes": ROLES[Capability.MANAGE_ACCOUNTS],
    "journal": ROLES[Capability.READ_AUDIT],
    # Comités: every role reads them (partners, the decisions concerning them); writing is
    # checked by the services (Capability.WRITE_MEETINGS).
    "comites": frozenset(Role),
    # Portefeuille: every convention at once, for the CAF advisors and administrators.
    "portefeuille": ADVISORS,
}
# Data-entry pages (`saisie*.py`) are for the roles that write something.
SAISIE_ROLES = FIELD_WRITERS


def page_roles(page_name: str) -> frozenset[Role]:
    if page_name in PAGE_ROLES:
        return PAGE_ROLES[page_name]
    if page_name.startswith("saisie"):
        return SAISIE_ROLES
    return frozenset(Role)


def may_open_page(actor: Actor, page_name: str) -> bool:
    return actor.role in page_roles(page_name)
