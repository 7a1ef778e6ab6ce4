"""The encrypted container on disk: a snapshot file plus an authenticated, append-only journal.

Folder layout (the byte formats are in docs/SECURITY.md, "File formats"):

    safedesk.store         the snapshot: header (plaintext), generation, fold point, sealed tables (engine.snapshot)
    safedesk.journal       changes since that snapshot, one sealed frame per commit, bound to it
    safedesk.store.bak     the previous generation of both files, kept on every compaction
    safedesk.journal.bak
    safedesk.store.next    a new generation being switched in (only during a compaction)
    safedesk.journal.next
    safedesk.events        failed unlocks, each sealed (age) to the store's public key
    safedesk.lock          the single-writer lock

A commit appends one frame holding only the documents it changed (engine.changes
tracks them; nothing is diffed) and fsyncs: cost grows with the change, not the
store. The journal's header names the generation and the SHA-256 of the snapshot
it extends and is authenticated with the data key; each frame's length is
checksummed and its AEAD binds the chain value of every byte before it, so a
changed, reordered, foreign or older journal is refused. Only a torn tail after
the last complete frame (a write that never returned) is taken for a crash
leftover.

When the journal outgrows the snapshot, a background thread folds it into a new
generation while saves go on appending to the current journal (see `_run_fold`):
both new files are written complete beside the old ones first (*.next), the
saves made meanwhile sealed again into the new journal (during the switch each
save appends to both journals itself, so none waits for the fold's fsyncs),
then switched in by renames that `settle` finishes after a crash, so a failed
or interrupted fold leaves every other file as it was. Generations written in
the foreground (key changes, backups, migration) take the same path.

Readers without the writer lock (`read_only`) work out which files are current
without renaming anything, load the snapshot and the journal up to its last
complete frame, and read again if a fold switched files meanwhile.
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import os
import secrets
import struct
import threading
import time
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from dataclasses import replace as replace_fields
from pathlib import Path
from typing import Any

from safedesk.store.engine import anchor
from safedesk.store.engine.changes import ChangeLog, Tables
from safedesk.store.engine.files import (
    WriterLock,
    atomic_write,
    describe_os_error,
    fsync_dir,
    make_private_dir,
    open_private,
    remove_stale_temps,
    replace,
    temp_name,
)
from safedesk.store.engine.keys import crypto
from safedesk.store.engine.keys.header import FORMAT_VERSION, Header, Slot
from safedesk.store.engine.keys.recovery import secret_for_slot
from safedesk.store.engine.snapshot import (
    MAGIC,
    Cancelled,
    SnapshotHead,
    body_aad,
    no_cycle_collection,
    read_head,
    read_tables,
    write_snapshot,
)
from safedesk.store.errors import (
    StoreCorrupt,
    StoreExists,
    StoreNotFound,
    StoreReadOnly,
    StoreRolledBack,
    StoreWriteError,
    WrongPassphrase,
)

STORE_FILE = "safedesk.store"
JOURNAL_FILE = "safedesk.journal"
EVENTS_FILE = "safedesk.events"
BACKUP_SUFFIX = ".bak"
NEXT_SUFFIX = ".next"
DAMAGED_MARK = ".damaged-"
JMAGIC = b"SAFEDESK-JOURNAL/2\n"
MAGIC_V1 = b"SAFEDESK-STORE/1\n"
JMAGIC_V1 = b"SAFEDESK-JOURNAL/1\n"
# Every file name a store folder may hold: `init` refuses a folder with any of them.
STORE_FILES = (
    STORE_FILE,
    JOURNAL_FILE,
    STORE_FILE + BACKUP_SUFFIX,
    JOURNAL_FILE + BACKUP_SUFFIX,
    STORE_FILE + NEXT_SUFFIX,
    JOURNAL_FILE + NEXT_SUFFIX,
    EVENTS_FILE,
)
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_FRAME_HEAD = struct.Struct(">II")  # length of the sealed frame, CRC-32 of (sequence, length)
_SEALED_OVERHEAD = crypto.NONCE_BYTES + 16
_DIGEST = 32
_MAX_HEADER = 1 << 20
_MAX_FRAME = 1 << 30
# The journal is folded into a new snapshot once it is this large and larger than the snapshot.
MIN_COMPACT_BYTES = 256 * 1024
# A reader without the writer lock reads again this many times when a fold switches files under it.
_READ_ATTEMPTS = 8


def store_exists(folder: Path) -> bool:
    return (folder / STORE_FILE).is_file()


def store_files(folder: Path) -> list[str]:
    """Names of SafeDesk store files in `folder` (including set-aside damaged ones)."""
    if not folder.is_dir():
        return []
    found = [name for name in STORE_FILES if (folder / name).exists()]
    found += sorted(p.name for p in folder.glob(f"safedesk.*{DAMAGED_MARK}*"))
    return found


def refuse_store_files(folder: Path) -> None:
    """StoreExists if `folder` holds any SafeDesk store file: a new store must never be made
    over the remains of one (its first save would overwrite what recovery needs)."""
    found = store_files(folder)
    if found:
        hint = "" if STORE_FILE in found else " (the store file itself is missing: 'safedesk recover' rebuilds it)"
        raise StoreExists(f"A SafeDesk store already exists in {folder}{hint}.")


@dataclass
class Unlocked:
    """What an unlock yields: the state and which slot opened it."""

    header: Header
    data_key: bytes
    slot: Slot
    generation: int
    tables: Tables
    journal_end: int  # offset after the last good frame
    journal_frames: int
    torn_tail: bool
    chain: bytes = b""  # chain value after the last good frame ("" for a version 1 journal)
    version: int = FORMAT_VERSION  # of the files read; older ones are rewritten at the next save
    rollback_warning: str | None = None


@dataclass
class _Fold:
    """A fold in progress: generation `generation` is being written from the tables as they
    were after `folded` frames of the current journal; the plaintexts of frames appended
    since are kept in `tail`, to be sealed again into the new journal. Once the switch
    begins (`mirror` open on journal.next), each save appends its frame to both journals
    itself instead; a failure to do so (`broken`) abandons the fold, never the save."""

    generation: int
    folded: int
    header: Header
    tail: list[bytes] = field(default_factory=list)
    cancelled: bool = False
    thread: threading.Thread | None = None
    draft: _Draft | None = None
    mirror: int | None = None  # a descriptor appending to journal.next
    broken: OSError | None = None


@dataclass
class _Draft:
    """The new generation's files while they are written: temp/next names, and what they hold."""

    snapshot_tmp: Path
    snapshot_size: int = 0
    digest: bytes = b""
    journal_size: int = 0
    frames: int = 0
    chain: bytes = b""
    switching: bool = False  # the current pair is being renamed away: *.next are no longer spare


