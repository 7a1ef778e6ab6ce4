"""Commits cost what they change; the fold runs beside the saves and a crash at any step loses nothing."""

from __future__ import annotations

import errno
import os
import shutil
import sys
import threading
import time
from pathlib import Path

import pytest

from safedesk.store.engine import vault as vault_module
from safedesk.store.engine.session import OpenOptions, Session
from safedesk.store.engine.vault import JOURNAL_FILE, STORE_FILE, Vault, read_header
from tests.kit import PASSPHRASE, Note


def _session(store_dir: Path, compact_bytes: int = 1 << 30) -> Session:
    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE, OpenOptions(compact_bytes=compact_bytes))
    return session


def _titles(folder: Path) -> set[str]:
    with Session.open(folder, PASSPHRASE) as session:
        return {n.title for n in session.repo(Note).all()}


@pytest.mark.parametrize("size", [50, 1000])
def test_a_commit_writes_only_what_changed(store_dir, size):
    session = _session(store_dir)
    with session.transaction():
        session.db.insert_many(Note.TABLE, [Note(title=f"note {i}").to_doc() for i in range(size)])
    session.vault.compact()
    journal = store_dir / JOURNAL_FILE
    before = journal.stat().st_size
    note = session.repo(Note).get(7)
    note.title = "changed"
    session.repo(Note).save(note)
    grew = journal.stat().st_size - before
    session.close()
    # One frame: the changed note and its audit entry, whatever the size of the table.
    assert 0 < grew < 1500
    assert "changed" in _titles(store_dir)


def test_a_write_is_memory_as_it_was_written(store_dir):
    """What the live table holds after a commit is what replaying the journal gives (e.g. int keys become text)."""
    session = _session(store_dir)
    session.db.insert("things", {"counts": {1: "one"}, "tags": ("a", "b")})
    assert dict(session.scan("things")["1"]) == {"counts": {"1": "one"}, "tags": ["a", "b"]}
    session.close()
    with Session.open(store_dir, PASSPHRASE) as again:
        assert dict(again.scan("things")["1"]) == {"counts": {"1": "one"}, "tags": ["a", "b"]}


def test_rollback_restores_documents_and_tables(store_dir):
    session = _session(store_dir)
    notes = session.repo(Note)
    kept = notes.add(Note(title="kept"))
    with pytest.raises(RuntimeError), session.transaction():
        kept.title = "changed"
        notes.save(kept)
        notes.add(Note(title="added"))
        session.db.insert("brand_new", {"x": 1})
        session.db.table("audit_copy").insert({"y": 2})
        session.db.table(Note.TABLE).truncate()
        raise RuntimeError("undo all of it")
    assert [n.title for n in notes.all()] == ["kept"]
    assert "brand_new" not in session.vault.data and "audit_copy" not in session.vault.data
    session.close()
    assert _titles(store_dir) == {"kept"}


def test_dropping_and_truncating_tables_is_committed(store_dir):
    session = _session(store_dir)
    session.db.insert("scratch", {"a": 1})
    session.db.insert("other", {"b": 2})
    session.db._db.drop_table("scratch")
    session.db.table("other").truncate()
    session.db.insert("other", {"c": 3})
    session.close()
    with Session.open(store_dir, PASSPHRASE) as again:
        assert "scratch" not in again.vault.data
        assert [dict(d) for d in again.scan("other").values()] == [{"c": 3}]


