"""Referentials are data administrators extend (issue 11, format v2): domains, organisation types,
facility types (with their bonus eligibility) and levers come with the defaults of the format,
a file may add entries (sheets `domaines`, `types_organisation`, `types_equipement`, `leviers`)
and use them in its later sheets, only administrators may add or change one, the bonus reads
eligibility from the table, exports carry what an empty database lacks, and the Référentiels
page adds entries that the steering views then list."""

from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from ctg_data import models as m
from ctg_data.actors import Actor, Role
from ctg_data.errors import PermissionDenied, ValidationError
from ctg_data.interchange import load_folder
from ctg_data.interchange.export import export_rows
from ctg_data.interchange.importer import import_tables, import_upload
from ctg_data.interchange.tables import Table
from ctg_data.interchange.workbook import LISTS_SHEET, write_template
from ctg_data.queries import referentials
from ctg_data.queries.filters import Filters
from ctg_data.queries.overview import steering_summary
from ctg_data.reports.bonus_report import bonus_reconciliation
from ctg_data.reports.funding import lever_breakdown
from ctg_data.services import vocabularies
from ctg_data.vocabulary import DOMAINS, EXTRA_DOMAIN_COLOURS, LEVERS, FacilityType, OrganisationType
from tests.conftest import sign_in
from tests.csv_folder import minimal_convention, write_folder
from tests.test_export_roundtrip import other_engine  # noqa: F401  (a fixture: another empty database)
from tests.test_import_rules import as_csv, counts

ADMIN = Actor(email="admin@test", role=Role.ADMIN)
ADVISOR = Actor(email="conseiller@test", role=Role.CONSEILLER)
PAGE = Path(__file__).resolve().parent.parent / "pages" / "admin_referentiels.py"
DASHBOARD = Path(__file__).resolve().parent.parent / "dashboard.py"  # opens on the overview
REFUSED = "Votre rôle (conseiller CAF) ne permet pas de modifier les référentiels."  # permissions.require


def tables(sheets: dict[str, list[dict]]) -> list[Table]:
    """Sheets as the importer reads them (file order kept, header from the first row)."""
    result = []
    for name, rows in sheets.items():
        table = Table(name, f"feuille {name}", tuple(rows[0]))
        table.rows = [(line, dict(row)) for line, row in enumerate(rows, start=2)]
        result.append(table)
    return result


def convention_id(engine, code: str = "ctg-t") -> int:
    with Session(engine) as session:
        return session.exec(select(m.Convention.id).where(m.Convention.code == code)).one()


# ------------------------------------------------------------------ the defaults of format v2


def real_ctg() -> dict[str, list[dict]]:
    """What real CTGs publish and version 1 refused: santé and seniors, a Région, a CIAS and
    France Travail, a MAM, a micro-crèche and a France services, the three new levers."""
    sheets = minimal_convention()
    sheets["organisations"] += [
        {"code": "occitanie", "nom": "Région Occitanie", "type": "region"},
        {"code": "cias-tarn", "nom": "CIAS du Tarn", "type": "cias"},
        {"code": "ft81", "nom": "France Travail Tarn", "type": "france_travail"},
    ]
    action = sheets["actions"][0]
    sheets["actions"] = [
        action | {"code": "SA-1", "intitule": "Accès aux soins", "domaine": "sante", "orientation": ""},
        action | {"code": "SE-1", "intitule": "Bien vieillir", "domaine": "seniors", "orientation": ""},
    ]
    sheets["indicateurs"][0] |= {"action": "SA-1"}
    facility = sheets["equipements"][0]
    sheets["equipements"] += [
        facility | {"code": "MAM1", "nom": "MAM Les Lutins", "type": "mam", "psu": ""},
        facility | {"code": "MC1", "nom": "Micro-crèche Pom'", "type": "micro_creche", "psu": "non"},
        facility | {"code": "FS1", "nom": "France services", "type": "france_services", "places": ""},
    ]
    funding = sheets["financements"][0]
    sheets["financements"] += [
        funding | {"levier": lever, "equipement": "", "domaine": "sante"}
        for lever in ("fonds_publics_territoires", "bonus_inclusion_handicap", "bonus_mixite_sociale")
    ]
    return sheets


