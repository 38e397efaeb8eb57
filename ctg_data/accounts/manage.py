"""Accounts as administrators manage them (the Administration page and `ctg user`): create,
change the role, disable and enable, reset a password, unlock, and who sees a restricted
convention. Each command checks that the actor is an administrator, does one transaction and
leaves an audit event; a password or its hash is never written to the audit trail."""

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from ctg_data import models as m
from ctg_data.accounts import passwords
from ctg_data.accounts.records import (
    AccountError,
    audit_user,
    aware,
    end_sessions_of,
    normalise_email,
    organisation_id,
    require_user,
    user_by_email,
    user_snapshot,
)
from ctg_data.actors import Actor, Role
from ctg_data.audit import audit, snapshot
from ctg_data.db import session_scope
from ctg_data.permissions import require_admin


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


def _placement(session: Session, role: Role, organisation_code: str | None) -> int | None:
    organisation = organisation_id(session, organisation_code)
    if role == Role.PARTENAIRE and organisation is None:
        raise AccountError("Un compte partenaire doit être rattaché à une organisation (--organisation CODE).")
    return organisation


def _unlock(user: m.User) -> None:
    user.failed_attempts = 0
    user.locked_until = None
    user.not_before = None


def _touch(user: m.User) -> None:
    user.version += 1
    user.updated_at = m.utcnow()


def create_user(engine: Engine, *, actor: Actor, email: str, role: str, organisation_code: str | None = None,
                display_name: str | None = None, sso_only: bool = False) -> Issued:
    """A new account. Unless it signs in only through the directory, it gets a generated
    temporary password, returned once, that must be changed at the first sign-in."""
    require_admin(actor, "gérer les comptes")
    address = normalise_email(email)
    chosen = _role(role)
    with session_scope(engine) as session:
        if user_by_email(session, address) is not None:
            raise AccountError(f"Un compte existe déjà pour « {address} ».")
        temporary = None if sso_only else passwords.generate_password(address)
        user = m.User(email=address, role=chosen.value, display_name=(display_name or "").strip()[:200] or None,
                      organisation_id=_placement(session, chosen, organisation_code),
                      password_hash=None if temporary is None else passwords.hash_password(temporary),
                      must_change_password=temporary is not None)
        session.add(user)
        audit_user(session, actor.label, "compte:création", user, None)
        return Issued(email=address, user_id=m.stored_id(user), temporary_password=temporary)


def set_role(engine: Engine, *, actor: Actor, email: str, role: str, organisation_code: str | None = None) -> None:
    require_admin(actor, "gérer les comptes")
    chosen = _role(role)
    with session_scope(engine) as session:
        user = require_user(session, email)
        before = user_snapshot(user)
        user.role = chosen.value
        user.organisation_id = _placement(session, chosen, organisation_code)
        end_sessions_of(user)
        _touch(user)
        session.add(user)
        audit_user(session, actor.label, "compte:rôle", user, before)


def disable_user(engine: Engine, *, actor: Actor, email: str) -> None:
    require_admin(actor, "gérer les comptes")
    with session_scope(engine) as session:
        user = require_user(session, email)
        if actor.user_id is not None and user.id == actor.user_id:
            raise AccountError("Vous ne pouvez pas désactiver votre propre compte.")
        if user.disabled_at is not None:
            return
        before = user_snapshot(user)
        user.disabled_at = m.utcnow()
        end_sessions_of(user)
        _touch(user)
        session.add(user)
        audit_user(session, actor.label, "compte:désactivation", user, before)


def enable_user(engine: Engine, *, actor: Actor, email: str) -> None:
    require_admin(actor, "gérer les comptes")
    with session_scope(engine) as session:
        user = require_user(session, email)
        if user.disabled_at is None:
            return
        before = user_snapshot(user)
        user.disabled_at = None
        _unlock(user)
        _touch(user)
        session.add(user)
        audit_user(session, actor.label, "compte:réactivation", user, before)


