"""Events that happen while the store is locked, such as a failed unlock.

Without the data key they cannot join the audit chain, so each is sealed (age,
X25519) to the store's public key and appended to `safedesk.events`; the next
successful unlock opens them with the private key kept inside the encrypted
data and moves them into the audit log.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from safedesk.store.engine.files import fsync_dir, open_private
from safedesk.store.engine.keys.header import Header
from safedesk.store.engine.vault import DAMAGED_MARK, EVENTS_FILE
from safedesk.store.text.clean import clean_text

# The one kind of event written while locked; the audit log shows these as unauthenticated.
ACCEPTED_ACTION = "unlock.failed"
LOCKED_ACTOR = "recorded while locked (unauthenticated)"
MAX_DETAIL = 120
MAX_EVENTS = 1000
MAX_LINE = 4096
_ID = re.compile(r"^[0-9a-f]{16}$")


@dataclass(frozen=True)
class LockedEvent:
    id: str
    at: str  # ISO 8601 UTC
    action: str
    detail: str


def new_identity() -> tuple[str, str]:
    """(secret identity, public recipient) for a new store."""
    import pyrage

    identity = pyrage.x25519.Identity.generate()
    return str(identity), str(identity.to_public())


def record(folder: Path, header: Header, action: str, detail: str) -> None:
    """Append one sealed event; never raises (a full disk must not hide the unlock error)."""
    import pyrage

    event = {"id": secrets.token_hex(8), "at": datetime.now(UTC).isoformat(), "action": action, "detail": detail}
    try:
        recipient = pyrage.x25519.Recipient.from_str(header.events_recipient)
        line = base64.b64encode(pyrage.encrypt(json.dumps(event).encode("utf-8"), [recipient])) + b"\n"
        fd = open_private(folder / EVENTS_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
    except Exception:  # noqa: BLE001 - best effort by design, see docstring
        return


@dataclass
class EventsFile:
    """What `safedesk.events` holds: the events that opened and passed, and how many did not."""

    events: list[LockedEvent]
    unreadable: int  # lines that did not open, or were not a well-formed event


def read_all(folder: Path, identity: str, *, earliest: datetime, latest: datetime) -> EventsFile:
    """Every acceptable event sealed to `identity`, its time clamped to [earliest, latest].

    Anyone who can write to the folder can seal lines to the public key in the header, so
    a line is only believed to be what it can do no harm as: an `unlock.failed` event with
    a short, cleaned detail and a time inside the window it could have happened in.
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
            events.append(_accepted(data, earliest, latest))
        except Exception:  # noqa: BLE001 - pyrage raises its own types; any failure means not an event
            unreadable += 1
    return EventsFile(events, unreadable)


def _accepted(data: dict[str, object], earliest: datetime, latest: datetime) -> LockedEvent:
    if data.get("action") != ACCEPTED_ACTION:
        raise ValueError("not an event SafeDesk records while locked")
    event_id = str(data["id"])
    if not _ID.match(event_id):
        raise ValueError("bad id")
    at = datetime.fromisoformat(str(data["at"]))
    if at.tzinfo is None:
        raise ValueError("time without zone")
    at = min(max(at.astimezone(UTC), earliest), latest)
    detail = clean_text(str(data.get("detail", "")))[:MAX_DETAIL]
    return LockedEvent(event_id, at.isoformat(), ACCEPTED_ACTION, detail)


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
