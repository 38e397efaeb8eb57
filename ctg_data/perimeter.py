"""A facility in a commune outside its convention's perimeter: allowed (an intercommunal
syndicate serves several territories), but said — by the import, the facility form and
`ctg check`. One message, written here for all three."""

from sqlmodel import Session, col, select

from ctg_data import models as m


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