class Vault:
    """The unlocked store: the live tables (the one copy of the data) and the means to commit them durably."""

    def __init__(
        self,
        folder: Path,
        lock: WriterLock | None,
        state: Unlocked,
        compact_bytes: int = MIN_COMPACT_BYTES,
    ) -> None:
        self.folder = folder
        self._lock = lock
        self.header = state.header
        self.slot = state.slot
        self._key = state.data_key
        self.generation = state.generation
        self.data: Tables = state.tables
        self._log = ChangeLog()
        self._versions: dict[str, int] = {}
        self._journal_end = state.journal_end
        self._journal_frames = state.journal_frames
        self._chain = state.chain
        self._journal_fd: int | None = None
        # Version 1 files are rewritten whole (as version 2) by the first save.
        self._needs_generation = state.version < FORMAT_VERSION
        self._pending_header: Header | None = None
        self._compact_bytes = compact_bytes
        self._fold: _Fold | None = None
        # After a failed fold, the next is tried only once the journal has grown this far.
        self._fold_after = 0
        # The generation a fold switched in whose renames the folder does not yet hold durably
        # (0: none). The fold makes them durable after it lets saves go on; a save that comes
        # first makes them durable itself before it appends (see _append), never waiting for it.
        self._unsynced_switch = 0
        self._switch_lock = threading.Lock()  # for _unsynced_switch alone; never held across I/O
        self._depth = 0
        self._mutex = threading.RLock()
        self.on_rollback: list[Any] = []
        self.closed = False
        self.torn_tail_recovered = state.torn_tail
        self.rollback_warning = state.rollback_warning
        # The last compaction's failure, if any: the journal still holds every change, and
        # a later commit tries again.
        self.compaction_error: StoreWriteError | None = None

    @property
    def read_only(self) -> bool:
        """Opened without the writer lock (another process may be writing): every write is refused."""
        return self._lock is None

    @property
    def fold_error(self) -> str | None:
        return str(self.compaction_error) if self.compaction_error is not None else None

    # ----------------------------------------------------------------- opening

    @classmethod
    def create(cls, folder: Path, header: Header, slot: Slot, data_key: bytes, compact_bytes: int = MIN_COMPACT_BYTES) -> Vault:
        make_private_dir(folder)
        lock = WriterLock(folder)
        lock.acquire()
        try:
            refuse_store_files(folder)
            remove_stale_temps(folder)
            # Generation 1's snapshot is empty by definition: with no earlier save kept, its
            # journal alone rebuilds the store (engine.salvage).
            state = Unlocked(header, data_key, slot, 0, {}, 0, 0, False)
            vault = cls(folder, lock, state, compact_bytes)
            # Nothing is written until the first commit, which writes generation 1 whole:
            # a setup that fails half-way leaves no store behind.
            vault._needs_generation = True
            return vault
        except BaseException:
            lock.release()
            raise

    @classmethod
    def open(
        cls,
        folder: Path,
        passphrase: str,
        user: str | None = None,
        *,
        read_only: bool = False,
        compact_bytes: int = MIN_COMPACT_BYTES,
        on_failed_unlock: Any = None,
    ) -> Vault:
        """Unlock the store.

        `read_only` opens without the writer lock, so while another process may hold the
        store for writing, from its last complete commit; it changes no byte anywhere (a
        compaction a crash interrupted is worked out, not finished) and reports a store older
        than this computer last saw in `rollback_warning` instead of refusing it.
        """
        if read_only:
            state = _read_unlocked(folder, passphrase, user, on_failed_unlock)
            return cls(folder, None, state, compact_bytes)
        lock = WriterLock(folder)
        lock.acquire()
        try:
            roles = settle(folder, write=True)
            state = read_state(folder, passphrase, user, roles=roles, on_failed_unlock=on_failed_unlock)
            if state.rollback_warning:
                raise StoreRolledBack(state.rollback_warning, str(roles.store), None)
            vault = cls(folder, lock, state, compact_bytes)
            remove_stale_temps(folder)
            vault._note_seen()
            return vault
        except BaseException:
            lock.release()
            raise

    @classmethod
    def rebuild(cls, folder: Path, lock: WriterLock, state: Unlocked, generation: int, compact_bytes: int) -> Vault:
        """Make `state` the store as generation `generation` (engine.salvage decides both).

        The store and journal it replaces are set aside (`*.damaged-*`), never overwritten;
        the .bak pair stays as it was. `lock` must be held; it is the vault's from here on.
        """
        vault = cls(folder, lock, state, compact_bytes)
        for name in (STORE_FILE, JOURNAL_FILE):
            vault._set_aside(name)
        vault._write_generation(generation, state.header, vault.data, 0, None, keep_backup=False)
        vault._note_seen()
        return vault

    # ----------------------------------------------------------------- committing

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several changes into one durable commit (or none)."""
        with self._mutex:
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self.rollback()
                raise
            self._depth -= 1
            if self._depth == 0:
                self.commit()

    def change(self, table: str, docs: Mapping[str, Any]) -> None:
        """Store these documents of `table` ({doc id: document, or None to delete}); commit now,
        or with the open transaction. Only what is named here is written: O(changed)."""
        with self._mutex:
            self._ensure_writable()
            if table not in self.data:
                self._log.create(self.data, table)
            for doc_id, doc in docs.items():
                self._log.put(self.data, table, doc_id, doc)
            self._bump(table)
            if self._depth == 0:
                self.commit()

    def drop_table(self, table: str) -> None:
        with self._mutex:
            self._ensure_writable()
            self._log.drop(self.data, table)
            self._bump(table)
            if self._depth == 0:
                self.commit()

    def version(self, table: str) -> int:
        """Changes with every write to `table` (and its rollback): equal means unchanged."""
        return self._versions.get(table, 0)

    def _bump(self, table: str) -> None:
        self._versions[table] = self._versions.get(table, 0) + 1

    def commit(self) -> None:
        with self._mutex:
            self._ensure_open()
            header = self._pending_header
            if not self._log and header is None:
                return
            self._ensure_writable()
            frame = ('{"ops":[' + ",".join(self._log.frame_ops(self.data)) + "]}").encode("utf-8")
            try:
                if header is not None or self._needs_generation:
                    # A new header (key slots) and its owner's records switch in together: the
                    # new generation's snapshot is the state before this commit and its journal
                    # starts with this commit's frame.
                    before = self._log.committed(self.data)
                    folded = 0 if self._needs_generation else self._journal_frames
                    self._write_generation(self.generation + 1, header or self.header, before, folded, frame, keep_backup=True)
                else:
                    self._append(frame)
            except OSError as error:
                self.rollback()
                raise describe_os_error(error, "save the change") from None
            except BaseException:
                self.rollback()
                raise
            finally:
                self._pending_header = None
            self._log = ChangeLog()
            self._note_seen()
            self._maybe_fold()

    def rollback(self) -> None:
        """Put the live tables back to the committed state after a failed write."""
        with self._mutex:
            for table in self._log.tables_touched():
                self._bump(table)
            self._log.restore(self.data)
            self._log = ChangeLog()
            for callback in self.on_rollback:
                callback()

    def _note_seen(self) -> None:
        anchor.save(self.header.store_id, self.seen())

    def seen(self) -> anchor.Seen:
        """Where this store's history stands: what the rollback check compares."""
        return anchor.Seen(self.generation, self._journal_frames, self._chain.hex())

    # ----------------------------------------------------------------- journal

    def _journal_path(self) -> Path:
        return self.folder / JOURNAL_FILE

    def _append(self, plaintext: bytes) -> None:
        if self._unsynced_switch:
            # The journal this appends to was renamed into place by a fold whose folder fsync
            # has not finished: a frame acknowledged now must not depend on it.
            fsync_dir(self.folder)
            self._switch_synced(self._unsynced_switch)
        record = _frame(self._key, self._chain, self._journal_frames, plaintext)
        if self._journal_fd is None:
            self._journal_fd = open_private(self._journal_path(), os.O_RDWR)
            # Drop a torn tail left by a crash before appending after it.
            os.ftruncate(self._journal_fd, self._journal_end)
        fd = self._journal_fd
        try:
            os.lseek(fd, self._journal_end, os.SEEK_SET)
            _write_all(fd, record)
            os.fsync(fd)
        except OSError:
            try:
                os.ftruncate(fd, self._journal_end)
                os.fsync(fd)
            except OSError:
                # The tail may now hold a partial frame; the next commit writes a new generation.
                self._needs_generation = True
            raise
        self._journal_end += len(record)
        self._journal_frames += 1
        self._chain = _next_chain(self._chain, record)
        fold = self._fold
        if fold is not None and fold.mirror is not None:
            self._mirror(fold, plaintext)
        elif fold is not None:
            fold.tail.append(plaintext)

    def _mirror(self, fold: _Fold, plaintext: bytes) -> None:
        """During a fold's switch: the frame, durable in the current journal already, is also
        appended to journal.next and fsynced, so the switch never waits for this save nor this
        save for the switch. A failure here abandons the fold, not the save."""
        draft = fold.draft
        if fold.broken is not None or fold.mirror is None or draft is None:
            return
        record = _frame(self._key, draft.chain, draft.frames, plaintext)
        try:
            _write_all(fold.mirror, record)
            os.fsync(fold.mirror)
        except OSError as error:
            fold.broken = error
            return
        draft.chain = _next_chain(draft.chain, record)
        draft.frames += 1
        draft.journal_size += len(record)

    def _switch_synced(self, generation: int) -> None:
        """The folder now holds the renames of the switch to `generation` (and every earlier one)."""
        with self._switch_lock:
            if self._unsynced_switch == generation:
                self._unsynced_switch = 0

    def _close_journal(self) -> None:
        if self._journal_fd is not None:
            os.close(self._journal_fd)
            self._journal_fd = None

    def _snapshot_size(self) -> int:
        try:
            return (self.folder / STORE_FILE).stat().st_size
        except OSError:
            return 0

    def _seal_frames(self, chain: bytes, frames: list[bytes], first_seq: int) -> tuple[bytes, bytes]:
        """Journal records for `frames` (plaintexts) numbered from `first_seq` after `chain`;
        returns them and the chain value after the last."""
        records = []
        for seq, plaintext in enumerate(frames, start=first_seq):
            record = _frame(self._key, chain, seq, plaintext)
            chain = _next_chain(chain, record)
            records.append(record)
        return b"".join(records), chain

    # ----------------------------------------------------------------- generations

    def _write_generation(
        self, generation: int, header: Header, tables: Tables, folded: int, first_frame: bytes | None, *, keep_backup: bool
    ) -> None:
        """Write `tables` as generation `generation` (holding `folded` frames of the current
        journal), its journal holding `first_frame`, here and now (a running fold is stopped).

        Both new files are written complete as *.next first (a full disk stops here, with
        every other file untouched), then switched in by renames; `settle` finishes a
        switch that a crash interrupted. The replaced pair becomes the *.bak pair.
        """
        self._cancel_fold()
        header = replace_fields(header, version=FORMAT_VERSION)
        draft = _Draft(temp_name(self.folder / (STORE_FILE + NEXT_SUFFIX)))
        try:
            draft.snapshot_size, draft.digest = write_snapshot(
                draft.snapshot_tmp, tables, header, self._key, generation, folded, lambda: False
            )
            frames = [first_frame] if first_frame is not None else []
            journal = _journal_head(self._key, header, generation, draft.digest)
            records, draft.chain = self._seal_frames(_first_chain(journal), frames, 0)
            draft.frames = len(frames)
            draft.journal_size = len(journal) + len(records)
            atomic_write(self.folder / (JOURNAL_FILE + NEXT_SUFFIX), journal + records)
            self._switch(generation, header, draft, keep_backup=keep_backup)
        except BaseException:
            self._discard(draft)
            raise

    def _discard(self, draft: _Draft) -> None:
        """Remove what a failed or cancelled generation wrote, unless the switch began (then
        `settle` finishes it at the next opening, and the next commit writes a generation)."""
        if draft.switching:
            return
        for path in (draft.snapshot_tmp, self.folder / (STORE_FILE + NEXT_SUFFIX), self.folder / (JOURNAL_FILE + NEXT_SUFFIX)):
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass

    def _switch(self, generation: int, header: Header, draft: _Draft, *, keep_backup: bool) -> None:
        """Install a complete new generation: journal.next is written and fsynced; the new
        snapshot becomes store.next, then journal -> journal.bak, store -> store.bak,
        store.next -> store, journal.next -> journal. Only renames from the first: no space needed."""
        self._install_snapshot(draft)
        self._rename_in(generation, header, draft, keep_backup=keep_backup)
        fsync_dir(self.folder)
        self._switch_synced(generation)

    def _install_snapshot(self, draft: _Draft) -> None:
        """The new snapshot, complete and fsynced, becomes store.next (journal.next is in place
        already): from here a crash leaves a pair `settle` recognises, and drops while the
        current pair is whole."""
        replace(draft.snapshot_tmp, self.folder / (STORE_FILE + NEXT_SUFFIX))
        fsync_dir(self.folder)

    def _rename_in(self, generation: int, header: Header, draft: _Draft, *, keep_backup: bool) -> None:
        """The renames of the switch and the vault's move to the new pair: under the mutex, with
        both *.next files complete and every acknowledged frame durable in journal.next. The
        folder fsync that makes the renames durable is the caller's (see _unsynced_switch)."""
        folder = self.folder
        store_next, journal_next = folder / (STORE_FILE + NEXT_SUFFIX), folder / (JOURNAL_FILE + NEXT_SUFFIX)
        self._close_journal()
        draft.switching = True
        self._needs_generation = True  # until the switch completes
        store, journal_path = folder / STORE_FILE, folder / JOURNAL_FILE
        if keep_backup and store.exists():
            if journal_path.exists():
                replace(journal_path, folder / (JOURNAL_FILE + BACKUP_SUFFIX))
            else:
                (folder / (JOURNAL_FILE + BACKUP_SUFFIX)).unlink(missing_ok=True)
            replace(store, folder / (STORE_FILE + BACKUP_SUFFIX))
        replace(store_next, store)
        replace(journal_next, journal_path)
        with self._switch_lock:
            self._unsynced_switch = generation
        self.generation = generation
        self.header = header
        self._journal_end = draft.journal_size
        self._journal_frames = draft.frames
        self._chain = draft.chain
        self._needs_generation = False

    def compact(self) -> None:
        """Fold the journal into a fresh snapshot now, in the foreground (backups, tests)."""
        with self._mutex:
            self._ensure_writable()
            if self._depth:
                raise RuntimeError("compact() inside a transaction")
            self.commit()
            try:
                folded = 0 if self._needs_generation else self._journal_frames
                self._write_generation(self.generation + 1, self.header, self.data, folded, None, keep_backup=True)
            except OSError as error:
                raise describe_os_error(error, "rewrite the store") from None
            self.compaction_error = None
            self._note_seen()

    def replace_header(self, header: Header) -> None:
        """Key-slot changes: the new header is written with the open transaction's changes,
        in one generation, so a slot and its owner's record never exist one without the other."""
        with self._mutex:
            self._ensure_writable()
            self._pending_header = header
            if self._depth == 0:
                self.commit()

    def snapshot_bytes(self) -> tuple[bytes, bytes]:
        """The current state as a standalone store file and its empty journal (for backups)."""
        with self._mutex:
            self.compact()
            return (self.folder / STORE_FILE).read_bytes(), (self.folder / JOURNAL_FILE).read_bytes()

    def _set_aside(self, name: str) -> None:
        path = self.folder / name
        if path.exists():
            os.replace(path, self.folder / f"{name}{DAMAGED_MARK}{secrets.token_hex(3)}")
            fsync_dir(self.folder)

    # ----------------------------------------------------------------- folding in the background

    def _maybe_fold(self) -> None:
        """Start folding the journal into a new generation in a background thread once it
        outgrows the snapshot. Called after a commit, under the mutex."""
        if self._journal_end > max(self._compact_bytes, self._snapshot_size(), self._fold_after):
            self.start_fold()

    def start_fold(self) -> None:
        """Fold now, in the background, whatever the journal's size (the benchmark measures the pause)."""
        with self._mutex:
            if self._fold is not None or self.read_only or self._needs_generation or self.closed or self._depth:
                return
            fold = _Fold(self.generation + 1, self._journal_frames, self.header)
            # Stored documents are never changed in place (engine.changes), so shallow copies
            # of the tables are a consistent state, at a few milliseconds' cost.
            tables = {name: dict(table) for name, table in self.data.items()}
            fold.thread = threading.Thread(target=self._run_fold, args=(fold, tables), name="safedesk-fold", daemon=True)
            self._fold = fold
            fold.thread.start()

    def _run_fold(self, fold: _Fold, tables: Tables) -> None:
        """The fold thread. A save never waits for it for more than a few renames, and never
        for an fsync it makes.

        (1) the new snapshot, from the tables as they were after frame `folded`, is written
        to a temp file and fsynced; (2) the new journal, bound to it, is written as
        journal.next with the frames saved so far, sealed again, and the snapshot becomes
        store.next (each fsynced, the folder too); (3) under the mutex, the frames saved
        since (2) began are sealed and written to journal.next, and from then on each save
        appends its frame to journal.next as well as to the current journal, and fsyncs both
        (`_mirror`); (4) the fold fsyncs journal.next, then, under the mutex, renames the pair
        in (`_rename_in`): every frame the current journal holds is then durable in
        journal.next; (5) it fsyncs the folder, unless a save got there first. A crash before
        the first rename of (4) leaves the current pair, which holds every save (`settle`
        drops the *.next files); after it, `settle` finishes the switch. On a failure the
        *.next files are removed and saves go on in the current journal.
        """
        draft = _Draft(temp_name(self.folder / (STORE_FILE + NEXT_SUFFIX)))
        fold.draft = draft
        try:
            self._write_next_snapshot(fold, tables, draft)
            del tables
            self._draft_journal(fold, draft)
            self._install_snapshot(draft)
            self._start_mirror(fold, draft)
            assert fold.mirror is not None
            os.fsync(fold.mirror)
            self._lock_unless_cancelled(fold)
            try:
                seen = self._finish_fold(fold, draft)
            finally:
                self._mutex.release()
        except Cancelled:
            self._close_mirror(fold)
            self._discard(draft)
            return
        except Exception as error:  # noqa: BLE001 - the thread must report, not die silently
            self._fold_failed(fold, draft, error)
            return
        try:
            fsync_dir(self.folder)
        except OSError:
            return  # the next save makes the renames durable, or reports why it cannot
        self._switch_synced(fold.generation)
        anchor.save(self.header.store_id, seen)

    def _write_next_snapshot(self, fold: _Fold, tables: Tables, draft: _Draft) -> None:
        header = replace_fields(fold.header, version=FORMAT_VERSION)
        draft.snapshot_size, draft.digest = write_snapshot(
            draft.snapshot_tmp, tables, header, self._key, fold.generation, fold.folded, lambda: fold.cancelled
        )

    def _draft_journal(self, fold: _Fold, draft: _Draft) -> None:
        """Write and fsync journal.next with the frames saved so far, outside the mutex (so the
        switch itself costs a few renames)."""
        self._lock_unless_cancelled(fold)
        try:
            frames = list(fold.tail)
        finally:
            self._mutex.release()
        header = replace_fields(fold.header, version=FORMAT_VERSION)
        journal = _journal_head(self._key, header, fold.generation, draft.digest)
        records, draft.chain = self._seal_frames(_first_chain(journal), frames, 0)
        draft.frames = len(frames)
        draft.journal_size = len(journal) + len(records)
        atomic_write(self.folder / (JOURNAL_FILE + NEXT_SUFFIX), journal + records)

    def _start_mirror(self, fold: _Fold, draft: _Draft) -> None:
        """Step 3, under the mutex: write (not fsync) the frames saved since the draft to
        journal.next, and have every later save append to it too."""
        self._lock_unless_cancelled(fold)
        try:
            if self._fold is not fold:
                raise Cancelled
            late = fold.tail[draft.frames :]
            records, chain = self._seal_frames(draft.chain, late, draft.frames)
            fd = open_private(self.folder / (JOURNAL_FILE + NEXT_SUFFIX), os.O_WRONLY | os.O_APPEND)
            try:
                _write_all(fd, records)
            except BaseException:
                os.close(fd)
                raise
            fold.mirror = fd
            fold.tail = []
            draft.chain = chain
            draft.frames += len(late)
            draft.journal_size += len(records)
        finally:
            self._mutex.release()

    def _close_mirror(self, fold: _Fold) -> None:
        """Under the mutex, or once no save can reach `fold` (it is no longer the vault's)."""
        if fold.mirror is not None:
            try:
                os.close(fold.mirror)
            except OSError:
                pass
            fold.mirror = None

    def _finish_fold(self, fold: _Fold, draft: _Draft) -> anchor.Seen:
        """Step 4, under the mutex: journal.next holds every frame durably (the ones written in
        step 3 were fsynced since, later ones by their saves): rename the pair in."""
        if fold.cancelled or self._fold is not fold:
            raise Cancelled
        if fold.broken is not None:
            raise fold.broken
        self._fold = None
        self._close_mirror(fold)
        try:
            self._rename_in(fold.generation, replace_fields(fold.header, version=FORMAT_VERSION), draft, keep_backup=True)
        except BaseException:
            self._discard(draft)
            raise
        self.compaction_error = None
        self._fold_after = 0
        # Noted by the fold thread once the renames are durable; a later save notes a later state.
        return self.seen()

    def _fold_failed(self, fold: _Fold, draft: _Draft, error: Exception) -> None:
        try:
            self._lock_unless_cancelled(fold)
        except Cancelled:
            self._close_mirror(fold)
            self._discard(draft)
            return  # whoever cancelled it is writing a generation now
        try:
            if self._fold is fold:
                self._fold = None
            self._close_mirror(fold)
            self._discard(draft)
            if isinstance(error, OSError):
                self.compaction_error = describe_os_error(error, "fold the journal into a new save")
            else:
                self.compaction_error = StoreWriteError(f"Could not fold the journal into a new save ({error!r}).")
            # Saves go on appending to the journal; try again once it has grown as much again.
            self._fold_after = self._journal_end + max(self._compact_bytes, self._snapshot_size())
        finally:
            self._mutex.release()

    def _lock_unless_cancelled(self, fold: _Fold) -> None:
        # A foreground generation holds the mutex while it waits for this thread to stop:
        # never block on the mutex without looking at the flag.
        while not self._mutex.acquire(timeout=0.02):
            if fold.cancelled:
                raise Cancelled
        if fold.cancelled:
            self._mutex.release()
            raise Cancelled

    def _cancel_fold(self) -> None:
        """Stop a running fold and wait for its thread (a foreground write is about to replace its work)."""
        fold = self._fold
        if fold is None:
            return
        fold.cancelled = True
        if fold.thread is not None and fold.thread is not threading.current_thread():
            fold.thread.join()
        self._fold = None

    @property
    def folding(self) -> bool:
        """A fold is running in the background."""
        return self._fold is not None

    def wait_for_fold(self) -> None:
        """Block until a running fold has finished (for backups, closing, tests and benchmarks)."""
        fold = self._fold
        if fold is not None and fold.thread is not None and fold.thread is not threading.current_thread():
            fold.thread.join()

    # ----------------------------------------------------------------- checks

    def check_backup(self) -> tuple[bool, str]:
        """Does the kept previous save (the .bak pair) open and authenticate, and does the
        current snapshot's fold point lie within it? For `verify`."""
        roles = Roles(self.folder / (STORE_FILE + BACKUP_SUFFIX), self.folder / (JOURNAL_FILE + BACKUP_SUFFIX))
        if not roles.store.exists():
            return True, "no previous save kept yet"
        try:
            snapshot = parse_snapshot(roles.store)
            tables = open_snapshot(snapshot, self._key)
            replayed = replay_journal(roles.journal, snapshot, self._key, tables)
        except StoreCorrupt as error:
            return False, f"the kept previous save is damaged: {error}"
        records = sum(len(t) for t in tables.values())
        torn = " (its unfinished last write ignored)" if replayed.torn else ""
        try:
            current = parse_snapshot(self.folder / STORE_FILE)
        except (StoreCorrupt, StoreNotFound, FileNotFoundError):
            current = None
        if (
            current is not None
            and current.version == 2
            and snapshot.version == 2
            and current.generation == snapshot.generation + 1
            and current.folded > replayed.frames
        ):
            return False, (
                f"the current save says it holds {current.folded} saves of the kept previous save's journal, "
                f"which has only {replayed.frames}: the kept previous save is not the one it was made from"
            )
        return True, f"kept previous save opens: generation {snapshot.generation}, {records} records{torn}"

    # ----------------------------------------------------------------- lifecycle

    def _ensure_open(self) -> None:
        if self.closed:
            raise StoreWriteError("The store is closed.")

    def _ensure_writable(self) -> None:
        self._ensure_open()
        if self._lock is None:
            raise StoreReadOnly(
                f"The store in {self.folder} was opened read-only (for reading, without the writer lock): "
                "nothing can be saved from here. Close any other SafeDesk window or command and open it for writing."
            )

    def close(self) -> None:
        with self._mutex:
            if self.closed:
                return
            fold = self._fold
            if fold is not None and self._depth:
                fold.cancelled = True  # closing inside a transaction: this thread holds the lock the fold needs
        # Outside the mutex, which a fold needs for its switch: let it finish, so closing
        # leaves the store folded rather than throwing the work away.
        if fold is not None and fold.thread is not None and fold.thread is not threading.current_thread():
            fold.thread.join()
        with self._mutex:
            self._fold = None
            self._close_journal()
            self.closed = True
            self._key = b""
            if self._lock is not None:
                self._lock.release()
        gc.unfreeze()  # what the unlock froze (snapshot.no_cycle_collection) is the collector's again

    # The data key never leaves the vault: callers ask it to wrap, seal or open.

    def new_slot(
        self, role: str, name: str, secret: bytes, kdf: crypto.KdfParams, slot_id: str | None = None, label: str = ""
    ) -> Slot:
        """A key slot that opens this store with `secret`, wrapping this store's data key."""
        return Slot.create(self.header.store_id, role, name, secret, self._key, kdf, slot_id, label)

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        """Encrypt with the store's data key, bound to `aad` (see engine.blobs)."""
        return crypto.seal(self._key, plaintext, aad)

    def open_sealed(self, sealed: bytes, aad: bytes) -> bytes:
        """Decrypt what `seal` made with the same `aad`; raises crypto.DecryptionFailed otherwise."""
        return crypto.open_sealed(self._key, sealed, aad)

    def check_passphrase(self, passphrase: str) -> bool:
        """Does `passphrase` open the slot this session was unlocked with? (the lock screen)"""
        secret = secret_for_slot(self.slot.role, passphrase)
        return secret is not None and self.slot.unwrap(self.header.store_id, secret) is not None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_unlocked(folder: Path, passphrase: str, user: str | None, on_failed_unlock: Any) -> Unlocked:
    """read_state for a reader without the writer lock. A writer may switch generations while
    it reads, which shows as a journal that does not belong to the snapshot, a missing file,
    or a state behind the rollback note: if the files changed while it read, it reads again;
    what it finds in files that did not change is reported. Every attempt yields the state
    after some complete commit, never a mixture."""
    state: Unlocked | None = None
    for attempt in range(_READ_ATTEMPTS):
        if attempt:
            time.sleep(0.01 * attempt)
        before = _fingerprint(folder)
        try:
            roles = settle(folder, write=False)
            state = read_state(folder, passphrase, user, roles=roles, on_failed_unlock=on_failed_unlock)
        except (StoreCorrupt, StoreNotFound):
            if _fingerprint(folder) == before or attempt == _READ_ATTEMPTS - 1:
                raise
            continue
        if state.rollback_warning is None or _fingerprint(folder) == before:
            return state
    assert state is not None
    return state


