"""`safedesk consents ...`: import from the MIS, the pre-publish check, lists and exports.

    safedesk consents import pupils.csv|.xlsx [--map "Legal Surname=surname"] [--purpose P] [--dry-run] [--valid-only] [--yes]
    safedesk consents check --purpose social-media "Amelia Smith" A1234      exit 0 PASS, 1 STOP
    safedesk consents check --event "Year 6 Residential" A1234                (or the event's name as --purpose)
    safedesk consents event add NAME --from DATE [--to DATE] | record NAME --status S [--given DATE] PUPIL... | list | show NAME
    safedesk consents list [--year "Year 5"] [--class 5B] [--purpose P --status S] [--never-publish] [--json]
    safedesk consents show PUPIL | expiring [--days N] | columns
    safedesk consents export never-publish|cleared --out FILE [--purpose P] [--with-reasons]

No Textual here. Errors are one line on stderr (safedesk.cli.main.SafeDeskGroup).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from safedesk.cli.store import PASSPHRASE_FILE, USER, opened
from safedesk.store.errors import InvalidInput
from safedesk.store.text.dates import local_today, show_datetime

if TYPE_CHECKING:
    from safedesk.store.consents.pupils import PupilIndex, PupilRow, Purpose
    from safedesk.store.engine.session import Session

EXIT_STOP = 1
EXIT_BAD_INPUT = 2
HISTORY_SHOWN = 20  # rows of "kept as history" listed before a count of the rest


@click.group()
def consents() -> None:
    """Image consents: import from the MIS, check before posting, lists and exports."""


# --------------------------------------------------------------------- import


@consents.command("import")
@click.argument("csv_file", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar='"HEADER=COLUMN"',
    help='Read a column the file names differently (repeatable); "HEADER=event:NAME" reads it as decisions for an event.',
)
@click.option(
    "--purpose",
    metavar="PURPOSE",
    help="For a file about one consent (no purpose column): which purpose it is (website, social-media, print, press, video, displays), or an event's name.",
)
@click.option("--dry-run", is_flag=True, help="Show the preview and any errors; write nothing.")
@click.option("--valid-only", is_flag=True, help="Import the valid rows even though some rows have errors.")
@click.option("--yes", "-y", is_flag=True, help="Import without asking to confirm the preview.")
@click.option(
    "--accept-regrants",
    is_flag=True,
    help="With --yes: also import grants that replace a refusal or withdrawal (listed in the preview).",
)
@PASSPHRASE_FILE
@USER
@click.pass_context
def import_(
    ctx: click.Context,
    csv_file: Path,
    maps: tuple[str, ...],
    purpose: str | None,
    dry_run: bool,
    valid_only: bool,
    yes: bool,
    accept_regrants: bool,
    passphrase_file: str | None,
    user: str | None,
) -> None:
    """Import pupils and consents from a MIS export: CSV or .xlsx (see 'safedesk consents columns')."""
    from safedesk.store.consents.event_import import apply_with_events, plan_event_columns
    from safedesk.store.consents.importer import parse_map_options, plan_import, purpose_choice, read_headers

    mapping = parse_map_options(maps)
    chosen, not_a_purpose = None, None
    if purpose:
        try:
            chosen = purpose_choice(purpose)
        except InvalidInput as error:
            not_a_purpose = error  # perhaps an event's name: looked up once the store is open
    try:
        data = csv_file.read_bytes()
    except OSError as error:
        raise InvalidInput(f"Cannot read {csv_file}: {error.strerror or 'unreadable'}.", "file") from None
    read_headers(data)  # a file that is not a table is refused before asking for the passphrase
    with opened(ctx, passphrase_file, user) as session:
        if not_a_purpose is not None:
            _import_event(ctx, session, data, csv_file.name, purpose or "", mapping, not_a_purpose, dry_run, valid_only, yes)
            return
        plan = plan_import(session, data, csv_file.name, mapping, purpose=chosen)
        event_plans = plan_event_columns(session, data, plan)  # columns mapped to an event
        click.echo(f"Preview of {csv_file.name}:")
        for line in plan.summary_lines():
            click.echo(f"  {line}")
        for event_plan in event_plans:
            for line in event_plan.summary_lines():
                click.echo(f"  {line}")
        regrants = plan.regrants
        if regrants:
            click.echo("Grants that would replace a refusal or withdrawal (check each against the signed form):")
            for regrant in regrants:
                click.echo(f"  {regrant}")
        history = plan.history_lines()
        if history:
            click.echo(f"Kept as history ({len(history):,} rows):")
            for line in history[:HISTORY_SHOWN]:
                click.echo(f"  {line}")
            if len(history) > HISTORY_SHOWN:
                click.echo(f"  ... and {len(history) - HISTORY_SHOWN:,} more rows")
        errors = [*plan.errors, *(e for p in event_plans for e in p.errors)]
        if errors:
            click.echo(f"Errors ({len({e.line for e in errors}):,} rows):")
            for problem in sorted(errors, key=lambda e: e.line):
                click.echo(f"  {problem}")
        valid = len(plan.rows)
        if dry_run:
            click.echo("Dry run: nothing was written.")
            ctx.exit(EXIT_STOP if errors else 0)
        if errors and not valid_only:
            click.echo(
                f"Nothing was imported: fix the rows above, or run again with --valid-only to import the {valid:,} valid rows.",
                err=True,
            )
            ctx.exit(EXIT_STOP)
        if not plan.changes and not any(p.entries or p.for_new_pupils for p in event_plans):
            apply_with_events(session, plan, data, valid_only=valid_only)  # records the file as imported
            click.echo("Nothing to change: everything in the file is already recorded.")
            return
        if yes and regrants and not accept_regrants:
            click.echo(
                f"Nothing was imported: {len(regrants):,} grants would replace a refusal or withdrawal. "
                "Check them, then run again with --accept-regrants (or without --yes to confirm).",
                err=True,
            )
            ctx.exit(EXIT_STOP)
        if not yes:
            if not sys.stdin.isatty():
                raise InvalidInput("Add --yes to import without a prompt, or --dry-run to only preview.", "yes")
            question = "Import these changes?"
            if regrants:
                question = (
                    f"Import these changes, including the {len(regrants):,} grants listed that replace a refusal or withdrawal?"
                )
            if not click.confirm(question, default=False):
                click.echo("Nothing was imported.")
                ctx.exit(EXIT_STOP)
        outcome, sentences = apply_with_events(session, plan, data, valid_only=valid_only)
    click.echo(outcome.sentence())
    for sentence in sentences:
        click.echo(sentence)


def _import_event(
    ctx: click.Context,
    session: Session,
    data: bytes,
    name: str,
    event_name: str,
    mapping: dict[str, str],
    not_a_purpose: InvalidInput,
    dry_run: bool,
    valid_only: bool,
    yes: bool,
) -> None:
    """`import FILE --purpose EVENT`: the file's decisions for an event (see store/consents/event_import.py)."""
    from safedesk.store.consents.event_import import apply_event_import, plan_event_import
    from safedesk.store.consents.events import find_event

    event = find_event(session, event_name)
    if event is None:
        raise InvalidInput(f"{not_a_purpose} Or the name of an event (safedesk consents event list).", "purpose")
    plan = plan_event_import(session, data, event, mapping)
    click.echo(f"Preview of {name}:")
    for line in plan.summary_lines():
        click.echo(f"  {line}")
    if plan.errors:
        click.echo(f"Errors ({len(plan.errors):,} rows):")
        for problem in plan.errors:
            click.echo(f"  {problem}")
    if dry_run:
        click.echo("Dry run: nothing was written.")
        ctx.exit(EXIT_STOP if plan.errors else 0)
    if plan.errors and not valid_only:
        click.echo(
            f"Nothing was imported: fix the rows above, or run again with --valid-only to import the {len(plan.entries):,} valid decisions.",
            err=True,
        )
        ctx.exit(EXIT_STOP)
    if not plan.entries:
        click.echo("Nothing to change: every decision in the file is already recorded.")
        return
    if not yes:
        if not sys.stdin.isatty():
            raise InvalidInput("Add --yes to import without a prompt, or --dry-run to only preview.", "yes")
        if not click.confirm("Import these decisions?", default=False):
            click.echo("Nothing was imported.")
            ctx.exit(EXIT_STOP)
    click.echo(apply_event_import(session, plan))


