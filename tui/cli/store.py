"""Headless store commands: init, verify, passwd, keys, backup, restore, recover.

Each opens the store, does one thing, closes it. Errors are SafeDeskError and
become one line on stderr (see safedesk.cli.main.SafeDeskGroup).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import click

from safedesk.cli.formats import sheet_out
from safedesk.cli.input import PassphraseReader, ask_text
from safedesk.store.errors import StoreCorrupt

PASSPHRASE_FILE = click.option(
    "--passphrase-file",
    "passphrase_file",
    metavar="PATH|-",
    help="Read the passphrase from the first line of PATH, or of standard input with '-'.",
)
USER = click.option("--user", "user", metavar="NAME", help="Whose key slot to use (default: try each).")


def _store_dir(ctx: click.Context) -> Path:
    return ctx.obj.store_dir


# How a command opens the store: "write" takes the writer lock; "read" never does, so it works
# while the app (or another command) has the store open, from its last complete save; "export"
# takes the writer lock when it is free (its audit entry joins the chain at once) and otherwise
# reads like "read", its audit entry signed and sealed into the events file, merged into the
# chain at the next normal unlock (store/engine/events.py; docs/SECURITY.md says why).
Access = Literal["write", "read", "export"]


@contextmanager
def opened(
    ctx: click.Context,
    passphrase_file: str | None,
    user: str | None,
    reader: PassphraseReader | None = None,
    *,
    access: Access = "write",
    passphrase: str | None = None,
) -> Iterator:
    from safedesk.store.engine.session import Session

    folder = _store_dir(ctx)
    from safedesk.store.engine.vault import store_files

    if not store_files(folder):
        from safedesk.store.errors import StoreNotFound

        raise StoreNotFound(f"No SafeDesk store in {folder}. Run 'safedesk init' to create one.")
    if passphrase is None:  # else read already by a command that needs it again (passwd)
        passphrase = (reader or PassphraseReader()).read(passphrase_file, "Passphrase")
    try:
        session = _open(Session, folder, passphrase, user, access)
    except StoreCorrupt as error:
        if error.backup and "recover" not in str(error):
            raise StoreCorrupt(
                f"{error} The previous save is kept: run 'safedesk recover' to open it "
                "(the damaged file is set aside, never overwritten).",
                error.path,
                error.backup,
            ) from None
        raise
    try:
        yield session
    finally:
        session.close()


def _open(session_class: Any, folder: Path, passphrase: str, user: str | None, access: Access) -> Any:
    from safedesk.store.errors import StoreLocked, StoreRolledBack

    if access == "read":
        return session_class.open(folder, passphrase, user, read_only=True)
    try:
        return session_class.open(folder, passphrase, user)
    except StoreLocked:
        if access == "write":
            raise
    session = session_class.open(folder, passphrase, user, read_only=True)
    warning = session.vault.rollback_warning
    if warning:
        # The writer would refuse this store; an export from it must not pass for current.
        session.close()
        raise StoreRolledBack(warning, str(folder), None)
    session.exports_sealed = True
    click.echo(
        "The store is open in another SafeDesk window or command: exporting from its last complete save. "
        "This export is recorded in the audit log at the next unlock (marked as recorded while the store was open elsewhere).",
        err=True,
    )
    return session


@contextmanager
def recorded_export(path: Path) -> Iterator[None]:
    """Around an export's audit entry: if it cannot be recorded, the file it records is removed
    (an export must not stand unrecorded), and the error says so."""
    try:
        yield
    except BaseException:
        Path(path).expanduser().unlink(missing_ok=True)
        raise


def _print_recovery_key(key: str) -> None:
    click.echo()
    click.echo("RECOVERY KEY (shown once, now):")
    click.echo()
    click.echo(f"    {key}")
    click.echo()
    click.echo("Write it down or print it and keep it in the school safe, away from this laptop.")
    click.echo("It opens the store if every passphrase is forgotten or the DSL leaves. SafeDesk keeps no other copy.")
    click.echo("A sheet to copy it onto by hand (it never holds the key): safedesk keys sheet --out recovery-sheet.html")


@click.command()
@click.option("--setting-name", metavar="NAME", help="Your school or setting's name.")
@click.option("--user", "user", metavar="NAME", help="Your name (the first DSL).")
@PASSPHRASE_FILE
@click.pass_context
def init(ctx: click.Context, setting_name: str | None, user: str | None, passphrase_file: str | None) -> None:
    """Create a new encrypted store and print its recovery key once."""
    from safedesk.store.engine.keys.passphrase import assess, check_new_passphrase
    from safedesk.store.engine.session import Session

    folder = _store_dir(ctx)
    from safedesk.store.engine.vault import refuse_store_files

    refuse_store_files(folder)
    name = ask_text(setting_name, "School or setting name", "--setting-name NAME")
    person = ask_text(user, "Your name", "--user NAME")
    passphrase = PassphraseReader().read(passphrase_file, "Choose a passphrase (three or more random words)", confirm=True)
    check_new_passphrase(passphrase, context=(name, person))
    click.echo(
        f"Passphrase strength: {assess(passphrase, (name, person)).label}. Creating the store (about a second)...", err=True
    )
    session, recovery = Session.create(folder, name, person, passphrase)
    label = session.vault.slot.label
    session.close()
    click.echo(f"Created the SafeDesk store in {folder}")
    click.echo(f"Your key is labelled '{label}' on the unlock screen (to change it: safedesk keys label WORDS).")
    _print_recovery_key(recovery)


@click.command()
@PASSPHRASE_FILE
@USER
@click.pass_context
def verify(ctx: click.Context, passphrase_file: str | None, user: str | None) -> None:
    """Check the store, the kept previous save, the audit chain and evidence; exit 1 on any fault.

    Changes nothing: failed unlocks recorded while locked join the audit log at the next normal unlock.
    """
    from safedesk.store.features import verify_store

    with opened(ctx, passphrase_file, user, access="read") as session:
        report = verify_store(session)
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        ctx.exit(1)


@click.command()
@USER
@PASSPHRASE_FILE
@click.option("--new-passphrase-file", metavar="PATH|-", help="Read the new passphrase from PATH or standard input.")
@click.pass_context
def passwd(ctx: click.Context, user: str | None, passphrase_file: str | None, new_passphrase_file: str | None) -> None:
    """Change your passphrase (rewraps your key slot only); the old one stops opening the store.

    The same rule and audit entry as the keys screen's p: a strong passphrase (rated with the
    school's and the key holders' names), not the one you have now.
    """
    from safedesk.store.engine.keys.slots import change_passphrase

    reader = PassphraseReader()
    current = reader.read(passphrase_file, "Current passphrase")
    with opened(ctx, passphrase_file, user, reader, passphrase=current) as session:
        new = reader.read(new_passphrase_file, "New passphrase", confirm=True)
        change_passphrase(session, new, current=current)
        click.echo(f"Passphrase changed for {session.user.name if session.user else 'this key slot'}.")


@click.group()
def keys() -> None:
    """Who can open the store: list, add or remove key slots."""


@keys.command("list")
@PASSPHRASE_FILE
@USER
@click.pass_context
def keys_list(ctx: click.Context, passphrase_file: str | None, user: str | None) -> None:
    """List key slots and their owners."""
    from safedesk.store.engine.keys.slots import list_slots

    with opened(ctx, passphrase_file, user) as session:
        rows = list_slots(session)
    click.echo(f"{'SLOT':<12} {'ROLE':<13} {'NAME':<28} {'ADDED':<11} {'CHANGED':<11} ON THE UNLOCK SCREEN")
    for row in rows:
        marker = " (you)" if row.current else ""
        click.echo(
            f"{row.slot_id:<12} {row.role:<13} {(row.name + marker):<28} {row.added_at:<11} "
            f"{row.passphrase_changed_at or '-':<11} {row.title}"
        )


@keys.command("add")
@click.option("--name", metavar="NAME", help="The new person's name.")
@click.option("--role", type=click.Choice(["deputy", "dsl"]), default="deputy", show_default=True)
@click.option("--recovery", is_flag=True, help="Replace the recovery key instead (prints the new one once).")
@PASSPHRASE_FILE
@USER
@click.option("--new-passphrase-file", metavar="PATH|-", help="The new person's passphrase, from PATH or standard input.")
@click.option(
    "--label",
    metavar="WORDS",
    help="What the unlock screen calls the new key, e.g. 'amber compass' (readable by anyone with the file: "
    "never a name; default: two random words).",
)
@click.pass_context
def keys_add(
    ctx: click.Context,
    name: str | None,
    role: str,
    recovery: bool,
    passphrase_file: str | None,
    user: str | None,
    new_passphrase_file: str | None,
    label: str | None,
) -> None:
    """Add a deputy DSL (their own passphrase), or replace the recovery key."""
    from safedesk.store.engine.keys.slots import add_user, list_slots, replace_recovery_key

    reader = PassphraseReader()
    with opened(ctx, passphrase_file, user, reader) as session:
        if recovery:
            key = replace_recovery_key(session)
            click.echo("The old recovery key no longer opens this store.")
            _print_recovery_key(key)
            return
        person = ask_text(name, "New person's name", "--name NAME")
        new = reader.read(new_passphrase_file, f"Passphrase for {person}", confirm=True)
        added = add_user(session, person, role, new, label=label)
        title = next(row.title for row in list_slots(session) if row.slot_id == added.slot_id)
        click.echo(f"Added {added.name} as {added.role_label} (key slot {added.slot_id}, '{title}' on the unlock screen).")


@keys.command("label")
@click.argument("words")
@click.option("--slot", "slot_id", metavar="SLOT", help="Whose key (a slot id from 'safedesk keys list'; default: yours).")
@PASSPHRASE_FILE
@USER
@click.pass_context
def keys_label(ctx: click.Context, words: str, slot_id: str | None, passphrase_file: str | None, user: str | None) -> None:
    """Change what the unlock screen calls a key (readable by anyone with the file: never a name)."""
    from safedesk.store.engine.keys.slots import set_label

    with opened(ctx, passphrase_file, user) as session:
        label = set_label(session, words, slot_id)
    click.echo(f"The key is now labelled '{label}' on the unlock screen.")


@keys.command("sheet")
@sheet_out
@PASSPHRASE_FILE
@USER
@click.pass_context
def keys_sheet(ctx: click.Context, out: Path, force: bool, passphrase_file: str | None, user: str | None) -> None:
    """Write a sheet to copy the recovery key onto by hand (the key itself is never written to a file)."""
    from safedesk.store.engine.files import write_document
    from safedesk.store.engine.keys.recovery import SHEET_STYLE, recovery_sheet_markdown
    from safedesk.store.text.document import Document

    with opened(ctx, passphrase_file, user, access="read") as session:
        markdown = recovery_sheet_markdown(session.setting().name, session.store_id)
    write_document(out, Document("Recovery key sheet", markdown, style=SHEET_STYLE), overwrite=force)
    click.echo(f"Wrote {out}. Print it, copy the key onto it by hand and keep it in the school safe.")


@keys.command("remove")
@click.argument("who", metavar="NAME|SLOT")
@PASSPHRASE_FILE
@USER
@click.pass_context
def keys_remove(ctx: click.Context, who: str, passphrase_file: str | None, user: str | None) -> None:
    """Remove a person's key slot (their passphrase stops opening the store)."""
    from safedesk.store.engine.keys.slots import REMOVED_NOTE, remove_user

    with opened(ctx, passphrase_file, user) as session:
        removed = remove_user(session, who)
    click.echo(f"Removed the key slot of {removed.name}.")
    click.echo(REMOVED_NOTE)


