"""Pupils recorded as having left: the day the child protection file clock starts.

KCSIE counts the transfer from the day the pupil leaves (see safedesk.store.handover.calendar),
so the leaving date is kept apart from any handover: recorded before the file is sent, the
home screen and the handover list show the transfer coming due; recorded with the export
(`handover export --pupil ... --left DATE`, or the export screen), the sent transfer carries it;
recorded after the file was sent, the file stays sent (sending once meets the clock) and its
receipt is tracked as before. Only a return (the pupil's file received back here in a handover)
followed by a new leaving makes a file due again (safedesk.store.handover.transfer.file_due).
One record per pupil: recording a different day replaces it, and the audit log keeps both.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

from safedesk.store.consents.pupils import pupil_index
from safedesk.store.engine.records import Record, require, utcnow
from safedesk.store.engine.session import Session
from safedesk.store.errors import InvalidInput
from safedesk.store.text.dates import local_today, show_date

MAX_DAYS_AWAY = 366


@dataclass(kw_only=True)
class Leaver(Record):
    """A pupil who left (or is leaving) this school, and the day they left."""

    TABLE: ClassVar[str] = "leavers"

    pupil_id: int
    left_on: date
    at: datetime  # when the leaving date was recorded here
    by: str

    def validate(self) -> None:
        require(self.pupil_id > 0, "Choose the pupil who left.", "pupil")


def check_left_on(left_on: date, today: date | None = None) -> date:
    """The leaving day. A day ahead is allowed (a pupil leaving at the end of term: the DSL sees the
    file coming due), but not more than a year ahead or back, which is a mistyped year."""
    today = today or local_today()
    if abs((left_on - today).days) > MAX_DAYS_AWAY:
        raise InvalidInput(
            f"{show_date(left_on)} is more than a year from today: check the year of the day the pupil left.", "left"
        )
    return left_on


def leavers(session: Session) -> list[Leaver]:
    """Every pupil recorded as left, most recent leaving first."""
    return sorted(session.repo(Leaver).all(), key=lambda r: (r.left_on, r.id or 0), reverse=True)


def left_on(session: Session, pupil_ids: Iterable[int]) -> date | None:
    """The earliest leaving day recorded for these pupils (the clock that runs out first), or None."""
    wanted = set(pupil_ids)
    days = [r.left_on for r in session.repo(Leaver).all() if r.pupil_id in wanted]
    return min(days, default=None)


def record_left(session: Session, pupil_ids: Iterable[int], day: date) -> list[Leaver]:
    """Record (or correct) the day each pupil left; audited. Call inside or outside a transaction."""
    check_left_on(day)
    by = session.user.name if session.user else "unknown"
    known = pupil_index(session).by_id
    stored: list[Leaver] = []
    existing = {r.pupil_id: r for r in session.repo(Leaver).all()}
    with session.transaction():
        for pupil_id in sorted(set(pupil_ids)):
            if pupil_id not in known:
                raise InvalidInput("That pupil is not in this store.", "pupil")
            current = existing.get(pupil_id)
            if current is not None and current.left_on == day:
                stored.append(current)
                continue
            if current is None:
                record = session.repo(Leaver).add(
                    Leaver(pupil_id=pupil_id, left_on=day, at=utcnow(), by=by), summary="pupil recorded as left"
                )
            else:
                record = session.repo(Leaver).save(
                    dataclasses.replace(current, left_on=day, at=utcnow(), by=by), summary="pupil's leaving date changed"
                )
            session.audit_event(
                "handover.left",
                f"pupil recorded as left on {show_date(day)}"
                + (f" (was {show_date(current.left_on)})" if current is not None else ""),
                f"{Leaver.TABLE}/{record.id}",
            )
            stored.append(record)
    return stored