def test_santé_seniors_new_types_and_levers_import_as_defaults(engine, tmp_path):
    report = load_folder(write_folder(tmp_path / "real", real_ctg()), actor="seed", engine=engine)
    assert report.ok, report.errors
    with Session(engine) as session:
        actions = {a.code: a.domain_code for a in session.exec(select(m.Action))}
        types = {o.code: o.type for o in session.exec(select(m.Organisation))}
        facilities = {f.code: f.type for f in session.exec(select(m.Facility))}
        levers = {f.lever_code for f in session.exec(select(m.FundingLine))}
    assert actions == {"SA-1": "sante", "SE-1": "seniors"}
    assert {types["occitanie"], types["cias-tarn"], types["ft81"]} == {"region", "cias", "france_travail"}
    assert {facilities[c] for c in ("MAM1", "MC1", "FS1")} == {"mam", "micro_creche", "france_services"}
    assert {"fonds_publics_territoires", "bonus_inclusion_handicap", "bonus_mixite_sociale"} <= levers
    # The lever view names them by their label, the santé money under « Santé ».
    breakdown = lever_breakdown(engine, convention_id(engine))
    assert {"Fonds publics et territoires", "Bonus inclusion handicap", "Bonus mixité sociale"} <= set(
        breakdown["lever_label"]
    )
    assert set(breakdown.loc[breakdown["lever"] == "bonus_mixite_sociale", "domain_label"]) == {"Santé"}


def test_the_vocabulary_defaults_are_the_rows_the_migrations_seed(engine):
    """The export leaves out the defaults: they must be exactly what an empty database holds."""
    assert {c: (e.label, e.position, e.colour) for c, e in referentials.domains(engine).items()} == {
        code: (label, position, colour) for code, label, position, colour in DOMAINS
    }
    assert referentials.labels(referentials.levers(engine)) == {code: label for code, label, _ in LEVERS}
    assert referentials.labels(referentials.organisation_types(engine)) == OrganisationType.labels()
    eligible = {c for c, e in referentials.facility_types(engine).items() if e.bonus}
    assert referentials.labels(referentials.facility_types(engine)) == FacilityType.labels()
    assert eligible == {"eaje", "alsh", "accueil_jeunes", "rpe", "laep", "ludotheque"}  # docs: bonus oui


@pytest.mark.parametrize(
    "sheet, change, column, message",
    [
        ("organisations", {"type": "mairie"}, "type", "code « mairie » inconnu (type d'organisation)"),
        ("equipements", {"type": "creche"}, "type", "code « creche » inconnu (type d'équipement)"),
        ("bareme", {"type_equipement": "creche"}, "type_equipement", "code « creche » inconnu (type d'équipement)"),
        ("actions", {"domaine": "culture"}, "domaine", "code « culture » inconnu (domaine)"),
        ("financements", {"levier": "mecenat"}, "levier", "code « mecenat » inconnu (levier)"),
    ],
)
def test_an_unknown_referential_code_is_named_in_french(engine, tmp_path, sheet, change, column, message):
    sheets = minimal_convention()
    sheets[sheet][0] |= change
    report = load_folder(write_folder(tmp_path / "bad", sheets), actor="seed", engine=engine)
    # (A refused row then leaves later references to it unknown too: the first error is the cause.)
    assert (report.errors[0].where.endswith(sheet + ".csv"), report.errors[0].column) == (True, column)
    assert report.errors[0].message == message


# ------------------------------------------------------------------ a file adding entries


def with_additions() -> dict[str, list[dict]]:
    """A file that adds a domain, a facility type (bonus oui), an organisation type and a lever,
    then uses each in its later sheets."""
    sheets = minimal_convention()
    additions = {
        "domaines": [{"code": "culture", "libelle": "Culture"}],
        "types_organisation": [{"code": "mjc", "libelle": "Maison des jeunes et de la culture"}],
        "types_equipement": [{"code": "creche_familiale", "libelle": "Crèche familiale", "bonus": "oui"}],
        "leviers": [{"code": "fonds_culture", "libelle": "Fonds culture"}],
    }
    sheets["organisations"].append({"code": "mjc-lourdes", "nom": "MJC de Lourdes", "type": "mjc"})
    sheets["actions"][0] |= {"domaine": "culture", "partenaires": "caf65;mjc-lourdes"}
    sheets["equipements"][0] |= {"type": "creche_familiale"}
    sheets["bareme"][0] |= {"type_equipement": "creche_familiale"}
    sheets["financements"][0] |= {"levier": "fonds_culture", "domaine": "culture"}
    return additions | sheets  # the referential sheets first, as a person would write them


