"""Password hashing (argon2id, through argon2-cffi) and the minimum password policy.

Nothing here is home-made crypto: argon2-cffi's PasswordHasher chooses the salt, encodes the
parameters in the hash and compares in constant time. Its defaults follow RFC 9106's
recommended low-memory profile; a hash made with older parameters is upgraded at sign-in.
"""

import secrets
import string
from collections.abc import Iterator
from contextlib import contextmanager
from threading import BoundedSemaphore, Lock

from argon2 import PasswordHasher, Type, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

from ctg_data import settings
from ctg_data.accounts.records import AccountError

MIN_LENGTH = 12
MAX_LENGTH = 256  # hashing megabytes of "password" would be a cheap way to load the server
# zxcvbn's scale: 3 is "safely unguessable" (about 10^8 guesses and more), which the sign-in
# throttling and argon2 put out of reach of an online attacker.
MIN_SCORE = 3
SCORED_LENGTH = 72  # zxcvbn's own bound; beyond it, the start decides
# Words every French-speaking guesser tries first, absent from zxcvbn's English lists, and the
# app's own vocabulary.
FRENCH_GUESSES = (
    "azerty",
    "azertyuiop",
    "qsdfghjklm",
    "wxcvbn",
    "motdepasse",
    "bonjour",
    "soleil",
    "doudou",
    "chouchou",
    "loulou",
    "nicolas",
    "marseille",
    "paris",
    "toulouse",
    "lourdes",
    "tarbes",
    "france",
    "caf",
    "ctg",
    "tableau",
    "bord",
    "convention",
    "territoriale",
    "global",
    "globale",
    "admin",
    "administrateur",
    "utilisateur",
    "bienvenue",
    "secret",
    "jetaime",
    "chocolat",
    "printemps",
    "hiver",
    "automne",
    "ete",
)


class Hashing:
    """The hasher, and a hash of a password nobody knows made with the same parameters:
    verifying against it costs what verifying a real account costs. Tests swap in cheaper
    parameters (argon2.profiles.CHEAPEST) so that the suite stays quick; production never does."""

    def __init__(self, hasher: PasswordHasher) -> None:
        self.hasher = hasher
        self._dummy: str | None = None

    def dummy(self) -> str:
        if self._dummy is None:
            self._dummy = self.hasher.hash(secrets.token_urlsafe(32))
        return self._dummy


# RFC 9106's second recommendation: argon2id, 64 MiB, 3 passes, 4 lanes.
PARAMETERS = profiles.RFC_9106_LOW_MEMORY
assert PARAMETERS.type is Type.ID
HASHING = Hashing(PasswordHasher.from_parameters(PARAMETERS))


class PasswordPolicyError(AccountError):
    """A password the policy refuses; the message is French and can be shown as it is."""


def policy_problems(password: str, email: str | None = None) -> list[str]:
    """What is wrong with `password` (French sentences); empty when it is acceptable."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Le mot de passe doit compter au moins {MIN_LENGTH} caractères.")
    if len(password) > MAX_LENGTH:
        problems.append(f"Le mot de passe ne peut pas dépasser {MAX_LENGTH} caractères.")
    if password.isalpha() or password.isdigit():
        problems.append("Le mot de passe ne doit pas être fait que de lettres ou que de chiffres.")
    local_part = (email or "").split("@", 1)[0].strip().lower()
    if len(local_part) >= 3 and local_part in password.lower():
        problems.append("Le mot de passe ne doit pas contenir la partie de l'adresse e-mail placée avant « @ ».")
    if not problems and _score(password, email) < MIN_SCORE:
        problems.append(
            "Ce mot de passe est trop facile à deviner (mot courant, suite de touches du "
            "clavier, date ou répétition) : allongez-le, par exemple avec plusieurs mots "
            "sans rapport entre eux."
        )
    return problems


_SCORING = Lock()  # zxcvbn keeps the user's words in a module-level dictionary


def _score(password: str, email: str | None) -> int:
    words = [part for part in (email or "").lower().replace("@", ".").split(".") if len(part) >= 3]
    with _SCORING:
        return zxcvbn(password[:SCORED_LENGTH], user_inputs=[*FRENCH_GUESSES, *words])["score"]


def check_policy(password: str, email: str | None = None) -> None:
    problems = policy_problems(password, email)
    if problems:
        raise PasswordPolicyError(" ".join(problems))


class Busy(Exception):
    """Every verification slot is taken: the attempt is refused rather than queued."""


class VerificationSlots:
    """At most `size` argon2 verifications at once in this process: each takes 64 MiB, and
    forty parallel sign-ins would otherwise cost gigabytes. A caller waits `wait` seconds at
    most for a slot, then gives up (no unbounded queue of sessions holding threads)."""

    def __init__(self, size: int, wait: float) -> None:
        self.size = size
        self.wait = wait
        self._semaphore = BoundedSemaphore(size)

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self._semaphore.acquire(timeout=self.wait):
            raise Busy
        try:
            yield
        finally:
            self._semaphore.release()


def _slots_from_env() -> VerificationSlots:
    return VerificationSlots(settings.password_checks(), wait=1.0)


SLOTS = _slots_from_env()


def hash_password(password: str) -> str:
    return HASHING.hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return HASHING.hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return HASHING.hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def verify_dummy(password: str) -> None:
    """Spend the time of one verification, for an e-mail that has no password to check."""
    verify_password(HASHING.dummy(), password)


# No look-alike characters (0/O, 1/l/I): the password is read from a screen and typed.
_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")


def generate_password(email: str | None = None) -> str:
    """A temporary password: 4 groups of 4 random characters, e.g. « kX7p-Rz3m-… » (≈ 90 bits)."""
    while True:
        groups = ["".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(4)]
        password = "-".join(groups)
        if not policy_problems(password, email):
            return password
