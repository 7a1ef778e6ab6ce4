"""The hash-chained audit log: every change, export, failed unlock and key change.

Each entry's hash covers its own fields and the previous entry's hash, so
removing, reordering or editing any entry breaks every hash after it.
`verify()` walks the chain; the head hash can be written in a report or read
out over the phone to pin the log's state at a moment in time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from safedesk.store.engine.db import Database
from safedesk.store.engine.keys.header import canonical
from safedesk.store.engine.records import Record, utcnow


@dataclass(kw_only=True)
class AuditEntry(Record):
    TABLE: ClassVar[str] = "audit"

    seq: int
    at: datetime
    actor: str
    action: str  # dotted verb: "record.create", "unlock.failed", "keys.add", "export.report", ...
    target: str  # what it is about, e.g. "users/3"; "" for the store as a whole
    summary: str  # never a secret, never a record's text
    prev: str
    hash: str = ""

    def compute_hash(self) -> str:
        doc = self.to_doc()
        doc.pop("hash")
        return hashlib.sha256(canonical(doc)).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    head: str
    problem: str = ""


def genesis(store_id: str) -> str:
    return hashlib.sha256(b"safedesk-audit-genesis\0" + bytes.fromhex(store_id)).hexdigest()


class AuditLog:
    def __init__(self, db: Database, store_id: str) -> None:
        self._db = db
        self._genesis = genesis(store_id)
        self._tail: AuditEntry | None = None

    def _last(self) -> AuditEntry | None:
        if self._tail is None:
            raw = self._db.scan(AuditEntry.TABLE)
            # The highest id, known since unlock (entries are never deleted): reading every id
            # here made the first save of a session pause tens of ms at 100,000 entries.
            doc_id = str(self._db.highest_id(AuditEntry.TABLE))
            if doc_id not in raw and raw:
                doc_id = max(raw, key=int)
            if doc_id in raw:
                self._tail = AuditEntry.from_doc(raw[doc_id], int(doc_id))
        return self._tail

    def append(self, actor: str, action: str, summary: str, target: str = "", at: datetime | None = None) -> AuditEntry:
        """Add an entry; call inside the transaction of the change it records."""
        last = self._last()
        entry = AuditEntry(
            seq=(last.seq + 1) if last else 1,
            at=at or utcnow(),
            actor=actor,
            action=action,
            target=target,
            summary=summary,
            prev=last.hash if last else self._genesis,
        )
        entry.hash = entry.compute_hash()
        entry.id = self._db.insert(AuditEntry.TABLE, entry.to_doc())
        self._tail = entry
        return entry

    def latest(self) -> AuditEntry | None:
        """The newest entry (the last audited moment), or None for an empty log."""
        return self._last()

    def forget_cache(self) -> None:
        self._tail = None

    def entries(self) -> list[AuditEntry]:
        raw = self._db.scan(AuditEntry.TABLE)
        return sorted((AuditEntry.from_doc(doc, int(doc_id)) for doc_id, doc in raw.items()), key=lambda e: e.seq)

    def head(self) -> str:
        last = self._last()
        return last.hash if last else self._genesis

    def verify(self) -> ChainReport:
        prev = self._genesis
        entries = self.entries()
        for expected_seq, entry in enumerate(entries, start=1):
            if entry.seq != expected_seq:
                return ChainReport(False, len(entries), prev, f"entry {expected_seq} is missing or out of order")
            if entry.prev != prev:
                return ChainReport(False, len(entries), prev, f"entry {entry.seq} does not follow entry {entry.seq - 1}")
            if entry.compute_hash() != entry.hash:
                return ChainReport(False, len(entries), prev, f"entry {entry.seq} was altered after it was written")
            prev = entry.hash
        return ChainReport(True, len(entries), prev)