@pytest.mark.parametrize("stage", ["_write_next_snapshot", "_draft_journal"])
def test_saves_go_on_while_the_fold_runs_and_all_survive(store_dir, monkeypatch, stage):
    """Saves made while the fold writes (before or after it drafts the new journal) all reach the new generation."""
    session = _session(store_dir, compact_bytes=4096)
    started = threading.Event()
    release = threading.Event()
    real = getattr(Vault, stage)

    def slow(self: Vault, *args: object) -> object:
        done = real(self, *args)
        started.set()
        assert release.wait(30)
        return done

    monkeypatch.setattr(Vault, stage, slow)
    notes = session.repo(Note)
    i = 0
    while not started.is_set():
        notes.add(Note(title=f"before {i}"))
        i += 1
    generation = session.vault.generation
    for j in range(5):  # the fold is stuck in its thread: saves still return
        notes.add(Note(title=f"during {j}"))
    assert session.vault.generation == generation
    release.set()
    session.vault.wait_for_fold()
    assert session.vault.generation == generation + 1
    notes.add(Note(title="after"))
    session.close()
    assert _titles(store_dir) == {f"before {k}" for k in range(i)} | {f"during {j}" for j in range(5)} | {"after"}
    assert read_header(store_dir / STORE_FILE).generation >= generation + 1


@pytest.mark.parametrize("stage", ["_write_next_snapshot", "_draft_journal"])
def test_a_foreground_generation_while_the_fold_waits_for_the_lock(store_dir, monkeypatch, stage):
    """A key change (a generation written in the foreground, holding the lock) while the fold
    thread needs the lock: the fold gives way, nothing hangs, nothing is lost."""
    session = _session(store_dir, compact_bytes=4096)
    reached = threading.Event()
    go = threading.Event()
    real = getattr(Vault, stage)

    def gated(self: Vault, *args: object) -> object:
        reached.set()
        assert go.wait(30)
        return real(self, *args)

    monkeypatch.setattr(Vault, stage, gated)
    notes = session.repo(Note)
    saved = set()
    i = 0
    while not reached.is_set():
        notes.add(Note(title=f"note {i}"))
        saved.add(f"note {i}")
        i += 1

    def key_change() -> None:
        with session.transaction():
            notes.add(Note(title="with the key change"))
            go.set()  # the fold goes on to need the lock this transaction holds
            time.sleep(0.1)
            session.vault.replace_header(session.vault.header)

    worker = threading.Thread(target=key_change)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "the foreground write and the fold deadlocked"
    session.close()
    assert _titles(store_dir) == saved | {"with the key change"}


@pytest.mark.parametrize("step", ["before-snapshot", "before-journal", "after-journal"])
def test_a_crash_at_any_step_of_the_fold_loses_nothing(store_dir, tmp_path, monkeypatch, step):
    """Copy the folder at a step of the fold (as a power cut would leave it) while saves made
    during the fold are in the old journal only; the copy opens with every save."""
    session = _session(store_dir, compact_bytes=4096)
    crash = tmp_path / "crash"
    hold = threading.Event()
    resume = threading.Event()

    def copy_folder() -> None:
        shutil.copytree(store_dir, crash, ignore=shutil.ignore_patterns("safedesk.lock"))

    real_draft = Vault._draft_journal
    real_replace = vault_module.replace

    def draft_hook(self: Vault, fold: object, draft: object) -> None:
        hold.set()
        assert resume.wait(30)
        real_draft(self, fold, draft)  # type: ignore[arg-type]

    def replace_hook(src: Path, dst: Path) -> None:
        in_fold = threading.current_thread().name == "safedesk-fold"
        if (
            in_fold
            and not crash.exists()
            and (step, dst.name) in {("before-snapshot", STORE_FILE), ("before-journal", JOURNAL_FILE)}
        ):
            copy_folder()
        real_replace(src, dst)
        if in_fold and not crash.exists() and (step, dst.name) == ("after-journal", JOURNAL_FILE):
            copy_folder()

    monkeypatch.setattr(Vault, "_draft_journal", draft_hook)
    monkeypatch.setattr(vault_module, "replace", replace_hook)
    notes = session.repo(Note)
    saved: set[str] = set()
    i = 0
    while not hold.is_set():
        notes.add(Note(title=f"note {i}"))
        saved.add(f"note {i}")
        i += 1
    for j in range(3):  # committed to the old journal while the fold waits to switch
        notes.add(Note(title=f"during {j}"))
        saved.add(f"during {j}")
    resume.set()
    session.vault.wait_for_fold()
    session.close()
    assert crash.exists()
    assert _titles(crash) == saved
    # And the copy, once opened, goes on working (the interrupted switch is finished on open).
    with Session.open(crash, PASSPHRASE) as again:
        again.repo(Note).add(Note(title="later"))
    assert _titles(crash) == saved | {"later"}


