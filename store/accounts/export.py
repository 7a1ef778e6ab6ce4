"""The account register as a Markdown document for SLT or governors.

Deliberately without passwords, logins, recovery addresses or where backup codes
are kept: those stay in the encrypted store. User text is escaped so a name cannot
become a link, HTML or a broken table in whatever renders the file.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from safedesk.store.accounts.health import check_account
from safedesk.store.accounts.register import COMMENTS_LABELS, Register, today
from safedesk.store.engine.files import atomic_write
from safedesk.store.errors import InvalidInput
from safedesk.store.registry import Report, ReportParams
from safedesk.store.text.markdown import md_escape

if TYPE_CHECKING:
    from safedesk.store.engine.session import Session


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def register_markdown(session: Session, on: date | None = None, *, with_secrets: bool = False) -> str:
    """The account register as Markdown for SLT or governors: no passwords, logins or recovery details,
    unless `with_secrets` (the secrets appendix follows, and the opening says so)."""
    on = on or today()
    register = Register(session)
    staff = register.staff_by_id()

    def who(staff_id: int | None) -> str:
        if staff_id is None or staff_id not in staff:
            return "not named"
        member = staff[staff_id]
        return md_escape(member.label) + (f" (left {member.left_on.isoformat()})" if member.left_on else "")

    def text(value: str, missing: str = "not recorded") -> str:
        return md_escape(" ".join(value.split())) if value.strip() else missing

    def day(value: date | None, missing: str) -> str:
        return value.isoformat() if value else missing

    accounts = register.accounts()
    opening = (
        "**This document CONTAINS SECRETS: passwords, logins and recovery details in plain text** (in the "
        "Credentials section at the end). Print it only for the school safe, never email it, and destroy old "
        "copies when a password changes."
        if with_secrets
        else "Passwords, logins and recovery details are deliberately left out; they stay in SafeDesk's encrypted store."
    )
    lines = [
        f"# Official social media accounts: {md_escape(session.setting().name)}",
        "",
        f"Register as at {on.isoformat()}: {len(accounts)} account(s). {opening}",
        "",
    ]
    for account in accounts:
        credentials = register.credentials(account.id)
        findings = check_account(account, staff, credentials, on)
        decision = account.decision
        verdict = (
            f"{'approved' if decision.approved else 'rejected'} by {who(decision.by_id)} on {decision.on.isoformat()}"
            if decision
            else "none recorded"
        )
        lines += [
            f"## {md_escape(account.label)}",
            "",
            f"- Status: {account.status_label}",
            f"- Web address: {text(account.url)}",
            f"- Aim: {text(account.purpose)}",
            f"- Audience: {text(account.audience)}; promoted by: {text(account.promotion)}",
            f"- Visibility: {account.visibility.value}; comments: {COMMENTS_LABELS[account.comments]}",
            f"- Responsible owner: {who(account.owner_id)}",
            f"- Staff running it (business case): {', '.join(who(i) for i in account.runner_ids) or 'none named'}",
            f"- SLT decision: {verdict}",
            f"- Evaluation: {day(account.evaluation_on, 'no date')}; success measure: {text(account.success_measure)}",
            f"- Next access and password review: {day(account.review_on, 'not set')}",
            f"- Devices: {text(', '.join(account.devices), 'none recorded')}",
        ]
        if account.override:
            lines.append(f"- Made active without SLT approval on {account.override.at.date().isoformat()} (override)")
        if account.admins:
            lines += ["", "| admin | platform role | added | AUP signed | trained | removed |", "|---|---|---|---|---|---|"]
            for admin in account.admins:
                lines.append(
                    f"| {who(admin.staff_id)} | {text(admin.platform_role)} | {admin.added_on.isoformat()} | "
                    f"{_yes(admin.aup_signed)} | {_yes(admin.training_done)} | {day(admin.removed_on, '-')} |"
                )
            lines.append("")
        for credential in credentials:
            recovery = (
                "school" if credential.recovery_email_school else ("not the school" if credential.recovery_email else "none")
            )
            lines.append(
                f"- Login '{text(credential.label)}': MFA {credential.mfa.value}; recovery email controlled by: {recovery}; "
                f"password last changed {day(credential.changed_on, 'unknown')} ({credential.change_reason.value})"
            )
        lines += ["", "Health check:" if findings else "Health check: nothing found."]
        lines += [f"- {f.level.upper()}: {md_escape(f.text)} (guidance: {f.card})" for f in findings]
        lines.append("")
    return "\n".join(lines)


def export_register(session: Session, path: Path, on: date | None = None) -> int:
    """Write the register export (owner-only file, atomically), then audit it (the count only)."""
    text = register_markdown(session, on)
    try:
        atomic_write(path, text.encode("utf-8"))
    except OSError as error:
        raise InvalidInput(f"Cannot write {path}: {error.strerror or 'the write failed'}.", "out") from None
    count = Register(session).accounts_repo.count()
    try:
        session.audit_event("export.accounts", f"account register exported ({count} accounts, no secrets)")
    except BaseException:
        path.unlink(missing_ok=True)  # an export must not stand unrecorded
        raise
    return count


def secrets_appendix(session: Session) -> str:
    """The credentials themselves, for `export accounts --include-secrets` only (confirmed, audited)."""
    from safedesk.store.text.markdown import md_cell

    register = Register(session)
    names = {a.id: a.label for a in register.accounts()}
    lines = [
        "## Credentials (SECRET)",
        "",
        "> **This section holds passwords in plain text.** Print it only for the school safe, never email it, "
        "and destroy old copies when a password changes.",
        "",
        "| Account | Login name | Login | Password | Recovery email | Recovery phone | Second factor | Backup codes kept at |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for credential in register.credentials():
        cells = (
            names.get(credential.account_id, "?"),
            credential.label,
            credential.login,
            credential.password,
            credential.recovery_email,
            credential.recovery_phone,
            f"{credential.mfa.name.lower()} ({credential.factor_holder})"
            if credential.factor_holder
            else credential.mfa.name.lower(),
            credential.backup_codes_at,
        )
        lines.append("| " + " | ".join(md_cell(c) or " " for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _build(session: Session, params: ReportParams) -> str:
    markdown = register_markdown(session, with_secrets=params.include_secrets)
    if params.include_secrets:
        markdown = markdown.rstrip("\n") + "\n\n" + secrets_appendix(session)
    return markdown


# The account register's report, offered by `safedesk export` and the Reports screen.
REPORTS: tuple[Report, ...] = (
    Report("accounts", "Official account register", "Accounts, admins and health findings (no secrets unless asked).", _build),
)
