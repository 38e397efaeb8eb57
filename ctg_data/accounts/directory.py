"""Directory sign-in (OIDC through Streamlit's st.login): when it may be offered, and whom it
may open. Pure decisions, no Streamlit and no database: the UI and directory_sign_in apply them.

The identity cookie is signed with `cookie_secret`: whoever knows it can forge any identity.
A placeholder, an example value or a short secret therefore turns directory sign-in off
altogether rather than trusting such a cookie.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from ctg_data import models as m

MIN_SECRET_LENGTH = 32
MIN_SECRET_CHARACTERS = 8  # "xxxx…" or "aaaa…" is long but guessable
# Words found in placeholders ("remplacez-moi", "changeme", "your-secret", …).
# Five letters or more: a random secret then holds one by chance about once in a million.
PLACEHOLDER_WORDS = ("remplac", "change", "exemple", "example", "secret", "placeholder", "votre", "aleatoire", "random")


def _placeholder(value: str) -> bool:
    lowered = value.lower()
    return any(word in lowered for word in PLACEHOLDER_WORDS)


def secret_problem(name: str, secret: str) -> str | None:
    """Why `secret` may not sign a cookie (French, naming the setting `name`); None: it may.
    Also applied to the key of the session cookie (ctg_data.accounts.web_sessions)."""
    if len(secret) < MIN_SECRET_LENGTH:
        return (
            f"{name} doit compter au moins {MIN_SECRET_LENGTH} caractères aléatoires "
            '(python -c "import secrets; print(secrets.token_urlsafe(32))").'
        )
    if _placeholder(secret) or len(set(secret)) < MIN_SECRET_CHARACTERS:
        return f"{name} est une valeur d'exemple ou trop régulière : remplacez-la par un secret aléatoire."
    return None


def config_problems(auth: Mapping[str, object] | None) -> list[str]:
    """Why the `[auth]` section of secrets.toml may not be used (French, for the administrator);
    empty when directory sign-in may be offered."""
    if not auth:
        return ["la section [auth] est absente."]
    problems = []
    weak = secret_problem("cookie_secret", str(auth.get("cookie_secret") or ""))
    if weak:
        problems.append(weak)
    for name in ("client_id", "client_secret", "server_metadata_url", "redirect_uri"):
        value = str(auth.get(name) or "")
        if not value or (name == "client_secret" and _placeholder(value) and len(value) < MIN_SECRET_LENGTH):
            problems.append(f"{name} est absent ou vaut encore l'exemple.")
    return problems


def may_use_directory(user: m.User) -> bool:
    """An account opens through the directory when it has no password (directory only) or an
    administrator allowed it; a local-password account never does by default."""
    return user.password_hash is None or bool(user.directory_sign_in)


@dataclass(frozen=True)
class Refusal:
    motif: str  # for the journal
    message: str  # for the person (French)


NO_ACCOUNT = Refusal(
    "aucun compte", "Aucun compte n'est associé à cette adresse. Demandez à un administrateur de vous en créer un."
)


def refusal(user: m.User | None, email_verified: object) -> Refusal | None:
    """Why the directory's identity may not open `user` (None: it may)."""
    if email_verified is not True:  # the claim as sent: absent, a string or a number counts as not verified
        return Refusal(
            "adresse non vérifiée par l'annuaire",
            "L'annuaire n'a pas confirmé cette adresse e-mail : la connexion est refusée.",
        )
    if user is None:
        return NO_ACCOUNT
    if user.disabled_at is not None:
        return Refusal("compte désactivé", NO_ACCOUNT.message)
    if not may_use_directory(user):
        return Refusal(
            "compte à mot de passe non ouvert à l'annuaire",
            "Ce compte se connecte avec son mot de passe. Un administrateur peut l'ouvrir "
            "à la connexion par l'annuaire.",
        )
    return None
