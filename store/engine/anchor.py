"""Rollback detection: the newest state of each store this computer has seen.

Files in the store folder can be swapped for an older copy (an old backup, a
synced folder going back in time) and every byte of the copy still
authenticates. So each save also notes the store's generation, journal frame
count and chain head in the user's own data folder (platformdirs: on Windows
%LOCALAPPDATA%\\SafeDesk, in the user profile), keyed by the store's id. An open
that finds the store older than that note refuses to write (vault.StoreRolledBack).

The note is a hint, not a record: it holds no personal data, is written without
fsync (one small rename per save) and an unreadable note counts as none. A note
that is lost or stale only makes the check weaker, never wrong, because only a
store *older* than the note is reported.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from safedesk.store.engine.files import open_private, replace, temp_name

_STORE_ID = re.compile(r"^[0-9a-f]{8,64}$")


@dataclass(frozen=True)
class Seen:
    """A point in a store's history: generation, frames of its journal, chain head after them."""

    generation: int
    frames: int
    chain: str  # hex SHA-256; "" for a version 1 store, which has no chain

    def is_older_than(self, other: Seen) -> bool:
        return (self.generation, self.frames) < (other.generation, other.frames)


def anchor_dir() -> Path:
    """Outside every store folder: the per-user, non-roaming data folder's `seen` subfolder."""
    import platformdirs

    return Path(platformdirs.user_data_dir("SafeDesk", appauthor=False, roaming=False)) / "seen"


def _path(store_id: str) -> Path | None:
    return anchor_dir() / f"{store_id}.json" if _STORE_ID.match(store_id) else None


def load(store_id: str) -> Seen | None:
    """The last state seen of this store on this computer, or None."""
    path = _path(store_id)
    if path is None:
        return None
    try:
        data = json.loads(path.read_bytes())
        return Seen(int(data["generation"]), int(data["frames"]), str(data["chain"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(store_id: str, seen: Seen) -> None:
    """Note `seen` as the newest state; never raises (a save must not fail for a hint)."""
    path = _path(store_id)
    if path is None:
        return
    data = json.dumps({"store_id": store_id, "generation": seen.generation, "frames": seen.frames, "chain": seen.chain})
    tmp = temp_name(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        try:
            os.write(fd, data.encode("ascii"))
        finally:
            os.close(fd)
        replace(tmp, path)
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass  # a full or read-only disk: the note stays as it was
        return


def forget(store_id: str) -> None:
    """Drop the note (after a backup was restored on purpose: older is then expected)."""
    path = _path(store_id)
    if path is not None:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            return
