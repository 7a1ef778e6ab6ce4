"""Feature modules whose import registers attention providers and verify checks.

Listed here once, so the home screen and `safedesk verify` see every feature
without importing each one by name.
"""

from __future__ import annotations

import importlib

FEATURE_MODULES: tuple[str, ...] = (
    "store.incident_log",
    "store.evidence",
    "store.consents",
    "store.accounts",
    "store.accounts_export",
    "store.handover",
    "store.forms",
    "store.policy",
)


def load_features() -> None:
    for name in FEATURE_MODULES:
        importlib.import_module(name)
