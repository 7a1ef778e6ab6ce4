"""The register of the school's official social media accounts, their admins and credentials.

Rules come from the guidance: an account is proposed with a business case naming at
least two staff (001), SLT approves or rejects it with who and when, and it cannot go
live without that approval unless someone records an override with a reason (audited).
Admins are staff from the staff register; marking a member of staff as left flags every
account they ran for access removal and a password change (the health check then keeps
the flag up until both are done). Passwords are kept with their history; they change on
events (a leaver, a suspected compromise, a breach), not on a timer (NCSC), and each
account has a periodic access and password review date.

Secrets are stored only in the encrypted store. They never appear in an audit summary,
an exception, a repr, a notification or the register export.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, ClassVar

from safedesk.store.engine.records import Record, require, utcnow
from safedesk.store.engine.verify import Check
from safedesk.store.errors import InvalidInput, NotAllowed, RecordNotFound
from safedesk.store.text.dates import local_today
from safedesk.store.text.limits import Kind

if TYPE_CHECKING:
    from safedesk.store.engine.session import Session

# Platforms offered when registering an account, each with the guidance card about it.
PLATFORMS: dict[str, str] = {
    "Facebook Page": "platform-facebook-page",
    "Facebook group": "platform-facebook-group",
    "Instagram": "platform-instagram",
    "X (Twitter)": "platform-x-twitter",
    "YouTube": "platform-youtube",
    "WhatsApp": "platform-whatsapp-group-chats",
    "Microsoft Teams": "platform-teams-messaging",
    "TikTok": "guide-choosing-platform",
    "LinkedIn": "guide-choosing-platform",
    "Other": "guide-choosing-platform",
}
CHECKLIST_CREATING = "checklist-creating-accounts"
CHECKLIST_MANAGING = "checklist-managing-accounts"
BUSINESS_CASE_FORM = "form-new-account-business-case"

# Older password values beyond this many are forgotten (their dates and reasons are kept):
# an old password is a liability, and no one needs the tenth-last one.
HISTORY_VALUES = 10
MAX_SECRET = 1024
_URL = re.compile(r"^(https?://)?[\w-]+(\.[\w-]+)+(:\d+)?(/\S*)?$", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[\d\s().-]{6,30}$")
# What a sign-in form can never take: C0/C1 controls (incl. Tab, line breaks, Esc) and bidi overrides.
_UNTYPABLE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


# Plain Enum, not StrEnum: Record.cleaned() would turn a StrEnum value into a plain str.
class Visibility(Enum):
    PUBLIC = "public"
    PRIVATE = "private"
    CLOSED = "closed"
    SECRET = "secret"
    UNLISTED = "unlisted"


class Comments(Enum):
    OFF = "off"  # one-way: broadcast only
    MODERATED = "moderated"  # on, with filters and someone checking
    OPEN = "open"


COMMENTS_LABELS = {
    Comments.OFF: "off (broadcast only)",
    Comments.MODERATED: "on, moderated",
    Comments.OPEN: "on, open",
}


class Status(Enum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


# Statuses an account in use can be moved to with set_status (approval is its own step).
SETTABLE = (Status.ACTIVE, Status.PAUSED, Status.CLOSED)


class Mfa(Enum):
    NONE = "none"
    APP = "authenticator app"
    SMS = "text message"
    KEY = "security key"
    PASSKEY = "passkey"
    EMAIL = "email code"


class ChangeReason(Enum):
    SETUP = "setup"
    LEAVER = "leaver"
    COMPROMISE = "suspected compromise"
    BREACH = "breach"
    REVIEW = "review"


def today() -> date:
    return local_today()


def _require_length(value: str, limit: int, what: str, field_name: str) -> None:
    require(len(value) <= limit, f"Keep {what} under {limit:,} characters.", field_name)


# --------------------------------------------------------------------- staff


@dataclass(kw_only=True)
class StaffMember(Record):
    """A member of staff who may run, own or approve accounts; never deleted, marked as left."""

    LIMITS: ClassVar[dict[str, Kind]] = {"name": Kind.NAME}

    TABLE: ClassVar[str] = "account_staff"

    name: str
    role: str = ""  # job title, e.g. "Deputy head"
    slt: bool = False  # on the senior leadership team: may own accounts and approve them
    left_on: date | None = None
    added_at: datetime = field(default_factory=utcnow)

    def validate(self) -> None:
        require(bool(self.name.strip()), "Enter the person's name.", "name")
        _require_length(self.name, 80, "the name", "name")
        _require_length(self.role, 80, "the role", "role")

    def has_left(self, on: date | None = None) -> bool:
        return self.left_on is not None and self.left_on <= (on or today())

    @property
    def label(self) -> str:
        return f"{self.name} ({self.role})" if self.role else self.name


# --------------------------------------------------------------------- accounts


@dataclass(kw_only=True)
class Admin:
    """A member of staff with a role on the platform for one account."""

    staff_id: int
    added_on: date
    platform_role: str = "Admin"
    aup_signed: bool = False
    training_done: bool = False
    removed_on: date | None = None

    @property
    def active(self) -> bool:
        return self.removed_on is None


@dataclass(kw_only=True)
class Decision:
    """SLT's decision on the business case: who decided, when, and why."""

    LIMITS: ClassVar[dict[str, Kind]] = {"reasons": Kind.LONG}

    approved: bool
    by_id: int  # the SLT member (staff register)
    on: date
    reasons: str = ""
    recorded_at: datetime = field(default_factory=utcnow)


