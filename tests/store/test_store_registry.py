"""The registry: every feature's contributions, listed explicitly and in one order."""

from __future__ import annotations

import pytest

from safedesk.store.accounts.health import attention_items
from safedesk.store.accounts.register import verify_references
from safedesk.store.consents.pupils import consent_attention, verify_pupils
from safedesk.store.dashboard.attention import store_health
from safedesk.store.engine.session import Session
from safedesk.store.errors import InvalidInput
from safedesk.store.features import default_registry
from safedesk.store.forms.filled import form_attention, verify_forms
from safedesk.store.handover.transfer import transfer_attention
from safedesk.store.incidents.evidence import verify_evidence
from safedesk.store.incidents.log import incident_attention
from safedesk.store.policy.builder import policy_attention
from safedesk.store.registry import AttentionItem, Registry, Report, ReportParams


def test_default_registry_lists_every_feature_in_order() -> None:
    registry = default_registry()
    assert registry.providers == (
        store_health,
        incident_attention,
        consent_attention,
        attention_items,
        transfer_attention,
        form_attention,
        policy_attention,
    )
    assert registry.checks == (verify_evidence, verify_pupils, verify_references, verify_forms)
    assert [r.name for r in registry.reports] == [
        "incident",
        "incident-log",
        "audit",
        "chronology",
        "consent-register",
        "never-publish",
        "cleared",
        "accounts",
    ]


def test_nothing_registers_by_being_imported() -> None:
    # Every feature module is imported above; a new registry still starts empty.
    registry = Registry()
    assert registry.providers == () and registry.checks == () and registry.reports == ()


def test_verify_runs_the_engine_checks_then_the_features(session: Session) -> None:
    lines = default_registry().verify(session).lines()
    assert lines[0].split()[:3] == ["OK", "store", "decrypts"]
    assert any("forms:" in line for line in lines) and lines[-1] == "Verified: no faults found."


def test_attention_puts_the_most_urgent_first(session: Session) -> None:
    registry = Registry()
    registry.add_provider(lambda s: [AttentionItem("advice", "later", "test"), AttentionItem("overdue", "now", "test")])
    registry.add_provider(lambda s: [AttentionItem("due soon", "soon", "test")])
    assert [i.text for i in registry.attention(session)] == ["now", "soon", "later"]


def test_attention_puts_safeguarding_before_housekeeping_then_the_most_urgent(session: Session) -> None:
    """The one documented order (registry.SAFEGUARDING_AREAS): a transfer due soon above an overdue account."""
    registry = Registry()
    registry.add_provider(
        lambda s: [
            AttentionItem("overdue", "account overdue", "accounts"),
            AttentionItem("action", "account action", "accounts"),
            AttentionItem("overdue", "new area overdue", "somewhere new"),  # housekeeping unless listed
        ]
    )
    registry.add_provider(
        lambda s: [
            AttentionItem("due soon", "transfer due", "handover"),
            AttentionItem("advice", "incident advice", "incidents"),
            AttentionItem("overdue", "action overdue", "incidents"),
            AttentionItem("action", "recovery key unconfirmed", "recovery key"),
        ]
    )
    assert [i.text for i in registry.attention(session)] == [
        "action overdue",
        "recovery key unconfirmed",
        "transfer due",
        "incident advice",
        "account overdue",
        "new area overdue",
        "account action",
    ]


def test_an_unconfirmed_recovery_key_is_a_safeguarding_item_first_on_home(session: Session) -> None:
    from safedesk.store.engine.keys.slots import set_recovery_key_unconfirmed

    assert not any(item.area == "recovery key" for item in store_health(session))
    set_recovery_key_unconfirmed(session, True)
    items = default_registry().attention(session)
    assert items[0].area == "recovery key" and items[0].target == "keys"
    assert "never confirmed as written down" in items[0].text


def test_reports_are_found_by_name_and_names_are_unique(session: Session) -> None:
    registry = Registry()
    report = Report("notes", "Notes", "A test report.", lambda s, p: "# Notes\n\nNothing.\n")
    registry.add_report(report)
    with pytest.raises(ValueError, match="notes"):
        registry.add_report(report)
    assert registry.build_report(session, "notes", ReportParams()) == "# Notes\n\nNothing.\n"
    with pytest.raises(InvalidInput, match="Reports: notes"):
        registry.report("everything")
