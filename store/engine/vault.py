"""The encrypted container on disk: a snapshot file plus an authenticated, append-only journal.

Folder layout (the byte formats are in docs/SECURITY.md, "File formats"):

    safedesk.store         the snapshot: header (plaintext), generation, sealed tables
    safedesk.journal       changes since that snapshot, one sealed frame per commit, bound to it
    safedesk.store.bak     the previous generation of both files, kept on every compaction
    safedesk.journal.bak
    safedesk.store.next    a new generation being switched in (only during a compaction)
    safedesk.journal.next
    safedesk.events        failed unlocks, each sealed (age) to the store's public key
    safedesk.lock          the single-writer lock

A commit appends one frame and fsyncs: cost grows with the change, not the store.
The journal's header names the generation and the SHA-256 of the snapshot it
extends and is authenticated with the data key; each frame's length is
checksummed and its AEAD binds the chain value of every byte before it, so a
changed, reordered, foreign or older journal is refused. Only a torn tail after
the last complete frame (a write that never returned) is taken for a crash
leftover. When the journal outgrows the snapshot, the whole state is written as
a new generation: both new files complete beside the old ones first (*.next),
then switched by renames that `settle` finishes after a crash, so a failed
compaction leaves every other file as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import struct
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from safedesk.store.engine import anchor
from safedesk.store.engine.files import (
    WriterLock,
    atomic_write,
    describe_os_error,
    fsync_dir,
    make_private_dir,
    open_private,
    remove_stale_temps,
)
from safedesk.store.engine.files import (
    replace as replace_file,
)
from safedesk.store.engine.keys import crypto
from safedesk.store.engine.keys.header import FORMAT_VERSION, Header, Slot
from safedesk.store.engine.keys.recovery import secret_for_slot
from safedesk.store.errors import (
    StoreCorrupt,
    StoreExists,
    StoreNotFound,
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
MAGIC = b"SAFEDESK-STORE/2\n"
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

Tables = dict[str, dict[str, Any]]


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


class Vault:
    """The unlocked store: live tables for TinyDB, and the means to commit them durably."""

    def __init__(
        self,
        folder: Path,
        lock: WriterLock,
        state: Unlocked,
        compact_bytes: int = MIN_COMPACT_BYTES,
        *,
        read_only: bool = False,
    ) -> None:
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
        self._chain = state.chain
        self._journal_fd: int | None = None
        # Version 1 files are rewritten whole (as version 2) by the first save.
        self._needs_generation = state.version < FORMAT_VERSION
        self._pending_header: Header | None = None
        self._compact_bytes = compact_bytes
        self._depth = 0
        self._mutex = threading.RLock()
        self.on_rollback: list[Any] = []
        self.closed = False
        self.read_only = read_only
        self.torn_tail_recovered = state.torn_tail
        self.rollback_warning = state.rollback_warning
        # The last compaction's failure, if any: the journal still holds every change, and
        # the next commit tries again.
        self.compaction_error: StoreWriteError | None = None

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
        """Unlock the store. `read_only` changes no byte anywhere (for `verify`) and reports
        a store older than this computer last saw in `rollback_warning` instead of refusing."""
        lock = WriterLock(folder)
        lock.acquire()
        try:
            roles = settle(folder, write=not read_only)
            state = read_state(folder, passphrase, user, roles=roles, on_failed_unlock=on_failed_unlock)
            if state.rollback_warning and not read_only:
                raise StoreRolledBack(state.rollback_warning, str(roles.store), None)
            vault = cls(folder, lock, state, compact_bytes, read_only=read_only)
            if not read_only:
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
        vault._write_generation(generation, state.header, None, keep_backup=False)
        vault._note_seen()
        return vault

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
            self._ensure_writable()
            ops, fresh = self._diff()
            header = self._pending_header
            if not ops and header is None:
                return
            frame = ('{"ops":[' + ",".join(ops) + "]}").encode("utf-8")
            try:
                if header is not None or self._needs_generation:
                    # A new header (key slots) and its owner's records switch in together: the
                    # new generation's journal starts with this commit's frame.
                    self._write_generation(self.generation + 1, header or self.header, frame, keep_backup=True)
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
            self._note_seen()
            if self._journal_end > max(self._compact_bytes, self._snapshot_size()):
                self._try_compact()

    def _try_compact(self) -> None:
        """Fold the journal; on failure keep going on the journal (it holds every change)."""
        try:
            self._write_generation(self.generation + 1, self.header, None, keep_backup=True)
        except OSError as error:
            self.compaction_error = describe_os_error(error, "fold the journal into a new save")
            return
        self.compaction_error = None
        self._note_seen()

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

    def _note_seen(self) -> None:
        anchor.save(self.header.store_id, self.seen())

    def seen(self) -> anchor.Seen:
        """Where this store's history stands: what the rollback check compares."""
        return anchor.Seen(self.generation, self._journal_frames, self._chain.hex())

    # ----------------------------------------------------------------- journal

    def _journal_path(self) -> Path:
        return self.folder / JOURNAL_FILE

    def _append(self, plaintext: bytes) -> None:
        record = _frame(self._key, self._chain, self._journal_frames, plaintext)
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
                # The tail may now hold a partial frame; the next commit writes a new generation.
                self._needs_generation = True
            raise
        self._journal_end += len(record)
        self._journal_frames += 1
        self._chain = _next_chain(self._chain, record)

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

    def _write_generation(self, generation: int, header: Header, first_frame: bytes | None, *, keep_backup: bool) -> None:
        """Write the committed state as generation `generation`, its journal holding `first_frame`.

        Both new files are written complete as *.next first (a full disk stops here, with
        every other file untouched), then switched in by renames; `settle` finishes a
        switch that a crash interrupted. The replaced pair becomes the *.bak pair.
        """
        header = replace(header, version=FORMAT_VERSION)
        body = json.dumps(self._shadow, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        snapshot = _snapshot_bytes(self._key, header, generation, body)
        journal = _journal_head(self._key, header, generation, _snapshot_id(snapshot))
        chain = _first_chain(journal)
        frames = 0
        if first_frame is not None:
            record = _frame(self._key, chain, 0, first_frame)
            journal += record
            chain = _next_chain(chain, record)
            frames = 1
        self._close_journal()
        folder = self.folder
        store_next, journal_next = folder / (STORE_FILE + NEXT_SUFFIX), folder / (JOURNAL_FILE + NEXT_SUFFIX)
        try:
            atomic_write(store_next, snapshot)
            atomic_write(journal_next, journal)
        except BaseException:
            store_next.unlink(missing_ok=True)
            journal_next.unlink(missing_ok=True)
            raise
        # From here on only renames, which need no space.
        self._needs_generation = True  # until the switch completes
        store, journal_path = folder / STORE_FILE, folder / JOURNAL_FILE
        if keep_backup and store.exists():
            if journal_path.exists():
                replace_file(journal_path, folder / (JOURNAL_FILE + BACKUP_SUFFIX))
            else:
                (folder / (JOURNAL_FILE + BACKUP_SUFFIX)).unlink(missing_ok=True)
            replace_file(store, folder / (STORE_FILE + BACKUP_SUFFIX))
        replace_file(store_next, store)
        replace_file(journal_next, journal_path)
        fsync_dir(folder)
        self.generation = generation
        self.header = header
        self._journal_end = len(journal)
        self._journal_frames = frames
        self._chain = chain
        self._needs_generation = False

    def compact(self) -> None:
        """Fold the journal into a fresh snapshot now (used by backup and key changes)."""
        with self._mutex:
            self._ensure_writable()
            if self._depth:
                raise RuntimeError("compact() inside a transaction")
            self.commit()
            try:
                self._write_generation(self.generation + 1, self.header, None, keep_backup=True)
            except OSError as error:
                raise describe_os_error(error, "rewrite the store") from None
            self._note_seen()

    def replace_header(self, header: Header) -> None:
        """Key-slot changes: the new header is written with the open transaction's changes,
        in one generation, so a slot and its owner's record never exist one without the other."""
        with self._mutex:
            self._pending_header = header
            if self._depth == 0:
                self.commit()

    def snapshot_bytes(self) -> tuple[bytes, bytes]:
        """The current state as a standalone store file and its empty journal (for backups)."""
        self.compact()
        return (self.folder / STORE_FILE).read_bytes(), (self.folder / JOURNAL_FILE).read_bytes()

    def _set_aside(self, name: str) -> None:
        path = self.folder / name
        if path.exists():
            os.replace(path, self.folder / f"{name}{DAMAGED_MARK}{secrets.token_hex(3)}")
            fsync_dir(self.folder)

    # ----------------------------------------------------------------- checks

    def check_backup(self) -> tuple[bool, str]:
        """Does the kept previous save (the .bak pair) open and authenticate? For `verify`."""
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
        return True, f"kept previous save opens: generation {snapshot.generation}, {records} records{torn}"

    # ----------------------------------------------------------------- lifecycle

    def _ensure_writable(self) -> None:
        if self.closed:
            raise StoreWriteError("The store is closed.")
        if self.read_only:
            raise StoreWriteError("The store was opened read-only: nothing can be saved from here.")

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


# --------------------------------------------------------------------- format v2


def _snapshot_bytes(key: bytes, header: Header, generation: int, body: bytes) -> bytes:
    header_bytes = header.to_bytes()
    prefix = MAGIC + _U32.pack(len(header_bytes)) + header_bytes + _U64.pack(generation)
    check = hashlib.sha256(prefix).digest()
    return prefix + check + crypto.seal(key, body, b"safedesk-data/2\0" + check)


def _snapshot_id(raw: bytes) -> bytes:
    """What a journal is bound to: SHA-256 over the snapshot's header checksum, its body's
    nonce and its body's GCM tag. Under the data key no other body has that nonce and tag, so
    this names the file as surely as hashing all of it, without reading all of it."""
    return hashlib.sha256(b"safedesk-snapshot/2\0" + raw[: _prefix_end(raw) + _DIGEST + crypto.NONCE_BYTES] + raw[-16:]).digest()


def _prefix_end(raw: bytes) -> int:
    """End of a version 2 snapshot's prefix (magic, header, generation); the checksum follows."""
    length: int = _U32.unpack_from(raw, len(MAGIC))[0]
    return len(MAGIC) + 4 + length + 8


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
    sealed: bytes
    body_aad: bytes
    digest: bytes  # _snapshot_id: what its journal is bound to


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
    """Header, generation and sealed body of a snapshot file, or StoreCorrupt naming it."""
    return parse_snapshot_bytes(path, _read(path))


def parse_snapshot_bytes(path: Path, raw: bytes) -> Snapshot:
    """parse_snapshot for bytes already read; `path` names them in errors."""
    try:
        if raw.startswith(MAGIC):
            pos = len(MAGIC)
            (length,) = _U32.unpack_from(raw, pos)
            if length > _MAX_HEADER:
                raise ValueError("header too large")
            end = pos + 4 + length + 8
            if len(raw) < end + _DIGEST:
                raise ValueError("cut short")
            check = raw[end : end + _DIGEST]
            if hashlib.sha256(raw[:end]).digest() != check:
                raise ValueError("its header does not match its checksum")
            header = Header.from_bytes(raw[pos + 4 : pos + 4 + length])
            if header.version != 2:
                raise ValueError("header and file format differ")
            (generation,) = _U64.unpack_from(raw, end - 8)
            aad = b"safedesk-data/2\0" + check
            if len(raw) < end + _DIGEST + _SEALED_OVERHEAD:
                raise ValueError("cut short")
            return Snapshot(path, 2, header, generation, raw[end + _DIGEST :], aad, _snapshot_id(raw))
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
        raise _corrupt(
            path, f"asks for more key-derivation work than SafeDesk ever sets ({crypto.KDF_BOUNDS_TEXT}): it was changed"
        ) from None
    except (ValueError, KeyError, TypeError, struct.error, UnicodeDecodeError) as error:
        raise _corrupt(path, f"is damaged or is not a SafeDesk store ({error})") from None


def read_header(path: Path) -> tuple[Header, int, bytes]:
    """Header, generation and sealed body of a snapshot file, or StoreCorrupt."""
    try:
        snapshot = parse_snapshot(path)
    except FileNotFoundError:
        raise StoreNotFound(f"No store file {path}.") from None
    return snapshot.header, snapshot.generation, snapshot.sealed


def open_snapshot(snapshot: Snapshot, key: bytes) -> Tables:
    try:
        tables = json.loads(crypto.open_sealed(key, snapshot.sealed, snapshot.body_aad).decode("utf-8"))
        if not isinstance(tables, dict):
            raise ValueError("tables")
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
    """_snapshot_id of a snapshot file, or None if it cannot be read as one."""
    try:
        raw = path.read_bytes()
        return _snapshot_id(raw) if raw.startswith(MAGIC) else None
    except (OSError, struct.error):
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
                replace_file(src, dst)
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
