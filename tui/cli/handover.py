"""`safedesk handover ...`: encrypted handover files for another DSL, the LADO or police.

    safedesk handover export --to "Oakwood Academy DSL" --out FILE.age [--incident REF]... [--all-incidents]
                             [--pupil MIS-ID|NAME]... [--left DATE] [--note TEXT]
    safedesk handover left --pupil MIS-ID|NAME --on DATE
    safedesk handover import FILE.age [--dry-run] [--yes]
    safedesk handover receipt CODE [--on DATE]
    safedesk handover terms [--term START END]... [--closure DATE]... [--days N] [--clear]
    safedesk handover list [--json]

Passphrases: the store's first (--passphrase-file), then the handover's
(--handover-passphrase-file); with '-' for both, standard input gives one line
each, in that order. No Textual here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from safedesk.cli.input import PassphraseReader, ask_text
from safedesk.cli.store import PASSPHRASE_FILE, USER, opened
from safedesk.store.errors import InvalidInput, NotAllowed

HANDOVER_PASSPHRASE_FILE = click.option(
    "--handover-passphrase-file",
    "handover_passphrase_file",
    metavar="PATH|-",
    help="Read the handover passphrase from the first line of PATH, or of standard input with '-' (after the store passphrase).",
)


@click.group()
def handover() -> None:
    """Encrypted handover files (age format): export, import, receipt codes.

    A handover file opens with SafeDesk, or with the standard 'age -d' / 'rage -d'
    tools and the passphrase. Tell the receiver the passphrase by another route.
    Enter the receipt code they send back with 'safedesk handover receipt CODE'
    (a pupil's file is due 5 school days after they left, or in the first 5 school
    days of the next term when they left at the end of a term; record the day with
    --left or 'safedesk handover left'; set term dates with 'safedesk handover terms').
    """


@handover.command("export")
@click.option("--to", "to", metavar="WHO", help="Who it is for: an organisation or role, e.g. 'Oakwood Academy DSL' or 'LADO'.")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write (e.g. E:\\handover.age).",
)
@click.option("--incident", "refs", multiple=True, metavar="REF", help="An incident to include, e.g. INC-2026-0003 (repeatable).")
@click.option("--all-incidents", is_flag=True, help="Include every incident in the store.")
@click.option(
    "--pupil",
    "pupils",
    multiple=True,
    metavar="MIS-ID|NAME",
    help="A pupil whose child protection file goes: every incident about them and their consent records (repeatable).",
)
@click.option(
    "--left",
    "left",
    metavar="DATE",
    help="The day the pupil left (DD/MM/YYYY): the statutory clock counts from it, not from the day you send.",
)
@click.option(
    "--note", default="", metavar="TEXT", help="Why it is being sent (kept with the transfer and shown to the receiver)."
)
@PASSPHRASE_FILE
@USER
@HANDOVER_PASSPHRASE_FILE
@click.pass_context
def export(
    ctx: click.Context,
    to: str | None,
    out: Path,
    refs: tuple[str, ...],
    all_incidents: bool,
    pupils: tuple[str, ...],
    left: str | None,
    note: str,
    passphrase_file: str | None,
    user: str | None,
    handover_passphrase_file: str | None,
) -> None:
    """Write chosen incidents (with chronology, actions, escalations and evidence) and pupils' consent records
    to one encrypted file, and print its receipt code."""
    from safedesk.store.engine.keys.passphrase import assess
    from safedesk.store.handover import transfer as ho
    from safedesk.store.handover.calendar import load_calendar
    from safedesk.store.incidents.log import IncidentLog
    from safedesk.store.text.dates import parse_date, show_date
    from safedesk.store.text.sizes import show_size

    left_on = parse_date(left or "", "left", relative=False)
    reader = PassphraseReader()
    with opened(ctx, passphrase_file, user, reader) as session:
        if all_incidents:
            incident_ids = tuple(sorted(row.id for row in IncidentLog(session).rows()))
        else:
            incident_ids = ho.resolve_refs(session, refs)
        pupil_ids = ho.resolve_pupils(session, pupils) if pupils else ()
        recipient = ask_text(to, "Who is it for (an organisation or role)", "--to WHO")
        plan = ho.plan_export(session, ho.Selection(incident_ids, pupil_ids), recipient, note, left_on)
        out = ho.check_output(out)
        secret = reader.read(handover_passphrase_file, "Handover passphrase (three or more random words)", confirm=True)
        ho.check_passphrase(session, secret)
        for line in plan.lines():
            click.echo(line, err=True)
        click.echo(
            f"Passphrase strength: {assess(secret, session.guessable_names()).label}. Encrypting (a few seconds)...", err=True
        )
        packed = ho.build_bundle(session, plan)
        ciphertext = ho.encrypt_to_file(packed, secret, out)
        transfer = ho.record_export(session, plan, packed, out, ciphertext)
        calendar = load_calendar(session)
    click.echo(
        f"Wrote {out} ({transfer.contents_text()}, {transfer.evidence_files} evidence file(s), {show_size(len(ciphertext))})."
    )
    click.echo(f"Receipt code: {transfer.receipt_code}")
    if transfer.left_on is not None:
        click.echo(
            f"The pupil left on {show_date(transfer.left_on)}: transfer and receipt due by {show_date(transfer.due_on(calendar))}."
        )
    click.echo("Tell the receiver the passphrase by another route (a phone call, not the email that carries the file).")
    click.echo(f"When they read you the receipt code back: safedesk handover receipt {transfer.receipt_code}")


@handover.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Decrypt, check and preview; store nothing.")
@click.option("--yes", "-y", is_flag=True, help="Import without asking to confirm the preview.")
@PASSPHRASE_FILE
@USER
@HANDOVER_PASSPHRASE_FILE
@click.pass_context
def import_(
    ctx: click.Context,
    file: Path,
    dry_run: bool,
    yes: bool,
    passphrase_file: str | None,
    user: str | None,
    handover_passphrase_file: str | None,
) -> None:
    """Check and import a handover file beside your records (nothing here is overwritten)."""
    from safedesk.store.handover import transfer as ho

    reader = PassphraseReader()
    with opened(ctx, passphrase_file, user, reader) as session:
        secret = reader.read(handover_passphrase_file, "Handover passphrase (from the sender)")
        click.echo("Decrypting and checking (a few seconds)...", err=True)
        preview = ho.preview_import(session, ho.open_handover(file, secret))
        click.echo(f"Preview of {file.name}:")
        for line in preview.lines():
            click.echo(f"  {line}")
        if preview.refused:
            raise NotAllowed(f"Not imported: {preview.refused}")
        if dry_run:
            click.echo("Dry run: nothing was imported.")
            return
        if not yes:
            if not sys.stdin.isatty():
                raise InvalidInput("Add --yes to import without a prompt, or --dry-run to only preview.", "yes")
            if not click.confirm("Import these records?", default=False):
                click.echo("Nothing was imported.")
                ctx.exit(1)
        transfer = ho.apply_import(session, preview)
    click.echo(
        f"Imported {transfer.contents_text()} and {transfer.evidence_files} evidence file(s): {', '.join(transfer.incident_refs) or 'no incidents'}."
    )
    click.echo(f"Receipt code to send back to {transfer.counterpart}: {transfer.receipt_code}")


@handover.command("receipt")
@click.argument("code")
@click.option("--on", "on", metavar="DATE", help="The day the receiver confirmed receipt (default: today).")
@PASSPHRASE_FILE
@USER
@click.pass_context
def receipt(ctx: click.Context, code: str, on: str | None, passphrase_file: str | None, user: str | None) -> None:
    """Receipt confirmed: mark a handover you sent as received, with the receipt code the receiver read back."""
    from safedesk.store.handover import transfer as ho
    from safedesk.store.text.dates import parse_date, show_datetime

    day = parse_date(on or "", "on")
    with opened(ctx, passphrase_file, user) as session:
        transfer, newly = ho.mark_received(session, code, day)
    what = f"handover to {transfer.counterpart} ({transfer.contents_text()}) sent {show_datetime(transfer.at)}"
    if newly:
        click.echo(f"Marked received: {what}.")
    else:
        click.echo(f"Already marked received on {show_datetime(transfer.received_at)}: {what}.")


@handover.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per transfer, newest first.")
@PASSPHRASE_FILE
@USER
@click.pass_context
def list_(ctx: click.Context, as_json: bool, passphrase_file: str | None, user: str | None) -> None:
    """Handovers sent and received, with their receipt state."""
    from safedesk.store.handover import transfer as ho
    from safedesk.store.handover.calendar import load_calendar
    from safedesk.store.text.dates import local_today, show_date, show_datetime

    with opened(ctx, passphrase_file, user) as session:
        rows = ho.transfers(session)
        calendar = load_calendar(session)
        due = ho.files_due(session, calendar)
    today = local_today()
    if as_json:
        keep = (
            "direction",
            "receipt_code",
            "at",
            "counterpart",
            "incident_refs",
            "pupils",
            "evidence_files",
            "received_at",
            "file_name",
        )
        click.echo(
            json.dumps(
                [
                    {"direction": "not sent", "pupil": f.pupil, "left_on": f.leaver.left_on.isoformat(), "due": f.due.isoformat()}
                    | {"state": f.state_text(calendar, today)}
                    for f in due
                ]
                + [
                    {k: v for k, v in t.to_doc().items() if k in keep}
                    | {"state": t.state_text(calendar)}
                    | ({"due": t.due_on(calendar).isoformat()} if t.pending else {})
                    for t in rows
                ],
                indent=1,
            )
        )
        return
    if not rows and not due:
        click.echo("No handovers yet.")
        return
    click.echo(f"{'':<9}{'WHEN':<17} {'RECEIPT CODE':<15} {'STATE':<22} WITH / CONTENTS")
    for f in due:
        # Not sent yet: the leaving day stands in the WHEN column (the clock counts from it).
        click.echo(
            f"{'Not sent':<9}{'left ' + show_date(f.leaver.left_on):<17} {'-':<15} {f.state_text(calendar, today):<22} "
            f"child protection file of {f.pupil}"
        )
    for t in rows:
        due_text = f", due {show_date(t.due_on(calendar))}" if t.pending else ""
        click.echo(
            f"{ho.DIRECTIONS[t.direction]:<9}{show_datetime(t.at):<17} {t.receipt_code:<15} {t.state_text(calendar):<22} "
            f"{t.counterpart} ({t.contents_text()}{due_text})"
        )


@handover.command("left")
@click.option("--pupil", "pupils", multiple=True, metavar="MIS-ID|NAME", help="The pupil who left (repeatable).")
@click.option("--on", "on", required=True, metavar="DATE", help="The day they left (DD/MM/YYYY).")
@PASSPHRASE_FILE
@USER
@click.pass_context
def left_(ctx: click.Context, pupils: tuple[str, ...], on: str, passphrase_file: str | None, user: str | None) -> None:
    """Record the day a pupil left: their child protection file's transfer shows as due on the home
    screen from now until a handover of it is sent."""
    from safedesk.store.handover import transfer as ho
    from safedesk.store.handover.calendar import load_calendar
    from safedesk.store.handover.leavers import record_left
    from safedesk.store.text.dates import parse_date, show_date

    if not pupils:
        raise InvalidInput("Name the pupil who left: --pupil MIS-ID or full name.", "pupil")
    day = parse_date(on, "on", required=True, relative=False)
    assert day is not None
    with opened(ctx, passphrase_file, user) as session:
        pupil_ids = ho.resolve_pupils(session, pupils)
        record_left(session, pupil_ids, day)
        calendar = load_calendar(session)
        due = {f.leaver.pupil_id: f for f in ho.files_due(session, calendar)}
    for pupil_id in pupil_ids:
        if pupil_id in due:
            click.echo(
                f"Recorded: {due[pupil_id].pupil} left on {show_date(day)}; "
                f"their child protection file is due by {show_date(due[pupil_id].due)}."
            )
        else:
            click.echo(f"Recorded: left on {show_date(day)} (their file has already been sent).")


@handover.command("terms")
@click.option(
    "--term", "terms", nargs=2, multiple=True, metavar="START END", help="A term as its first and last day (repeatable)."
)
@click.option(
    "--closure", "closures", multiple=True, metavar="DATE", help="A closure day in term time, e.g. an INSET day (repeatable)."
)
@click.option("--days", type=int, default=None, help="The transfer clock in school days (default 5, as KCSIE says).")
@click.option("--clear", is_flag=True, help="Remove every term and closure first (then weekdays count as school days).")
@PASSPHRASE_FILE
@USER
@click.pass_context
def terms(
    ctx: click.Context,
    terms: tuple[tuple[str, str], ...],
    closures: tuple[str, ...],
    days: int | None,
    clear: bool,
    passphrase_file: str | None,
    user: str | None,
) -> None:
    """Term dates and closure days for the school-day transfer clock; with no option, show them."""
    from safedesk.store.handover.calendar import calendar_text, load_calendar, parse_calendar, save_calendar
    from safedesk.store.text.dates import show_date

    with opened(ctx, passphrase_file, user) as session:
        calendar = load_calendar(session)
        if clear or terms or closures or days is not None:
            # The same reading as the settings form, so both accept and refuse the same dates.
            old_terms, old_closures, old_days = ("", "", str(calendar.transfer_days)) if clear else calendar_text(calendar)
            calendar = save_calendar(
                session,
                parse_calendar(
                    "\n".join([old_terms, *(f"{a} - {b}" for a, b in terms)]),
                    ", ".join([old_closures, *closures]),
                    old_days if days is None else str(days),
                ),
            )
    click.echo(calendar.described)
    for term in calendar.terms:
        click.echo(f"  Term {show_date(term.starts)} to {show_date(term.ends)}")
    if calendar.closures:
        click.echo("  Closed: " + ", ".join(show_date(d) for d in calendar.closures))