@pytest.mark.parametrize("point", ["snapshot in place", "journal.next fsync", "renames durable"])
def test_a_save_during_the_switch_does_not_wait_for_it_and_survives(store_dir, tmp_path, monkeypatch, point):
    """Hold the fold thread in each fsync of its switch (as a slow disk would): a save made
    meanwhile returns without waiting for it, is in the new generation, and a copy of the
    folder taken at that moment (what a SIGKILL leaves) opens with every acknowledged save."""
    session = _session(store_dir)
    notes = session.repo(Note)
    saved = {f"before {i}" for i in range(3)}
    for title in sorted(saved):
        notes.add(Note(title=title))
    generation = session.vault.generation
    held, release = threading.Event(), threading.Event()
    syncs: list[str] = []
    real_fsync, real_fsync_dir = os.fsync, vault_module.fsync_dir
    points = ["snapshot in place", "journal.next fsync", "renames durable"]

    def gate(kind: str) -> None:
        if threading.current_thread().name != "safedesk-fold":
            return
        syncs.append(kind)
        if len(syncs) == points.index(point) + 1:
            held.set()
            assert release.wait(30)

    def fsync(fd: int) -> None:
        if sys._getframe(1).f_globals.get("__name__") == vault_module.__name__:  # the switch's own, not the snapshot's
            gate("file")
        real_fsync(fd)

    def fsync_dir(path: Path) -> None:
        gate("folder")
        real_fsync_dir(path)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(vault_module, "fsync_dir", fsync_dir)
    crash = tmp_path / "crash"
    session.vault.start_fold()
    try:
        assert held.wait(30)
        saver = threading.Thread(target=notes.add, args=(Note(title="during the switch"),))
        saver.start()
        saver.join(timeout=20)
        assert not saver.is_alive(), f"the save waited for the fold (held at: {point})"
        saved.add("during the switch")
        shutil.copytree(store_dir, crash, ignore=shutil.ignore_patterns("safedesk.lock"))
        assert _titles(crash) == saved
    finally:
        release.set()
    session.vault.wait_for_fold()
    assert session.vault.compaction_error is None
    assert session.vault.generation == generation + 1
    assert syncs == ["folder", "file", "folder"]
    notes.add(Note(title="after"))
    assert session.vault.check_backup()[0]
    session.close()
    assert read_header(store_dir / STORE_FILE).generation == generation + 1
    assert _titles(store_dir) == saved | {"after"}


def test_a_save_that_cannot_reach_the_new_journal_stands_and_the_fold_is_dropped(store_dir, monkeypatch):
    """During the switch a save appends to both journals; when the new one cannot take it (a
    full disk), the save still stands in the current journal and the fold is abandoned: no
    file of the kept previous save or of the current pair changes, and a later fold succeeds."""
    session = _session(store_dir)
    notes = session.repo(Note)
    saved = {f"before {i}" for i in range(3)}
    for title in sorted(saved):
        notes.add(Note(title=title))
    session.vault.compact()  # a .bak pair to keep as it is
    notes.add(Note(title="in the journal"))
    saved.add("in the journal")
    kept = {name: (store_dir / name).read_bytes() for name in (STORE_FILE + ".bak", JOURNAL_FILE + ".bak", STORE_FILE)}
    generation = session.vault.generation
    held, release = threading.Event(), threading.Event()
    real_fsync, real_write_all = os.fsync, vault_module._write_all

    def fsync(fd: int) -> None:
        fold = session.vault._fold
        if threading.current_thread().name == "safedesk-fold" and fold is not None and fd == fold.mirror:
            held.set()
            assert release.wait(30)
        real_fsync(fd)

    def write_all(fd: int, data: bytes) -> None:
        fold = session.vault._fold
        if threading.current_thread().name != "safedesk-fold" and fold is not None and fd == fold.mirror:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write_all(fd, data)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(vault_module, "_write_all", write_all)
    session.vault.start_fold()
    try:
        assert held.wait(30)
        notes.add(Note(title="during the switch"))  # returns: it is in the current journal
        saved.add("during the switch")
    finally:
        release.set()
    session.vault.wait_for_fold()
    assert session.vault.generation == generation
    assert "disk is full" in (session.vault.fold_error or "")
    assert not list(store_dir.glob("*.next")) and not list(store_dir.glob("*.tmp-*"))
    assert {name: (store_dir / name).read_bytes() for name in kept} == kept
    monkeypatch.undo()
    notes.add(Note(title="after"))
    saved.add("after")
    session.vault.start_fold()
    session.vault.wait_for_fold()
    assert session.vault.generation == generation + 1 and session.vault.fold_error is None
    session.close()
    assert _titles(store_dir) == saved


