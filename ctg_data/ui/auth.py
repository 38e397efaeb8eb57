"""Who is using the app, for every page: the sign-in form, the directory sign-in (OIDC, when
`.streamlit/secrets.toml` has an `[auth]` section), the forced password change, session expiry
after inactivity, sign-out, and which pages the navigation shows.

A signed-in session keeps its Actor under `st.session_state[ACTOR_KEY]`. An Actor put there by
code with no `user_id` (tests, scripts) is taken as it is; one from a sign-in is re-read from the
database on every run, so that disabling an account or changing its role applies at the next
click, and the session ends when the account's session epoch moved on (password changed, role
changed, account disabled, « se déconnecter partout »).

A sign-in with a password also opens a browser session kept in the database
(ctg_data.accounts.web_sessions): the page hands its one-time handoff to the browser, which posts
it to the app's own route (server.py) and gets an HttpOnly cookie. A reload, a new tab or a link
from an e-mail starts with an empty session_state and resumes from that cookie. Each run of a tab
holding a browser session checks it (one query, the account included): inactivity and the maximum
age are measured there, across tabs and processes, and a sign-out in one tab ends the others at
their next click.

Waits after failed sign-ins are enforced by the database (ctg_data.accounts.throttle): nothing
here sleeps, and a new session or another server process gets the same answer.
"""

import importlib.util
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAPIException

from ctg_data import accounts
from ctg_data.accounts import web_sessions
from ctg_data.accounts.http import SCRIPT_PATH
from ctg_data.actors import ROLE_LABELS, Actor
from ctg_data.permissions import may_open_page
from ctg_data.ui.data import engine
from ctg_data.ui.text import escape_markdown

ACTOR_KEY = "ctg_actor"
ACCOUNT_KEY = "ctg_account"
EPOCH_KEY = "ctg_session_epoch"
LAST_SEEN_KEY = "ctg_last_activity"
NOTICE_KEY = "ctg_auth_notice"
SSO_REFUSED_KEY = "ctg_sso_refused"
WEB_SESSION_KEY = "ctg_web_session"  # id of the tab's browser session (web_sessions)
HANDOFF_KEY = "ctg_session_handoff"  # handoff still to give to the browser
FORGET_COOKIE_KEY = "ctg_forget_cookie"  # the browser's cookie is to be deleted
DEAD_COOKIE_KEY = "ctg_dead_cookie"  # a cookie already found to name no open session

ENDED_NOTICES = {
    web_sessions.Ended.DISABLED: "Votre compte n'est plus actif.",
    web_sessions.Ended.EPOCH: (
        "Votre session a été fermée (mot de passe ou rôle changé, ou déconnexion de tous "
        "les appareils) : reconnectez-vous."
    ),
    web_sessions.Ended.REVOKED: "Vous avez été déconnecté (depuis un autre onglet ou une autre fenêtre).",
    web_sessions.Ended.MAX_AGE: "Votre session a atteint sa durée maximale : reconnectez-vous.",
    web_sessions.Ended.UNKNOWN: "Votre session a été fermée : reconnectez-vous.",
}

POLICY_HELP = (
    "Au moins 12 caractères, pas uniquement des lettres ni uniquement des chiffres, "
    "sans la partie de votre adresse e-mail placée avant « @ », ni mot courant ou suite "
    "de touches du clavier (« azerty », « Password1234 ») : plusieurs mots sans rapport "
    "entre eux font un bon mot de passe."
)
LOG = logging.getLogger(__name__)


def clock() -> datetime:
    return datetime.now(UTC)


# ------------------------------------------------------------------ the session


def current_actor() -> Actor | None:
    """The signed-in person, or None. Ends a session that is idle for too long or whose account
    was disabled. Renders nothing: dashboard.py calls it to choose the navigation."""
    actor: Actor | None = st.session_state.get(ACTOR_KEY)
    if actor is None:
        return _resume_from_cookie()
    web_session: int | None = st.session_state.get(WEB_SESSION_KEY)
    if web_session is not None:
        return _check_web_session(web_session)
    if _idle_too_long():
        minutes = accounts.AuthSettings.from_env().session_minutes
        end_session(
            f"Votre session a expiré après {minutes} minutes d'inactivité : reconnectez-vous.", reason="expiration"
        )
        return None
    if actor.user_id is None:
        return actor
    account = accounts.session_account(engine(), actor.user_id)
    if account is None:
        end_session("Votre compte n'est plus actif.", reason="compte désactivé")
        return None
    # A session put in place by code (tests, scripts) adopts the epoch it finds.
    epoch = st.session_state.setdefault(EPOCH_KEY, account.session_epoch)
    if epoch != account.session_epoch:
        end_session(
            "Votre session a été fermée (mot de passe ou rôle changé, ou déconnexion de tous "
            "les appareils) : reconnectez-vous.",
            reason="session fermée",
        )
        return None
    st.session_state[ACTOR_KEY] = account.actor
    st.session_state[ACCOUNT_KEY] = account
    return account.actor


