"""TinyDB's Storage interface over the encrypted vault.

TinyDB reads and rewrites the whole database on every operation; here `read`
hands back the live in-memory tables (no disk, no decryption) and `write`
commits only what changed, through the vault's journal.
"""

from __future__ import annotations

from typing import Any

from tinydb.storages import Storage

from safedesk.store.engine.vault import Vault


class VaultStorage(Storage):
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def read(self) -> dict[str, dict[str, Any]] | None:
        return self._vault.data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self._vault.note_write(data)

    def close(self) -> None:
        """The session closes the vault; TinyDB's close must not."""
