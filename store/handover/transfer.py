"""Encrypted handover: incident files and consent records to another DSL, the LADO or police.

Export writes one standard age file, encrypted with a passphrase the DSL tells
the receiver by another route. Inside is a zip (see safedesk.store.handover.bundle):
records as JSON, each evidence file's original bytes, a Markdown summary anyone
can read, and a manifest of SHA-256 hashes. The manifest's hash gives a short
receipt code. A `Transfer` record keeps what was sent, when and to whom.

Import decrypts, checks every member against the manifest and every record
against its type and rules, shows a preview, then adds the records beside what
is already here: nothing stored is ever overwritten. An incident whose reference
is already used here gets a new one, and both incidents say so in their
chronology. The importer is shown the receipt code to send back; entering it on
the sender's side (with the day it was confirmed) marks the transfer received.
Transfers waiting for a receipt are shown on the home screen, overdue once the
statutory clock has run: 5 school days by default, counted with the school's
terms and closure days (see safedesk.store.handover.calendar, which cites KCSIE)
from the day the pupil left when that is recorded (safedesk.store.handover.leavers),
else from the day the file was sent. A pupil recorded as left whose file has not
been sent shows as "transfer due" before anything is sent.

The age encryption runs in a child process (safedesk.store.handover.crypt); everything
else here is plain Python on the session.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar

from safedesk.store.consents.describe import resolve_pupil
from safedesk.store.consents.events import events_for_handover, merge_handover_event
from safedesk.store.consents.pupils import get_pupil, match_pupil, merge_pupil, pupil_index
from safedesk.store.engine.files import atomic_write, describe_os_error
from safedesk.store.engine.keys.passphrase import check_new_passphrase
from safedesk.store.engine.records import Record, require, utcnow
from safedesk.store.engine.session import Session
from safedesk.store.errors import InvalidInput, NotAllowed
from safedesk.store.handover import crypt as handover_crypt
from safedesk.store.handover import leavers
from safedesk.store.handover.bundle import (
    IMAGERY_FLAG,
    MAX_FILE_BYTES,
    Bundle,
    Contents,
    EvidenceItem,
    IncidentBundle,
    Manifest,
    normalise_code,
    pack,
    safe_member_name,
    unpack,
)
from safedesk.store.handover.calendar import SchoolCalendar, load_calendar
from safedesk.store.handover.summary import when, write_summary
from safedesk.store.incidents import evidence
from safedesk.store.incidents.about import incidents_about_pupil
from safedesk.store.incidents.evidence import Evidence, evidence_for
from safedesk.store.incidents.log import IncidentLog
from safedesk.store.incidents.records import REF, STATUSES, ChronologyEntry, Incident
from safedesk.store.registry import AttentionItem
from safedesk.store.text.dates import local_midnight, local_today, show_date, to_local_date
from safedesk.store.text.limits import Kind, limit
from safedesk.store.text.sizes import show_size

DIRECTIONS = {"sent": "Sent", "received": "Received"}


@dataclass(kw_only=True)
class Transfer(Record):
    """One handover file, sent from this store or received into it."""

    LIMITS: ClassVar[dict[str, Kind]] = {
        "receipt_code": Kind.REFERENCE,
        "by": Kind.NAME,
        "counterpart": Kind.NAME,
        "counterpart_person": Kind.NAME,
        "addressed_to": Kind.NAME,
        "incident_refs": Kind.REFERENCE,
        "receipt_by": Kind.NAME,
        "note": Kind.LONG,
    }

    TABLE: ClassVar[str] = "transfers"
    MULTILINE: ClassVar[frozenset[str]] = frozenset({"note"})

    direction: str  # "sent" or "received"
    receipt_code: str
    bundle_id: str
    at: datetime  # when it was exported, or imported, here
    by: str  # who did it here
    counterpart: str  # sent: the recipient (an organisation or role); received: the sending setting
    counterpart_person: str = ""  # received: who exported it
    addressed_to: str = ""  # received: the recipient as the sender wrote it
    note: str = ""  # why (e.g. "pupil moved school", "LADO request 12/03")
    file_name: str = ""
    file_sha256: str = ""  # of the encrypted file: proves which file this was
    size: int = 0
    incident_ids: tuple[int, ...] = ()  # here: the incidents sent, or as stored on import
    incident_refs: tuple[str, ...] = ()
    pupils: int = 0
    evidence_files: int = 0
    sent_at: datetime | None = None  # received: when the sender made it
    received_at: datetime | None = None  # sent: when the receipt code was entered; received: the import
    receipt_by: str = ""
    conflicts: tuple[str, ...] = ()  # received: what was kept side by side, one line each
    pupil_ids: tuple[int, ...] = ()  # the pupils whose files went (sent) or came (received), by their ids here
    left_on: date | None = None  # sent: the day the pupil left; the statutory clock counts from it

    def validate(self) -> None:
        require(self.direction in DIRECTIONS, "Unknown direction.", "direction")
        require(normalise_code(self.receipt_code) == self.receipt_code, "That is not a receipt code.", "receipt_code")
        require(
            bool(self.counterpart.strip()),
            "Say who it is for: an organisation or role, e.g. 'Oakwood Academy DSL' or 'LADO'.",
            "counterpart",
        )

    @property
    def pending(self) -> bool:
        return self.direction == "sent" and self.received_at is None

    def due_on(self, calendar: SchoolCalendar) -> date:
        """The last day for the transfer and its receipt: counted from the day the pupil left
        (in-year, or the start of the next term), or, with no leaving day, from the day it was sent."""
        if self.left_on is not None:
            return calendar.transfer_due(self.left_on)
        return calendar.add_school_days(to_local_date(self.at), calendar.transfer_days)

    def overdue(self, calendar: SchoolCalendar, today: date) -> bool:
        return self.pending and today > self.due_on(calendar)

    def school_days_late(self, calendar: SchoolCalendar, today: date) -> int:
        """School days past the due date (0 when not overdue, or overdue only by a weekend or holiday)."""
        if not self.pending:
            return 0
        return calendar.school_days_between(self.due_on(calendar), today)

    def contents_text(self) -> str:
        parts = [f"{len(self.incident_refs)} incident{'s' if len(self.incident_refs) != 1 else ''}"]
        if self.pupils:
            parts.append(f"{self.pupils} pupil{'s' if self.pupils != 1 else ''}")
        return ", ".join(parts)

    def state_text(self, calendar: SchoolCalendar | None = None, today: date | None = None) -> str:
        calendar = calendar or SchoolCalendar()
        today = today or local_today()
        if self.direction == "received":
            return "imported"
        if self.received_at is not None:
            return f"received {to_local_date(self.received_at):%d/%m}"
        if self.overdue(calendar, today):
            late = self.school_days_late(calendar, today)
            return f"OVERDUE {late} sch.d" if late else "OVERDUE"
        return "receipt not confirmed"


def _actor(session: Session) -> str:
    return session.user.name if session.user else "unknown"


def transfers(session: Session) -> list[Transfer]:
    """Every transfer, newest first."""
    return sorted(session.repo(Transfer).all(), key=lambda t: (t.at, t.id or 0), reverse=True)


# --------------------------------------------------------------------- choosing


@dataclass(frozen=True)
class Choice:
    """One incident or pupil that can go into a handover (for pickers and type-ahead)."""

    key: str  # "incident:3" or "pupil:7"
    label: str
    haystack: str  # case-folded words to filter on


@dataclass(frozen=True)
class Selection:
    incident_ids: tuple[int, ...] = ()
    pupil_ids: tuple[int, ...] = ()

    @classmethod
    def from_keys(cls, keys: Iterable[str]) -> Selection:
        incidents: list[int] = []
        pupils: list[int] = []
        for key in keys:
            kind, _, number = key.partition(":")
            (incidents if kind == "incident" else pupils).append(int(number))
        return cls(tuple(sorted(incidents)), tuple(sorted(pupils)))

    def __bool__(self) -> bool:
        return bool(self.incident_ids or self.pupil_ids)


def choices(session: Session) -> list[Choice]:
    """Incidents (newest first), then pupils (by name)."""
    out: list[Choice] = []
    for row in sorted(IncidentLog(session).rows(), key=lambda r: r.reported, reverse=True):
        reported = show_date(to_local_date(datetime.fromisoformat(row.reported)))
        label = f"{row.ref}  {reported}  {STATUSES.get(row.status, row.status):<10} {row.title}"
        out.append(Choice(f"incident:{row.id}", label, f"{row.ref} {row.title} {row.status}".casefold()))
    for pupil in sorted(pupil_index(session).rows, key=lambda r: r.name.casefold()):
        where = " ".join(part for part in (pupil.year_group, pupil.form) if part)
        label = f"Pupil: {pupil.display_name}" + (f" ({where})" if where else "")
        haystack = f"pupil {pupil.name} {pupil.preferred_name} {pupil.mis_id} {where}".casefold()
        out.append(Choice(f"pupil:{pupil.id}", label, haystack))
    return out


def filter_choices(options: Sequence[Choice], text: str) -> list[Choice]:
    words = text.casefold().split()
    return [c for c in options if all(word in c.haystack for word in words)]


def resolve_refs(session: Session, refs: Iterable[str]) -> tuple[int, ...]:
    """Incident ids for references typed on the command line."""
    by_ref = {row.ref.casefold(): row.id for row in IncidentLog(session).rows()}
    ids = []
    for ref in refs:
        if ref.strip().casefold() not in by_ref:
            raise InvalidInput(f"No incident with reference {ref.strip()[:30]} in this store.", "incident")
        ids.append(by_ref[ref.strip().casefold()])
    return tuple(sorted(set(ids)))


def resolve_pupils(session: Session, names: Iterable[str]) -> tuple[int, ...]:
    """Pupil ids for MIS ids or full names typed on the command line (each must name one pupil)."""
    return tuple(sorted({resolve_pupil(session, text) for text in names}))


# --------------------------------------------------------------------- export


@dataclass
class ExportPlan:
    """Everything to go into the file, read from the store (no evidence bytes yet)."""

    contents: Contents
    to: str
    note: str
    setting: str
    exported_by: str
    blobs: dict[str, Evidence] = field(default_factory=dict)  # member -> the stored item (to decrypt)
    left_on: date | None = None  # the day the pupils left, as given with this export (recorded with it)

    @property
    def evidence_files(self) -> int:
        return len(self.blobs)

    @property
    def withheld(self) -> int:
        return sum(1 for i in self.contents.incidents for e in i.evidence if e.withheld)

    def lines(self) -> list[str]:
        out = [
            f"{len(self.contents.incidents)} incident(s) with their chronology, actions, escalations and "
            f"{self.evidence_files} evidence file(s); {len(self.contents.pupils)} pupil(s) with consent history"
            + (
                f" and their decisions for {len(self.contents.events)} event(s) still on or to come."
                if self.contents.events
                else "."
            )
        ]
        if self.withheld:
            out.append(
                f"{self.withheld} evidence file(s) stay here: sexual imagery of a child is suspected in their "
                "incident, so the files are never copied (their record and hash go)."
            )
        return out


@dataclass(frozen=True)
class Packed:
    data: bytes  # the zip, before encryption
    manifest: Manifest

    @property
    def receipt_code(self) -> str:
        return self.manifest.receipt_code


def check_recipient(to: str, note: str) -> tuple[str, str]:
    """The cleaned recipient and purpose, or InvalidInput naming the field ('counterpart' or 'note')."""
    draft = Transfer(direction="sent", receipt_code="0000-0000-0000", bundle_id="", at=utcnow(), by="", counterpart=to, note=note)
    draft = draft.cleaned()
    draft.validate()
    return draft.counterpart, draft.note


def plan_export(session: Session, selection: Selection, to: str, note: str = "", left_on: date | None = None) -> ExportPlan:
    """What would go into the file for this recipient; InvalidInput names the field at fault.

    `left_on` is the day the chosen pupils left: recorded with the export, it starts the clock."""
    to, note = check_recipient(to, note)
    if left_on is not None:
        if not selection.pupil_ids:
            raise InvalidInput("The day the pupil left goes with a pupil's file: choose the pupil too.", "left")
        leavers.check_left_on(left_on)
    return dataclasses.replace(collect(session, selection), to=to, note=note, left_on=left_on)


def collect(session: Session, selection: Selection) -> ExportPlan:
    """The chosen records (recipient not yet known): what the screen summarises before asking for it."""
    if not selection:
        raise InvalidInput("Choose at least one incident or pupil to hand over.", "choice")
    log = IncidentLog(session)
    plan = ExportPlan(Contents(), "", "", session.setting().name, session.actor)
    # A child protection file is everything about the child: each chosen pupil brings every
    # incident with a person linked to them, beside any incidents chosen by reference.
    incident_ids = set(selection.incident_ids)
    for pupil_id in selection.pupil_ids:
        incident_ids.update(incidents_about_pupil(session, pupil_id))
    for incident_id in sorted(incident_ids):
        incident = log.get(incident_id)
        bundle = IncidentBundle(
            incident,
            chronology=log.chronology(incident_id),
            actions=log.actions(incident_id),
            escalations=log.escalations(incident_id),
        )
        for item in evidence_for(session, incident_id):
            copy = dataclasses.replace(item, blob="")  # the blob id means nothing in another store
            if item.kind != "file":
                bundle.evidence.append(EvidenceItem(copy))
            elif incident.has_flag(IMAGERY_FLAG):
                bundle.evidence.append(EvidenceItem(copy, None, withheld=True))
            else:
                member = safe_member_name(item.id or 0, item.file_name or item.title)
                plan.blobs[member] = item
                bundle.evidence.append(EvidenceItem(copy, member))
        plan.contents.incidents.append(bundle)
    if selection.pupil_ids:
        plan.contents.pupils = [get_pupil(session, pupil_id) for pupil_id in selection.pupil_ids]
        plan.contents.events = events_for_handover(session, selection.pupil_ids)
    return plan


def check_passphrase(session: Session, passphrase: str, confirmation: str | None = None) -> None:
    """The handover passphrase must be strong and must not open this store (the receiver will know it).

    Rated with the setting's and the key holders' names, which a guesser tries first."""
    check_new_passphrase(passphrase, confirmation, context=session.guessable_names())
    if session.passphrase_opens_store(passphrase):
        raise InvalidInput(
            "That passphrase opens this SafeDesk store: choose a different one for the handover (the receiver will know it).",
            "passphrase",
        )


def check_output(out: Path) -> Path:
    out = Path(out).expanduser()
    if out.exists():
        raise InvalidInput("A file with that name already exists there; choose another name.", "out")
    if not out.parent.is_dir():
        raise InvalidInput(f"There is no folder {out.parent}: check the path (or plug in the USB stick).", "out")
    return out


def build_bundle(session: Session, plan: ExportPlan) -> Packed:
    """Decrypt each evidence file and pack everything (no TinyDB access: safe in a worker thread)."""
    files = {member: evidence.decrypt(session, item) for member, item in plan.blobs.items()}
    created = utcnow()
    summary = write_summary(
        plan.contents, setting=plan.setting, exported_by=plan.exported_by, to=plan.to, note=plan.note, created_at=created
    )
    data, manifest = pack(
        plan.contents,
        files,
        summary,
        setting=plan.setting,
        exported_by=plan.exported_by,
        to=plan.to,
        note=plan.note,
        created=created,
    )
    return Packed(data, manifest)


def encrypt_to_file(packed: Packed, passphrase: str, out: Path) -> bytes:
    """Encrypt (in the child process) and write `out` atomically; returns the file's bytes."""
    ciphertext = handover_crypt.encrypt(packed.data, passphrase)
    out = check_output(out)
    try:
        atomic_write(out, ciphertext)
    except OSError as error:
        raise describe_os_error(error, "write the handover file") from None
    return ciphertext


