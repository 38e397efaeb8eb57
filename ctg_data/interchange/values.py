"""A file's cells typed, with every mistake found before anything is written — including
indicator values given as text where their indicator wants a number: a cell alone cannot tell a
step code ("en_cours") from a mistake ("beaucoup") without its indicator, and a file refused for
another reason must still list every mistake at once."""

from sqlmodel import Session, col, select

from ctg_data import models as m
from ctg_data.formats import not_a_number
from ctg_data.interchange.tables import LoadError, Table
from ctg_data.interchange.typing import Row, type_rows
from ctg_data.rules.indicators import steps_of

Typed = dict[str, tuple[Table, list[tuple[int, Row]]]]
VALUE_SHEETS = ("cibles", "mesures")


def checked_types(session: Session, tables: list[Table], visible: set[int] | None) -> tuple[Typed, list[LoadError]]:
    """Each table's rows typed, and the mistakes found so far (`visible`: see misplaced_codes)."""
    typed: Typed = {}
    errors: list[LoadError] = []
    for table in tables:
        rows, found = type_rows(table)
        typed[table.sheet] = (table, rows)
        errors += found
    if errors:  # the loader will not run: say now what it would have said of the values
        errors += misplaced_codes(session, typed, visible)
    return typed, errors


def misplaced_codes(session: Session, typed: Typed, visible: set[int] | None) -> list[LoadError]:
    """A step code given to a number indicator (of the same file, or stored in a convention the
    person importing sees: `visible`, None for all), as the loader would refuse it."""
    coded = [
        (table, line, row)
        for sheet in VALUE_SHEETS
        if sheet in typed
        for table in (typed[sheet][0],)
        for line, row in typed[sheet][1]
        if isinstance(row.get("valeur"), str)
    ]
    if not coded:
        return []
    stepped = {
        (row["convention"], row["code"]): steps_of(row.get("nature"), row.get("etapes")) is not None
        for _, row in typed.get("indicateurs", (None, []))[1]
    }
    wanted = {(row["convention"], row["indicateur"]) for _, _, row in coded} - set(stepped)
    if wanted:
        query = (
            select(col(m.Convention.code), col(m.Indicator.code), col(m.Indicator.nature), col(m.Convention.id))
            .join(m.Indicator, col(m.Indicator.convention_id) == m.Convention.id)
            .where(
                col(m.Convention.code).in_({c for c, _ in wanted}), col(m.Indicator.code).in_({i for _, i in wanted})
            )
        )
        for convention, indicator, nature, convention_id in session.exec(query):
            if visible is None or convention_id in visible:
                stepped.setdefault((convention, indicator), steps_of(nature, None) is not None)
    return [
        LoadError(table.where, line, "valeur", str(not_a_number(row["valeur"])))
        for table, line, row in coded
        if stepped.get((row["convention"], row["indicateur"])) is False
    ]
