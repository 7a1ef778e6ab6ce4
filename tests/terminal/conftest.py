"""The `terminal` fixture: the app on a store with a cheap KDF, in a tmux server of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kit import make_store
from tests.terminal.tmux import Terminal


@pytest.fixture
def terminal(store_dir: Path, tmp_path: Path) -> Iterator[Terminal]:
    make_store(store_dir).close()  # a cheap KDF, recorded in the store: the app opens it quickly
    term = Terminal(tmp_path / "tmux.sock", store_dir)
    try:
        yield term
    finally:
        term.close()
