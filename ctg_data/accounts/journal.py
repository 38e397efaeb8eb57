"""The journal as administrators read it, newest first: the audit trail (optionally only
accounts and access) and the sign-in events, which have their own table (accounts.events)."""

import json

import pandas as pd
from sqlalchemy import Engine, label, literal, select
from sqlmodel import col

from ctg_data import models as m

ACCESS_TABLES = ("users", "convention_members", "conventions")
COLUMNS = ["at", "actor", "operation", "table_name", "record_key", "before", "after", "reason"]


def audit_events(engine: Engine, *, access_only: bool = True, limit: int = 500) -> pd.DataFrame:
    event = m.AuditEvent
    query = select(
        col(event.at),
        col(event.actor),
        col(event.operation),
        col(event.table_name),
        col(event.record_key),
        col(event.before),
        col(event.after),
        col(event.reason),
    )
    if access_only:
        query = query.where(col(event.table_name).in_(ACCESS_TABLES))
    query = query.order_by(col(event.id).desc()).limit(limit)
    with engine.connect() as connection:
        return pd.read_sql(query, connection)


def sign_in_events(engine: Engine, *, limit: int = 500) -> pd.DataFrame:
    """Sign-in events in the audit trail's columns: the typed address as actor, the client
    address and the details as « after »."""
    event = m.SignInEvent
    query = (
        select(
            col(event.at),
            label("actor", col(event.email)),
            col(event.operation),
            label("table_name", literal("connexions")),
            col(event.user_id),
            col(event.client),
            col(event.detail),
        )
        .order_by(col(event.id).desc())
        .limit(limit)
    )
    with engine.connect() as connection:
        frame = pd.read_sql(query, connection)
    frame["record_key"] = [("(aucun compte)" if pd.isna(user) else str(int(user))) for user in frame["user_id"]]
    frame["before"] = None
    frame["after"] = [
        " ".join(
            part
            for part in (
                f"poste {client}" if isinstance(client, str) else "",
                _detail_text(detail),
            )
            if part
        )
        for client, detail in zip(frame["client"], frame["detail"], strict=True)
    ]
    frame["reason"] = None
    return frame[COLUMNS]


def _detail_text(detail: object) -> str:
    """A sign-in event's details (JSON, French keys) as a reader reads them: « Méthode : annuaire »."""
    if not isinstance(detail, str) or not detail:
        return ""
    try:
        values = json.loads(detail)
    except ValueError:
        return detail
    if not isinstance(values, dict):
        return str(values)
    return " ; ".join(f"{str(key)[:1].upper()}{str(key)[1:]} : {value}" for key, value in values.items())


def journal(audit: pd.DataFrame, sign_ins: pd.DataFrame, limit: int = 500) -> pd.DataFrame:
    """Both lists as one, newest first, `limit` rows at most."""
    frames = [frame for frame in (audit, sign_ins) if not frame.empty]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    merged = pd.concat([frame[COLUMNS] for frame in frames], ignore_index=True)
    merged["at"] = pd.to_datetime(merged["at"], utc=True)
    return merged.sort_values("at", ascending=False, kind="stable").head(limit).reset_index(drop=True)
