"""Backups: the whole store in one file, still encrypted, and putting one back.

A backup is a zip (no compression: the contents are ciphertext) holding a
freshly written store file, the encrypted evidence files and a manifest of
their SHA-256 hashes. It opens with the same passphrases and recovery key.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

from safedesk.store.engine.files import atomic_write, describe_os_error, make_private_dir
from safedesk.store.engine.records import utcnow
from safedesk.store.engine.session import Session
from safedesk.store.engine.vault import STORE_FILE, store_exists
from safedesk.store.errors import InvalidInput, StoreExists

MANIFEST = "manifest.json"
EVIDENCE_DIR = "evidence"
_MEMBER = re.compile(rf"^({re.escape(STORE_FILE)}|{EVIDENCE_DIR}/[0-9a-f]{{8,64}}\.bin)$")


def _evidence_files(folder: Path) -> list[Path]:
    directory = folder / EVIDENCE_DIR
    return sorted(p for p in directory.glob("*.bin") if p.is_file()) if directory.is_dir() else []


def write_backup(session: Session, out: Path) -> str:
    """Write the backup atomically; returns a one-line summary."""
    snapshot = session.vault.snapshot_bytes()
    members: dict[str, bytes] = {STORE_FILE: snapshot}
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
    evidence = len(members) - 1
    with session.transaction():
        meta = session.meta()
        meta.last_backup_at = utcnow()
        session.meta_repo().save(meta, summary="last backup time")
        session.audit_event("export.backup", f"backup written ({evidence} evidence file(s), {len(buffer.getvalue())} bytes)")
    return f"store and {evidence} evidence file(s), {len(buffer.getvalue()) // 1024 + 1} KB"


def restore_backup(backup: Path, folder: Path) -> int:
    """Unpack a backup into `folder`, which must not hold a store; returns the file count."""
    if store_exists(folder):
        raise StoreExists(f"{folder} already holds a store: restore into an empty folder (use --store DIR).")
    try:
        with zipfile.ZipFile(backup) as archive:
            manifest = json.loads(archive.read(MANIFEST))
            files: dict[str, str] = manifest["files"]
            if manifest.get("format") != "safedesk-backup" or STORE_FILE not in files:
                raise ValueError("not a SafeDesk backup")
            contents: dict[str, bytes] = {}
            for name, digest in files.items():
                if not _MEMBER.match(name):
                    raise ValueError(f"unexpected file {name!r}")
                data = archive.read(name)
                if hashlib.sha256(data).hexdigest() != digest:
                    raise ValueError(f"{name} does not match its recorded hash")
                contents[name] = data
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, json.JSONDecodeError) as error:
        raise InvalidInput(f"{backup} is not a usable SafeDesk backup ({error}).") from None
    try:
        make_private_dir(folder)
        for name, data in sorted(contents.items(), key=lambda item: item[0] == STORE_FILE):
            target = folder / name
            make_private_dir(target.parent)
            atomic_write(target, data)  # the store file last: a half-restored folder has no store
    except OSError as error:
        raise describe_os_error(error, "restore the backup") from None
    return len(contents)
