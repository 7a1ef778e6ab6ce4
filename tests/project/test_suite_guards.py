"""The suite's own guards: no network from a test, and a checkout that tests leave as they found it."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from pytest_socket import SocketBlockedError

from tests.kit import checkout_state


@pytest.mark.filterwarnings("ignore:A test tried to use socket:UserWarning")  # expected: this test tries on purpose
def test_an_internet_socket_cannot_be_opened() -> None:
    with pytest.raises(SocketBlockedError):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with pytest.raises(SocketBlockedError):
        socket.socket()  # the default family is AF_INET too
    with pytest.raises(SocketBlockedError):
        socket.create_connection(("127.0.0.1", 9))
    with pytest.raises(SocketBlockedError):
        socket.getaddrinfo("example.com", 443)


def test_the_event_loop_still_runs() -> None:
    # asyncio wakes its loop through an AF_UNIX socketpair: the one kind of socket allowed.
    left, right = socket.socketpair()
    left.close()
    right.close()
    assert asyncio.run(asyncio.sleep(0, result="ran")) == "ran"


def _windows_socketpair() -> tuple[socket.socket, socket.socket]:
    # What CPython's socketpair() does on Windows: two AF_INET sockets joined over loopback.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        left = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        left.connect(listener.getsockname())
        right, _ = listener.accept()
    return left, right


@pytest.mark.filterwarnings("ignore:A test tried to use socket:UserWarning")  # the plain call is blocked on purpose
def test_the_windows_event_loop_pair_is_allowed_and_nothing_else(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests import conftest

    with pytest.raises(SocketBlockedError):
        _windows_socketpair()
    monkeypatch.setattr(conftest, "_socketpair", _windows_socketpair)
    left, right = conftest.loop_socketpair()
    left.sendall(b"x")
    assert right.recv(1) == b"x"
    left.close()
    right.close()
    with pytest.raises(SocketBlockedError):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_checkout_state_sees_new_changed_and_ignored_files_but_not_bytecode(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    assert checkout_state(tmp_path) is None  # not a checkout: nothing to compare
    git("init", "-q")
    (tmp_path / ".gitignore").write_text("build/\n")
    (tmp_path / "tracked.txt").write_text("one")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "start")
    clean = checkout_state(tmp_path)
    assert clean == ""

    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"")
    assert checkout_state(tmp_path) == clean
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "out.whl").write_bytes(b"")
    with_ignored = checkout_state(tmp_path)
    assert with_ignored is not None and "build/out.whl" in with_ignored
    (tmp_path / "tracked.txt").write_text("two")
    assert checkout_state(tmp_path) not in (clean, with_ignored)