@consents.command("columns")
def columns() -> None:
    """The CSV columns the import reads, with the other headers it recognises."""
    from safedesk.store.consents.importer import COLUMNS

    for column in COLUMNS:
        click.echo(f"{column.key:<24} {column.meaning}")
        click.echo(f"{'':<24} values: {column.values}")
        if column.aliases:
            click.echo(f"{'':<24} also read from: {', '.join(column.aliases)}")
    click.echo(f'{"ignore":<24} A mapping target: the column is not read (--map "Header=ignore").')
    click.echo(f"{'event:NAME':<24} A mapping target: the column holds each pupil's decision for the event NAME")
    click.echo(f'{"":<24} (--map "Trip slip=event:Year 6 Residential"; the event must be added first).')


# --------------------------------------------------------------------- check


def _resolve_all(session: Session, texts: tuple[str, ...], index: PupilIndex) -> tuple[list[PupilRow], list[str]]:
    """Each PUPIL argument as a list row; one line per argument that names nobody or several."""
    from safedesk.store.consents.check import resolve_row
    from safedesk.store.consents.pupils import search_rows

    found: list[PupilRow] = []
    problems: list[str] = []
    for text in texts:
        row, candidates = resolve_row(session, text, index=index)
        if row is not None:
            if all(r.id != row.id for r in found):
                found.append(row)
        elif candidates:
            who = "; ".join(f"{r.year_group or '?'} {r.form or '?'}, MIS id {r.mis_id or 'none'}" for r in candidates)
            problems.append(f"'{text}' is ambiguous: {len(candidates)} pupils have that name ({who}). Name them by MIS id.")
        else:
            near = search_rows(session, text, limit=3)
            hint = f" Did you mean: {', '.join(r.name for r in near)}?" if near else ""
            problems.append(f"No pupil is called '{text}' or has that MIS id (give the full name).{hint}")
    return found, problems


