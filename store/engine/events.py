"""Events that cannot join the audit chain when they happen: a failed unlock, or an export
made while another SafeDesk process holds the store for writing.

Neither process can append to the chain (no data key; no writer lock), so each event is
sealed (age, X25519) to the store's public key and appended to `safedesk.events`; the next
normal unlock opens them with the private key kept inside the encrypted data and moves them
into the audit log. Appends and that merge take `safedesk.events.lock`, so a line appended
while a merge runs is either merged or left for the next one, never cleared unread.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from safedesk.store.engine.files import describe_os_error, fsync_dir, open_private
from safedesk.store.engine.keys.header import Header
from safedesk.store.engine.vault import DAMAGED_MARK, EVENTS_FILE
from safedesk.store.errors import StoreWriteError
from safedesk.store.text.clean import clean_text

# A failed unlock is written by someone who could not open the store, so nothing in it can be
# authenticated: the audit log shows it as unauthenticated.
ACCEPTED_ACTION = "unlock.failed"
LOCKED_ACTOR = "recorded while locked (unauthenticated)"
# An export made from a read-only copy while the store was open elsewhere: its maker did open
# the store, and signs the event with a key derived from the events identity, which is kept
# inside the encrypted data. Someone who can only write to the folder cannot make one.
EXPORT_ACTION = re.compile(r"^export\.[a-z][a-z0-9-]{0,39}$")
OPEN_ELSEWHERE = "recorded while the store was open elsewhere"
_MAC_LABEL = b"SAFEDESK locked-event MAC/1"
MAX_DETAIL = 120
MAX_EXPORT_DETAIL = 200
MAX_ACTOR = 80
MAX_EVENTS = 1000
MAX_LINE = 4096
_ID = re.compile(r"^[0-9a-f]{16}$")
LOCK_FILE = EVENTS_FILE + ".lock"
# How long an append or a merge waits for the other: a merge holds it for one save.
LOCK_SECONDS = 30.0


_SIGNED = ("id", "at", "action", "detail", "by", "from")
# An audit entry by (sequence number, hash): the save an export was made from.
Basis = tuple[int, str]
# The time of that entry if this store's chain holds it, else None.
BasisTime = Callable[[int, str], datetime | None]


@dataclass(frozen=True)
class LockedEvent:
    id: str
    at: str  # ISO 8601 UTC
    action: str
    detail: str
    actor: str = LOCKED_ACTOR


@contextmanager
def exclusive(folder: Path, timeout: float = LOCK_SECONDS) -> Iterator[None]:
    """Hold `safedesk.events.lock`: appends and a merge's read-then-clear never interleave."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(folder / LOCK_FILE), timeout=timeout, mode=0o600, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        raise StoreWriteError(
            f"The store's event file in {folder} is busy (another SafeDesk is saving to it); try again in a moment."
        ) from None
    except OSError as error:
        raise describe_os_error(error, "lock the store's event file") from None
    try:
        yield
    finally:
        lock.release()


def new_identity() -> tuple[str, str]:
    """(secret identity, public recipient) for a new store."""
    import pyrage

    identity = pyrage.x25519.Identity.generate()
    return str(identity), str(identity.to_public())


def record(folder: Path, header: Header, action: str, detail: str) -> None:
    """Append one sealed event; never raises (a full disk must not hide the unlock error)."""
    event = {"id": secrets.token_hex(8), "at": datetime.now(UTC).isoformat(), "action": action, "detail": detail}
    try:
        _append(folder, header, event, timeout=2.0)
    except Exception:  # noqa: BLE001 - best effort by design, see docstring
        return


def record_export(folder: Path, header: Header, identity: str, action: str, detail: str, by: str, basis: Basis) -> str:
    """Append one signed, sealed export event and make it durable; its id. StoreWriteError if it
    could not be: the caller must then not let the export stand unrecorded.

    `basis` is the audit head of the save the export was made from: the merge dates the event
    no earlier than that entry, and says which save it was.
    """
    if not EXPORT_ACTION.match(action):
        raise ValueError(f"not an export action: {action!r}")
    event: dict[str, str] = {
        "id": secrets.token_hex(8),
        "at": datetime.now(UTC).isoformat(),
        "action": action,
        "detail": clean_text(detail)[:MAX_EXPORT_DETAIL],
        "by": clean_text(by)[:MAX_ACTOR],
        "from": f"{basis[0]}:{basis[1]}",
    }
    event["mac"] = _mac(identity, event)
    try:
        _append(folder, header, event, timeout=LOCK_SECONDS)
    except OSError as error:
        raise describe_os_error(error, "record the export in the store's event file") from None
    return event["id"]


def _mac(identity: str, event: dict[str, str]) -> str:
    key = hmac.new(identity.encode("utf-8"), _MAC_LABEL, hashlib.sha256).digest()
    signed = {k: event[k] for k in _SIGNED}
    return hmac.new(key, json.dumps(signed, sort_keys=True).encode("utf-8"), hashlib.sha256).hexdigest()


