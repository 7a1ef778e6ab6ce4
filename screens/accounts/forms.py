"""The account register's forms: the account and its business case, SLT's decision,
status changes (with the audited override), reviews and admins.

Every form is a `RegisterForm`, the one form framework's dialog (safedesk.widgets.forms)
with the register's stylesheet. The store's rules decide what is accepted; a refusal is
shown next to the field it names.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Select, Static

from safedesk.store.accounts.register import (
    COMMENTS_LABELS,
    PLATFORMS,
    SETTABLE,
    Account,
    Admin,
    Comments,
    Register,
    StaffMember,
    Status,
    Visibility,
    today,
)
from safedesk.store.errors import InvalidInput, SafeDeskError
from safedesk.store.text.dates import DATE_HINT, parse_date, show_date
from safedesk.store.text.limits import Kind, limit
from safedesk.widgets.common import Field, plain
from safedesk.widgets.forms import ModalForm
from safedesk.widgets.host import session_of
from safedesk.widgets.ticks import Tick, TickList

T = TypeVar("T")
REVIEW_EVERY = timedelta(days=182)  # a suggestion for the next review: about twice a year
NO_SLT = "No one is marked SLT on the staff register yet: mark them there (s on the register), then choose here."


def day_text(value: date | None) -> str:
    return show_date(value)


def text_field(label: str, field_id: str, value: str = "", **options: Any) -> Field:
    options.setdefault("max_length", limit(Kind.SHORT))
    return Field(label, Input(value=value, compact=True, id=f"in-{field_id}", **options), field_id=field_id)


def date_field(label: str, field_id: str, value: date | None) -> Field:
    return text_field(label, field_id, day_text(value), placeholder=DATE_HINT, max_length=limit(Kind.DATE))


def select_field(label: str, field_id: str, options: list[tuple[str, Any]], value: Any, *, blank: bool = False) -> Field:
    select: Select[Any] = Select(
        [(plain(text), key) for text, key in options],
        value=value if value is not None else Select.NULL,
        allow_blank=blank,
        prompt="(none)",
        compact=True,
        id=f"in-{field_id}",
    )
    return Field(label, select, field_id=field_id)


def check(label: str, field_id: str, value: bool) -> Field:
    return Field(None, Tick(plain(label), value, compact=True, id=f"in-{field_id}"), field_id=field_id)


def staff_options(staff: list[StaffMember], *, slt_only: bool = False, keep: set[int] | None = None) -> list[tuple[str, int]]:
    """Staff still in post (SLT only if asked), plus any already chosen so a saved choice still shows."""
    keep = keep or set()
    chosen = [s for s in staff if s.id is not None and (s.id in keep or (not s.has_left() and (s.slt or not slt_only)))]
    return [(s.label + (" - left" if s.has_left() else ""), s.id) for s in chosen if s.id is not None]


class RegisterForm(ModalForm[T]):
    """A form of the account register: the register's styles and the store it saves to."""

    CSS_PATH = "register.tcss"

    @property
    def register(self) -> Register:
        return Register(session_of(self.app))

    def day(self, field_id: str, *, required: bool = False) -> date | None:
        return parse_date(self.value(field_id), field_id, required=required)


# --------------------------------------------------------------------- the account and its business case


