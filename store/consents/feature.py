"""What the consent register contributes to the registry."""

from __future__ import annotations

from safedesk.store.consents.pupils import REPORTS, consent_attention, verify_pupils
from safedesk.store.registry import Registry


def register(registry: Registry) -> None:
    registry.add_provider(consent_attention)
    registry.add_check(verify_pupils)
    for report in REPORTS:
        registry.add_report(report)
