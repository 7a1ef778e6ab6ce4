"""Suite-wide fixtures: no animations, no cursor blink, no real home dir, no writes into the checkout.

The network is blocked by pytest-socket (`--disable-socket --allow-unix-socket` in
pyproject's addopts): asyncio's event loop needs its AF_UNIX socketpair, nothing else may
open a socket or resolve a name. On Windows that pair is a loopback TCP pair (Windows has no
AF_UNIX socketpair), allowed by `loop_socketpair` below and by nothing else. Helpers shared
by tests live in tests/kit.py.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import pytest_socket
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

os.environ["TEXTUAL_ANIMATIONS"] = "none"

ROOT = Path(__file__).resolve().parents[1]

# No example database: Hypothesis would write one into the checkout (.hypothesis/). A
# failure prints the blob that replays it. A loaded machine is not a reason to fail:
# no deadline, and generating data slowly is not an error.
settings.register_profile(
    "safedesk",
    database=None,
    print_blob=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("safedesk")
# Even without a database Hypothesis caches Unicode tables and the constants it finds in
# the source under ./.hypothesis, from collection on: keep that cache in the temp folder.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "safedesk-tests-hypothesis")


_socketpair = socket.socketpair


def loop_socketpair(*args: object, **kwargs: object) -> tuple[socket.socket, socket.socket]:
    """`socket.socketpair` made with the real socket class, whatever pytest-socket has patched.

    On Windows, socketpair() connects two AF_INET sockets over loopback, and every asyncio event
    loop makes one to wake itself: with sockets blocked, no async test could start there.
    """
    guarded = socket.socket
    socket.socket = pytest_socket._true_socket  # type: ignore[misc]
    try:
        return _socketpair(*args, **kwargs)  # type: ignore[arg-type]
    finally:
        socket.socket = guarded  # type: ignore[misc]


if sys.platform == "win32":
    socket.socketpair = loop_socketpair


def pytest_configure(config: pytest.Config) -> None:
    # pytest-textual-snapshot writes its failure report into the current folder (the checkout,
    # after the checkout guard has run): send it to the temp folder, unless a path was given.
    if config.getoption("--snapshot-report", default=None) == "snapshot_report.html":
        config.option.snapshot_report = str(Path(tempfile.gettempdir()) / "safedesk-snapshot-report.html")


@pytest.fixture(scope="session", autouse=True)
def _checkout_untouched(pytestconfig: pytest.Config) -> Iterator[None]:
    """Fail the run when a test created, changed or deleted a file in the checkout: tests write under tmp_path."""
    from tests.kit import checkout_state

    # `--snapshot-update` (syrupy) rewrites the snapshot files on purpose.
    before = None if pytestconfig.getoption("--snapshot-update", default=False) else checkout_state(ROOT)
    yield
    after = checkout_state(ROOT)
    if before is not None and after is not None and after != before:
        new = sorted(set(after.splitlines()) - set(before.splitlines()))
        gone = sorted(set(before.splitlines()) - set(after.splitlines()))
        pytest.fail(
            "The checkout changed while the tests ran (a test wrote outside tmp_path, or a file was edited meanwhile):\n"
            + "\n".join([*(f"now:  {line}" for line in new), *(f"was:  {line}" for line in gone)]),
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may touch the real user's store or config."""
    monkeypatch.delenv("SAFEDESK_STORE", raising=False)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("LOCALAPPDATA", str(home / "localappdata"))


@pytest.fixture(autouse=True)
def _fast_kdf(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stores made in tests use a cheap KDF (the header records it); `@pytest.mark.real_kdf` opts out."""
    if request.node.get_closest_marker("real_kdf"):
        return
    from safedesk.store.engine.keys import crypto

    monkeypatch.setattr(crypto, "calibrate", lambda target_seconds=0.5: crypto.fast_params_for_tests())


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def session(store_dir):  # type: ignore[no-untyped-def]
    from safedesk.store.engine.session import Session
    from tests.kit import PASSPHRASE

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