@click.command()
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Backup file to write.")
@PASSPHRASE_FILE
@USER
@click.pass_context
def backup(ctx: click.Context, out: Path, passphrase_file: str | None, user: str | None) -> None:
    """Write an encrypted backup of the whole store to one file."""
    from safedesk.store.engine.backup import write_backup

    with opened(ctx, passphrase_file, user) as session:
        summary = write_backup(session, out)
    click.echo(f"Backup written to {out} ({summary}).")
    click.echo("It is encrypted with the same passphrases and recovery key as the store.")


@click.command()
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def restore(ctx: click.Context, backup_file: Path) -> None:
    """Put a backup file back as the store (the store folder must hold no store)."""
    from safedesk.store.engine.backup import restore_backup

    folder = _store_dir(ctx)
    count = restore_backup(backup_file, folder)
    click.echo(f"Restored {count} file(s) into {folder}. Run 'safedesk verify' to check it.")
    click.echo("This computer now takes the restored copy as the newest state of that store.")


@click.command()
@PASSPHRASE_FILE
@USER
@click.option("--yes", "assume_yes", is_flag=True, help="Accept what the recovery says would be lost without asking.")
@click.pass_context
def recover(ctx: click.Context, passphrase_file: str | None, user: str | None, assume_yes: bool) -> None:
    """Rebuild a damaged or missing store from its journal and the kept previous save.

    Damaged files are set aside (*.damaged-*), never overwritten. If anything would be
    lost, or the store is not damaged at all, it says what and asks first.
    """
    from safedesk.store.engine.session import Session

    passphrase = PassphraseReader().read(passphrase_file, "Passphrase")

    def confirm(loss: str) -> bool:
        click.echo(loss, err=True)
        return assume_yes or click.confirm("Go ahead?", default=False, err=True)

    session = Session.open(_store_dir(ctx), passphrase, user, use_backup=True, confirm=confirm)
    summary = session.recovery_summary
    session.close()
    click.echo(summary)
    click.echo("Run 'safedesk verify' to check the recovered store.")


