"""The one place where a database failure becomes a French message: every page (sign-in
included) and the entrypoint run inside `database_boundary()`, so no page catches database
errors itself and nobody ever sees Streamlit's English error or a traceback."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from ctg_data.errors import DatabaseUnavailable
from ctg_data.ui.data import engine

LOG = logging.getLogger("ctg_data.ui")

UNAVAILABLE = (
    "La base de données est momentanément indisponible. Vos saisies n'ont pas été enregistrées. "
    "Réessayez dans un instant."
)


@contextmanager
def database_boundary() -> Iterator[None]:
    """Run a page's setup and body; a database failure is logged with its details and shown
    as one French sentence where the page stopped. Streamlit's own control flow (st.stop,
    st.rerun) is not an error and passes through."""
    try:
        yield
    except DatabaseUnavailable as error:
        LOG.error("Base de données indisponible : %s", error.detail or error, exc_info=error)
        _recover()
        st.error(str(error), icon=":material/cloud_off:")
    except SQLAlchemyError as error:
        LOG.error("Erreur de base de données pendant l'affichage d'une page", exc_info=error)
        _recover()
        st.error(UNAVAILABLE, icon=":material/cloud_off:")


def _recover() -> None:
    """Drop the pooled connections, so that the next run opens fresh ones: a SQLite connection
    opened while the file was read-only stays read-only, and a PostgreSQL connection from
    before a restart is dead. The engine itself holds no failure and is kept."""
    try:
        engine().dispose()
    except Exception:  # recovery is best effort: the message is already decided
        LOG.exception("Impossible de libérer les connexions à la base de données")
