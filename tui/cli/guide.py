"""`safedesk guide ...`: the guidance from the command line; needs no store."""

from __future__ import annotations

import json
from pathlib import Path

import click

from safedesk.cli.formats import sheet_out


@click.group(invoke_without_command=True)
@click.pass_context
def guide(ctx: click.Context) -> None:
    """Browse the safeguarding guidance (no store or passphrase needed).

    With no sub-command, opens the app straight into the guidance browser.
    """
    if ctx.invoked_subcommand is None:
        from safedesk.launch import run_app

        ctx.exit(run_app(ctx.obj.store_dir, start="guide", debug=ctx.obj.debug))


@guide.command("quick-reference")
@sheet_out
def quick_reference(out: Path, force: bool) -> None:
    """Write the one-page quick reference to print: keys, locking and the triage questions."""
    from safedesk.content.quickref import quick_reference_markdown
    from safedesk.store.engine.files import write_document
    from safedesk.store.text.document import Document

    write_document(out, Document("SafeDesk quick reference", quick_reference_markdown()), overwrite=force)
    click.echo(f"Wrote {out}. Print it and keep it by the laptop: it holds no personal data.")


@guide.command("search")
@click.argument("query", nargs=-1, required=True)
@click.option("--limit", default=10, show_default=True, type=click.IntRange(min=1), help="Most results to show.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of {id, title, kind, score, snippet}.")
def search(query: tuple[str, ...], limit: int, as_json: bool) -> None:
    """Find the cards for QUERY (words, slang and misspellings are fine)."""
    from safedesk.content.search import default_index

    result = default_index().search(" ".join(query), limit=limit)
    if result.notice:
        click.echo(f"safedesk: {result.notice}", err=True)
    if result.corrected_query:
        click.echo(f"safedesk: showing results for {result.corrected_query!r}", err=True)
    if as_json:
        rows = [{"id": h.id, "title": h.title, "kind": h.kind, "score": h.score, "snippet": h.snippet} for h in result.hits]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not result.hits:
        click.echo("safedesk: no card matches; try other words or `safedesk guide list`", err=True)
    for rank, hit in enumerate(result.hits, start=1):
        click.echo(f"{rank:2}. {hit.id}  {hit.title}")
        click.echo(f"    {hit.snippet}")


@guide.command("show")
@click.argument("card_id")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "text"]),
    default="markdown",
    show_default=True,
    help="Markdown as written, or plain text.",
)
def show(card_id: str, fmt: str) -> None:
    """Print the card CARD_ID with its sources."""
    from safedesk.content.cards import markdown_to_text
    from safedesk.content.library import default_library

    document = default_library().get(card_id).markdown()
    click.echo(document if fmt == "markdown" else markdown_to_text(document), nl=False)


@guide.command("list")
@click.option("--kind", help="Only cards of this kind (playbook, checklist, guide, platform, ...).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of {id, title, kind, summary}.")
def list_cards(kind: str | None, as_json: bool) -> None:
    """List the cards, grouped by kind."""
    from safedesk.content.cards import KINDS
    from safedesk.content.library import default_library

    if kind is not None and kind not in KINDS:
        raise click.BadParameter(f"must be one of: {', '.join(KINDS)}", param_hint="'--kind'")
    groups = default_library().by_kind()
    cards = [card for k, group in groups.items() if kind in (None, k) for card in group]
    if as_json:
        rows = [{"id": c.id, "title": c.title, "kind": c.kind, "summary": c.summary} for c in cards]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    width = max((len(c.id) for c in cards), default=0)
    current = None
    for card in cards:
        if card.kind != current:
            if current is not None:
                click.echo()
            current = card.kind
            click.echo(f"{current}:")
        click.echo(f"  {card.id.ljust(width)}  {card.title}")
