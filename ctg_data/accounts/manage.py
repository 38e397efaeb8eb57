"""Accounts as administrators manage them (the Administration page and `ctg user`): create,
change the role, disable and enable, reset a password, unlock, and who sees a restricted
convention. Each command checks that the actor is an administrator, does one transaction and
leaves an audit event; a password or its hash is never written to the audit trail."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from ctg_data import models as m
from ctg_data.accounts import passwords
from ctg_data.accounts.records import (
    AccountError,
    aware,
    end_sessions_of,
    normalise_email,
    organisation_id,
    require_user,
    user_by_email,
    user_snapshot,
)
from ctg_data.actors import Actor, Role
from ctg_data.audit import snapshot
from ctg_data.db import session_scope
from ctg_data.permissions import require_admin
from ctg_data.store import remove, save


@dataclass(frozen=True)
class Issued:
    """An account and the temporary password to hand over once (None: directory sign-in only)."""

    email: str
    user_id: int
    temporary_password: str | None


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise AccountError(f"Rôle inconnu : « {role} » (rôles : {', '.join(r.value for r in Role)}).") from None


# Said as the caller asks for the organisation: the command line adds its option, a form its field.
PARTNER_WITHOUT_ORGANISATION = "Un compte partenaire doit être rattaché à une organisation."


def _placement(
    session: Session, role: Role, organisation_code: str | None, missing: str = PARTNER_WITHOUT_ORGANISATION
) -> int | None:
    organisation = organisation_id(session, organisation_code)
    if role == Role.PARTENAIRE and organisation is None:
        raise AccountError(missing)
    return organisation


def _unlock(user: m.User) -> None:
    user.failed_attempts = 0
    user.locked_until = None
    user.not_before = None


def _change_user(
    engine: Engine, actor: Actor, email: str, operation: str, change: Callable[[Session, m.User], bool]
) -> None:
    """One audited change of an account: `change` edits the user and says whether anything
    needs saving (False: the account already is as asked, nothing is written)."""
    require_admin(actor, "gérer les comptes")
    with session_scope(engine) as session:
        user = require_user(session, email)
        before = user_snapshot(user)
        if change(session, user):
            save(session, actor, user, before=before, operation=operation, view=user_snapshot)


def create_user(
    engine: Engine,
    *,
    actor: Actor,
    email: str,
    role: str,
    organisation_code: str | None = None,
    display_name: str | None = None,
    sso_only: bool = False,
    missing_organisation: str = PARTNER_WITHOUT_ORGANISATION,
) -> Issued:
    """A new account. Unless it signs in only through the directory, it gets a generated
    temporary password, returned once, that must be changed at the first sign-in."""
    require_admin(actor, "gérer les comptes")
    address = normalise_email(email)
    chosen = _role(role)
    with session_scope(engine) as session:
        if user_by_email(session, address) is not None:
            raise AccountError(f"Un compte existe déjà pour « {address} ».")
        temporary = None if sso_only else passwords.generate_password(address)
        user = m.User(
            email=address,
            role=chosen.value,
            display_name=(display_name or "").strip()[:200] or None,
            organisation_id=_placement(session, chosen, organisation_code, missing_organisation),
            password_hash=None if temporary is None else passwords.hash_password(temporary),
            must_change_password=temporary is not None,
        )
        save(session, actor, user, before=None, operation="compte:création", view=user_snapshot)
        return Issued(email=address, user_id=m.stored_id(user), temporary_password=temporary)


def set_role(
    engine: Engine,
    *,
    actor: Actor,
    email: str,
    role: str,
    organisation_code: str | None = None,
    missing_organisation: str = PARTNER_WITHOUT_ORGANISATION,
) -> None:
    chosen = _role(role)

    def change(session: Session, user: m.User) -> bool:
        user.role = chosen.value
        user.organisation_id = _placement(session, chosen, organisation_code, missing_organisation)
        end_sessions_of(user)
        return True

    _change_user(engine, actor, email, "compte:rôle", change)


def disable_user(engine: Engine, *, actor: Actor, email: str) -> None:
    def change(_session: Session, user: m.User) -> bool:
        if actor.user_id is not None and user.id == actor.user_id:
            raise AccountError("Vous ne pouvez pas désactiver votre propre compte.")
        if user.disabled_at is not None:
            return False
        user.disabled_at = m.utcnow()
        end_sessions_of(user)
        return True

    _change_user(engine, actor, email, "compte:désactivation", change)


def enable_user(engine: Engine, *, actor: Actor, email: str) -> None:
    def change(_session: Session, user: m.User) -> bool:
        if user.disabled_at is None:
            return False
        user.disabled_at = None
        _unlock(user)
        return True

    _change_user(engine, actor, email, "compte:réactivation", change)


def reset_password(engine: Engine, *, actor: Actor, email: str) -> str:
    """A new temporary password (returned once, to hand over), to change at the next sign-in.
    The account is unlocked too."""
    issued: list[str] = []

    def change(_session: Session, user: m.User) -> bool:
        issued.append(passwords.generate_password(user.email))
        user.password_hash = passwords.hash_password(issued[0])
        user.must_change_password = True
        _unlock(user)
        end_sessions_of(user)
        return True

    _change_user(engine, actor, email, "compte:mot-de-passe-réinitialisé", change)
    return issued[0]


def unlock_user(engine: Engine, *, actor: Actor, email: str) -> None:
    def change(_session: Session, user: m.User) -> bool:
        _unlock(user)
        return True

    _change_user(engine, actor, email, "compte:déverrouillage", change)


def set_directory_sign_in(engine: Engine, *, actor: Actor, email: str, allowed: bool) -> None:
    """Open (or close) a local-password account to the directory sign-in."""

    def change(_session: Session, user: m.User) -> bool:
        if user.directory_sign_in == allowed:
            return False
        user.directory_sign_in = allowed
        if not allowed:
            end_sessions_of(user)
        return True

    _change_user(engine, actor, email, "compte:annuaire", change)


def end_sessions(engine: Engine, *, actor: Actor, email: str) -> None:
    """Close every open session of an account (a lost laptop, a doubt): at their next click."""

    def change(_session: Session, user: m.User) -> bool:
        end_sessions_of(user)
        return True

    _change_user(engine, actor, email, "compte:sessions-fermées", change)


# ------------------------------------------------------------------ restricted conventions


def _convention(session: Session, code: str) -> m.Convention:
    convention = session.exec(select(m.Convention).where(col(m.Convention.code) == code)).first()
    if convention is None:
        raise AccountError(f"Convention inconnue : « {code} ».")
    return convention


def set_restricted(engine: Engine, *, actor: Actor, convention_code: str, restricted: bool) -> None:
    """A restricted convention is seen only by administrators and its members."""
    require_admin(actor, "gérer l'accès aux conventions")
    with session_scope(engine) as session:
        convention = _convention(session, convention_code)
        if convention.restricted == restricted:
            return
        before = snapshot(convention)
        convention.restricted = restricted
        save(session, actor, convention, before=before, operation="convention:accès")


def set_member(engine: Engine, *, actor: Actor, convention_code: str, email: str, member: bool) -> None:
    """Give (or take back) an account's access to a convention."""
    require_admin(actor, "gérer l'accès aux conventions")
    with session_scope(engine) as session:
        convention = _convention(session, convention_code)
        user = require_user(session, email)
        row = session.get(m.ConventionMember, (convention.id, user.id))
        if (row is not None) == member:
            return
        record = row or m.ConventionMember(convention_id=m.stored_id(convention), user_id=m.stored_id(user))
        state = {"convention": convention.code, "email": user.email}
        if member:
            save(session, actor, record, before=None, operation="convention:membre", view=lambda _: state)
        else:
            remove(session, actor, record, operation="convention:retrait", before=state)