def record_export(session: Session, plan: ExportPlan, packed: Packed, out: Path, ciphertext: bytes) -> Transfer:
    """The transfer record, chronology entries and audit line, after the file is written."""
    code = packed.receipt_code
    incidents = [item.incident for item in plan.contents.incidents]
    pupil_ids = tuple(p.id or 0 for p in plan.contents.pupils)
    transfer = Transfer(
        direction="sent",
        receipt_code=code,
        bundle_id=packed.manifest.bundle_id,
        at=utcnow(),
        by=_actor(session),
        counterpart=plan.to,
        note=plan.note,
        file_name=Path(out).name,
        file_sha256=hashlib.sha256(ciphertext).hexdigest(),
        size=len(ciphertext),
        incident_ids=tuple(i.id or 0 for i in incidents),
        incident_refs=tuple(i.ref for i in incidents),
        pupils=len(plan.contents.pupils),
        evidence_files=plan.evidence_files,
        pupil_ids=pupil_ids,
    )
    try:
        with session.transaction():
            if plan.left_on is not None:
                leavers.record_left(session, pupil_ids, plan.left_on)
            # A pupil recorded as left (now or before) makes this their file's transfer, on their clock.
            transfer = dataclasses.replace(transfer, left_on=leavers.left_on(session, pupil_ids))
            stored = session.repo(Transfer).add(transfer, summary="handover sent")
            for incident in incidents:
                _chronology(
                    session, incident.id or 0, f"Shared in an encrypted handover with {plan.to} (receipt code {code}).", stored
                )
            session.audit_event(
                "export.handover",
                f"handover exported: {len(incidents)} incident(s), {len(plan.contents.pupils)} pupil(s), "
                f"{plan.evidence_files} evidence file(s); receipt code {code}",
                f"{Transfer.TABLE}/{stored.id}",
            )
    except BaseException:
        Path(out).unlink(missing_ok=True)  # no record of it, so no file either
        raise
    return stored


