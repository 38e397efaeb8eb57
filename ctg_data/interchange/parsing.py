"""Cell parsers of the interchange format. Each takes what a CSV or spreadsheet cell holds
(text, or a number/date from a spreadsheet) and returns the typed value or raises
ValueError with a French message naming what was expected."""

import math
import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

CODE_RE = re.compile(r"^[A-Za-z0-9._-]+$")
INSEE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")
# Spaces a French number may carry as thousands separators (plain, no-break, narrow no-break).
THOUSANDS_SPACES = str.maketrans("", "", " \u00a0\u202f")
TRUE_WORDS = {"oui", "true", "1", "vrai"}
FALSE_WORDS = {"non", "false", "0", "faux"}
# No column holds a number of 20 digits or more; refusing them here keeps every later step
# (rounding to cents, float conversion) within Decimal's 28 digits and away from infinity.
MAX_MAGNITUDE = Decimal(10) ** 20
SHOWN = 30  # characters of a bad cell that a message quotes


def shown(raw: object) -> str:
    """A cell as an error message quotes it: trimmed, and cut when long."""
    value = str(raw).strip()
    return value if len(value) <= SHOWN else value[:SHOWN] + "…"


def not_a_number(raw: object) -> ValueError:
    return ValueError(f"nombre attendu, « {shown(raw)} » reçu")


def too_large(raw: object) -> ValueError:
    return ValueError(f"nombre « {shown(raw)} » trop grand")


def is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


def parse_text(raw: object) -> str:
    return str(raw).strip()


def parse_code(raw: object) -> str:
    value = str(raw).strip()
    if not CODE_RE.match(value):
        raise ValueError(f"code « {shown(value)} » invalide : lettres sans accent, chiffres, « - », « _ » "
                         "ou « . » seulement")
    return value


def parse_insee(raw: object) -> str:
    value = str(raw).strip()
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        value = f"{int(raw):05d}"
    if not INSEE_RE.match(value):
        raise ValueError(f"code INSEE « {shown(value)} » invalide : cinq caractères attendus (ex. 65286)")
    return value


def parse_date(raw: object) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    value = str(raw).strip()
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise ValueError(f"date « {shown(value)} » invalide : format AAAA-MM-JJ attendu (ex. 2024-09-01)")


def parse_decimal(raw: object) -> Decimal:
    """A finite number below 10^20, from a number or its text (French form accepted)."""
    value = _decimal(raw)
    if not value.is_finite():
        raise not_a_number(raw)
    if abs(value) >= MAX_MAGNITUDE:
        raise too_large(raw)
    return value


def _decimal(raw: object) -> Decimal:
    if isinstance(raw, bool):
        raise not_a_number(raw)
    if isinstance(raw, int | Decimal):
        return Decimal(raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise not_a_number(raw)
        return Decimal(repr(raw))  # the shortest text of the float, not its binary expansion
    text = str(raw).strip().translate(THOUSANDS_SPACES)
    if "," in text:
        if "." in text:
            raise ValueError(f"nombre « {shown(raw)} » ambigu : écrire 1234.56 ou 1 234,56")
        text = text.replace(",", ".")
    if not NUMBER_RE.match(text):
        raise not_a_number(raw)
    try:
        return Decimal(text)
    except InvalidOperation:
        raise not_a_number(raw) from None


def parse_int(raw: object) -> int:
    value = parse_decimal(raw)
    if value != value.to_integral_value():
        raise ValueError(f"nombre entier attendu, « {shown(raw)} » reçu")
    return int(value)


def parse_float(raw: object) -> float:
    return float(parse_decimal(raw))


def _decimal_places(value: Decimal) -> int:
    """The decimals a finite number is written with (2 for 1.50): minus its exponent."""
    exponent = value.as_tuple().exponent  # an int for finite numbers, a letter for NaN and infinities
    return -exponent if isinstance(exponent, int) else 0


def parse_money(raw: object) -> Decimal:
    value = parse_decimal(raw)
    if value < 0:
        raise ValueError(f"montant négatif « {shown(raw)} » refusé")
    if _decimal_places(value) > 2 and value != value.quantize(Decimal("0.01")):
        raise ValueError(f"montant « {shown(raw)} » : deux décimales au plus")
    return value.quantize(Decimal("0.01"))


def parse_rate(raw: object) -> Decimal:
    value = parse_decimal(raw)
    if value < 0:
        raise ValueError(f"montant négatif « {shown(raw)} » refusé")
    if _decimal_places(value) > 4 and value != value.quantize(Decimal("0.0001")):
        raise ValueError(f"taux « {shown(raw)} » : quatre décimales au plus")
    return value


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
