"""`safedesk accounts ...`: the account register without the app. Never prints a secret (the KeePass
export writes them to a file under its own passphrase, after asking).

accounts list [--json]                  every account, its status and health in words
accounts health [--json] [--strict]     every finding with its guidance card (--strict: exit 1 if any to act on)
accounts staff [--json]                 the staff register
accounts leaver WHO [--on DATE]         mark someone as left; prints what to do on each account
accounts export --out FILE [--force]    the register as Markdown (no passwords, logins or recovery details)
accounts export --kdbx FILE [--kdbx-passphrase-file F] [--force]   every login WITH passwords as a KeePass file
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from safedesk.cli.store import PASSPHRASE_FILE, USER, opened

URGENT = ("overdue", "action")


@click.group()
def accounts() -> None:
    """The school's official accounts: register, health check, staff leavers, export."""


@accounts.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: a list of accounts.")
@PASSPHRASE_FILE
@USER
@click.pass_context
def list_accounts(ctx: click.Context, as_json: bool, passphrase_file: str | None, user: str | None) -> None:
    """List every account with its status and health."""
    from safedesk.store.accounts.health import check_register, summary
    from safedesk.store.accounts.register import Register

    with opened(ctx, passphrase_file, user) as session:
        register = Register(session)
        staff = register.staff_by_id()
        findings = check_register(session)
        rows: list[dict[str, Any]] = []  # printed as JSON or as a table: values of several types
        for account in register.accounts():
            mine = [f for f in findings if f.account_id == account.id]
            owner = staff.get(account.owner_id) if account.owner_id is not None else None
            rows.append(
                {
                    "id": account.id,
                    "platform": account.platform,
                    "name": account.name,
                    "url": account.url,
                    "status": account.status.value,
                    "approved": account.approved,
                    "visibility": account.visibility.value,
                    "owner": owner.name if owner else None,
                    "admins": len(account.active_admins),
                    "health": summary(mine),
                    "findings": {
                        level: sum(1 for f in mine if f.level == level) for level in ("overdue", "action", "due soon", "advice")
                    },
                }
            )
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("No accounts in the register yet.")
        return
    click.echo(f"{'ID':>3}  {'ACCOUNT':<24} {'PLATFORM':<15} {'STATUS':<9} HEALTH")
    for row in rows:
        click.echo(f"{row['id']:>3}  {_fit(row['name'], 24)} {_fit(row['platform'], 15)} {row['status']:<9} {row['health']}")


@accounts.command("health")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: a list of findings.")
@click.option("--strict", is_flag=True, help="Exit 1 when any finding is overdue or to act on.")
@PASSPHRASE_FILE
@USER
@click.pass_context
def health(ctx: click.Context, as_json: bool, strict: bool, passphrase_file: str | None, user: str | None) -> None:
    """Every health finding across the register, each with the guidance card that states the rule."""
    from safedesk.store.accounts.health import check_register, summary

    with opened(ctx, passphrase_file, user) as session:
        findings = check_register(session)
    if as_json:
        keys = ("account_id", "account", "rule", "level", "text", "card")
        click.echo(json.dumps([{k: getattr(f, k) for k in keys} for f in findings], indent=2, ensure_ascii=False))
    elif not findings:
        click.echo("Register health: nothing to fix.")
    else:
        click.echo(f"Register health: {summary(findings)}")
        for f in findings:
            click.echo(f"[{f.level.upper()}] {f.line}  (safedesk guide show {f.card})")
    if strict and any(f.level in URGENT for f in findings):
        ctx.exit(1)


@accounts.command("staff")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: a list of staff.")
@PASSPHRASE_FILE
@USER
@click.pass_context
def staff(ctx: click.Context, as_json: bool, passphrase_file: str | None, user: str | None) -> None:
    """The staff register: who may run, own and approve accounts, and leavers."""
    from safedesk.store.accounts.register import Register

    with opened(ctx, passphrase_file, user) as session:
        register = Register(session)
        accounts_list = register.accounts()
        rows: list[dict[str, Any]] = [  # printed as JSON or as a table: values of several types
            {
                "id": m.id,
                "name": m.name,
                "role": m.role,
                "slt": m.slt,
                "left_on": m.left_on.isoformat() if m.left_on else None,
                "admin_of": [a.label for a in accounts_list for admin in a.active_admins if admin.staff_id == m.id],
            }
            for m in register.staff()
        ]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    click.echo(f"{'ID':>3}  {'NAME':<24} {'ROLE':<20} {'SLT':<4} {'LEFT':<11} ADMIN OF")
    for row in rows:
        click.echo(
            f"{row['id']:>3}  {_fit(row['name'], 24)} {_fit(row['role'], 20)} {'yes' if row['slt'] else '':<4} "
            f"{row['left_on'] or '':<11} {len(row['admin_of'])}"
        )


