"""The snapshot file, `safedesk.store` (format version 2): written and read in pieces.

    MAGIC | u32 header length | header JSON | u64 generation | u64 fold point
          | SHA-256 of every byte before it | sealed tables JSON (nonce | ciphertext | tag)

The tables are sealed with AES-256-GCM under the data key, with associated data
b"safedesk-data/2\\0" + the checksum: the header, the generation and the fold point
are authenticated with the tables, and the checksum tells a damaged header from a
wrong passphrase before any key is derived.

The fold point is how many frames of the previous generation's journal the tables
hold: a fold writes the snapshot from the tables as they were after that frame,
while saves go on appending to that journal (they are sealed again into the new
journal). `verify` checks it against the kept previous save.

The tables are serialised and encrypted a few hundred documents at a time
straight into the file, and read back the same way: neither direction holds
the ciphertext beside the plaintext, and no single step holds the interpreter
lock long enough to freeze the screen when a fold runs in a background thread.
The header (what the unlock screen shows) is read without reading the tables.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from safedesk.store.engine.files import open_private
from safedesk.store.engine.keys import crypto
from safedesk.store.engine.keys.header import Header

MAGIC = b"SAFEDESK-STORE/2\n"
DIGEST = 32
TAG = 16
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
MAX_HEADER = 1 << 20
# Documents serialised per piece: about 64 KB, a millisecond or two of work. Each piece is one
# call that holds the interpreter lock, so while a fold runs in the background a save waits
# at most this long each time it needs the lock back (after each write and fsync).
_DOCS_PER_PIECE = 128
_WRITE_BUFFER = 1 << 20

Tables = dict[str, dict[str, Any]]


class Cancelled(Exception):
    """A background fold was told to stop: its temp file is abandoned."""


class SnapshotHead(NamedTuple):
    """What precedes the sealed tables (and the nonce and tag that name them): read without the tables."""

    header: Header
    generation: int
    folded: int
    body_offset: int
    body_size: int
    check: bytes  # the SHA-256 over magic .. fold point
    digest: bytes  # snapshot_id: what the journal of this snapshot is bound to


def body_aad(check: bytes) -> bytes:
    return b"safedesk-data/2\0" + check


def prefix_bytes(header: Header, generation: int, folded: int) -> bytes:
    header_bytes = header.to_bytes()
    return MAGIC + _U32.pack(len(header_bytes)) + header_bytes + _U64.pack(generation) + _U64.pack(folded)


def snapshot_id(prefix_and_check: bytes, nonce: bytes, tag: bytes) -> bytes:
    """What a journal is bound to: SHA-256 over the snapshot's prefix and checksum, its body's
    nonce and its body's GCM tag. Under the data key no other body has that nonce and tag, so
    this names the file as surely as hashing all of it, without reading all of it."""
    return hashlib.sha256(b"safedesk-snapshot/2\0" + prefix_and_check + nonce + tag).digest()


def read_head(handle: BinaryIO, size: int, *, body: bool = True) -> SnapshotHead:
    """Parse a version 2 snapshot's head from `handle` (at its start; `size` bytes long).
    Without `body`, nothing after the checksum is read (and `digest` is empty).

    Raises ValueError (crypto.KdfOutOfBounds among them), KeyError, TypeError, struct.error
    or UnicodeDecodeError for anything that is not a sound version 2 head.
    """
    start = _exactly(handle, len(MAGIC) + 4)
    if not start.startswith(MAGIC):
        raise ValueError("not a SafeDesk store file of this format")
    (length,) = _U32.unpack_from(start, len(MAGIC))
    if length > MAX_HEADER:
        raise ValueError("header too large")
    rest = _exactly(handle, length + 16 + DIGEST)
    prefix = start + rest[: length + 16]
    check = rest[length + 16 :]
    if hashlib.sha256(prefix).digest() != check:
        raise ValueError("its header does not match its checksum")
    header = Header.from_bytes(rest[:length])
    if header.version != 2:
        raise ValueError("header and file format differ")
    generation, folded = struct.unpack_from(">QQ", rest, length)
    offset = len(prefix) + DIGEST
    body_size = size - offset
    if not body:
        return SnapshotHead(header, generation, folded, offset, body_size, check, b"")
    if body_size < crypto.NONCE_BYTES + TAG:
        raise ValueError("cut short")
    nonce = _exactly(handle, crypto.NONCE_BYTES)
    handle.seek(size - TAG)
    tag = _exactly(handle, TAG)
    return SnapshotHead(header, generation, folded, offset, body_size, check, snapshot_id(prefix + check, nonce, tag))


def _exactly(handle: BinaryIO, count: int) -> bytes:
    data = handle.read(count)
    if len(data) != count:
        raise ValueError("cut short")
    return data


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Parse a store without Python's cycle collector, then take what was parsed out of its reach.

    Parsing makes a few hundred thousand dicts, and every few hundred of them start a collection
    that walks the containers made so far (40% of the parse at 100,000 records); and the first
    collection after it walks them all again (0.2 s at 100,000: a pause in the app). JSON cannot
    make a cycle, so there is nothing for either to find: the parse runs with the collector off,
    and what it made is frozen (gc.freeze) so later collections skip it. Reference counting
    still frees every document as before; Vault.close unfreezes, so anything else caught in the
    freeze is collected as usual once the store is closed.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        if collecting:
            gc.enable()


def read_tables(path: Path, head: SnapshotHead, key: bytes) -> Tables:
    """Decrypt and parse the tables; crypto.DecryptionFailed or ValueError if they do not check."""
    with path.open("rb") as handle:
        handle.seek(head.body_offset)
        plaintext = crypto.open_sealed_file(key, handle, head.body_size, body_aad(head.check))
    # Decode, then drop the bytes before parsing: the parsed tables never share memory
    # with a second copy of the text.
    text = plaintext.decode("utf-8")
    del plaintext
    with no_cycle_collection():
        tables = json.loads(text)
    if not isinstance(tables, dict):
        raise ValueError("tables")
    return tables


def write_snapshot(
    path: Path, tables: Tables, header: Header, key: bytes, generation: int, folded: int, cancelled: Callable[[], bool]
) -> tuple[int, bytes]:
    """Write a new snapshot file at `path` (which must not exist) and fsync it; returns its
    size and its snapshot_id. Raises Cancelled as soon as `cancelled()` turns true, and
    OSError as the disk does; the caller removes the file."""
    prefix = prefix_bytes(header, generation, folded)
    check = hashlib.sha256(prefix).digest()
    sealer = crypto.SealWriter(key, body_aad(check))
    fd = open_private(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        out = _Output(fd)
        out.write(prefix + check + sealer.head)
        for piece in _json_pieces(tables):
            if cancelled():
                raise Cancelled
            out.write(sealer.update(piece.encode("utf-8")))
        tail = sealer.finish()
        out.write(tail)
        out.flush()
        os.fsync(fd)
        return out.size, snapshot_id(prefix + check, sealer.head, tail[-TAG:])
    finally:
        os.close(fd)


class _Output:
    """Buffered writes to a raw descriptor (os.write may write less than asked)."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = bytearray()
        self.size = 0

    def write(self, data: bytes) -> None:
        self._buffer += data
        self.size += len(data)
        if len(self._buffer) >= _WRITE_BUFFER:
            self.flush()

    def flush(self) -> None:
        view = memoryview(self._buffer)
        while view:
            view = view[os.write(self._fd, view) :]
        view.release()
        self._buffer.clear()


def _json_pieces(tables: Tables) -> Iterator[str]:
    """json.dumps(tables) in pieces of a few hundred documents, concatenating to the same text."""
    yield "{"
    for index, (name, table) in enumerate(tables.items()):
        yield ("," if index else "") + json.dumps(name, ensure_ascii=False) + ":{"
        items = iter(table.items())
        first = True
        while chunk := dict(islice(items, _DOCS_PER_PIECE)):
            text = json.dumps(chunk, ensure_ascii=False, separators=(",", ":"))
            yield ("" if first else ",") + text[1:-1]
            first = False
        yield "}"
    yield "}"