# ------------------------------------------------------------------ reading


def list_users(engine: Engine, now: datetime | None = None) -> pd.DataFrame:
    """Every account with its state in words, for the Administration page and `ctg user list`."""
    now = now or m.utcnow()
    with Session(engine) as session:
        organisations = dict(session.exec(select(col(m.Organisation.id), col(m.Organisation.code))).all())
        memberships: dict[int, list[str]] = {}
        for user_id, code in session.exec(
            select(col(m.ConventionMember.user_id), col(m.Convention.code)).join(
                m.Convention, col(m.Convention.id) == m.ConventionMember.convention_id
            )
        ).all():
            memberships.setdefault(user_id, []).append(code)
        users = session.exec(select(m.User).order_by(col(m.User.email))).all()
        rows = [
            {
                "id": user.id,
                "email": user.email,
                "display_name": user.display_name or "",
                "role": user.role,
                "organisation": organisations.get(user.organisation_id, ""),
                "state": _state(user, now),
                "must_change_password": user.must_change_password,
                "sso_only": user.password_hash is None,
                "directory": user.password_hash is None or user.directory_sign_in,
                "last_login_at": aware(user.last_login_at),
                "conventions": ", ".join(sorted(memberships.get(m.stored_id(user), []))),
            }
            for user in users
        ]
    return pd.DataFrame(
        rows,
        columns=[
            "id",
            "email",
            "display_name",
            "role",
            "organisation",
            "state",
            "must_change_password",
            "sso_only",
            "directory",
            "last_login_at",
            "conventions",
        ],
    )


def _state(user: m.User, now: datetime) -> str:
    if user.disabled_at is not None:
        return "désactivé"
    until = aware(user.locked_until)
    if until is not None and until > now:
        return "verrouillé"
    return "actif"


def user_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(m.User)).one()


def organisation_choices(engine: Engine) -> dict[str, str]:
    """Organisation code → name, by name, for the account forms."""
    with Session(engine) as session:
        rows = session.exec(
            select(col(m.Organisation.code), col(m.Organisation.name)).order_by(col(m.Organisation.name))
        ).all()
    return dict(rows)


def convention_access(engine: Engine) -> pd.DataFrame:
    """Each convention, whether it is restricted, and the e-mails of its members."""
    with Session(engine) as session:
        conventions = session.exec(
            select(m.Convention).order_by(col(m.Convention.starts_on).desc(), col(m.Convention.code))
        ).all()
        members: dict[int, list[str]] = {}
        for convention_id, email in session.exec(
            select(col(m.ConventionMember.convention_id), col(m.User.email)).join(
                m.User, col(m.User.id) == m.ConventionMember.user_id
            )
        ).all():
            members.setdefault(convention_id, []).append(email)
        rows = [
            {
                "code": c.code,
                "name": c.name,
                "restricted": bool(c.restricted),
                "members": sorted(members.get(m.stored_id(c), [])),
            }
            for c in conventions
        ]
    return pd.DataFrame(rows, columns=["code", "name", "restricted", "members"])