@dataclass(kw_only=True)
class Override:
    """Activation without SLT approval: who did it, when and why (also in the audit log)."""

    LIMITS: ClassVar[dict[str, Kind]] = {"reason": Kind.LONG, "by": Kind.NAME}

    reason: str
    by: str
    at: datetime = field(default_factory=utcnow)


@dataclass(kw_only=True)
class Account(Record):
    TABLE: ClassVar[str] = "accounts"
    MULTILINE: ClassVar[frozenset[str]] = frozenset({"purpose", "notes"})
    LIMITS: ClassVar[dict[str, Kind]] = {
        "platform": Kind.NAME,
        "name": Kind.NAME,
        "url": Kind.URL,
        "devices": Kind.NAME,
    }

    platform: str
    name: str  # the account's name or handle, e.g. "@OakPrimary"
    url: str = ""
    purpose: str = ""  # aim: what it is for
    audience: str = ""
    promotion: str = ""  # how people will find out about it
    visibility: Visibility = Visibility.PUBLIC
    comments: Comments = Comments.MODERATED
    owner_id: int | None = None  # responsible SLT member
    status: Status = Status.PROPOSED
    evaluation_on: date | None = None
    success_measure: str = ""
    review_on: date | None = None  # next periodic review of admins and credentials
    reviewed_on: date | None = None
    pupil_images: bool = False  # posts photos or videos of pupils
    devices: tuple[str, ...] = ()  # devices it may be used from
    # The business case (001): who proposed it, who will run it, and the checks SLT asks about.
    proposed_by: str = ""
    proposed_on: date | None = None
    runner_ids: tuple[int, ...] = ()
    volunteers: str = ""  # anyone not employed by the school who helps run it
    policy_read: bool = False
    training_done: bool = False
    decisions: tuple[Decision, ...] = ()
    override: Override | None = None
    admins: tuple[Admin, ...] = ()
    notes: str = ""
    created_at: datetime = field(default_factory=utcnow)

    def cleaned(self) -> Account:
        base = super().cleaned()
        return dataclasses.replace(
            base,
            devices=tuple(d for d in base.devices if d),
        )

    def validate(self) -> None:
        require(self.platform in PLATFORMS, "Choose the platform from the list.", "platform")
        require(bool(self.name.strip()), "Enter the account's name or handle.", "name")
        _require_length(self.name, 120, "the name", "name")
        _require_length(self.url, 300, "the web address", "url")
        require(not self.url or bool(_URL.match(self.url)), "Enter a web address like https://facebook.com/oakprimary.", "url")
        _require_length(self.purpose, 2000, "the aim", "purpose")
        for name in ("audience", "promotion", "success_measure", "proposed_by", "volunteers"):
            _require_length(getattr(self, name), 300, "this answer", name)
        _require_length(self.notes, 4000, "the notes", "notes")
        require(len(self.devices) <= 30, "List at most 30 devices.", "devices")
        require(all(len(d) <= 80 for d in self.devices), "Keep each device's name under 80 characters.", "devices")
        require(len(set(self.runner_ids)) == len(self.runner_ids), "Each member of staff is named once.", "runner_ids")
        for decision in self.decisions:
            _require_length(decision.reasons, 1000, "the reasons", "reasons")
            require(decision.approved or bool(decision.reasons.strip()), "Give the reasons for rejecting it.", "reasons")
            require(decision.on <= today(), "The decision date cannot be in the future.", "decided_on")
        if self.approved:
            require(
                len(self.runner_ids) >= 2,
                "The business case must name at least two staff who will run the account before SLT approves it.",
                "runner_ids",
            )
        if self.override is not None:
            require(len(self.override.reason.strip()) >= 10, "Give the reason for the override in a sentence.", "override")
            _require_length(self.override.reason, 500, "the reason", "override")
        require(
            self.status is not Status.ACTIVE or self.approved or self.override is not None,
            "SLT has not approved this account: record the approval first, or an override with its reason.",
            "status",
        )
        require(self.status is not Status.APPROVED or self.approved, "Only an SLT approval makes an account approved.", "status")
        active_staff = [a.staff_id for a in self.admins if a.active]
        require(len(set(active_staff)) == len(active_staff), "That person is already an admin of this account.", "staff_id")
        for admin in self.admins:
            _require_length(admin.platform_role, 40, "the platform role", "platform_role")
            require(
                admin.removed_on is None or admin.removed_on >= admin.added_on,
                "Access cannot be removed before it was given.",
                "removed_on",
            )

    # ----------------------------------------------------------------- derived

    @property
    def decision(self) -> Decision | None:
        return self.decisions[-1] if self.decisions else None

    @property
    def approved(self) -> bool:
        return self.decision is not None and self.decision.approved

    @property
    def rejected(self) -> bool:
        return self.decision is not None and not self.decision.approved

    @property
    def label(self) -> str:
        """Name and platform: how the account is named on screens and in findings (not personal data)."""
        return f"{self.name} ({self.platform})"

    @property
    def status_label(self) -> str:
        if self.status is Status.PROPOSED and self.rejected:
            return "rejected"
        if self.status is Status.ACTIVE and not self.approved:
            return "active (override)"
        return self.status.value

    @property
    def platform_card(self) -> str:
        return PLATFORMS.get(self.platform, "guide-choosing-platform")

    @property
    def active_admins(self) -> list[Admin]:
        return [a for a in self.admins if a.active]

    @property
    def live(self) -> bool:
        """Set up or in use: the rules for running an account apply."""
        return self.status in (Status.APPROVED, Status.ACTIVE, Status.PAUSED)


