"""Errors the store raises: each carries one clear sentence for the user.

The message must never contain personal data (a record's text, a name, a
passphrase): it can reach a terminal, a log or a notification.
"""

from __future__ import annotations


class SafeDeskError(Exception):
    """A failure with a message fit to show a DSL as it is."""

    exit_code: int = 1


class StoreNotFound(SafeDeskError):
    """No store exists in the folder."""


class StoreExists(SafeDeskError):
    """`init` was asked to create a store where one already is."""


class WrongPassphrase(SafeDeskError):
    """No key slot opened with the passphrase given."""


class StoreLocked(SafeDeskError):
    """Another process holds the store's writer lock."""


class StoreCorrupt(SafeDeskError):
    """A store file failed its integrity check (tampered, truncated, not ours)."""

    def __init__(self, message: str, path: str, backup: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.backup = backup


class StoreRolledBack(StoreCorrupt):
    """The store is older than the last state this computer saw of it: files were replaced
    with an older copy (or the journal was cut short). Not opened for writing."""


class StoreWriteError(SafeDeskError):
    """A commit could not be made durable; what was stored before is intact."""


class StoreReadOnly(StoreLocked, StoreWriteError):
    """A write was attempted through a store opened only for reading (without the writer lock)."""


class InvalidInput(SafeDeskError):
    """A value the user gave was refused; the message says which and why.

    `field` names the record field at fault, so a form can show the message
    next to that field.
    """

    exit_code = 2

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class RecordNotFound(SafeDeskError):
    """No record with that id."""


class NotAllowed(SafeDeskError):
    """The action would break a rule the records must keep (e.g. delete a court-safe record)."""