class AccountForm(RegisterForm[int]):
    """A new proposal (with its business case) or the details of an existing account."""

    wide = True

    def __init__(self, account: Account | None = None) -> None:
        super().__init__()
        self.account = account
        self.heading = "Edit account details" if account else "Propose a new official account"
        self.intro = (
            "The business case goes to SLT; the account is not created on the platform until SLT approves it."
            if account is None
            else ""
        )

    def form(self) -> ComposeResult:
        a = self.account or Account(platform="Facebook Page", name="")
        staff = self.register.staff()
        yield Static("The account", classes="section")
        yield select_field("Platform", "platform", [(p, p) for p in PLATFORMS], a.platform)
        yield text_field("Account name or handle", "name", a.name, max_length=limit(Kind.NAME), placeholder="e.g. @OakPrimary")
        yield text_field("Web address", "url", a.url, max_length=limit(Kind.URL), placeholder="https://...")
        yield text_field("Aim: what is it for?", "purpose", a.purpose, max_length=limit(Kind.LONG))
        yield text_field("Audience: who is it for?", "audience", a.audience)
        yield text_field("Promotion: how will people find it?", "promotion", a.promotion)
        yield select_field("Visibility", "visibility", [(v.value, v) for v in Visibility], a.visibility)
        yield select_field("Comments", "comments", [(COMMENTS_LABELS[c], c) for c in Comments], a.comments)
        yield check("It posts photos or videos of pupils", "pupil_images", a.pupil_images)
        owners = staff_options(staff, slt_only=True, keep={a.owner_id} - {None})  # type: ignore[arg-type]
        if not owners:
            yield Static(NO_SLT, classes="warning-note")
        yield select_field("Responsible owner (SLT)", "owner_id", owners, a.owner_id, blank=True)
        yield text_field(
            "Devices it may be used from (comma between)", "devices", ", ".join(a.devices), max_length=limit(Kind.LONG)
        )
        yield date_field("Evaluation date", "evaluation_on", a.evaluation_on)
        yield text_field(
            "Success measure", "success_measure", a.success_measure, placeholder="e.g. a quarter of parents follow it"
        )
        yield date_field("Next access and password review", "review_on", a.review_on)
        yield Static("Business case (001)", classes="section")
        yield text_field("Proposed by (name and role)", "proposed_by", a.proposed_by)
        runners = TickList(
            *[
                (plain(label), staff_id, staff_id in a.runner_ids)
                for label, staff_id in staff_options(staff, keep=set(a.runner_ids))
            ],
            id="in-runner_ids",
            compact=True,
        )
        yield Field("Staff who will run it (at least two; Space ticks)", runners, field_id="runner_ids")
        yield text_field("Anyone not employed by the school helping (volunteers, parents)", "volunteers", a.volunteers)
        yield check("Everyone running it has read the social media policy", "policy_read", a.policy_read)
        yield check("Everyone running it has had suitable training", "training_done", a.training_done)
        yield text_field("Notes", "notes", a.notes, max_length=limit(Kind.LONG))

    def save(self, values: dict[str, Any]) -> int:
        base = self.account or Account(platform="", name="")
        values = dict(
            platform=self.value("platform") or "",
            name=self.value("name"),
            url=self.value("url").strip(),
            purpose=self.value("purpose"),
            audience=self.value("audience"),
            promotion=self.value("promotion"),
            visibility=self.value("visibility"),
            comments=self.value("comments"),
            pupil_images=self.value("pupil_images"),
            owner_id=self.value("owner_id"),
            devices=tuple(d.strip() for d in self.value("devices").split(",") if d.strip()),
            evaluation_on=self.day("evaluation_on"),
            success_measure=self.value("success_measure"),
            review_on=self.day("review_on"),
            proposed_by=self.value("proposed_by"),
            runner_ids=self.value("runner_ids"),
            volunteers=self.value("volunteers"),
            policy_read=self.value("policy_read"),
            training_done=self.value("training_done"),
            notes=self.value("notes"),
        )
        account = dataclasses.replace(base, **values)
        saved = self.register.update_details(account) if self.account else self.register.propose(account)
        return saved.id or 0


# --------------------------------------------------------------------- SLT's decision


def case_checks(account: Account) -> list[str]:
    """001's questions about the business case, answered in words."""
    runners = len(account.runner_ids)

    def mark(ok: bool) -> str:
        return "yes" if ok else "NO "

    return [
        f"{mark(bool(account.purpose.strip()))}  Aim written down",
        f"{mark(bool(account.audience.strip()))}  Audience named",
        f"{mark(bool(account.promotion.strip()))}  How it will be promoted",
        f"{mark(runners >= 2)}  At least two staff named to run it ({runners})",
        f"{mark(account.policy_read)}  Everyone running it has read the policy",
        f"{mark(account.training_done)}  Everyone running it has been trained",
        f"      Visibility: {account.visibility.value}; comments {COMMENTS_LABELS[account.comments]}",
    ]


class DecisionForm(RegisterForm[bool]):
    """SLT approves or rejects the business case: who decided, when, and why."""

    save_label = "Record the decision (Ctrl+S)"

    def __init__(self, account: Account) -> None:
        super().__init__()
        self.account = account
        self.heading = f"SLT decision: {account.label}"

    def form(self) -> ComposeResult:
        yield Static(plain("\n".join(case_checks(self.account))), classes="case-checks")
        yield select_field("Decision", "approved", [("Approve", True), ("Reject", False)], True)
        deciders = staff_options(self.register.staff(), slt_only=True)
        if not deciders:
            yield Static(NO_SLT, classes="warning-note")
        yield select_field("Decided by (SLT)", "by_id", deciders, None, blank=True)
        yield date_field("Date of the decision", "decided_on", today())
        yield text_field("Reasons (needed for a rejection)", "reasons", max_length=limit(Kind.LONG))

    def save(self, values: dict[str, Any]) -> bool:
        approved = bool(self.value("approved"))
        self.register.decide(
            self.account.id or 0,
            approved=approved,
            by_id=self.value("by_id"),
            on=self.day("decided_on", required=True) or today(),
            reasons=self.value("reasons"),
        )
        return approved


# --------------------------------------------------------------------- status


