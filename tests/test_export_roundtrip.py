"""Export → import into an empty database → export gives the same workbook; importing an
export again changes nothing; text a spreadsheet would execute travels neutralised and comes
back exactly."""

import csv
import io
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.actors import Actor, Role
from ctg_data.db import make_engine
from ctg_data.interchange import load_folder
from ctg_data.interchange.export import UnknownConvention, export_rows, export_workbook
from ctg_data.interchange.guide import FORMAT_ORDER
from ctg_data.interchange.importer import import_upload, import_workbook
from ctg_data.interchange.sheets import SHEETS_BY_NAME
from ctg_data.interchange.workbook import read_values
from ctg_data.permissions import PermissionDenied
from ctg_data.reports.integrity import table_counts
from tests.conftest import DEMO_SEED, drop_postgres_database, fresh_postgres_url, fresh_sqlite_url
from tests.csv_folder import minimal_convention, write_folder

ADMIN = Actor(email="admin@test", role=Role.ADMIN)
DEMO = "ctg-lourdes-2023"


def _empty_like(url: str, request, tmp_path):
    """An engine on a freshly migrated, empty database of the same kind as `url`, and its URL."""
    if url.startswith("sqlite"):
        new = fresh_sqlite_url(request.getfixturevalue("sqlite_template"), tmp_path)
    else:
        new = fresh_postgres_url(
            request.getfixturevalue("postgres_base_url"), request.getfixturevalue("postgres_template")
        )
    return make_engine(new), new


@contextmanager
def _opened(url: str):
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def demo(demo_database_url):
    """A database holding the demo seed, on SQLite and on PostgreSQL (tests/conftest.py)."""
    with _opened(demo_database_url) as engine:
        yield engine


@pytest.fixture
def empty_engine(demo_database_url, request, tmp_path):
    """A freshly migrated, empty database of the demo's kind."""
    engine, url = _empty_like(demo_database_url, request, tmp_path)
    yield engine
    engine.dispose()
    if not url.startswith("sqlite"):
        drop_postgres_database(url)


@pytest.fixture
def other_engine(database_url, request, tmp_path):
    """Another freshly migrated, empty database of the same kind as `engine`, for tests that
    write their own data into `engine`."""
    engine, url = _empty_like(database_url, request, tmp_path)
    yield engine
    engine.dispose()
    if not url.startswith("sqlite"):
        drop_postgres_database(url)


def counts(engine) -> dict[str, int]:
    with Session(engine) as session:
        return table_counts(session)


def seed_row_count(sheet: str) -> int:
    if not (DEMO_SEED / f"{sheet}.csv").exists():
        return 0  # a sheet the demo leaves out (the referentials' defaults need no rows)
    with open(DEMO_SEED / f"{sheet}.csv", encoding="utf-8", newline="") as handle:
        return sum(1 for row in csv.DictReader(handle) if any(row.values()))


def assert_same_workbooks(first: bytes, second: bytes) -> None:
    one, two = read_values(first), read_values(second)
    assert list(one) == list(two)
    for sheet in one:
        assert one[sheet] == two[sheet], sheet


def test_export_then_import_into_an_empty_database_then_export_gives_the_same_workbook(demo, empty_engine):
    first = export_workbook(demo)
    report = import_workbook(empty_engine, ADMIN, first, dry_run=False)
    assert report.ok, [str(e) for e in report.errors]
    assert_same_workbooks(first, export_workbook(empty_engine))
    before, after = counts(demo), counts(empty_engine)
    for table in (
        "organisations",
        "communes",
        "conventions",
        "signatories",
        "perimeter",
        "orientations",
        "actions",
        "action_partners",
        "action_communes",
        "indicators",
        "measurements",
        "facilities",
        "facility_activity",
        "rate_rows",
        "coordination_posts",
        "funding_lines",
    ):
        assert after[table] == before[table], table
    # Re-importing the same file changes nothing.
    again = import_workbook(empty_engine, ADMIN, first, dry_run=False)
    assert again.ok and not again.changed
    assert counts(empty_engine) == after


def test_the_export_holds_every_row_of_the_demo_seed(demo):
    values = read_values(export_workbook(demo))
    for sheet in FORMAT_ORDER:
        assert values[sheet][0] == SHEETS_BY_NAME[sheet].column_names
        assert len(values[sheet]) - 1 == seed_row_count(sheet), sheet


def test_importing_an_export_into_its_own_database_changes_nothing(demo):
    before = counts(demo)
    report = import_workbook(demo, ADMIN, export_workbook(demo), dry_run=False)
    assert report.ok and not report.changed
    assert all(set(c) <= {"unchanged"} for c in report.counts.values()), report.counts
    assert sum(c["unchanged"] for c in report.counts.values()) == sum(map(seed_row_count, FORMAT_ORDER))
    assert counts(demo) == before


