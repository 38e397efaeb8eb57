"""The audit trail as administrators read it: newest first, optionally only accounts and access."""

import pandas as pd
from sqlalchemy import Engine, select

from ctg_data import models as m

ACCESS_TABLES = ("users", "convention_members", "conventions")


def audit_events(engine: Engine, *, access_only: bool = True, limit: int = 500) -> pd.DataFrame:
    query = select(m.AuditEvent.at, m.AuditEvent.actor, m.AuditEvent.operation, m.AuditEvent.table_name,
                   m.AuditEvent.record_key, m.AuditEvent.before, m.AuditEvent.after, m.AuditEvent.reason)
    if access_only:
        query = query.where(m.AuditEvent.table_name.in_(ACCESS_TABLES))
    query = query.order_by(m.AuditEvent.id.desc()).limit(limit)
    with engine.connect() as connection:
        return pd.read_sql(query, connection)
