"""The account register's health check: what the guidance says must not happen.

Each finding names its rule, how urgent it is (the home screen's levels), a short
sentence without names or secrets, and the guidance card that states the rule, so
a screen can open the card and the CLI can cite it. Findings are computed from the
records every time, so they clear themselves once the thing is put right.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from safedesk.store.accounts.register import (
    BUSINESS_CASE_FORM,
    CHECKLIST_CREATING,
    CHECKLIST_MANAGING,
    Account,
    Credential,
    Mfa,
    Register,
    StaffMember,
    Status,
    Visibility,
    today,
)
from safedesk.store.registry import LEVELS, AttentionItem

if TYPE_CHECKING:
    from safedesk.store.engine.session import Session

DUE_SOON = timedelta(days=14)
# A purpose that talks about pictures of this kind involves pupils' images unless it says otherwise.
_IMAGES = re.compile(r"\b(photo\w*|pictures?|pics|images?|videos?|filming|films?|vlogs?|reels?)\b", re.IGNORECASE)

ADMINS_CARD = "guide-official-channel-admins"
ROLES_CARD = "ref-social-media-roles"
HACKED_CARD = "pb-account-hacked"
DEVICES_CARD = "guide-school-owned-devices"
DEVICE_CHECKLIST = "checklist-school-devices"
REVIEW_CARD = "guide-official-channel-review"
PHOTOS_CARD = "guide-official-channel-photos-children"


@dataclass(frozen=True)
class Finding:
    account_id: int
    account: str  # the account's label: its name/handle and platform, never a person's name
    rule: str  # stable id, e.g. "admins.fewer-than-two"
    level: str  # one of safedesk.store.registry.LEVELS
    text: str
    card: str  # the guidance card stating the rule

    @property
    def line(self) -> str:
        return f"{self.account}: {self.text}"


def _admins(n: int) -> str:
    return f"{n} admin" if n == 1 else f"{n} admins"


def _sorted(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: LEVELS.index(f.level))


def involves_pupil_images(account: Account) -> bool:
    return account.pupil_images or bool(_IMAGES.search(account.purpose))


def check_account(
    account: Account, staff: dict[int, StaffMember], credentials: list[Credential], on: date | None = None
) -> list[Finding]:
    """Every finding for one account, most urgent first."""
    on = on or today()
    found: list[Finding] = []

    def add(rule: str, level: str, text: str, card: str) -> None:
        found.append(Finding(account.id or 0, account.label, rule, level, text, card))

    if account.status is Status.CLOSED:
        return []
    if account.status is Status.PROPOSED:
        if account.rejected:
            add(
                "approval.rejected",
                "advice",
                "SLT rejected the proposal: revise the business case or close it",
                BUSINESS_CASE_FORM,
            )
        else:
            add("approval.awaiting", "advice", "proposed: waiting for SLT's decision on the business case", BUSINESS_CASE_FORM)
        if len(account.runner_ids) < 2:
            add("case.runners", "advice", "the business case names fewer than two staff to run it", BUSINESS_CASE_FORM)
        return _sorted(found)

    # ---- approval and ownership
    if not account.approved:
        text = "active on an override, without SLT approval" if account.override else "no SLT approval recorded"
        add("approval.missing", "action", text, CHECKLIST_CREATING)
    owner = staff.get(account.owner_id) if account.owner_id is not None else None
    if owner is None:
        add("owner.missing", "action", "no responsible owner (SLT) named", CHECKLIST_MANAGING)
    elif owner.has_left(on):
        add("owner.left", "action", "the responsible owner has left the school: name a new one", CHECKLIST_MANAGING)
    elif not owner.slt:
        add("owner.not-slt", "advice", "the responsible owner is not on the senior leadership team", ROLES_CARD)

    # ---- admins
    active = account.active_admins
    leavers = [a for a in active if a.staff_id in staff and staff[a.staff_id].has_left(on)]
    in_post = len(active) - len(leavers)
    if in_post < 2:
        add("admins.fewer-than-two", "action", f"fewer than two admins in post ({in_post})", ADMINS_CARD)
    if leavers:
        n = len(leavers)
        verbs = ("has", "is") if n == 1 else ("have", "are")
        add(
            "admins.leaver",
            "action",
            f"{_admins(n)} {verbs[0]} left the school but {verbs[1]} still listed: remove their access",
            ROLES_CARD,
        )
    leaving_on = [
        left_on
        for a in active
        if a.staff_id in staff and (left_on := staff[a.staff_id].left_on) is not None and not staff[a.staff_id].has_left(on)
    ]
    if leaving_on:
        first = min(leaving_on)
        add("admins.leaving", "due soon", f"an admin leaves on {first.isoformat()}: plan removing their access", ROLES_CARD)
    unprepared = [a for a in active if not (a.aup_signed and a.training_done)]
    if unprepared:
        add("admins.aup-training", "advice", f"{_admins(len(unprepared))} without a signed AUP or training recorded", ADMINS_CARD)

    # ---- logins: MFA, recovery, rotation after a departure
    departures = [a.removed_on for a in account.admins if a.removed_on]
    departures += [
        left_on
        for a in account.admins
        if a.active and a.staff_id in staff and staff[a.staff_id].has_left(on) and (left_on := staff[a.staff_id].left_on)
    ]
    last_departure = max(departures) if departures else None
    if not credentials and account.status is Status.ACTIVE:
        add("logins.none", "advice", "no login recorded: keep it in SafeDesk so the school keeps access", CHECKLIST_CREATING)
    for credential in credentials:
        who = f"{credential.label}: " if len(credentials) > 1 else ""
        if credential.mfa is Mfa.NONE:
            add("mfa.off", "action", f"{who}multi-factor authentication is off", DEVICE_CHECKLIST)
        elif credential.factor_personal_phone:
            add("mfa.personal-phone", "action", f"{who}the second factor is on one person's personal phone", HACKED_CARD)
        if credential.recovery_email and not credential.recovery_email_school:
            add("recovery.email", "action", f"{who}the recovery email is not one the school controls", HACKED_CARD)
        if credential.recovery_phone and not credential.recovery_phone_school:
            add("recovery.phone", "action", f"{who}the recovery phone is not one the school controls", HACKED_CARD)
        if not credential.recovery_email and not credential.recovery_phone:
            add("recovery.missing", "advice", f"{who}no recovery email or phone recorded", HACKED_CARD)
        known = credential.has_password or credential.changed_on is not None
        if known and last_departure and (credential.changed_on is None or credential.changed_on < last_departure):
            add(
                "password.not-rotated",
                "action",
                f"{who}password not changed since an admin left or lost access ({last_departure.isoformat()})",
                CHECKLIST_CREATING,
            )

    # ---- reviews
    if account.review_on is None:
        add("review.missing", "advice", "no date set for the next access and password review", CHECKLIST_MANAGING)
    elif account.review_on < on:
        add(
            "review.overdue",
            "overdue",
            f"access and password review overdue since {account.review_on.isoformat()}",
            CHECKLIST_MANAGING,
        )
    elif account.review_on - on <= DUE_SOON:
        add("review.soon", "due soon", f"access and password review due {account.review_on.isoformat()}", CHECKLIST_MANAGING)
    if account.evaluation_on is not None and account.evaluation_on < on:
        add(
            "evaluation.overdue",
            "overdue",
            f"evaluation against its aims overdue since {account.evaluation_on.isoformat()}",
            REVIEW_CARD,
        )
    elif account.status is Status.ACTIVE and (account.evaluation_on is None or not account.success_measure.strip()):
        add("evaluation.missing", "advice", "no evaluation date or success measure set", REVIEW_CARD)

    # ---- content and devices
    if account.visibility is Visibility.PUBLIC and involves_pupil_images(account):
        why = "it posts pupil photos or videos" if account.pupil_images else "its aim mentions photos or videos"
        add("images.public", "action", f"public, and {why}: check consent and consider a closed channel", PHOTOS_CARD)
    if not account.devices:
        add("devices.none", "advice", "no devices recorded that it may be used from", DEVICES_CARD)
    return _sorted(found)


def check_register(session: Session, on: date | None = None) -> list[Finding]:
    """Every finding across the register, most urgent first."""
    register = Register(session)
    staff = register.staff_by_id()
    by_account: dict[int, list[Credential]] = {}
    for credential in register.credentials():
        by_account.setdefault(credential.account_id, []).append(credential)
    findings = [
        f for account in register.accounts() for f in check_account(account, staff, by_account.get(account.id or 0, []), on)
    ]
    return _sorted(findings)


def summary(findings: list[Finding]) -> str:
    """A health badge in words (never colour alone): 'OK', '2 to act on', '1 overdue, 1 to act on'..."""
    if not findings:
        return "OK"
    words = {"overdue": "overdue", "action": "to act on", "due soon": "due soon", "advice": "advice"}
    counts = [(level, sum(1 for f in findings if f.level == level)) for level in LEVELS]
    return ", ".join(f"{n} {words[level]}" for level, n in counts if n)


def attention_items(session: Session) -> Iterable[AttentionItem]:
    """Home-screen items: account label and finding (no names, no secrets).

    Each finding to act on is its own item; an account's advice is folded into one item
    so suggestions do not bury what is urgent. Targets are "accounts/<id>#<rule>": unique,
    because the home screen uses them as option ids.
    """
    advice: dict[int, list[Finding]] = {}
    for finding in check_register(session):
        if finding.level == "advice":
            advice.setdefault(finding.account_id, []).append(finding)
        else:
            yield AttentionItem(finding.level, finding.line, "accounts", f"accounts/{finding.account_id}#{finding.rule}")
    for account_id, items in advice.items():
        more = f" (and {len(items) - 1} more suggestion{'s' if len(items) > 2 else ''})" if len(items) > 1 else ""
        yield AttentionItem("advice", items[0].line + more, "accounts", f"accounts/{account_id}#advice")