@consents.command("check")
@click.option(
    "--purpose",
    "-p",
    "purposes",
    multiple=True,
    metavar="PURPOSE",
    help="What the image is for: website, social-media, print, press, video, displays, a channel such as youtube or facebook (repeatable), or an event's name.",
)
@click.option("--event", metavar="EVENT", help="An event with its own consent (a trip, a performance), by name.")
@click.argument("pupils", nargs=-1, required=True, metavar="PUPIL...")
@PASSPHRASE_FILE
@USER
@click.pass_context
def check(
    ctx: click.Context,
    purposes: tuple[str, ...],
    event: str | None,
    pupils: tuple[str, ...],
    passphrase_file: str | None,
    user: str | None,
) -> None:
    """Can these pupils appear? Exit 0 PASS, 1 STOP (one reason per pupil), 2 unknown or ambiguous pupil.

    Name each PUPIL by full name or MIS id. An event (--event, or its name as --purpose) is checked on its own.
    """
    from safedesk.store.consents.check import CHANNELS, IMAGE_RULES, check_rows, purposes_for
    from safedesk.store.consents.events import check_event, find_event, list_events
    from safedesk.store.consents.pupils import pupil_index_for

    if not purposes and not event:
        raise InvalidInput("Give --purpose (what the image is for) or --event (a trip or performance).", "purpose")
    chosen: tuple[Purpose, ...] = ()
    if not event:
        try:
            chosen = purposes_for(purposes)
        except InvalidInput:
            if len(purposes) != 1:
                raise
            event = purposes[0]  # not a purpose or channel: perhaps an event's name
    elif purposes:
        raise InvalidInput("Check an event on its own: give --event or --purpose, not both.", "event")
    with opened(ctx, passphrase_file, user, access="read") as session:
        found_event = find_event(session, event) if event else None
        if event and found_event is None:
            names = ", ".join(e.name for e in list_events(session)) or "none recorded"
            channels = ", ".join(c.key for c in CHANNELS)
            raise InvalidInput(
                f"Unknown purpose, channel or event '{event}': use one of {channels}, or an event (events: {names}).", "event"
            )
        # Only the pupils these names can reach (and their namesakes): a check of one pupil
        # does not make a row for every pupil of the school.
        index = pupil_index_for(session, pupils)
        found, problems = _resolve_all(session, pupils, index)
    if problems:
        for problem in problems:
            click.echo(f"safedesk: {problem}", err=True)
        ctx.exit(EXIT_BAD_INPUT)
    if found_event is not None:
        result = check_event(found_event, found, index=index)
    else:
        result = check_rows(found, chosen, index=index)
    click.echo(result.headline())
    for v in result.stops:
        click.echo(f"{v.name}{', ' + v.form if v.form else ''}: {v.reason}")
    for v in result.verdicts:
        if v.note:
            click.echo(f"Note: {v.name}: {v.note}.")
    if not result.passed:
        ctx.exit(EXIT_STOP)
    click.echo("Before posting:")
    for rule in IMAGE_RULES:
        click.echo(f"- {rule.text}")


