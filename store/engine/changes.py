"""What the open transaction changed: the documents a commit writes, the before-images a rollback restores.

The live tables are the only copy of the data. Each change is recorded as the
document's JSON text (the frame's payload, and what the live table then holds,
parsed back, so memory never differs from what was written) and the document as
it was before the transaction first touched it. A commit costs the documents
changed, not the size of the store; a failed commit puts the before-images back.

Stored documents are never changed in place (db.py copies a document before
TinyDB's updater touches it), so a before-image is the stored object itself,
and a shallow copy of a table is a consistent snapshot of it (see the fold).
"""

from __future__ import annotations

import json
from typing import Any

Tables = dict[str, dict[str, Any]]

_ABSENT = object()  # before-image of a document that did not exist


def doc_json(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


class ChangeLog:
    def __init__(self) -> None:
        # (table, doc id) -> document before the transaction (or _ABSENT), in order of first change.
        self._before: dict[tuple[str, str], Any] = {}
        # (table, doc id) -> its JSON text now, None once deleted.
        self._after: dict[tuple[str, str], str | None] = {}
        # table -> the table object before the transaction, None if it did not exist. A table
        # created or dropped in the transaction is written (and restored) whole.
        self._tables: dict[str, dict[str, Any] | None] = {}

    def __bool__(self) -> bool:
        return bool(self._after or self._tables)

    def tables_touched(self) -> set[str]:
        return {name for name, _ in self._before} | set(self._tables)

    def put(self, tables: Tables, name: str, doc_id: str, doc: Any) -> None:
        """Store `doc` (None: delete) as tables[name][doc_id], remembering what was there."""
        table = tables.get(name)
        if table is None:
            self._tables.setdefault(name, None)
            table = tables[name] = {}
        key = (name, doc_id)
        if name not in self._tables and key not in self._before:
            self._before[key] = table.get(doc_id, _ABSENT)
        if doc is None:
            table.pop(doc_id, None)
            self._after[key] = None
        else:
            text = doc_json(doc)
            table[doc_id] = json.loads(text)
            self._after[key] = text

    def create(self, tables: Tables, name: str) -> None:
        if name not in tables:
            self._tables.setdefault(name, None)
            tables[name] = {}

    def drop(self, tables: Tables, name: str) -> None:
        if name in tables:
            self._tables.setdefault(name, tables[name])
            del tables[name]

    def frame_ops(self, tables: Tables) -> list[str]:
        """The journal frame's operations, as JSON texts, taking the state from `tables`."""
        ops: list[str] = []
        for name, before in self._tables.items():
            now = tables.get(name)
            if now is before:
                continue  # created and dropped again, or dropped and restored
            name_json = json.dumps(name, ensure_ascii=False)
            if before is not None:
                ops.append(f'["drop",{name_json}]')
            if now is not None:
                ops.append(f'["table",{name_json}]')
                ops.extend(f'["put",{name_json},{json.dumps(i)},{doc_json(doc)}]' for i, doc in now.items())
        for (name, doc_id), text in self._after.items():
            if name in self._tables:
                continue  # written whole above
            name_json = json.dumps(name, ensure_ascii=False)
            if text is None:
                if self._before.get((name, doc_id)) is not _ABSENT:
                    ops.append(f'["del",{name_json},{json.dumps(doc_id)}]')
            else:
                ops.append(f'["put",{name_json},{json.dumps(doc_id)},{text}]')
        return ops

    def committed(self, tables: Tables) -> Tables:
        """The tables as they were before the transaction, leaving `tables` as they are: tables
        it did not touch are shared, touched ones copied (for a generation whose journal starts
        with this transaction's frame)."""
        out = dict(tables)
        for name, before in self._tables.items():
            if before is None:
                out.pop(name, None)
            else:
                out[name] = before
        copied: set[str] = set()
        for (name, doc_id), before in self._before.items():
            table = out.get(name)
            if table is None:
                continue
            if name not in copied:
                table = out[name] = dict(table)
                copied.add(name)
            if before is _ABSENT:
                table.pop(doc_id, None)
            else:
                table[doc_id] = before
        return out

    def restore(self, tables: Tables) -> None:
        """Undo every change on `tables` (after a failed commit or an exception in the transaction)."""
        for name, before in self._tables.items():
            if before is None:
                tables.pop(name, None)
            else:
                tables[name] = before
        for (name, doc_id), before in self._before.items():
            table = tables.get(name)
            if table is None:
                continue
            if before is _ABSENT:
                table.pop(doc_id, None)
            else:
                table[doc_id] = before
