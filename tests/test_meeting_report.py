"""The printable report of a meeting (issue 14, « The report »), on the demo database (SQLite and
PostgreSQL): a COPIL created and closed in the test, its report rendered to PDF and read back with
pypdf. The figures expected are worked out here — an indicator's value from its measurements, a
domain's progress from the snapshot as the French text the committee reads —, and the pages carry
« Page n / N ». The same tables come as .xlsx; `ctg report` writes the file; a reader who may not
read the convention is refused."""

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader
from sqlmodel import Session, col, select

from ctg_data import formats as fmt
from ctg_data import models as m
from ctg_data.accounts.manage import set_restricted
from ctg_data.actors import COMMAND_LINE, Actor, Role
from ctg_data.db import make_engine
from ctg_data.errors import PermissionDenied
from ctg_data.queries.funding import convention_by_code
from ctg_data.queries.snapshots import frozen_figures
from ctg_data.reports.meeting_pdf import report_pdf
from ctg_data.reports.meeting_report import build_report, report_xlsx
from ctg_data.services import meetings as svc
from tests.saisie_data import ADVISOR

CODE = "ctg-lourdes-2023"
HELD_ON = date(2026, 3, 12)
PLACE = "Mairie de Lourdes, salle « Pyrène » *1*"
DECISION = "Relancer <b>la</b> navette : _avant_ l'été"
INDICATOR = "PE-NB-AM"  # a whole-convention count of the demo, measured every year
SEED = Path(__file__).resolve().parent.parent / "seeds" / "lourdes-2023"


@pytest.fixture
def demo(demo_database_url, monkeypatch):
    monkeypatch.setenv("CTG_TODAY", "2026-11-26")
    engine = make_engine(demo_database_url)
    yield engine, demo_database_url
    engine.dispose()


def closed_copil(engine) -> tuple[int, int]:
    convention = convention_by_code(engine, CODE)
    assert convention is not None
    with Session(engine) as session:
        organisations = list(session.exec(select(m.Organisation.id).order_by(col(m.Organisation.id))).all())[:2]
    meeting = svc.create_meeting(
        engine, ADVISOR, convention_id=convention["id"], kind="copil", held_on=HELD_ON, place=PLACE
    )
    svc.set_participants(
        engine,
        ADVISOR,
        meeting_id=meeting.id,
        expected_version=1,
        opened=meeting.opened,
        participants=[
            {"organisation_id": organisations[0], "person": "Mme Dupré", "attendance": "present"},
            {"organisation_id": organisations[1], "person": "", "attendance": "excuse"},
        ],
    )
    svc.add_decision(
        engine,
        ADVISOR,
        meeting_id=meeting.id,
        text=DECISION,
        owner_id=organisations[0],
        due_on=date(2026, 6, 30),
        status="a_faire",
        links={},
    )
    opened = svc.meeting_for_edit(engine, meeting.id)
    assert opened is not None
    svc.update_meeting(
        engine,
        ADVISOR,
        meeting_id=meeting.id,
        expected_version=opened["version"],
        opened=opened.get("opened"),
        kind="copil",
        held_on=HELD_ON,
        place=PLACE,
        status="close",
    )
    return convention["id"], meeting.id


def value_at(engine, code: str, day: date) -> tuple[float, str]:
    """The indicator's whole-convention value in force at `day`, read from its measurements."""
    with Session(engine) as session:
        indicator = session.exec(select(m.Indicator).where(m.Indicator.code == code)).one()
        rows = session.exec(
            select(m.Measurement)
            .where(
                m.Measurement.indicator_id == indicator.id,
                col(m.Measurement.insee_code).is_(None),
                col(m.Measurement.superseded_at).is_(None),
                m.Measurement.measured_on <= day,
            )
            .order_by(col(m.Measurement.measured_on).desc())
        ).all()
        return rows[0].value, indicator.unit


def pdf_text(content: bytes) -> tuple[list[str], str]:
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]
    return pages, "\n".join(pages)


def flat(text: str) -> str:
    """Spaces of any kind (French numbers use narrow no-break ones) and line breaks as one space."""
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


def test_the_report_of_a_closed_copil_prints_its_snapshot(demo):
    engine, _ = demo
    convention_id, meeting_id = closed_copil(engine)
    data = build_report(engine, ADVISOR, convention_id, meeting_id)
    pages, text = pdf_text(report_pdf(data))
    text = flat(text)

    # The cover: convention, meeting, date in words, place as typed, participants present / excused.
    assert "CTG Tarbes Lourdes Pyrénées Sud" in text
    assert "COPIL du 12/03/2026" in text and "12 mars 2026" in text
    assert flat(PLACE) in text  # typed text printed as is: no Markdown, no escaping
    assert "Mme Dupré" in text and "Présents" in text and "Excusés" in text
    assert flat(DECISION) in text

    # An indicator's value at the meeting's date, worked out from its measurements.
    value, unit = value_at(engine, INDICATOR, HELD_ON)
    assert flat(f"{fmt.smart_number(value)} {unit}") in text
    # A domain's progress as the committee reads it, from the frozen roll-up.
    frozen = frozen_figures(engine, meeting_id)
    assert frozen is not None and frozen.as_of == HELD_ON
    domain = frozen.table("domains").sort_values("position").iloc[0]
    progress = fmt.percent(domain["progress"] / 100)
    expected = fmt.percent(domain["expected"] / 100)
    assert flat(f"Domaine : {domain['domain']}") in text
    assert flat(f"{progress} pour {expected} attendus") in text

    # Funding: the year's total notified of the first lever, and the bonus summary.
    levers = frozen.table("levers_all")
    assert flat(fmt.format_money(levers.iloc[0]["notified"])) in text
    bonus = frozen.table("bonus")
    flagged = sum(1 for codes in bonus["flag_codes"] if codes)
    due = sum((v for v in bonus["due"] if v is not None), Decimal(0))
    assert flat(f"dû {fmt.format_money(due)}") in text
    assert f"{flagged} ligne" in text

    # Sections, and « Page n / N » on every page.
    for title in ("Synthèse", "Domaines en retard sur le calendrier", "Financements par levier", "Depuis le dernier"):
        assert title in text
    total = len(pages)
    assert total > 5
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} / {total}" in flat(page)


