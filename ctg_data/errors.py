"""Errors the whole application shares, each with the French sentence a page shows as is."""

from sqlalchemy.exc import SQLAlchemyError

UNAVAILABLE = ("La base de données est indisponible : rien n'a été enregistré. "
               "Réessayez dans quelques instants ; si le problème persiste, prévenez l'administrateur.")


class DatabaseUnavailable(SQLAlchemyError):
    """The database cannot be used (SQLite file missing, replaced since it was opened, or never
    created by `ctg db upgrade`). `str()` is the French sentence for the page; `detail` says
    why and what to do, in French too, for the logs and the administrator. A SQLAlchemyError, so that every handler of
    database failures already catches it."""

    def __init__(self, detail: str = "", message: str = UNAVAILABLE):
        super().__init__(message)
        self.message = message
        self.detail = detail