def test_an_administrator_s_file_adds_entries_and_uses_them_in_its_later_sheets(engine):
    report = import_tables(engine, ADMIN, tables(with_additions()), dry_run=False)
    assert report.ok, report.errors
    domains = referentials.domains(engine)
    culture = domains["culture"]
    # After the fourteen defaults, with the first colour of the extra palette.
    assert (culture.label, culture.position, culture.colour) == ("Culture", len(DOMAINS) + 1, EXTRA_DOMAIN_COLOURS[0])
    creche = referentials.facility_types(engine)["creche_familiale"]
    assert (creche.label, creche.bonus, creche.position) == ("Crèche familiale", True, len(FacilityType) + 1)
    assert referentials.organisation_types(engine)["mjc"].label == "Maison des jeunes et de la culture"
    assert referentials.levers(engine)["fonds_culture"].position == len(LEVERS) + 1
    with Session(engine) as session:
        assert session.exec(select(m.Action.domain_code)).one() == "culture"
        assert session.exec(select(m.Facility.type)).one() == "creche_familiale"
        assert session.exec(select(m.Organisation.type).where(m.Organisation.code == "mjc-lourdes")).one() == "mjc"
        assert session.exec(select(m.FundingLine.lever_code)).one() == "fonds_culture"
        audited = set(session.exec(select(m.AuditEvent.table_name)).all())
    assert {"domains", "organisation_types", "facility_types", "funding_levers"} <= audited
    # A second import of the same file changes nothing, and a new domain takes the next colour.
    assert not import_tables(engine, ADMIN, tables(with_additions()), dry_run=False).changed
    vocabularies.create(engine, ADMIN, "domaines", code="sport", label="Sport")
    assert referentials.domains(engine)["sport"].colour == EXTRA_DOMAIN_COLOURS[1]


def test_the_same_file_is_refused_to_an_advisor_row_by_row_and_nothing_is_written(engine, tmp_path):
    load_folder(write_folder(tmp_path / "seed", minimal_convention()), actor="seed", engine=engine)
    before = counts(engine)
    report = import_tables(engine, ADVISOR, tables(with_additions()), dry_run=False)
    assert not report.ok
    refusals = {(e.where, e.line) for e in report.errors if e.message == REFUSED}
    assert {
        ("feuille domaines", 2),
        ("feuille types_organisation", 2),
        ("feuille types_equipement", 2),
        ("feuille leviers", 2),
    } <= refusals
    assert counts(engine) == before
    assert "culture" not in referentials.domains(engine)


def test_a_row_identical_to_a_stored_entry_is_fine_for_anyone(engine):
    rows = [{"code": "sante", "libelle": "Santé"}, {"code": "petite_enfance", "libelle": "Petite enfance"}]
    report = import_upload(engine, ADVISOR, "domaines.csv", as_csv(rows), dry_run=False)
    assert report.ok, report.errors
    assert report.counts["domaines"]["unchanged"] == 2
    relabelled = import_upload(
        engine, ADVISOR, "domaines.csv", as_csv([{"code": "sante", "libelle": "Santé publique"}]), dry_run=False
    )
    assert [e.message for e in relabelled.errors] == [REFUSED]


def test_a_new_facility_type_without_bonus_is_outside_the_bonus_and_a_blank_keeps_a_stored_one(engine):
    rows = [
        {"code": "ludobus", "libelle": "Ludobus", "bonus": ""},
        {"code": "eaje", "libelle": "EAJE (crèche, multi-accueil)", "bonus": ""},
    ]
    report = import_upload(engine, ADMIN, "types_equipement.csv", as_csv(rows), dry_run=False)
    assert report.ok, report.errors
    types = referentials.facility_types(engine)
    assert (types["ludobus"].bonus, types["eaje"].bonus) == (False, True)
    assert report.counts["types_equipement"]["unchanged"] == 1


# ------------------------------------------------------------------ the bonus reads the table


