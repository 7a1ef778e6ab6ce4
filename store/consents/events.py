"""Event-specific consent: a trip or a performance with its own dates, checked like a purpose.

An event holds the decisions given for it, one pupil at a time, as a history that only
grows (like a pupil's consents). The current decision for a pupil is the latest given:
ordered by the date given, then by when it was recorded, so a decision older than the
latest one (a late paper slip) is kept but never becomes current. The consent applies
only from the event's first to its last day: outside them the check says so and stops.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar, NamedTuple

from safedesk.store.consents.check import REASON_ORDER, CheckResult, Verdict, own_view_note, possible_duplicates
from safedesk.store.consents.pupils import (
    PupilIndex,
    PupilRow,
    consent_register_export,
    count_of,
    fold,
    format_date,
    name_key,
    pupil_index,
    year_order,
)
from safedesk.store.engine.records import Record, require, utcnow
from safedesk.store.errors import InvalidInput, RecordNotFound
from safedesk.store.text.clean import clean_text
from safedesk.store.text.dates import local_today
from safedesk.store.text.limits import Kind
from safedesk.store.text.markdown import md_cell

if TYPE_CHECKING:
    from safedesk.store.consents.pupils import Export
    from safedesk.store.engine.session import Session

MAX_EVENT_NAME = 60


class EventStatus(StrEnum):
    GRANTED = "granted"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, kw_only=True)
class EventDecision:
    """One decision for one pupil about one event: what, given when and by whom, recorded when."""

    LIMITS: ClassVar[dict[str, Kind]] = {"given_by": Kind.NAME, "recorded_by": Kind.NAME}

    pupil_id: int
    status: EventStatus
    given_on: date
    given_by: str = ""
    recorded_at: datetime
    recorded_by: str = ""
    source: str = "screen"


@dataclass(kw_only=True)
class ConsentEvent(Record):
    """A trip, performance or other event with its own consent and its own date range."""

    LIMITS: ClassVar[dict[str, Kind]] = {"name": Kind.NAME}

    TABLE: ClassVar[str] = "consent_events"

    name: str
    starts_on: date
    ends_on: date
    note: str = ""
    decisions: tuple[EventDecision, ...] = ()

    def validate(self) -> None:
        require(bool(self.name.strip()), "Enter the event's name (the trip or performance).", "name")
        require(len(self.name) <= MAX_EVENT_NAME, f"Keep the name under {MAX_EVENT_NAME} characters.", "name")
        require(self.ends_on >= self.starts_on, "The end date is before the start date.", "ends_on")
        require(len(self.note) <= 200, "Keep the note under 200 characters.", "note")
        for decision in self.decisions:
            require(decision.given_on <= local_today(), "The date given is in the future.", "given_on")
            require(len(decision.given_by) <= 80, "Keep the name of who gave it under 80 characters.", "given_by")

    def applies(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on

    @property
    def dates(self) -> str:
        if self.starts_on == self.ends_on:
            return format_date(self.starts_on)
        return f"{format_date(self.starts_on)} to {format_date(self.ends_on)}"

    def current(self) -> dict[int, EventDecision]:
        """Each pupil's decision in force: the latest given; on the same day, the one recorded later."""
        out: dict[int, EventDecision] = {}
        # By when recorded on a tie, not list order: decisions merged from a handover keep their own times.
        for decision in sorted(self.decisions, key=lambda d: (d.given_on, d.recorded_at)):
            out[decision.pupil_id] = decision
        return out

    def history(self, pupil_id: int) -> list[EventDecision]:
        """One pupil's decisions for this event, oldest given first."""
        return sorted((d for d in self.decisions if d.pupil_id == pupil_id), key=lambda d: (d.given_on, d.recorded_at))


# --------------------------------------------------------------------- reading


def list_events(session: Session) -> list[ConsentEvent]:
    """Every event, the latest first."""
    return sorted(session.repo(ConsentEvent).all(), key=lambda e: (e.starts_on, e.ends_on, e.id or 0), reverse=True)


def find_event(session: Session, text: str) -> ConsentEvent | None:
    """The event with this name (case, accents and spacing ignored), or None."""
    key = name_key(text)
    return next((e for e in session.repo(ConsentEvent).all() if name_key(e.name) == key), None)


def get_event(session: Session, event_id: int) -> ConsentEvent:
    return session.repo(ConsentEvent).get(event_id)


def pupil_events(session: Session, pupil_id: int) -> list[tuple[ConsentEvent, list[EventDecision]]]:
    """The events with a decision for this pupil, the latest event first, each with the pupil's history.

    The last decision of each history is the one in force (the latest given, then recorded).
    """
    out = []
    for event in list_events(session):
        history = event.history(pupil_id)
        if history:
            out.append((event, history))
    return out