# --------------------------------------------------------------------- credentials


@dataclass(kw_only=True)
class PasswordChange(Record):
    """A previous password of one login: its value (until forgotten), when it was set, why it was replaced.

    Its own table, so reading the register (every screen, the health check) never decodes
    the history, and it can grow without slowing anything but the history view.
    """

    LIMITS: ClassVar[dict[str, Kind]] = {"password": Kind.PASSPHRASE}

    TABLE: ClassVar[str] = "account_password_history"

    credential_id: int
    password: str = field(default="", repr=False)
    set_on: date | None = None
    reason: ChangeReason = ChangeReason.SETUP  # why the value was set
    replaced_on: date | None = None
    replaced_because: ChangeReason = ChangeReason.REVIEW

    def cleaned(self) -> PasswordChange:
        return dataclasses.replace(super().cleaned(), password=self.password)  # kept exactly, like the current one


@dataclass(kw_only=True)
class Credential(Record):
    """One login for an account (most have one; a Page run through admins' own logins may have several)."""

    LIMITS: ClassVar[dict[str, Kind]] = {"label": Kind.NAME, "password": Kind.PASSPHRASE, "factor_holder": Kind.NAME}

    TABLE: ClassVar[str] = "account_credentials"
    MULTILINE: ClassVar[frozenset[str]] = frozenset({"notes"})

    account_id: int
    label: str = "Main login"
    login: str = ""  # email or username
    password: str = field(default="", repr=False)
    recovery_email: str = ""
    recovery_email_school: bool = False  # the school controls that mailbox
    recovery_phone: str = ""
    recovery_phone_school: bool = False
    mfa: Mfa = Mfa.NONE
    factor_holder: str = ""  # who or what holds the second factor, e.g. "office iPad"
    factor_personal_phone: bool = False  # ... and it is one person's own phone
    backup_codes_at: str = ""  # where the backup codes are kept (never the codes)
    changed_on: date | None = None
    change_reason: ChangeReason = ChangeReason.SETUP
    notes: str = ""

    def cleaned(self) -> Credential:
        # The password is kept exactly as typed (a cleaned password would not sign in); validate()
        # refuses the characters no sign-in form accepts rather than silently changing it.
        return dataclasses.replace(super().cleaned(), password=self.password)

    def validate(self) -> None:
        require(bool(self.label.strip()), "Name this login, e.g. Main login.", "label")
        _require_length(self.label, 60, "the name", "label")
        _require_length(self.login, 200, "the login", "login")
        require(len(self.password) <= MAX_SECRET, f"Keep the password under {MAX_SECRET:,} characters.", "password")
        require(
            not _UNTYPABLE.search(self.password),
            "The password holds a control character (such as Esc, Tab or a line break) that no sign-in form takes: remove it.",
            "password",
        )
        require(
            not self.recovery_email or bool(_EMAIL.match(self.recovery_email)),
            "Enter the recovery email like office@school.sch.uk.",
            "recovery_email",
        )
        _require_length(self.recovery_email, 200, "the recovery email", "recovery_email")
        require(
            not self.recovery_phone or bool(_PHONE.match(self.recovery_phone)),
            "Enter the recovery phone as digits, e.g. 01632 960123.",
            "recovery_phone",
        )
        _require_length(self.factor_holder, 120, "who holds the second factor", "factor_holder")
        _require_length(self.backup_codes_at, 200, "where the backup codes are", "backup_codes_at")
        _require_length(self.notes, 2000, "the notes", "notes")
        require(self.changed_on is None or self.changed_on <= today(), "The date changed cannot be in the future.", "changed_on")

    @property
    def has_password(self) -> bool:
        return bool(self.password)