def export_handover(
    session: Session,
    selection: Selection,
    *,
    to: str,
    passphrase: str,
    out: Path,
    note: str = "",
    confirmation: str | None = None,
    left_on: date | None = None,
) -> Transfer:
    """The whole export in one call (the CLI). The screen runs the same steps in a worker."""
    plan = plan_export(session, selection, to, note, left_on)
    out = check_output(out)
    check_passphrase(session, passphrase, confirmation)
    packed = build_bundle(session, plan)
    ciphertext = encrypt_to_file(packed, passphrase, out)
    return record_export(session, plan, packed, out, ciphertext)


def _chronology(session: Session, incident_id: int, text: str, transfer: Transfer) -> None:
    entry = ChronologyEntry(
        incident_id=incident_id, at=utcnow(), by=_actor(session), kind="handover", text=text, detail={"transfer_id": transfer.id}
    )
    session.repo(ChronologyEntry).add(entry, summary="chronology: handover")


# --------------------------------------------------------------------- import


@dataclass(frozen=True)
class Opened:
    """A decrypted, fully checked handover file (nothing stored yet)."""

    bundle: Bundle
    file_name: str
    file_sha256: str
    size: int

    @property
    def receipt_code(self) -> str:
        return self.bundle.manifest.receipt_code


def open_handover(path: Path, passphrase: str) -> Opened:
    """Read, decrypt (child process) and check a handover file. Needs no store: safe in a worker."""
    path = Path(path).expanduser()
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise InvalidInput("That is a folder, not a handover file.", "file")
        if size > MAX_FILE_BYTES:
            raise InvalidInput(f"That file is {size / 1048576:.0f} MB: larger than any SafeDesk handover.", "file")
        data = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput("There is no file at that path.", "file") from None
    except OSError as error:
        raise InvalidInput(f"That file cannot be read: {error.strerror or 'not accessible'}.", "file") from None
    plaintext = handover_crypt.decrypt(data, passphrase)
    return Opened(unpack(plaintext), path.name, hashlib.sha256(data).hexdigest(), len(data))