def test_a_convention_export_round_trips_with_the_bareme_of_its_years(demo, empty_engine):
    first = export_workbook(demo, convention_code=DEMO)
    assert import_workbook(empty_engine, ADMIN, first, dry_run=False).ok
    assert_same_workbooks(first, export_workbook(empty_engine, convention_code=DEMO))
    with Session(demo) as session:
        rows = export_rows(session, convention_code=DEMO)
        convention = session.exec(select(m.Convention).where(m.Convention.code == DEMO)).one()
    years = {row[0] for row in rows["bareme"]}
    assert years and all(convention.starts_on.year <= year <= convention.ends_on.year for year in years)


def test_a_convention_export_holds_only_what_that_convention_cites(demo, tmp_path):
    sheets = minimal_convention()
    sheets["organisations"].append({"code": "seule", "nom": "Sans lien", "type": "autre"})
    assert load_folder(write_folder(tmp_path / "other", sheets), actor="test", engine=demo).ok
    with Session(demo) as session:
        demo_rows = export_rows(session, convention_code=DEMO)
        other_rows = export_rows(session, convention_code="ctg-t")
        every = export_rows(session)
    assert {row[0] for row in demo_rows["conventions"]} == {DEMO}
    assert {row[0] for row in other_rows["organisations"]} == {"caf65", "ville", "asso"}
    assert {row[0] for row in other_rows["communes"]} == {"65286"}
    assert "seule" in {row[0] for row in every["organisations"]}
    assert {row[0] for row in every["conventions"]} == {DEMO, "ctg-t"}


def test_an_unknown_convention_is_named_with_the_known_ones(demo):
    with pytest.raises(UnknownConvention, match=f"« nope » .*{DEMO}"):
        export_workbook(demo, convention_code="nope")


def test_a_restricted_convention_is_exported_only_to_those_who_may_read_it(demo):
    with Session(demo) as session:
        convention = session.exec(select(m.Convention)).one()
        convention.restricted = True
        session.add(convention)
        session.commit()
    reader = Actor(email="lecteur@test", role=Role.LECTEUR)
    with pytest.raises(PermissionDenied):
        export_workbook(demo, convention_code=DEMO, actor=reader)
    assert read_values(export_workbook(demo, actor=reader))["conventions"] == [
        SHEETS_BY_NAME["conventions"].column_names
    ]


def test_the_export_writes_dates_numbers_money_booleans_and_lists_as_format_md_says(demo):
    book = load_workbook(io.BytesIO(export_workbook(demo, convention_code=DEMO)))
    actions = book["actions"]
    header = [cell.value for cell in actions[1]]
    row = {name: cell for name, cell in zip(header, actions[2], strict=True)}
    assert row["date_debut"].is_date and isinstance(row["date_debut"].value, datetime)
    assert row["budget_prevu"].data_type == "n" and row["budget_prevu"].number_format == "#,##0.00"
    assert row["priorite"].data_type == "n"
    assert ";" in row["partenaires"].value and row["partenaires"].data_type == "s"
    communes = book["communes"]
    assert {communes.cell(r, 5).value for r in range(2, communes.max_row + 1)} <= {"oui", "non", None}
    assert communes.cell(2, 1).data_type == "s"  # INSEE codes stay text (leading zeros)
    bareme = book["bareme"]
    assert any(bareme.cell(r, 4).value is None for r in range(2, bareme.max_row + 1))  # '' → empty cell


def test_only_the_current_value_of_a_corrected_measurement_is_exported(demo, tmp_path):
    with Session(demo) as session:
        first = session.exec(
            select(m.Measurement, m.Indicator.code)
            .join(m.Indicator, m.Indicator.id == m.Measurement.indicator_id)
            .order_by(m.Measurement.id)
        ).first()
    measurement, indicator = first
    line = f"{DEMO},{indicator},{measurement.measured_on},{measurement.value + 1},{measurement.type},,\n"
    data = ("convention,indicateur,date,valeur,type,source,commentaire\n" + line).encode()
    report = import_upload(demo, ADMIN, "mesures.csv", data, dry_run=False)
    assert report.counts["mesures"]["corrected"] == 1
    values = read_values(export_workbook(demo))["mesures"]
    same_key = [
        row
        for row in values[1:]
        if row[1] == indicator and row[2].date() == measurement.measured_on and row[4] == measurement.type
    ]
    assert [row[3] for row in same_key] == [measurement.value + 1]
    assert len(values) - 1 == seed_row_count("mesures")


