"""The store's own home-screen items: who can open it, and when it was last backed up.

The item types and the list every feature adds to live in safedesk.store.registry.
No Textual here: the CLI and reports can list the same items.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from safedesk.store.engine.session import Session
from safedesk.store.registry import AttentionItem

BACKUP_DUE_AFTER = timedelta(days=7)


def store_health(session: Session) -> Iterable[AttentionItem]:
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
