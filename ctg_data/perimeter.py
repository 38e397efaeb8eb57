"""A convention's perimeter: its communes' latest figures, and a facility in a commune outside
it — allowed (an intercommunal syndicate serves several territories), but said by the import,
the facility form and `ctg check`, with one message written here for all three."""

from typing import Any

from sqlalchemy import and_, func
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from ctg_data import formats as fmt
from ctg_data import models as m

# A commune's figures as views show them; `figures_year` None: undated (format v1) or none at all.
NO_FIGURES: dict[str, Any] = {"population": None, "children_under_3": None, "qpv": None, "figures_year": None}


def outside_message(facility_code: str, commune_name: str, convention_code: str) -> str:
    return f"équipement {facility_code} à {commune_name}, hors du périmètre de la convention {convention_code}"


def outside_perimeter(session: Session, convention_id: int, facility_code: str, insee_code: str) -> str | None:
    """The warning for a facility of this convention in this commune, or None when the commune
    is in the perimeter — or when the convention states no perimeter at all (nothing to compare)."""
    communes = set(
        session.exec(select(col(m.Perimeter.insee_code)).where(col(m.Perimeter.convention_id) == convention_id)).all()
    )
    if not communes or insee_code in communes:
        return None
    commune = session.get(m.Commune, insee_code)
    convention = session.get_one(m.Convention, convention_id)
    return outside_message(facility_code, commune.name if commune else insee_code, convention.code)


def latest_figures(session: Session, convention_id: int) -> dict[str, dict[str, Any]]:
    """{INSEE code: figures} of the communes of a convention's perimeter: those of the latest year
    given (`annee_donnees`), else the undated ones. Two queries, whatever the number of communes."""
    in_perimeter = select(col(m.Perimeter.insee_code)).where(col(m.Perimeter.convention_id) == convention_id)
    figures = m.CommuneFigures
    latest = (
        select_columns(col(figures.insee_code), func.max(col(figures.year)).label("year"))
        .where(col(figures.insee_code).in_(in_perimeter))
        .group_by(col(figures.insee_code))
        .subquery()
    )
    dated = session.execute(
        select_columns(
            col(figures.insee_code),
            col(figures.population),
            col(figures.children_under_3),
            col(figures.qpv),
            col(figures.year).label("figures_year"),
        ).join(latest, and_(latest.c.insee_code == figures.insee_code, latest.c.year == figures.year))
    ).all()
    undated = session.execute(
        select_columns(
            col(m.Commune.insee_code), col(m.Commune.population), col(m.Commune.children_under_3), col(m.Commune.qpv)
        ).where(col(m.Commune.insee_code).in_(in_perimeter))
    ).all()
    found = {row.insee_code: NO_FIGURES | dict(row._mapping) for row in undated}
    found |= {row.insee_code: dict(row._mapping) for row in dated}
    return {code: {name: values[name] for name in NO_FIGURES} for code, values in found.items()}


def figures_line(commune: dict[str, Any]) -> str | None:
    """« Albi — population 2021 : 48 970 ; enfants de moins de 3 ans 2021 : 1 380 ; QPV » (a
    figure's year, when given, beside its name), or None when the commune has no figures."""
    year = f" {commune['figures_year']}" if commune.get("figures_year") is not None else ""
    parts = [
        f"{label}{year} : {fmt.format_number(commune[name])}"
        for name, label in (("population", "population"), ("children_under_3", "enfants de moins de 3 ans"))
        if commune.get(name) is not None
    ]
    if commune.get("qpv"):
        parts.append("quartier prioritaire (QPV)")
    return f"{commune['name']} — {' ; '.join(parts)}" if parts else None
