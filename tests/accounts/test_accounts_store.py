"""The account register's store layer: records, the approval and leaver workflows,
passwords and their history, every health finding, the generator and the export."""

from __future__ import annotations

import dataclasses
import hashlib
import math
import string
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safedesk.content.library import default_library
from safedesk.store.accounts.export import register_markdown
from safedesk.store.accounts.health import check_register, summary
from safedesk.store.accounts.register import (
    HISTORY_VALUES,
    PLATFORMS,
    Account,
    Admin,
    ChangeReason,
    Credential,
    Mfa,
    Register,
    StaffMember,
    Status,
    Visibility,
)
from safedesk.store.accounts.school_words import SCHOOL_WORDS
from safedesk.store.accounts.secrets import SYMBOLS, GeneratorOptions, Kind, generate
from safedesk.store.accounts.wordlist import WORDS
from safedesk.store.errors import InvalidInput, NotAllowed
from safedesk.store.features import attention, verify_store
from safedesk.store.text.dates import parse_date
from tests.kit import DAY, add_staff_member, current_day, healthy_account, register_rules


@pytest.fixture
def reg(session) -> Register:  # type: ignore[no-untyped-def]
    return Register(session)


# --------------------------------------------------------------------- workflow


def test_a_healthy_account_has_no_findings(reg):
    healthy_account(reg)
    assert check_register(reg.session) == []
    assert summary([]) == "OK"


def test_activating_an_unapproved_account_is_refused_without_an_override(reg):
    head = add_staff_member(reg, "Ann Head", slt=True)
    account = reg.propose(Account(platform="Instagram", name="@oak_pe"))
    with pytest.raises(NotAllowed, match="not approved"):
        reg.set_status(account.id or 0, Status.ACTIVE)
    assert reg.account(account.id or 0).status is Status.PROPOSED
    # The rule lives in the record too: no other path can store an active unapproved account.
    with pytest.raises(InvalidInput) as refused:
        reg.accounts_repo.save(dataclasses.replace(reg.account(account.id or 0), status=Status.ACTIVE))
    assert refused.value.field == "status"
    # An override needs a reason, is stored and audited, and the health check keeps flagging it.
    reg.set_status(account.id or 0, Status.ACTIVE, override_reason="Sports day is tomorrow; SLT meets next week")
    stored = reg.account(account.id or 0)
    assert stored.status is Status.ACTIVE and stored.override is not None and stored.status_label == "active (override)"
    assert any(e.action == "accounts.override" for e in reg.session.audit.entries())
    assert "approval.missing" in register_rules(reg)
    assert head.id is not None


def test_approval_needs_two_named_staff_and_an_slt_member(reg):
    head = add_staff_member(reg, "Ann Head", slt=True)
    teacher = add_staff_member(reg, "Bo Teacher")
    account = reg.propose(Account(platform="YouTube", name="Oak Music", runner_ids=(teacher.id or 0,)))
    with pytest.raises(InvalidInput) as few:
        reg.decide(account.id or 0, approved=True, by_id=head.id, on=current_day())
    assert few.value.field == "runner_ids"
    with pytest.raises(InvalidInput, match="senior leadership"):
        reg.decide(account.id or 0, approved=False, by_id=teacher.id, on=current_day(), reasons="No")
    with pytest.raises(InvalidInput, match="reasons"):
        reg.decide(account.id or 0, approved=False, by_id=head.id, on=current_day())
    rejected = reg.decide(account.id or 0, approved=False, by_id=head.id, on=current_day(), reasons="Use the website instead")
    assert rejected.status is Status.PROPOSED and rejected.status_label == "rejected"
    assert "approval.rejected" in register_rules(reg) and "case.runners" in register_rules(reg)
    with pytest.raises(InvalidInput, match="future"):
        reg.decide(account.id or 0, approved=False, by_id=head.id, on=current_day() + DAY, reasons="x")


def test_withdrawn_approval_pauses_a_live_account(reg):
    account, _, people = healthy_account(reg)
    paused = reg.decide(account.id or 0, approved=False, by_id=people["head"].id, on=current_day(), reasons="Not used")
    assert paused.status is Status.PAUSED
    with pytest.raises(NotAllowed):
        reg.set_status(account.id or 0, Status.ACTIVE)