TRICKY = {
    "description": "=SOMME(A1)",
    "public_cible": "+33 6 12 34 56 78",
    "intitule": "-5 % de délais",
    "commentaire": "@cmd|' /C calc'!A0",
    "source": '\'=HYPERLINK("http://x")',
}


def test_text_a_spreadsheet_would_execute_is_neutralised_and_comes_back_exactly(engine, other_engine, tmp_path):
    sheets = minimal_convention()
    action = sheets["actions"][0]
    action.update(description=TRICKY["description"], public_cible=TRICKY["public_cible"], intitule=TRICKY["intitule"])
    sheets["mesures"][0].update(commentaire=TRICKY["commentaire"], source=TRICKY["source"])
    assert load_folder(write_folder(tmp_path / "f", sheets), actor="test", engine=engine).ok

    exported = export_workbook(engine)
    book = load_workbook(io.BytesIO(exported))
    cells = {
        cell.value: cell
        for worksheet in book.worksheets
        for row in worksheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    }
    for text in TRICKY.values():
        cell = cells["'" + text]
        assert cell.data_type == "s", text  # a plain string, never a formula
    assert not any(cell.data_type == "f" for cell in cells.values())

    assert import_workbook(other_engine, ADMIN, exported, dry_run=False).ok
    with Session(other_engine) as session:
        stored = session.exec(select(m.Action)).one()
        measurement = session.exec(select(m.Measurement).where(m.Measurement.measured_on == date(2023, 12, 31))).one()
    assert (stored.description, stored.target_public, stored.title) == (
        TRICKY["description"],
        TRICKY["public_cible"],
        TRICKY["intitule"],
    )
    assert (measurement.comment, measurement.source) == (TRICKY["commentaire"], TRICKY["source"])
    assert_same_workbooks(exported, export_workbook(other_engine))


def test_money_keeps_its_cents_through_the_workbook(engine, other_engine, tmp_path):
    sheets = minimal_convention()
    sheets["financements"][0].update(montant_prevu="12345678.91", montant_notifie="0.10", montant_verse="")
    sheets["bareme"][0]["montant"] = "0.1525"
    assert load_folder(write_folder(tmp_path / "f", sheets), actor="test", engine=engine).ok
    assert import_workbook(other_engine, ADMIN, export_workbook(engine), dry_run=False).ok
    with Session(other_engine) as session:
        line = session.exec(select(m.FundingLine)).one()
        rate = session.exec(select(m.RateRow)).one()
    assert (line.planned, line.notified, line.paid) == (Decimal("12345678.91"), Decimal("0.10"), None)
    assert rate.amount == Decimal("0.1525")


def test_the_largest_values_an_import_accepts_export_and_come_back(engine, other_engine, tmp_path):
    # The validation layer's limits (fewer than 20 digits, what each column holds, the plausibility
    # bounds of docs/rules.md section 6) make every accepted value one the export writes and the
    # import reads back (∞ once was neither).
    sheets = minimal_convention()
    sheets["indicateurs"][0].update(unite="familles", min="", max="")
    sheets["mesures"][0]["valeur"] = "9" * 19
    # A ten-millionth of a millionth of the value before: confirmed (a soft warning), which the export keeps.
    sheets["mesures"][0]["motif_derogation"] = ""
    sheets["mesures"][1].update(valeur="0,000001", motif_derogation="Valeurs extrêmes confirmées")
    sheets["activite"][0].update(places="1000", heures_realisees="5000000", etp="100")
    sheets["financements"][0]["montant_prevu"] = "100000000"
    assert load_folder(write_folder(tmp_path / "f", sheets), actor="test", engine=engine).ok
    exported = export_workbook(engine)
    report = import_workbook(other_engine, ADMIN, exported, dry_run=False)
    assert report.ok, report.errors
    assert_same_workbooks(exported, export_workbook(other_engine))
    with Session(other_engine) as session:
        values = sorted(x.value for x in session.exec(select(m.Measurement)).all())
        activity = session.exec(select(m.FacilityActivity)).one()
    assert values == [0.000001, float("9" * 19)]
    assert (activity.places, activity.hours_delivered, activity.fte) == (1000, Decimal(5_000_000), Decimal(100))


def test_a_value_rounded_up_to_twenty_digits_is_refused_rather_than_exported_unreadable(engine, tmp_path):
    sheets = minimal_convention()
    sheets["indicateurs"][0].update(unite="familles", min="", max="")
    sheets["mesures"][0]["valeur"] = "9" * 20  # below 10^20 as written, 10^20 once a float
    report = load_folder(write_folder(tmp_path / "f", sheets), actor="test", engine=engine)
    assert [(e.column, e.message) for e in report.errors] == [("valeur", f"nombre « {'9' * 20} » trop grand")]
