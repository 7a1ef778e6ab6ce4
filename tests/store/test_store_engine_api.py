"""The engine's public API for features: read-only scans, bulk writes, blobs, and keys kept inside the vault."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pytest

from safedesk.store.engine.blobs import BlobDamaged, read_blob, write_blob
from safedesk.store.engine.records import Record, require
from safedesk.store.engine.session import Session
from safedesk.store.errors import InvalidInput
from tests.kit import PASSPHRASE


@dataclass(kw_only=True)
class Item(Record):
    TABLE: ClassVar[str] = "items"

    name: str
    colour: str = ""

    def validate(self) -> None:
        require(bool(self.name), "Name the item.", "name")


def test_scan_is_the_stored_table_read_only_and_changes_identity_on_write(session: Session) -> None:
    items = session.repo(Item)
    first = items.add(Item(name="kite", colour="red"))
    scanned = session.scan(Item.TABLE)
    assert dict(scanned[str(first.id)]) == {"name": "kite", "colour": "red"}
    assert session.scan(Item.TABLE) is scanned  # unchanged table, same object: callers cache on it
    with pytest.raises(TypeError):
        scanned["99"] = {"name": "smuggled"}  # type: ignore[index]
    items.add(Item(name="yo-yo"))
    again = session.scan(Item.TABLE)
    assert again is not scanned and len(again) == 2


def test_scanning_a_missing_table_neither_fails_nor_creates_it(session: Session) -> None:
    assert len(session.scan("never_written")) == 0
    assert "never_written" not in session.vault.data


def test_find_by_and_write_many_share_one_audit_entry(session: Session) -> None:
    items = session.repo(Item)
    kite = items.add(Item(name="kite", colour="red"))
    before = len(session.audit.entries())
    items.write_many(
        [Item(name="ball", colour="red"), Item(name="hoop")],
        [Item(id=kite.id, name="kite", colour="blue")],
        "items.import",
        "2 added, 1 changed",
    )
    entries = session.audit.entries()
    assert len(entries) == before + 1 and entries[-1].action == "items.import" and entries[-1].summary == "2 added, 1 changed"
    assert [i.name for i in items.find_by("colour", "red")] == ["ball"]
    assert items.get(kite.id or 0).colour == "blue"
    with pytest.raises(InvalidInput):
        items.write_many([Item(name="")], [], "items.import", "refused")
    assert items.count() == 3 and len(session.audit.entries()) == before + 1


def test_a_rolled_back_insert_leaves_no_trace_in_the_next_id(session: Session) -> None:
    items = session.repo(Item)
    with pytest.raises(RuntimeError), session.transaction():
        items.add(Item(name="undone"))
        raise RuntimeError("boom")
    assert items.add(Item(name="kept")).id == 1  # TinyDB's next id was reset with the rollback


def test_blob_round_trips_and_refuses_other_associated_data(session: Session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "blobs" / "one.bin"
    write_blob(session, path, b"screenshot bytes", b"evidence:one")
    assert b"screenshot" not in path.read_bytes()
    assert read_blob(session, path, b"evidence:one") == b"screenshot bytes"
    with pytest.raises(BlobDamaged):
        read_blob(session, path, b"evidence:two")
    sealed = bytearray(path.read_bytes())
    sealed[-1] ^= 1
    path.write_bytes(bytes(sealed))
    with pytest.raises(BlobDamaged):
        read_blob(session, path, b"evidence:one")


def test_a_blob_does_not_open_in_another_store(session: Session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "one.bin"
    write_blob(session, path, b"data", b"aad")
    other, _recovery = Session.create(tmp_path / "other", "Elm Primary", "Ann Lee", PASSPHRASE)
    try:
        with pytest.raises(BlobDamaged):
            read_blob(other, path, b"aad")
    finally:
        other.close()


def test_the_data_key_never_leaves_the_vault(session: Session) -> None:
    assert not hasattr(session.vault, "data_key")
    assert session.passphrase_opens_store(PASSPHRASE)
    assert not session.passphrase_opens_store("not the passphrase of this store")