@dataclass(frozen=True)
class IncomingIncident:
    source_id: int
    original_ref: str
    ref: str  # as it will be stored here
    title: str
    clashes_with: int | None  # the incident here that already has original_ref
    same_as: int | None = None  # the incident here that IS this one (from an earlier handover): merged into it

    @property
    def renamed(self) -> bool:
        return self.same_as is None and self.ref != self.original_ref


@dataclass(frozen=True)
class IncomingPupil:
    source_id: int
    name: str
    merge_into: int | None  # the pupil here that is the same child: one record, both histories
    matched_by: str  # how that was decided: "MIS id", "name and date of birth"...
    same_name_here: int  # pupils here with the same name that could not be told apart (kept separate)
    never_publish: bool
    repeated: bool = False  # the same MIS id as an earlier pupil in this handover: kept beside without it


@dataclass
class ImportPreview:
    opened: Opened
    incidents: list[IncomingIncident]
    pupils: list[IncomingPupil]
    refused: str = ""  # why it cannot be imported, or ""

    @property
    def manifest(self) -> Manifest:
        return self.opened.bundle.manifest

    @property
    def receipt_code(self) -> str:
        return self.opened.receipt_code

    def counts(self) -> dict[str, int]:
        incidents = self.opened.bundle.contents.incidents
        return {
            "incidents": len(incidents),
            "chronology": sum(len(i.chronology) for i in incidents),
            "actions": sum(len(i.actions) for i in incidents),
            "escalations": sum(len(i.escalations) for i in incidents),
            "files": sum(1 for i in incidents for e in i.evidence if e.member),
            "described": sum(1 for i in incidents for e in i.evidence if not e.member),
            "pupils": len(self.pupils),
            "events": len(self.opened.bundle.contents.events),
        }

    def conflicts(self) -> list[str]:
        out = [
            f"{i.original_ref or '(no reference)'} is already used: the imported incident is kept beside it as {i.ref}"
            for i in self.incidents
            if i.renamed
        ]
        for p in self.pupils:
            if p.repeated:
                out.append(
                    f"Pupil {p.name}: the same MIS id as another pupil in this handover; kept beside it without the MIS id"
                )
            elif p.same_name_here:
                line = (
                    f"Pupil {p.name}: {p.same_name_here} pupil(s) here have the same name and could not be told apart "
                    "(no MIS id or date of birth to match): kept as a separate record; check whether they are the same child"
                )
                if p.never_publish:
                    line += " (the imported record has a NEVER-PUBLISH flag: check the pupil here)"
                out.append(line)
        return out

    def lines(self) -> list[str]:
        m, c = self.manifest, self.counts()
        size = sum(len(b) for b in self.opened.bundle.files.values())
        out = [
            f"From: {m.setting}, exported by {m.exported_by} on {when(m.created_at)}",
            f"Addressed to: {m.to}" + (f" · purpose: {m.note}" if m.note else ""),
            f"Receipt code: {self.receipt_code}",
            f"{c['incidents']} incident(s): {c['chronology']} chronology entries, {c['actions']} actions, "
            f"{c['escalations']} escalations, {c['files']} evidence file(s) ({show_size(size)}), {c['described']} described only",
        ]
        if self.pupils:
            out.append(
                f"{c['pupils']} pupil(s) with their consent history"
                + (
                    f" and decisions for {c['events']} event(s) (merged by name and dates; older ones kept as history)"
                    if c["events"]
                    else ""
                )
            )
        if self.incidents:
            out.append(
                "References: "
                + ", ".join(i.ref if not i.renamed else f"{i.ref} (was {i.original_ref or 'none'})" for i in self.incidents)
            )
        conflicts = self.conflicts()
        out.append(f"Conflicts: {len(conflicts)}" if conflicts else "Conflicts: none; nothing here is changed.")
        out += [f"  - {line}" for line in conflicts]
        again = [i.ref for i in self.incidents if i.same_as is not None]
        if again:
            out.append(f"Already here from an earlier handover (only new entries are added): {', '.join(again)}")
        merged = [f"{p.name} (by {p.matched_by})" for p in self.pupils if p.merge_into is not None]
        if merged:
            out.append(f"Pupils already here, merged into one record with both histories: {', '.join(merged)}")
        if self.refused:
            out.append(f"CANNOT IMPORT: {self.refused}")
        return out