def test_update_details_cannot_change_status_or_decisions(reg):
    account, _, _ = healthy_account(reg)
    sneaky = dataclasses.replace(account, status=Status.CLOSED, decisions=(), admins=(), name="@OakNews")
    saved = reg.update_details(sneaky)
    assert saved.name == "@OakNews" and saved.status is Status.ACTIVE and saved.approved and len(saved.admins) == 2


def test_leaver_flags_every_account_they_ran_until_access_removed_and_password_changed(reg):
    account, credential, people = healthy_account(reg)
    other = reg.propose(Account(platform="X (Twitter)", name="@OakSport", owner_id=people["head"].id))
    report = reg.mark_left(people["bo"].id or 0, current_day())
    assert [a.account_id for a in report.administered] == [account.id]
    assert report.administered[0].logins == ["Main login"]
    assert "remove their Admin access" in report.lines()[0] and "Bo" not in " ".join(report.lines())
    assert other.id is not None
    found = register_rules(reg)
    assert {"admins.leaver", "admins.fewer-than-two", "password.not-rotated"} <= found
    entry = reg.session.audit.entries()[-1]
    assert entry.action == "accounts.leaver" and "Bo" not in entry.summary

    index = next(i for i, a in enumerate(account.admins) if a.staff_id == people["bo"].id)
    removed = dataclasses.replace(account.admins[index], removed_on=current_day())
    reg.update_admin(account.id or 0, index, removed)
    assert "admins.leaver" not in register_rules(reg) and "password.not-rotated" in register_rules(reg)
    reg.change_password(credential.id or 0, "after-the-leaver", ChangeReason.LEAVER)
    assert "password.not-rotated" not in register_rules(reg)
    with pytest.raises(InvalidInput, match="already marked"):
        reg.mark_left(people["bo"].id or 0, current_day())


def test_a_future_leaving_date_is_due_soon_not_yet_action(reg):
    healthy_account(reg)
    bo = reg.find_staff("bo office")
    reg.mark_left(bo.id or 0, current_day() + 10 * DAY)
    findings = {f.rule: f.level for f in check_register(reg.session)}
    assert findings == {"admins.leaving": "due soon"}


def test_password_history_keeps_values_then_only_dates(reg):
    _, credential, _ = healthy_account(reg)
    cid = credential.id or 0
    with pytest.raises(InvalidInput, match="current password"):
        reg.change_password(cid, "first-secret-value", ChangeReason.REVIEW)
    for n in range(HISTORY_VALUES + 2):
        reg.change_password(cid, f"value-{n}", ChangeReason.REVIEW)
    with pytest.raises(InvalidInput, match="used before"):
        reg.change_password(cid, "value-3", ChangeReason.BREACH)
    history = reg.password_history(cid)
    assert len(history) == HISTORY_VALUES + 2
    assert [h.password for h in history[:2]] == [f"value-{HISTORY_VALUES}", f"value-{HISTORY_VALUES - 1}"]
    assert all(h.password == "" for h in history[HISTORY_VALUES:])  # forgotten, dates kept
    assert history[-1].reason is ChangeReason.SETUP and history[-1].set_on == current_day() - 30 * DAY
    viewed = reg.session.audit.entries()[-1]
    assert viewed.action == "accounts.history_viewed" and "value" not in viewed.summary


def test_update_credential_never_touches_the_password(reg):
    _, credential, _ = healthy_account(reg)
    edited = dataclasses.replace(credential, password="sneaked-in", changed_on=None, label="Owner login")
    saved = reg.update_credential(edited)
    assert (
        saved.password == "first-secret-value" and saved.label == "Owner login" and saved.changed_on == current_day() - 30 * DAY
    )


