"""Incidents about one pupil, and chronology entries read the same way everywhere.

A person on an incident may be linked to the consent register's pupil
(`Person.pupil_id`, chosen in the person form). That link is how a child's
chronology and a child protection file transfer find every incident about
the child, without this basic feature importing the consents feature.
"""

from __future__ import annotations

from datetime import datetime

from safedesk.store.engine.session import Session
from safedesk.store.incidents.records import ChronologyEntry, Incident

# Chronology kinds as a reader says them: internal names never reach a printed page.
KIND_LABELS = {
    "created": "recorded",
    "amended": "amendment",
    "status": "status change",
    "action": "action added",
    "action_done": "action closed",
    "escalation": "escalation",
    "evidence": "evidence",
    "note": "note",
    "triage": "triage answers",
    "handover": "handover",
    "person": "person added",
}


def kind_label(kind: str) -> str:
    """The chronology kind in words ("action_done" -> "action closed"); an unknown kind with spaces."""
    return KIND_LABELS.get(kind, kind.replace("_", " "))


def entry_happened_at(entry: ChronologyEntry) -> datetime:
    """When the event an entry describes took place: the one place a chronology entry's time is read."""
    return entry.when


def incidents_about_pupil(session: Session, pupil_id: int) -> list[int]:
    """Ids of every incident with a person linked to this pupil, oldest id first (read-only scan)."""
    found = []
    for doc_id, doc in session.scan(Incident.TABLE).items():
        people = doc.get("people") or ()
        if any(isinstance(p, dict) and p.get("pupil_id") == pupil_id for p in people):
            found.append(int(doc_id))
    return sorted(found)
