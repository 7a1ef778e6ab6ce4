"""Encrypted files kept beside the store (evidence files): sealed with the store's data key.

Each blob is bound to associated data the feature chooses (what the file is and its
hash), so a blob renamed, swapped for another or altered fails to open rather than
being shown as something it is not. The data key never leaves the vault.
"""

from __future__ import annotations

from pathlib import Path

from safedesk.store.engine.files import atomic_write, make_private_dir
from safedesk.store.engine.keys.crypto import DecryptionFailed
from safedesk.store.engine.session import Session


class BlobDamaged(Exception):
    """A blob did not open with the associated data given: altered, swapped or not this store's."""


def write_blob(session: Session, path: Path, data: bytes, aad: bytes) -> None:
    """Seal `data` and write it atomically at `path` (private folder); raises OSError if the disk refuses."""
    make_private_dir(path.parent)
    atomic_write(path, session.vault.seal(data, aad))


def read_blob(session: Session, path: Path, aad: bytes) -> bytes:
    """The plaintext of the blob at `path`; raises OSError if it cannot be read, BlobDamaged if it fails to open."""
    sealed = path.read_bytes()
    try:
        return session.vault.open_sealed(sealed, aad)
    except DecryptionFailed:
        raise BlobDamaged(f"{path.name} failed its integrity check") from None
