"""What needs the DSL's attention: items each feature contributes to the home screen.

Features register a provider (a function of the session returning items); the
home screen shows them all, most urgent first. No Textual here: the CLI and
reports can list the same items.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from safedesk.store.engine.session import Session

# Order of urgency; the word is shown with the item, so colour never carries it alone.
LEVELS = ("overdue", "action", "due soon", "advice")
BACKUP_DUE_AFTER = timedelta(days=7)


@dataclass(frozen=True)
class AttentionItem:
    level: str  # one of LEVELS
    text: str  # may contain user text: render as plain text
    area: str  # "store", "incidents", ...
    target: str = ""  # what to open, e.g. "incidents/12"


Provider = Callable[[Session], Iterable[AttentionItem]]
PROVIDERS: list[Provider] = []


def provider(fn: Provider) -> Provider:
    PROVIDERS.append(fn)
    return fn


def attention(session: Session) -> list[AttentionItem]:
    from safedesk.store.features import load_features

    load_features()
    items = [item for fn in PROVIDERS for item in fn(session)]
    return sorted(items, key=lambda i: LEVELS.index(i.level) if i.level in LEVELS else len(LEVELS))


@provider
def _store_health(session: Session) -> Iterable[AttentionItem]:
    people = [u for u in session.active_users() if u.role != "recovery"]
    if len(people) < 2:
        yield AttentionItem(
            "advice",
            "Only one person can open this store. Add a deputy DSL so records are reachable when you are away "
            "(safedesk keys add).",
            "store",
        )
    last = session.meta().last_backup_at
    if last is None:
        yield AttentionItem("advice", "No backup made yet: safedesk backup --out FILE (to an encrypted USB stick).", "store")
    elif datetime.now(UTC) - last > BACKUP_DUE_AFTER:
        yield AttentionItem("due soon", f"Last backup was {(datetime.now(UTC) - last).days} days ago.", "store")
