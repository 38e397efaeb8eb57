"""The interchange format of docs/format.md: seeds, the Excel workbook, import and export.

The package's names are loaded on first use, so that importing one of its light modules (the
cell parsers, which ctg_data.validation uses) does not import the loader, which itself uses
ctg_data.validation.
"""

import importlib

_NAMES = {
    "FormatError": "tables",
    "LoadError": "tables",
    "LoadReport": "loader",
    "load_folder": "loader",
    "load_tables": "loader",
}

__all__ = sorted(_NAMES)


def __getattr__(name: str):
    if name not in _NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