def test_header_is_read_without_the_body(store_dir):
    _session(store_dir).close()
    path = store_dir / STORE_FILE
    head = read_header(path)
    path.write_bytes(path.read_bytes()[: head.body_offset])  # the sealed tables gone
    assert read_header(path).header == head.header


def test_the_fold_point_is_recorded_and_checked_against_the_kept_save(store_dir):
    """The new snapshot says how many frames of the previous journal it holds; verify refuses a
    kept previous save whose journal has fewer (it is not the save the fold was made from)."""
    session = _session(store_dir)
    notes = session.repo(Note)
    for i in range(3):
        notes.add(Note(title=f"note {i}"))
    frames = session.vault.seen().frames
    session.vault.start_fold()
    session.vault.wait_for_fold()
    assert read_header(store_dir / STORE_FILE).folded == frames
    assert session.vault.check_backup()[0]
    kept = store_dir / (JOURNAL_FILE + ".bak")
    raw = kept.read_bytes()
    kept.write_bytes(raw[: vault_module.parse_journal_head(raw, kept, None).end])  # whole frames cut off
    ok, text = session.vault.check_backup()
    assert not ok and f"holds {frames} saves" in text
    session.close()
    assert _titles(store_dir) == {f"note {i}" for i in range(3)}


class _NoScan(dict):  # type: ignore[type-arg]
    """A stored table that fails the test if anything lists all its ids while `armed`."""

    armed = False

    def keys(self):  # type: ignore[no-untyped-def]
        assert not _NoScan.armed, "the whole table was scanned for the next id"
        return super().keys()

    def __iter__(self):  # type: ignore[no-untyped-def]
        assert not _NoScan.armed, "the whole table was scanned for the next id"
        return super().__iter__()


def test_the_first_save_after_unlock_does_not_scan_the_table_for_an_id(store_dir):
    """TinyDB finds the next id at a table's first insert by reading every id: at 100,000 records
    that was the worst pause a save met while a fold ran. It is found at unlock instead."""
    session = _session(store_dir)
    with session.transaction():
        session.db.insert_many(Note.TABLE, [Note(title=f"note {i}").to_doc() for i in range(20)])
    session.close()
    with Session.open(store_dir, PASSPHRASE) as again:
        vault = again.vault
        for name in (Note.TABLE, "audit"):
            vault.data[name] = _NoScan(vault.data[name])
        _NoScan.armed = True
        added = again.repo(Note).add(Note(title="first of this session"))
        assert added.id == 21
        _NoScan.armed = False
        # A rollback makes the engine find the ids again from what is stored: an undone insert's id is used next.
        with pytest.raises(RuntimeError), again.transaction():
            again.repo(Note).add(Note(title="undone"))
            raise RuntimeError("undo")
        for name in (Note.TABLE, "audit"):
            vault.data[name] = _NoScan(vault.data[name])
        _NoScan.armed = True
        assert again.repo(Note).add(Note(title="after the undo")).id == 22
        _NoScan.armed = False
    assert _titles(store_dir) == {f"note {i}" for i in range(20)} | {"first of this session", "after the undo"}
