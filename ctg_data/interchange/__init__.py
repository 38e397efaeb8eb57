"""The interchange format of FORMAT.md: seeds, the Excel workbook, import and export."""

from ctg_data.interchange.loader import LoadReport, load_folder, load_tables
from ctg_data.interchange.tables import FormatError, LoadError

__all__ = ["FormatError", "LoadError", "LoadReport", "load_folder", "load_tables"]
