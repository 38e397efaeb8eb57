"""A workbook is an archive: its size on disk says little of what reading it costs. Uploads are
refused from the archive's own directory (the inflated size of each member and of all of them),
before openpyxl reads anything; what passes is read streaming (read_only)."""

import io
import zipfile

import pytest

from ctg_data.actors import Actor, Role
from ctg_data.interchange import limits, workbook
from ctg_data.interchange.importer import import_upload, read_upload
from ctg_data.interchange.tables import FormatError
from ctg_data.interchange.workbook import write_template
from tests.csv_folder import minimal_convention
from tests.test_workbook import build

ADMIN = Actor(email="admin@test", role=Role.ADMIN)
MB = 1024 * 1024


def bomb(inflated_mb: int, member: str = "xl/sharedStrings.xml") -> bytes:
    """A zip with the members openpyxl looks for, and one member of `inflated_mb` megabytes of
    repeated shared strings: it compresses about two hundred times."""
    buffer = io.BytesIO()
    chunk = b"<si><t>aaaaaaaa</t></si>" * 40_000
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open(member, "w") as inner:
            written = 0
            while written < inflated_mb * MB:
                inner.write(chunk)
                written += len(chunk)
    return buffer.getvalue()


@pytest.fixture
def openpyxl_never_called(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl must not read a refused file")

    monkeypatch.setattr(workbook, "load_workbook", refuse)


def test_the_reported_bomb_is_refused_from_its_directory_without_reading_it(monkeypatch, openpyxl_never_called):
    monkeypatch.delenv("CTG_MAX_UPLOAD_MB", raising=False)
    data = bomb(450)  # the finding: a few megabytes on disk, 450 MB of shared strings
    assert len(data) < 5 * MB
    with pytest.raises(FormatError) as refused:
        read_upload("bombe.xlsx", data)
    (error,) = refused.value.errors
    assert error.where == "fichier bombe.xlsx"
    assert "décompressé" in error.message and "xl/sharedStrings.xml" in error.message


def test_a_bomb_reaches_the_import_report_in_french_and_writes_nothing(engine, monkeypatch, openpyxl_never_called):
    monkeypatch.setenv("CTG_MAX_UPLOAD_MB", "1")
    report = import_upload(engine, ADMIN, "bombe.xlsx", bomb(30), dry_run=True)
    assert [e.where for e in report.errors] == ["fichier bombe.xlsx"]
    assert "anormalement volumineux" in report.errors[0].message


@pytest.mark.parametrize("member", ["xl/sharedStrings.xml", "xl/worksheets/sheet1.xml", "xl/styles.xml"])
def test_each_member_has_its_own_inflated_limit(monkeypatch, openpyxl_never_called, member):
    monkeypatch.setenv("CTG_MAX_UPLOAD_MB", "1")
    cap = limits.member_limit(member, limits.max_upload_bytes())
    assert cap < limits.total_limit(limits.max_upload_bytes())  # so the member's own cap is what refuses
    with pytest.raises(FormatError, match=member.replace(".", r"\.")):
        limits.check_upload("x.xlsx", bomb(cap // MB + 1, member))


def test_all_members_together_have_a_limit(monkeypatch, openpyxl_never_called):
    monkeypatch.setenv("CTG_MAX_UPLOAD_MB", "1")
    total = limits.total_limit(limits.max_upload_bytes())
    each = limits.member_limit("xl/worksheets/sheet1.xml", limits.max_upload_bytes())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        for number in range(1, total // each + 2):
            archive.writestr(f"xl/worksheets/sheet{number}.xml", b" " * (each - 1))
    with pytest.raises(FormatError, match="anormalement volumineux"):
        limits.check_upload("x.xlsx", buffer.getvalue())


def test_real_workbooks_pass_the_limits_and_are_read_streaming(monkeypatch):
    calls = []
    real = workbook.load_workbook

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(workbook, "load_workbook", spy)
    assert all(not table.rows for table in read_upload("modele.xlsx", write_template()))
    assert {t.sheet for t in read_upload("c.xlsx", build(minimal_convention()))} == set(minimal_convention())
    assert calls and all(call.get("read_only") is True for call in calls)