# --------------------------------------------------------------------- events


@consents.group("event")
def event_group() -> None:
    """Events with their own consent (a trip, a performance): add, record decisions, list, show."""


@event_group.command("add")
@click.argument("name")
@click.option("--from", "starts", required=True, metavar="DATE", help="First day (DD/MM/YYYY).")
@click.option("--to", "ends", metavar="DATE", help="Last day (DD/MM/YYYY); the first day if left out.")
@click.option("--note", default="", help="A short note (where, which class).")
@PASSPHRASE_FILE
@USER
@click.pass_context
def event_add(
    ctx: click.Context, name: str, starts: str, ends: str | None, note: str, passphrase_file: str | None, user: str | None
) -> None:
    """Add an event with its own dates."""
    from safedesk.store.consents.events import ConsentEvent, add_event
    from safedesk.store.consents.pupils import parse_date

    first = parse_date(starts, "from")
    last = parse_date(ends, "to") if ends else first
    with opened(ctx, passphrase_file, user) as session:
        made = add_event(session, ConsentEvent(name=name, starts_on=first, ends_on=last, note=note))
    click.echo(f"Event added: {made.name} ({made.dates}).")


@event_group.command("record")
@click.argument("name")
@click.argument("pupils", nargs=-1, required=True, metavar="PUPIL...")
@click.option("--status", required=True, type=click.Choice(["granted", "refused", "withdrawn"]), help="The decision.")
@click.option("--given", "given_on", metavar="DATE", help="The date it was given (DD/MM/YYYY); today if left out.")
@click.option("--by", "given_by", default="", help="Who gave it (parent or carer).")
@PASSPHRASE_FILE
@USER
@click.pass_context
def event_record(
    ctx: click.Context,
    name: str,
    pupils: tuple[str, ...],
    status: str,
    given_on: str | None,
    given_by: str,
    passphrase_file: str | None,
    user: str | None,
) -> None:
    """Record a decision for the event for each PUPIL (full name or MIS id)."""
    from safedesk.store.consents.events import EventStatus, find_event, record_event_decisions
    from safedesk.store.consents.pupils import count_of, format_date, parse_date, pupil_index_for

    day = parse_date(given_on, "given") if given_on else local_today()
    with opened(ctx, passphrase_file, user) as session:
        event = find_event(session, name)
        if event is None or event.id is None:
            raise InvalidInput(f"No event is called '{name}': add it with 'safedesk consents event add'.", "event")
        found, problems = _resolve_all(session, pupils, pupil_index_for(session, pupils))
        if problems:
            for problem in problems:
                click.echo(f"safedesk: {problem}", err=True)
            ctx.exit(EXIT_BAD_INPUT)
        record_event_decisions(session, event.id, [r.id for r in found], EventStatus(status), day, given_by)
    click.echo(f"{event.name}: {status} recorded for {count_of(len(found), 'pupil')}, given {format_date(day)}.")


@event_group.command("list")
@PASSPHRASE_FILE
@USER
@click.pass_context
def event_list(ctx: click.Context, passphrase_file: str | None, user: str | None) -> None:
    """Every event, the latest first, with how many pupils have each decision."""
    from safedesk.store.consents.events import describe_count, list_events

    with opened(ctx, passphrase_file, user, access="read") as session:
        events = list_events(session)
    for event in events:
        click.echo(f"{event.name}  {event.dates}  {describe_count(event)}")
    click.echo(f"{len(events):,} event{'s' if len(events) != 1 else ''}.")


@event_group.command("show")
@click.argument("name")
@PASSPHRASE_FILE
@USER
@click.pass_context
def event_show(ctx: click.Context, name: str, passphrase_file: str | None, user: str | None) -> None:
    """One event: its dates, and each pupil's current decision (the latest given)."""
    from safedesk.store.consents.events import event_lines, find_event
    from safedesk.store.consents.pupils import format_date, pupil_index

    with opened(ctx, passphrase_file, user, access="read") as session:
        event = find_event(session, name)
        if event is None:
            raise InvalidInput(f"No event is called '{name}'.", "event")
        lines = event_lines(event, pupil_index(session))
    click.echo(f"{event.name}  {event.dates}" + (f"  ({event.note})" if event.note else ""))
    for line in lines:
        r, d = line.row, line.decision
        click.echo(f"  {r.display_name:<30} {r.form:<6} {d.status.value:<9} given {format_date(d.given_on)}")
    click.echo(f"{len(lines):,} pupil{'s' if len(lines) != 1 else ''} with a decision.")


