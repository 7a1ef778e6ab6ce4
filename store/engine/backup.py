"""Backups: the whole store in one file, still encrypted, and putting one back.

A backup is a zip (no compression: the contents are ciphertext) holding a
freshly written store file and its (empty) journal, the encrypted evidence files
and a manifest of their SHA-256 hashes. It opens with the same passphrases and
recovery key. Restoring reads a possibly hostile file: member count, sizes and
compression ratio are bounded before anything is read, as the handover reader does.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

from safedesk.store.engine import anchor
from safedesk.store.engine.files import atomic_write, describe_os_error, make_private_dir
from safedesk.store.engine.records import utcnow
from safedesk.store.engine.session import Session
from safedesk.store.engine.vault import JOURNAL_FILE, STORE_FILE, parse_journal_head, parse_snapshot_bytes, store_files
from safedesk.store.errors import InvalidInput, StoreCorrupt, StoreExists

MANIFEST = "manifest.json"
EVIDENCE_DIR = "evidence"
_MEMBER = re.compile(rf"^({re.escape(STORE_FILE)}|{re.escape(JOURNAL_FILE)}|{EVIDENCE_DIR}/[0-9a-f]{{8,64}}\.bin)$")
MiB = 1024 * 1024
MAX_MANIFEST_BYTES = 4 * MiB
MAX_STORE_BYTES = 2048 * MiB  # the store file: every record, encrypted
MAX_EVIDENCE_BYTES = 64 * MiB  # an evidence file is at most 50 MB before encryption
MAX_TOTAL_BYTES = 16 * 1024 * MiB
MAX_MEMBERS = 100_000
MAX_RATIO = 200  # uncompressed / compressed, for members over 1 MiB: beyond it, a zip bomb


def _evidence_files(folder: Path) -> list[Path]:
    directory = folder / EVIDENCE_DIR
    return sorted(p for p in directory.glob("*.bin") if p.is_file()) if directory.is_dir() else []


def write_backup(session: Session, out: Path) -> str:
    """Write the backup atomically; returns a one-line summary."""
    snapshot, journal = session.vault.snapshot_bytes()
    members: dict[str, bytes] = {STORE_FILE: snapshot, JOURNAL_FILE: journal}
    for path in _evidence_files(session.folder):
        members[f"{EVIDENCE_DIR}/{path.name}"] = path.read_bytes()
    manifest = {
        "format": "safedesk-backup",
        "version": 1,
        "files": {k: hashlib.sha256(v).hexdigest() for k, v in members.items()},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, indent=1))
        for name, data in members.items():
            archive.writestr(name, data)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(out, buffer.getvalue())
    except OSError as error:
        raise describe_os_error(error, "write the backup") from None
    evidence = len(members) - 2
    with session.transaction():
        meta = session.meta()
        meta.last_backup_at = utcnow()
        session.meta_repo().save(meta, summary="last backup time")
        session.audit_event("export.backup", f"backup written ({evidence} evidence file(s), {len(buffer.getvalue())} bytes)")
    return f"store and {evidence} evidence file(s), {len(buffer.getvalue()) // 1024 + 1} KB"


def restore_backup(backup: Path, folder: Path) -> int:
    """Unpack a backup into `folder`, which must hold no store file; returns the file count.

    Restoring is the deliberate way back to an older copy, so this computer's note of the
    newest state of that store (engine.anchor) is dropped: the restored copy becomes the newest.
    """
    if store_files(folder):
        raise StoreExists(f"{folder} already holds a store: restore into an empty folder (use --store DIR).")
    try:
        with zipfile.ZipFile(backup) as archive:
            infos = {info.filename: info for info in archive.infolist()}
            if len(infos) > MAX_MEMBERS:
                raise ValueError(f"it holds more than {MAX_MEMBERS:,} files")
            manifest = json.loads(_read_member(archive, infos, MANIFEST, MAX_MANIFEST_BYTES))
            files: dict[str, str] = manifest["files"]
            if manifest.get("format") != "safedesk-backup" or STORE_FILE not in files:
                raise ValueError("not a SafeDesk backup")
            contents: dict[str, bytes] = {}
            total = 0
            for name, digest in files.items():
                if not _MEMBER.match(name):
                    raise ValueError(f"unexpected file {name!r}")
                data = _read_member(archive, infos, name, MAX_STORE_BYTES if name == STORE_FILE else MAX_EVIDENCE_BYTES)
                total += len(data)
                if total > MAX_TOTAL_BYTES:
                    raise ValueError(f"its contents are larger than {MAX_TOTAL_BYTES // MiB} MB")
                if hashlib.sha256(data).hexdigest() != digest:
                    raise ValueError(f"{name} does not match its recorded hash")
                contents[name] = data
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, EOFError) as error:
        raise InvalidInput(f"{backup} is not a usable SafeDesk backup ({_reason(error)}).") from None
    store_id = _store_id(backup, contents)
    try:
        make_private_dir(folder)
        for name, data in sorted(contents.items(), key=lambda item: item[0] == STORE_FILE):
            target = folder / name
            make_private_dir(target.parent)
            atomic_write(target, data)  # the store file last: a half-restored folder has no store
    except OSError as error:
        raise describe_os_error(error, "restore the backup") from None
    anchor.forget(store_id)
    return len(contents)


def _read_member(archive: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo], name: str, limit: int) -> bytes:
    """One member, refused before reading if its declared size or compression is out of bounds."""
    info = infos.get(name)
    if info is None:
        raise ValueError(f"{name} is missing")
    if info.file_size > limit:
        raise ValueError(f"{name} is larger than {limit // MiB} MB")
    if info.file_size > MiB and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise ValueError(f"{name} is compressed beyond any real backup")
    with archive.open(info) as handle:
        data = handle.read(info.file_size + 1)  # decompression stops one byte past the declared size
    if len(data) != info.file_size:
        raise ValueError(f"{name} is not the size its entry says")
    return data


def _reason(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"{error.args[0]} is missing" if error.args else "a part is missing"
    return str(error) or type(error).__name__


def _store_id(backup: Path, contents: dict[str, bytes]) -> str:
    """The backed-up store's id, from its plaintext header, after checking that the store file
    and its journal belong together (both are authenticated again on unlock)."""
    try:
        snapshot = parse_snapshot_bytes(Path(STORE_FILE), contents[STORE_FILE])
        if snapshot.version >= 2:
            journal = contents.get(JOURNAL_FILE)
            if journal is None:
                raise InvalidInput(f"{backup} is not a usable SafeDesk backup (its journal file is missing).")
            if parse_journal_head(journal, Path(JOURNAL_FILE), None).snapshot_digest != snapshot.digest:
                raise InvalidInput(f"{backup} is not a usable SafeDesk backup (its journal belongs to another save).")
        return snapshot.header.store_id
    except StoreCorrupt:
        raise InvalidInput(f"{backup} is not a usable SafeDesk backup (its store file is damaged).") from None
