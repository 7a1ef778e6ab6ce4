"""The encrypted container on disk: a snapshot file plus an append-only journal.

Folder layout (every byte outside the header is AES-256-GCM ciphertext):

    safedesk.store         the snapshot: header, generation, fold point, sealed tables (engine.snapshot)
    safedesk.journal       JMAGIC | u64 generation | sha256(header) | frames: u32 length | sealed ops JSON
    safedesk.store.bak     the previous generation of both files, kept on every compaction
    safedesk.journal.bak
    safedesk.events        failed unlocks, each sealed (age) to the store's public key
    safedesk.lock          the single-writer lock

A commit appends one frame holding only the documents it changed (engine.changes
tracks them; nothing is diffed) and fsyncs: cost grows with the change, not the
store. When the journal outgrows the snapshot, a background thread folds it into
a new generation while saves go on appending (see `_run_fold` for why a crash at
any point loses nothing). Each frame's associated data binds the header, the
generation and its position, so frames cannot be reordered, moved between
stores or replayed; a torn last frame (a write that never returned) is ignored.

Readers without the writer lock (`read_only`) load the snapshot and the journal
up to its last complete frame, and read again if a fold switched files meanwhile.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import struct
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safedesk.store.engine import crypto
from safedesk.store.engine.changes import ChangeLog, Tables
from safedesk.store.engine.files import (
    WriterLock,
    atomic_copy,
    atomic_write,
    describe_os_error,
    fsync_dir,
    make_private_dir,
    open_private,
    remove_stale_temps,
    replace,
    temp_name,
)
from safedesk.store.engine.header import Header, Slot
from safedesk.store.engine.recovery import secret_for_slot
from safedesk.store.engine.snapshot import Cancelled, SnapshotHead, read_head, read_tables, write_snapshot
from safedesk.store.errors import StoreCorrupt, StoreExists, StoreNotFound, StoreReadOnly, StoreWriteError, WrongPassphrase

STORE_FILE = "safedesk.store"
JOURNAL_FILE = "safedesk.journal"
EVENTS_FILE = "safedesk.events"
BACKUP_SUFFIX = ".bak"
JMAGIC = b"SAFEDESK-JOURNAL/1\n"
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_MAX_FRAME = 1 << 30
# The journal is folded into a new snapshot once it is this large and larger than the snapshot.
MIN_COMPACT_BYTES = 256 * 1024
# A reader without the writer lock retries this often when a fold switches files under it.
_READ_ATTEMPTS = 5


def store_exists(folder: Path) -> bool:
    return (folder / STORE_FILE).is_file()


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
    # Frames of the previous generation's journal that the snapshot does not hold (a fold
    # stopped between installing the snapshot and restarting the journal), as plaintext;
    # None when the journal is this generation's own.
    carried: list[bytes] | None = None


@dataclass
class _Fold:
    """A fold in progress: generation `generation` is being written from the tables as they
    were after `folded` frames of the current journal; frames appended since are kept in
    `tail` to start the new journal with."""

    generation: int
    folded: int
    journal_end: int
    tail: list[bytes] = field(default_factory=list)
    cancelled: bool = False
    thread: threading.Thread | None = None


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
        self._journal_fd: int | None = None
        # No journal to append to (missing, or older than the snapshot): the next commit writes a generation.
        self._journal_broken = state.journal_end == 0
        self._pending_header: Header | None = None
        self._compact_bytes = compact_bytes
        self._snapshot_bytes = self._snapshot_size()
        self._fold: _Fold | None = None
        # After a failed fold, the next is tried only once the journal has grown this far.
        self._fold_after = 0
        self.fold_error: str | None = None
        self._depth = 0
        self._mutex = threading.RLock()
        self.on_rollback: list[Any] = []
        self.closed = False
        self.torn_tail_recovered = state.torn_tail

    @property
    def read_only(self) -> bool:
        """Opened without the writer lock (another process may be writing): every commit is refused."""
        return self._lock is None

    # ----------------------------------------------------------------- opening

    @classmethod
    def create(
        cls, folder: Path, header: Header, slot: Slot, data_key: bytes, tables: Tables, compact_bytes: int = MIN_COMPACT_BYTES
    ) -> Vault:
        make_private_dir(folder)
        lock = WriterLock(folder)
        lock.acquire()
        try:
            if store_exists(folder):
                raise StoreExists(f"A SafeDesk store already exists in {folder}.")
            remove_stale_temps(folder)
            state = Unlocked(header, data_key, slot, 0, tables, 0, 0, False)
            vault = cls(folder, lock, state, compact_bytes)
            # Nothing is written until the first commit, which writes generation 1 whole:
            # a setup that fails half-way leaves no store behind.
            vault._journal_broken = True
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
        use_backup: bool = False,
        compact_bytes: int = MIN_COMPACT_BYTES,
        on_failed_unlock: Any = None,
        read_only: bool = False,
    ) -> Vault:
        """Unlock the store. `read_only`: without the writer lock, from the last complete commit,
        while another process may hold the store for writing; nothing is written."""
        if not store_exists(folder):
            raise StoreNotFound(f"No SafeDesk store in {folder}. Run 'safedesk init' to create one.")
        if read_only:
            state = read_state(folder, passphrase, user, on_failed_unlock=on_failed_unlock, attempts=_READ_ATTEMPTS)
            return cls(folder, None, state, compact_bytes)
        lock = WriterLock(folder)
        lock.acquire()
        try:
            suffix = BACKUP_SUFFIX if use_backup else ""
            state = read_state(folder, passphrase, user, suffix=suffix, on_failed_unlock=on_failed_unlock)
            vault = cls(folder, lock, state, compact_bytes)
            remove_stale_temps(folder)
            if use_backup:
                # Restoring: the backup becomes the current generation; the damaged files
                # are kept beside it for inspection rather than overwritten.
                vault._quarantine_damaged()
                vault._write_generation(state.generation + 1, keep_backup=False)
            elif state.carried is not None:
                vault._finish_interrupted_fold(state.carried)
            return vault
        except BaseException:
            lock.release()
            raise

    def _finish_interrupted_fold(self, carried: list[bytes]) -> None:
        """The snapshot was installed but its journal never started: start it with the frames it lacks."""
        try:
            self._install_journal(self.generation, carried)
        except OSError as error:
            raise describe_os_error(error, "finish the last compaction") from None

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
            try:
                if header is not None or self._journal_broken:
                    self._commit_generation(header)
                else:
                    frame = ('{"ops":[' + ",".join(self._log.frame_ops(self.data)) + "]}").encode("utf-8")
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
            self._maybe_fold()

    def _commit_generation(self, header: Header | None) -> None:
        """Commit by writing a whole new generation (optionally with a new header)."""
        old_header = self.header
        if header is not None:
            self.header = header
        try:
            self._write_generation(self.generation + 1, keep_backup=True)
        except BaseException:
            self.header = old_header
            raise

    def rollback(self) -> None:
        """Put the live tables back to the committed state after a failed write."""
        with self._mutex:
            for table in self._log.tables_touched():
                self._bump(table)
            self._log.restore(self.data)
            self._log = ChangeLog()
            for callback in self.on_rollback:
                callback()

    # ----------------------------------------------------------------- journal

    def _journal_path(self) -> Path:
        return self.folder / JOURNAL_FILE

    def _append(self, plaintext: bytes) -> None:
        seq = self._journal_frames
        sealed = crypto.seal(self._key, plaintext, _frame_aad(self.header, self.generation, seq))
        record = _U32.pack(len(sealed)) + sealed
        if self._journal_fd is None:
            self._journal_fd = open_private(self._journal_path(), os.O_RDWR)
            # Drop a torn tail left by a crash before appending after it.
            os.ftruncate(self._journal_fd, self._journal_end)
        fd = self._journal_fd
        try:
            os.lseek(fd, self._journal_end, os.SEEK_SET)
            view = memoryview(record)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except OSError:
            try:
                os.ftruncate(fd, self._journal_end)
                os.fsync(fd)
            except OSError:
                # The tail may now hold a partial frame; the next commit rewrites everything.
                self._journal_broken = True
            raise
        self._journal_end += len(record)
        self._journal_frames += 1
        if self._fold is not None:
            self._fold.tail.append(plaintext)

    def _close_journal(self) -> None:
        if self._journal_fd is not None:
            os.close(self._journal_fd)
            self._journal_fd = None

    def _snapshot_size(self) -> int:
        try:
            return (self.folder / STORE_FILE).stat().st_size
        except OSError:
            return 0

    def _install_journal(self, generation: int, frames: list[bytes]) -> None:
        """Replace the journal with a new one for `generation` holding `frames` (plaintexts), sealed anew."""
        journal = self._journal_start(generation) + self._seal_frames(generation, frames, 0)
        self._close_journal()
        atomic_write(self._journal_path(), journal)
        self._journal_end = len(journal)
        self._journal_frames = len(frames)
        self._journal_broken = False

    def _journal_start(self, generation: int) -> bytes:
        return JMAGIC + _U64.pack(generation) + self.header.digest()

    def _seal_frames(self, generation: int, frames: list[bytes], first_seq: int) -> bytes:
        """Journal records for `frames` (plaintexts) numbered from `first_seq`."""
        records = []
        for seq, plaintext in enumerate(frames, start=first_seq):
            sealed = crypto.seal(self._key, plaintext, _frame_aad(self.header, generation, seq))
            records.append(_U32.pack(len(sealed)) + sealed)
        return b"".join(records)

    # ----------------------------------------------------------------- generations

    def _write_generation(self, generation: int, keep_backup: bool) -> None:
        """Write the current state as a new snapshot and an empty journal, here and now."""
        self._cancel_fold()
        store_path = self.folder / STORE_FILE
        if keep_backup and store_path.exists():
            # Journal first: a crash between the two leaves a backup pair whose journal
            # generation does not match, which is read as "no journal" — still consistent.
            for name in (JOURNAL_FILE, STORE_FILE):
                current = self.folder / name
                if current.exists():
                    atomic_copy(current, self.folder / (name + BACKUP_SUFFIX))
        # Every frame of the current journal is in the new snapshot.
        folded = 0 if self._journal_broken else self._journal_frames
        tmp = temp_name(store_path)
        try:
            size = write_snapshot(tmp, self.data, self.header, self._key, generation, folded, lambda: False)
            replace(tmp, store_path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        fsync_dir(self.folder)
        # From here the snapshot is generation `generation`, whatever happens to the journal.
        self.generation = generation
        self._snapshot_bytes = size
        try:
            self._install_journal(generation, [])
        except BaseException:
            self._journal_broken = True
            raise

    # ----------------------------------------------------------------- folding in the background

    def _maybe_fold(self) -> None:
        """Start folding the journal into a new snapshot in a background thread once it outgrows the snapshot.

        Called after a commit, under the mutex. The thread gets shallow copies of the tables
        (stored documents are never changed in place, so this is a consistent snapshot at a
        few milliseconds' cost) and never blocks a save: commits keep appending to the
        journal meanwhile and are carried into the new generation's journal at the switch.
        """
        if self._journal_end > max(self._compact_bytes, self._snapshot_bytes, self._fold_after):
            self.start_fold()

    def start_fold(self) -> None:
        """Fold now, in the background, whatever the journal's size (the benchmark measures the pause)."""
        with self._mutex:
            if self._fold is not None or self.read_only or self._journal_broken or self.closed:
                return
            self._begin_fold()

    def _begin_fold(self) -> None:
        fold = _Fold(self.generation + 1, self._journal_frames, self._journal_end)
        tables = {name: dict(table) for name, table in self.data.items()}
        fold.thread = threading.Thread(target=self._run_fold, args=(fold, tables, self.header), name="safedesk-fold", daemon=True)
        self._fold = fold
        fold.thread.start()

    def _run_fold(self, fold: _Fold, tables: Tables, header: Header) -> None:
        """The fold thread: write the snapshot and the backup pair, then switch under the mutex.

        Crash safety, in order: (1) the new snapshot is a temp file until it is complete and
        fsynced; (2) the backup pair is copied from files that no longer change (the old
        snapshot, the journal up to the fold point); (3) the snapshot is installed by an
        atomic rename, after which the folder holds generation g + 1 beside journal g, which
        the reader replays from the fold point on; (4) the new journal, holding the frames
        appended during the fold, replaces the old one atomically. A crash between any two
        steps leaves every committed change readable.
        """
        store_path = self.folder / STORE_FILE
        tmp = temp_name(store_path)
        draft = temp_name(self._journal_path())
        try:
            size = write_snapshot(tmp, tables, header, self._key, fold.generation, fold.folded, lambda: fold.cancelled)
            del tables
            self._backup_pair(fold)
            drafted = self._draft_journal(fold, draft)
            self._lock_unless_cancelled(fold)
            try:
                self._switch(fold, tmp, size, draft, drafted)
            finally:
                self._mutex.release()
        except Cancelled:
            tmp.unlink(missing_ok=True)
            draft.unlink(missing_ok=True)
        except Exception as error:  # noqa: BLE001 - the thread must report, not die silently
            tmp.unlink(missing_ok=True)
            draft.unlink(missing_ok=True)
            self._fold_failed(fold, error)

    def _fold_failed(self, fold: _Fold, error: Exception) -> None:
        try:
            self._lock_unless_cancelled(fold)
        except Cancelled:
            return  # whoever cancelled it is writing a generation now
        try:
            self.fold_error = str(describe_os_error(error, "compact the store")) if isinstance(error, OSError) else repr(error)
            # Saves go on appending to the journal; try again once it has grown as much again.
            self._fold_after = self._journal_end + max(self._compact_bytes, self._snapshot_bytes)
            if self._fold is fold:
                self._fold = None
        finally:
            self._mutex.release()

    def _backup_pair(self, fold: _Fold) -> None:
        for name, length in ((JOURNAL_FILE, fold.journal_end), (STORE_FILE, None)):
            if fold.cancelled:
                raise Cancelled
            current = self.folder / name
            if current.exists():
                atomic_copy(current, self.folder / (name + BACKUP_SUFFIX), length)

    def _lock_unless_cancelled(self, fold: _Fold) -> None:
        # A synchronous generation write holds the mutex while it waits for this thread to
        # stop: never block on the mutex without looking at the flag.
        while not self._mutex.acquire(timeout=0.02):
            if fold.cancelled:
                raise Cancelled
        if fold.cancelled:
            self._mutex.release()
            raise Cancelled

    def _draft_journal(self, fold: _Fold, draft: Path) -> tuple[int, int]:
        """Write and fsync the new journal with the frames appended so far, outside the mutex
        (so the switch itself costs two renames); returns how many frames it holds, and its size."""
        self._lock_unless_cancelled(fold)
        try:
            frames = list(fold.tail)
        finally:
            self._mutex.release()
        data = self._journal_start(fold.generation) + self._seal_frames(fold.generation, frames, 0)
        fd = open_private(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        return len(frames), len(data)

    def _switch(self, fold: _Fold, tmp: Path, size: int, draft: Path, drafted: tuple[int, int]) -> None:
        """Under the mutex: install the new snapshot, then the new journal (steps 3 and 4)."""
        count, journal_size = drafted
        late = fold.tail[count:]
        if late:  # saved while the draft was written: add them to it
            records = self._seal_frames(fold.generation, late, count)
            fd = open_private(draft, os.O_WRONLY | os.O_APPEND)
            try:
                _write_all(fd, records)
                os.fsync(fd)
            finally:
                os.close(fd)
            journal_size += len(records)
        replace(tmp, self.folder / STORE_FILE)
        fsync_dir(self.folder)
        self.generation = fold.generation
        self._snapshot_bytes = size
        self._fold = None
        self._close_journal()
        try:
            replace(draft, self._journal_path())
            fsync_dir(self.folder)
        except BaseException:
            # The old journal is still there and still read (from the fold point), but frames
            # of this generation cannot go after it: the next commit writes a generation whole.
            self._journal_broken = True
            raise
        self._journal_end = journal_size
        self._journal_frames = len(fold.tail)

    def _cancel_fold(self) -> None:
        """Stop a running fold and wait for its thread (a synchronous write is about to replace its work)."""
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
        if fold is not None and fold.thread is not None:
            fold.thread.join()

    def compact(self) -> None:
        """Fold the journal into a fresh snapshot now (used by backup and key changes)."""
        with self._mutex:
            self._ensure_open()
            self._ensure_writable()
            if self._depth:
                raise RuntimeError("compact() inside a transaction")
            self.commit()
            try:
                self._write_generation(self.generation + 1, keep_backup=True)
            except OSError as error:
                raise describe_os_error(error, "rewrite the store") from None

    def replace_header(self, header: Header) -> None:
        """Key-slot changes: the new header is written with the open transaction's changes,
        in one generation, so a slot and its owner's record never exist one without the other."""
        with self._mutex:
            self._ensure_writable()
            self._pending_header = header
            if self._depth == 0:
                self.commit()

    def snapshot_bytes(self) -> bytes:
        """The current state as a standalone store file (for backups)."""
        self.compact()
        return (self.folder / STORE_FILE).read_bytes()

    def _quarantine_damaged(self) -> None:
        for name in (STORE_FILE, JOURNAL_FILE):
            path = self.folder / name
            if path.exists():
                target = self.folder / f"{name}.damaged-{secrets.token_hex(3)}"
                os.replace(path, target)
        fsync_dir(self.folder)

    # ----------------------------------------------------------------- lifecycle

    def _ensure_open(self) -> None:
        if self.closed:
            raise StoreWriteError("The store is closed.")

    def _ensure_writable(self) -> None:
        if self._lock is None:
            raise StoreReadOnly(
                f"The store in {self.folder} is open for reading only, because another SafeDesk window or command "
                "holds it for writing. Close that one first to make changes."
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
        if fold is not None and fold.thread is not None:
            fold.thread.join()
        with self._mutex:
            self._fold = None
            self._close_journal()
            self.closed = True
            self._key = b""
            if self._lock is not None:
                self._lock.release()

    # The data key never leaves the vault: callers ask it to wrap, seal or open.

    def new_slot(self, role: str, name: str, secret: bytes, kdf: crypto.KdfParams, slot_id: str | None = None) -> Slot:
        """A key slot that opens this store with `secret`, wrapping this store's data key."""
        return Slot.create(self.header.store_id, role, name, secret, self._key, kdf, slot_id)

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


def _frame_aad(header: Header, generation: int, seq: int) -> bytes:
    return b"safedesk-journal\0" + header.digest() + _U64.pack(generation) + _U64.pack(seq)


# --------------------------------------------------------------------- reading


def read_header(path: Path) -> SnapshotHead:
    """Header, generation and fold point of a snapshot file, reading only its first bytes; or StoreCorrupt."""
    return read_head(path, _backup_hint(path))


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


class _Moved(Exception):
    """Read without the writer lock: a fold replaced the snapshot between reading it and its journal."""


def read_state(
    folder: Path, passphrase: str, user: str | None, *, suffix: str = "", on_failed_unlock: Any = None, attempts: int = 1
) -> Unlocked:
    """Unlock and load the snapshot and journal. With `attempts` > 1 (a reader without the writer
    lock), a fold switching files mid-read is met by reading again: every attempt yields the
    state after some complete commit, never a mixture."""
    store_path = folder / (STORE_FILE + suffix)
    if not store_path.is_file():
        raise StoreNotFound(f"No store file {store_path}.")
    head = read_header(store_path)
    if user and not head.header.candidates(user):
        raise WrongPassphrase(f"No key slot for '{user}' in this store. 'safedesk keys list' shows who has one.")
    opened = unlock_header(head.header, passphrase, user)
    if opened is None:
        if on_failed_unlock is not None:
            on_failed_unlock(head.header, user)
        raise WrongPassphrase("Wrong passphrase: the store was not opened.")
    slot, key = opened
    for attempt in range(attempts):
        # The data key is the same in every generation: a snapshot written since the key was
        # derived opens with it too.
        head = read_header(store_path) if attempt else head
        try:
            return _load(folder, suffix, head, slot, key, last=attempt == attempts - 1)
        except _Moved:
            continue
    raise StoreCorrupt(f"The journal file {folder / (JOURNAL_FILE + suffix)} does not belong to the store file.", str(store_path))


def _load(folder: Path, suffix: str, head: SnapshotHead, slot: Slot, key: bytes, last: bool) -> Unlocked:
    store_path = folder / (STORE_FILE + suffix)
    try:
        tables = read_tables(store_path, head, key)
    except (crypto.DecryptionFailed, ValueError, UnicodeDecodeError, OSError):
        if not last and read_header(store_path).generation != head.generation:
            raise _Moved from None
        raise StoreCorrupt(
            f"The store file {store_path} failed its integrity check (changed or truncated).",
            str(store_path),
            _backup_hint(store_path),
        ) from None
    journal = folder / (JOURNAL_FILE + suffix)
    end, frames, torn, carried = _replay_journal(journal, head, key, tables, moved_ok=not last)
    return Unlocked(head.header, key, slot, head.generation, tables, end, frames, torn, carried)


def _replay_journal(
    path: Path, head: SnapshotHead, key: bytes, tables: Tables, moved_ok: bool = False
) -> tuple[int, int, bool, list[bytes] | None]:
    """Apply the journal's frames to `tables`.

    Returns (good end, frame count, torn tail?, carried). A journal of the snapshot's own
    generation is replayed whole. One of the generation before (a fold installed the
    snapshot and stopped before restarting the journal) is replayed from the snapshot's fold
    point on, and those frames are returned as `carried` to start the new journal with; its
    end and count are then 0, as for a missing or stale journal (the next commit writes a
    new journal or generation).
    """
    header, generation = head.header, head.generation
    expected = JMAGIC + _U64.pack(generation) + header.digest()
    previous = JMAGIC + _U64.pack(generation - 1) + header.digest()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return 0, 0, True, None  # no journal: the next commit writes a new generation
    if raw.startswith(expected):
        end, seq, torn, _ = _replay_frames(path, raw, len(expected), header, key, generation, 0, tables)
        return end, seq, torn, None
    if generation > 0 and raw.startswith(previous):
        _, _, _, carried = _replay_frames(path, raw, len(previous), header, key, generation - 1, head.folded, tables)
        return 0, 0, False, carried
    if raw.startswith(JMAGIC) and len(raw) >= len(expected):
        if moved_ok and _U64.unpack_from(raw, len(JMAGIC))[0] > generation:
            raise _Moved  # a reader without the lock: the writer switched generations meanwhile
        # A journal older than the previous generation: every frame of it is in the snapshot.
        return 0, 0, True, None
    if len(raw) < len(expected) and expected.startswith(raw):
        return 0, 0, True, None
    raise StoreCorrupt(f"The journal file {path} is damaged or belongs to another store.", str(path), _backup_hint(path))


def _replay_frames(
    path: Path, raw: bytes, pos: int, header: Header, key: bytes, generation: int, first: int, tables: Tables
) -> tuple[int, int, bool, list[bytes]]:
    """Apply frames from number `first` on; returns (good end, frame count, torn tail?, their plaintexts)."""
    seq = 0
    applied: list[bytes] = []
    while pos < len(raw):
        if pos + 4 > len(raw):
            return pos, seq, True, applied
        (length,) = _U32.unpack_from(raw, pos)
        end = pos + 4 + length
        if length > _MAX_FRAME or end > len(raw) or length == 0:
            if length == 0 and raw[pos:].strip(b"\0"):
                raise StoreCorrupt(f"The journal file {path} is damaged.", str(path), _backup_hint(path))
            return pos, seq, True, applied  # a write that never completed
        try:
            plain = crypto.open_sealed(key, raw[pos + 4 : end], _frame_aad(header, generation, seq))
            ops = json.loads(plain.decode("utf-8"))["ops"]
        except (crypto.DecryptionFailed, ValueError, KeyError, UnicodeDecodeError):
            if end == len(raw) and not raw[pos + 4 : end].strip(b"\0"):
                return pos, seq, True, applied  # zero-filled by a power cut mid-write
            raise StoreCorrupt(
                f"The journal file {path} failed its integrity check (changed or truncated).", str(path), _backup_hint(path)
            ) from None
        if seq >= first:
            _apply_ops(tables, ops)
            applied.append(plain)
        pos = end
        seq += 1
    return pos, seq, False, applied


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