def test_an_admin_added_type_with_bonus_non_is_hors_bonus_and_named_by_its_label(engine, tmp_path):
    sheets = minimal_convention()
    assert load_folder(write_folder(tmp_path / "seed", sheets), actor="seed", engine=engine).ok
    vocabularies.create(engine, ADMIN, "types_equipement", code="ludobus", label="Ludobus itinérant", bonus=False)
    vocabularies.create(engine, ADMIN, "types_equipement", code="creche_fam", label="Crèche familiale", bonus=True)
    sheets["equipements"].append(sheets["equipements"][0] | {"code": "CF1", "nom": "Crèche des Bois"})
    sheets["equipements"][0] |= {"type": "ludobus"}
    sheets["equipements"][1] |= {"type": "creche_fam"}
    sheets["bareme"].append(sheets["bareme"][0] | {"type_equipement": "creche_fam"})
    sheets["bareme"].append(sheets["bareme"][0] | {"type_equipement": "ludobus"})
    report = import_tables(
        engine, ADMIN, tables({k: sheets[k] for k in ("equipements", "bareme")}), dry_run=False, shared_updates=True
    )
    assert report.ok, report.errors

    rows = bonus_reconciliation(engine, convention_id(engine), (2024,)).set_index("facility")
    ludobus = rows.loc["EAJE1"]
    # Ineligible whatever its barème row: due 0,00 €, and the 30 000 € notified is flagged.
    assert (ludobus["status"], ludobus["due"], ludobus["situation"]) == ("hors_bonus", Decimal("0.00"), "⚠ hors bonus")
    assert ludobus["type_label"] == "Ludobus itinérant"
    assert "Ludobus itinérant : hors bonus territoire" in ludobus["explanation"]
    # Eligible: 25 places × 3 600 € over the 122 days from 1 September 2024 (366 days):
    # 90 000 × 122 / 366 = 30 000,00 €.
    creche = rows.loc["CF1"]
    assert (creche["status"], creche["due"], creche["type_label"]) == (
        "calcule",
        Decimal("30000.00"),
        "Crèche familiale",
    )


# ------------------------------------------------------------------ export and template


def test_the_export_carries_the_added_entries_only_and_round_trips_into_an_empty_database(engine, other_engine):  # noqa: F811
    assert import_tables(engine, ADMIN, tables(with_additions()), dry_run=False).ok
    vocabularies.update(engine, ADMIN, "types_equipement", "mam", label="MAM", bonus=True)
    with Session(engine) as session:
        rows = export_rows(session)
    assert rows["domaines"] == [("culture", "Culture")]
    assert rows["types_organisation"] == [("mjc", "Maison des jeunes et de la culture")]
    assert rows["types_equipement"] == [("creche_familiale", "Crèche familiale", "oui"), ("mam", "MAM", "oui")]
    assert rows["leviers"] == [("fonds_culture", "Fonds culture")]

    sheets = {
        name: [dict(zip(table_columns(name), row, strict=True)) for row in values]
        for name, values in rows.items()
        if values
    }
    # Into an empty database the changed default is a shared row to update: an administrator asks.
    report = import_tables(other_engine, ADMIN, tables(sheets), dry_run=False, shared_updates=True)
    assert report.ok, report.errors
    with Session(other_engine) as session:
        assert export_rows(session) == rows


def table_columns(sheet: str) -> tuple[str, ...]:
    from ctg_data.interchange.sheets import SHEETS_BY_NAME

    return SHEETS_BY_NAME[sheet].column_names


def test_the_template_lists_the_database_s_referentials(engine):
    vocabularies.create(engine, ADMIN, "domaines", code="culture", label="Culture")
    vocabularies.create(engine, ADMIN, "types_equipement", code="ludobus", label="Ludobus", bonus=False)
    import io

    book = load_workbook(io.BytesIO(write_template(engine)))
    lists = {column[0].value: [c.value for c in column[1:] if c.value] for column in book[LISTS_SHEET].columns}
    assert lists["domaine"][-1] == "culture" and "sante" in lists["domaine"]
    assert lists["type_equipement"][-1] == "ludobus"
    assert "france_travail" in lists["type_organisation"]
    assert "bonus_mixite_sociale" in lists["levier"]
    # The facilities' type column offers that list.
    validations = book["equipements"].data_validations.dataValidation
    column = [c.value for c in book["equipements"][1]].index("type")
    letter = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[column]
    position = list(lists).index("type_equipement")
    source = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[position]
    formula = next(v.formula1 for v in validations if str(v.sqref).startswith(f"{letter}2"))
    assert formula == f"{LISTS_SHEET}!${source}$2:${source}${len(lists['type_equipement']) + 1}"


