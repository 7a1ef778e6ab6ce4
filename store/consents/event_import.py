"""Event consents from a MIS export: a file about one trip or performance.

Two shapes are read, with the importer's own reading of files, headers and values:

- a single-consent file (Arbor's per-consent download: name, ids, "Consent Given", date),
  imported with the event's name as its purpose (`--purpose "Year 6 Residential"`);
- the long layout (SIMS "Parental Consent": a "Consent Type" column): rows whose consent type
  is the event's name are read, every other row is left alone;
- a column of a wide file mapped to the event (`--map "Trip=event:Year 6 Residential"`, or the
  event chosen for the column on screen): read as a single-consent file of that column, after the
  purposes' import, so a pupil the same file adds is matched too.

Pupils are matched as the purposes' importer matches them (by MIS id, admission number, then
name narrowed by date of birth and year group). A row that matches nobody adds the pupil when it
carries what tells a child apart beside the name (an MIS id, admission number, date of birth or
year group), as the purposes' import adds one; otherwise, or when several pupils could be the
one, it is an error for that line. Rows naming the same new pupil twice add one record. A
decision already recorded is skipped, so importing the same file again changes nothing; the
decision in force stays the latest given.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from safedesk.store.consents.events import ConsentEvent, EventStatus, find_event, get_event, list_events, record_event_decisions
from safedesk.store.consents.importer import (
    IGNORE,
    LONG,
    PURPOSE_COLUMNS,
    SINGLE,
    ImportOutcome,
    ImportPlan,
    RowError,
    _candidates,
    _Group,
    _Row,
    apply_import,
    read_table,
)
from safedesk.store.consents.pupils import ConsentStatus, Pupil, Purpose, count_of, name_key, pupil_index
from safedesk.store.errors import InvalidInput
from safedesk.store.text.dates import local_today

if TYPE_CHECKING:
    from safedesk.store.engine.session import Session

_STATUS = {ConsentStatus.GRANTED: EventStatus.GRANTED, ConsentStatus.REFUSED: EventStatus.REFUSED}


@dataclass(frozen=True)
class EventEntry:
    line: int
    pupil_id: int  # below 0: the file's new pupil -pupil_id - 1 (EventImportPlan.new_pupils), added first
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
    for_new_pupils: int = 0  # rows for pupils the same file adds: recorded once they are added
    new_pupils: list[Pupil] = field(default_factory=list)  # not here yet: added with their decisions
    header: str = ""  # a wide file's column read for the event

    def summary_lines(self) -> list[str]:
        counts = {s: sum(1 for e in self.entries if e.status is s) for s in EventStatus}
        new = ", ".join(f"{s.value}: {n}" for s, n in counts.items() if n) or "none"
        if self.new_pupils:
            new += f"; new pupils to add: {len(self.new_pupils):,}"
        adding = f" (and {self.for_new_pupils:,} for pupils this file adds)" if self.for_new_pupils else ""
        column = f" from the column '{self.header}'" if self.header else ""
        return [
            f"Event: {self.event.name} ({self.event.dates}){column}.",
            f"Decisions to record: {new}{adding}.",
            f"Already recorded (skipped): {self.held:,}; not asked yet: {self.not_asked:,}; rows with errors: {len(self.errors):,}.",
        ]


def plan_event_import(
    session: Session,
    data: bytes,
    event: ConsentEvent,
    mapping: Mapping[str, str] | None = None,
    adding: frozenset[int] = frozenset(),
) -> EventImportPlan:
    """What importing `data` for `event` would record; nothing is written.

    `adding`: the lines whose pupil the purposes' import of the same file adds (counted, not errors).
    """
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
    added: dict[tuple[str, ...], int] = {}  # a new pupil's identity -> their id in the plan (below 0)
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
        if not found and line in adding:
            plan.for_new_pupils += 1
            continue
        if not found:
            new_id = _new_pupil(plan, added, row)
            if new_id is None:
                continue  # the row's error is in the plan
            found = [new_id]
        if len(found) != 1:
            plan.errors.append(RowError(line, "", "several pupils here match: add the MIS id"))
            continue
        given_on = row.given_on or today
        entry = EventEntry(line, found[0], _STATUS[status], given_on, values.get("given_by", ""))
        if (entry.pupil_id, entry.status, entry.given_on) in held:
            plan.held += 1
            continue
        held.add((entry.pupil_id, entry.status, entry.given_on))
        plan.entries.append(entry)
    return plan


def _new_pupil(plan: EventImportPlan, added: dict[tuple[str, ...], int], row: _Row) -> int | None:
    """The plan's id (below 0) of the pupil a row adds; None, with the row's error in the plan, when it cannot."""
    values = row.values
    mis, adno = values.get("mis_id", ""), values.get("adno", "")
    if not (mis or adno or row.date_of_birth or row.year):
        why = "no pupil here matches, and the row has only a name: add the MIS id, date of birth or year group"
        plan.errors.append(RowError(row.line, "", why))
        return None
    if mis or adno:
        identity: tuple[str, ...] = ("id", (mis or adno).casefold())
    else:
        identity = ("name", name_key(row.name), str(row.date_of_birth or ""), row.year or "")
    if identity not in added:
        pupil = Pupil(
            name=row.name,
            preferred_name=values.get("preferred_name", ""),
            year_group=row.year or "",
            form=values.get("form", ""),
            mis_id=mis,
            admission_no=adno if mis else "",
            date_of_birth=row.date_of_birth,
        )
        if not mis and adno:
            pupil.mis_id = adno  # the admission number is the only id: it is the MIS id (as the importer does)
        try:
            pupil.validate()
        except InvalidInput as error:
            plan.errors.append(RowError(row.line, row.columns.get(error.field or "", ""), str(error)))
            return None
        plan.new_pupils.append(pupil)
        added[identity] = -len(plan.new_pupils)
    return added[identity]


def apply_event_import(session: Session, plan: EventImportPlan) -> str:
    """Add the plan's new pupils and record its decisions in one commit; the sentence to show."""
    if plan.event.id is None:
        raise InvalidInput("This event has not been stored yet.", "event")
    with session.transaction():
        get_event(session, plan.event.id)  # still there
        ids = {
            -n: session.repo(Pupil).add(pupil, summary="pupil added by an event consent import").id or 0
            for n, pupil in enumerate(plan.new_pupils, 1)
        }
        groups: dict[tuple[EventStatus, date, str], list[int]] = defaultdict(list)
        for entry in plan.entries:
            groups[(entry.status, entry.given_on, entry.given_by)].append(ids.get(entry.pupil_id, entry.pupil_id))
        for (status, given_on, given_by), pupils in groups.items():
            record_event_decisions(
                session, plan.event.id, pupils, status, given_on, given_by, source=f"import {plan.digest[:12]}"
            )
    added = f"; {count_of(len(plan.new_pupils), 'new pupil')} added" if plan.new_pupils else ""
    return f"Imported for {plan.event.name}: {count_of(len(plan.entries), 'decision')} recorded{added}."


