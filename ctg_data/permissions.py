"""Who may do what, checked in ctg_data's services (never only by hiding a button).

Each `require_*` function returns nothing or raises PermissionDenied with a French message.
They take the session so that a rule may look at the data (a partner's organisation must pilot
the action, be its partner, or manage the facility).
"""

from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.actors import Actor, Role


class PermissionDenied(Exception):
    """Raised with a French message a page can show as it is."""


WRITERS_OF_FUNDING = {Role.CONSEILLER, Role.ADMIN}


def require_role(actor: Actor, roles: set[Role], what: str) -> None:
    if actor.role not in roles:
        raise PermissionDenied(f"Votre rôle ne permet pas de {what}.")


def can_read_convention(session: Session, actor: Actor, convention_id: int) -> bool:
    if actor.role == Role.ADMIN:
        return True
    convention = session.get(m.Convention, convention_id)
    if convention is None:
        return False
    if not convention.restricted:
        return True
    member = session.get(m.ConventionMember, (convention_id, actor.user_id)) if actor.user_id else None
    return member is not None


def require_read_convention(session: Session, actor: Actor, convention_id: int) -> None:
    if not can_read_convention(session, actor, convention_id):
        raise PermissionDenied("Vous n'avez pas accès à cette convention.")


def _organisation_takes_part(session: Session, organisation_id: int | None, action_id: int | None) -> bool:
    if organisation_id is None or action_id is None:
        return False
    action = session.get(m.Action, action_id)
    if action is not None and action.pilot_id == organisation_id:
        return True
    return session.exec(select(m.ActionPartner).where(
        m.ActionPartner.action_id == action_id, m.ActionPartner.organisation_id == organisation_id)).first() is not None


def require_write_action(session: Session, actor: Actor, action: m.Action) -> None:
    """Action follow-up (status, avancement, notes, dates)."""
    require_read_convention(session, actor, action.convention_id)
    if actor.role in {Role.CONSEILLER, Role.ADMIN}:
        return
    if actor.role == Role.PARTENAIRE and _organisation_takes_part(session, actor.organisation_id, action.id):
        return
    raise PermissionDenied("Seuls le pilote et les partenaires de cette action peuvent en saisir le suivi.")


def require_write_measurement(session: Session, actor: Actor, indicator: m.Indicator) -> None:
    require_read_convention(session, actor, indicator.convention_id)
    if actor.role in {Role.CONSEILLER, Role.ADMIN}:
        return
    if actor.role == Role.PARTENAIRE and _organisation_takes_part(session, actor.organisation_id, indicator.action_id):
        return
    raise PermissionDenied("Seuls le pilote et les partenaires de l'action liée peuvent saisir cet indicateur.")


def require_write_activity(session: Session, actor: Actor, facility: m.Facility) -> None:
    require_read_convention(session, actor, facility.convention_id)
    if actor.role in {Role.CONSEILLER, Role.ADMIN}:
        return
    if actor.role == Role.PARTENAIRE and actor.organisation_id == facility.manager_id:
        return
    raise PermissionDenied("Seul le gestionnaire de cet équipement peut en saisir l'activité.")


def require_write_funding(session: Session, actor: Actor, convention_id: int) -> None:
    require_read_convention(session, actor, convention_id)
    require_role(actor, WRITERS_OF_FUNDING, "modifier les financements")


def require_write_rates(actor: Actor) -> None:
    require_role(actor, WRITERS_OF_FUNDING, "modifier le barème")


def require_validate_measurement(session: Session, actor: Actor, indicator: m.Indicator) -> None:
    require_read_convention(session, actor, indicator.convention_id)
    require_role(actor, {Role.CONSEILLER, Role.ADMIN}, "valider des mesures")


def require_admin(actor: Actor, what: str = "administrer l'application") -> None:
    require_role(actor, {Role.ADMIN}, what)
