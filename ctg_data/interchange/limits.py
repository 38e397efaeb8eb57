"""What an uploaded file must be before anything parses it: not too large, and really the
.xlsx workbook or .csv text file (UTF-8 or Windows-1252) its name claims.

The checks look at bytes only (size, zip signature and directory, text encoding), so a refused
file never reaches openpyxl or the CSV reader.

An .xlsx is a zip of XML: a few megabytes may inflate a hundredfold (a "zip bomb"). The zip's
directory gives each member's inflated size, and Python's zipfile never inflates a member past
it, so those sizes bound what reading costs. Real workbooks compress about ten times. openpyxl
streams the sheets (read_only) but holds the shared strings in memory whole, so they get the
smallest cap.
"""

import io
import math
import zipfile
from pathlib import PurePath

from ctg_data.interchange.tables import FormatError, LoadError, decode
from ctg_data.settings import max_upload_mb  # CTG_MAX_UPLOAD_MB; re-exported for pages/import_export.py

# Inflated size limits, as multiples of the upload limit (20 MB: 200 MB in all, 100 MB for one
# sheet, 40 MB of shared strings).
TOTAL_INFLATION = 10
MEMBER_INFLATION = 5
IN_MEMORY_INFLATION = 2
IN_MEMORY_MEMBERS = ("xl/sharedStrings.xml",)
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls format
XLSX_MEMBERS = ("[Content_Types].xml", "xl/workbook.xml")

NOT_XLSX = "Le fichier n'est pas un classeur Excel (.xlsx) valide."
WRONG_KIND = "Format de fichier non pris en charge : un classeur .xlsx ou un fichier .csv est attendu."


def max_upload_bytes() -> int:
    """The upload size limit (settings.max_upload_mb: SettingError when set to something unusable)."""
    return int(max_upload_mb() * 1024 * 1024)


def _size(size: float) -> str:
    """ "20 Mo", "20,5 Mo", or "12 Ko" below a megabyte, in French."""
    if size < 1024 * 1024:
        return f"{math.ceil(size / 1024)} Ko"
    return f"{size / 1024 / 1024:.1f}".replace(".", ",").removesuffix(",0") + " Mo"


def _refuse(name: str, message: str) -> FormatError:
    return FormatError([LoadError(f"fichier {name}", None, None, message)])


def file_kind(name: str) -> str:
    """'xlsx' or 'csv' from the file name, or FormatError for any other extension."""
    suffix = PurePath(name).suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise _refuse(PurePath(name).name or "sans nom", WRONG_KIND)
    return suffix[1:]


def check_upload(name: str, data: bytes, *, size_limit: bool = True) -> str:
    """Refuse (FormatError) a file that is empty, too large, or not what its extension says;
    return its kind ('xlsx' or 'csv') otherwise. The command line reads local files without
    the upload size limit (`size_limit=False`)."""
    kind = file_kind(name)
    name = PurePath(name).name
    if not data:
        raise _refuse(name, "Le fichier est vide.")
    limit = max_upload_bytes() if size_limit else max(max_upload_bytes(), len(data))
    if len(data) > limit:
        raise _refuse(
            name,
            f"Le fichier pèse {_size(len(data))} : la limite est de "
            f"{_size(limit)}. Découpez-le (par exemple une feuille à la fois).",
        )
    if kind == "xlsx":
        _check_xlsx(name, data, limit)
    else:
        _check_csv(name, data)
    return kind


def _check_xlsx(name: str, data: bytes, limit: int) -> None:
    if data.startswith(OLE_MAGIC):
        raise _refuse(name, NOT_XLSX + " Les anciens classeurs .xls doivent être enregistrés au format .xlsx.")
    if not data.startswith(ZIP_MAGIC):
        raise _refuse(name, NOT_XLSX)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise _refuse(name, NOT_XLSX) from None
    names = {member.filename for member in members}
    if not all(required in names for required in XLSX_MEMBERS):
        raise _refuse(name, NOT_XLSX)
    _check_inflated_sizes(name, members, limit)


def member_limit(member: str, limit: int) -> int:
    """The largest inflated size of one zip member, for an upload limit of `limit` bytes."""
    return (IN_MEMORY_INFLATION if member in IN_MEMORY_MEMBERS else MEMBER_INFLATION) * limit


def total_limit(limit: int) -> int:
    return TOTAL_INFLATION * limit


def _check_inflated_sizes(name: str, members: list[zipfile.ZipInfo], limit: int) -> None:
    too_large = " Son contenu décompressé est anormalement volumineux"
    for member in members:
        cap = member_limit(member.filename, limit)
        if member.file_size > cap:
            raise _refuse(
                name,
                NOT_XLSX + too_large + f" (la partie « {member.filename} » fait "
                f"{_size(member.file_size)} une fois décompressée, {_size(cap)} au plus).",
            )
    total = sum(member.file_size for member in members)
    if total > total_limit(limit):
        raise _refuse(
            name, NOT_XLSX + too_large + f" ({_size(total)} une fois décompressé, {_size(total_limit(limit))} au plus)."
        )


def _check_csv(name: str, data: bytes) -> None:
    try:
        decode(data)  # UTF-8 or Windows-1252, as the CSV reader will read it
    except ValueError as error:
        raise _refuse(name, f"Le fichier n'est pas un fichier CSV valide : {error}.") from None