def reset_password(engine: Engine, *, actor: Actor, email: str) -> str:
    """A new temporary password (returned once, to hand over), to change at the next sign-in.
    The account is unlocked too."""
    require_admin(actor, "gérer les comptes")
    with session_scope(engine) as session:
        user = require_user(session, email)
        before = user_snapshot(user)
        temporary = passwords.generate_password(user.email)
        user.password_hash = passwords.hash_password(temporary)
        user.must_change_password = True
        _unlock(user)
        end_sessions_of(user)
        _touch(user)
        session.add(user)
        audit_user(session, actor.label, "compte:mot-de-passe-réinitialisé", user, before)
        return temporary


def unlock_user(engine: Engine, *, actor: Actor, email: str) -> None:
    require_admin(actor, "gérer les comptes")
    with session_scope(engine) as session:
        user = require_user(session, email)
        before = user_snapshot(user)
        _unlock(user)
        _touch(user)
        session.add(user)
        audit_user(session, actor.label, "compte:déverrouillage", user, before)


def set_directory_sign_in(engine: Engine, *, actor: Actor, email: str, allowed: bool) -> None:
    """Open (or close) a local-password account to the directory sign-in."""
    require_admin(actor, "gérer les comptes")
    with session_scope(engine) as session:
        user = require_user(session, email)
        if user.directory_sign_in == allowed:
            return
        before = user_snapshot(user)
        user.directory_sign_in = allowed
        if not allowed:
            end_sessions_of(user)
        _touch(user)
        session.add(user)
        audit_user(session, actor.label, "compte:annuaire", user, before)


def end_sessions(engine: Engine, *, actor: Actor, email: str) -> None:
    """Close every open session of an account (a lost laptop, a doubt): at their next click."""
    require_admin(actor, "gérer les comptes")
    with session_scope(engine) as session:
        user = require_user(session, email)
        before = user_snapshot(user)
        end_sessions_of(user)
        _touch(user)
        session.add(user)
        audit_user(session, actor.label, "compte:sessions-fermées", user, before)


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
        convention.updated_at = m.utcnow()
        session.add(convention)
        session.flush()
        audit(session, actor=actor.label, operation="convention:accès", record=convention, before=before,
              after=snapshot(convention))


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
            session.add(record)
        else:
            session.delete(record)
        session.flush()
        audit(session, actor=actor.label, operation="convention:membre" if member else "convention:retrait",
              record=record, before=None if member else state, after=state if member else None)


# ------------------------------------------------------------------ reading

def list_users(engine: Engine, now: datetime | None = None) -> pd.DataFrame:
    """Every account with its state in words, for the Administration page and `ctg user list`."""
    now = now or m.utcnow()
    with Session(engine) as session:
        organisations = dict(session.exec(select(col(m.Organisation.id), col(m.Organisation.code))).all())
        memberships: dict[int, list[str]] = {}
        for user_id, code in session.exec(
                select(col(m.ConventionMember.user_id), col(m.Convention.code))
                .join(m.Convention, col(m.Convention.id) == m.ConventionMember.convention_id)).all():
            memberships.setdefault(user_id, []).append(code)
        users = session.exec(select(m.User).order_by(col(m.User.email))).all()
        rows = [{
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
        } for user in users]
    return pd.DataFrame(rows, columns=["id", "email", "display_name", "role", "organisation", "state",
                                       "must_change_password", "sso_only", "directory", "last_login_at",
                                       "conventions"])


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
        rows = session.exec(select(col(m.Organisation.code), col(m.Organisation.name))
                            .order_by(col(m.Organisation.name))).all()
    return dict(rows)


def convention_access(engine: Engine) -> pd.DataFrame:
    """Each convention, whether it is restricted, and the e-mails of its members."""
    with Session(engine) as session:
        conventions = session.exec(select(m.Convention).order_by(col(m.Convention.starts_on).desc(),
                                                                col(m.Convention.code))).all()
        members: dict[int, list[str]] = {}
        for convention_id, email in session.exec(
                select(col(m.ConventionMember.convention_id), col(m.User.email))
                .join(m.User, col(m.User.id) == m.ConventionMember.user_id)).all():
            members.setdefault(convention_id, []).append(email)
        rows = [{"code": c.code, "name": c.name, "restricted": bool(c.restricted),
                 "members": sorted(members.get(m.stored_id(c), []))} for c in conventions]
    return pd.DataFrame(rows, columns=["code", "name", "restricted", "members"])