# --------------------------------------------------------------------- writing


def add_event(session: Session, event: ConsentEvent) -> ConsentEvent:
    """Store a new event; its name must be new, and not the name of a purpose or channel."""
    from safedesk.store.consents.check import purposes_for

    event = dataclasses.replace(event, name=clean_text(event.name), note=clean_text(event.note), decisions=())
    event.validate()
    require(find_event(session, event.name) is None, "Another event already has this name.", "name")
    try:
        purposes_for([event.name])
    except InvalidInput:
        pass
    else:
        raise InvalidInput("That is the name of a purpose or channel: give the event its own name.", "name")
    return session.repo(ConsentEvent).add(event, summary="consent event added")


def record_event_decisions(
    session: Session,
    event_id: int,
    pupil_ids: Sequence[int],
    status: EventStatus,
    given_on: date,
    given_by: str = "",
    source: str = "screen",
) -> ConsentEvent:
    """Append one decision per pupil (granted, refused or withdrawn, given on `given_on`)."""
    if not pupil_ids:
        raise InvalidInput("Tick at least one pupil.", "pupils")
    require(given_on <= local_today(), "The date given is in the future: enter the date on the slip or message.", "given_on")
    event = get_event(session, event_id)
    index = pupil_index(session)
    missing = [i for i in pupil_ids if i not in index.by_id]
    if missing:
        raise RecordNotFound("A pupil chosen is no longer stored.")
    now = utcnow()
    added = tuple(
        EventDecision(
            pupil_id=i,
            status=status,
            given_on=given_on,
            given_by=clean_text(given_by),
            recorded_at=now,
            recorded_by=session.actor,
            source=source,
        )
        for i in dict.fromkeys(pupil_ids)
    )
    updated = dataclasses.replace(event, decisions=event.decisions + added)
    updated.validate()
    n = len(added)
    return session.repo(ConsentEvent).save(updated, f"event consent: {n} decision{'s' if n != 1 else ''} recorded")


# --------------------------------------------------------------------- the check


def _event_problem(event: ConsentEvent, decision: EventDecision | None) -> tuple[str, str] | None:
    if decision is None:
        return "not-recorded", f"no consent recorded for {event.name}"
    if decision.status is EventStatus.WITHDRAWN:
        return "withdrawn", f"consent for {event.name} withdrawn on {format_date(decision.given_on)}"
    if decision.status is EventStatus.REFUSED:
        return "refused", f"consent for {event.name} refused"
    return None


def check_event(
    event: ConsentEvent, rows: Sequence[PupilRow], today: date | None = None, index: PupilIndex | None = None
) -> CheckResult:
    """PASS only on the event's dates, for pupils with a current grant and no never-publish flag.

    Outside the dates every pupil stops with the reason: the event's consent does not apply then.
    With the `index`, another record that may be the same child must be cleared too.
    """
    today = today or local_today()
    current = event.current()
    outside = (
        "" if event.applies(today) else f"{event.name} runs {event.dates}: its consent does not apply on {format_date(today)}"
    )

    def one(row: PupilRow) -> Verdict:
        problems: list[tuple[str, str]] = []
        if row.never_publish is not None:
            problems.append(("never-publish", "on the never-publish list: no image, for any purpose"))
        problem = _event_problem(event, current.get(row.id))
        if problem:
            problems.append(problem)
        note = own_view_note(row.date_of_birth, today)
        if outside:
            return Verdict(row.id, row.display_name, row.form, "not-recorded", outside, note)
        if not problems:
            return Verdict(row.id, row.display_name, row.form, "cleared", "", note)
        code, reason = min(problems, key=lambda p: REASON_ORDER.index(p[0]))
        return Verdict(row.id, row.display_name, row.form, code, reason, note)

    verdicts = []
    for row in rows:
        own = one(row)
        if own.cleared and index is not None:
            for other in possible_duplicates(index, row):
                theirs = one(other)
                if not theirs.cleared:
                    reason = f"another record with this name, not told apart, says: {theirs.reason}; check whether it is the same child"
                    own = Verdict(row.id, row.display_name, row.form, theirs.code, reason, own.note)
                    break
        verdicts.append(own)
    return CheckResult((), tuple(verdicts), today, what=event.name)


# --------------------------------------------------------------------- lists


class EventLine(NamedTuple):
    """One pupil's current decision for an event, for the event's list and the register."""

    row: PupilRow
    decision: EventDecision


def event_lines(event: ConsentEvent, index: PupilIndex) -> list[EventLine]:
    """Pupils with a decision for the event, by year, class and name."""
    lines = [EventLine(index.by_id[i], d) for i, d in event.current().items() if i in index.by_id]
    lines.sort(key=lambda e: (year_order(e.row.year_group), fold(e.row.form), e.row.name_key))
    return lines


