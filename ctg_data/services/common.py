"""The audit operations of the data-entry forms (the import writes "import:…"), and former
names of the write core's helpers (ctg_data.store) kept for their importers."""

from ctg_data.store import last_writer, load_for_update, opened_snapshot, refuse_if_stale

# Operations of the audit trail written by the data-entry forms.
ORIGIN = "saisie"
CREATED = f"{ORIGIN}:création"
UPDATED = f"{ORIGIN}:modification"
CORRECTED = f"{ORIGIN}:correction"
VALIDATED = f"{ORIGIN}:validation"
NOTE = f"{ORIGIN}:note"
DATES = f"{ORIGIN}:dates"
DELETED = f"{ORIGIN}:suppression"

__all__ = ["CORRECTED", "CREATED", "DATES", "DELETED", "NOTE", "ORIGIN", "UPDATED", "VALIDATED", "last_writer",
           "load_for_update", "opened_snapshot", "refuse_if_stale"]
