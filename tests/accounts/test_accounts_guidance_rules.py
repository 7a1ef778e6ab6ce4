"""The register keeps the guidance's rules (issue 14, item 7): an approval records that
everyone running the account has read the policy and been trained, and dates of admin
access and leaving cannot contradict each other."""

from __future__ import annotations

import dataclasses

import pytest

from safedesk.store.accounts.register import Admin, Register
from safedesk.store.errors import InvalidInput
from safedesk.store.text.dates import local_today
from tests.kit import DAY, add_staff_member, healthy_account, register_rules

TODAY = local_today()


@pytest.fixture
def reg(session) -> Register:  # type: ignore[no-untyped-def]
    return Register(session)


@pytest.mark.parametrize("missing", ["policy_read", "training_done"])
def test_an_approval_without_policy_and_training_is_flagged(reg: Register, missing: str) -> None:
    account, _credential, _people = healthy_account(reg)
    assert "approval.policy-training" not in register_rules(reg)
    reg.accounts_repo.save(dataclasses.replace(account, **{missing: False}))
    assert "approval.policy-training" in register_rules(reg)


def test_a_leaving_date_before_admin_access_began_is_refused(reg: Register) -> None:
    account, _credential, people = healthy_account(reg)
    bo = people["bo"].id or 0
    with pytest.raises(InvalidInput, match="cannot be right") as refused:
        reg.mark_left(bo, TODAY - 61 * DAY)  # access began 60 days ago
    assert refused.value.field == "left_on"
    assert reg.staff_member(bo).left_on is None
    reg.mark_left(bo, TODAY - 60 * DAY)  # the same day is possible
    assert reg.staff_member(bo).left_on == TODAY - 60 * DAY


def test_admin_access_cannot_start_after_a_recorded_leaving_date(reg: Register) -> None:
    account, _credential, _people = healthy_account(reg)
    leaving = add_staff_member(reg, "Di Leaving")
    reg.mark_left(leaving.id or 0, TODAY + 10 * DAY)
    with pytest.raises(InvalidInput, match="after this person leaves") as refused:
        reg.add_admin(account.id or 0, Admin(staff_id=leaving.id or 0, added_on=TODAY + 11 * DAY))
    assert refused.value.field == "added_on"
    reg.add_admin(account.id or 0, Admin(staff_id=leaving.id or 0, added_on=TODAY))
    index = len(reg.account(account.id or 0).admins) - 1
    with pytest.raises(InvalidInput, match="after this person leaves"):
        reg.update_admin(account.id or 0, index, Admin(staff_id=leaving.id or 0, added_on=TODAY + 20 * DAY))
