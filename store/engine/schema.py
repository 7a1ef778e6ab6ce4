"""Schema versions and the migrations between them.

A store records the schema version it was written with. Opening an older store
runs each migration in order, in one transaction, with an audit entry; a store
from a newer SafeDesk is refused rather than misread.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Protocol

from safedesk.store.engine.core_records import Meta
from safedesk.store.engine.db import Database
from safedesk.store.engine.repository import Repository
from safedesk.store.errors import SafeDeskError

CURRENT_VERSION = 1


class Migrating(Protocol):
    """What a migration may use of the session (a protocol, so this module does not import it)."""

    @property
    def db(self) -> Database: ...

    def transaction(self) -> AbstractContextManager[None]: ...

    def audit_event(self, action: str, summary: str, target: str = "") -> None: ...

    def meta(self) -> Meta: ...

    def meta_repo(self) -> Repository[Meta]: ...


# MIGRATIONS[n] upgrades a store from version n to n + 1.
Migration = Callable[[Migrating], None]
MIGRATIONS: dict[int, Migration] = {}


class NewerStore(SafeDeskError):
    """The store was written by a newer SafeDesk."""


def migrate(session: Migrating) -> int:
    """Bring the store to CURRENT_VERSION; returns the version it was at."""
    current = CURRENT_VERSION
    meta = session.meta()
    found = meta.schema_version
    if found > current:
        raise NewerStore(
            f"This store was written by a newer SafeDesk (schema {found}; this one reads up to {current}). Update SafeDesk."
        )
    if found == current:
        return found
    with session.transaction():
        for version in range(found, current):
            MIGRATIONS[version](session)
            session.audit_event("store.migrate", f"schema {version} -> {version + 1}")
        meta.schema_version = current
        session.meta_repo().save(meta, summary=f"schema version {current}")
    return found


def check_readable(session: Migrating) -> None:
    """A store opened for reading only cannot be migrated: refuse one that would need it."""
    found = session.meta().schema_version
    if found > CURRENT_VERSION:
        migrate(session)  # refuses it, with the one message for a newer store
    if found < CURRENT_VERSION:
        raise NewerStore(
            f"This store is at schema {found} and this SafeDesk reads {CURRENT_VERSION}: "
            "open it for writing once (close the other SafeDesk window first)."
        )
