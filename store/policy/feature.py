"""What the policy builder contributes to the registry."""

from __future__ import annotations

from safedesk.store.policy.builder import policy_attention
from safedesk.store.registry import Registry


def register(registry: Registry) -> None:
    registry.add_provider(policy_attention)