def _append(folder: Path, header: Header, event: dict[str, str], *, timeout: float) -> None:
    import pyrage

    recipient = pyrage.x25519.Recipient.from_str(header.events_recipient)
    line = base64.b64encode(pyrage.encrypt(json.dumps(event).encode("utf-8"), [recipient])) + b"\n"
    with exclusive(folder, timeout):
        created = not (folder / EVENTS_FILE).exists()
        fd = open_private(folder / EVENTS_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            fsync_dir(folder)  # the new file's name is as durable as its line


@dataclass
class EventsFile:
    """What `safedesk.events` holds: the events that opened and passed, and how many did not."""

    events: list[LockedEvent]
    unreadable: int  # lines that did not open, or were not a well-formed event


def read_all(
    folder: Path, identity: str, *, earliest: datetime, latest: datetime, basis_time: BasisTime | None = None
) -> EventsFile:
    """Every acceptable event sealed to `identity`, its time clamped to [earliest, latest].

    Anyone who can write to the folder can seal lines to the public key in the header, so
    a line is only believed to be what it can do no harm as: an `unlock.failed` event with
    a short, cleaned detail and a time inside the window it could have happened in; or an
    `export.*` event signed with the key only those who opened the store have (see
    record_export), its detail and maker cleaned and bounded, its time clamped the same way.
    An export's time is clamped from the audit entry of the save it was made from
    (`basis_time`) instead, as saves may have gone on meanwhile; when the chain no longer holds
    that entry (a recovery went back past it), from `earliest`, and the detail says so.
    Call it inside `exclusive(folder)` when the file is to be cleared after.
    """
    import pyrage

    path = folder / EVENTS_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return EventsFile([], 0)
    lines = [line for line in raw.splitlines() if line.strip()]
    key = pyrage.x25519.Identity.from_str(identity)
    events: list[LockedEvent] = []
    unreadable = max(0, len(lines) - MAX_EVENTS)
    for line in lines[:MAX_EVENTS]:
        try:
            if len(line) > MAX_LINE:
                raise ValueError("too long")
            data = json.loads(pyrage.decrypt(base64.b64decode(line, validate=True), [key]))
            events.append(_accepted(data, earliest, latest, identity=identity, basis_time=basis_time))
        except Exception:  # noqa: BLE001 - pyrage raises its own types; any failure means not an event
            unreadable += 1
    return EventsFile(events, unreadable)


def _accepted(
    data: dict[str, object], earliest: datetime, latest: datetime, *, identity: str = "", basis_time: BasisTime | None = None
) -> LockedEvent:
    action = data.get("action")
    if action != ACCEPTED_ACTION and not (isinstance(action, str) and EXPORT_ACTION.match(action)):
        raise ValueError("not an event SafeDesk records while locked")
    event_id = str(data["id"])
    if not _ID.match(event_id):
        raise ValueError("bad id")
    at = datetime.fromisoformat(str(data["at"]))
    if at.tzinfo is None:
        raise ValueError("time without zone")
    if action == ACCEPTED_ACTION:
        at = min(max(at.astimezone(UTC), earliest), latest)
        detail = clean_text(str(data.get("detail", "")))[:MAX_DETAIL]
        return LockedEvent(event_id, at.isoformat(), ACCEPTED_ACTION, detail)
    signed = {k: str(data.get(k, "")) for k in _SIGNED}
    if not identity or not hmac.compare_digest(str(data.get("mac", "")), _mac(identity, signed)):
        raise ValueError("an export event not signed by someone who opened the store")
    seq, _, head = signed["from"].partition(":")
    made_from = basis_time(int(seq), head) if basis_time is not None and seq.isdigit() else None
    detail = clean_text(signed["detail"])[:MAX_EXPORT_DETAIL]
    if made_from is None:
        detail += "; made from a save this store no longer holds"
    else:
        detail += f"; made from the save at audit entry {int(seq)}"
    at = min(max(at.astimezone(UTC), made_from or earliest), latest)
    actor = f"{clean_text(signed['by'])[:MAX_ACTOR]}, {OPEN_ELSEWHERE}"
    return LockedEvent(event_id, at.isoformat(), signed["action"], detail, actor)


def clear(folder: Path) -> None:
    path = folder / EVENTS_FILE
    if path.exists():
        path.unlink()
        fsync_dir(folder)


def aside_name() -> str:
    """A fresh name to keep a damaged events file under (see set_aside)."""
    return f"{EVENTS_FILE}{DAMAGED_MARK}{secrets.token_hex(3)}"


def set_aside(folder: Path, name: str) -> None:
    """Keep a damaged events file for inspection as `name` instead of deleting it."""
    os.replace(folder / EVENTS_FILE, folder / name)
    fsync_dir(folder)
