"""Working with incidents: create, amend, status, actions, escalations, notes, lists.

Every function here writes the change and its chronology entry (and the audit
entry, through the repository) in one transaction.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from safedesk.store.engine.db import Documents
from safedesk.store.engine.records import R, utcnow
from safedesk.store.engine.session import Session
from safedesk.store.errors import InvalidInput, NotAllowed
from safedesk.store.incidents.records import (
    CLOCK_SLACK,
    ESCALATION_TARGETS,
    FLAGS,
    REF,
    STATUSES,
    Action,
    ChronologyEntry,
    Escalation,
    Incident,
    Person,
)
from safedesk.store.registry import AttentionItem
from safedesk.store.text.dates import local_midnight, show_date, to_local_date

# Fields a DSL may amend on a saved incident (status has its own step).
AMENDABLE = (
    "title", "reported_at", "occurred_at", "reported_by", "platform", "urls", "where_seen", "description", "people",
    "risk_row", "risk_column", "severity", "flags", "outcome", "lessons", "review_date", "retention_date",
    "harm_categories", "harm_tests", "parents_informed_at", "parents_informed_by", "adult_aware",
)  # fmt: skip
FIELD_LABELS = {
    "title": "title",
    "reported_at": "reported at",
    "occurred_at": "occurred at",
    "reported_by": "reported by",
    "platform": "platform",
    "urls": "web addresses",
    "where_seen": "where it was seen",
    "description": "description",
    "people": "people involved",
    "risk_row": "risk row",
    "risk_column": "risk column",
    "severity": "severity",
    "flags": "flags",
    "outcome": "outcome",
    "lessons": "lessons learned",
    "review_date": "review date",
    "retention_date": "retention date",
    "harm_categories": "category of harm",
    "harm_tests": "harm test",
    "parents_informed_at": "parents informed at",
    "parents_informed_by": "parents informed by",
    "adult_aware": "adult aware",
}
# What to do with an incident's open actions when it closes.
OPEN_ACTION_CHOICES = {"not_needed": "Mark them not needed", "keep": "Keep them open"}
CLOSED_ACTION_REASON = "Incident closed"
DUE_SOON_DAYS = 3
# Playbook sections that become checklist actions ("Do not" is advice, not a task).
CHECKLIST_SECTIONS = ("Do now", "Record", "Escalate", "Follow-up")


def checklist_from(playbook_ids: Sequence[str]) -> list[Action]:
    """The main playbook's steps as open actions, each tagged with where it came from."""
    from safedesk.content.library import default_library

    card = default_library().cards.get(playbook_ids[0]) if playbook_ids else None
    if card is None:
        return []
    sections = card.sections()
    return [
        Action(incident_id=0, text=step, source=f"{card.id}: {name}")
        for name in CHECKLIST_SECTIONS
        for step in sections.get(name, [])
    ]


@dataclass(slots=True)
class IncidentRow:
    """What the list screen needs of an incident, read straight from the stored document.

    Not frozen: a frozen dataclass's __init__ costs ~20 us, 100 ms for 5,000 rows.
    """

    id: int
    ref: str
    title: str
    reported: str  # ISO 8601 in UTC: sorts and compares as text, parsed only when shown
    platform: str
    status: str
    severity: str
    flags: tuple[str, ...]
    haystack: str  # title and description, case-folded, for searching


def _actor(session: Session) -> str:
    return session.user.name if session.user else "unknown"


def _today() -> date:
    return to_local_date(utcnow())


