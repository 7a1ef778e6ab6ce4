"""The one error type of the guidance content: its own, so content depends on nothing in the store.

Like the store's errors, its message is one sentence fit to show a DSL as it is.
"""

from __future__ import annotations


class ContentError(Exception):
    """A card, the library, triage or coverage data could not be used; the message says which."""

    exit_code: int = 1
