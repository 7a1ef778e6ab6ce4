"""Feature modules whose import registers attention providers and verify checks.

Listed here once, so the home screen and `safedesk verify` see every feature
without importing each one by name.
"""

from __future__ import annotations

import importlib

FEATURE_MODULES: tuple[str, ...] = (
    "safedesk.store.incidents.log",
    "safedesk.store.incidents.evidence",
    "safedesk.store.consents.pupils",
    "safedesk.store.accounts.register",
    "safedesk.store.accounts.export",
    "safedesk.store.handover.transfer",
    "safedesk.store.forms.filled",
    "safedesk.store.policy.builder",
)


def load_features() -> None:
    for name in FEATURE_MODULES:
        importlib.import_module(name)
