"""`safedesk export REPORT --out FILE [--html | --pdf]`: Markdown, printable HTML or PDF reports."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from safedesk.cli.formats import format_flags
from safedesk.cli.store import PASSPHRASE_FILE, USER, opened, recorded_export


def _date(value: str | None, name: str) -> date | None:
    from safedesk.store.text.dates import parse_date

    return parse_date(value or "", name)


@click.command("export")
@click.argument("report", metavar="REPORT")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
@click.option("--incident", default="", metavar="REF", help="For the incident report: its reference, e.g. INC-2026-0007.")
@click.option("--pupil", default="", metavar="MIS-ID|NAME", help="For the child's chronology: the pupil's MIS id or full name.")
@click.option("--from", "start", metavar="DATE", help="Start of the period (default: a year ago).")
@click.option("--to", "end", metavar="DATE", help="End of the period (default: today).")
@click.option("--purpose", default="", metavar="PURPOSE", help="For the cleared-for-a-purpose list.")
@click.option("--include-secrets", is_flag=True, help="Account register only: include credentials (asks to confirm; audited).")
@format_flags
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@PASSPHRASE_FILE
@USER
@click.pass_context
def export(
    ctx: click.Context,
    report: str,
    out: Path,
    incident: str,
    pupil: str,
    start: str | None,
    end: str | None,
    purpose: str,
    include_secrets: bool,
    as_html: bool,
    as_pdf: bool,
    as_docx: bool,
    force: bool,
    passphrase_file: str | None,
    user: str | None,
) -> None:
    """Write a report as Markdown, or a printable web page (--html) or PDF (--pdf). REPORT is one of:

    \b
      incident          one incident in full (--incident REF)
      incident-log      incidents in a period (--from, --to) with counts and open actions
      audit             the audit log for a period, with a verification statement
      consent-register  every pupil's consent per purpose, and each event's decisions
      never-publish     pupils whose images must never be published
      cleared           pupils cleared for one purpose today (--purpose)
      accounts          the official account register with health findings
      chronology        everything recorded about one pupil, in date order (--pupil MIS-ID|NAME)
    """
    from safedesk.cli.formats import chosen_format
    from safedesk.store.engine.files import write_export
    from safedesk.store.features import default_registry
    from safedesk.store.registry import ReportParams
    from safedesk.store.text.document import REPORT_FORMATS, render

    fmt = chosen_format(
        as_html=as_html, as_pdf=as_pdf, as_docx=as_docx, allowed=REPORT_FORMATS, why=" (a report is a record, not for editing)"
    )
    params = ReportParams(
        incident=incident,
        pupil=pupil,
        start=_date(start, "from"),
        end=_date(end, "to"),
        purpose=purpose,
        include_secrets=include_secrets,
    )
    if include_secrets and not click.confirm(
        "The file will contain passwords and recovery details in plain text. Write it anyway?", default=False
    ):
        raise click.Abort()
    registry = default_registry()
    with opened(ctx, passphrase_file, user, access="export") as session:
        document = registry.build_document(session, report, params)
        write_export(out, render(document, fmt), overwrite=force)
        secrets = " including secrets" if include_secrets else ""
        with recorded_export(out):
            session.audit_event("export.report", f"{report} report exported{secrets} ({fmt.kind})")
    note = " It contains personal data: keep it safe." if registry.report(report).personal_data else ""
    click.echo(f"Wrote {out}.{note}")