@click.command()
@click.option(
    "--create",
    is_flag=True,
    help="Write a lasting demo store into --store DIR (for trainers and tests) instead of opening a throwaway one.",
)
@PASSPHRASE_FILE
@click.pass_context
def demo(ctx: click.Context, create: bool, passphrase_file: str | None) -> None:
    """Open a throwaway store full of fictional data, for training (deleted on exit).

    With --create, write a demo store into the folder given by --store (or $SAFEDESK_STORE), under a
    passphrase you choose: it opens, verifies and exports like any store, and every report says DEMO.
    """
    if create:
        _create_demo(ctx, passphrase_file)
        return
    import tempfile

    from safedesk.launch import run_app
    from safedesk.store.demo.data import build_demo

    with tempfile.TemporaryDirectory(prefix="safedesk-demo-") as folder:
        store = Path(folder) / "store"
        build_demo(store)
        code = run_app(store, start="demo", debug=ctx.obj.debug)
    ctx.exit(code)


def _create_demo(ctx: click.Context, passphrase_file: str | None) -> None:
    from safedesk.store.demo.data import DEMO_SETTING, DEMO_USER, create_demo_store
    from safedesk.store.engine.keys.passphrase import check_new_passphrase
    from safedesk.store.engine.vault import refuse_store_files
    from safedesk.store.errors import InvalidInput

    # Never the default store folder by accident: a trainer names where the demo goes.
    root = ctx.find_root()
    if root.params.get("store") is None:
        raise InvalidInput("Name the folder for the demo store: safedesk --store DIR demo --create.")
    folder = _store_dir(ctx)
    refuse_store_files(folder)
    passphrase = PassphraseReader().read(passphrase_file, "Choose a passphrase for the demo store", confirm=True)
    check_new_passphrase(passphrase, context=(DEMO_SETTING, DEMO_USER))
    click.echo("Creating the demo store (a few seconds)...", err=True)
    recovery = create_demo_store(folder, passphrase)
    click.echo(f"Created a DEMO store of fictional data in {folder}. Every report from it is marked DEMO.")
    _print_recovery_key(recovery)
