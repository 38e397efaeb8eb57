"""Who may do what, checked in ctg_data's services (never only by hiding a button).

Each `require_*` function returns nothing or raises PermissionDenied with a French message.
They take the session so that a rule may look at the data (a partner's organisation must pilot
the action, be its partner, or manage the facility).

Roles:
- lecteur (steering committee): reads the conventions it sees; writes nothing.
- partenaire (partner staff, tied to an organisation): reads like a lecteur, the conventions its
  organisation takes part in; writes measurements, action follow-up and facility activity only
  where its organisation pilots the action, is one of its partners, or manages the facility.
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
from typing import Any, cast

from sqlalchemy import ColumnElement, CompoundSelect, Engine, false, or_, union
from sqlmodel import Session, col, select

from ctg_data import models as m
from ctg_data.actors import ROLE_LABELS, Actor, Role


class PermissionDenied(Exception):
    """Raised with a French message a page can show as it is."""


WRITERS_OF_FUNDING = {Role.CONSEILLER, Role.ADMIN}
WRITERS_OF_FOLLOW_UP = {Role.PARTENAIRE, Role.CONSEILLER, Role.ADMIN}
VALIDATORS = {Role.CONSEILLER, Role.ADMIN}


def require_role(actor: Actor, roles: set[Role], what: str) -> None:
    if actor.role not in roles:
        raise PermissionDenied(f"Votre rôle ({ROLE_LABELS[actor.role].lower()}) ne permet pas de {what}.")


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
    partner_of = (select(col(m.Action.convention_id))
                  .join(m.ActionPartner, col(m.ActionPartner.action_id) == m.Action.id)
                  .where(col(m.ActionPartner.organisation_id) == organisation_id, live))
    return union(
        select(col(m.Signatory.convention_id)).where(col(m.Signatory.organisation_id) == organisation_id),
        select(col(m.Action.convention_id)).where(col(m.Action.pilot_id) == organisation_id, live),
        partner_of,
        select(col(m.Facility.convention_id)).where(col(m.Facility.manager_id) == organisation_id),
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
        select(col(m.ConventionMember.convention_id)).where(col(m.ConventionMember.user_id) == actor.user_id))
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


# ------------------------------------------------------------------ writing

def _organisation_takes_part(session: Session, organisation_id: int | None, action_id: int | None) -> bool:
    if organisation_id is None or action_id is None:
        return False
    action = session.get(m.Action, action_id)
    if action is not None and action.pilot_id == organisation_id:
        return True
    return session.exec(select(m.ActionPartner).where(
        col(m.ActionPartner.action_id) == action_id,
        col(m.ActionPartner.organisation_id) == organisation_id)).first() is not None


def require_write_action(session: Session, actor: Actor, action: m.Action) -> None:
    """Action follow-up (status, avancement, notes, dates)."""
    require_read_convention(session, actor, action.convention_id)
    require_role(actor, WRITERS_OF_FOLLOW_UP, "saisir le suivi des actions")
    if actor.role in {Role.CONSEILLER, Role.ADMIN}:
        return
    if _organisation_takes_part(session, actor.organisation_id, action.id):
        return
    raise PermissionDenied("Seuls le pilote et les partenaires de cette action peuvent en saisir le suivi.")


def require_write_measurement(session: Session, actor: Actor, indicator: m.Indicator) -> None:
    require_read_convention(session, actor, indicator.convention_id)
    require_role(actor, WRITERS_OF_FOLLOW_UP, "saisir des mesures")
    if actor.role in {Role.CONSEILLER, Role.ADMIN}:
        return
    if _organisation_takes_part(session, actor.organisation_id, indicator.action_id):
        return
    raise PermissionDenied("Seuls le pilote et les partenaires de l'action liée peuvent saisir cet indicateur.")


def require_write_activity(session: Session, actor: Actor, facility: m.Facility) -> None:
    require_read_convention(session, actor, facility.convention_id)
    require_role(actor, WRITERS_OF_FOLLOW_UP, "saisir l'activité des équipements")
    if actor.role in {Role.CONSEILLER, Role.ADMIN}:
        return
    if actor.organisation_id is not None and actor.organisation_id == facility.manager_id:
        return
    raise PermissionDenied("Seul le gestionnaire de cet équipement peut en saisir l'activité.")


def require_write_funding(session: Session, actor: Actor, convention_id: int) -> None:
    require_read_convention(session, actor, convention_id)
    require_role(actor, WRITERS_OF_FUNDING, "modifier les financements")


def require_write_rates(actor: Actor) -> None:
    require_role(actor, WRITERS_OF_FUNDING, "modifier le barème")


def require_validate_measurement(session: Session, actor: Actor, indicator: m.Indicator) -> None:
    require_read_convention(session, actor, indicator.convention_id)
    require_role(actor, VALIDATORS, "valider des mesures")


def require_admin(actor: Actor, what: str = "administrer l'application") -> None:
    require_role(actor, {Role.ADMIN}, what)


def require_write_referentials(actor: Actor) -> None:
    """Organisations, communes, conventions themselves, imports of whole folders."""
    require_admin(actor, "modifier les référentiels")


def require_write_plan(session: Session, actor: Actor, convention_id: int) -> None:
    """The plan of a convention (actions, indicators, facilities, orientations, signatories,
    perimeter, coordination posts): what the Référentiels page lets administrators edit."""
    require_read_convention(session, actor, convention_id)
    require_admin(actor, "modifier le plan de la convention (actions, indicateurs, équipements, "
                         "orientations, signataires, périmètre, postes)")


def require_manage_accounts(actor: Actor) -> None:
    require_admin(actor, "gérer les comptes")


def require_read_audit(actor: Actor) -> None:
    require_admin(actor, "consulter le journal des événements")


# ------------------------------------------------------------------ pages

# Pages (by file name under pages/, which is also their URL path) that only some roles may
# open; every other page is open to every signed-in role. The navigation shows only what a role
# may open, and `ctg_data.ui.page.start` refuses the rest even when reached by a direct link.
PAGE_ROLES: dict[str, frozenset[Role]] = {
    "controles": frozenset({Role.ADMIN}),
    "admin_referentiels": frozenset({Role.CONSEILLER, Role.ADMIN}),  # conseillers: the barème only
    "comptes": frozenset({Role.ADMIN}),
    "journal": frozenset({Role.ADMIN}),
}
# Data-entry pages (`saisie*.py`) are for the roles that write something.
SAISIE_ROLES = frozenset(WRITERS_OF_FOLLOW_UP)


def page_roles(page_name: str) -> frozenset[Role]:
    if page_name in PAGE_ROLES:
        return PAGE_ROLES[page_name]
    if page_name.startswith("saisie"):
        return SAISIE_ROLES
    return frozenset(Role)


def may_open_page(actor: Actor, page_name: str) -> bool:
    return actor.role in page_roles(page_name)