# --------------------------------------------------------------------- the register


class Register:
    """Every read and write of the accounts feature, on one session.

    Writes go through repositories (validated, cleaned, audited in one transaction);
    cross-record rules (the approver is on SLT, the admin is on the staff register)
    are checked here because a record cannot see the others.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.staff_repo = session.repo(StaffMember)
        self.accounts_repo = session.repo(Account)
        self.credentials_repo = session.repo(Credential)
        self.history_repo = session.repo(PasswordChange)

    # ----------------------------------------------------------------- reads

    def staff(self) -> list[StaffMember]:
        return sorted(self.staff_repo.all(), key=lambda s: (s.left_on is not None, s.name.casefold()))

    def staff_by_id(self) -> dict[int, StaffMember]:
        return {s.id: s for s in self.staff_repo.all() if s.id is not None}

    def staff_member(self, staff_id: int) -> StaffMember:
        return self.staff_repo.get(staff_id)

    def accounts(self) -> list[Account]:
        order = {s: i for i, s in enumerate((Status.ACTIVE, Status.PAUSED, Status.APPROVED, Status.PROPOSED, Status.CLOSED))}
        return sorted(self.accounts_repo.all(), key=lambda a: (order[a.status], a.name.casefold()))

    def account(self, account_id: int) -> Account:
        return self.accounts_repo.get(account_id)

    def credentials(self, account_id: int | None = None) -> list[Credential]:
        found = self.credentials_repo.all()
        return [c for c in found if account_id is None or c.account_id == account_id]

    def credential(self, credential_id: int) -> Credential:
        return self.credentials_repo.get(credential_id)

    def find_staff(self, who: str) -> StaffMember:
        """A member of staff by id or by name (case-insensitive; must be unambiguous)."""
        if who.isdigit():
            return self.staff_member(int(who))
        matches = [s for s in self.staff_repo.all() if s.name.casefold() == who.strip().casefold()]
        if len(matches) != 1:
            problem = "No one" if not matches else "More than one person"
            raise InvalidInput(f"{problem} on the staff register has that name: give their number instead.", "staff")
        return matches[0]

    # ----------------------------------------------------------------- staff

    def add_staff(self, member: StaffMember) -> StaffMember:
        return self.staff_repo.add(member, summary="member of staff added to the staff register")

    def save_staff(self, member: StaffMember) -> StaffMember:
        return self.staff_repo.save(member)

    def mark_left(self, staff_id: int, left_on: date) -> LeaverReport:
        """Record a leaver and report every account they administered or own.

        The accounts are flagged by the health check until their access is removed and each
        password has been changed after the leaving date; nothing is removed automatically,
        because access must be removed on the platform itself first.
        """
        member = self.staff_member(staff_id)
        require(member.left_on is None, "This person is already marked as left.", "left_on")
        for account in self.accounts():
            for admin in account.admins:
                require(
                    admin.staff_id != staff_id or admin.added_on <= left_on,
                    f"{member.name} was given admin access to {account.label} on {admin.added_on.isoformat()}: "
                    "a leaving date before that cannot be right.",
                    "left_on",
                )
        member.left_on = left_on
        report = LeaverReport(staff_id=staff_id, left_on=left_on)
        for account in self.accounts():
            if account.status is Status.CLOSED:
                continue
            roles = [a.platform_role for a in account.active_admins if a.staff_id == staff_id]
            if roles:
                logins = [c.label for c in self.credentials(account.id) if c.has_password]
                report.administered.append(LeaverAccount(account.id or 0, account.label, roles[0], logins))
            if account.owner_id == staff_id:
                report.owned.append(LeaverAccount(account.id or 0, account.label, "responsible owner", []))
        with self.session.transaction():
            self.staff_repo.save(member, summary="member of staff marked as left")
            self.session.audit_event(
                "accounts.leaver",
                f"leaver recorded: {len(report.administered)} account(s) flagged for access removal and a password "
                f"change, {len(report.owned)} needing a new responsible owner",
                target=f"{StaffMember.TABLE}/{staff_id}",
            )
        return report

    # ----------------------------------------------------------------- accounts

    def _check_before_leaving(self, admin: Admin) -> None:
        """Admin access cannot start after the person's recorded leaving date."""
        left_on = self.staff_member(admin.staff_id).left_on
        require(
            left_on is None or admin.added_on <= left_on,
            f"Access from {admin.added_on.isoformat()} would start after this person leaves on "
            f"{left_on.isoformat() if left_on else ''}.",
            "added_on",
        )

    def _check_staff(self, staff_id: int | None, field_name: str, *, slt: bool = False, current: bool = True) -> None:
        if staff_id is None:
            return
        try:
            member = self.staff_member(staff_id)
        except RecordNotFound:
            raise InvalidInput("Choose someone from the staff register.", field_name) from None
        if current and member.has_left():
            raise InvalidInput("That person has left the school: choose someone still in post.", field_name)
        if slt and not member.slt:
            raise InvalidInput("Choose a member of the senior leadership team (marked SLT on the staff register).", field_name)

    def propose(self, account: Account) -> Account:
        """A new account starts as a proposal: SLT's decision and activation come after."""
        account = dataclasses.replace(account, status=Status.PROPOSED, decisions=(), override=None, admins=())
        account.proposed_on = account.proposed_on or today()
        self._check_details(account)
        return self.accounts_repo.add(account, summary="account proposed")

    def _check_details(self, account: Account) -> None:
        self._check_staff(account.owner_id, "owner_id", slt=True)
        for staff_id in account.runner_ids:
            self._check_staff(staff_id, "runner_ids")

    def update_details(self, account: Account) -> Account:
        """Save the details and business case; status, decisions, admins and override are kept as stored."""
        stored = self.account(account.id or 0)
        if account.owner_id != stored.owner_id:
            self._check_staff(account.owner_id, "owner_id", slt=True)
        for staff_id in set(account.runner_ids) - set(stored.runner_ids):
            self._check_staff(staff_id, "runner_ids")
        merged = dataclasses.replace(
            account, status=stored.status, decisions=stored.decisions, override=stored.override, admins=stored.admins
        )
        return self.accounts_repo.save(merged)

    def decide(self, account_id: int, *, approved: bool, by_id: int | None, on: date, reasons: str = "") -> Account:
        """Record SLT's decision on the business case; an approval moves a proposal to approved."""
        account = self.account(account_id)
        require(account.status is not Status.CLOSED, "This account is closed: reopen it before deciding on it.", "decision")
        require(by_id is not None, "Choose the SLT member who made the decision.", "by_id")
        self._check_staff(by_id, "by_id", slt=True, current=False)
        account.decisions = (*account.decisions, Decision(approved=approved, by_id=by_id or 0, on=on, reasons=reasons))
        summary = f"SLT decision recorded: {'approved' if approved else 'rejected'}"
        if approved and account.status is Status.PROPOSED:
            account.status = Status.APPROVED
        elif not approved and account.status is Status.APPROVED:
            account.status = Status.PROPOSED
        elif not approved and account.status is Status.ACTIVE:
            # SLT withdrew its approval of a live account: it stops until closed or approved again.
            account.status, account.override = Status.PAUSED, None
            summary += " (account paused)"
        return self.accounts_repo.save(account, summary=summary)

    def set_status(self, account_id: int, status: Status, override_reason: str = "") -> Account:
        """Move an account to active, paused or closed; activating without approval needs an override reason."""
        account = self.account(account_id)
        require(status in SETTABLE, "Approval comes from SLT's decision: record it with the approval step.", "status")
        if status is account.status:
            return account
        require(status is not Status.PAUSED or account.status is Status.ACTIVE, "Only an active account can be paused.", "status")
        overriding = status is Status.ACTIVE and not account.approved
        if overriding:
            if not override_reason.strip():
                raise NotAllowed(
                    "SLT has not approved this account, so it cannot become active. Record SLT's approval, "
                    "or give a reason to override (the override is recorded in the audit log)."
                )
            account.override = Override(reason=override_reason, by=self.session.actor)
        account.status = status
        with self.session.transaction():
            saved = self.accounts_repo.save(account, summary=f"account status set to {status.value}")
            if overriding:
                self.session.audit_event(
                    "accounts.override",
                    "account made active WITHOUT SLT approval (override reason recorded)",
                    f"{Account.TABLE}/{account_id}",
                )
        return saved

    def record_review(self, account_id: int, reviewed_on: date, next_on: date | None) -> Account:
        account = self.account(account_id)
        require(reviewed_on <= today(), "The review date cannot be in the future.", "reviewed_on")
        require(next_on is None or next_on > reviewed_on, "The next review comes after this one.", "review_on")
        account.reviewed_on, account.review_on = reviewed_on, next_on
        return self.accounts_repo.save(account, summary="access and password review recorded")

    # ----------------------------------------------------------------- admins

    def add_admin(self, account_id: int, admin: Admin) -> Account:
        self._check_staff(admin.staff_id, "staff_id")
        self._check_before_leaving(admin)
        account = self.account(account_id)
        account.admins = (*account.admins, admin)
        return self.accounts_repo.save(account, summary="admin added")

    def update_admin(self, account_id: int, index: int, admin: Admin) -> Account:
        """Change the admin at `index` (roles, AUP, training, the date access was removed)."""
        account = self.account(account_id)
        if not 0 <= index < len(account.admins):
            raise RecordNotFound("That admin is no longer listed on this account.")
        old = account.admins[index]
        if admin.staff_id != old.staff_id:
            self._check_staff(admin.staff_id, "staff_id")
        self._check_before_leaving(admin)
        admins = list(account.admins)
        admins[index] = admin
        account.admins = tuple(admins)
        removed = old.removed_on is None and admin.removed_on is not None
        return self.accounts_repo.save(account, summary="admin access removed" if removed else "admin details changed")

    # ----------------------------------------------------------------- credentials

    def add_credential(self, credential: Credential, on: date | None = None) -> Credential:
        self.account(credential.account_id)
        if credential.password:
            credential.changed_on = credential.changed_on or on or today()
            credential.change_reason = ChangeReason.SETUP
        return self.credentials_repo.add(credential, summary="login added to an account")

    def update_credential(self, credential: Credential) -> Credential:
        """Save a login's details; its password changes only through change_password."""
        stored = self.credential(credential.id or 0)
        merged = dataclasses.replace(
            credential,
            account_id=stored.account_id,
            password=stored.password,
            changed_on=stored.changed_on,
            change_reason=stored.change_reason,
        )
        return self.credentials_repo.save(merged)

    def _history(self, credential_id: int) -> list[PasswordChange]:
        """Newest first. Not audited: only for the rules below and counts; showing values goes through password_history."""
        # find_by decodes only this login's rows (Repository.find would decode the whole table).
        changes = self.session.repo(PasswordChange).find_by("credential_id", credential_id)
        return sorted(changes, key=lambda h: h.id or 0, reverse=True)

    def kept_values(self, credential_id: int) -> int:
        return sum(1 for h in self._history(credential_id) if h.password)

    def change_password(self, credential_id: int, new_password: str, reason: ChangeReason, on: date | None = None) -> Credential:
        """Set a new password; the old one goes into the history. Reusing a kept value is refused."""
        credential = self.credential(credential_id)
        history = self._history(credential_id)
        on = on or today()
        require(bool(new_password), "Type or generate the new password.", "password")
        require(new_password != credential.password, "That is the current password: choose a new one.", "password")
        require(
            all(new_password != old.password for old in history),
            "That password was used before on this login: choose a new one.",
            "password",
        )
        require(
            credential.changed_on is None or on >= credential.changed_on,
            "The change cannot be dated before the last change.",
            "changed_on",
        )
        target = f"{Credential.TABLE}/{credential_id}"
        with self.session.transaction():
            if credential.password or credential.changed_on:
                previous = PasswordChange(
                    credential_id=credential_id,
                    password=credential.password,
                    set_on=credential.changed_on,
                    reason=credential.change_reason,
                    replaced_on=on,
                    replaced_because=reason,
                )
                self.history_repo.add(previous, summary=f"previous password kept in the history of {target}")
                for old in history[HISTORY_VALUES - 1 :]:
                    if old.password:
                        old.password = ""
                        self.history_repo.save(old, summary=f"an old password of {target} forgotten (its dates are kept)")
            credential.password, credential.changed_on, credential.change_reason = new_password, on, reason
            saved = self.credentials_repo.save(credential, summary=f"password changed (reason: {reason.value})")
        return saved

    def kept_history(self, credential_id: int) -> list[PasswordChange]:
        """Newest first, values included, NOT audited here: only for an export that audits itself once
        (the KeePass file), never for showing values on a screen (that is password_history)."""
        return self._history(credential_id)

    def password_history(self, credential_id: int) -> list[PasswordChange]:
        """The previous passwords, newest first, for display after the user confirmed; the viewing is audited."""
        self.credential(credential_id)
        history = self._history(credential_id)
        self.session.audit_event(
            "accounts.history_viewed",
            f"previous passwords shown ({sum(1 for h in history if h.password)} kept)",
            f"{Credential.TABLE}/{credential_id}",
        )
        return history


