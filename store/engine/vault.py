"""The encrypted container on disk: a snapshot file plus an append-only journal.

Folder layout (every byte outside the header is AES-256-GCM ciphertext):

    safedesk.store         MAGIC | u32 header length | header JSON | u64 generation | sealed tables JSON
    safedesk.journal       JMAGIC | u64 generation | sha256(header) | frames: u32 length | sealed ops JSON
    safedesk.store.bak     the previous generation of both files, kept on every compaction
    safedesk.journal.bak
    safedesk.events        failed unlocks, each sealed (age) to the store's public key
    safedesk.lock          the single-writer lock

A commit appends one frame (its changed documents) and fsyncs: cost grows with
the change, not the store. When the journal outgrows the snapshot, the whole
state is written as a new generation (temp + fsync + replace + folder fsync) and
the journal restarts. Each frame's associated data binds the header, the
generation and its position, so frames cannot be reordered, moved between
stores or replayed; a torn last frame (a write that never returned) is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safedesk.store.engine import crypto
from safedesk.store.engine.files import (
    WriterLock,
    atomic_write,
    describe_os_error,
    fsync_dir,
    make_private_dir,
    open_private,
    remove_stale_temps,
)
from safedesk.store.engine.header import Header, Slot
from safedesk.store.engine.recovery import secret_for_slot
from safedesk.store.errors import StoreCorrupt, StoreExists, StoreNotFound, StoreWriteError, WrongPassphrase

STORE_FILE = "safedesk.store"
JOURNAL_FILE = "safedesk.journal"
EVENTS_FILE = "safedesk.events"
BACKUP_SUFFIX = ".bak"
MAGIC = b"SAFEDESK-STORE/1\n"
JMAGIC = b"SAFEDESK-JOURNAL/1\n"
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_MAX_HEADER = 1 << 20
_MAX_FRAME = 1 << 30
# The journal is folded into a new snapshot once it is this large and larger than the snapshot.
MIN_COMPACT_BYTES = 256 * 1024

Tables = dict[str, dict[str, Any]]


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


class Vault:
    """The unlocked store: live tables for TinyDB, and the means to commit them durably."""

    def __init__(self, folder: Path, lock: WriterLock, state: Unlocked, compact_bytes: int = MIN_COMPACT_BYTES) -> None:
        self.folder = folder
        self._lock = lock
        self.header = state.header
        self.slot = state.slot
        self._key = state.data_key
        self.generation = state.generation
        self.data: Tables = state.tables
        # The committed state as plain JSON values, never shared with `data`.
        self._shadow: Tables = json.loads(json.dumps(state.tables))
        # The table objects as last committed: TinyDB replaces a table's dict on every
        # change, so an unchanged identity means an untouched table. Holding them keeps
        # their ids from being reused.
        self._seen: dict[str, Any] = dict(state.tables)
        self._journal_end = state.journal_end
        self._journal_frames = state.journal_frames
        self._journal_fd: int | None = None
        self._journal_broken = state.torn_tail
        self._pending_header: Header | None = None
        self._compact_bytes = compact_bytes
        self._depth = 0
        self._mutex = threading.RLock()
        self.on_rollback: list[Any] = []
        self.closed = False
        self.torn_tail_recovered = state.torn_tail

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
    ) -> Vault:
        if not store_exists(folder):
            raise StoreNotFound(f"No SafeDesk store in {folder}. Run 'safedesk init' to create one.")
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
            return vault
        except BaseException:
            lock.release()
            raise

    # ----------------------------------------------------------------- committing

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several TinyDB operations into one durable commit (or none)."""
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

    def note_write(self, data: Tables) -> None:
        """TinyDB's Storage.write: commit now, or at the end of the open transaction."""
        if data is not self.data:
            self.data = data
        if self._depth == 0:
            self.commit()

    def commit(self) -> None:
        with self._mutex:
            self._ensure_open()
            ops, fresh = self._diff()
            header = self._pending_header
            if not ops and header is None:
                return
            frame = ('{"ops":[' + ",".join(ops) + "]}").encode("utf-8")
            whole = header is not None or self._journal_broken
            try:
                if whole or self._journal_end + len(frame) > max(self._compact_bytes, self._snapshot_size()):
                    self._commit_generation(fresh, header)
                else:
                    self._append(frame)
                    self._apply_shadow(fresh)
            except OSError as error:
                self.rollback()
                raise describe_os_error(error, "save the change") from None
            except BaseException:
                self.rollback()
                raise
            finally:
                self._pending_header = None

    def _commit_generation(self, fresh: dict[str, Any], header: Header | None) -> None:
        """Commit by writing a whole new generation (optionally with a new header)."""
        # Shadow documents are never mutated in place, so a shallow copy restores it.
        saved = {name: dict(table) for name, table in self._shadow.items()}
        old_header = self.header
        self._apply_shadow(fresh)
        if header is not None:
            self.header = header
        try:
            self._write_generation(self.generation + 1, keep_backup=True)
        except BaseException:
            self._shadow = saved
            self.header = old_header
            raise

    def _diff(self) -> tuple[list[str], dict[str, dict[str, Any] | None]]:
        """Frame ops for every document that differs from the committed state.

        Returns the JSON op strings and, per table, {doc_id: committed copy or None}
        (None = deleted); a table mapped to None as a whole was dropped.
        """
        ops: list[str] = []
        fresh: dict[str, Any] = {}
        for name in list(self._shadow):
            if name not in self.data:
                ops.append(json.dumps(["drop", name]))
                fresh[name] = None
        for name, table in self.data.items():
            if self._seen.get(name) is table and name in self._shadow:
                continue
            old = self._shadow.get(name, {})
            changes: dict[str, Any] = {}
            name_json = json.dumps(name)
            for doc_id, doc in table.items():
                if old.get(doc_id) != doc:
                    doc_json = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
                    ops.append(f'["put",{name_json},{json.dumps(doc_id)},{doc_json}]')
                    changes[doc_id] = json.loads(doc_json)
            for doc_id in old.keys() - table.keys():
                ops.append(f'["del",{name_json},{json.dumps(doc_id)}]')
                changes[doc_id] = None
            if name not in self._shadow:
                ops.append(f'["table",{name_json}]')
            fresh[name] = changes
        return ops, fresh

    def _apply_shadow(self, fresh: dict[str, Any]) -> None:
        for name, changes in fresh.items():
            if changes is None:
                self._shadow.pop(name, None)
                self._seen.pop(name, None)
                continue
            table = self._shadow.setdefault(name, {})
            for doc_id, doc in changes.items():
                if doc is None:
                    table.pop(doc_id, None)
                else:
                    table[doc_id] = doc
            self._seen[name] = self.data[name]

    def rollback(self) -> None:
        """Put the live tables back to the committed state after a failed write."""
        self.data.clear()
        self.data.update(json.loads(json.dumps(self._shadow)))
        self._seen = dict(self.data)
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

    def _close_journal(self) -> None:
        if self._journal_fd is not None:
            os.close(self._journal_fd)
            self._journal_fd = None

    def _snapshot_size(self) -> int:
        try:
            return (self.folder / STORE_FILE).stat().st_size
        except OSError:
            return 0

    # ----------------------------------------------------------------- generations

    def _write_generation(self, generation: int, keep_backup: bool) -> None:
        """Write the committed state as a new snapshot and an empty journal."""
        body = json.dumps(self._shadow, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        header_bytes = self.header.to_bytes()
        sealed = crypto.seal(self._key, body, _snapshot_aad(self.header, generation))
        snapshot = MAGIC + _U32.pack(len(header_bytes)) + header_bytes + _U64.pack(generation) + sealed
        journal = JMAGIC + _U64.pack(generation) + self.header.digest()
        self._close_journal()
        store_path = self.folder / STORE_FILE
        if keep_backup and store_path.exists():
            # Journal first: a crash between the two leaves a backup pair whose journal
            # generation does not match, which is read as "no journal" — still consistent.
            for name in (JOURNAL_FILE, STORE_FILE):
                current = self.folder / name
                if current.exists():
                    atomic_write(self.folder / (name + BACKUP_SUFFIX), current.read_bytes())
        atomic_write(store_path, snapshot)
        atomic_write(self._journal_path(), journal)
        self.generation = generation
        self._journal_end = len(journal)
        self._journal_frames = 0
        self._journal_broken = False

    def compact(self) -> None:
        """Fold the journal into a fresh snapshot now (used by backup and key changes)."""
        with self._mutex:
            self._ensure_open()
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

    def close(self) -> None:
        with self._mutex:
            if self.closed:
                return
            self._close_journal()
            self.closed = True
            self._key = b""
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


def _snapshot_aad(header: Header, generation: int) -> bytes:
    return b"safedesk-data\0" + header.digest() + _U64.pack(generation)


def _frame_aad(header: Header, generation: int, seq: int) -> bytes:
    return b"safedesk-journal\0" + header.digest() + _U64.pack(generation) + _U64.pack(seq)


# --------------------------------------------------------------------- reading


def read_header(path: Path) -> tuple[Header, int, bytes]:
    """Header, generation and sealed body of a snapshot file, or StoreCorrupt."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise describe_os_error(error, f"read {path.name}") from None
    backup = _backup_hint(path)
    try:
        if not raw.startswith(MAGIC):
            raise ValueError("not a SafeDesk store file")
        pos = len(MAGIC)
        (length,) = _U32.unpack_from(raw, pos)
        if length > _MAX_HEADER:
            raise ValueError("header too large")
        pos += 4
        header = Header.from_bytes(raw[pos : pos + length])
        pos += length
        (generation,) = _U64.unpack_from(raw, pos)
        return header, generation, raw[pos + 8 :]
    except (ValueError, KeyError, TypeError, struct.error, UnicodeDecodeError) as error:
        raise StoreCorrupt(f"The store file {path} is damaged or is not a SafeDesk store ({error}).", str(path), backup) from None


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


def read_state(folder: Path, passphrase: str, user: str | None, *, suffix: str = "", on_failed_unlock: Any = None) -> Unlocked:
    store_path = folder / (STORE_FILE + suffix)
    if not store_path.is_file():
        raise StoreNotFound(f"No store file {store_path}.")
    header, generation, sealed = read_header(store_path)
    if user and not header.candidates(user):
        raise WrongPassphrase(f"No key slot for '{user}' in this store. 'safedesk keys list' shows who has one.")
    opened = unlock_header(header, passphrase, user)
    if opened is None:
        if on_failed_unlock is not None:
            on_failed_unlock(header, user)
        raise WrongPassphrase("Wrong passphrase: the store was not opened.")
    slot, key = opened
    try:
        body = crypto.open_sealed(key, sealed, _snapshot_aad(header, generation))
        tables = json.loads(body.decode("utf-8"))
        if not isinstance(tables, dict):
            raise ValueError("tables")
    except (crypto.DecryptionFailed, ValueError, UnicodeDecodeError):
        raise StoreCorrupt(
            f"The store file {store_path} failed its integrity check (changed or truncated).",
            str(store_path),
            _backup_hint(store_path),
        ) from None
    end, frames, torn = _replay_journal(folder / (JOURNAL_FILE + suffix), header, key, generation, tables)
    return Unlocked(header, key, slot, generation, tables, end, frames, torn)


def _replay_journal(path: Path, header: Header, key: bytes, generation: int, tables: Tables) -> tuple[int, int, bool]:
    """Apply the journal's frames to `tables`; returns (good end, frame count, torn tail?)."""
    expected = JMAGIC + _U64.pack(generation) + header.digest()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return 0, 0, True  # no journal: the next commit writes a new generation
    if not raw.startswith(expected):
        if raw.startswith(JMAGIC) and len(raw) >= len(expected):
            # A journal from the previous generation: the crash came between writing the
            # new snapshot and resetting the journal; its frames are in the snapshot.
            return 0, 0, True
        if len(raw) < len(expected) and expected.startswith(raw):
            return 0, 0, True
        raise StoreCorrupt(f"The journal file {path} is damaged or belongs to another store.", str(path), _backup_hint(path))
    pos = len(expected)
    seq = 0
    while pos < len(raw):
        if pos + 4 > len(raw):
            return pos, seq, True
        (length,) = _U32.unpack_from(raw, pos)
        end = pos + 4 + length
        if length > _MAX_FRAME or end > len(raw) or length == 0:
            if length == 0 and raw[pos:].strip(b"\0"):
                raise StoreCorrupt(f"The journal file {path} is damaged.", str(path), _backup_hint(path))
            return pos, seq, True  # a write that never completed
        try:
            plain = crypto.open_sealed(key, raw[pos + 4 : end], _frame_aad(header, generation, seq))
            ops = json.loads(plain.decode("utf-8"))["ops"]
        except (crypto.DecryptionFailed, ValueError, KeyError, UnicodeDecodeError):
            if end == len(raw) and not raw[pos + 4 : end].strip(b"\0"):
                return pos, seq, True  # zero-filled by a power cut mid-write
            raise StoreCorrupt(
                f"The journal file {path} failed its integrity check (changed or truncated).", str(path), _backup_hint(path)
            ) from None
        _apply_ops(tables, ops)
        pos = end
        seq += 1
    return pos, seq, False


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
