"""The store's own home-screen items: a recovery key never confirmed, who can open it, and when it was last backed up.

The item types and the list every feature adds to live in safedesk.store.registry.
No Textual here: the CLI and reports can list the same items.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from safedesk.store.engine.keys.slots import recovery_key_unconfirmed
from safedesk.store.engine.session import Session
from safedesk.store.registry import AttentionItem

BACKUP_DUE_AFTER = timedelta(days=7)


def store_health(session: Session) -> Iterable[AttentionItem]:
    if recovery_key_unconfirmed(session):
        # A safeguarding item (registry.SAFEGUARDING_AREAS): lose it and a forgotten passphrase loses every record.
        yield AttentionItem(
            "action",
            "The recovery key was never confirmed as written down: make a new one for the school safe (Enter: Keys, r).",
            "recovery key",
            "keys",
        )
    people = [u for u in session.active_users() if u.role != "recovery"]
    if len(people) < 2:
        yield AttentionItem(
            "advice",
            "Only one person can open this store. Add a deputy DSL so records are reachable when you are away (Enter: Keys).",
            "store",
            "keys",
        )
    last = session.meta().last_backup_at
    if last is None:
        yield AttentionItem("advice", "No backup made yet: safedesk backup --out FILE (to an encrypted USB stick).", "store")
    elif datetime.now(UTC) - last > BACKUP_DUE_AFTER:
        yield AttentionItem("due soon", f"Last backup was {(datetime.now(UTC) - last).days} days ago.", "store")
