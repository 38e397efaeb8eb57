"""A small Tarn convention for the indicator tests of format v2 (step indicators, intermediate
targets, values per commune): three communes in its perimeter, one outside, no actions."""

from pathlib import Path

from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.interchange import load_folder
from tests.csv_folder import write_folder

CONVENTION = "ctg-tarn"
# The perimeter (Albi, Castres, Gaillac) and a commune of the base outside it (Mazamet).
ALBI, CASTRES, GAILLAC, MAZAMET = "81004", "81065", "81099", "81163"


def tarn_convention(indicators: list[dict], **more: list[dict]) -> dict[str, list[dict]]:
    sheets = {
        "organisations": [
            {"code": "caf81", "nom": "CAF du Tarn", "type": "caf"},
            {"code": "agglo", "nom": "Agglomération test", "type": "epci"},
        ],
        "communes": [
            {"code_insee": ALBI, "nom": "Albi"},
            {"code_insee": CASTRES, "nom": "Castres"},
            {"code_insee": GAILLAC, "nom": "Gaillac"},
            {"code_insee": MAZAMET, "nom": "Mazamet"},
        ],
        "conventions": [
            {"code": CONVENTION, "nom": "CTG Tarn test", "date_debut": "2024-01-01", "date_fin": "2027-12-31"}
        ],
        "signataires": [{"convention": CONVENTION, "organisation": "caf81"}],
        "perimetre": [{"convention": CONVENTION, "code_insee": code} for code in (ALBI, CASTRES, GAILLAC)],
        "indicateurs": indicators,
        **more,
    }
    return {name: rows for name, rows in sheets.items() if rows}  # a CSV file has at least its header


def indicator(code: str, **columns: str) -> dict:
    """An `indicateurs` row with every v2 column (blank unless given)."""
    row = {
        "convention": CONVENTION,
        "code": code,
        "nom": f"Indicateur {code}",
        "domaine": "acces_aux_droits",
        "action": "",
        "unite": "nombre",
        "sens": "hausse",
        "nature": "",
        "etapes": "",
        "valeur_reference": "",
        "date_reference": "",
        "source_reference": "",
        "valeur_cible": "",
        "date_cible": "",
        "frequence": "",
        "min": "",
        "max": "",
    }
    return row | columns


def load(engine, folder: Path, sheets: dict[str, list[dict]], **options):
    return load_folder(write_folder(folder, sheets), actor="test", engine=engine, **options)


def ids(engine) -> tuple[int, dict[str, int]]:
    """The convention's id and its indicators' ids by code."""
    with Session(engine) as session:
        convention = session.exec(select(m.Convention).where(m.Convention.code == CONVENTION)).one()
        indicators = session.exec(select(m.Indicator.code, m.Indicator.id)).all()
        return convention.id, dict(indicators)


def errors(report) -> list[tuple[str, int | None, str | None, str]]:
    return [(e.where, e.line, e.column, e.message) for e in report.errors]
