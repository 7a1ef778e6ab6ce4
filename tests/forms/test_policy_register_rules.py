"""The policy builder does not call a policy complete while the account register breaks it
(issue 14, item 7)."""

from __future__ import annotations

import dataclasses

from safedesk.store.accounts.register import Account, Comments, Register, Status
from safedesk.store.policy.builder import Channel, PolicyAnswers, PolicyBook, register_conflicts


def test_conflicts_name_the_account_and_the_rule() -> None:
    book_answers = PolicyAnswers()
    photos = Channel("Oak Primary", "Facebook Page", comments="moderated", pupil_images=True)
    quiet = Channel("Oak News", "X (Twitter)", comments="off")
    assert register_conflicts(book_answers, [photos, quiet]) == []
    no_images = dataclasses.replace(book_answers, images="none", comments="off")
    assert register_conflicts(no_images, [photos, quiet]) == [
        "Oak Primary (Facebook Page) posts photos or videos of pupils, but the policy allows none",
        "Oak Primary (Facebook Page) has comments on, but the policy keeps them off",
    ]


def test_the_built_policy_reports_the_register_breaking_it(session) -> None:  # type: ignore[no-untyped-def]
    register = Register(session)
    page = register.propose(Account(platform="Facebook Page", name="Oak Primary", pupil_images=True, comments=Comments.OPEN))
    register.set_status(page.id or 0, Status.ACTIVE, override_reason="Running before the register existed")
    book = PolicyBook(session)
    assert book.build().conflicts == []  # the suggested answers allow photos with consent
    book.save({"images": "none"})
    assert book.build().conflicts == ["Oak Primary (Facebook Page) posts photos or videos of pupils, but the policy allows none"]
