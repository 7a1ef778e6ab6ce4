"""What handover contributes to the registry."""

from __future__ import annotations

from safedesk.store.handover.transfer import transfer_attention
from safedesk.store.registry import Registry


def register(registry: Registry) -> None:
    registry.add_provider(transfer_attention)
