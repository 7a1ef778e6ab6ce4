"""TinyDB over the encrypted vault: the one module that imports tinydb.

TinyDB's storage here hands back the vault's live in-memory tables (no disk, no
decryption), and its tables are `VaultTable`s: a write runs TinyDB's own updater
over a view of the table that records which documents it touched, and hands
the vault just those (`Vault.change`), which commits them through its journal.
Nothing is diffed or copied whole: a write costs the documents it changes.

What the engine relies on in TinyDB stays in this file, and tinydb is pinned
for it: every write reaches `Table._update_table` with an updater over a
mapping of int ids (insert, update, upsert, remove, truncate), and `drop_table`
/ `drop_tables` are the only other writers; and a table's `_next_id` is the id its
next insert takes (None: found from the table at that insert).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from types import MappingProxyType
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from safedesk.store.engine.changes import Tables
from safedesk.store.engine.vault import Vault
from safedesk.store.errors import RecordNotFound

# A table's stored documents: id (as text) -> document. Read-only (see Database.scan).
Documents = Mapping[str, Mapping[str, Any]]
_EMPTY: Documents = MappingProxyType({})


class VaultStorage(Storage):
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    def read(self) -> Tables | None:
        return self.vault.data

    def write(self, data: Tables) -> None:
        raise NotImplementedError("SafeDesk writes reach the vault through VaultTable, never as whole tables")

    def close(self) -> None:
        """The session closes the vault; TinyDB's close must not."""


class _Edit(MutableMapping[int, Any]):
    """What TinyDB's updater sees of a table: the stored documents by int id, copied when
    touched (stored documents are never changed in place), every change kept aside."""

    def __init__(self, stored: Mapping[str, Any]) -> None:
        self._stored = stored
        self._new: dict[str, Any] = {}  # id -> document, None once deleted

    def __getitem__(self, doc_id: int) -> Any:
        key = str(doc_id)
        if key in self._new:
            doc = self._new[key]
            if doc is None:
                raise KeyError(doc_id)
            return doc
        doc = json.loads(json.dumps(self._stored[key]))  # the updater may change it in place
        self._new[key] = doc
        return doc

    def __setitem__(self, doc_id: int, doc: Any) -> None:
        self._new[str(doc_id)] = doc

    def __delitem__(self, doc_id: int) -> None:
        if doc_id not in self:
            raise KeyError(doc_id)
        self._new[str(doc_id)] = None

    def __contains__(self, doc_id: object) -> bool:
        key = str(doc_id)
        if key in self._new:
            return self._new[key] is not None
        return key in self._stored

    def __iter__(self) -> Iterator[int]:
        for key in self._stored:
            if self._new.get(key, True) is not None:
                yield int(key)
        for key, doc in self._new.items():
            if doc is not None and key not in self._stored:
                yield int(key)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def clear(self) -> None:
        for key in [*self._stored, *self._new]:
            self._new[key] = None

    def changes(self) -> dict[str, Any]:
        """The documents that differ from what is stored (None: deleted)."""
        return {
            key: doc
            for key, doc in self._new.items()
            if (doc is None and key in self._stored) or (doc is not None and self._stored.get(key) != doc)
        }


class VaultTable(Table):
    def _update_table(self, updater: Callable[[dict[int, Mapping[str, Any]]], None]) -> None:
        """TinyDB's one write path: run its updater over an `_Edit` and hand the vault what changed."""
        storage = self.storage
        assert isinstance(storage, VaultStorage)
        vault = storage.vault
        edit = _Edit(vault.data.get(self.name, {}))
        updater(edit)  # type: ignore[arg-type]  # a MutableMapping, which is all TinyDB's updaters use
        vault.change(self.name, edit.changes())
        self.clear_cache()


class _VaultTinyDB(TinyDB):
    table_class = VaultTable

    def _vault(self) -> Vault:
        storage = self.storage
        assert isinstance(storage, VaultStorage)
        return storage.vault

    def drop_table(self, name: str) -> None:
        self._tables.pop(name, None)
        self._vault().drop_table(name)

    def drop_tables(self) -> None:
        self._tables.clear()
        vault = self._vault()
        with vault.transaction():
            for name in list(vault.data):
                vault.drop_table(name)


class Database:
    """The store's tables. Reads go straight to the stored documents; writes go through TinyDB."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault
        self._db = _VaultTinyDB(storage=VaultStorage, vault=vault)
        # Table -> (its dict, its version, a read-only view): an unchanged table scans as the same object.
        self._views: dict[str, tuple[dict[str, Any], int, Documents]] = {}
        self._warm_next_ids()

    def _warm_next_ids(self) -> None:
        """Find each table's next document id now, while the store is being opened.

        TinyDB finds it at a table's first insert by converting every id in the table: at
        100,000 records that first save paid tens of milliseconds per table on the UI thread,
        and over 100 ms with a background fold competing for the interpreter lock (the worst
        pause `python -m bench store` measured). Unlock reads the whole store anyway.
        A read-only session never inserts.
        """
        if self._vault.read_only:
            return
        for name, docs in self._vault.data.items():
            # TinyDB's own rule: one past the highest id in use (1 for an empty table). Its
            # attribute is typed by the None it starts as.
            self._db.table(name)._next_id = max(map(int, docs), default=0) + 1  # type: ignore[assignment]

    def highest_id(self, table: str) -> int:
        """The highest document id `table` has given out (0 for none): without reading every id
        once the store is open for writing (that document may since have been removed)."""
        known = self._db.table(table)._next_id
        if known is not None:
            return int(known) - 1
        return max(map(int, self.scan(table)), default=0)

    def scan(self, table: str) -> Documents:
        """Every stored document of a table, id (text) -> document, without copying or decoding.

        Read-only: a write must go through a repository (which validates and audits it). The
        mapping shows the table as it is now; every write to the table gives the next scan a new
        mapping, so an unchanged identity (`is`) means the table has not changed since it was scanned.
        """
        raw = self._vault.data.get(table)
        if raw is None:
            return _EMPTY
        version = self._vault.version(table)
        seen = self._views.get(table)
        if seen is None or seen[0] is not raw or seen[1] != version:
            seen = (raw, version, MappingProxyType(raw))
            self._views[table] = seen
        return seen[2]

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
        # Straight to the vault: only these documents are written.
        self._vault.change(table, {str(doc_id): dict(doc) for doc_id, doc in new_docs.items()})
        self.table(table).clear_cache()

    def remove(self, table: str, doc_id: int) -> None:
        self.table(table).remove(doc_ids=[doc_id])

    def forget(self) -> None:
        """After a rollback: drop TinyDB's query caches, and find the next ids again from what is stored
        (the ones held may count inserts that were undone)."""
        self._db = _VaultTinyDB(storage=VaultStorage, vault=self._vault)
        self._views.clear()
        self._warm_next_ids()
