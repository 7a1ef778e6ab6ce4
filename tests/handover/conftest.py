"""Two schools' stores for handover tests: the sender (Oak Primary, Sam Patel) and the receiver
(Oakwood Academy, Jo Bloggs), each with the suite's cheap KDF."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from safedesk.store.engine.session import Session
from tests.kit import make_store


@pytest.fixture
def sender(tmp_path: Path) -> Iterator[Session]:
    session = make_store(tmp_path / "a")
    yield session
    session.close()


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Session]:
    session = make_store(tmp_path / "b", "Oakwood Academy", "Jo Bloggs")
    yield session
    session.close()