def _idle_notice() -> str:
    minutes = accounts.AuthSettings.from_env().session_minutes
    return f"Votre session a expiré après {minutes} minutes d'inactivité : reconnectez-vous."


def _check_web_session(session_id: int) -> Actor | None:
    """The tab's browser session as it is now (also ended from another tab or process)."""
    state = web_sessions.check(engine(), session_id, clock())
    if isinstance(state, web_sessions.Ended):
        notice = _idle_notice() if state == web_sessions.Ended.IDLE else ENDED_NOTICES[state]
        end_session(notice, reason=state.value)
        return None
    st.session_state[ACTOR_KEY] = state.actor
    st.session_state[ACCOUNT_KEY] = state
    return state.actor


def _cookie() -> str | None:
    try:
        value = st.context.cookies.get(web_sessions.COOKIE_NAME)
    except (AttributeError, RuntimeError):  # no browser request behind this run (AppTest)
        return None
    return value if isinstance(value, str) else None


def _resume_from_cookie() -> Actor | None:
    """A reload, a new tab or a link opened from an e-mail: the browser's session cookie
    (as sent when the page was opened), if it names a session still open."""
    cookie = _cookie()
    if not cookie or cookie == st.session_state.get(DEAD_COOKIE_KEY):
        return None
    resumed = web_sessions.resume(engine(), cookie, clock())
    if resumed is None:
        st.session_state[DEAD_COOKIE_KEY] = cookie  # not looked up again by this tab
        st.session_state[FORGET_COOKIE_KEY] = True
        return None
    account = resumed.account
    st.session_state.pop(SSO_REFUSED_KEY, None)
    st.session_state[ACTOR_KEY] = account.actor
    st.session_state[ACCOUNT_KEY] = account
    st.session_state[EPOCH_KEY] = account.session_epoch
    st.session_state[WEB_SESSION_KEY] = resumed.session_id
    st.session_state[LAST_SEEN_KEY] = clock()
    return account.actor


def _browser_script() -> None:
    """Gives the browser its handoff (it then gets the session cookie), or has it delete a
    cookie that names no open session. A file of the app, allowed by the production CSP; the
    cookie is set by the server's response only."""
    handoff = st.session_state.pop(HANDOFF_KEY, None)
    forget = st.session_state.pop(FORGET_COOKIE_KEY, False)
    if handoff is None and not forget:
        return
    # The handoff is URL-safe base64 (letters, digits, - and _): nothing to escape in an attribute.
    data = f' data-handoff="{handoff}"' if handoff else ""
    with st.sidebar:
        st.html(f'<script src="{SCRIPT_PATH}" data-ctg-session="1"{data}></script>', unsafe_allow_javascript=True)


def require_actor() -> Actor:
    """The signed-in person; otherwise the sign-in form and `st.stop()`, before any data is read."""
    actor = current_actor() or _directory_sign_in()
    if actor is None:
        sign_in_form()
        _browser_script()
        st.stop()
    account: accounts.SessionAccount | None = st.session_state.get(ACCOUNT_KEY)
    if account is not None and account.must_change_password:
        _account_sidebar(actor, account)
        change_password_form(actor)
        st.stop()
    st.session_state[LAST_SEEN_KEY] = clock()
    _account_sidebar(actor, account)
    return actor


def page_refusal(actor: Actor, page_name: str) -> str | None:
    """Why `actor` may not open the page `page_name` (its file name under pages/), even when
    reached by a direct link: the rule of the menu (permissions.PAGE_ROLES). None: allowed."""
    if may_open_page(actor, page_name):
        return None
    return f"Cette page n'est pas ouverte à votre rôle ({ROLE_LABELS[actor.role].lower()})."


def _idle_too_long() -> bool:
    last: datetime | None = st.session_state.get(LAST_SEEN_KEY)
    if last is None:
        return False
    limit = timedelta(minutes=accounts.AuthSettings.from_env().session_minutes)
    return clock() - last > limit