def preview_import(session: Session, opened: Opened) -> ImportPreview:
    """What importing would add, and every clash with what is here (reads only)."""
    manifest = opened.bundle.manifest
    refused = ""
    for transfer in session.repo(Transfer).all():
        if transfer.bundle_id != manifest.bundle_id:
            continue
        if transfer.direction == "sent":
            refused = "this handover was made by this store, so everything in it is already here."
        else:
            refused = f"this handover was already imported on {show_date(to_local_date(transfer.at))} (receipt code {transfer.receipt_code})."
    existing = {row.ref: row.id for row in IncidentLog(session).rows()}
    identities = {_identity(doc): int(doc_id) for doc_id, doc in session.scan(Incident.TABLE).items()}
    # References that can be kept are reserved first, so a renamed incident never takes
    # the number another incoming incident keeps.
    kept: set[str] = set()
    for item in opened.bundle.contents.incidents:
        if REF.match(item.incident.ref) and item.incident.ref not in existing:
            kept.add(item.incident.ref)
    taken = set(existing) | kept
    incoming: list[IncomingIncident] = []
    by_id = {row.id: row.ref for row in IncidentLog(session).rows()}
    for item in opened.bundle.contents.incidents:
        original = item.incident.ref
        same_as = identities.get(_identity(item.incident.to_doc()))
        if same_as is not None:
            # The same incident came here before (an earlier file about the same child):
            # what is new in this file is added to it, nothing twice.
            incoming.append(IncomingIncident(item.incident.id or 0, original, by_id[same_as], item.incident.title, None, same_as))
            kept.discard(original)
            continue
        if original in kept:
            kept.discard(original)  # a second incident with the same reference is renamed
            ref = original
        else:
            ref = _next_ref(to_local_date(item.incident.reported_at).year, taken)
            taken.add(ref)
        incoming.append(IncomingIncident(item.incident.id or 0, original, ref, item.incident.title, existing.get(original)))
    pupils: list[IncomingPupil] = []
    if opened.bundle.contents.pupils:
        claimed: set[str] = set()
        for pupil in opened.bundle.contents.pupils:
            mis = pupil.mis_id.casefold()
            repeated = bool(mis) and mis in claimed
            claimed.add(mis)
            match = match_pupil(session, pupil) if not repeated else None
            pupils.append(
                IncomingPupil(
                    pupil.id or 0,
                    pupil.display_name,
                    match.pupil_id if match else None,
                    match.how if match else "",
                    len(match.same_name) if match else 0,
                    pupil.never_publish is not None,
                    repeated,
                )
            )
    return ImportPreview(opened, incoming, pupils, refused)