@pytest.mark.parametrize(
    "secret",
    ["[@click=app.quit]x[/]", "[/bold]", "[bold", "  spaces kept at both ends  ", "ünïcödé-ﬁ-decomposed\u0301"],
)
def test_secrets_are_stored_exactly(reg, secret):
    _, credential, _ = healthy_account(reg)
    reg.change_password(credential.id or 0, secret, ChangeReason.REVIEW)
    assert reg.credential(credential.id or 0).password == secret


@pytest.mark.parametrize("bad", ["line\nbreak", "tab\there", "esc\x1b[31mred", "bell\x07", "bidi\u202eevil"])
def test_secrets_with_control_characters_are_refused_not_altered(reg, bad):
    _, credential, _ = healthy_account(reg)
    with pytest.raises(InvalidInput) as refused:
        reg.change_password(credential.id or 0, bad, ChangeReason.REVIEW)
    assert refused.value.field == "password" and bad not in str(refused.value)
    assert reg.credential(credential.id or 0).password == "first-secret-value"


def test_very_long_values_have_limits_with_clear_messages(reg):
    _, credential, _ = healthy_account(reg)
    reg.change_password(credential.id or 0, "x" * 1024, ChangeReason.REVIEW)
    with pytest.raises(InvalidInput, match="1,024") as long:
        reg.change_password(credential.id or 0, "y" * 1025, ChangeReason.REVIEW)
    assert long.value.field == "password"
    with pytest.raises(InvalidInput, match="120") as name:
        reg.propose(Account(platform="Instagram", name="n" * 121))
    assert name.value.field == "name"


def test_text_fields_are_cleaned_including_nested_admin_fields(reg):
    account, _, people = healthy_account(reg)
    saved = reg.update_admin(account.id or 0, 0, dataclasses.replace(account.admins[0], platform_role="Edi\x1b[2Jtor"))
    assert saved.admins[0].platform_role == "Edi[2Jtor"
    renamed = reg.update_details(dataclasses.replace(account, name="@Oak\x1b]52;c;x\x07"))
    assert "\x1b" not in renamed.name and "\x07" not in renamed.name
    assert people


def test_records_refuse_bad_values(reg):
    cases = [
        (Account(platform="Myspace", name="x"), "platform"),
        (Account(platform="Instagram", name=" "), "name"),
        (Account(platform="Instagram", name="x", url="not a url"), "url"),
        (Account(platform="Instagram", name="x", devices=("d" * 81,)), "devices"),
    ]
    for record, field in cases:
        with pytest.raises(InvalidInput) as error:
            record.cleaned().validate()
        assert error.value.field == field
    credential_cases = [
        (Credential(account_id=1, label=""), "label"),
        (Credential(account_id=1, recovery_email="nobody"), "recovery_email"),
        (Credential(account_id=1, recovery_phone="call me"), "recovery_phone"),
        (Credential(account_id=1, changed_on=current_day() + DAY), "changed_on"),
    ]
    for record, field in credential_cases:
        with pytest.raises(InvalidInput) as error:
            record.cleaned().validate()
        assert error.value.field == field
    with pytest.raises(InvalidInput, match="Access cannot be removed"):
        Account(
            platform="Instagram", name="x", admins=(Admin(staff_id=1, added_on=current_day(), removed_on=current_day() - DAY),)
        ).validate()
    with pytest.raises(InvalidInput, match="already an admin"):
        Account(platform="Instagram", name="x", admins=(Admin(staff_id=1, added_on=current_day()),) * 2).validate()


def test_owner_must_be_slt_and_staff_must_be_in_post(reg):
    teacher = add_staff_member(reg, "Bo Teacher")
    with pytest.raises(InvalidInput) as error:
        reg.propose(Account(platform="Instagram", name="x", owner_id=teacher.id))
    assert error.value.field == "owner_id"
    gone = add_staff_member(reg, "Cy Gone")
    reg.mark_left(gone.id or 0, current_day() - DAY)
    account = reg.propose(Account(platform="Instagram", name="x"))
    with pytest.raises(InvalidInput, match="left the school") as left:
        reg.add_admin(account.id or 0, Admin(staff_id=gone.id or 0, added_on=current_day()))
    assert left.value.field == "staff_id"


