"""What the reports feature contributes to the registry."""

from __future__ import annotations

from safedesk.store.registry import Registry
from safedesk.store.reports.chronology import REPORT as CHRONOLOGY
from safedesk.store.reports.documents import REPORTS


def register(registry: Registry) -> None:
    for report in REPORTS:
        registry.add_report(report)
    registry.add_report(CHRONOLOGY)
