"""Former home of ctg_data.reports.bonus_report, kept so that existing imports work: import from
ctg_data.reports.bonus_report instead."""

from ctg_data.reports.bonus_report import (
    ACTIVITY_COLUMNS,
    BASIS_LABELS,
    COLUMNS,
    HEADERS,
    LINE_COLUMNS,
    MANAGER_HEADERS,
    RATE_COLUMNS,
    SCRIPT_COLUMNS,
    bonus_reconciliation,
    facility_detail,
    manager_totals,
    script_csv,
    script_rows,
    script_table,
)

__all__ = [
    "ACTIVITY_COLUMNS",
    "BASIS_LABELS",
    "COLUMNS",
    "HEADERS",
    "LINE_COLUMNS",
    "MANAGER_HEADERS",
    "RATE_COLUMNS",
    "SCRIPT_COLUMNS",
    "bonus_reconciliation",
    "facility_detail",
    "manager_totals",
    "script_csv",
    "script_rows",
    "script_table",
]
