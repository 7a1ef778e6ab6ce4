"""TinyDB over the encrypted vault: the one module that imports tinydb.

TinyDB reads and rewrites the whole database on every operation; its storage here
hands back the vault's live in-memory tables (no disk, no decryption) and a write
commits only what changed, through the vault's journal. Everything else in the
store reaches the documents through `Database`, so what the engine relies on in
TinyDB (every write replaces the table's dict, which the vault's diff and `scan`'s
identity use; `update` hands the updater the stored document itself) stays in
this file, and tinydb is pinned for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from types import MappingProxyType
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from safedesk.store.engine.vault import Tables, Vault
from safedesk.store.errors import RecordNotFound

# A table's stored documents: id (as text) -> document. Read-only (see Database.scan).
Documents = Mapping[str, Mapping[str, Any]]
_EMPTY: Documents = MappingProxyType({})


class VaultStorage(Storage):
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def read(self) -> Tables | None:
        return self._vault.data

    def write(self, data: Tables) -> None:
        self._vault.note_write(data)

    def close(self) -> None:
        """The session closes the vault; TinyDB's close must not."""


class Database:
    """The store's tables. Reads go straight to the stored documents; writes go through TinyDB."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault
        self._db = TinyDB(storage=VaultStorage, vault=vault)
        # Table dict -> its read-only view, so an unchanged table scans as the same object.
        self._views: dict[str, tuple[dict[str, Any], Documents]] = {}

    def scan(self, table: str) -> Documents:
        """Every stored document of a table, id (text) -> document, without copying or decoding.

        Read-only: a write must go through a repository (which validates and audits it). The
        mapping is the table as it is now; every write to the table replaces it, so an unchanged
        identity (`is`) means the table has not changed since it was scanned.
        """
        raw = self._vault.data.get(table)
        if raw is None:
            return _EMPTY
        seen = self._views.get(table)
        if seen is None or seen[0] is not raw:
            seen = (raw, MappingProxyType(raw))
            self._views[table] = seen
        return seen[1]

    def table(self, name: str) -> Table:
        """TinyDB's table: for the engine's repositories and audit log, and for tests and
        benchmarks that write past the repositories on purpose. Features never use it."""
        return self._db.table(name)

    def insert(self, table: str, doc: Mapping[str, Any]) -> int:
        return self.table(table).insert(dict(doc))

    def insert_many(self, table: str, docs: Iterable[Mapping[str, Any]]) -> list[int]:
        return self.table(table).insert_multiple(dict(d) for d in docs)

    def replace(self, table: str, new_docs: Mapping[int, Mapping[str, Any]]) -> None:
        """Replace whole documents by id, in one rewrite of the table."""
        if not new_docs:
            return
        raw = self.scan(table)
        missing = [doc_id for doc_id in new_docs if str(doc_id) not in raw]
        if missing:
            raise RecordNotFound(f"No record with id {missing[0]} in {table}.")
        # TinyDB hands the updater each document but not its id: find the new version by the
        # stored document object itself.
        by_object = {id(raw[str(doc_id)]): doc for doc_id, doc in new_docs.items()}

        def apply(doc: MutableMapping[str, Any]) -> None:
            new = by_object[id(doc)]
            doc.clear()
            doc.update(new)

        self.table(table).update(apply, doc_ids=list(new_docs))

    def remove(self, table: str, doc_id: int) -> None:
        self.table(table).remove(doc_ids=[doc_id])

    def forget(self) -> None:
        """After a rollback: drop TinyDB's query caches and next ids, which may name what was undone."""
        self._db = TinyDB(storage=VaultStorage, vault=self._vault)
        self._views.clear()
