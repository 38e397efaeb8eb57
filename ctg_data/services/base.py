"""Former home of the write services' errors and audited save, kept for the modules that still
import them from here (ctg_data.ui.forms, pages/admin_referentiels.py, some tests): the errors
live in ctg_data.errors, the write core in ctg_data.store."""

from ctg_data.errors import ConflictError, ValidationError
from ctg_data.store import conflict_if_stale, save

__all__ = ["ConflictError", "ValidationError", "conflict_if_stale", "save"]
