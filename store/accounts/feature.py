"""What the account register contributes to the registry."""

from __future__ import annotations

from safedesk.store.accounts.export import REPORTS
from safedesk.store.accounts.health import attention_items
from safedesk.store.accounts.register import verify_references
from safedesk.store.registry import Registry


def register(registry: Registry) -> None:
    registry.add_provider(attention_items)
    registry.add_check(verify_references)
    for report in REPORTS:
        registry.add_report(report)
