"""Turning the cells of a table into typed values, and the rules a row must obey on its own.

Everything here is pure: no database. References (codes of other rows) are checked later,
when the loader can see both the file and the database. Cells are parsed by the validation
layer's parsers where it has one (the forms use the same), and every value must fit the
column it is written to (text length, digits, decimals).
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeAlias

from ctg_data import validation
from ctg_data.interchange import parsing
from ctg_data.interchange.sheets import SHEETS_BY_NAME, Column
from ctg_data.interchange.tables import LoadError, Table
from ctg_data.interchange.targets import column_type
from ctg_data.rules.indicators import steps_of
from ctg_data.vocabulary import DEFAULT_STEPS, ActionStatus, Direction, IndicatorNature

# A typed row: column name → parsed value (None for a blank cell).
Row: TypeAlias = dict[str, Any]
# A rule on one row: (column, French message) of what is wrong, or None.
RowRule: TypeAlias = Callable[[Row], tuple[str, str] | None]


def _in_own_unit(parse: Callable[[object], object]) -> Callable[[object], object]:
    """A number that may carry a trailing `%`: `58,5 %` is 58.5, the value in its own unit
    (a percentage indicator, a progress, a rate), as French spreadsheets show it."""
    return lambda raw: parse(parsing.without_percent(raw))


PARSERS: dict[str, Callable[[object], object]] = {
    "code": parsing.parse_code,
    "text": parsing.parse_text,
    "insee": parsing.parse_insee,
    "date": parsing.parse_date,
    "int": _in_own_unit(validation.integer),
    "float": _in_own_unit(validation.number),
    "decimal": _in_own_unit(parsing.parse_decimal),  # digits and decimals: those of its NUMERIC column (fits)
    "money": validation.money,  # euros: `12 500 €`, never a percentage
    "rate": _in_own_unit(parsing.parse_rate),
    "bool": parsing.parse_bool,
    "list": parsing.parse_list,
    "ref": parsing.parse_code,
}


# Published conventions give their period as years ("2023-2026"): a year or a month stands for
# its first day at the start and its last day at the end.
PERIOD_PARSERS: dict[tuple[str, str], Callable[[object], object]] = {
    ("conventions", "date_debut"): parsing.parse_period_start,
    ("conventions", "date_fin"): parsing.parse_period_end,
    ("avenants", "date_fin"): parsing.parse_period_end,
}


def number_or_step(raw: object) -> float | str:
    """A value of an indicator: a number, or a step code when the indicator is a step one (which
    the loader knows once it has found the indicator: validation.indicator_measure)."""
    try:
        return validation.number(parsing.without_percent(raw))
    except ValueError:
        if not any(character.isalpha() for character in str(raw)):
            raise  # digits alone are a number, too large or malformed: say so, not "unknown step"
        try:
            return parsing.parse_code(raw)
        except ValueError:
            pass
        raise


# The columns holding an indicator's values, which a step indicator gives as step codes.
VALUE_COLUMNS = (("indicateurs", "valeur_reference"), ("indicateurs", "valeur_cible"), ("cibles", "valeur"))
# Counts of a facility held to the plausibility bounds of the forms (rules.plausibility).
PLAUSIBLE_PARSERS: dict[tuple[str, str], Callable[[object], object]] = {
    **{
        (sheet, name): _in_own_unit(validation.places_count)
        for sheet in ("equipements", "activite")
        for name in ("places", "places_nouvelles")
    },
    ("activite", "heures_realisees"): _in_own_unit(validation.hours),
    ("activite", "heures_facturees"): _in_own_unit(validation.hours),
    ("activite", "etp"): _in_own_unit(validation.fte_count),
}
CELL_PARSERS = (
    PERIOD_PARSERS | PLAUSIBLE_PARSERS | {column: number_or_step for column in (*VALUE_COLUMNS, ("mesures", "valeur"))}
)


def parse_cell(column: Column, raw: object) -> object:
    if column.kind == "choice":
        return parsing.parse_choice(raw, column.choices)
    if column.kind == "ref" and column.ref == "commune":
        return parsing.parse_insee(raw)
    if column.kind == "list":
        items = parsing.parse_list(raw)
        parse_item = parsing.parse_insee if column.ref == "commune" else parsing.parse_code
        return [parse_item(item) for item in items]
    return PARSERS[column.kind](raw)


# The rules a row obeys on its own are those of ctg_data.validation, shared with the forms.


def _ordered(low: str, high: str, message: str) -> RowRule:
    def rule(row: Row) -> tuple[str, str] | None:
        broken = validation.ordered(row.get(low), row.get(high), message)
        return (high, broken) if broken else None

    return rule


def _between(name: str, low: int, high: int) -> RowRule:
    def rule(row: Row) -> tuple[str, str] | None:
        broken = validation.between(row.get(name), low, high)
        return (name, broken) if broken else None

    return rule


def _done_means_complete(row: Row) -> tuple[str, str] | None:
    broken = validation.done_means_complete(row.get("statut"), row.get("avancement"))
    return ("avancement", broken) if broken else None


def _step_values(row: Row) -> tuple[str, str] | None:
    """A step indicator's reference and target are step codes of its `etapes` (default
    non_demarre;en_cours;realise), which it climbs (`sens` hausse) and which bound it (no
    min/max); a number indicator's are numbers and it has no `etapes`. The codes stay codes in
    the row: the loader stores their positions (step_positions)."""
    steps_text = row.get("etapes")
    if row.get("nature") != IndicatorNature.ETAPE:
        if steps_text is not None:
            return "etapes", "des étapes ne se donnent qu'à un indicateur de nature « etape »"
        for name in STEP_VALUES:
            if isinstance(row.get(name), str):
                return name, str(parsing.not_a_number(row[name]))
        return None
    try:
        steps = validation.step_codes(steps_text) if steps_text is not None else DEFAULT_STEPS
    except ValueError as error:
        return "etapes", str(error)
    if row.get("sens") == Direction.BAISSE:
        return "sens", "un indicateur à étapes progresse dans l'ordre de ses étapes : sens « hausse »"
    for name in ("min", "max"):
        if row.get(name) is not None:
            return name, "sans objet pour un indicateur à étapes (ses étapes le bornent)"
    for name in STEP_VALUES:
        if row.get(name) is not None:
            try:
                validation.step_position(steps, row[name])
            except ValueError as error:
                return name, str(error)
    return None


STEP_VALUES = ("valeur_reference", "valeur_cible")


def step_attributes(row: Row) -> dict[str, object]:
    """What a checked `indicateurs` row stores of its steps, by column: the reference and target
    of a step indicator as step positions, its `etapes` as codes joined by ";" (blank: the
    default steps); {} for a number indicator (its values are stored as given)."""
    steps = steps_of(row.get("nature"), row.get("etapes"))
    if steps is None:
        return {}
    stored: dict[str, object] = {
        name: None if row.get(name) is None else validation.step_position(steps, row[name]) for name in STEP_VALUES
    }
    stored["etapes"] = None if row.get("etapes") is None else ";".join(steps)
    return {name: value for name, value in stored.items() if name in row}


def _listed_once(name: str) -> RowRule:
    def rule(row: Row) -> tuple[str, str] | None:
        broken = validation.listed_once(row.get(name))
        return (name, broken) if broken else None

    return rule


def _positive(name: str, *, strict: bool = False) -> RowRule:
    def rule(row: Row) -> tuple[str, str] | None:
        broken = validation.not_negative(row.get(name), strict=strict)
        return (name, broken) if broken else None

    return rule


# Values a blank cell stands for, where the format gives one.
# The barème's v2 key columns are stored as '' when blank (any place, national), as the model says.
DEFAULTS: dict[str, dict[str, object]] = {
    "mesures": {"type": "resultat"},
    "indicateurs": {"nature": IndicatorNature.NOMBRE},
    # An empty `statut` is non_renseigne (an absent column: a new action's, models.Action.status).
    "actions": {"poids": Decimal(1), "statut": ActionStatus.NON_RENSEIGNE},
    "bareme": {"categorie_place": "", "portee": ""},
}

END_AFTER_START = "la date de fin précède la date de début"
NEW_WITHIN_PLACES = "les places nouvelles dépassent le nombre de places"
ROW_RULES: dict[str, list[RowRule]] = {
    "conventions": [_ordered("date_debut", "date_fin", END_AFTER_START)],
    "communes": [_positive("population"), _positive("enfants_moins_3_ans"), _between("annee_donnees", 1900, 2100)],
    "avenants": [_positive("numero", strict=True)],
    "actions": [
        _ordered("date_debut", "date_fin", END_AFTER_START),
        _between("avancement", 0, 100),
        _between("priorite", 1, 3),
        _positive("poids", strict=True),
        _done_means_complete,
        _listed_once("pilote"),
    ],
    "indicateurs": [
        _step_values,
        _ordered("min", "max", "le maximum est inférieur au minimum"),
        _ordered("date_reference", "date_cible", "la date cible précède la date de référence"),
    ],
    "equipements": [
        _positive("places"),
        _positive("places_nouvelles"),
        _ordered("places_nouvelles", "places", NEW_WITHIN_PLACES),
        _ordered("date_ouverture", "date_fermeture", "la fermeture précède l'ouverture"),
        _listed_once("gestionnaire"),
    ],
    "activite": [
        _between("annee", 1900, 2100),
        _positive("places"),
        _positive("places_nouvelles"),
        _ordered("places_nouvelles", "places", NEW_WITHIN_PLACES),
        _positive("heures_realisees"),
        _positive("heures_facturees"),
        _positive("etp"),
    ],
    "bareme": [
        _between("annee", 1900, 2100),
        _ordered("plancher", "plafond", "le plafond est inférieur au plancher"),
        _positive("taux_plancher"),
    ],
    "postes": [_positive("etp", strict=True), _ordered("date_debut", "date_fin", END_AFTER_START)],
    "financements": [_between("annee", 1900, 2100)],
}


def type_rows(table: Table) -> tuple[list[tuple[int, Row]], list[LoadError]]:
    """Parse every cell; a blank optional cell becomes None. Returns typed rows and errors."""
    sheet = SHEETS_BY_NAME[table.sheet]
    typed: list[tuple[int, Row]] = []
    errors: list[LoadError] = []
    seen_keys: dict[tuple[object, ...], int] = {}
    for line, cells in table.rows:
        row: Row = {}
        row_errors: list[LoadError] = []
        for name, raw in cells.items():
            column = sheet.column(name)
            if parsing.is_blank(raw):
                if column.required:
                    row_errors.append(LoadError(table.where, line, name, "valeur obligatoire manquante"))
                row[name] = None
                continue
            try:
                special = CELL_PARSERS.get((table.sheet, name))
                row[name] = special(raw) if special else parse_cell(column, raw)
            except ValueError as error:
                row_errors.append(LoadError(table.where, line, name, str(error)))
                continue
            broken = _misfit(table.sheet, name, row[name])
            if broken:
                row_errors.append(LoadError(table.where, line, name, broken))
        for name, default in DEFAULTS.get(table.sheet, {}).items():
            if row.get(name) is None and (name in cells or name in sheet.key):
                row[name] = default
        if not row_errors:
            for rule in ROW_RULES.get(table.sheet, ()):
                problem = rule(row)
                if problem:
                    row_errors.append(LoadError(table.where, line, problem[0], problem[1]))
        if not row_errors:
            key = tuple(_key_part(row.get(name)) for name in sheet.key)
            if key in seen_keys:
                row_errors.append(
                    LoadError(
                        table.where,
                        line,
                        None,
                        f"doublon de la ligne {seen_keys[key]} (même clé : {', '.join(sheet.key)})",
                    )
                )
            else:
                seen_keys[key] = line
        errors += row_errors
        if not row_errors:
            typed.append((line, row))
    return typed, errors


def _misfit(sheet: str, name: str, value: object) -> str | None:
    """What the database column cannot hold; codes of other rows are looked up, not stored."""
    sql_type = column_type(sheet, name)
    if sql_type is None or SHEETS_BY_NAME[sheet].column(name).kind == "ref":
        return None
    return validation.fits(sql_type, value)


def _key_part(value: object) -> object:
    if value is None:
        return ""
    return value.normalize() if isinstance(value, Decimal) else value
