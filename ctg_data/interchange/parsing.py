"""Cell parsers of the interchange format. Each takes what a CSV or spreadsheet cell holds
(text, or a number/date from a spreadsheet) and returns the typed value or raises
ValueError with a French message naming what was expected."""

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

CODE_RE = re.compile(r"^[A-Za-z0-9._-]+$")
INSEE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")
# Spaces a French number may carry as thousands separators (plain, no-break, narrow no-break).
THOUSANDS_SPACES = str.maketrans("", "", " \u00a0\u202f")
TRUE_WORDS = {"oui", "true", "1", "vrai"}
FALSE_WORDS = {"non", "false", "0", "faux"}


def is_blank(raw) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


def parse_text(raw) -> str:
    return str(raw).strip()


def parse_code(raw) -> str:
    value = str(raw).strip()
    if not CODE_RE.match(value):
        raise ValueError(f"code « {value} » invalide : lettres sans accent, chiffres, « - », « _ » ou « . » seulement")
    return value


def parse_insee(raw) -> str:
    value = str(raw).strip()
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        value = f"{int(raw):05d}"
    if not INSEE_RE.match(value):
        raise ValueError(f"code INSEE « {value} » invalide : cinq caractères attendus (ex. 65286)")
    return value


def parse_date(raw) -> date:
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
    raise ValueError(f"date « {value} » invalide : format AAAA-MM-JJ attendu (ex. 2024-09-01)")


def parse_decimal(raw) -> Decimal:
    if isinstance(raw, bool):
        raise ValueError(f"nombre attendu, « {raw} » reçu")
    if isinstance(raw, int | Decimal):
        return Decimal(raw)
    if isinstance(raw, float):
        return Decimal(repr(raw))  # the shortest text of the float, not its binary expansion
    text = str(raw).strip().translate(THOUSANDS_SPACES)
    if "," in text:
        if "." in text:
            raise ValueError(f"nombre « {raw} » ambigu : écrire 1234.56 ou 1 234,56")
        text = text.replace(",", ".")
    if not NUMBER_RE.match(text):
        raise ValueError(f"nombre attendu, « {raw} » reçu")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(f"nombre attendu, « {raw} » reçu") from None


def parse_int(raw) -> int:
    value = parse_decimal(raw)
    if value != value.to_integral_value():
        raise ValueError(f"nombre entier attendu, « {raw} » reçu")
    return int(value)


def parse_float(raw) -> float:
    return float(parse_decimal(raw))


def parse_money(raw) -> Decimal:
    value = parse_decimal(raw)
    if value < 0:
        raise ValueError(f"montant négatif « {raw} » refusé")
    if value.as_tuple().exponent < -2 and value != value.quantize(Decimal("0.01")):
        raise ValueError(f"montant « {raw} » : deux décimales au plus")
    return value.quantize(Decimal("0.01"))


def parse_rate(raw) -> Decimal:
    value = parse_decimal(raw)
    if value < 0:
        raise ValueError(f"montant négatif « {raw} » refusé")
    if value.as_tuple().exponent < -4 and value != value.quantize(Decimal("0.0001")):
        raise ValueError(f"taux « {raw} » : quatre décimales au plus")
    return value


def parse_bool(raw) -> bool:
    if isinstance(raw, bool):
        return raw
    value = str(raw).strip().lower()
    if isinstance(raw, int | float):
        value = str(int(raw))
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ValueError(f"« {raw} » : oui ou non attendu")


def parse_list(raw) -> list[str]:
    return [item.strip() for item in str(raw).split(";") if item.strip()]


def parse_choice(raw, choices) -> str:
    value = str(raw).strip()
    if value not in choices:
        raise ValueError(f"valeur « {value} » inconnue ; valeurs possibles : {', '.join(choices)}")
    return value
