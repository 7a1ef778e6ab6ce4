"""The one place the features are assembled: each adds its attention items, verify
checks and reports to a Registry, in this order (the order things are listed in).

The home screen, `safedesk verify`, `safedesk export` and the Reports screen ask
`default_registry()`; a new feature adds its `feature.register` here.
"""

from __future__ import annotations

from safedesk.store.accounts import feature as accounts
from safedesk.store.consents import feature as consents
from safedesk.store.dashboard import feature as dashboard
from safedesk.store.engine.session import Session
from safedesk.store.engine.verify import VerifyReport
from safedesk.store.forms import feature as forms
from safedesk.store.handover import feature as handover
from safedesk.store.incidents import feature as incidents
from safedesk.store.policy import feature as policy
from safedesk.store.registry import AttentionItem, Registry, ReportParams
from safedesk.store.reports import feature as reports


def default_registry() -> Registry:
    """Every feature's contributions: store health first, the reports feature's own reports first."""
    registry = Registry()
    dashboard.register(registry)
    reports.register(registry)
    incidents.register(registry)
    consents.register(registry)
    accounts.register(registry)
    handover.register(registry)
    forms.register(registry)
    policy.register(registry)
    return registry


def attention(session: Session) -> list[AttentionItem]:
    """What needs the DSL's attention, most urgent first (the home screen's list)."""
    return default_registry().attention(session)


def verify_store(session: Session) -> VerifyReport:
    """Every integrity check: the engine's and each feature's (`safedesk verify`)."""
    return default_registry().verify(session)


def build_report(session: Session, name: str, params: ReportParams) -> str:
    """A report by name as checked Markdown (`safedesk export`, the Reports screen)."""
    return default_registry().build_report(session, name, params)