@dataclass
class LeaverAccount:
    account_id: int
    account: str  # the account's label
    role: str
    logins: list[str]  # labels of logins whose password must change


@dataclass
class LeaverReport:
    staff_id: int
    left_on: date
    administered: list[LeaverAccount] = field(default_factory=list)
    owned: list[LeaverAccount] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What to do now, one line per account (account labels only, no names)."""
        if not self.administered and not self.owned:
            return ["They were not an admin or owner of any account in the register: nothing to do."]
        out = []
        for item in self.administered:
            change = f"change the password of {', '.join(item.logins)}" if item.logins else "change any password they knew"
            out.append(f"{item.account}: remove their {item.role} access on the platform, then {change}.")
        for item in self.owned:
            out.append(f"{item.account}: name a new responsible owner (SLT).")
        return out


# --------------------------------------------------------------------- verify


def verify_references(session: Session) -> Iterable[Check]:
    register = Register(session)
    staff = register.staff_by_id()
    accounts = {a.id: a for a in register.accounts()}
    credentials = register.credentials()
    broken = 0
    for account in accounts.values():
        ids = [
            account.owner_id,
            *account.runner_ids,
            *(a.staff_id for a in account.admins),
            *(d.by_id for d in account.decisions),
        ]
        broken += sum(1 for i in ids if i is not None and i not in staff)
    broken += sum(1 for c in credentials if c.account_id not in accounts)
    logins = {c.id for c in credentials}
    broken += sum(1 for h in register.history_repo.all() if h.credential_id not in logins)
    text = f"account register: {len(accounts)} accounts, {len(credentials)} logins, {len(staff)} staff"
    yield Check(
        broken == 0, f"{text}; every reference resolves" if not broken else f"{text}; {broken} reference(s) to missing records"
    )
