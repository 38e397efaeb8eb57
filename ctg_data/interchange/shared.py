"""Rows shared by every convention (communes, organisations, the barème and any sheet without a
`convention` column): an import creates them, or finds them identical, but never changes them
silently — another convention uses the same commune, and a file's figures are not the base's.

Without an administrator's request each difference refuses the row; with it, each is listed
in the report ("commune 65286 : nom « Lourdes » → « Lourdes-Ville »") and audited with a reason.

A commune's figures are kept per year (`annee_donnees`, models.CommuneFigures): a new year is an
addition, never a difference; other figures for a stored year are ("commune 65286 (données
2021) : population « 13509 » → « 13600 »"). A row without a year carries the figures of the
commune itself, as in format version 1.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from ctg_data.interchange.sheets import SHEETS, SHEETS_BY_NAME
from ctg_data.interchange.targets import TARGETS

SHARED_SHEETS = frozenset(sheet.name for sheet in SHEETS if "convention" not in sheet.column_names) - {"conventions"}
# The barème is kept up to date by CAF advisors through its own form and import (a yearly act
# on shared rates, under Capability.WRITE_RATES): only a loader acting for no one — the seed —
# must leave it as it is.
UPDATED_BY_THEIR_EDITORS = frozenset({"bareme"})
REASON = "mise à jour des référentiels partagés demandée par un administrateur"
KEPT = "les données partagées ne sont pas modifiées par un import"
# (with its article, alone): "la commune 65286 s'appelle…", "commune 65286 : nom…"
NOUNS = {
    "communes": ("la commune", "commune"),
    "organisations": ("l'organisation", "organisation"),
    "bareme": ("la ligne du barème", "ligne du barème"),
}
LABELS = {
    "enfants_moins_3_ans": "enfants de moins de 3 ans",
    "qpv": "QPV",
    "type_equipement": "type d'équipement",
    "categorie_place": "catégorie de places",
    "classe_territoire": "classe de territoire",
    "taux_plancher": "taux plancher",
    "annee": "année",
}

# A commune's figures: on the commune itself (no `annee_donnees`, format v1) or of one year.
FIGURES = ("population", "children_under_3", "qpv")

Difference = tuple[str, Any, Any]  # (column, value in the base, value in the file)


def protected(sheet: str, *, trusted: bool) -> bool:
    """Whether changing an existing row of `sheet` needs an administrator's request
    (`trusted`: a loader acting for no one, such as `ctg seed`)."""
    return sheet in SHARED_SHEETS and (trusted or sheet not in UPDATED_BY_THEIR_EDITORS)


def differences(sheet: str, record: object, changed: dict[str, Any]) -> list[Difference]:
    columns = {attribute: column for column, attribute in TARGETS[sheet][1].items()}
    return [(columns[attribute], getattr(record, attribute), value) for attribute, value in changed.items()]


def refusal(sheet: str, row: dict[str, Any], difference: Difference) -> str:
    column, before, after = difference
    noun = f"{_nouns(sheet)[0]} {_key(sheet, row)}"
    said = (
        f"s'appelle « {_text(before)} »"
        if column == "nom"
        else f"a pour {LABELS.get(column, column)} « {_text(before)} »"
    )
    return f"{noun} {said} dans la base ; le fichier dit « {_text(after)} » : {KEPT}"


def change(sheet: str, row: dict[str, Any], difference: Difference) -> str:
    column, before, after = difference
    return (
        f"{_nouns(sheet)[1]} {_key(sheet, row)} : {LABELS.get(column, column)} « {_text(before)} » → « {_text(after)} »"
    )


def _nouns(sheet: str) -> tuple[str, str]:
    return NOUNS.get(sheet, ("la ligne", f"ligne de la feuille {sheet}"))


def _key(sheet: str, row: dict[str, Any]) -> str:
    if sheet == "communes" and row.get("annee_donnees") is not None:
        return f"{_text(row['code_insee'])} (données {row['annee_donnees']})"
    return " · ".join(_text(row[name]) for name in SHEETS_BY_NAME[sheet].key if row.get(name) not in (None, ""))


def _text(value: Any) -> str:
    if value is None or value == "":
        return "vide"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f").replace(".", ",")
    if isinstance(value, float):
        return repr(value).removesuffix(".0").replace(".", ",")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)
