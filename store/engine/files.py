"""Durable, portable file operations: atomic replace, directory fsync,
owner-only permissions and the single-writer lock.

Windows is the main target: no fcntl, no os.fchmod, and os.replace can fail
for a moment while an antivirus scanner holds the file, so it is retried.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
import time
from pathlib import Path

from safedesk.store.errors import InvalidInput, StoreLocked, StoreWriteError
from safedesk.store.text.document import Document, format_of, render

IS_WINDOWS = os.name == "nt"
_REPLACE_RETRIES = 20


def make_private_dir(path: Path) -> None:
    """Create the folder (and parents) readable by its owner only, where the OS allows."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not IS_WINDOWS:
        # mkdir's mode is filtered by the umask and ignored for an existing folder.
        os.chmod(path, 0o700)


def fsync_dir(path: Path) -> None:
    """Make a rename inside `path` durable. Windows cannot open a folder; NTFS journals renames."""
    if IS_WINDOWS:
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_private(path: Path, flags: int) -> int:
    """os.open with owner-only permissions on creation (0600 on POSIX)."""
    flags |= getattr(os, "O_BINARY", 0)
    return os.open(path, flags, stat.S_IRUSR | stat.S_IWUSR)


def replace(src: Path, dst: Path) -> None:
    """os.replace, retried briefly on Windows where scanners hold files open."""
    for attempt in range(_REPLACE_RETRIES):
        try:
            os.replace(src, dst)
            return
        except PermissionError:
            if not IS_WINDOWS or attempt == _REPLACE_RETRIES - 1:
                raise
            time.sleep(0.05)


def temp_name(path: Path) -> Path:
    return path.with_name(f"{path.name}.tmp-{secrets.token_hex(4)}")


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a crash leaves either the old file or the new one.

    temp file in the same folder -> write -> fsync -> replace -> fsync the folder.
    The temp file holds the same (already encrypted) bytes as the target.
    """
    tmp = temp_name(path)
    try:
        fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def remove_stale_temps(folder: Path) -> None:
    """Temp files left by a crash: safe to delete under the writer lock."""
    for tmp in folder.glob("*.tmp-*"):
        try:
            tmp.unlink()
        except OSError:
            pass


def describe_os_error(error: OSError, action: str) -> StoreWriteError:
    """One sentence for a failed write, without the path's personal parts or the data."""
    if error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        reason = "the disk is full"
    elif isinstance(error, PermissionError) or error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason = "permission was denied (is the folder read-only or the file open elsewhere?)"
    else:
        reason = error.strerror or type(error).__name__
    return StoreWriteError(f"Could not {action}: {reason}. Nothing already saved was changed.")


class WriterLock:
    """One SafeDesk process per store at a time, on Windows (msvcrt) and POSIX (flock).

    `filelock` does the platform work; the lock is released by the OS if the
    process dies, so a crash never leaves the store locked.
    """

    def __init__(self, folder: Path) -> None:
        from filelock import FileLock

        self.path = folder / "safedesk.lock"
        self._lock = FileLock(str(self.path), timeout=0, mode=0o600, thread_local=False)

    def acquire(self) -> None:
        from filelock import Timeout

        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            raise StoreLocked(
                f"The store in {self.path.parent} is already open in another SafeDesk window or command. Close that one first."
            ) from None
        except OSError as error:
            raise describe_os_error(error, "lock the store") from None

    def release(self) -> None:
        self._lock.release()

    @property
    def held(self) -> bool:
        return self._lock.is_locked


def write_markdown(path: Path, markdown: str, *, overwrite: bool = False) -> None:
    """Write a text export (UTF-8); see write_export."""
    write_export(path, markdown.encode("utf-8"), overwrite=overwrite)


def write_export(path: Path, data: bytes, *, overwrite: bool = False) -> None:
    """Write an export atomically with owner-only permissions; refuse to replace a file
    unless asked. Errors name the file but never the document's content."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder: give a file name, e.g. {path / 'export.md'}.", "out")
    if path.exists() and not overwrite:
        raise InvalidInput(f"{path} already exists: choose another name or replace it.", "out")
    if not path.parent.is_dir():
        raise InvalidInput(f"The folder {path.parent} does not exist.", "out")
    try:
        atomic_write(path, data)
    except OSError as error:
        raise InvalidInput(f"Cannot write {path}: {error.strerror or 'the write failed'}.", "out") from None


def write_document(path: Path, document: Document, *, overwrite: bool = False) -> None:
    """A document in the format its file name asks for (.html, .pdf, .docx, else Markdown),
    written like write_export."""
    write_export(path, render(document, format_of(Path(path))), overwrite=overwrite)
