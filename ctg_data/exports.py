"""Former home of ctg_data.reports.exports, kept so that existing imports work: import from
ctg_data.reports.exports instead."""

from ctg_data.reports.exports import (
    CSV_MIME,
    MONEY_FORMAT,
    XLSX_MIME,
    ExportFile,
    export_files,
    export_frame,
    neutralised,
    to_csv_bytes,
    to_xlsx_bytes,
)

__all__ = [
    "CSV_MIME",
    "MONEY_FORMAT",
    "XLSX_MIME",
    "ExportFile",
    "export_files",
    "export_frame",
    "neutralised",
    "to_csv_bytes",
    "to_xlsx_bytes",
]
