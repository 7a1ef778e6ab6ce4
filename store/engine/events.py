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
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from safedesk.store.engine.files import fsync_dir, open_private
from safedesk.store.engine.header import Header
from safedesk.store.engine.vault import EVENTS_FILE


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


def read_all(folder: Path, identity: str) -> list[LockedEvent]:
    """Every event that opens with `identity`; lines that do not are skipped."""
    import pyrage

    path = folder / EVENTS_FILE
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        return []
    key = pyrage.x25519.Identity.from_str(identity)
    events: list[LockedEvent] = []
    for line in lines:
        try:
            data = json.loads(pyrage.decrypt(base64.b64decode(line, validate=True), [key]))
            events.append(LockedEvent(str(data["id"]), str(data["at"]), str(data["action"]), str(data["detail"])))
        except Exception:  # noqa: BLE001 - a torn or foreign line is not an event
            continue
    return events


def clear(folder: Path) -> None:
    path = folder / EVENTS_FILE
    if path.exists():
        path.unlink()
        fsync_dir(folder)