def seeded_values(code: str) -> dict[int, float]:
    """The indicator's whole-convention value at the end of each year, read from the demo's CSV."""
    with (SEED / "mesures.csv").open(encoding="utf-8") as file:
        rows = [r for r in csv.DictReader(file) if r["indicateur"] == code and not r["code_insee"]]
    return {int(r["date"][:4]): float(r["valeur"]) for r in rows if r["date"].endswith("-12-31")}


def test_the_report_compares_the_last_full_year_with_the_one_before(demo):
    """« D'une année à l'autre »: N = the last full year before the meeting (2025 for a COPIL of
    March 2026), an indicator's change from N − 1 worked out here from the demo's CSV."""
    engine, _ = demo
    convention_id, meeting_id = closed_copil(engine)
    data = build_report(engine, ADVISOR, convention_id, meeting_id)
    values = seeded_values(INDICATOR)
    before, after = values[HELD_ON.year - 2], values[HELD_ON.year - 1]
    change = after - before
    sign = "\u2212" if change < 0 else "+"
    expected = f"{sign}{fmt.smart_number(abs(change))} ({sign}{fmt.percent(abs(change) / before, 1)})"
    text = flat(pdf_text(report_pdf(data))[1])
    assert "D'une année à l'autre" in text and "Fin 2024" in text and "Fin 2025" in text
    assert flat(expected) in text
    workbook = openpyxl.load_workbook(io.BytesIO(report_xlsx(data)))
    rows = list(workbook["D'une année à l'autre"].iter_rows(values_only=True))
    [line] = [row for row in rows if row[0] == INDICATOR]
    assert flat(str(line[4])) == flat(expected)


def test_the_report_after_a_correction_keeps_the_presented_value(demo):
    """Figures come from the snapshot: a value corrected after the close is not printed."""
    engine, _ = demo
    convention_id, meeting_id = closed_copil(engine)
    value, unit = value_at(engine, INDICATOR, HELD_ON)
    with Session(engine) as session:  # a raw correction, as an import would leave it
        indicator = session.exec(select(m.Indicator).where(m.Indicator.code == INDICATOR)).one()
        row = session.exec(
            select(m.Measurement).where(
                m.Measurement.indicator_id == indicator.id,
                col(m.Measurement.insee_code).is_(None),
                col(m.Measurement.superseded_at).is_(None),
                m.Measurement.measured_on <= HELD_ON,
            )
        ).all()
        latest = max(row, key=lambda r: r.measured_on)
        latest.value = value + 1000
        session.add(latest)
        session.commit()
    text = flat(pdf_text(report_pdf(build_report(engine, ADVISOR, convention_id, meeting_id)))[1])
    assert flat(f"{fmt.smart_number(value)} {unit}") in text
    assert flat(f"{fmt.smart_number(value + 1000)} {unit}") not in text


def test_the_xlsx_holds_the_same_tables(demo):
    engine, _ = demo
    convention_id, meeting_id = closed_copil(engine)
    workbook = openpyxl.load_workbook(io.BytesIO(report_xlsx(build_report(engine, ADVISOR, convention_id, meeting_id))))
    for sheet in ("Participants", "Domaines", "Indicateurs", "Actions en retard", "Décisions ouvertes"):
        assert sheet in workbook.sheetnames
    assert {"Financements 2026", "Financements cumulés", "Bonus territoire", "Depuis le dernier COPIL"} <= set(
        workbook.sheetnames
    )
    decisions = [row for row in workbook["Décisions ouvertes"].iter_rows(values_only=True)]
    assert any(DECISION in row for row in decisions)
    money = workbook["Financements cumulés"]["C2"]
    assert isinstance(money.value, int | float) and "€" in money.number_format


def test_ctg_report_writes_the_pdf_and_the_xlsx(demo, ctg_command, tmp_path):
    engine, url = demo
    _, meeting_id = closed_copil(engine)
    out = tmp_path / "rapport.pdf"
    ran = ctg_command(url, "report", "--convention", CODE, "--meeting", str(meeting_id), str(out))
    assert ran.returncode == 0, ran.stderr
    assert "COPIL du 12/03/2026" in flat(pdf_text(out.read_bytes())[1])
    sheets = tmp_path / "rapport.xlsx"
    ran = ctg_command(url, "report", "--convention", CODE, str(sheets))  # today's figures
    assert ran.returncode == 0, ran.stderr
    assert "Domaines" in openpyxl.load_workbook(sheets).sheetnames
    ran = ctg_command(url, "report", "--convention", "inconnue", str(out))
    assert ran.returncode == 2 and "Convention inconnue" in ran.stderr


def test_a_reader_of_another_convention_is_refused(demo):
    engine, _ = demo
    convention_id, meeting_id = closed_copil(engine)
    set_restricted(engine, actor=COMMAND_LINE, convention_code=CODE, restricted=True)
    outsider = Actor(email="lecteur@ailleurs.fr", role=Role.LECTEUR, user_id=987654)
    with pytest.raises(PermissionDenied):
        build_report(engine, outsider, convention_id, meeting_id)
    with pytest.raises(PermissionDenied):  # nor can a meeting be reached through another convention
        build_report(engine, COMMAND_LINE, convention_id + 1000, meeting_id)
