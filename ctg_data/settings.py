"""Settings read from the environment, with defaults that work on a fresh clone.

One policy for every variable: absent or blank, its default; a value that cannot be used, a
SettingError whose French message names the variable, what was read and what is expected (a
wrong setting is said at once, never silently replaced by the default). Each reader is read
when called, so that a test or a restart sees a new value.

| variable | type | default | meaning |
| --- | --- | --- | --- |
| CTG_DATABASE_URL | SQLAlchemy URL | SQLite file var/ctg.sqlite3 | the database |
| CTG_TODAY | date AAAA-MM-JJ | the real date | the reference date (demos, tests) |
| CTG_LOCK_AFTER | whole number ≥ 1 | 5 | failed sign-ins in a row before an account is locked |
| CTG_LOCK_MINUTES | whole number ≥ 1 | 15 | how long the lock lasts |
| CTG_SESSION_MINUTES | whole number ≥ 1 | 30 | inactivity after which a session ends |
| CTG_SESSION_MAX_HOURS | whole number ≥ 1 | 12 | age after which a session ends, even an active one |
| CTG_PASSWORD_CHECKS | whole number ≥ 1 | 4 | password verifications run at the same time |
| CTG_MAX_UPLOAD_MB | number > 0 | 20 | size limit of an imported file, in megabytes |
| CTG_CACHE_MB | whole number ≥ 1 | 256 | memory the read cache of one app process may use, in megabytes |
| CTG_TOLERANCE_ABS | number ≥ 0 | 1 | "écart notifié" tolerance in euros |
| CTG_TOLERANCE_REL | number ≥ 0 | 0.01 | "écart notifié" tolerance as a share of what is due |
| CTG_DECLARATION_DATE | MM-JJ | 03-31 | the day of year Y+1 by which year Y's activity is declared |
| CTG_BEHIND_SCHEDULE_POINTS | number ≥ 0 | 15 | points below the expected progress: "en retard sur le calendrier" |
| CTG_SMTP_HOST | host name | none | the SMTP server `ctg remind` sends through (none: it can only simulate) |
| CTG_SMTP_PORT | whole number ≥ 1 | 25 | its port |
| CTG_SMTP_USER | text | none | the account to sign in to it with (none: no sign-in) |
| CTG_SMTP_PASSWORD | text | none | that account's password |
| CTG_SMTP_FROM | e-mail address | none | the sender of the reminders (required to send) |
| CTG_SMTP_STARTTLS | oui / non | non | encrypt the connection with STARTTLS before signing in |
| CTG_APP_URL | http(s) address | http://localhost:8501 | the app's address, for the links of the e-mails |
"""

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from ctg_data.errors import SettingError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / "var"
DEMO_SEED = PROJECT_ROOT / "seeds" / "lourdes-2023"

Value = TypeVar("Value")


@dataclass(frozen=True)
class Settings:
    database_url: str

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def default_database_url() -> str:
    return f"sqlite:///{DEFAULT_DATA_DIR / 'ctg.sqlite3'}"


def load_settings() -> Settings:
    return Settings(database_url=text("CTG_DATABASE_URL", default_database_url()))


# ------------------------------------------------------------------ the one policy


def read(name: str, default: Value, parse: Callable[[str], Value | None], expected: str) -> Value:
    """The variable `name` parsed, `default` when absent or blank; SettingError when `parse`
    refuses it (raises ValueError or returns None)."""
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = parse(raw)
    except (ValueError, ArithmeticError):
        value = None
    if value is None:
        raise SettingError(f"Le réglage {name} vaut « {raw} » : {expected} est attendu.")
    return value


def text(name: str, default: str) -> str:
    return read(name, default, str, "un texte")


def whole(name: str, default: int, *, least: int = 1) -> int:
    def parse(raw: str) -> int | None:
        value = int(raw)
        return value if value >= least else None

    return read(name, default, parse, f"un nombre entier supérieur ou égal à {least}")


