"""The write side: validated, permission-checked, audited commands, one transaction each.

Every service takes the acting user (`actor`) and a session-less engine, opens one unit of
work, validates everything before writing, checks permissions (ctg_data.permissions),
refuses stale edits (optimistic locking on `version`), writes, and records an audit event.
Errors are raised as ValidationError / ConflictError / PermissionDenied with French messages.
"""