def event_counts(event: ConsentEvent) -> dict[EventStatus, int]:
    counts = dict.fromkeys(EventStatus, 0)
    for decision in event.current().values():
        counts[decision.status] += 1
    return counts


def events_section(session: Session, today: date) -> list[str]:
    """The register's part about events: each event, its dates, and every pupil's current decision."""
    events = list_events(session)
    if not events:
        return []
    index = pupil_index(session)
    lines = ["", "## Event consents", ""]
    for event in events:
        counts = event_counts(event)
        when = "on now" if event.applies(today) else ("finished" if event.ends_on < today else "coming")
        lines += [
            f"### {md_cell(event.name)} ({event.dates}, {when})",
            "",
            *([md_cell(event.note), ""] if event.note else []),
            ", ".join(f"{status.value}: {n}" for status, n in counts.items()) + ".",
            "",
            "| Pupil | Year | Class | Decision | Given on |",
            "|---|---|---|---|---|",
        ]
        rows = event_lines(event, index)
        for line in rows:
            r = line.row
            lines.append(
                f"| {md_cell(r.display_name)} | {md_cell(r.year_group)} | {md_cell(r.form)} | "
                f"{line.decision.status.value} | {format_date(line.decision.given_on)} |"
            )
        if not rows:
            lines.append("| (no decisions recorded) | | | | |")
        lines.append("")
    return lines


def register_with_events(session: Session, today: date | None = None) -> Export:
    """The consent register with a section per event after the purposes."""
    today = today or local_today()
    export = consent_register_export(session, today)
    section = events_section(session, today)
    if not section:
        return export
    return dataclasses.replace(export, text=export.text + "\n".join(section))


def describe_count(event: ConsentEvent) -> str:
    counts = event_counts(event)
    return ", ".join(f"{count_of(n, 'pupil')} {s.value}" for s, n in counts.items() if n) or "no decisions yet"


# --------------------------------------------------------------------- handover


def events_for_handover(session: Session, pupil_ids: Sequence[int], today: date | None = None) -> list[ConsentEvent]:
    """The events still on or to come that hold decisions for these pupils, with only their decisions.

    A finished event's consent no longer applies to anything, so it stays behind.
    """
    today = today or local_today()
    wanted = set(pupil_ids)
    out = []
    for event in list_events(session):
        if event.ends_on < today:
            continue
        decisions = tuple(d for d in event.decisions if d.pupil_id in wanted)
        if decisions:
            out.append(dataclasses.replace(event, decisions=decisions))
    return out


def _same_decision(d: EventDecision) -> tuple[int, str, date, str, datetime]:
    return (d.pupil_id, d.status.value, d.given_on, d.given_by, d.recorded_at)


def merge_handover_event(session: Session, incoming: ConsentEvent, pupil_ids: dict[int, int], source: str) -> int:
    """Add an event's decisions from a handover; returns how many were new here.

    The event here with the same name and dates takes them (each decision once, however often
    the file is imported); with none, the event is added (a name already used for other dates
    gets the first date after it). The pupils are renumbered by `pupil_ids` (sender's id ->
    id here). Decisions keep the date given and the time recorded, so one older than what is
    recorded here is history and never becomes current.
    """
    suffix = f" ({format_date(incoming.starts_on)})"
    dated = incoming.name[: MAX_EVENT_NAME - len(suffix)] + suffix
    keys = {name_key(incoming.name), name_key(dated)}
    here = next(
        (
            e
            for e in session.repo(ConsentEvent).all()
            if name_key(e.name) in keys and (e.starts_on, e.ends_on) == (incoming.starts_on, incoming.ends_on)
        ),
        None,
    )
    decisions = [
        dataclasses.replace(d, pupil_id=pupil_ids[d.pupil_id], source=source)
        for d in incoming.decisions
        if d.pupil_id in pupil_ids
    ]
    if here is None:
        name = incoming.name if find_event(session, incoming.name) is None else dated
        new = dataclasses.replace(incoming, id=None, name=name, decisions=tuple(decisions))
        new.validate()
        session.repo(ConsentEvent).add(new, summary=f"consent event added from a handover ({len(decisions)} decisions)")
        return len(decisions)
    known = {_same_decision(d) for d in here.decisions}
    fresh = [d for d in decisions if _same_decision(d) not in known]
    if fresh:
        session.repo(ConsentEvent).save(
            dataclasses.replace(here, decisions=here.decisions + tuple(fresh)),
            f"event consent: {len(fresh)} decision(s) merged from a handover",
        )
    return len(fresh)