def decimal(name: str, default: Decimal, *, positive: bool = False) -> Decimal:
    """A decimal number (French comma accepted), ≥ 0, or > 0 when `positive`."""

    def parse(raw: str) -> Decimal | None:
        try:
            value = Decimal(raw.replace(",", "."))
        except InvalidOperation:
            return None
        ok = value.is_finite() and (value > 0 if positive else value >= 0)
        return value if ok else None

    return read(name, default, parse, "un nombre strictement positif" if positive else "un nombre positif ou nul")


def day(name: str) -> date | None:
    return read(name, None, date.fromisoformat, "une date au format AAAA-MM-JJ (par exemple 2026-11-26)")


# ------------------------------------------------------------------ the settings, typed


def pinned_today() -> date | None:
    """CTG_TODAY: the date that stands for today (None: the real date)."""
    return day("CTG_TODAY")


def lock_after() -> int:
    return whole("CTG_LOCK_AFTER", 5)


def lock_minutes() -> int:
    return whole("CTG_LOCK_MINUTES", 15)


def session_minutes() -> int:
    return whole("CTG_SESSION_MINUTES", 30)


def session_max_hours() -> int:
    return whole("CTG_SESSION_MAX_HOURS", 12)


def password_checks() -> int:
    return whole("CTG_PASSWORD_CHECKS", 4)


def max_upload_mb() -> Decimal:
    return decimal("CTG_MAX_UPLOAD_MB", Decimal(20), positive=True)


def cache_mb() -> int:
    return whole("CTG_CACHE_MB", 256)


def tolerance_abs() -> Decimal:
    return decimal("CTG_TOLERANCE_ABS", Decimal(1))


def tolerance_rel() -> Decimal:
    return decimal("CTG_TOLERANCE_REL", Decimal("0.01"))


def behind_schedule_points() -> Decimal:
    """CTG_BEHIND_SCHEDULE_POINTS: how many points of progress below its expected progress a
    domain, an orientation or the convention may be before it reads « en retard sur le
    calendrier »."""
    return decimal("CTG_BEHIND_SCHEDULE_POINTS", Decimal(15))


def _month_day(raw: str) -> tuple[int, int] | None:
    month, day_ = (int(part) for part in raw.split("-"))
    date(2023, month, day_)  # a day every year has (29 February is refused): raises ValueError
    return month, day_


def declaration_date() -> tuple[int, int]:
    """CTG_DECLARATION_DATE: (month, day) of year Y+1 by which year Y's activity is declared;
    before it, missing activity of Y is expected, not a fault."""
    return read(
        "CTG_DECLARATION_DATE", (3, 31), _month_day, "une date de l'année suivante au format MM-JJ (par exemple 03-31)"
    )


# ------------------------------------------------------------------ e-mail (ctg remind)

YES, NO = frozenset({"oui", "o", "vrai", "true", "1", "yes"}), frozenset({"non", "n", "faux", "false", "0", "no"})


def _yes_no(raw: str) -> bool | None:
    word = raw.casefold()
    return True if word in YES else False if word in NO else None


def _web_address(raw: str) -> str | None:
    parts = urlsplit(raw)
    return raw.rstrip("/") if parts.scheme in ("http", "https") and parts.netloc else None


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    sender: str
    starttls: bool


def smtp() -> Smtp:
    """CTG_SMTP_*: the server the reminders go through (an empty host: none configured)."""
    return Smtp(
        host=text("CTG_SMTP_HOST", ""),
        port=whole("CTG_SMTP_PORT", 25),
        user=text("CTG_SMTP_USER", ""),
        password=os.environ.get("CTG_SMTP_PASSWORD") or "",  # as typed: a password may end with a space
        sender=text("CTG_SMTP_FROM", ""),
        starttls=read("CTG_SMTP_STARTTLS", False, _yes_no, "oui ou non"),
    )


def app_url() -> str:
    """CTG_APP_URL: the app's address as users reach it, without a trailing slash."""
    return read("CTG_APP_URL", "http://localhost:8501", _web_address, "une adresse commençant par http:// ou https://")
