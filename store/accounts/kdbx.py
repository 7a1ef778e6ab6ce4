"""The account register's credentials as a KeePass (KDBX 4) file, for the school's password manager.

IT used to scrape the Markdown secrets export to fill KeePassXC; this writes the file KeePass,
KeePassXC and their kin open directly. The file is protected by its own passphrase (rated like
every new passphrase, with the setting's and key holders' names as guesses, and refused if it
opens this store: IT will know it). One group per platform; one entry per login (an account with
no login recorded still gets an entry, so nothing is silently missing); the previous passwords
the register still keeps become the entry's history, oldest first, dated when each was set.

The entries are collected from the store first (`collect`, on the thread that owns it); building
the file (`build_kdbx`: the key derivation takes seconds) touches no store, so a screen runs it in a
worker thread. The database is built in memory and written with the engine's atomic write, so a
crash leaves no half-written file. The export is audited with counts only (`record_export`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safedesk.store.accounts.register import Account, Credential, Register
from safedesk.store.engine.files import atomic_write
from safedesk.store.engine.keys.passphrase import check_new_passphrase
from safedesk.store.errors import InvalidInput

if TYPE_CHECKING:
    from safedesk.store.engine.session import Session


@dataclass(frozen=True)
class KdbxEntry:
    """One entry as it goes into the file: plain values, read from the store beforehand."""

    group: str
    title: str
    username: str
    password: str = field(repr=False)
    url: str
    notes: str = field(repr=False)
    history: tuple[tuple[str, date | None], ...] = field(default=(), repr=False)  # (password, set on), oldest first
    changed_on: date | None = None


@dataclass(frozen=True)
class KdbxPlan:
    """What the file will hold, collected on the thread that owns the store; building it needs no store."""

    setting: str
    guessable: tuple[str, ...]  # for rating the file's passphrase
    entries: tuple[KdbxEntry, ...]
    accounts: int

    @property
    def history(self) -> int:
        return sum(len(e.history) for e in self.entries)


@dataclass(frozen=True)
class KdbxExport:
    entries: int
    accounts: int
    history: int  # previous passwords written as entry history


def check_kdbx_passphrase(
    session: Session, passphrase: str, confirmation: str | None = None, plan: KdbxPlan | None = None
) -> None:
    """The file's passphrase must be strong and must not open this store (whoever imports the file will know it).

    Reads only the store's header (and the plan's names), so a worker thread may call it."""
    names = plan.guessable if plan is not None else session.guessable_names()
    check_new_passphrase(passphrase, confirmation, context=names)
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


def collect(session: Session) -> KdbxPlan:
    """Every entry the file will hold (reads the register: on the thread that owns the store)."""
    register = Register(session)
    entries: list[KdbxEntry] = []
    accounts = register.accounts()
    for account in accounts:
        credentials: list[Credential | None] = list(register.credentials(account.id))
        logins = len(credentials)
        for credential in credentials or [None]:
            history: tuple[tuple[str, date | None], ...] = ()
            if credential is not None and credential.id is not None:
                kept = register.kept_history(credential.id)  # newest first
                # Forgotten values (past HISTORY_VALUES changes) keep only their dates: nothing to carry.
                history = tuple((old.password, old.set_on) for old in reversed(kept) if old.password)
            entries.append(
                KdbxEntry(
                    group=account.platform,
                    title=entry_title(account, credential, logins),
                    username=credential.login if credential else "",
                    password=credential.password if credential else "",
                    url=account.url,
                    notes=entry_notes(account, credential),
                    history=history,
                    changed_on=credential.changed_on if credential else None,
                )
            )
    return KdbxPlan(session.setting().name, session.guessable_names(), tuple(entries), len(accounts))


def _at(day: date | None) -> datetime | None:
    return datetime.combine(day, time(12), tzinfo=UTC) if day else None


def build_kdbx(plan: KdbxPlan, passphrase: str) -> bytes:
    """The KDBX 4 file's bytes, built in memory (key derivation: seconds; touches no store)."""
    # The library's blank KDBX 4 template, opened and saved once under our passphrase: what
    # create_database does, less its extra save (each save is one Argon2 derivation, about a second).
    # Saving rotates the seeds and the KDF salt, so no two files share them with the template.
    from pykeepass.pykeepass import (  # type: ignore[import-untyped]  # the library ships no type information
        BLANK_DATABASE_LOCATION,
        BLANK_DATABASE_PASSWORD,
        PyKeePass,
    )

    database: Any = PyKeePass(BLANK_DATABASE_LOCATION, BLANK_DATABASE_PASSWORD)
    database.password = passphrase
    database.root_group.name = f"{plan.setting} official accounts (SafeDesk)"
    groups: dict[str, Any] = {}
    for item in plan.entries:
        group = groups.get(item.group)
        if group is None:
            group = groups[item.group] = database.add_group(database.root_group, item.group)
        values = [old for old, _ in item.history] + [item.password]  # oldest first, the current one last
        entry = database.add_entry(
            group,
            item.title,
            item.username,
            values[0],
            url=item.url or None,
            notes=item.notes,
            force_creation=True,  # two logins may share a title and login name
        )
        # Entry history: each older value saved in turn, dated when it was set, then the next one put in.
        for (_, set_on), newer in zip(item.history, values[1:], strict=True):
            when = _at(set_on)
            if when is not None:
                entry.mtime = when
            entry.save_history()
            entry.password = newer
        when = _at(item.changed_on)
        if when is not None:
            entry.mtime = when
    buffer = io.BytesIO()
    database.save(buffer)
    return buffer.getvalue()


def write_kdbx(path: Path, data: bytes) -> None:
    """Atomically, owner-only (the engine's write)."""
    try:
        atomic_write(path, data)
    except OSError as error:
        raise InvalidInput(f"Cannot write {path}: {error.strerror or 'the write failed'}.", "out") from None


def record_export(session: Session, plan: KdbxPlan) -> KdbxExport:
    """Audit the export, with counts only (on the thread that owns the store)."""
    result = KdbxExport(len(plan.entries), plan.accounts, plan.history)
    session.audit_event(
        "export.accounts",
        f"account register exported to a KeePass file with secrets ({result.entries} entries, "
        f"{result.history} previous passwords)",
    )
    return result


def export_kdbx(session: Session, path: Path, passphrase: str, *, overwrite: bool = False) -> KdbxExport:
    """Check, build, write atomically and audit, all on this thread (the CLI)."""
    path = check_kdbx_path(path, overwrite=overwrite)
    plan = collect(session)
    check_kdbx_passphrase(session, passphrase, plan=plan)
    write_kdbx(path, build_kdbx(plan, passphrase))
    return record_export(session, plan)