def start_session(actor: Actor, *, browser: bool = False) -> None:
    """`browser`: a sign-in with a password, which opens a browser session that survives a
    reload (the directory's sign-in has its own cookie, kept by Streamlit)."""
    st.session_state.pop(SSO_REFUSED_KEY, None)
    st.session_state.pop(WEB_SESSION_KEY, None)
    st.session_state[ACTOR_KEY] = actor
    st.session_state[LAST_SEEN_KEY] = clock()
    if actor.user_id is not None:
        account = accounts.session_account(engine(), actor.user_id)
        st.session_state[ACCOUNT_KEY] = account
        st.session_state[EPOCH_KEY] = None if account is None else account.session_epoch
        if browser and account is not None:
            agent = str(st.context.headers.get("User-Agent") or "") or None
            opened = web_sessions.create(engine(), actor.user_id, clock(), user_agent=agent)
            st.session_state[WEB_SESSION_KEY] = opened.session_id
            st.session_state[HANDOFF_KEY] = opened.handoff


def end_session(notice: str | None = None, reason: str = "déconnexion") -> None:
    """Forget everything the session held (filters included) and leave the directory too."""
    actor: Actor | None = st.session_state.get(ACTOR_KEY)
    if actor is not None:
        accounts.record_sign_out(engine(), actor, reason)
    web_session: int | None = st.session_state.get(WEB_SESSION_KEY)
    if web_session is not None:
        web_sessions.revoke(engine(), web_session, clock())
    dead_cookie = _cookie()
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if notice:
        st.session_state[NOTICE_KEY] = notice
    if web_session is not None or dead_cookie:
        # This tab's cookie (as sent when it was opened) names a session now over.
        st.session_state[FORGET_COOKIE_KEY] = True
        if dead_cookie:
            st.session_state[DEAD_COOKIE_KEY] = dead_cookie
    if _directory_user() is not None:
        st.logout()


def sign_out() -> None:
    end_session("Vous êtes déconnecté.")


def sign_out_everywhere() -> None:
    actor: Actor | None = st.session_state.get(ACTOR_KEY)
    if actor is not None:
        accounts.sign_out_everywhere(engine(), actor)
    end_session("Vous êtes déconnecté de tous vos appareils.")


def client_address() -> str | None:
    """Where the attempt comes from, for the per-client waits. Behind the documented reverse
    proxy (same machine: Streamlit sees no address) the proxy's own X-Forwarded-For entry, the
    last one, is trusted; an address sent by a remote client itself never is. None when
    unknown (a local run): one shared wait for everybody would let anyone slow everyone."""
    peer = st.context.ip_address
    if isinstance(peer, str) and peer:
        return peer[:64]
    forwarded = str(st.context.headers.get("X-Forwarded-For") or "").split(",")[-1].strip()
    return forwarded[:64] or None


# ------------------------------------------------------------------ directory (OIDC)


def sso_configured() -> bool:
    """Whether `.streamlit/secrets.toml` has an `[auth]` section; no secrets file is fine."""
    try:
        return "auth" in st.secrets
    except (OSError, StreamlitAPIException):  # no secrets file, or an unreadable one
        return False


def sso_problems() -> list[str]:
    """Why the configured `[auth]` section may not be trusted (a placeholder secret would let
    anyone forge an identity cookie); logged for the administrator."""
    if not sso_configured():
        return []
    problems = accounts.directory_config_problems(st.secrets["auth"])
    if problems:
        LOG.error("Connexion par l'annuaire désactivée, .streamlit/secrets.toml à corriger : %s", " ".join(problems))
    return problems


def sso_enabled() -> bool:
    return sso_configured() and not sso_problems()


def authlib_installed() -> bool:
    """Streamlit's st.login needs Authlib, an optional package."""
    return importlib.util.find_spec("authlib") is not None


def _directory_user() -> dict[str, Any] | None:
    """The identity the directory vouched for in this session, if directory sign-in is on.
    With a refused configuration the identity cookie is never trusted."""
    if not sso_enabled():
        return None
    try:
        info = st.user.to_dict()
    except StreamlitAPIException:
        return None
    return info if info.get("is_logged_in") is True else None


def _directory_sign_in() -> Actor | None:
    identity = _directory_user()
    if identity is None:
        return None
    email = str(identity.get("email") or "")
    if st.session_state.get(SSO_REFUSED_KEY) != email:
        try:
            actor = accounts.directory_sign_in(
                engine(), email, clock(), client=client_address(), email_verified=identity.get("email_verified")
            )
        except accounts.AuthError as error:
            st.session_state[SSO_REFUSED_KEY] = email
            st.session_state[NOTICE_KEY] = error.message
        else:
            start_session(actor)
            return actor
    st.title("Connexion")
    st.error(st.session_state.get(NOTICE_KEY) or "Aucun compte n'est associé à cette adresse.")
    st.text(f"Adresse donnée par l'annuaire : {email}")
    st.button("Se déconnecter de l'annuaire", on_click=st.logout)
    st.stop()


