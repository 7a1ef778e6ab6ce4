"""The snapshot file, `safedesk.store`: written and read in pieces.

    MAGIC | u32 header length | header JSON | u64 generation | u64 folded | sealed tables JSON

`folded` is how many frames of the previous generation's journal the tables
already hold. A fold writes the snapshot while saves keep appending to that
journal, so between installing the snapshot and starting the new journal the
folder holds generation g + 1 beside journal g: the reader replays journal g's
frames from `folded` on and loses nothing.

The tables are serialised and encrypted a few hundred documents at a time
straight into the file, and read back the same way: neither direction holds
the ciphertext beside the plaintext, and no single step holds the interpreter
lock long enough to freeze the screen when a fold runs in a background thread.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from safedesk.store.engine import crypto
from safedesk.store.engine.files import describe_os_error, open_private
from safedesk.store.engine.header import Header
from safedesk.store.errors import StoreCorrupt

MAGIC = b"SAFEDESK-STORE/2\n"
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_MAX_HEADER = 1 << 20
# Documents serialised per piece: about 64 KB, a millisecond or two of work. Each piece is one
# call that holds the interpreter lock, so while a fold runs in the background a save waits
# at most this long each time it needs the lock back (after each write and fsync).
_DOCS_PER_PIECE = 128
_WRITE_BUFFER = 1 << 20

Tables = dict[str, dict[str, Any]]


class Cancelled(Exception):
    """A background fold was told to stop: its temp file is abandoned."""


@dataclass(frozen=True)
class SnapshotHead:
    """What precedes the sealed tables: read without reading the tables."""

    header: Header
    generation: int
    folded: int
    body_offset: int
    body_size: int


def snapshot_aad(header: Header, generation: int, folded: int) -> bytes:
    return b"safedesk-data\0" + header.digest() + _U64.pack(generation) + _U64.pack(folded)


def read_head(path: Path, backup: str | None) -> SnapshotHead:
    """The header, generation and fold point of a snapshot file, or StoreCorrupt naming it."""
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            return _parse_head(handle, size)
    except OSError as error:
        raise describe_os_error(error, f"read {path.name}") from None
    except (ValueError, KeyError, TypeError, struct.error, UnicodeDecodeError) as error:
        raise StoreCorrupt(f"The store file {path} is damaged or is not a SafeDesk store ({error}).", str(path), backup) from None


def _parse_head(handle: Any, size: int) -> SnapshotHead:
    if handle.read(len(MAGIC)) != MAGIC:
        raise ValueError("not a SafeDesk store file")
    (length,) = _U32.unpack(_exactly(handle, 4))
    if length > _MAX_HEADER:
        raise ValueError("header too large")
    header = Header.from_bytes(_exactly(handle, length))
    generation, folded = struct.unpack(">QQ", _exactly(handle, 16))
    offset = len(MAGIC) + 4 + length + 16
    return SnapshotHead(header, generation, folded, offset, size - offset)


def _exactly(handle: Any, count: int) -> bytes:
    data: bytes = handle.read(count)
    if len(data) != count:
        raise ValueError("truncated")
    return data


def read_tables(path: Path, head: SnapshotHead, key: bytes) -> Tables:
    """Decrypt and parse the tables; crypto.DecryptionFailed or ValueError if they do not check."""
    with path.open("rb") as handle:
        handle.seek(head.body_offset)
        plaintext = crypto.open_sealed_file(key, handle, head.body_size, snapshot_aad(head.header, head.generation, head.folded))
    # Decode, then drop the bytes before parsing: the parsed tables never share memory
    # with a second copy of the text.
    text = plaintext.decode("utf-8")
    del plaintext
    tables = json.loads(text)
    if not isinstance(tables, dict):
        raise ValueError("tables")
    return tables


def write_snapshot(
    path: Path, tables: Tables, header: Header, key: bytes, generation: int, folded: int, cancelled: Callable[[], bool]
) -> int:
    """Write a new snapshot file at `path` (which must not exist) and fsync it; returns its size.

    Raises Cancelled as soon as `cancelled()` turns true; the caller removes the file.
    """
    header_bytes = header.to_bytes()
    sealer = crypto.SealWriter(key, snapshot_aad(header, generation, folded))
    fd = open_private(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        out = _Output(fd)
        out.write(MAGIC + _U32.pack(len(header_bytes)) + header_bytes + _U64.pack(generation) + _U64.pack(folded) + sealer.head)
        for piece in _json_pieces(tables):
            if cancelled():
                raise Cancelled
            out.write(sealer.update(piece.encode("utf-8")))
        out.write(sealer.finish())
        out.flush()
        os.fsync(fd)
        return out.size
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