def _identity(doc: Mapping[str, Any]) -> tuple[str, str, str]:
    """What makes two stored incidents the same one wherever they are kept: created at the same
    instant (to the microsecond), reported at the same time, with the same title."""
    return (str(doc.get("created_at")), str(doc.get("reported_at")), str(doc.get("title")))


def _next_ref(year: int, taken: set[str]) -> str:
    numbers = [int(m.group(2)) for ref in taken if (m := REF.match(ref)) and int(m.group(1)) == year]
    return f"INC-{year}-{max(numbers, default=0) + 1:04d}"


def apply_import(session: Session, preview: ImportPreview) -> Transfer:
    """Add everything beside what is here, in one transaction; returns the received transfer."""
    fresh = preview_import(session, preview.opened)
    if fresh.refused:
        raise NotAllowed(f"Not imported: {fresh.refused}")
    if fresh.incidents != preview.incidents or fresh.pupils != preview.pupils:
        raise NotAllowed("The store changed since the preview: open the handover file again to see the new preview.")
    bundle = preview.opened.bundle
    written: list[Path] = []
    try:
        skip = {
            id(record)
            for item, incoming in zip(bundle.contents.incidents, preview.incidents, strict=True)
            if incoming.same_as is not None
            for record in _already_here(session, item, incoming.same_as)
        }
        needed = {e.member for i in bundle.contents.incidents for e in i.evidence if e.member and id(e.record) not in skip}
        blobs = {member: _store_blob(session, data, written) for member, data in bundle.files.items() if member in needed}
        with session.transaction():
            pupil_ids = _import_pupils(session, bundle, preview.pupils)
            source = f"handover {preview.receipt_code}"
            for event in bundle.contents.events:
                merge_handover_event(session, event, pupil_ids, source)
            stored_ids = [
                _import_incident(session, item, incoming, blobs, pupil_ids, preview, skip)
                for item, incoming in zip(bundle.contents.incidents, preview.incidents, strict=True)
            ]
            transfer = Transfer(
                direction="received",
                receipt_code=preview.receipt_code,
                bundle_id=bundle.manifest.bundle_id,
                at=utcnow(),
                by=_actor(session),
                counterpart=(bundle.manifest.setting or "unknown sender")[: limit(Kind.NAME)],
                counterpart_person=bundle.manifest.exported_by[: limit(Kind.NAME)],
                addressed_to=bundle.manifest.to[: limit(Kind.NAME)],
                note=bundle.manifest.note[: limit(Kind.LONG)],
                file_name=preview.opened.file_name,
                file_sha256=preview.opened.file_sha256,
                size=preview.opened.size,
                incident_ids=tuple(stored_ids),
                incident_refs=tuple(i.ref for i in preview.incidents),
                pupils=len(preview.pupils),
                pupil_ids=tuple(sorted(set(pupil_ids.values()))),  # a pupil's file arriving ends their leaving here
                evidence_files=len(blobs),
                sent_at=bundle.manifest.created_at,
                received_at=utcnow(),
                conflicts=tuple(preview.conflicts()),
            )
            stored = session.repo(Transfer).add(transfer, summary="handover received")
            renamed = sum(1 for i in preview.incidents if i.renamed)
            session.audit_event(
                "import.handover",
                f"handover imported: {len(stored_ids)} incident(s) ({renamed} under a new reference), "
                f"{len(preview.pupils)} pupil(s), {len(blobs)} evidence file(s); receipt code {preview.receipt_code}",
                f"{Transfer.TABLE}/{stored.id}",
            )
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)  # no record refers to them
        raise
    return stored


def _store_blob(session: Session, data: bytes, written: list[Path]) -> str:
    """Encrypt one evidence file into this store as evidence.add_file does; returns its blob id."""
    blob, target = evidence.store_file(session, data)
    written.append(target)
    return blob


def _import_pupils(session: Session, bundle: Bundle, incoming: list[IncomingPupil]) -> dict[int, int]:
    """Each pupil merged into the same child here (one pupil, both histories) or added beside."""
    ids: dict[int, int] = {}
    for pupil, plan in zip(bundle.contents.pupils, incoming, strict=True):
        if plan.merge_into is not None:
            merge_pupil(session, plan.merge_into, pupil, f"pupil merged from a handover (matched by {plan.matched_by})")
            ids[pupil.id or 0] = plan.merge_into
            continue
        copy = dataclasses.replace(pupil, id=None)
        if plan.repeated or (copy.mis_id and pupil_index(session).by_mis.get(copy.mis_id.casefold())):
            copy = dataclasses.replace(copy, mis_id="")  # MIS ids stay unique here; the preview says so
        stored = session.repo(type(pupil)).add(copy, summary="pupil imported from a handover")
        ids[pupil.id or 0] = stored.id or 0
    return ids


