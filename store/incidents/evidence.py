"""Evidence for incidents: files kept encrypted in the store, and description-only items.

A file is hashed (SHA-256) as it is taken in, encrypted with the store's data
key (AES-256-GCM, its id and hash bound as associated data) and written
atomically to `evidence/<id>.bin`. `safedesk verify` decrypts each one and
checks its hash. Where sexual imagery of a child is suspected, files are
refused: the law and the guidance say never copy or store such images, so only
a description (what, where, when, who holds it) may be recorded.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from safedesk.store.engine.blobs import BlobDamaged, read_blob, write_blob
from safedesk.store.engine.files import atomic_write, describe_os_error
from safedesk.store.engine.records import Record, require, utcnow
from safedesk.store.engine.session import Session
from safedesk.store.engine.verify import Check
from safedesk.store.errors import InvalidInput, NotAllowed
from safedesk.store.incidents.log import IncidentLog
from safedesk.store.incidents.records import CLOCK_SLACK, Incident
from safedesk.store.text.limits import Kind, limit
from safedesk.store.text.sizes import show_size

EVIDENCE_DIR = "evidence"
MAX_FILE_BYTES = 50 * 1024 * 1024
NUDE_IMAGE_PLAYBOOK = "pb-nude-image-of-child"
IMAGERY_FLAG = "sexual_imagery_suspected"
# Shown beside the export action (screen), as the CLI's refusal and as the store's error: files stored
# before the flag was set stay in the store, but no decrypted copy of them leaves it.
EXPORT_BLOCKED = (
    "Files on this incident cannot be exported: sexual imagery of a child is suspected, so no copy of them may "
    "leave SafeDesk. Only their hashes and descriptions can be shared (the incident report lists them)."
)


class DuplicateEvidence(InvalidInput):
    """The same file (same SHA-256) is already attached to this incident."""


@dataclass(kw_only=True)
class Evidence(Record):
    TABLE: ClassVar[str] = "evidence"
    MULTILINE: ClassVar[frozenset[str]] = frozenset({"description"})
    LIMITS: ClassVar[dict[str, Kind]] = {
        "title": Kind.TITLE,
        "url": Kind.URL,
        "holder": Kind.NAME,
        "captured_by": Kind.NAME,
        "added_by": Kind.NAME,
    }

    incident_id: int
    kind: str  # "file" or "description"
    title: str
    description: str = ""
    where_seen: str = ""
    seen_at: datetime | None = None
    holder: str = ""  # who holds the original (a device, a person, the platform)
    url: str = ""
    file_name: str = ""
    size: int = 0
    sha256: str = ""
    blob: str = ""  # the encrypted copy's id under evidence/
    captured_at: datetime | None = None
    captured_by: str = ""
    added_at: datetime = field(default_factory=utcnow)
    added_by: str = ""

    def validate(self) -> None:
        require(self.kind in ("file", "description"), "Unknown kind of evidence.", "kind")
        require(bool(self.title.strip()), "Give the evidence a short title.", "title")
        if self.kind == "description":
            require(bool(self.description.strip()), "Describe what was seen (never copy the image itself).", "description")
        for name in ("seen_at", "captured_at"):
            value = getattr(self, name)
            require(value is None or value <= utcnow() + CLOCK_SLACK, "That time is in the future.", name)


def _blob_path(session: Session, blob: str) -> Path:
    return session.folder / EVIDENCE_DIR / f"{blob}.bin"


def _aad(session: Session, blob: str, sha256: str) -> bytes:
    # Bound to the store, the blob's name and the file's hash: a swapped or renamed blob fails to open.
    return b"safedesk-evidence\0" + bytes.fromhex(session.store_id) + blob.encode() + bytes.fromhex(sha256)


def store_file(session: Session, data: bytes) -> tuple[str, Path]:
    """Encrypt a file's bytes into this store's evidence folder; returns its blob id and path.

    Nothing refers to the blob yet: the caller stores the Evidence record naming it, or
    deletes the path if that fails.
    """
    blob = secrets.token_hex(16)
    target = _blob_path(session, blob)
    try:
        write_blob(session, target, data, _aad(session, blob, hashlib.sha256(data).hexdigest()))
    except OSError as error:
        raise describe_os_error(error, "store the evidence file") from None
    return blob, target


def _actor(session: Session) -> str:
    return session.user.name if session.user else "unknown"


def evidence_for(session: Session, incident_id: int) -> list[Evidence]:
    raw = session.scan(Evidence.TABLE)
    items = [Evidence.from_doc(doc, int(i)) for i, doc in raw.items() if doc.get("incident_id") == incident_id]
    return sorted(items, key=lambda e: e.id or 0)


def export_blocked_reason(incident: Incident) -> str | None:
    """Why this incident's files cannot be written out decrypted, or None when they can."""
    return EXPORT_BLOCKED if incident.has_flag(IMAGERY_FLAG) else None


def refuse_files_if_imagery(incident: Incident) -> None:
    if incident.has_flag(IMAGERY_FLAG):
        raise NotAllowed(
            "Files cannot be added to this incident: sexual imagery of a child is suspected. Never view, copy, "
            "store or forward such an image. Record a description instead (what, where, when, who has it) "
            f"and follow the playbook ({NUDE_IMAGE_PLAYBOOK}): the DSL holds an initial review and refers to the police and "
            "children's social care at once if any UKCIS criterion applies (an adult involved; coercion, blackmail or "
            "grooming; violent or unusual acts; sexual acts with a child under 13; a child at immediate risk). "
            "The LADO is told too only when a member of staff is involved."
        )