def _fingerprint(folder: Path) -> tuple[tuple[str, int, int, int], ...]:
    """What changes when a writer commits or switches generations (for readers without the lock)."""
    found = []
    for name in STORE_FILES:
        if name == EVENTS_FILE:
            continue
        try:
            st = (folder / name).stat()
        except OSError:
            continue
        found.append((name, st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(found)


# --------------------------------------------------------------------- format v2


def _journal_head(key: bytes, header: Header, generation: int, snapshot_digest: bytes) -> bytes:
    header_bytes = header.to_bytes()
    prefix = JMAGIC + _U64.pack(generation) + snapshot_digest + _U32.pack(len(header_bytes)) + header_bytes
    return prefix + crypto.seal(key, b"", b"safedesk-journal/2\0" + prefix)


def _first_chain(journal_head: bytes) -> bytes:
    return hashlib.sha256(b"safedesk-chain/2\0" + journal_head).digest()


def _next_chain(chain: bytes, record: bytes) -> bytes:
    return hashlib.sha256(chain + record).digest()


def _length_check(seq: int, length: int) -> int:
    # Not a MAC (the AEAD below is): it tells a damaged length from a write cut short.
    return zlib.crc32(_U64.pack(seq) + _U32.pack(length))


def _frame(key: bytes, chain: bytes, seq: int, plaintext: bytes) -> bytes:
    length = len(plaintext) + _SEALED_OVERHEAD
    aad = b"safedesk-frame/2\0" + chain + _U64.pack(seq) + _U32.pack(length)
    return _FRAME_HEAD.pack(length, _length_check(seq, length)) + crypto.seal(key, plaintext, aad)


def _snapshot_aad_v1(header: Header, generation: int) -> bytes:
    return b"safedesk-data\0" + header.digest() + _U64.pack(generation)


def _frame_aad_v1(header: Header, generation: int, seq: int) -> bytes:
    return b"safedesk-journal\0" + header.digest() + _U64.pack(generation) + _U64.pack(seq)


# --------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Snapshot:
    """A parsed (not yet decrypted) snapshot file."""

    path: Path
    version: int
    header: Header
    generation: int
    sealed: bytes | None  # None: read from `path` piece by piece when opened (version 2)
    body_aad: bytes
    digest: bytes  # snapshot_id: what its journal is bound to
    folded: int = 0  # frames of the previous generation's journal the tables hold (version 2)
    head: SnapshotHead | None = None


@dataclass(frozen=True)
class Roles:
    """Which files play the store and journal now (during a switch, the *.next ones)."""

    store: Path
    journal: Path


@dataclass
class Replayed:
    end: int
    frames: int
    torn: bool
    chain: bytes
    chains: list[bytes] = field(default_factory=list)  # after 0, 1, ... frames
    damage: str | None = None  # set only when not strict
    generation: int = 0


def _corrupt(path: Path, what: str) -> StoreCorrupt:
    return StoreCorrupt(f"The {_kind(path)} {path} {what}.", str(path), _backup_hint(path))


def _kind(path: Path) -> str:
    return "journal file" if path.name.startswith(JOURNAL_FILE) else "store file"


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as error:
        raise describe_os_error(error, f"read {path.name}") from None


def parse_snapshot(path: Path) -> Snapshot:
    """Header, generation and fold point of a snapshot file, or StoreCorrupt naming it.
    A version 2 file's tables are not read here (open_snapshot reads them piece by piece)."""
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if handle.read(len(MAGIC)) == MAGIC:
                handle.seek(0)
                return _parsed(path, handle, size)
    except FileNotFoundError:
        raise
    except OSError as error:
        raise describe_os_error(error, f"read {path.name}") from None
    return parse_snapshot_bytes(path, _read(path))


def parse_snapshot_bytes(path: Path, raw: bytes) -> Snapshot:
    """parse_snapshot for bytes already read (the tables included); `path` names them in errors."""
    if raw.startswith(MAGIC):
        snapshot = _parsed(path, io.BytesIO(raw), len(raw))
        assert snapshot.head is not None
        return replace_fields(snapshot, sealed=raw[snapshot.head.body_offset :])
    try:
        if raw.startswith(MAGIC_V1):
            pos = len(MAGIC_V1)
            (length,) = _U32.unpack_from(raw, pos)
            if length > _MAX_HEADER:
                raise ValueError("header too large")
            pos += 4
            header = Header.from_bytes(raw[pos : pos + length])
            if header.version != 1:
                raise ValueError("header and file format differ")
            pos += length
            (generation,) = _U64.unpack_from(raw, pos)
            sealed = raw[pos + 8 :]
            return Snapshot(
                path, 1, header, generation, sealed, _snapshot_aad_v1(header, generation), hashlib.sha256(raw).digest()
            )
        raise ValueError("not a SafeDesk store file")
    except crypto.KdfOutOfBounds:
        raise _kdf_corrupt(path) from None
    except (ValueError, KeyError, TypeError, struct.error, UnicodeDecodeError) as error:
        raise _corrupt(path, f"is damaged or is not a SafeDesk store ({error})") from None


def _kdf_corrupt(path: Path) -> StoreCorrupt:
    return _corrupt(path, f"asks for more key-derivation work than SafeDesk ever sets ({crypto.KDF_BOUNDS_TEXT}): it was changed")


def _parsed(path: Path, handle: Any, size: int) -> Snapshot:
    try:
        head = read_head(handle, size)
    except crypto.KdfOutOfBounds:
        raise _kdf_corrupt(path) from None
    except (ValueError, KeyError, TypeError, struct.error, UnicodeDecodeError) as error:
        raise _corrupt(path, f"is damaged or is not a SafeDesk store ({error})") from None
    return Snapshot(path, 2, head.header, head.generation, None, body_aad(head.check), head.digest, head.folded, head)


def read_header(path: Path) -> SnapshotHead:
    """Header, generation and fold point of a snapshot file, reading only its first bytes (its
    `digest` is left empty); or StoreCorrupt. (A version 1 file is read whole: fold point 0.)"""
    try:
        with path.open("rb") as handle:
            if handle.read(len(MAGIC)) == MAGIC:
                handle.seek(0)
                return read_head(handle, os.fstat(handle.fileno()).st_size, body=False)
    except FileNotFoundError:
        raise StoreNotFound(f"No store file {path}.") from None
    except OSError as error:
        raise describe_os_error(error, f"read {path.name}") from None
    except crypto.KdfOutOfBounds:
        raise _kdf_corrupt(path) from None
    except (ValueError, KeyError, TypeError, struct.error, UnicodeDecodeError) as error:
        raise _corrupt(path, f"is damaged or is not a SafeDesk store ({error})") from None
    snapshot = parse_snapshot(path)
    sealed = snapshot.sealed or b""
    size = path.stat().st_size
    return SnapshotHead(snapshot.header, snapshot.generation, 0, size - len(sealed), len(sealed), b"", snapshot.digest)


def open_snapshot(snapshot: Snapshot, key: bytes) -> Tables:
    try:
        if snapshot.sealed is None:
            assert snapshot.head is not None
            return read_tables(snapshot.path, snapshot.head, key)
        tables = json.loads(crypto.open_sealed(key, snapshot.sealed, snapshot.body_aad).decode("utf-8"))
        if not isinstance(tables, dict):
            raise ValueError("tables")
    except FileNotFoundError:
        raise _corrupt(snapshot.path, "went missing while it was read") from None
    except OSError as error:
        raise describe_os_error(error, f"read {snapshot.path.name}") from None
    except (crypto.DecryptionFailed, ValueError, UnicodeDecodeError):
        raise _corrupt(snapshot.path, "failed its integrity check (changed or truncated)") from None
    return tables


def _backup_hint(path: Path) -> str | None:
    """The kept previous generation that `safedesk recover` would open, if there is one."""
    if path.name.endswith(BACKUP_SUFFIX):
        return None
    backup = path.parent / (STORE_FILE + BACKUP_SUFFIX)
    return str(backup) if backup.is_file() else None


def unlock_header(header: Header, passphrase: str, user: str | None) -> tuple[Slot, bytes] | None:
    """The slot `passphrase` opens (the one for `user`, else any) and the data key."""
    for slot in header.candidates(user):
        secret = secret_for_slot(slot.role, passphrase)
        key = slot.unwrap(header.store_id, secret) if secret is not None else None
        if key is not None:
            return slot, key
    return None


def unlock_slot(header: Header, passphrase: str, user: str | None, on_failed_unlock: Any) -> tuple[Slot, bytes]:
    if user and not header.candidates(user):
        raise WrongPassphrase(f"No key slot for '{user}' in this store. 'safedesk keys list' shows who has one.")
    opened = unlock_header(header, passphrase, user)
    if opened is None:
        if on_failed_unlock is not None:
            on_failed_unlock(header, user)
        raise WrongPassphrase("Wrong passphrase: the store was not opened.")
    return opened


def journal_generation(path: Path) -> int | None:
    """The generation a journal file names in its header, if it can be read (no key needed)."""
    try:
        raw = path.read_bytes()[:64]
    except OSError:
        return None
    for magic in (JMAGIC, JMAGIC_V1):
        if raw.startswith(magic) and len(raw) >= len(magic) + 8:
            return int(_U64.unpack_from(raw, len(magic))[0])
    return None


def _journal_binding(path: Path) -> bytes | None:
    """The snapshot digest a version 2 journal says it extends (no key needed)."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(len(JMAGIC) + 8 + _DIGEST)
    except OSError:
        return None
    if not raw.startswith(JMAGIC) or len(raw) < len(JMAGIC) + 8 + _DIGEST:
        return None
    return raw[len(JMAGIC) + 8 :]


def _file_digest(path: Path) -> bytes | None:
    """snapshot_id of a version 2 snapshot file, or None if it cannot be read as one."""
    try:
        with path.open("rb") as handle:
            return read_head(handle, os.fstat(handle.fileno()).st_size).digest
    except (OSError, ValueError, KeyError, TypeError, struct.error, UnicodeDecodeError):
        return None


def settle(folder: Path, *, write: bool) -> Roles:
    """Which files are the store and journal, finishing a compaction a crash interrupted.

    The switch renames journal -> journal.bak, store -> store.bak, store.next -> store,
    journal.next -> journal, after both *.next files were written complete. Which of those
    renames happened is told by what exists and by the journals' bindings to snapshots,
    never by guessing. With `write`, the switch is finished (or leftovers of an unfinished
    write removed); without, only the roles are worked out, so reading changes nothing.
    """
    store, journal = folder / STORE_FILE, folder / JOURNAL_FILE
    store_next, journal_next = folder / (STORE_FILE + NEXT_SUFFIX), folder / (JOURNAL_FILE + NEXT_SUFFIX)
    renames: list[tuple[Path, Path]] = []
    removals: list[Path] = []
    roles = Roles(store, journal)
    next_pair = store_next.is_file() and journal_next.is_file() and _journal_binding(journal_next) == _file_digest(store_next)
    if next_pair and store.is_file() and journal.is_file():
        removals = [store_next, journal_next]  # the switch never began: the current pair stands
    elif next_pair:
        if store.is_file():
            renames.append((store, folder / (STORE_FILE + BACKUP_SUFFIX)))
        renames += [(store_next, store), (journal_next, journal)]
        roles = Roles(store_next, journal_next)
    elif journal_next.is_file() and not journal.exists() and _journal_binding(journal_next) == _file_digest(store):
        renames = [(journal_next, journal)]
        roles = Roles(store, journal_next)
    else:
        removals = [p for p in (store_next, journal_next) if p.exists()]
    if write and (renames or removals):
        try:
            for path in removals:
                path.unlink()
            for src, dst in renames:
                replace(src, dst)
            fsync_dir(folder)
        except OSError as error:
            raise describe_os_error(error, "finish the last save") from None
        return Roles(store, journal)
    return roles


def read_state(
    folder: Path,
    passphrase: str,
    user: str | None,
    *,
    roles: Roles | None = None,
    on_failed_unlock: Any = None,
) -> Unlocked:
    roles = roles or Roles(folder / STORE_FILE, folder / JOURNAL_FILE)
    try:
        snapshot = parse_snapshot(roles.store)
    except FileNotFoundError:
        others = [n for n in store_files(folder) if n != EVENTS_FILE]
        if others:
            raise StoreCorrupt(
                f"The store file {roles.store} is missing but other store files are there: "
                "run 'safedesk recover' to rebuild it from them.",
                str(roles.store),
                _backup_hint(roles.store),
            ) from None
        raise StoreNotFound(f"No SafeDesk store in {folder}. Run 'safedesk init' to create one.") from None
    slot, key = unlock_slot(snapshot.header, passphrase, user, on_failed_unlock)
    with no_cycle_collection():  # the journal's frames make as many dicts as the store file's
        tables = open_snapshot(snapshot, key)
        replayed = replay_journal(roles.journal, snapshot, key, tables)
    state = Unlocked(
        snapshot.header,
        key,
        slot,
        snapshot.generation,
        tables,
        replayed.end,
        replayed.frames,
        replayed.torn,
        replayed.chain,
        snapshot.version,
    )
    state.rollback_warning = rollback_check(snapshot, replayed)
    return state


def rollback_check(snapshot: Snapshot, replayed: Replayed) -> str | None:
    """A sentence when this store is behind (or beside) the last state this computer saw of it."""
    last = anchor.load(snapshot.header.store_id)
    if last is None or snapshot.version < 2:
        return None
    now = anchor.Seen(snapshot.generation, replayed.frames, replayed.chain.hex())
    if now.is_older_than(last):
        return (
            f"The store in {snapshot.path.parent} is older than the last one this computer saw "
            f"(save {now.generation}.{now.frames}, last seen {last.generation}.{last.frames}): its files were replaced "
            "with an older copy or cut short. It was not opened for writing; 'safedesk recover' says what would be lost."
        )
    if now.generation == last.generation and last.chain and replayed.chains[last.frames].hex() != last.chain:
        return (
            f"The store in {snapshot.path.parent} differs from the one this computer last saw at the same save: "
            "its files were replaced. It was not opened for writing; 'safedesk recover' says what would be lost."
        )
    return None


def replay_journal(path: Path, snapshot: Snapshot, key: bytes, tables: Tables, *, strict: bool = True) -> Replayed:
    """Apply the journal's frames to `tables` (StoreCorrupt on anything but a torn tail;
    with `strict` False, stop at the damage and say what it was instead)."""
    try:
        raw = _read(path)
    except FileNotFoundError:
        if snapshot.version == 1:
            return Replayed(0, 0, True, b"")  # version 1 wrote the journal after its snapshot
        error = _corrupt(path, "is missing, but its store file needs it")
        if strict:
            raise error from None
        return Replayed(0, 0, False, b"", damage=str(error))
    if snapshot.version == 1:
        return _replay_v1(raw, path, snapshot.header, key, snapshot.generation, tables)
    try:
        head = parse_journal_head(raw, path, key)
        if head.generation != snapshot.generation or head.snapshot_digest != snapshot.digest:
            raise _corrupt(path, f"does not belong to this store file (it extends save {head.generation}, not this one)")
    except StoreCorrupt as error:
        if strict:
            raise
        return Replayed(0, 0, False, b"", damage=str(error))
    return replay_frames(raw, head, path, key, tables, strict=strict)


@dataclass(frozen=True)
class JournalHead:
    generation: int
    snapshot_digest: bytes
    header: Header
    end: int
    chain: bytes


def parse_journal_head(raw: bytes, path: Path, key: bytes | None) -> JournalHead:
    """A version 2 journal's header, authenticated with `key` (unchecked when None)."""
    try:
        if not raw.startswith(JMAGIC):
            raise ValueError("not a SafeDesk journal of this format")
        pos = len(JMAGIC)
        (generation,) = _U64.unpack_from(raw, pos)
        digest = raw[pos + 8 : pos + 8 + _DIGEST]
        (length,) = _U32.unpack_from(raw, pos + 8 + _DIGEST)
        if length > _MAX_HEADER:
            raise ValueError("header too large")
        start = pos + 8 + _DIGEST + 4
        end = start + length + _SEALED_OVERHEAD
        if len(raw) < end:
            raise ValueError("cut short")
        header = Header.from_bytes(raw[start : start + length])
    except (ValueError, KeyError, TypeError, struct.error, UnicodeDecodeError) as error:
        raise _corrupt(path, f"is damaged or is not a SafeDesk journal ({error})") from None
    if key is not None:
        try:
            crypto.open_sealed(key, raw[start + length : end], b"safedesk-journal/2\0" + raw[: start + length])
        except crypto.DecryptionFailed:
            raise _corrupt(path, "failed its integrity check (changed, or from another store)") from None
    return JournalHead(generation, digest, header, end, _first_chain(raw[:end]))


def replay_frames(raw: bytes, head: JournalHead, path: Path, key: bytes, tables: Tables, *, strict: bool) -> Replayed:
    pos, seq, chain = head.end, 0, head.chain
    chains = [chain]
    torn = False
    damage: str | None = None
    while pos < len(raw):
        rest = raw[pos:]
        if len(rest) < _FRAME_HEAD.size or not rest.strip(b"\0"):
            torn = True  # a write that never completed, or zeros from a power cut
            break
        length, check = _FRAME_HEAD.unpack_from(raw, pos)
        if check != _length_check(seq, length) or not _SEALED_OVERHEAD <= length <= _MAX_FRAME:
            damage = f"save {seq + 1} in it has a damaged length"
            break
        end = pos + _FRAME_HEAD.size + length
        if end > len(raw):
            torn = True
            break
        sealed = raw[pos + _FRAME_HEAD.size : end]
        aad = b"safedesk-frame/2\0" + chain + _U64.pack(seq) + _U32.pack(length)
        try:
            ops = json.loads(crypto.open_sealed(key, sealed, aad).decode("utf-8"))["ops"]
            _apply_ops(tables, ops)
        except (crypto.DecryptionFailed, ValueError, KeyError, TypeError, IndexError, UnicodeDecodeError):
            if end == len(raw) and not sealed[-16:].strip(b"\0"):
                torn = True  # the last frame's end never reached the disk
                break
            damage = f"save {seq + 1} in it failed its integrity check"
            break
        chain = _next_chain(chain, raw[pos:end])
        chains.append(chain)
        pos = end
        seq += 1
    if damage is not None:
        error = _corrupt(path, f"is damaged: {damage} (changed or truncated)")
        if strict:
            raise error
        return Replayed(pos, seq, False, chain, chains, str(error), head.generation)
    return Replayed(pos, seq, torn, chain, chains, None, head.generation)


def _replay_v1(raw: bytes, path: Path, header: Header, key: bytes, generation: int, tables: Tables) -> Replayed:
    """A version 1 journal, read the way version 1 did (kept to migrate old stores)."""
    expected = JMAGIC_V1 + _U64.pack(generation) + header.digest()
    if not raw.startswith(expected):
        if raw.startswith(JMAGIC_V1) and len(raw) >= len(expected):
            return Replayed(0, 0, True, b"")  # version 1 wrote the journal after its snapshot
        if len(raw) < len(expected) and expected.startswith(raw):
            return Replayed(0, 0, True, b"")
        raise _corrupt(path, "is damaged or belongs to another store")
    pos = len(expected)
    seq = 0
    while pos < len(raw):
        if pos + 4 > len(raw):
            return Replayed(pos, seq, True, b"")
        (length,) = _U32.unpack_from(raw, pos)
        end = pos + 4 + length
        if length > _MAX_FRAME or end > len(raw) or length == 0:
            if length == 0 and raw[pos:].strip(b"\0"):
                raise _corrupt(path, "is damaged")
            return Replayed(pos, seq, True, b"")
        try:
            plain = crypto.open_sealed(key, raw[pos + 4 : end], _frame_aad_v1(header, generation, seq))
            _apply_ops(tables, json.loads(plain.decode("utf-8"))["ops"])
        except (crypto.DecryptionFailed, ValueError, KeyError, TypeError, IndexError, UnicodeDecodeError):
            if end == len(raw) and not raw[pos + 4 : end].strip(b"\0"):
                return Replayed(pos, seq, True, b"")
            raise _corrupt(path, "failed its integrity check (changed or truncated)") from None
        pos = end
        seq += 1
    return Replayed(pos, seq, False, b"")


def _apply_ops(tables: Tables, ops: list[Any]) -> None:
    for op in ops:
        kind = op[0]
        if kind == "put":
            tables.setdefault(op[1], {})[op[2]] = op[3]
        elif kind == "del":
            tables.get(op[1], {}).pop(op[2], None)
        elif kind == "drop":
            tables.pop(op[1], None)
        elif kind == "table":
            tables.setdefault(op[1], {})
        else:
            raise ValueError("unknown journal op")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
