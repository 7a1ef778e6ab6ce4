"""Repositories: the only way features write records.

Every write validates the record, cleans its text, and commits together with
its audit entry in one transaction: a change is never stored without its audit
line, nor an audit line without its change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Generic, Protocol

from safedesk.store.engine.db import Database
from safedesk.store.engine.records import R
from safedesk.store.errors import NotAllowed, RecordNotFound


class RecordStore(Protocol):
    """What a repository needs of the session (a protocol, so this module does not import it)."""

    @property
    def db(self) -> Database: ...

    def transaction(self) -> AbstractContextManager[None]: ...

    def audit_event(self, action: str, summary: str, target: str = "") -> None: ...


class Repository(Generic[R]):
    def __init__(self, session: RecordStore, cls: type[R]) -> None:
        self._session = session
        self._cls = cls
        self._name = cls.TABLE

    @property
    def label(self) -> str:
        return self._cls.__name__

    def _target(self, doc_id: int) -> str:
        return f"{self._name}/{doc_id}"

    # ----------------------------------------------------------------- reads

    def get(self, doc_id: int) -> R:
        doc = self._session.db.scan(self._name).get(str(doc_id))
        if doc is None:
            raise RecordNotFound(f"No {self.label.lower()} with id {doc_id}.")
        return self._cls.from_doc(dict(doc), doc_id)

    def all(self) -> list[R]:
        return [self._cls.from_doc(dict(doc), int(doc_id)) for doc_id, doc in self._session.db.scan(self._name).items()]

    def __iter__(self) -> Iterator[R]:
        return iter(self.all())

    def find(self, predicate: Callable[[R], bool]) -> list[R]:
        return [r for r in self.all() if predicate(r)]

    def find_by(self, field: str, value: object) -> list[R]:
        """The records whose stored `field` equals `value`, decoding only those (fast on big tables)."""
        docs = self._session.db.scan(self._name)
        return [self._cls.from_doc(dict(doc), int(doc_id)) for doc_id, doc in docs.items() if doc.get(field) == value]

    def first(self, predicate: Callable[[R], bool] | None = None) -> R | None:
        return next((r for r in self.all() if predicate is None or predicate(r)), None)

    def count(self) -> int:
        return len(self._session.db.scan(self._name))

    # ----------------------------------------------------------------- writes

    def add(self, record: R, summary: str = "") -> R:
        record = record.cleaned()
        record.validate()
        with self._session.transaction():
            doc_id = self._session.db.insert(self._name, record.to_doc())
            self._session.audit_event("record.create", summary or f"{self.label} added", self._target(doc_id))
        return dataclasses.replace(record, id=doc_id)

    def save(self, record: R, summary: str = "") -> R:
        """Store a changed record; the audit entry names the fields that changed (not their values)."""
        if record.id is None:
            raise RecordNotFound(f"This {self.label.lower()} has not been stored yet.")
        doc_id = record.id
        record = record.cleaned()
        record.validate()
        old = self.get(doc_id).to_doc()
        new = record.to_doc()
        changed = sorted(k for k in new if old.get(k) != new[k])
        if not changed:
            return record
        with self._session.transaction():
            self._session.db.replace(self._name, {doc_id: new})
            self._session.audit_event(
                "record.update", summary or f"{self.label} changed: {', '.join(changed)}", self._target(doc_id)
            )
        return record

    def write_many(self, added: Sequence[R], changed: Sequence[R], action: str, summary: str) -> None:
        """Add and replace many records under ONE audit entry (a bulk import), in one rewrite of the table.

        Each record is validated; the caller has cleaned them (an import previews them first) and
        `summary` counts what changed.
        """
        for record in (*added, *changed):
            record.validate()
        replaced = {r.id: r.to_doc() for r in changed if r.id is not None}
        with self._session.transaction():
            if added:
                self._session.db.insert_many(self._name, (r.to_doc() for r in added))
            self._session.db.replace(self._name, replaced)
            self._session.audit_event(action, summary, self._name)

    def delete(self, record: R, reason: str) -> None:
        if not self._cls.DELETABLE:
            raise NotAllowed(f"A {self.label.lower()} is never deleted: it is part of the record.")
        if record.id is None:
            raise RecordNotFound(f"This {self.label.lower()} has not been stored yet.")
        with self._session.transaction():
            self._session.db.remove(self._name, record.id)
            self._session.audit_event("record.delete", f"{self.label} deleted: {reason}", self._target(record.id))