def test_find_staff_by_name_or_number(reg):
    ann = add_staff_member(reg, "Ann Head")
    assert reg.find_staff("ANN HEAD").id == ann.id == reg.find_staff(str(ann.id)).id
    add_staff_member(reg, "Ann Head")
    with pytest.raises(InvalidInput, match="More than one"):
        reg.find_staff("ann head")
    with pytest.raises(InvalidInput, match="No one"):
        reg.find_staff("Zed")


# --------------------------------------------------------------------- every health finding


def _break(reg: Register, account: Account, credential: Credential, people: dict[str, StaffMember], how: str) -> None:
    aid, cid = account.id or 0, credential.id or 0

    def change(**fields: object) -> None:
        reg.accounts_repo.save(dataclasses.replace(reg.account(aid), **fields))

    def change_login(**fields: object) -> None:
        reg.credentials_repo.save(dataclasses.replace(reg.credential(cid), **fields))

    if how == "admins.fewer-than-two":
        reg.update_admin(aid, 1, dataclasses.replace(account.admins[1], removed_on=current_day()))
        reg.change_password(cid, "rotated-after-removal", ChangeReason.REVIEW)
    elif how == "owner.missing":
        change(owner_id=None)
    elif how == "owner.left":
        reg.mark_left(people["head"].id or 0, current_day())
    elif how == "owner.not-slt":
        reg.save_staff(dataclasses.replace(people["head"], slt=False))
    elif how == "approval.missing":
        reg.set_status(aid, Status.PAUSED)
        change(decisions=())
        reg.set_status(aid, Status.ACTIVE, override_reason="Launch event tonight, SLT away")
    elif how == "admins.leaver":
        reg.mark_left(people["bo"].id or 0, current_day())
    elif how == "admins.aup-training":
        reg.update_admin(aid, 0, dataclasses.replace(account.admins[0], aup_signed=False))
    elif how == "mfa.off":
        change_login(mfa=Mfa.NONE)
    elif how == "mfa.personal-phone":
        change_login(mfa=Mfa.SMS, factor_holder="Bo's own mobile", factor_personal_phone=True)
    elif how == "recovery.email":
        change_login(recovery_email="bo.office@gmail.com", recovery_email_school=False)
    elif how == "recovery.phone":
        change_login(recovery_phone="07700 900123", recovery_phone_school=False)
    elif how == "recovery.missing":
        change_login(recovery_email="", recovery_phone="")
    elif how == "password.not-rotated":
        reg.update_admin(aid, 1, dataclasses.replace(account.admins[1], removed_on=current_day()))
        reg.add_admin(aid, Admin(staff_id=people["head"].id or 0, added_on=current_day(), aup_signed=True, training_done=True))
    elif how == "review.overdue":
        change(review_on=current_day() - DAY)
    elif how == "review.missing":
        change(review_on=None)
    elif how == "review.soon":
        change(review_on=current_day() + 5 * DAY)
    elif how == "evaluation.overdue":
        change(evaluation_on=current_day() - DAY)
    elif how == "evaluation.missing":
        change(success_measure="")
    elif how == "images.public":
        change(pupil_images=True)
    elif how == "devices.none":
        change(devices=())
    elif how == "logins.none":
        reg.session.db.remove("account_credentials", cid)  # a register started before SafeDesk: no audited delete
    else:
        raise AssertionError(how)


FINDINGS = {
    "admins.fewer-than-two": ("action", "guide-official-channel-admins"),
    "owner.missing": ("action", "checklist-managing-accounts"),
    "owner.left": ("action", "checklist-managing-accounts"),
    "owner.not-slt": ("advice", "ref-social-media-roles"),
    "approval.missing": ("action", "checklist-creating-accounts"),
    "admins.leaver": ("action", "ref-social-media-roles"),
    "admins.aup-training": ("advice", "guide-official-channel-admins"),
    "mfa.off": ("action", "checklist-school-devices"),
    "mfa.personal-phone": ("action", "pb-account-hacked"),
    "recovery.email": ("action", "pb-account-hacked"),
    "recovery.phone": ("action", "pb-account-hacked"),
    "recovery.missing": ("advice", "pb-account-hacked"),
    "password.not-rotated": ("action", "checklist-creating-accounts"),
    "review.overdue": ("overdue", "checklist-managing-accounts"),
    "review.missing": ("advice", "checklist-managing-accounts"),
    "review.soon": ("due soon", "checklist-managing-accounts"),
    "evaluation.overdue": ("overdue", "guide-official-channel-review"),
    "evaluation.missing": ("advice", "guide-official-channel-review"),
    "images.public": ("action", "guide-official-channel-photos-children"),
    "devices.none": ("advice", "guide-school-owned-devices"),
    "logins.none": ("advice", "checklist-creating-accounts"),
}


