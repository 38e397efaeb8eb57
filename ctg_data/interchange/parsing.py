"""Cell parsers of the interchange format. Each takes what a CSV or spreadsheet cell holds
(text, or a number/date from a spreadsheet) and returns the typed value or raises
ValueError with a French message naming what was expected."""

import re
from collections.abc import Sequence

from ctg_data.formats import (
    MAX_MAGNITUDE,
    decimal_places,
    missing,
    not_a_number,
    parse_day,
    parse_decimal,
    parse_money,
    parse_percent_value,
    parse_period_end,
    parse_period_start,
    parse_rate,
    shown,
    too_large,
    without_percent,
)

# The number, money and date parsers are those of ctg_data.formats (the pair of each formatter);
# they are re-exported here for the interchange modules that read cells.
__all__ = [
    "MAX_MAGNITUDE",
    "decimal_places",
    "not_a_number",
    "parse_decimal",
    "parse_money",
    "parse_percent_value",
    "parse_period_end",
    "parse_period_start",
    "parse_rate",
    "shown",
    "too_large",
    "without_percent",
]

CODE_RE = re.compile(r"^[A-Za-z0-9._-]+$")
INSEE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
TRUE_WORDS = {"oui", "true", "1", "vrai"}
FALSE_WORDS = {"non", "false", "0", "faux"}


# The exchange format's dates: ISO, or day first as French spreadsheets write them (docs/format.md).
parse_date = parse_day


def is_blank(raw: object) -> bool:
    """An empty cell: the one "missing value" test (formats.missing)."""
    return missing(raw)


def parse_text(raw: object) -> str:
    return str(raw).strip()


def parse_code(raw: object) -> str:
    value = str(raw).strip()
    if not CODE_RE.match(value):
        raise ValueError(
            f"code « {shown(value)} » invalide : lettres sans accent, chiffres, « - », « _ » ou « . » seulement"
        )
    return value


def parse_insee(raw: object) -> str:
    value = str(raw).strip()
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        value = f"{int(raw):05d}"
    if not INSEE_RE.match(value):
        raise ValueError(f"code INSEE « {shown(value)} » invalide : cinq caractères attendus (ex. 65286)")
    return value


def parse_int(raw: object) -> int:
    value = parse_decimal(raw)
    if value != value.to_integral_value():
        raise ValueError(f"nombre entier attendu, « {shown(raw)} » reçu")
    return int(value)


def parse_float(raw: object) -> float:
    return float(parse_decimal(raw))


def parse_bool(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    value = str(raw).strip().lower()
    if isinstance(raw, int | float):
        value = str(int(raw))
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ValueError(f"« {shown(raw)} » : oui ou non attendu")


def parse_list(raw: object) -> list[str]:
    return [item.strip() for item in str(raw).split(";") if item.strip()]


def parse_choice(raw: object, choices: Sequence[str]) -> str:
    value = str(raw).strip()
    if value not in choices:
        raise ValueError(f"valeur « {shown(value)} » inconnue ; valeurs possibles : {', '.join(choices)}")
    return value
