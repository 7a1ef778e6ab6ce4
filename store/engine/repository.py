"""Repositories: the only way features read and write records.

Every write validates the record, cleans its text, and commits together with
its audit entry in one transaction: a change is never stored without its audit
line, nor an audit line without its change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Generic

from safedesk.store.engine.records import R
from safedesk.store.errors import NotAllowed, RecordNotFound

if TYPE_CHECKING:
    from safedesk.store.engine.session import Session


class Repository(Generic[R]):
    def __init__(self, session: Session, cls: type[R]) -> None:
        self._session = session
        self._cls = cls
        self._table = session.db.table(cls.TABLE)

    @property
    def label(self) -> str:
        return self._cls.__name__

    def _target(self, doc_id: int) -> str:
        return f"{self._cls.TABLE}/{doc_id}"

    # ----------------------------------------------------------------- reads

    def get(self, doc_id: int) -> R:
        doc = self._table.get(doc_id=doc_id)
        if doc is None:
            raise RecordNotFound(f"No {self.label.lower()} with id {doc_id}.")
        return self._cls.from_doc(dict(doc), doc_id)

    def all(self) -> list[R]:
        return [self._cls.from_doc(dict(doc), doc.doc_id) for doc in self._table.all()]

    def __iter__(self) -> Iterator[R]:
        return iter(self.all())

    def find(self, predicate: Callable[[R], bool]) -> list[R]:
        return [r for r in self.all() if predicate(r)]

    def first(self, predicate: Callable[[R], bool] | None = None) -> R | None:
        return next((r for r in self.all() if predicate is None or predicate(r)), None)

    def count(self) -> int:
        return len(self._table)

    # ----------------------------------------------------------------- writes

    def add(self, record: R, summary: str = "") -> R:
        record = record.cleaned()
        record.validate()
        with self._session.transaction():
            doc_id = self._table.insert(record.to_doc())
            self._session.audit_event("record.create", summary or f"{self.label} added", self._target(doc_id))
        return dataclasses.replace(record, id=doc_id)

    def save(self, record: R, summary: str = "") -> R:
        """Store a changed record; the audit entry names the fields that changed (not their values)."""
        if record.id is None:
            raise RecordNotFound(f"This {self.label.lower()} has not been stored yet.")
        record = record.cleaned()
        record.validate()
        old = self.get(record.id).to_doc()
        new = record.to_doc()
        changed = sorted(k for k in new if old.get(k) != new[k])
        if not changed:
            return record
        with self._session.transaction():
            self._table.update(_replace_with(new), doc_ids=[record.id])
            self._session.audit_event(
                "record.update", summary or f"{self.label} changed: {', '.join(changed)}", self._target(record.id)
            )
        return record

    def delete(self, record: R, reason: str) -> None:
        if not self._cls.DELETABLE:
            raise NotAllowed(f"A {self.label.lower()} is never deleted: it is part of the record.")
        if record.id is None:
            raise RecordNotFound(f"This {self.label.lower()} has not been stored yet.")
        with self._session.transaction():
            self._table.remove(doc_ids=[record.id])
            self._session.audit_event("record.delete", f"{self.label} deleted: {reason}", self._target(record.id))


def _replace_with(new: dict) -> Callable[[dict], None]:
    def apply(doc: dict) -> None:
        doc.clear()
        doc.update(new)

    return apply
