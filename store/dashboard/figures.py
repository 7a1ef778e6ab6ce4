"""The figures at the top of the home screen, read straight from the stored documents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from safedesk.store.engine.records import utcnow
from safedesk.store.engine.session import Session
from safedesk.store.incidents.records import Action, Incident
from safedesk.store.text.dates import local_zone


@dataclass(frozen=True)
class Figures:
    open_incidents: int
    overdue_actions: int
    months: tuple[str, ...]  # "2025-12" ... oldest first, 12 of them
    per_month: tuple[int, ...]  # incidents reported in each


def _last_months(today: date, count: int = 12) -> list[str]:
    year, month = today.year, today.month
    keys = []
    for _ in range(count):
        keys.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return keys[::-1]


def figures(session: Session) -> Figures:
    zone = local_zone()
    today = utcnow().astimezone(zone).date()
    months = _last_months(today)
    counts = dict.fromkeys(months, 0)
    open_incidents = 0
    closed: set[int] = set()
    # Stored times are UTC ISO text: anything before this (a day's margin for the time zone)
    # cannot fall in the last twelve months, and is not parsed.
    cutoff = (date.fromisoformat(f"{months[0]}-01") - timedelta(days=1)).isoformat()
    for doc_id, doc in session.scan(Incident.TABLE).items():  # one pass, no copies
        if doc.get("status") != "closed":
            open_incidents += 1
        else:
            closed.add(int(doc_id))
        reported = doc["reported_at"]
        if reported[:10] < cutoff:
            continue
        key = datetime.fromisoformat(reported).astimezone(zone).strftime("%Y-%m")
        if key in counts:
            counts[key] += 1
    today_text = today.isoformat()
    overdue = sum(
        1
        for doc in session.scan(Action.TABLE).values()
        if not doc.get("done_at")
        and not doc.get("not_needed_reason")
        and doc.get("due")
        and doc["due"] < today_text
        and doc.get("incident_id") not in closed  # kept open on closing: not overdue work
    )
    return Figures(open_incidents, overdue, tuple(months), tuple(counts[m] for m in months))
