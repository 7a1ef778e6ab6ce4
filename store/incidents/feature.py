"""What the incident log contributes to the registry."""

from __future__ import annotations

from safedesk.store.incidents.evidence import verify_evidence
from safedesk.store.incidents.log import incident_attention
from safedesk.store.registry import Registry


def register(registry: Registry) -> None:
    registry.add_provider(incident_attention)
    registry.add_check(verify_evidence)