class StatusForm(RegisterForm[Status]):
    """Make an account active, pause it or close it; activating without approval needs an override."""

    save_label = "Change status (Ctrl+S)"

    def __init__(self, account: Account) -> None:
        super().__init__()
        self.account = account
        self.heading = f"Status: {account.label} (now {account.status_label})"

    def form(self) -> ComposeResult:
        current = self.account.status
        # Pausing is for an account in use; closing is always possible.
        choices = [(s.value, s) for s in SETTABLE if s is not current and (s is not Status.PAUSED or current is Status.ACTIVE)]
        yield select_field("New status", "status", choices, choices[0][1])
        yield Static("", id="override-note", classes="warning-note")
        yield text_field(
            "Reason for overriding SLT approval (recorded in the audit log)", "override", max_length=limit(Kind.LONG)
        )

    def on_mount(self) -> None:
        self._show_override()

    @on(Select.Changed, "#in-status")
    def _show_override(self) -> None:
        needed = self.value("status") is Status.ACTIVE and not self.account.approved
        self.query_one("#field-override").display = needed
        note = self.query_one("#override-note", Static)
        note.display = needed
        note.update(
            "SLT has not approved this account. It should not go live until they do: record their decision "
            "with 'a' on the account. Only if you must, give a reason below to override; the override is "
            "recorded with your name in the audit log and shown on the account."
            if needed
            else ""
        )

    def save(self, values: dict[str, Any]) -> Status:
        status: Status = self.value("status")
        reason = self.value("override") if self.query_one("#field-override").display else ""
        try:
            self.register.set_status(self.account.id or 0, status, reason)
        except SafeDeskError as error:
            if status is Status.ACTIVE and not self.account.approved:
                raise InvalidInput(str(error), "override") from None
            raise
        return status


# --------------------------------------------------------------------- review


class ReviewForm(RegisterForm[bool]):
    """Record the periodic review of admins and passwords, and set the next one."""

    def __init__(self, account: Account) -> None:
        super().__init__()
        self.account = account
        self.heading = f"Access and password review: {account.label}"
        self.intro = (
            "Check who has admin access, remove leavers, check MFA and recovery details. "
            "Change a password only for a reason (a leaver, a suspected compromise, a breach); "
            "there is no need to change it just because time passed (NCSC)."
        )

    def form(self) -> ComposeResult:
        yield date_field("Reviewed on", "reviewed_on", today())
        yield date_field("Next review", "review_on", today() + REVIEW_EVERY)

    def save(self, values: dict[str, Any]) -> bool:
        self.register.record_review(
            self.account.id or 0, self.day("reviewed_on", required=True) or today(), self.day("review_on")
        )
        return True


# --------------------------------------------------------------------- admins


class AdminForm(RegisterForm[bool]):
    """Add an admin, or change one (including the date their access was removed)."""

    def __init__(self, account: Account, index: int | None = None) -> None:
        super().__init__()
        self.account = account
        self.index = index
        self.admin = account.admins[index] if index is not None else None
        self.heading = f"{'Admin' if self.admin else 'Add an admin'}: {account.label}"

    def form(self) -> ComposeResult:
        admin = self.admin or Admin(staff_id=0, added_on=today())
        keep = {admin.staff_id} if self.admin else set()
        people = staff_options(self.register.staff(), keep=keep)
        if not people:
            yield Static(
                "The staff register is empty: add the people who run accounts there first (s on the register).",
                classes="warning-note",
            )
        yield select_field("Member of staff", "staff_id", people, admin.staff_id or None, blank=True)
        yield text_field(
            "Role on the platform",
            "platform_role",
            admin.platform_role,
            max_length=limit(Kind.SHORT),
            placeholder="e.g. Admin, Editor, Moderator",
        )
        yield date_field("Access given on", "added_on", admin.added_on)
        yield check("Has signed the acceptable use policy (AUP)", "aup_signed", admin.aup_signed)
        yield check("Has had training for this account", "training_done", admin.training_done)
        if self.admin:
            yield date_field("Access removed on (after removing it on the platform)", "removed_on", admin.removed_on)

    def save(self, values: dict[str, Any]) -> bool:
        staff_id = self.value("staff_id")
        if staff_id is None:
            raise InvalidInput("Choose the member of staff (add them to the staff register first).", "staff_id")
        admin = Admin(
            staff_id=staff_id,
            platform_role=self.value("platform_role").strip() or "Admin",
            added_on=self.day("added_on", required=True) or today(),
            aup_signed=self.value("aup_signed"),
            training_done=self.value("training_done"),
            removed_on=self.day("removed_on") if self.admin else None,
        )
        if self.index is None:
            self.register.add_admin(self.account.id or 0, admin)
        else:
            self.register.update_admin(self.account.id or 0, self.index, admin)
        return True