class IncidentLog:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.incidents = session.repo(Incident)
        self.entries = session.repo(ChronologyEntry)
        self.action_repo = session.repo(Action)
        self.escalation_repo = session.repo(Escalation)

    # ----------------------------------------------------------------- creating

    def next_ref(self, year: int) -> str:
        numbers = [
            int(match.group(2))
            for doc in self._raw("incidents").values()
            if (match := REF.match(doc.get("ref", ""))) and int(match.group(1)) == year
        ]
        return f"INC-{year}-{max(numbers, default=0) + 1:04d}"

    def create(
        self,
        incident: Incident,
        actions: Sequence[Action] = (),
        triage_answers: Sequence[tuple[str, str]] = (),
    ) -> Incident:
        """Store a new incident with its first chronology entries and checklist actions."""
        incident = dataclasses.replace(incident, ref="", created_at=utcnow(), created_by=_actor(self.session), status="open")
        incident = incident.cleaned()
        incident.validate()
        with self.session.transaction():
            incident.ref = self.next_ref(to_local_date(incident.reported_at).year)
            stored = self.incidents.add(incident, summary="incident created")
            assert stored.id is not None
            self._entry(stored.id, "created", f"Incident {stored.ref} recorded: {stored.title}")
            if triage_answers:
                lines = "\n".join(f"{question} {answer}" for question, answer in triage_answers)
                self._entry(stored.id, "triage", f"Triage answers:\n{lines}", {"answers": [list(a) for a in triage_answers]})
            for action in actions:
                self.action_repo.add(dataclasses.replace(action, incident_id=stored.id), summary="checklist action added")
            if actions:
                self._entry(stored.id, "action", f"{len(actions)} checklist action(s) added from the playbook")
        return stored

    # ----------------------------------------------------------------- reading

    def get(self, incident_id: int) -> Incident:
        return self.incidents.get(incident_id)

    def by_ref(self, ref: str) -> Incident:
        """The incident with this reference (any case), or one sentence saying there is none."""
        wanted = ref.strip().casefold()
        for row in self.rows():
            if row.ref.casefold() == wanted:
                return self.get(row.id)
        raise InvalidInput(f"No incident with reference {ref.strip()[:30]} in this store.", "incident")

    def _raw(self, table: str) -> Documents:
        return self.session.scan(table)

    def rows(self) -> list[IncidentRow]:
        rows = []
        for doc_id, doc in self._raw("incidents").items():
            rows.append(
                IncidentRow(
                    id=int(doc_id),
                    ref=doc["ref"],
                    title=doc["title"],
                    reported=doc["reported_at"],
                    platform=doc.get("platform", "other"),
                    status=doc.get("status", "open"),
                    severity=doc.get("severity", "medium"),
                    flags=tuple(doc.get("flags", ())),
                    haystack=f"{doc['ref']} {doc['title']} {doc.get('description', '')}".casefold(),
                )
            )
        return rows

    def _children(self, cls: type[R], incident_id: int) -> list[R]:
        raw = self._raw(cls.TABLE)
        return [cls.from_doc(doc, int(doc_id)) for doc_id, doc in raw.items() if doc.get("incident_id") == incident_id]

    def chronology(self, incident_id: int) -> list[ChronologyEntry]:
        # In the order things happened: a note written up later sits where its event belongs.
        return sorted(self._children(ChronologyEntry, incident_id), key=lambda e: (e.when, e.at, e.id or 0))

    def actions(self, incident_id: int) -> list[Action]:
        return sorted(self._children(Action, incident_id), key=lambda a: a.id or 0)

    def escalations(self, incident_id: int) -> list[Escalation]:
        return sorted(self._children(Escalation, incident_id), key=lambda e: e.at)

    # ----------------------------------------------------------------- changing

    def _entry(
        self,
        incident_id: int,
        kind: str,
        text: str,
        detail: dict[str, Any] | None = None,
        happened_at: datetime | None = None,
    ) -> ChronologyEntry:
        entry = ChronologyEntry(
            incident_id=incident_id,
            at=utcnow(),
            by=_actor(self.session),
            kind=kind,
            text=text,
            detail=detail or {},
            happened_at=happened_at,
        )
        return self.entries.add(entry, summary=f"chronology: {kind}")

    def amend(self, incident_id: int, changes: dict[str, Any], reason: str) -> Incident:
        """Change saved fields; each change is kept in the chronology with its old value and the reason."""
        unknown = set(changes) - set(AMENDABLE)
        if unknown:
            raise NotAllowed(f"These cannot be amended here: {', '.join(sorted(unknown))}.")
        current = self.get(incident_id)
        updated = dataclasses.replace(current, **changes).cleaned()
        before, after = current.to_doc(), updated.to_doc()
        changed = [name for name in changes if before[name] != after[name]]
        if not changed:
            return current
        if not reason.strip():
            raise InvalidInput("Say why you are changing what was recorded (the reason is kept with the change).", "reason")
        updated.validate()
        with self.session.transaction():
            self.incidents.save(updated, summary=f"incident amended: {', '.join(changed)}")
            for name in changed:
                self._entry(
                    incident_id,
                    "amended",
                    f"Amended {FIELD_LABELS[name]}. Reason: {reason.strip()}",
                    {"field": name, "old": before[name], "new": after[name], "reason": reason.strip()},
                )
        return updated

    def set_status(
        self,
        incident_id: int,
        status: str,
        outcome: str = "",
        note: str = "",
        *,
        lessons: str = "",
        open_actions: str | None = "keep",
    ) -> Incident:
        """Change the status; closing records the outcome (and lessons learned).

        open_actions says what closing does to the incident's open actions: "not_needed" closes
        each with a reason, "keep" leaves them open; None (not yet decided) is refused while any
        is open, so a form can ask.
        """
        if status not in STATUSES:
            raise InvalidInput("Choose open, monitoring or closed.", "status")
        current = self.get(incident_id)
        if status == current.status:
            return current
        still_open = [a for a in self.actions(incident_id) if a.open] if status == "closed" else []
        if still_open and open_actions not in OPEN_ACTION_CHOICES:
            raise InvalidInput(
                f"This incident has {len(still_open)} open action(s): mark them not needed or keep them open.",
                "open_actions",
            )
        updated = dataclasses.replace(
            current, status=status, outcome=outcome.strip() or current.outcome, lessons=lessons.strip() or current.lessons
        ).cleaned()
        updated.validate()
        with self.session.transaction():
            self.incidents.save(updated, summary=f"incident status {status}")
            text = f"Status: {STATUSES[current.status]} -> {STATUSES[status]}"
            # Each part its own sentence: a typed full stop is not doubled ("four days.. Lessons").
            if outcome.strip() and outcome.strip() != current.outcome:
                text += f". Outcome: {outcome.strip().rstrip('.')}"
            if lessons.strip() and lessons.strip() != current.lessons:
                text += f". Lessons learned: {lessons.strip().rstrip('.')}"
            if note.strip():
                text += f". Note: {note.strip()}"
            self._entry(incident_id, "status", text, {"old": current.status, "new": status})
            if still_open and open_actions == "not_needed":
                for action in still_open:
                    action.not_needed_reason = CLOSED_ACTION_REASON
                    self.action_repo.save(action, summary="action not needed")
                self._entry(
                    incident_id,
                    "action_done",
                    f"{len(still_open)} open action(s) marked not needed: incident closed",
                    {"action_ids": [a.id for a in still_open]},
                )
        return updated

    def add_note(self, incident_id: int, text: str, happened_at: datetime | None = None) -> ChronologyEntry:
        """A dated note in the chronology: a conversation, a decision, a call.

        happened_at is when it took place, for a note written up afterwards (None: now).
        """
        if not text.strip():
            raise InvalidInput("Write the note first.", "note")
        if happened_at is not None and happened_at > utcnow() + CLOCK_SLACK:
            raise InvalidInput("That time is in the future.", "happened_at")
        self.get(incident_id)
        with self.session.transaction():
            return self._entry(incident_id, "note", text.strip(), happened_at=happened_at)

    def add_person(self, incident_id: int, person: Person, note: str = "") -> Incident:
        """Add a person involved: its own chronology entry (not an amendment of what was recorded)."""
        person.check()
        current = self.get(incident_id)
        updated = dataclasses.replace(current, people=(*current.people, person)).cleaned()
        updated.validate()
        with self.session.transaction():
            self.incidents.save(updated, summary="person added")
            text = f"Person added: {updated.people[-1].label}"
            if note.strip():
                text += f". Note: {note.strip()}"
            self._entry(incident_id, "person", text, {"person": len(updated.people) - 1})
        return updated

    # ----------------------------------------------------------------- actions

    def add_action(self, action: Action) -> Action:
        self.get(action.incident_id)
        with self.session.transaction():
            stored = self.action_repo.add(action, summary="action added")
            due = f" (due {show_date(stored.due)})" if stored.due else ""
            owner = f" for {stored.owner}" if stored.owner else ""
            self._entry(action.incident_id, "action", f"Action added{owner}{due}: {stored.text}", {"action_id": stored.id})
        return stored

    def complete_action(self, action_id: int, note: str = "") -> Action:
        action = self.action_repo.get(action_id)
        if not action.open:
            raise NotAllowed("That action is already closed.")
        action.done_at = utcnow()
        action.done_by = _actor(self.session)
        action.note = note.strip() or action.note
        with self.session.transaction():
            self.action_repo.save(action, summary="action done")
            extra = f" ({note.strip()})" if note.strip() else ""
            self._entry(action.incident_id, "action_done", f"Done: {action.text}{extra}", {"action_id": action_id})
        return action

    def reopen_action(self, action_id: int) -> Action:
        """Untick a done (or not needed) action: open again, the earlier closing kept in the chronology."""
        action = self.action_repo.get(action_id)
        if action.open:
            raise NotAllowed("That action is still open.")
        was = "done" if action.done_at else "not needed"
        action.done_at, action.done_by, action.not_needed_reason = None, "", ""
        with self.session.transaction():
            self.action_repo.save(action, summary="action reopened")
            self._entry(action.incident_id, "action", f"Open again (was {was}): {action.text}", {"action_id": action_id})
        return action

    def action_not_needed(self, action_id: int, reason: str) -> Action:
        action = self.action_repo.get(action_id)
        if not action.open:
            raise NotAllowed("That action is already closed.")
        if not reason.strip():
            raise InvalidInput("Say why this action is not needed.", "reason")
        action.not_needed_reason = reason.strip()
        with self.session.transaction():
            self.action_repo.save(action, summary="action not needed")
            self._entry(
                action.incident_id,
                "action_done",
                f"Not needed: {action.text}. Reason: {reason.strip()}",
                {"action_id": action_id},
            )
        return action

    def reschedule_action(self, action_id: int, owner: str, due: date | None, reason: str = "") -> Action:
        action = self.action_repo.get(action_id)
        if action.owner == owner.strip() and action.due == due:
            return action
        before = f"{action.owner or 'no owner'}, due {show_date(action.due) or 'none'}"
        action.owner, action.due = owner.strip(), due
        with self.session.transaction():
            self.action_repo.save(action, summary="action owner or due date changed")
            after = f"{action.owner or 'no owner'}, due {show_date(action.due) or 'none'}"
            why = f". Reason: {reason.strip()}" if reason.strip() else ""
            self._entry(
                action.incident_id, "amended", f"Action '{action.text}': {before} -> {after}{why}", {"action_id": action_id}
            )
        return action

    # ----------------------------------------------------------------- escalations

    def escalate(self, escalation: Escalation) -> Escalation:
        self.get(escalation.incident_id)
        escalation = dataclasses.replace(escalation, by=_actor(self.session))
        with self.session.transaction():
            stored = self.escalation_repo.add(escalation, summary="escalation recorded")
            parts = [f"Escalated to {ESCALATION_TARGETS[stored.target]}"]
            if stored.contact_name:
                parts.append(f"contact {stored.contact_name}")
            if stored.reference:
                parts.append(f"reference {stored.reference}")
            text = ", ".join(parts) + (f". Result: {stored.result}" if stored.result else "")
            # Dated when it was made when that was a while ago (recorded afterwards, and marked so);
            # one made just now keeps the recording time, so it never sorts above the incident's creation.
            later = utcnow() - stored.at > ChronologyEntry.BACKDATED_AFTER
            self._entry(
                escalation.incident_id, "escalation", text, {"escalation_id": stored.id}, happened_at=stored.at if later else None
            )
        return stored

    # ----------------------------------------------------------------- attention

    def open_actions(self) -> list[Action]:
        return [
            Action.from_doc(doc, int(i))
            for i, doc in self._raw(Action.TABLE).items()
            if not doc.get("done_at") and not doc.get("not_needed_reason")
        ]


_SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}
# Every order ends with the time then the reference: incidents reported in the same minute
# (a batch typed up after a busy day) keep one order from one refresh to the next.
SORTS = {
    "newest": ("Newest first", lambda r: (r.reported, r.ref), True),
    "oldest": ("Oldest first", lambda r: (r.reported, r.ref), False),
    "ref": ("Reference", lambda r: r.ref, False),
    "status": ("Status", lambda r: (r.status, r.reported, r.ref), False),
    "severity": ("Most severe first", lambda r: (_SEVERITY_RANK.get(r.severity, 9), r.reported, r.ref), False),
}


_WORD = re.compile(r"\w+")


def _one_edit_apart(a: str, b: str) -> bool:
    """Whether `b` is `a` with one letter changed, added, dropped, or two neighbours swapped."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diffs) <= 1 or (
            len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1 :]


def found(word: str, haystack: str) -> bool:
    """`word` is in `haystack`, or (from four letters on) a word there is one typo away from it."""
    if word in haystack:
        return True
    if len(word) < 4:
        return False  # a short word one edit away matches far too much
    return any(_one_edit_apart(word, candidate) for candidate in _WORD.findall(haystack))


@dataclass(frozen=True)
class RowFilter:
    text: str = ""
    status: str = ""  # "" any, "active" not closed, or a status
    flag: str = ""
    platform: str = ""
    since: date | None = None
    sort: str = "newest"

    def apply(self, rows: Iterable[IncidentRow]) -> list[IncidentRow]:
        words = self.text.casefold().split()
        since = local_midnight(self.since).isoformat() if self.since else None
        out = [
            row
            for row in rows
            if (not self.status or (row.status != "closed" if self.status == "active" else row.status == self.status))
            and (not self.flag or self.flag in row.flags)
            and (not self.platform or row.platform == self.platform)
            and (since is None or row.reported >= since)
            and all(found(word, row.haystack) for word in words)
        ]
        _label, key, reverse = SORTS.get(self.sort, SORTS["newest"])
        return sorted(out, key=key, reverse=reverse)


def flag_labels(flags: Iterable[str]) -> str:
    return ", ".join(FLAGS.get(f, f) for f in flags)


def incident_attention(session: Session) -> Iterable[AttentionItem]:
    # Straight from the stored documents: dates compare as ISO text, records are decoded only to show.
    today = _today()
    soon = (today + timedelta(days=DUE_SOON_DAYS)).isoformat()
    now = today.isoformat()
    incidents = session.scan(Incident.TABLE)
    for doc in session.scan(Action.TABLE).values():
        due = doc.get("due")
        if not due or due > soon or doc.get("done_at") or doc.get("not_needed_reason"):
            continue
        incident_id = doc["incident_id"]
        if incidents.get(str(incident_id), {}).get("status") == "closed":
            continue  # a closed incident's actions were kept open on purpose: they are not due work
        ref = incidents.get(str(incident_id), {}).get("ref", "?")
        target = f"incidents/{incident_id}"
        shown = show_date(date.fromisoformat(due))
        if due < now:
            yield AttentionItem("overdue", f"{ref}: action overdue since {shown}: {doc['text']}", "incidents", target)
        else:
            yield AttentionItem("due soon", f"{ref}: action due {shown}: {doc['text']}", "incidents", target)
    for row_id, doc in incidents.items():
        review = doc.get("review_date")
        if doc.get("status") == "closed" or not review or review > soon:
            continue
        target = f"incidents/{row_id}"
        shown = show_date(date.fromisoformat(review))
        if review < now:
            yield AttentionItem("overdue", f"{doc['ref']}: review was due {shown}", "incidents", target)
        else:
            yield AttentionItem("due soon", f"{doc['ref']}: review due {shown}", "incidents", target)