def read_file(path: Path) -> bytes:
    """The file's bytes, or one clear sentence why not (too big, missing, not allowed)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InvalidInput("There is no file at that path (was it moved or deleted?).", "path") from None
    except OSError as error:
        raise InvalidInput(f"That file cannot be read: {error.strerror or 'not accessible'}.", "path") from None
    if not path.is_file():
        raise InvalidInput("That is a folder, not a file.", "path")
    if info.st_size > MAX_FILE_BYTES:
        raise InvalidInput(f"That file is {info.st_size / 1048576:.0f} MB; the limit is {MAX_FILE_BYTES // 1048576} MB.", "path")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InvalidInput("The file disappeared before it could be copied; nothing was saved.", "path") from None
    except OSError as error:
        raise InvalidInput(f"That file cannot be read: {error.strerror or 'not accessible'}.", "path") from None
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(f"That file is over the {MAX_FILE_BYTES // 1048576} MB limit.", "path")
    return data


def add_file(
    session: Session,
    incident_id: int,
    path: Path,
    title: str = "",
    captured_at: datetime | None = None,
    captured_by: str = "",
) -> Evidence:
    """Copy a file into the store, encrypted; record its hash, size and who captured it."""
    log = IncidentLog(session)
    incident = log.get(incident_id)
    refuse_files_if_imagery(incident)
    data = read_file(Path(path))
    digest = hashlib.sha256(data).hexdigest()
    for existing in evidence_for(session, incident_id):
        if existing.sha256 == digest:
            raise DuplicateEvidence(f"This file is already attached as '{existing.title}' (same SHA-256); kept once.", "path")
    item = Evidence(
        incident_id=incident_id,
        kind="file",
        title=title or Path(path).name[: limit(Kind.TITLE)],  # a long file name: its start (file_name keeps it all)
        file_name=Path(path).name,
        size=len(data),
        sha256=digest,
        blob="",  # named once the encrypted copy is written, after the record is known to be valid
        captured_at=captured_at,
        captured_by=captured_by,
        added_by=_actor(session),
    ).cleaned()
    item.validate()
    blob, target = store_file(session, data)
    item = dataclasses.replace(item, blob=blob)
    try:
        with session.transaction():
            stored = session.repo(Evidence).add(item, summary="evidence file added")
            log._entry(  # noqa: SLF001 - the chronology entry belongs to the same transaction
                incident_id,
                "evidence",
                f"Evidence file added: {item.title} ({show_size(item.size)}, SHA-256 {digest})",
                {"evidence_id": stored.id, "sha256": digest},
            )
    except BaseException:
        target.unlink(missing_ok=True)  # not referenced by any record
        raise
    return stored


def add_description(session: Session, item: Evidence) -> Evidence:
    """A description-only item: what was seen, where, when, who holds it."""
    log = IncidentLog(session)
    log.get(item.incident_id)
    item = dataclasses.replace(item, kind="description", added_by=_actor(session), added_at=utcnow()).cleaned()
    item.validate()
    with session.transaction():
        stored = session.repo(Evidence).add(item, summary="evidence description added")
        log._entry(  # noqa: SLF001
            item.incident_id,
            "evidence",
            f"Evidence described (no copy kept): {item.title}",
            {"evidence_id": stored.id},
        )
    return stored


def decrypt(session: Session, item: Evidence) -> bytes:
    """The original bytes of a file item; raises InvalidInput if missing or altered."""
    try:
        data = read_blob(session, _blob_path(session, item.blob), _aad(session, item.blob, item.sha256))
    except OSError:
        raise InvalidInput(f"The stored copy of '{item.title}' is missing.", "evidence") from None
    except BlobDamaged:
        raise InvalidInput(f"The stored copy of '{item.title}' failed its integrity check.", "evidence") from None
    if hashlib.sha256(data).hexdigest() != item.sha256:
        raise InvalidInput(f"The stored copy of '{item.title}' does not match its recorded hash.", "evidence")
    return data


def export_file(session: Session, item: Evidence, target: Path) -> None:
    """Write the original file to `target` (after the screen's confirm step); audited.

    Refused for an incident flagged "sexual imagery of a child suspected", whenever the file was added."""
    if item.kind != "file":
        raise NotAllowed("Only file evidence can be exported.")
    blocked = export_blocked_reason(IncidentLog(session).get(item.incident_id))
    if blocked:
        raise NotAllowed(blocked)
    target = Path(target)
    if target.exists():
        raise InvalidInput("A file with that name already exists there; choose another name.", "target")
    data = decrypt(session, item)
    try:
        atomic_write(target, data)
    except OSError as error:
        raise describe_os_error(error, "write the exported file") from None
    session.audit_event(
        "export.evidence",
        f"evidence item {item.id} exported as plain file (SHA-256 {item.sha256[:16]}...)",
        f"evidence/{item.id}",
    )


def remove_original(path: Path) -> str:
    """Delete the plaintext original after intake; returns what to tell the user."""
    try:
        Path(path).unlink()
    except FileNotFoundError:
        return "The original file was already gone."
    except OSError as error:
        return f"The original could not be deleted ({error.strerror or 'not allowed'}); delete it yourself."
    return (
        "The original file was deleted. On SSDs and USB sticks deleted data can sometimes still be recovered, "
        "so also empty the Recycle Bin and keep the device secure."
    )


def verify_evidence(session: Session) -> Iterable[Check]:
    raw = session.scan(Evidence.TABLE)
    files = [Evidence.from_doc(doc, int(i)) for i, doc in raw.items() if doc.get("kind") == "file"]
    bad = []
    for item in files:
        try:
            decrypt(session, item)
        except InvalidInput as error:
            bad.append(str(error))
    if bad:
        yield from (Check(False, f"evidence item: {problem}") for problem in bad)
    else:
        yield Check(True, f"{len(files)} evidence file(s) decrypt and match their SHA-256")