@pytest.mark.parametrize("rule", sorted(FINDINGS))
def test_each_health_finding(reg, rule):
    account, credential, people = healthy_account(reg)
    _break(reg, account, credential, people, rule)
    found = {f.rule: f for f in check_register(reg.session)}
    assert rule in found, sorted(found)
    finding = found[rule]
    level, card = FINDINGS[rule]
    assert (finding.level, finding.card) == (level, card)
    assert finding.account == "@OakPrimary (Facebook Page)" and finding.account_id == account.id
    # No person's name in any finding: they reach the home screen and the CLI.
    for person in ("Ann", "Bo", "Cy"):
        assert person not in finding.text
    # Side effects of the set-up stay small: the finding under test is the only one to act on.
    urgent = {r for r, f in found.items() if f.level in ("overdue", "action")}
    expected = {rule} if level in ("overdue", "action") else set()
    if rule == "admins.leaver":
        expected |= {"admins.fewer-than-two", "password.not-rotated"}
    assert urgent == expected, urgent


def test_purpose_mentioning_photos_counts_as_pupil_images_when_public(reg):
    account, _, _ = healthy_account(reg)
    reg.update_details(dataclasses.replace(account, purpose="Share photos of school trips"))
    assert "images.public" in register_rules(reg)
    reg.update_details(dataclasses.replace(reg.account(account.id or 0), visibility=Visibility.PRIVATE))
    assert "images.public" not in register_rules(reg)


def test_closed_accounts_are_not_checked_and_proposals_only_for_their_case(reg):
    account, _, _ = healthy_account(reg)
    reg.set_status(account.id or 0, Status.CLOSED)
    proposal = reg.propose(Account(platform="Instagram", name="@oak_art"))
    assert register_rules(reg) == {"approval.awaiting", "case.runners"}
    assert proposal.status is Status.PROPOSED


def test_every_finding_names_a_card_that_exists():
    library = default_library()
    for _, card in FINDINGS.values():
        assert library.get(card).id == card
    for card in set(PLATFORMS.values()) | {
        "checklist-creating-accounts",
        "checklist-managing-accounts",
        "form-new-account-business-case",
        "pb-account-hacked",
    }:
        assert library.get(card).id == card


def test_findings_reach_the_home_screen_without_names_and_with_unique_targets(reg):
    account, _, people = healthy_account(reg)
    reg.mark_left(people["bo"].id or 0, current_day())
    reg.accounts_repo.save(dataclasses.replace(reg.account(account.id or 0), devices=(), review_on=None))
    items = [i for i in attention(reg.session) if i.area == "accounts"]
    texts = [i.text for i in items]
    assert any("@OakPrimary (Facebook Page): 1 admin has left" in t for t in texts), texts
    advice = [i for i in items if i.level == "advice"]
    assert len(advice) == 1 and "more suggestion" in advice[0].text
    targets = [i.target for i in items]
    assert len(set(targets)) == len(targets) and all(t.startswith(f"accounts/{account.id}#") for t in targets)
    assert not any(name in t for t in texts for name in ("Ann", "Bo ", "Cy"))


def test_verify_reports_the_register(reg):
    healthy_account(reg)
    lines = "\n".join(verify_store(reg.session).lines())
    assert "account register: 1 accounts, 1 logins, 3 staff; every reference resolves" in lines


