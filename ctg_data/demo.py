"""The demo convention: loaded only into a database that holds nothing of a user's yet."""

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from ctg_data.models import Commune, Convention, Organisation, RateRow

# Conventions whose figures are illustrative: the app labels them so on every page.
DEMO_CONVENTION_CODES = frozenset({"ctg-lourdes-2023"})

# Any row in these means someone already put data here: the demo must not mix into it.
USER_TABLES = (Convention, Organisation, Commune, RateRow)


def database_has_data(engine: Engine) -> bool:
    with Session(engine) as session:
        return any(session.exec(select(func.count()).select_from(table)).one() > 0 for table in USER_TABLES)