def _import_incident(
    session: Session,
    item: IncidentBundle,
    incoming: IncomingIncident,
    blobs: dict[str, str],
    pupil_ids: dict[int, int],
    preview: ImportPreview,
    skip: set[int],
) -> int:
    manifest = preview.manifest
    if incoming.same_as is not None:
        new_id = incoming.same_as  # the incident here is kept as it is; only what is new is added
    else:
        people = tuple(
            dataclasses.replace(p, pupil_id=pupil_ids.get(p.pupil_id)) if p.pupil_id is not None else p
            for p in item.incident.people
        )
        incident = dataclasses.replace(item.incident, id=None, ref=incoming.ref, people=people)
        stored = session.repo(Incident).add(incident, summary="incident imported from a handover")
        new_id = stored.id or 0
    # Ids in chronology details point at the sender's records: remapped to ours, or None
    # where the record did not come along (a transfer is the sender's own).
    children: dict[str, dict[int, int]] = {"action_id": {}, "escalation_id": {}, "evidence_id": {}, "transfer_id": {}}
    for action in item.actions:
        if id(action) not in skip:
            children["action_id"][action.id or 0] = _add(session, action, new_id, "action imported")
    for escalation in item.escalations:
        if id(escalation) not in skip:
            children["escalation_id"][escalation.id or 0] = _add(session, escalation, new_id, "escalation imported")
    for ev in item.evidence:
        if id(ev.record) in skip:
            continue
        record = ev.record
        if ev.member is not None:
            record = dataclasses.replace(record, blob=blobs[ev.member])
        elif ev.withheld:
            record = dataclasses.replace(
                record,
                kind="description",
                blob="",
                description=(
                    "File not transferred: sexual imagery of a child was suspected, so SafeDesk never copies such files. "
                    f"The original ({record.file_name or record.title}, {record.size:,} bytes, SHA-256 {record.sha256}) "
                    f"is recorded at {manifest.setting}." + (f"\n{record.description}" if record.description else "")
                ),
            )
        children["evidence_id"][ev.record.id or 0] = _add(session, record, new_id, "evidence imported")
    for entry in item.chronology:
        if id(entry) in skip:
            continue
        detail = {
            key: (children[key].get(value) if key in children and isinstance(value, int) else value)
            for key, value in entry.detail.items()
        }
        _add(session, dataclasses.replace(entry, detail=detail), new_id, "chronology: imported")
    text = (
        f"Imported from handover {preview.receipt_code}: made by {manifest.exported_by} at {manifest.setting} "
        f"on {when(manifest.created_at)} for {manifest.to}."
    )
    if incoming.same_as is not None:
        text += " This incident was already here from an earlier handover: only entries not already held were added."
    if incoming.renamed:
        text += (
            f" Its reference here is {incoming.ref}: the original reference, {incoming.original_ref or '(none)'}, "
            "was already used in this store for a different record. Compare the two."
        )
    session.repo(ChronologyEntry).add(
        ChronologyEntry(
            incident_id=new_id,
            at=utcnow(),
            by=_actor(session),
            kind="handover",
            text=text,
            detail={"original_ref": incoming.original_ref},
        ),
        summary="chronology: handover",
    )
    if incoming.clashes_with is not None:
        session.repo(ChronologyEntry).add(
            ChronologyEntry(
                incident_id=incoming.clashes_with,
                at=utcnow(),
                by=_actor(session),
                kind="handover",
                text=f"A handover ({preview.receipt_code}) brought in another incident with this reference; it is stored as {incoming.ref}.",
                detail={"imported_ref": incoming.ref},
            ),
            summary="chronology: handover conflict",
        )
    return new_id


def _already_here(session: Session, item: IncidentBundle, incident_id: int) -> list[Any]:
    """The records in `item` that the incident here already holds (an earlier handover brought them).

    Matched by what does not change once written: an entry's time, kind and text; an action's
    creation time and wording; an escalation's time and target; an evidence item's time added,
    title and hash. An action completed since keeps its state here (the chronology says it was done).
    """
    log = IncidentLog(session)
    entries = {(e.at, e.kind, e.text) for e in log.chronology(incident_id)}
    actions = {(a.created_at, a.text) for a in log.actions(incident_id)}
    escalations = {(e.at, e.target) for e in log.escalations(incident_id)}
    items = {(e.added_at, e.title, e.sha256) for e in evidence_for(session, incident_id)}
    found: list[Any] = [e for e in item.chronology if (e.at, e.kind, e.text) in entries]
    found += [a for a in item.actions if (a.created_at, a.text) in actions]
    found += [e for e in item.escalations if (e.at, e.target) in escalations]
    found += [e.record for e in item.evidence if (e.record.added_at, e.record.title, e.record.sha256) in items]
    return found


def _add(session: Session, record: Any, incident_id: int, summary: str) -> int:
    stored = session.repo(type(record)).add(dataclasses.replace(record, id=None, incident_id=incident_id), summary=summary)
    return stored.id or 0


# --------------------------------------------------------------------- receipts


def mark_received(session: Session, code_text: str, on: date | None = None) -> tuple[Transfer, bool]:
    """Mark the sent transfer with this receipt code received (on the day given, default today);
    (transfer, newly marked). The receipt is the DSL's confirmation that the file arrived."""
    code = normalise_code(code_text)
    if code is None:
        raise InvalidInput("A receipt code is 12 characters (digits 0-9 and letters A-F), like 1A2B-3C4D-5E6F.", "code")
    matching = [t for t in session.repo(Transfer).all() if t.receipt_code == code]
    sent = [t for t in matching if t.direction == "sent"]
    if not sent:
        if matching:
            raise InvalidInput("That code is for a handover this store received: give it to the sender.", "code")
        raise InvalidInput(f"No handover sent from this store has the receipt code {code}. Check it with the receiver.", "code")
    transfer = sent[0]
    if transfer.received_at is not None:
        return transfer, False
    today = local_today()
    if on is not None and on > today:
        raise InvalidInput("The day the receipt was confirmed is in the future.", "on")
    if on is not None and on < to_local_date(transfer.at):
        raise InvalidInput(f"That is before the handover was sent ({show_date(to_local_date(transfer.at))}).", "on")
    # A receipt confirmed on an earlier day is dated that day; today's keeps the time.
    received = utcnow() if on is None or on == today else local_midnight(on)
    transfer = dataclasses.replace(transfer, received_at=received, receipt_by=_actor(session))
    with session.transaction():
        session.repo(Transfer).save(transfer, summary="handover receipt confirmed")
        known = {row.id for row in IncidentLog(session).rows()}
        for incident_id in transfer.incident_ids:
            if incident_id in known:
                _chronology(session, incident_id, f"Receipt confirmed for handover {code} to {transfer.counterpart}.", transfer)
        session.audit_event(
            "handover.receipt", f"handover receipt confirmed; receipt code {code}", f"{Transfer.TABLE}/{transfer.id}"
        )
    return transfer, True


