"""Comptes et accès (administrators): accounts, roles, passwords, locks, and who sees a
restricted convention — what `ctg user …` does, from the browser. Every change goes through
ctg_data.accounts, which checks the role again and writes the audit trail. Addresses and
messages are shown escaped: an address is user text."""

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from ctg_data import accounts
from ctg_data import formats as fmt
from ctg_data.actors import ROLE_LABELS, Actor, Role
from ctg_data.permissions import require_manage_accounts
from ctg_data.ui.data import engine
from ctg_data.ui.forms import EditCycle
from ctg_data.ui.page import PageContext, general_page
from ctg_data.ui.text import escape_markdown

ISSUED = "comptes_issued_password"  # shown once, then forgotten
CYCLE = EditCycle("comptes")
STATE_LABELS = {"actif": "Actif", "désactivé": "Désactivé", "verrouillé": "Verrouillé (trop d'échecs)"}


def _issued_password() -> None:
    issued = st.session_state.pop(ISSUED, None)
    if issued:
        email, password = issued
        st.warning(
            f"Mot de passe provisoire de {escape_markdown(email)}, affiché une seule fois : "
            "transmettez-le à la personne, qui le changera à sa première connexion."
        )
        st.code(password, language=None)


def _issue(email: str, password: str | None) -> None:
    """Keep a temporary password for the next run, which shows it once."""
    if password:
        st.session_state[ISSUED] = (email, password)


def _change(action: Callable[[], object], notice: str) -> None:
    CYCLE.save(action, outcome=lambda _: notice)


def _table(users: pd.DataFrame) -> None:
    if users.empty:
        st.info("Aucun compte.")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "Adresse e-mail": users["email"],
                "Nom": users["display_name"],
                "Rôle": [ROLE_LABELS[Role(role)] for role in users["role"]],
                "Organisation": users["organisation"],
                "État": users["state"].map(STATE_LABELS),
                "Mot de passe à changer": users["must_change_password"].map({True: "oui", False: ""}),
                "Connexion": [_sign_in_ways(row) for row in users.itertuples(index=False)],
                "Dernière connexion": [fmt.short_date(fmt.local_day(moment)) for moment in users["last_login_at"]],
                "Conventions réservées": users["conventions"],
            }
        ),
        hide_index=True,
        width="stretch",
        alt="Comptes de l'application",
    )


def _sign_in_ways(user: Any) -> str:  # a row of `list_users`, from itertuples
    if user.sso_only:
        return "annuaire seulement"
    return "mot de passe et annuaire" if user.directory else "mot de passe"


def _role_and_organisation(
    prefix: str, role: str = Role.LECTEUR.value, organisation: str = ""
) -> tuple[str, str | None]:
    roles = [r.value for r in Role]
    chosen = st.selectbox(
        "Rôle",
        roles,
        index=roles.index(role),
        key=f"{prefix}_role",
        format_func=lambda r: ROLE_LABELS[Role(r)],
        placeholder="Choisir un rôle",
    )
    organisations = accounts.organisation_choices(engine())
    options = ["", *organisations]
    code = st.selectbox(
        "Organisation (obligatoire pour un partenaire)",
        options,
        index=options.index(organisation) if organisation in options else 0,
        key=f"{prefix}_organisation",
        format_func=lambda c: "Aucune" if c == "" else f"{organisations[c]} ({c})",
        placeholder="Choisir une organisation",
    )
    return chosen, code or None


def _create_form(actor: Actor) -> None:
    with st.form("comptes_create", clear_on_submit=True):
        email = st.text_input("Adresse e-mail", key="comptes_create_email")
        name = st.text_input("Nom affiché", key="comptes_create_name")
        role, organisation = _role_and_organisation("comptes_create")
        sso_only = st.checkbox("Connexion par l'annuaire seulement (aucun mot de passe)", key="comptes_create_sso")
        submitted = st.form_submit_button("Créer le compte", type="primary")
    if not submitted:
        return
    CYCLE.save(
        lambda: accounts.create_user(
            engine(),
            actor=actor,
            email=email,
            role=role,
            organisation_code=organisation,
            display_name=name,
            sso_only=sso_only,
        ),
        outcome=lambda account: f"Compte créé : {account.email}.",
        then=lambda account: _issue(account.email, account.temporary_password),
    )