@accounts.command("leaver")
@click.argument("who", metavar="NAME|ID")
@click.option("--on", "left_on", metavar="DATE", help="Their last day (YYYY-MM-DD or DD/MM/YYYY; default today).")
@PASSPHRASE_FILE
@USER
@click.pass_context
def leaver(ctx: click.Context, who: str, left_on: str | None, passphrase_file: str | None, user: str | None) -> None:
    """Mark a member of staff as left and list what to do on each account they ran."""
    from safedesk.store.accounts.register import Register, today
    from safedesk.store.text.dates import parse_date, show_date

    day = parse_date(left_on or "", "left_on") or today()
    with opened(ctx, passphrase_file, user) as session:
        register = Register(session)
        member = register.find_staff(who)
        report = register.mark_left(member.id or 0, day)
    click.echo(f"Marked {member.name} as left on {show_date(day)}.")
    for line in report.lines():
        click.echo(f"- {line}")


@accounts.command("export")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), help="Markdown file to write (no secrets).")
@click.option(
    "--kdbx",
    "kdbx",
    type=click.Path(dir_okay=False, path_type=Path),
    help="KeePass (KDBX 4) file to write WITH passwords, under its own passphrase (asks to confirm; audited).",
)
@click.option("--kdbx-passphrase-file", metavar="PATH|-", help="The KeePass file's passphrase, from PATH or standard input.")
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@PASSPHRASE_FILE
@USER
@click.pass_context
def export(
    ctx: click.Context,
    out: Path | None,
    kdbx: Path | None,
    kdbx_passphrase_file: str | None,
    force: bool,
    passphrase_file: str | None,
    user: str | None,
) -> None:
    """Write the register as Markdown for SLT or governors (no passwords, logins or recovery details),
    or, with --kdbx, every login with its password and history as a KeePass file for the password manager."""
    from safedesk.store.errors import InvalidInput

    if (out is None) == (kdbx is None):
        raise InvalidInput("Give either --out FILE (the register as Markdown) or --kdbx FILE (a KeePass file).")
    if kdbx is not None:
        _export_kdbx(ctx, kdbx, kdbx_passphrase_file, force, passphrase_file, user)
        return
    from safedesk.store.accounts.export import export_register

    assert out is not None
    if out.exists() and not force:
        raise InvalidInput(f"{out} already exists: choose another name or add --force.")
    with opened(ctx, passphrase_file, user, access="export") as session:
        count = export_register(session, out)
    click.echo(f"Account register ({count} accounts) written to {out}. It names staff: keep it as you keep staff records.")


def _export_kdbx(
    ctx: click.Context, path: Path, kdbx_passphrase_file: str | None, force: bool, passphrase_file: str | None, user: str | None
) -> None:
    from safedesk.cli.input import PassphraseReader
    from safedesk.store.accounts import kdbx as keepass

    path = keepass.check_kdbx_path(path, overwrite=force)
    if not click.confirm(
        "The KeePass file will contain every password, login and recovery detail (readable with its own passphrase). Write it?",
        default=False,
    ):
        raise click.Abort()
    reader = PassphraseReader()
    with opened(ctx, passphrase_file, user, reader, access="export") as session:
        secret = reader.read(kdbx_passphrase_file, "Passphrase for the KeePass file (three or more random words)", confirm=True)
        click.echo("Checking the passphrase and writing the KeePass file (a few seconds)...", err=True)
        result = keepass.export_kdbx(session, path, secret, overwrite=force)
    click.echo(
        f"Wrote {path}: {result.entries} entries for {result.accounts} accounts, "
        f"{result.history} previous password(s) as entry history."
    )
    click.echo(
        "It holds every password: import it into the school's password manager, then delete this file. "
        "Tell IT the passphrase by another route than the file."
    )


def _fit(text: str, width: int) -> str:
    return (text if len(text) <= width else text[: width - 1] + "…").ljust(width)