@dataclass(frozen=True)
class FileDue:
    """A pupil recorded as left whose child protection file has not been sent yet."""

    leaver: leavers.Leaver
    pupil: str  # the name as this school shows it
    due: date

    def overdue(self, today: date) -> bool:
        return today > self.due

    def state_text(self, calendar: SchoolCalendar, today: date) -> str:
        if self.overdue(today):
            late = calendar.school_days_between(self.due, today)
            return f"OVERDUE {late} sch.d" if late else "OVERDUE"
        return f"transfer due {self.due:%d/%m}"


def file_due(leaver: leavers.Leaver, transfers: Iterable[Transfer]) -> bool:
    """Whether the pupil's child protection file is still to send for the leaving `leaver` records.

    KCSIE Annex C: the clock starts when the pupil leaves, and sending the file once meets it. So a
    handover of the pupil's file sent from here counts for their leaving whenever the leaving day was
    recorded: before the export, with it, or afterwards (a DSL often sends first and notes the day
    later), and correcting the day does not undo it; its receipt is tracked on the sent transfer.
    Only a return starts a new leaving: a handover received here carrying the pupil (their file came
    back with them, or came with a pupil who joined). A leaving recorded after that return needs a
    file sent after it; a leaving recorded before it is over (the pupil is here again).
    """
    mine = [t for t in transfers if leaver.pupil_id in t.pupil_ids]
    returned = max((t.at for t in mine if t.direction == "received"), default=None)
    if returned is None:
        return not any(t.direction == "sent" for t in mine)
    # Times are kept to the second: in a tie with the return, a leaving counts as after it and a
    # file sent as before it (the reading that asks for a file rather than missing one).
    if leaver.at < returned:
        return False
    return not any(t.direction == "sent" and t.at > returned for t in mine)


def files_due(session: Session, calendar: SchoolCalendar | None = None) -> list[FileDue]:
    """Pupils recorded as left whose file is still to send (file_due), soonest due first."""
    calendar = calendar or load_calendar(session)
    all_transfers = session.repo(Transfer).all()
    names = pupil_index(session).by_id
    out = [
        FileDue(
            r,
            names[r.pupil_id].display_name if r.pupil_id in names else "a pupil no longer here",
            calendar.transfer_due(r.left_on),
        )
        for r in leavers.leavers(session)
        if file_due(r, all_transfers)
    ]
    return sorted(out, key=lambda f: (f.due, f.pupil.casefold()))


def _late(days: int) -> str:
    """How late, in school days; nothing when only a weekend or holiday has passed since the due day."""
    return f", {days} school day{'s' if days != 1 else ''} late" if days else ""


def transfer_attention(session: Session) -> Iterable[AttentionItem]:
    calendar = load_calendar(session)
    today = local_today()
    rule = f"{calendar.transfer_days}-school-day transfer rule"
    for file in files_due(session, calendar):
        went = "left" if file.leaver.left_on <= today else "leaves"
        leaving = f"Child protection file of {file.pupil} ({went} {show_date(file.leaver.left_on)})"
        if file.overdue(today):
            late = calendar.school_days_between(file.due, today)
            yield AttentionItem(
                "overdue",
                f"{leaving}: transfer overdue, due {show_date(file.due)}{_late(late)} ({rule}). Send it from Handover.",
                "handover",
                "handover/due",
            )
        else:
            days = calendar.school_days_between(today, file.due)
            yield AttentionItem(
                "due soon",
                f"{leaving}: transfer due by {show_date(file.due)} ({days} school day{'s' if days != 1 else ''} left, {rule}).",
                "handover",
                "handover/due",
            )
    for transfer in transfers(session):
        if not transfer.pending:
            continue
        sent = show_date(to_local_date(transfer.at))
        target = f"handover/{transfer.id}"
        due = transfer.due_on(calendar)
        if transfer.overdue(calendar, today):
            late = transfer.school_days_late(calendar, today)
            yield AttentionItem(
                "overdue",
                f"Handover to {transfer.counterpart} ({transfer.contents_text()}) sent {sent}: receipt not confirmed, due "
                f"{show_date(due)}{_late(late)} ({rule}). Ask the receiver to confirm receipt.",
                "handover",
                target,
            )
        else:
            days = calendar.school_days_between(today, due)
            yield AttentionItem(
                "due soon",
                f"Handover to {transfer.counterpart} sent {sent}: receipt not confirmed "
                f"(due by {show_date(due)}, {days} school day{'s' if days != 1 else ''} left).",
                "handover",
                target,
            )
