"""The demo accounts: one per role, created only when `ctg seed` loads the demo convention into
a database that has no account yet. Their passwords are public (README): they exist to try the
app, never in a database holding real data."""

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import col, select

from ctg_data import models as m
from ctg_data.accounts import passwords
from ctg_data.accounts.records import audit_user
from ctg_data.db import session_scope

SEED_ACTOR = "ctg seed (démonstration)"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    role: str
    display_name: str
    organisation_code: str | None = None


DEMO_ACCOUNTS = (
    DemoAccount("lecteur@demo.ctg", "copil-demo-2023", "lecteur", "Élu du comité de pilotage (démo)"),
    DemoAccount("partenaire@demo.ctg", "simaje-demo-2023", "partenaire", "Agent du SIMAJE (démo)", "simaje"),
    DemoAccount("conseiller@demo.ctg", "caf65-demo-2023", "conseiller", "Conseillère CAF (démo)"),
    DemoAccount("admin@demo.ctg", "pilotage-demo-2023", "admin", "Administratrice (démo)"),
)


def create_demo_accounts(engine: Engine) -> list[DemoAccount]:
    """Create the demo accounts if the database has no account at all; returns those created."""
    with session_scope(engine) as session:
        if session.exec(select(col(m.User.id)).limit(1)).first() is not None:
            return []
        organisations = dict(session.exec(select(col(m.Organisation.code), col(m.Organisation.id))).all())
        created = []
        for account in DEMO_ACCOUNTS:
            organisation = organisations.get(account.organisation_code) if account.organisation_code else None
            if account.organisation_code and organisation is None:
                continue  # a demo folder without SIMAJE: no partner account rather than a broken one
            passwords.check_policy(account.password, account.email)
            user = m.User(
                email=account.email,
                role=account.role,
                display_name=account.display_name,
                organisation_id=organisation,
                password_hash=passwords.hash_password(account.password),
            )
            session.add(user)
            audit_user(session, SEED_ACTOR, "compte:création", user, None, reason="compte de démonstration")
            created.append(account)
        return created