# --------------------------------------------------------------------- lists


STATUS_CHOICES = ["granted", "expiring", "expired", "refused", "withdrawn", "not-asked", "not-recorded", "not-cleared"]


@consents.command("list")
@click.option("--year", metavar="YEAR", help='Only this year group ("Year 5", "5", "R").')
@click.option("--class", "form", metavar="CLASS", help="Only this class or form.")
@click.option("--purpose", metavar="PURPOSE", help="With --status: the purpose to filter on.")
@click.option("--status", type=click.Choice(STATUS_CHOICES), help="Only pupils whose consent for --purpose is in this state.")
@click.option("--never-publish", is_flag=True, help="Only pupils on the never-publish list.")
@click.option("--include-left", is_flag=True, help="Include pupils who have left.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@PASSPHRASE_FILE
@USER
@click.pass_context
def list_(
    ctx: click.Context,
    year: str | None,
    form: str | None,
    purpose: str | None,
    status: str | None,
    never_publish: bool,
    include_left: bool,
    as_json: bool,
    passphrase_file: str | None,
    user: str | None,
) -> None:
    """List pupils and where each purpose stands."""
    from safedesk.store.consents.check import purposes_for
    from safedesk.store.consents.pupils import (
        STATE_LEGEND,
        STATE_SHORT,
        Purpose,
        count_of,
        filter_rows,
        normalise_year,
        pupil_index,
        year_order,
        year_short,
    )

    if bool(purpose) != bool(status):
        raise InvalidInput("Give --purpose and --status together.", "status")
    chosen = purposes_for([purpose])[0] if purpose else None
    today = local_today()
    with opened(ctx, passphrase_file, user, access="read") as session:
        rows = filter_rows(
            pupil_index(session).rows,
            today=today,
            year=normalise_year(year or ""),
            form=form or "",
            purpose=chosen,
            state=(status or "").replace("-", " "),
            never_publish_only=never_publish,
            include_left=include_left,
        )
    rows.sort(key=lambda r: (year_order(r.year_group), r.form.casefold(), r.name_key))
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "name": r.name,
                        "preferred_name": r.preferred_name,
                        "year_group": r.year_group,
                        "class": r.form,
                        "mis_id": r.mis_id,
                        "left_on": r.left_on.isoformat() if r.left_on else None,
                        "never_publish": r.never_publish is not None,
                        "consents": {p.value: r.states[p].word(today) for p in Purpose},
                    }
                    for r in rows
                ],
                ensure_ascii=False,
                indent=1,
            )
        )
        return
    click.echo(f"{'Name':<30} {'Year':<4} {'Class':<6} " + " ".join(p.short for p in Purpose) + "  NP")
    for r in rows:
        cells = " ".join(f"{STATE_SHORT[r.states[p].word(today)]:<3}" for p in Purpose)
        click.echo(
            f"{_cut(r.display_name, 30):<30} {year_short(r.year_group):<4} {_cut(r.form, 6):<6} {cells}  {'NP' if r.never_publish else ''}"
        )
    click.echo(f"{count_of(len(rows), 'pupil')}. {STATE_LEGEND}  - not recorded  NP never publish")


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@consents.command("show")
@click.argument("pupil", metavar="PUPIL")
@PASSPHRASE_FILE
@USER
@click.pass_context
def show(ctx: click.Context, pupil: str, passphrase_file: str | None, user: str | None) -> None:
    """One pupil: details, where each purpose stands, the full history, and any event decisions."""
    from safedesk.store.consents.events import pupil_events
    from safedesk.store.consents.pupils import Purpose, format_date, get_pupil, pupil_index_for

    with opened(ctx, passphrase_file, user, access="read") as session:
        found, problems = _resolve_all(session, (pupil,), pupil_index_for(session, (pupil,)))
        record = get_pupil(session, found[0].id) if found else None
        events = pupil_events(session, record.id) if record is not None and record.id else []
    if problems or record is None:
        click.echo(f"safedesk: {problems[0]}", err=True)
        ctx.exit(EXIT_BAD_INPUT)
    assert record is not None  # ctx.exit above ends the command
    today = local_today()
    click.echo(record.display_name)
    click.echo(
        f"  {record.year_group or 'year not recorded'} · class {record.form or 'not recorded'} · MIS id {record.mis_id or 'none'}"
        + (f" · left {format_date(record.left_on)}" if record.left_on else "")
    )
    if record.never_publish:
        click.echo(f"  NEVER PUBLISH ({record.never_publish.label}) since {format_date(record.flags[-1].on)}")
    states = record.states()
    for purpose in Purpose:
        state = states[purpose]
        extra = f", until {format_date(state.review_on)}" if state.review_on and state.status else ""
        click.echo(f"  {purpose.label:<24} {state.word(today)}{extra}")
    click.echo("History (oldest first, by the date each decision was given):")
    for c in record.history():
        who = ", ".join(x for x in (c.given_by, c.relationship) if x)
        click.echo(
            f"  {show_datetime(c.recorded_at)}  {c.purpose.label}: {c.status.label}"
            + (f" on {format_date(c.given_on)}" if c.given_on else "")
            + (f" by {who}" if who else "")
            + (f"; review {format_date(c.review_on)}" if c.review_on else "")
            + f"  [{c.recorded_by}, {c.source}]"
        )
    for f in record.flags:
        click.echo(
            f"  {show_datetime(f.recorded_at)}  never-publish {'set: ' + f.reason.label if f.reason else 'removed'}  [{f.recorded_by}]"
        )
    for event, decisions in events:
        # The last listed is the one in force: the latest given (then the latest recorded).
        click.echo(f"Event: {event.name} ({event.dates}):")
        for d in decisions:
            click.echo(
                f"  {format_date(d.given_on)}  {d.status.value}"
                + (f" by {d.given_by}" if d.given_by else "")
                + f"  [{d.recorded_by}]"
            )