# --------------------------------------------------------------------- a wide file's event columns


def plan_event_columns(session: Session, data: bytes, plan: ImportPlan) -> list[EventImportPlan]:
    """For each column of `plan`'s file mapped to an event, what importing it would record.

    The column is read as a file about one consent: the purposes' columns and the other events'
    are left out; the pupil columns, dates and "given by" are read as for the purposes.
    """
    out = []
    for header, name in plan.events.items():
        event = find_event(session, name)
        if event is None:
            names = ", ".join(e.name for e in list_events(session)) or "none recorded yet"
            raise InvalidInput(
                f"The column '{header}' is mapped to the event '{name}', which is not recorded (events: {names}). "
                "Add it first (safedesk consents event add, or e on the consents screen).",
                "map",
            )
        mapping = {h: c for h, c in plan.mapping.items() if h not in plan.events}
        mapping.update({plan.columns[k]: IGNORE for k in PURPOSE_COLUMNS if k in plan.columns})
        mapping.update({h: IGNORE for h in plan.events})
        mapping[header] = "status"
        adding = frozenset(r.line for r in plan.new)
        event_plan = plan_event_import(session, data, event, mapping, adding)
        event_plan.header = header
        out.append(event_plan)
    return out


def apply_with_events(
    session: Session, plan: ImportPlan, data: bytes, *, valid_only: bool = False
) -> tuple[ImportOutcome, list[str]]:
    """The purposes' import, then each event column's decisions, in one commit.

    The event columns are planned again after the pupils are added, so a pupil new in this file
    gets their decisions too; only decisions not already recorded are added.
    """
    if hashlib.sha256(data).hexdigest() != plan.sha256:
        raise InvalidInput("The file is not the one previewed: read it again.", "file")
    with session.transaction():
        outcome = apply_import(session, plan, valid_only=valid_only)
        sentences = []
        for event_plan in plan_event_columns(session, data, plan):
            if event_plan.errors and not valid_only:
                raise InvalidInput(
                    f"Nothing was imported: {count_of(len(event_plan.errors), 'row')} for {event_plan.event.name} have errors.",
                    "file",
                )
            sentences.append(apply_event_import(session, event_plan))
    return outcome, sentences
