"""Suite-wide fixtures: no network, no animations, no cursor blink, no real home dir."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["TEXTUAL_ANIMATIONS"] = "none"


class NetworkBlocked(RuntimeError):
    pass


def _refuse(*args: object, **kwargs: object) -> None:
    raise NetworkBlocked("a test tried to open a network connection")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any attempt to reach the network fails the test that made it."""
    # AF_UNIX socketpairs are what asyncio's event loop uses internally; allow only those.
    real_socket = socket.socket

    class GuardedSocket(real_socket):  # type: ignore[misc, valid-type]
        def __init__(self, family: int = -1, *args: object, **kwargs: object) -> None:
            if family in (socket.AF_INET, socket.AF_INET6):
                raise NetworkBlocked("a test tried to open an internet socket")
            super().__init__(family, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "socket", GuardedSocket)
    monkeypatch.setattr(socket, "create_connection", _refuse)
    monkeypatch.setattr(socket, "getaddrinfo", _refuse)
    yield


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may touch the real user's store or config."""
    monkeypatch.delenv("SAFEDESK_STORE", raising=False)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("LOCALAPPDATA", str(home / "localappdata"))


PASSPHRASE = "correct horse battery staple"
DEPUTY_PASSPHRASE = "lantern kettle orbit meadow"


@pytest.fixture(autouse=True)
def _fast_kdf(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stores made in tests use a cheap KDF (the header records it); `@pytest.mark.real_kdf` opts out."""
    if request.node.get_closest_marker("real_kdf"):
        return
    from safedesk.store.engine import crypto

    monkeypatch.setattr(crypto, "calibrate", lambda target_seconds=0.5: crypto.fast_params_for_tests())


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def session(store_dir):  # type: ignore[no-untyped-def]
    from safedesk.store.engine.session import Session

    created, _recovery = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    yield created
    created.close()


@pytest.fixture(autouse=True)
def _no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """A blinking cursor makes screens differ from one moment to the next."""
    from textual.widgets import Input

    original = Input.__init__

    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        original(self, *args, **kwargs)
        self.cursor_blink = False

    monkeypatch.setattr(Input, "__init__", init)