@consents.command("expiring")
@click.option("--days", type=click.IntRange(0, 366), default=30, show_default=True, help="How far ahead to look.")
@PASSPHRASE_FILE
@USER
@click.pass_context
def expiring_(ctx: click.Context, days: int, passphrase_file: str | None, user: str | None) -> None:
    """Granted consents that have expired or expire within DAYS, soonest first."""
    from safedesk.store.consents.pupils import expiring, format_date

    today = local_today()
    with opened(ctx, passphrase_file, user, access="read") as session:
        due = expiring(session, days)
    for e in due:
        left = e.days_left(today)
        when = f"expired {-left} days ago" if left < 0 else ("expires today" if left == 0 else f"in {left} days")
        click.echo(
            f"{format_date(e.review_on)}  {when:<20} {_cut(e.pupil.display_name, 30):<30} {e.pupil.form:<6} {e.purpose.label}"
        )
    click.echo(f"{len(due):,} consents.")


@consents.command("export")
@click.argument("kind", type=click.Choice(["never-publish", "cleared"]))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Markdown file to write.")
@click.option(
    "--purpose", metavar="PURPOSE", help="For 'cleared': the purpose (website, social-media, print, press, video, displays)."
)
@click.option(
    "--with-reasons", is_flag=True, help="For 'never-publish': include each reason category (keep such a copy with the DSL)."
)
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@PASSPHRASE_FILE
@USER
@click.pass_context
def export(
    ctx: click.Context,
    kind: str,
    out: Path,
    purpose: str | None,
    with_reasons: bool,
    force: bool,
    passphrase_file: str | None,
    user: str | None,
) -> None:
    """Write the never-publish list, or the pupils cleared for a purpose, as Markdown (personal data)."""
    from safedesk.store.consents.check import purposes_for
    from safedesk.store.consents.pupils import cleared_export, count_of, never_publish_export, write_export

    chosen = None
    if kind == "cleared":
        if not purpose:
            raise InvalidInput("Give --purpose for the cleared list (for example --purpose social-media).", "purpose")
        found = purposes_for([purpose])
        if len(found) != 1:
            raise InvalidInput("Give one purpose for the cleared list, not a channel needing several.", "purpose")
        chosen = found[0]
    with opened(ctx, passphrase_file, user, access="export") as session:
        made = never_publish_export(session, with_reasons=with_reasons) if chosen is None else cleared_export(session, chosen)
        write_export(session, made, out, overwrite=force)
    click.echo(f"Wrote {out} ({count_of(made.count, 'pupil')}). It contains personal data about children: keep it secure.")
