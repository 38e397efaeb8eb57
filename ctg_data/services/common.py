"""The audit operations of the data-entry forms (the import writes "import:…")."""

# Operations of the audit trail written by the data-entry forms.
ORIGIN = "saisie"
CREATED = f"{ORIGIN}:création"
UPDATED = f"{ORIGIN}:modification"
CORRECTED = f"{ORIGIN}:correction"
VALIDATED = f"{ORIGIN}:validation"
NOTE = f"{ORIGIN}:note"
DATES = f"{ORIGIN}:dates"
DELETED = f"{ORIGIN}:suppression"

__all__ = ["CORRECTED", "CREATED", "DATES", "DELETED", "NOTE", "ORIGIN", "UPDATED", "VALIDATED"]