# ------------------------------------------------------------------ the service


def test_only_administrators_add_or_change_entries_with_french_refusals(engine):
    with pytest.raises(PermissionDenied):
        vocabularies.create(engine, ADVISOR, "domaines", code="culture", label="Culture")
    with pytest.raises(PermissionDenied):
        vocabularies.update(engine, ADVISOR, "domaines", "sante", label="Santé publique")
    with pytest.raises(ValidationError) as bad:
        vocabularies.create(engine, ADMIN, "types_organisation", code="a" * 21, label="")
    assert bad.value.errors == {"Code": "code 20 caractères au plus (21 saisis)", "Libellé": "champ obligatoire"}
    with pytest.raises(ValidationError) as bad:
        vocabularies.create(engine, ADMIN, "domaines", code="santé", label="Santé")
    assert "invalide" in bad.value.errors["Code"]
    with pytest.raises(ValidationError) as taken:
        vocabularies.create(engine, ADMIN, "domaines", code="sante", label="Santé")
    assert taken.value.errors == {"Code": "le code « sante » existe déjà : choisissez-le pour le modifier"}
    assert vocabularies.update(engine, ADMIN, "domaines", "sante", label="Santé") == []
    assert vocabularies.update(engine, ADMIN, "types_equipement", "mam", label="MAM", bonus=None) == ["Libellé"]
    assert referentials.facility_types(engine)["mam"].bonus is False  # None kept the eligibility


# ------------------------------------------------------------------ the Référentiels page


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


def tab(at: AppTest, title: str):
    return next(t for t in at.tabs if t.label == title)


def by_label(elements, label: str):
    return next(element for element in elements if element.label == label)


def test_the_page_adds_a_domain_that_the_forms_offer_and_the_steering_views_list(demo_app, demo_engine):
    at = run(sign_in(AppTest.from_file(str(PAGE), default_timeout=60), ADMIN))
    form = tab(at, "Domaines")
    by_label(form.text_input, "Code *").input("culture")
    by_label(form.text_input, "Libellé *").input("Culture")
    at.button(key="ref_domaines_submit").click()
    run(at)
    assert "« culture » créé." in [s.value.replace("\\", "") for s in at.success]
    assert referentials.domains(demo_engine)["culture"].label == "Culture"

    # The new domain is offered by the orientation form at once, by its label.
    form = tab(at, "Orientations")
    domain = by_label(form.selectbox, "Domaine")
    assert "culture" in domain.options or "Culture" in domain.options
    by_label(form.text_input, "Code *").input("CU1")
    domain.set_value("culture")
    by_label(form.text_input, "Intitulé *").input("Ouvrir la culture aux familles")
    at.button(key="ref_orientations_submit").click()
    run(at)
    with Session(demo_engine) as session:
        assert session.exec(select(m.Orientation.domain_code).where(m.Orientation.code == "CU1")).one() == "culture"

    # The convention now uses it: the domain filter offers it and the steering summary lists it.
    with Session(demo_engine) as session:
        convention = session.exec(select(m.Convention)).first()
    summary = steering_summary(demo_engine, Filters(convention_id=convention.id), convention.starts_on)
    assert "Culture" in set(summary["domains"]["domain"])
    overview = run(sign_in(AppTest.from_file(str(DASHBOARD), default_timeout=60), ADMIN))
    domain_filter = by_label(overview.sidebar.selectbox, "Domaine")
    assert "Culture" in domain_filter.options
    assert any("Culture — actions" in caption.value for caption in overview.caption)  # the chart in words


def test_an_advisor_sees_only_the_bareme_tab(demo_app):
    at = run(sign_in(AppTest.from_file(str(PAGE), default_timeout=60), ADVISOR))
    assert [t.label for t in at.tabs] == ["Barème"]
