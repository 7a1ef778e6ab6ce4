"""`safedesk evidence ...`: an incident's evidence without the app.

evidence list --incident REF [--json]     every item: kind, title, size, SHA-256, where seen, whether it may be exported
evidence export ID --out FILE             write one stored file out decrypted (asks first; audited)

A file on an incident flagged "sexual imagery of a child suspected" is never written out,
whenever it was added: the refusal says why, and only its hash and description may be shared.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from safedesk.cli.store import PASSPHRASE_FILE, USER, opened


@click.group()
def evidence() -> None:
    """An incident's evidence: list it with hashes, or export one stored file."""


@evidence.command("list")
@click.option("--incident", "ref", required=True, metavar="REF", help="The incident's reference.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: a list of evidence items.")
@PASSPHRASE_FILE
@USER
@click.pass_context
def list_evidence(ctx: click.Context, ref: str, as_json: bool, passphrase_file: str | None, user: str | None) -> None:
    """Every evidence item of one incident, with its SHA-256 and whether it may be exported."""
    from safedesk.store.incidents import evidence as store_evidence
    from safedesk.store.incidents.log import IncidentLog

    with opened(ctx, passphrase_file, user, access="read") as session:
        incident = IncidentLog(session).by_ref(ref)
        items = store_evidence.evidence_for(session, incident.id or 0)
        blocked = store_evidence.export_blocked_reason(incident)
    rows: list[dict[str, Any]] = [  # printed as JSON or as lines: values of several types
        {
            "id": item.id,
            "kind": item.kind,
            "title": item.title,
            "size": item.size if item.kind == "file" else None,
            "sha256": item.sha256 or None,
            "where_seen": item.where_seen,
            "holder": item.holder,
            "exportable": item.kind == "file" and blocked is None,
        }
        for item in items
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo(f"{incident.ref}: no evidence recorded.")
    for row in rows:
        if row["kind"] == "file":
            click.echo(f"{row['id']:>4}  file       {row['title']}  ({row['size']:,} B)  SHA-256 {row['sha256']}")
        else:
            where = " · ".join(x for x in (row["where_seen"], row["holder"]) if x)
            click.echo(f"{row['id']:>4}  described  {row['title']}" + (f"  ({where})" if where else ""))
    if blocked and any(row["kind"] == "file" for row in rows):
        click.echo(blocked)


@evidence.command("export")
@click.argument("item_id", metavar="ID", type=int)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
@PASSPHRASE_FILE
@USER
@click.pass_context
def export(ctx: click.Context, item_id: int, out: Path, passphrase_file: str | None, user: str | None) -> None:
    """Write one stored evidence file out, unencrypted, for the police or the LADO (audited)."""
    from safedesk.store.errors import RecordNotFound
    from safedesk.store.incidents import evidence as store_evidence
    from safedesk.store.incidents.log import IncidentLog

    with opened(ctx, passphrase_file, user, access="export") as session:
        try:
            item = session.repo(store_evidence.Evidence).get(item_id)
        except RecordNotFound:
            raise RecordNotFound(f"No evidence item {item_id} in this store ('safedesk evidence list' shows the ids).") from None
        incident = IncidentLog(session).get(item.incident_id)
        blocked = store_evidence.export_blocked_reason(incident)
        if blocked is None and item.kind == "file":
            click.confirm(
                f"This writes an unencrypted copy of '{item.title}' ({incident.ref}) outside the store. Write it?",
                default=False,
                abort=True,
            )
        store_evidence.export_file(session, item, out.expanduser())  # refuses a description or a blocked file
    click.echo(f"Wrote {out} (SHA-256 {item.sha256}). Keep the copy safe and delete it when it is no longer needed.")
