"""Windows is the main target: its branches, exercised here by monkeypatching, and no POSIX-only calls."""

from __future__ import annotations

import errno
import io
import os
import re
from pathlib import Path

import pytest

from safedesk.store.engine import files
from tests.kit import PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]
POSIX_ONLY = re.compile(
    r"^\s*(import fcntl|from fcntl|import pwd|import grp|import termios)|\b(os\.fchmod|os\.fchown|os\.getuid|os\.geteuid|signal\.SIGKILL|os\.fork)\("
)


def test_no_posix_only_calls_in_the_app():
    offenders = []
    for package in ("store", "content", "tui", "screens"):
        for path in (ROOT / package).rglob("*.py"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if POSIX_ONLY.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, offenders


def test_windows_skips_directory_fsync(monkeypatch, tmp_path):
    monkeypatch.setattr(files, "IS_WINDOWS", True)

    def no_open(*args, **kwargs):  # a folder cannot be opened on Windows
        raise AssertionError("os.open called on a folder")

    monkeypatch.setattr(os, "open", no_open)
    files.fsync_dir(tmp_path)


def test_windows_private_dir_does_not_chmod(monkeypatch, tmp_path):
    monkeypatch.setattr(files, "IS_WINDOWS", True)
    monkeypatch.setattr(os, "chmod", lambda *a, **k: (_ for _ in ()).throw(AssertionError("chmod on Windows")))
    files.make_private_dir(tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b").is_dir()


def test_windows_opens_files_in_binary_mode(monkeypatch, tmp_path):
    seen: list[int] = []
    real_open = os.open
    monkeypatch.setattr(os, "O_BINARY", 0x8000, raising=False)

    def spy(path, flags, mode=0o777):  # type: ignore[no-untyped-def]
        seen.append(flags)
        return real_open(path, flags & ~0x8000, mode)

    monkeypatch.setattr(os, "open", spy)
    fd = files.open_private(tmp_path / "f", os.O_WRONLY | os.O_CREAT)
    os.close(fd)
    assert seen and seen[0] & 0x8000


def test_windows_replace_retries_while_a_scanner_holds_the_file(monkeypatch, tmp_path):
    monkeypatch.setattr(files, "IS_WINDOWS", True)
    monkeypatch.setattr(files.time, "sleep", lambda s: None)
    calls = {"n": 0}
    real_replace = os.replace

    def flaky(src, dst):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] < 3:
            raise PermissionError(errno.EACCES, "in use by another process")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    source = tmp_path / "a"
    source.write_text("x")
    files.replace(source, tmp_path / "b")
    assert calls["n"] == 3 and (tmp_path / "b").read_text() == "x"


def test_posix_replace_does_not_hide_a_permission_error(monkeypatch, tmp_path):
    monkeypatch.setattr(files, "IS_WINDOWS", False)
    monkeypatch.setattr(os, "replace", lambda s, d: (_ for _ in ()).throw(PermissionError(errno.EACCES, "denied")))
    with pytest.raises(PermissionError):
        files.replace(tmp_path / "a", tmp_path / "b")


def test_whole_store_works_with_the_windows_branches(monkeypatch, tmp_path):
    """Create, write, compact and reopen a store with every Windows branch taken."""
    from safedesk.store.engine.session import OpenOptions, Session
    from tests.kit import Note

    monkeypatch.setattr(files, "IS_WINDOWS", True)
    folder = tmp_path / "store"
    session, _ = Session.create(folder, "Oak Primary", "Sam Patel", PASSPHRASE, OpenOptions(compact_bytes=512))
    for i in range(10):
        session.repo(Note).add(Note(title=f"n{i}"))
    session.close()
    with Session.open(folder, PASSPHRASE) as again:
        assert again.repo(Note).count() == 10


def test_default_store_dir_is_the_per_user_local_data_folder(monkeypatch):
    import platformdirs

    from safedesk.cli.main import default_store_dir

    seen = {}

    def fake(appname, appauthor=None, roaming=False, **kwargs):  # type: ignore[no-untyped-def]
        seen.update(appname=appname, appauthor=appauthor, roaming=roaming)
        return r"C:\Users\dsl\AppData\Local\SafeDesk"

    monkeypatch.setattr(platformdirs, "user_data_dir", fake)
    path = default_store_dir()
    assert seen == {"appname": "SafeDesk", "appauthor": False, "roaming": False}  # not roaming: stays on this laptop
    assert path.name == "store"


def test_legacy_console_encoding_is_switched_to_utf8(monkeypatch):
    import sys

    from safedesk.cli import main as cli

    stream = io.TextIOWrapper(io.BytesIO(), encoding="cp1252")
    monkeypatch.setattr(sys, "stdout", stream)
    monkeypatch.setattr(cli, "cli", lambda prog_name: None)
    cli.main()
    assert stream.encoding.lower() == "utf-8"


def test_no_color_is_honoured(monkeypatch, tmp_path):
    from textual.filter import Monochrome, NoColor

    from safedesk.app import SafeDeskApp

    monkeypatch.setenv("NO_COLOR", "1")
    app = SafeDeskApp(tmp_path / "store", start="guide")
    assert app.no_color and any(isinstance(f, NoColor | Monochrome) for f in app._filters)
