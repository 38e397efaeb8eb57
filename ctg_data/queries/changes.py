"""« Depuis le dernier COPIL »: the last closed COPIL's snapshot compared with today's figures
(or a meeting's snapshot with the previous COPIL's), by rules.changes, plus the measurements
recorded in between (read from the measurements themselves: every row recorded in the window,
a correction included, as the history keeps them)."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from ctg_data import models as m
from ctg_data.queries.meetings import meeting_title
from ctg_data.queries.snapshots import freeze, frozen_figures
from ctg_data.rules.changes import Changes, changes
from ctg_data.vocabulary import MeetingKind, MeetingStatus

MEASUREMENT_COLUMNS = ["code", "name", "domain_code", "measured_on", "value", "insee_code", "recorded_at", "correction"]


@dataclass(frozen=True)
class SinceCopil:
    """What changed since a COPIL: `since` names it, `until` the later meeting (None: today)."""

    meeting_id: int
    since: str
    until: str | None
    changes: Changes
    measurements: pd.DataFrame


def last_copil(engine: Engine, convention_id: int, before: date | None = None, but: int | None = None) -> Any:
    """The latest closed COPIL of the convention that has a snapshot (held before `before` when
    given, other than the meeting `but`): a row (id, kind, theme, held_on), or None."""
    query = (
        select(col(m.Meeting.id), col(m.Meeting.kind), col(m.Meeting.theme), col(m.Meeting.held_on))
        .join(m.Snapshot, col(m.Snapshot.meeting_id) == m.Meeting.id)
        .where(
            col(m.Meeting.convention_id) == convention_id,
            col(m.Meeting.kind) == MeetingKind.COPIL,
            col(m.Meeting.status) == MeetingStatus.CLOSE,
        )
        .order_by(col(m.Meeting.held_on).desc(), col(m.Meeting.id).desc())
        .limit(1)
    )
    if before is not None:
        query = query.where(col(m.Meeting.held_on) <= before)
    if but is not None:
        query = query.where(col(m.Meeting.id) != but)
    with engine.connect() as connection:
        return connection.execute(query).first()


def recorded_between(
    engine: Engine, convention_id: int, start: datetime, end: datetime | None = None, domain: str | None = None
) -> pd.DataFrame:
    """The measurements recorded after `start` (and up to `end`) for the convention's indicators
    (of `domain`), oldest first; `correction` says a row replaced an earlier value."""
    replaced = aliased(m.Measurement)
    query = (
        select(
            col(m.Indicator.code),
            col(m.Indicator.name),
            col(m.Indicator.domain_code),
            col(m.Measurement.measured_on),
            col(m.Measurement.value),
            col(m.Measurement.insee_code),
            col(m.Measurement.recorded_at),
            col(replaced.id).is_not(None),
        )
        .join(m.Indicator, col(m.Indicator.id) == m.Measurement.indicator_id)
        .outerjoin(replaced, col(replaced.superseded_by_id) == m.Measurement.id)
        .where(col(m.Indicator.convention_id) == convention_id, col(m.Measurement.recorded_at) > start)
        .order_by(col(m.Measurement.recorded_at), col(m.Measurement.id))
    )
    if end is not None:
        query = query.where(col(m.Measurement.recorded_at) <= end)
    if domain is not None:
        query = query.where(col(m.Indicator.domain_code) == domain)
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).all(), columns=MEASUREMENT_COLUMNS)


def since_last_copil(
    engine: Engine, convention_id: int, today: date, domain: str | None = None, before: date | None = None
) -> SinceCopil | None:
    """From the last closed COPIL (held on or before `before`, default any) to today's figures;
    None when no COPIL was closed yet."""
    last = last_copil(engine, convention_id, before)
    if last is None:
        return None
    frozen = frozen_figures(engine, last.id)
    assert frozen is not None  # last_copil joins the snapshot
    now = freeze(engine, convention_id, today, bonus=False)
    return SinceCopil(
        last.id,
        meeting_title(last.kind, last.theme, last.held_on),
        None,
        changes(frozen.document, now, domain),
        recorded_between(engine, convention_id, frozen.taken_at, domain=domain),
    )


def between_meetings(engine: Engine, meeting_id: int, domain: str | None = None) -> SinceCopil | None:
    """From the COPIL closed before the meeting `meeting_id` to that meeting's own snapshot;
    None when either has none."""
    with engine.connect() as connection:
        meeting = connection.execute(
            select(
                col(m.Meeting.convention_id), col(m.Meeting.kind), col(m.Meeting.theme), col(m.Meeting.held_on)
            ).where(col(m.Meeting.id) == meeting_id)
        ).first()
    later = frozen_figures(engine, meeting_id)
    if meeting is None or later is None:
        return None
    last = last_copil(engine, meeting.convention_id, meeting.held_on, but=meeting_id)
    earlier = None if last is None else frozen_figures(engine, last.id)
    if last is None or earlier is None:
        return None
    return SinceCopil(
        last.id,
        meeting_title(last.kind, last.theme, last.held_on),
        meeting_title(meeting.kind, meeting.theme, meeting.held_on),
        changes(earlier.document, later.document, domain),
        recorded_between(engine, meeting.convention_id, earlier.taken_at, later.taken_at, domain),
    )


__all__ = ["SinceCopil", "between_meetings", "last_copil", "recorded_between", "since_last_copil"]