def _edit(actor: Actor, users: pd.DataFrame) -> None:
    if users.empty:
        st.info("Aucun compte à modifier.")
        return
    emails = list(users["email"])
    email = st.selectbox("Compte", emails, index=None, key="comptes_edit_email", placeholder="Choisir un compte")
    if email is None:
        return
    user = users[users["email"] == email].iloc[0]
    st.text(f"{email} · {ROLE_LABELS[Role(user['role'])]} · {STATE_LABELS[user['state']]}")
    with st.form("comptes_edit_role"):
        role, organisation = _role_and_organisation(f"comptes_edit_{email}", user["role"], user["organisation"])
        if st.form_submit_button("Enregistrer le rôle"):
            _change(
                lambda: accounts.set_role(
                    engine(), actor=actor, email=email, role=role, organisation_code=organisation
                ),
                f"Rôle de {email} enregistré.",
            )
    columns = st.columns(3)
    if columns[0].button(
        "Réinitialiser le mot de passe",
        key="comptes_reset",
        help="Un mot de passe provisoire, affiché une fois, à changer à la connexion ; "
        "le compte est aussi déverrouillé.",
    ):
        CYCLE.save(
            lambda: accounts.reset_password(engine(), actor=actor, email=email),
            outcome=lambda _: f"Mot de passe de {email} réinitialisé.",
            then=lambda password: _issue(email, password),
        )
    if user["state"] == "désactivé":
        if columns[1].button("Réactiver", key="comptes_enable"):
            _change(lambda: accounts.enable_user(engine(), actor=actor, email=email), f"Compte {email} réactivé.")
    elif columns[1].button("Désactiver", key="comptes_disable"):
        _change(
            lambda: accounts.disable_user(engine(), actor=actor, email=email),
            f"Compte {email} désactivé : ses sessions ouvertes se ferment au prochain clic.",
        )
    if user["state"] == "verrouillé" and columns[2].button("Déverrouiller", key="comptes_unlock"):
        _change(lambda: accounts.unlock_user(engine(), actor=actor, email=email), f"Compte {email} déverrouillé.")
    _sessions_and_directory(actor, email, user)


def _sessions_and_directory(actor: Actor, email: str, user: pd.Series) -> None:
    columns = st.columns(2)
    if columns[0].button(
        "Fermer ses sessions",
        key="comptes_end_sessions",
        help="Les sessions ouvertes de ce compte se ferment à leur prochain clic.",
    ):
        _change(lambda: accounts.end_sessions(engine(), actor=actor, email=email), f"Sessions de {email} fermées.")
    if user["sso_only"]:
        return
    allowed = bool(user["directory"])
    label = "Retirer la connexion par l'annuaire" if allowed else "Ouvrir à la connexion par l'annuaire"
    if columns[1].button(
        label,
        key="comptes_directory",
        help="Un compte à mot de passe ne s'ouvre par l'annuaire que si vous l'y ouvrez.",
    ):
        _change(
            lambda: accounts.set_directory_sign_in(engine(), actor=actor, email=email, allowed=not allowed),
            f"Connexion par l'annuaire {'retirée à' if allowed else 'ouverte pour'} {email}.",
        )


def _access(actor: Actor, users: pd.DataFrame) -> None:
    st.caption(
        "Une convention réservée n'est visible que des administrateurs et des comptes qui y ont "
        "accès. Une convention ouverte est visible des lecteurs et des conseillers, et des "
        "partenaires dont l'organisation y prend part ; y donner accès l'ouvre aussi à un compte "
        "partenaire d'une autre organisation."
    )
    conventions = accounts.convention_access(engine())
    if conventions.empty:
        st.info("Aucune convention.")
        return
    names = dict(zip(conventions["code"], conventions["name"], strict=True))
    code = st.selectbox(
        "Convention",
        list(names),
        key="comptes_access_convention",
        format_func=lambda c: f"{names[c]} ({c})",
        placeholder="Choisir une convention",
    )
    row = conventions[conventions["code"] == code].iloc[0]
    with st.form(f"comptes_access_{code}"):
        restricted = st.checkbox("Réservée à ses membres", value=bool(row["restricted"]))
        members = st.multiselect(
            "Comptes qui y ont accès", list(users["email"]), default=row["members"], placeholder="Aucun"
        )
        submitted = st.form_submit_button("Enregistrer l'accès")
    if submitted:
        _change(
            lambda: _save_access(actor, code, restricted, set(row["members"]), set(members)),
            f"Accès à la convention {code} enregistré.",
        )


def _save_access(actor: Actor, code: str, restricted: bool, before: set[str], after: set[str]) -> None:
    for email in sorted(after - before):
        accounts.set_member(engine(), actor=actor, convention_code=code, email=email, member=True)
    for email in sorted(before - after):
        accounts.set_member(engine(), actor=actor, convention_code=code, email=email, member=False)
    accounts.set_restricted(engine(), actor=actor, convention_code=code, restricted=restricted)


@general_page("Comptes et accès", guard=require_manage_accounts)
def render(context: PageContext) -> None:
    actor = context.actor
    CYCLE.outcome()
    _issued_password()
    users = accounts.list_users(engine())
    _table(users)
    create, edit, access = st.tabs(["Créer un compte", "Modifier un compte", "Conventions réservées"])
    with create:
        _create_form(actor)
    with edit:
        _edit(actor, users)
    with access:
        _access(actor, users)
