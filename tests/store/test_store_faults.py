"""Faults on disk: tampering, truncation, torn writes, full disks, a second process, leaks."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from safedesk.store.engine import anchor
from safedesk.store.engine import vault as vault_module
from safedesk.store.engine.session import OpenOptions, Session
from safedesk.store.engine.vault import BACKUP_SUFFIX, JOURNAL_FILE, STORE_FILE, read_header
from safedesk.store.errors import StoreCorrupt, StoreLocked, StoreWriteError, WrongPassphrase
from tests.kit import PASSPHRASE, Note

SECRET_NAME = "Zebulon Quartermaine-Oyelaran"


def _filled(store_dir: Path, notes: int = 5, compact_bytes: int = vault_module.MIN_COMPACT_BYTES) -> None:
    options = OpenOptions(compact_bytes=compact_bytes)
    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE, options)
    for i in range(notes):
        session.repo(Note).add(Note(title=f"note {i}"))
    session.close()


def _titles(store_dir: Path, **kwargs) -> list[str]:
    with Session.open(store_dir, PASSPHRASE, **kwargs) as session:
        return sorted(n.title for n in session.repo(Note).all())


def test_changes_survive_reopen_through_journal_and_compaction(store_dir):
    _filled(store_dir, notes=60, compact_bytes=2048)  # small threshold: many generations
    assert _titles(store_dir) == sorted(f"note {i}" for i in range(60))
    assert (store_dir / (STORE_FILE + BACKUP_SUFFIX)).exists()


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_damaged_store_file_is_refused_named_and_kept(store_dir, damage):
    _filled(store_dir, notes=15, compact_bytes=1024)
    path = store_dir / STORE_FILE
    raw = bytearray(path.read_bytes())
    if damage == "flip":
        raw[-40] ^= 0x01
    else:
        raw = raw[: len(raw) - 100]
    path.write_bytes(bytes(raw))
    with pytest.raises(StoreCorrupt) as error:
        Session.open(store_dir, PASSPHRASE)
    assert str(path) in str(error.value) and error.value.backup
    assert path.read_bytes() == bytes(raw)  # never overwritten

    titles = _titles(store_dir, use_backup=True)  # `safedesk recover`
    assert titles and set(titles) <= {f"note {i}" for i in range(15)}
    assert list(store_dir.glob(f"{STORE_FILE}.damaged-*"))[0].read_bytes() == bytes(raw)
    assert _titles(store_dir) == titles  # the recovered generation is now the store


def test_damaged_header_is_refused(store_dir):
    _filled(store_dir)
    path = store_dir / STORE_FILE
    path.write_bytes(path.read_bytes().replace(b'"argon2id"', b'"argon2ix"').replace(b'"scrypt"', b'"scrypx"'))
    with pytest.raises(StoreCorrupt, match="damaged"):
        Session.open(store_dir, PASSPHRASE)


def test_torn_journal_tail_is_ignored_but_a_changed_frame_is_refused(store_dir, monkeypatch):
    _filled(store_dir, notes=3)
    journal = store_dir / JOURNAL_FILE
    intact = journal.read_bytes()
    with monkeypatch.context() as crash:
        # A crash after the frame's write began: this computer never noted the save as made.
        crash.setattr(anchor, "save", lambda store_id, seen: None)
        with Session.open(store_dir, PASSPHRASE) as session:
            session.repo(Note).add(Note(title="never acknowledged"))
    whole = journal.read_bytes()
    assert len(whole) > len(intact) + 16
    for cut in (len(intact) + 3, len(intact) + 20, len(whole) - 1):
        journal.write_bytes(whole[:cut])  # the frame's write never finished
        assert _titles(store_dir, read_only=True) == ["note 0", "note 1", "note 2"]
    journal.write_bytes(intact + b"\0" * 64)  # zeros from a power cut
    assert _titles(store_dir, read_only=True) == ["note 0", "note 1", "note 2"]

    raw = bytearray(intact)
    raw[len(raw) // 2] ^= 0x40  # inside an earlier, complete frame
    journal.write_bytes(bytes(raw))
    with pytest.raises(StoreCorrupt, match="journal"):
        Session.open(store_dir, PASSPHRASE)


def _fail_writes(monkeypatch: pytest.MonkeyPatch, error: OSError) -> list[bytes]:
    """Every os.write fails with `error`; returns the start of each write that was refused."""
    refused: list[bytes] = []

    def refuse(fd: int, data: bytes) -> int:
        refused.append(bytes(data[:32]))
        raise error

    monkeypatch.setattr(os, "write", refuse)
    return refused


@pytest.mark.parametrize(
    "error",
    [OSError(errno.ENOSPC, "No space left on device"), PermissionError(errno.EACCES, "Permission denied")],
    ids=["disk-full", "permission-denied"],
)
def test_failed_write_is_reported_and_loses_nothing(store_dir, monkeypatch, error):
    # A commit is one journal frame; folding the journal into a new generation comes after it
    # and cannot undo it (tests/test_store_integrity.py fails compactions on a full disk).
    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE, OpenOptions(compact_bytes=1 << 30))
    notes = session.repo(Note)
    notes.add(Note(title="safe"))
    store_file = store_dir / STORE_FILE
    generation = read_header(store_file)[1]
    with monkeypatch.context() as patch:
        refused = _fail_writes(patch, error)
        with pytest.raises(StoreWriteError) as failure:
            notes.add(Note(title="lost", body="x" * 300))
    assert refused and not refused[0].startswith((vault_module.MAGIC, vault_module.JMAGIC))  # a journal frame
    message = str(failure.value)
    assert ("disk is full" in message) == (error.errno == errno.ENOSPC)
    assert "Nothing already saved was changed" in message and "lost" not in message
    assert [n.title for n in notes.all()] == ["safe"]  # memory rolled back
    assert read_header(store_file)[1] == generation
    notes.add(Note(title="after", body="x" * 300))  # the same write with room on disk: the store still works
    session.close()
    assert _titles(store_dir) == ["after", "safe"]
    assert not list(store_dir.glob("*.tmp-*"))


def test_no_plaintext_anywhere_under_the_store_folder(store_dir):
    options = OpenOptions(compact_bytes=4096)
    session, _ = Session.create(store_dir, SECRET_NAME, SECRET_NAME, PASSPHRASE, options)
    for i in range(40):
        session.repo(Note).add(Note(title=f"{SECRET_NAME} {i}", body="Pupil said she was frightened"))
    session.close()
    with pytest.raises(WrongPassphrase):
        Session.open(store_dir, "a wrong guess at the passphrase")
    needles = [SECRET_NAME.encode(), b"Zebulon", b"Quartermaine", b"frightened", SECRET_NAME.encode("utf-16-le")]
    files = [p for p in store_dir.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {STORE_FILE, JOURNAL_FILE, STORE_FILE + BACKUP_SUFFIX, "safedesk.events"}
    for path in files:
        blob = path.read_bytes()
        for needle in needles:
            assert needle not in blob, f"{needle!r} in {path.name}"


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_store_files_are_owner_only(store_dir):
    _filled(store_dir, compact_bytes=1024)
    assert stat.S_IMODE(store_dir.stat().st_mode) == 0o700
    for path in store_dir.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path.name


def test_second_process_is_refused(store_dir):
    _filled(store_dir)
    with Session.open(store_dir, PASSPHRASE):
        script = textwrap.dedent(
            f"""
            import sys
            sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
            from safedesk.store.errors import StoreLocked
            from safedesk.store.engine.session import Session
            try:
                Session.open({str(store_dir)!r}, {PASSPHRASE!r})
            except StoreLocked as error:
                print("LOCKED:", error)
                sys.exit(3)
            """
        )
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
        assert result.returncode == 3, result.stderr
        assert "already open in another SafeDesk window" in result.stdout
    # Released on close: the store opens again.
    assert _titles(store_dir)


def test_second_open_in_same_process_is_refused_too(store_dir):
    _filled(store_dir)
    with Session.open(store_dir, PASSPHRASE):
        with pytest.raises(StoreLocked):
            Session.open(store_dir, PASSPHRASE)