# ------------------------------------------------------------------ forms


def sign_in_form() -> None:
    st.title("Connexion")
    st.caption("Tableau de bord CTG : connectez-vous avec le compte que vous a remis un administrateur.")
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(notice)
    if accounts.user_count(engine()) == 0:
        st.info(
            "Aucun compte n'existe encore. Un administrateur crée le premier avec la commande "
            "« ctg user add ADRESSE --role admin », qui affiche un mot de passe provisoire."
        )
    with st.form("ctg_sign_in", clear_on_submit=True):
        email = st.text_input("Adresse e-mail", key="ctg_sign_in_email", autocomplete="username")
        password = st.text_input(
            "Mot de passe", type="password", key="ctg_sign_in_password", autocomplete="current-password"
        )
        submitted = st.form_submit_button("Se connecter", type="primary")
    if submitted:
        _try_sign_in(email, password)
    settings = accounts.AuthSettings.from_env()
    st.caption(
        f"Après {settings.lock_after} échecs successifs, la connexion au compte est suspendue "
        f"{settings.lock_minutes} minutes."
    )
    if sso_configured():
        st.divider()
        if sso_problems():
            st.warning(
                "La connexion par l'annuaire est désactivée : sa configuration sur le serveur est "
                "incomplète ou garde une valeur d'exemple. Un administrateur doit corriger "
                "« .streamlit/secrets.toml » (le détail est dans le journal du serveur)."
            )
        elif authlib_installed():
            st.button("Se connecter avec l'annuaire", key="ctg_sign_in_sso", on_click=st.login)
        else:
            st.warning(
                "La connexion par l'annuaire est configurée mais le paquet Authlib n'est pas "
                "installé sur le serveur : seule la connexion par mot de passe est possible."
            )


def _try_sign_in(email: str, password: str) -> None:
    if not email or not password:
        st.error("Saisissez votre adresse e-mail et votre mot de passe.")
        return
    try:
        actor = accounts.verify_credentials(engine(), email, password, clock(), client=client_address())
    except accounts.AuthError as error:
        st.error(error.message)
        return
    start_session(actor, browser=True)
    st.rerun()


def change_password_form(actor: Actor) -> None:
    st.title("Changer votre mot de passe")
    st.info("Votre mot de passe a été fixé par un administrateur : choisissez-en un nouveau pour continuer.")
    with st.form("ctg_change_password", clear_on_submit=True):
        current = st.text_input(
            "Mot de passe actuel", type="password", key="ctg_password_current", autocomplete="current-password"
        )
        new = st.text_input(
            "Nouveau mot de passe",
            type="password",
            key="ctg_password_new",
            autocomplete="new-password",
            help=POLICY_HELP,
        )
        confirmation = st.text_input(
            "Confirmer le nouveau mot de passe",
            type="password",
            key="ctg_password_confirmation",
            autocomplete="new-password",
        )
        submitted = st.form_submit_button("Enregistrer le mot de passe", type="primary")
    st.caption(POLICY_HELP)
    if not submitted:
        return
    try:
        accounts.change_own_password(engine(), actor, current, new, confirmation, clock())
    except accounts.AuthError as error:
        st.error(error.message)
    except accounts.AccountError as error:
        st.error(escape_markdown(str(error)))
    else:
        start_session(actor, browser=st.session_state.get(WEB_SESSION_KEY) is not None)
        st.session_state[NOTICE_KEY] = "Mot de passe enregistré."
        st.rerun()


def _account_sidebar(actor: Actor, account: "accounts.SessionAccount | None") -> None:
    name = account.name if account is not None else actor.email
    with st.sidebar:
        st.caption(f"Connecté : {escape_markdown(name)} · {ROLE_LABELS[actor.role]}")
        st.button("Se déconnecter", key="ctg_sign_out", on_click=sign_out, icon=":material/logout:")
        if actor.user_id is not None:
            st.button(
                "Se déconnecter partout",
                key="ctg_sign_out_everywhere",
                on_click=sign_out_everywhere,
                help="Ferme aussi vos sessions ouvertes sur d'autres appareils ou navigateurs.",
            )
    _browser_script()
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.toast(notice)


# ------------------------------------------------------------------ navigation
