"""Errors the whole application shares, each with the French sentence a page shows as is.

One module, imported by every layer (validation, interchange, services, accounts, ui), so that
no layer has to import another one only to name its errors."""

from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

UNAVAILABLE = (
    "La base de données est indisponible : rien n'a été enregistré. "
    "Réessayez dans quelques instants ; si le problème persiste, prévenez l'administrateur."
)


class DatabaseUnavailable(SQLAlchemyError):
    """The database cannot be used (SQLite file missing, replaced since it was opened, or never
    created by `ctg db upgrade`). `str()` is the French sentence for the page; `detail` says
    why and what to do, in French too, for the logs and the administrator. A SQLAlchemyError, so that every handler of
    database failures already catches it."""

    def __init__(self, detail: str = "", message: str = UNAVAILABLE):
        super().__init__(message)
        self.message = message
        self.detail = detail


BUSY = "Un import est en cours ; réessayez dans quelques secondes."


class DatabaseBusy(DatabaseUnavailable):
    """SQLite's write lock stayed taken longer than the wait allowed (db.BUSY_TIMEOUT_MS): in
    practice an import recording its rows. Nothing was saved; trying again a little later works."""

    def __init__(self, detail: str = ""):
        super().__init__(detail, BUSY)


class ValidationError(Exception):
    """Bad input: `errors` maps a field (French label or column name) to its French message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ; ".join(f"{name} : {message}" for name, message in errors.items()))
        self.errors = errors


@dataclass
class ConflictError(Exception):
    """Someone saved the same record since the form was opened: nothing was written.
    `changes` lists (field, value when the form opened, value saved meanwhile)."""

    record: str
    changed_by: str | None
    changes: list[tuple[str, object, object]] = field(default_factory=list)

    def __str__(self) -> str:
        who = f" par {self.changed_by}" if self.changed_by else ""
        return f"{self.record} a été modifié{who} depuis l'ouverture du formulaire : rien n'a été enregistré."


class PermissionDenied(Exception):
    """Raised with a French message a page can show as it is."""


class SettingError(ValueError):
    """A setting read from the environment has a value that cannot be used: the French message
    names the variable, what was read and what is expected."""
