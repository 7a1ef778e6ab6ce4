"""What the forms feature contributes to the registry."""

from __future__ import annotations

from safedesk.store.forms.filled import form_attention, verify_forms
from safedesk.store.registry import Registry


def register(registry: Registry) -> None:
    registry.add_provider(form_attention)
    registry.add_check(verify_forms)
