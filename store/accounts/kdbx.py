"""The account register's credentials as a KeePass (KDBX 4) file, for the school's password manager.

IT used to scrape the Markdown secrets export to fill KeePassXC; this writes the file KeePass,
KeePassXC and their kin open directly. The file is protected by its own passphrase (rated like
every new passphrase, with the setting's and key holders' names as guesses, and refused if it
opens this store: IT will know it). One group per platform; one entry per login (an account with
no login recorded still gets an entry, so nothing is silently missing); the previous passwords
the register still keeps become the entry's history, oldest first, dated when each was set.

The database is built in memory and written with the engine's atomic write, so a crash leaves
no half-written file. The export is audited with counts only.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safedesk.store.accounts.register import Account, Credential, Register
from safedesk.store.engine.files import atomic_write
from safedesk.store.engine.keys.passphrase import check_new_passphrase
from safedesk.store.errors import InvalidInput

if TYPE_CHECKING:
    from datetime import date

    from safedesk.store.engine.session import Session


@dataclass(frozen=True)
class KdbxExport:
    entries: int
    accounts: int
    history: int  # previous passwords written as entry history


def check_kdbx_passphrase(session: Session, passphrase: str, confirmation: str | None = None) -> None:
    """The file's passphrase must be strong and must not open this store (whoever imports the file will know it)."""
    check_new_passphrase(passphrase, confirmation, context=session.guessable_names())
    if session.passphrase_opens_store(passphrase):
        raise InvalidInput(
            "That passphrase opens this SafeDesk store: choose a different one for the KeePass file.", "passphrase"
        )


def check_kdbx_path(path: Path, *, overwrite: bool = False) -> Path:
    path = Path(path).expanduser()
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder: give a file name, e.g. {path / 'accounts.kdbx'}.", "out")
    if path.exists() and not overwrite:
        raise InvalidInput(f"{path} already exists: choose another name or replace it (--force).", "out")
    if not path.parent.is_dir():
        raise InvalidInput(f"The folder {path.parent} does not exist.", "out")
    return path


def entry_title(account: Account, credential: Credential | None, logins: int) -> str:
    """Platform and handle, and the login's name when the account has more than one."""
    title = f"{account.platform}: {account.name}"
    return f"{title} ({credential.label})" if credential is not None and logins > 1 else title


def entry_notes(account: Account, credential: Credential | None) -> str:
    """Recovery details and the second factor in words; where backup codes are kept (never the codes)."""
    if credential is None:
        return f"Status: {account.status_label}.\nNo login is recorded for this account in SafeDesk."

    def said(value: str, school: bool) -> str:
        return f"{value} ({'the school controls it' if school else 'NOT controlled by the school'})" if value else "none"

    mfa = credential.mfa.value
    if credential.factor_holder:
        personal = ", a personal phone" if credential.factor_personal_phone else ""
        mfa += f", held by {credential.factor_holder}{personal}"
    lines = [
        f"Status: {account.status_label}",
        f"Login name in SafeDesk: {credential.label}",
        f"Recovery email: {said(credential.recovery_email, credential.recovery_email_school)}",
        f"Recovery phone: {said(credential.recovery_phone, credential.recovery_phone_school)}",
        f"Second factor (2FA): {mfa}",
        f"Backup codes kept at: {credential.backup_codes_at or 'not recorded'}",
    ]
    if credential.changed_on:
        lines.append(f"Password last changed: {credential.changed_on.isoformat()} ({credential.change_reason.value})")
    if credential.notes.strip():
        lines += ["", credential.notes.strip()]
    return "\n".join(lines)


def _at(day: date | None) -> datetime | None:
    return datetime.combine(day, time(12), tzinfo=UTC) if day else None


def build_kdbx(session: Session, passphrase: str) -> tuple[bytes, KdbxExport]:
    """The KDBX 4 file's bytes (built in memory) and what it holds."""
    from pykeepass import create_database  # type: ignore[import-untyped]  # the library ships no type information

    register = Register(session)
    setting = session.setting().name
    database: Any = create_database(io.BytesIO(), password=passphrase)
    database.root_group.name = f"{setting} official accounts (SafeDesk)"
    groups: dict[str, Any] = {}
    entries = history = 0
    accounts = register.accounts()
    for account in accounts:
        group = groups.get(account.platform)
        if group is None:
            group = groups[account.platform] = database.add_group(database.root_group, account.platform)
        credentials: list[Credential | None] = list(register.credentials(account.id))
        logins = len(credentials)
        for credential in credentials or [None]:
            entry = database.add_entry(
                group,
                entry_title(account, credential, logins),
                credential.login if credential else "",
                credential.password if credential else "",
                url=account.url or None,
                notes=entry_notes(account, credential),
                force_creation=True,  # two logins may share a title and login name
            )
            if credential is not None and credential.id is not None:
                history += _add_history(entry, register.kept_history(credential.id), credential)
            entries += 1
    buffer = io.BytesIO()
    database.save(buffer)
    return buffer.getvalue(), KdbxExport(entries, len(accounts), history)


def _add_history(entry: Any, kept: list[Any], current: Credential) -> int:
    """Write the kept previous values as the entry's history (oldest first), then the current one back."""
    written = 0
    for old in reversed(kept):  # kept is newest first
        if not old.password:
            continue  # forgotten after HISTORY_VALUES changes: only its dates remain, nothing to carry
        entry.password = old.password
        when = _at(old.set_on)
        if when is not None:
            entry.mtime = when
        entry.save_history()
        written += 1
    entry.password = current.password
    when = _at(current.changed_on)
    if when is not None:
        entry.mtime = when
    return written


def export_kdbx(session: Session, path: Path, passphrase: str, *, overwrite: bool = False) -> KdbxExport:
    """Write the KeePass file atomically (owner-only), then audit it with counts only."""
    path = check_kdbx_path(path, overwrite=overwrite)
    check_kdbx_passphrase(session, passphrase)
    data, result = build_kdbx(session, passphrase)
    try:
        atomic_write(path, data)
    except OSError as error:
        raise InvalidInput(f"Cannot write {path}: {error.strerror or 'the write failed'}.", "out") from None
    session.audit_event(
        "export.accounts",
        f"account register exported to a KeePass file with secrets ({result.entries} entries, "
        f"{result.history} previous passwords)",
    )
    return result
