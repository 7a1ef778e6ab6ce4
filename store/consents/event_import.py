"""Event consents from a MIS export: a file about one trip or performance.

Two shapes are read, with the importer's own reading of files, headers and values:

- a single-consent file (Arbor's per-consent download: name, ids, "Consent Given", date),
  imported with the event's name as its purpose (`--purpose "Year 6 Residential"`);
- the long layout (SIMS "Parental Consent": a "Consent Type" column): rows whose consent type
  is the event's name are read, every other row is left alone.

Only pupils already stored are matched (by MIS id, admission number, then name narrowed by date
of birth and year group, as the importer does); a row for a pupil not here, or one several
pupils could be, is an error for that line. A decision already recorded is skipped, so
importing the same file again changes nothing; the decision in force stays the latest given.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from safedesk.store.consents.events import ConsentEvent, EventStatus, get_event, record_event_decisions
from safedesk.store.consents.importer import LONG, SINGLE, RowError, _candidates, _Group, _Row, read_table
from safedesk.store.consents.pupils import ConsentStatus, Purpose, count_of, name_key, pupil_index
from safedesk.store.errors import InvalidInput
from safedesk.store.text.dates import local_today

if TYPE_CHECKING:
    from safedesk.store.engine.session import Session

_STATUS = {ConsentStatus.GRANTED: EventStatus.GRANTED, ConsentStatus.REFUSED: EventStatus.REFUSED}


@dataclass(frozen=True)
class EventEntry:
    line: int
    pupil_id: int
    status: EventStatus
    given_on: date
    given_by: str


@dataclass
class EventImportPlan:
    event: ConsentEvent
    digest: str
    entries: list[EventEntry] = field(default_factory=list)  # to record
    held: int = 0  # already recorded: skipped
    not_asked: int = 0  # "pending" and the like: nothing to record
    errors: list[RowError] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        counts = {s: sum(1 for e in self.entries if e.status is s) for s in EventStatus}
        new = ", ".join(f"{s.value}: {n}" for s, n in counts.items() if n) or "none"
        return [
            f"Event: {self.event.name} ({self.event.dates}).",
            f"Decisions to record: {new}.",
            f"Already recorded (skipped): {self.held:,}; not asked yet: {self.not_asked:,}; rows with errors: {len(self.errors):,}.",
        ]


def plan_event_import(
    session: Session, data: bytes, event: ConsentEvent, mapping: Mapping[str, str] | None = None
) -> EventImportPlan:
    """What importing `data` for `event` would record; nothing is written."""
    # The purpose only lets a single-consent file be read; its rows become event decisions.
    table = read_table(data, mapping, purpose=Purpose.WEBSITE)
    if table.layout not in (SINGLE, LONG):
        raise InvalidInput(
            "An event's file has one consent column (or a consent type column naming the event), not a column per purpose.",
            "purpose",
        )
    plan = EventImportPlan(event, hashlib.sha256(data).hexdigest(), errors=list(table.errors))
    index = pupil_index(session)
    today = local_today()
    held = {(d.pupil_id, d.status, d.given_on) for d in event.decisions}
    wanted = name_key(event.name)
    for line, values in table.rows:
        row = _Row(line, values, table, today)
        if table.layout == LONG:
            if name_key(row.other_consent) != wanted:
                continue  # another consent (or an image purpose): not this event's
            status = row._status("status") if values.get("status") else None
        else:
            status = row.decisions[0].status if row.decisions else None
        if row.errors:
            plan.errors.extend(row.errors)
            continue
        if status is None or status not in _STATUS:
            plan.not_asked += 1
            continue
        found = _candidates(index, _Group(row))
        if len(found) != 1:
            why = "no pupil here matches: import the pupils first" if not found else "several pupils here match: add the MIS id"
            plan.errors.append(RowError(line, "", why))
            continue
        given_on = row.given_on or today
        entry = EventEntry(line, found[0], _STATUS[status], given_on, values.get("given_by", ""))
        if (entry.pupil_id, entry.status, entry.given_on) in held:
            plan.held += 1
            continue
        held.add((entry.pupil_id, entry.status, entry.given_on))
        plan.entries.append(entry)
    return plan


def apply_event_import(session: Session, plan: EventImportPlan) -> str:
    """Record the plan's decisions in one commit; the sentence to show."""
    if plan.event.id is None:
        raise InvalidInput("This event has not been stored yet.", "event")
    groups: dict[tuple[EventStatus, date, str], list[int]] = defaultdict(list)
    for entry in plan.entries:
        groups[(entry.status, entry.given_on, entry.given_by)].append(entry.pupil_id)
    with session.transaction():
        get_event(session, plan.event.id)  # still there
        for (status, given_on, given_by), pupils in groups.items():
            record_event_decisions(
                session, plan.event.id, pupils, status, given_on, given_by, source=f"import {plan.digest[:12]}"
            )
    return f"Imported for {plan.event.name}: {count_of(len(plan.entries), 'decision')} recorded."
