"""`ctg check`: how many rows each table holds, and the rules the data breaks.

Each rule is one SQL query that returns the offending rows, so the check stays cheap on a
national database. The CHECK constraints already refuse most bad rows; these rules cover
what a single row cannot see (links across conventions, values against their indicator).
Warnings are said, not refused: what may be right, such as a facility of an intercommunal
syndicate outside its convention's perimeter.
"""

from dataclasses import dataclass

from sqlalchemy import Engine, func, text
from sqlmodel import Session, SQLModel, select

from ctg_data.perimeter import outside_message


@dataclass(frozen=True)
class Violation:
    rule: str
    detail: str
    warning: bool = False  # said, not an error: `ctg check` still succeeds


RULES = {
    "Orientation d'une autre convention": """
        SELECT c.code || ' / ' || a.code FROM actions a
        JOIN orientations o ON o.id = a.orientation_id
        JOIN conventions c ON c.id = a.convention_id
        WHERE o.convention_id <> a.convention_id""",
    "Indicateur rattaché à une action d'une autre convention": """
        SELECT c.code || ' / ' || i.code FROM indicators i
        JOIN actions a ON a.id = i.action_id
        JOIN conventions c ON c.id = i.convention_id
        WHERE a.convention_id <> i.convention_id""",
    "Mesure hors des bornes de son indicateur": """
        SELECT c.code || ' / ' || i.code || ' / ' || m.measured_on FROM measurements m
        JOIN indicators i ON i.id = m.indicator_id
        JOIN conventions c ON c.id = i.convention_id
        WHERE m.superseded_at IS NULL
          AND (m.value < i.min_value OR m.value > i.max_value)""",
    "Financement lié à un équipement, une action ou un poste d'une autre convention": """
        SELECT c.code || ' / ' || f.lever_code || ' / ' || f.year FROM funding_lines f
        JOIN conventions c ON c.id = f.convention_id
        LEFT JOIN facilities e ON e.id = f.facility_id
        LEFT JOIN actions a ON a.id = f.action_id
        LEFT JOIN coordination_posts p ON p.id = f.post_id
        WHERE e.convention_id <> f.convention_id OR a.convention_id <> f.convention_id
           OR p.convention_id <> f.convention_id""",
    "Action réalisée dont l'avancement n'est pas 100 %": """
        SELECT c.code || ' / ' || a.code FROM actions a
        JOIN conventions c ON c.id = a.convention_id
        WHERE a.deleted_at IS NULL AND a.status = 'realisee' AND a.progress < 100""",
}


OUTSIDE_PERIMETER = "Équipement hors du périmètre de sa convention (avertissement)"
# (convention, facility, commune) of each facility whose commune is not in the perimeter its
# convention states (a convention stating none has nothing to compare with).
OUTSIDE_PERIMETER_SQL = """
    SELECT c.code, f.code, co.name FROM facilities f
    JOIN conventions c ON c.id = f.convention_id
    JOIN communes co ON co.insee_code = f.insee_code
    WHERE EXISTS (SELECT 1 FROM perimeter p WHERE p.convention_id = f.convention_id)
      AND NOT EXISTS (SELECT 1 FROM perimeter p
                      WHERE p.convention_id = f.convention_id AND p.insee_code = f.insee_code)
    ORDER BY c.code, f.code"""


def table_counts(session: Session) -> dict[str, int]:
    return {
        name: session.exec(select(func.count()).select_from(table)).one()
        for name, table in sorted(SQLModel.metadata.tables.items())
    }


def violations(session: Session) -> list[Violation]:
    found = []
    for rule, sql in RULES.items():
        found += [Violation(rule, row[0]) for row in session.execute(text(sql))]
    found += [
        Violation(OUTSIDE_PERIMETER, outside_message(facility, commune, convention), warning=True)
        for convention, facility, commune in session.execute(text(OUTSIDE_PERIMETER_SQL))
    ]
    return found


def integrity_report(engine: Engine) -> tuple[dict[str, int], list[tuple[str, str]], list[tuple[str, str]]]:
    """Counts, broken rules and warnings as plain data, for the app's cache."""
    with Session(engine) as session:
        counts, found = table_counts(session), violations(session)
    return (
        counts,
        [(v.rule, v.detail) for v in found if not v.warning],
        [(v.rule, v.detail) for v in found if v.warning],
    )
