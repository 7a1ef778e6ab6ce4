"""What the dashboard contributes to the registry."""

from __future__ import annotations

from safedesk.store.dashboard.attention import store_health
from safedesk.store.registry import Registry


def register(registry: Registry) -> None:
    registry.add_provider(store_health)
