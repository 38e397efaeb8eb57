"""Former home of ctg_data.reports.integrity, kept so that existing imports work: import from
ctg_data.reports.integrity instead."""

from ctg_data.reports.integrity import (
    RULES,
    Violation,
    integrity_report,
    table_counts,
    violations,
)

__all__ = [
    "RULES",
    "Violation",
    "integrity_report",
    "table_counts",
    "violations",
]
