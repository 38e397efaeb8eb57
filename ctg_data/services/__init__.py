"""The write side: validated, permission-checked, audited commands, one transaction each.

Every service takes the acting user (`actor`) and a session-less engine, opens one unit of
work, validates everything before writing, checks permissions (ctg_data.permissions), and
writes through the write core (ctg_data.store): stale edits refused (optimistic locking on
`version`), the change and its audit event written together. Errors are raised as
ValidationError / ConflictError / PermissionDenied (ctg_data.errors) with French messages.
"""