def test_register_export_leaves_out_secrets_and_recovery_details(reg, tmp_path):
    account, credential, people = healthy_account(reg)
    text = register_markdown(reg.session)
    assert "@OakPrimary (Facebook Page)" in text and "Ann Head" in text and "approved by Ann Head" in text
    for hidden in ("first-secret-value", "office@oak.sch.uk"):
        assert hidden not in text
    assert "Health check: nothing found." in text
    assert account.id and credential.id and people


def test_register_export_treats_user_text_as_data(reg):
    reg.propose(
        Account(platform="Instagram", name="<script>x</script>", purpose="[win](http://evil.example) | `code`\nnext line")
    )
    text = register_markdown(reg.session)
    assert "<script>" not in text and "[win](" not in text and "`code`" not in text
    assert "## \\<script\\>x\\</script\\> (Instagram)" in text
    assert "- Aim: \\[win\\](http://evil.example) \\| \\`code\\` next line" in text


# --------------------------------------------------------------------- dates


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31)))
def test_parse_day_round_trips_both_formats(day):
    assert parse_date(day.isoformat(), "f") == day
    assert parse_date(f"{day.day}/{day.month}/{day.year}", "f") == day


@pytest.mark.parametrize("bad", ["31/02/2026", "2026-13-01", "tomorrow", "1/1/2", "2026/01/01"])
def test_parse_day_refuses_with_the_field_named(bad):
    with pytest.raises(InvalidInput) as error:
        parse_date(bad, "evaluation_on")
    assert error.value.field == "evaluation_on"
    assert parse_date("  ", "x") is None
    with pytest.raises(InvalidInput):
        parse_date("", "x", required=True)


# --------------------------------------------------------------------- the generator


def test_word_list_is_the_eff_large_list_unchanged():
    assert len(WORDS) == 7776 == len(set(WORDS))
    digest = hashlib.sha256(("\n".join(WORDS) + "\n").encode()).hexdigest()
    assert digest == "6d557f0693958fb5e650b68b5bee585eb82cf4da32965505c789e924743bc522"


@settings(max_examples=60)
@given(st.integers(3, 20), st.sampled_from(["-", " ", ".", ""]), st.booleans(), st.booleans())
def test_word_passphrases(count, separator, capitalise, add_digit):
    made = generate(
        GeneratorOptions(kind=Kind.WORDS, length=count, separator=separator, capitalise=capitalise, add_digit=add_digit)
    )
    body = made.value[:-1] if add_digit else made.value
    if add_digit:
        assert made.value[-1].isdigit()
    if separator:
        words = body.split(separator) if separator != "-" else None
        if words is not None:
            assert len(words) == count and all(w.lower() in WORDS for w in words)
    assert made.bits == pytest.approx(count * math.log2(len(SCHOOL_WORDS)) + (math.log2(10) if add_digit else 0))
    assert made.value not in repr(made)


@settings(max_examples=60)
@given(st.integers(8, 128), st.booleans(), st.booleans(), st.booleans())
def test_character_passwords_have_every_chosen_class(length, digits, symbols, avoid):
    made = generate(GeneratorOptions(kind=Kind.CHARACTERS, length=length, digits=digits, symbols=symbols, avoid_lookalikes=avoid))
    value = made.value
    assert len(value) == length
    assert any(c in string.ascii_lowercase for c in value) and any(c in string.ascii_uppercase for c in value)
    assert any(c.isdigit() for c in value) == digits or not digits
    assert digits is False or any(c.isdigit() for c in value)
    assert symbols is False or any(c in SYMBOLS for c in value)
    assert symbols or not any(c in SYMBOLS for c in value)
    assert not avoid or not set(value) & set("0O1lI")
    assert value.isprintable() and " " not in value


def test_generator_refuses_out_of_range_settings():
    for options in (GeneratorOptions(length=2), GeneratorOptions(length=21), GeneratorOptions(kind=Kind.CHARACTERS, length=7)):
        with pytest.raises(InvalidInput) as error:
            generate(options)
        assert error.value.field == "length"
    with pytest.raises(InvalidInput):
        generate(GeneratorOptions(separator="\x1b"))


def test_two_generated_passwords_differ():
    assert len({generate().value for _ in range(20)}) == 20
