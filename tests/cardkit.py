"""Synthetic cards for the content tests: write a card file with sensible defaults."""

from __future__ import annotations

from pathlib import Path

SEED = "001_ef7b0626e3c4f569.txt"
PLAYBOOK_BODY = """\
## Do now
- Save the evidence.
- Tell the headteacher.

## Do not
- Do not reply in public.

## Record
- Write down the times.

## Escalate
- Call the LADO within one working day.

## Follow-up
- Review the policy.
"""


def toml_list(values: list[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def card_text(
    card_id: str,
    *,
    title: str | None = None,
    kind: str = "guide",
    audience: list[str] | None = None,
    tags: list[str] | None = None,
    aliases: list[str] | None = None,
    related: list[str] | None = None,
    summary: str = "A short summary.",
    body: str | None = None,
) -> str:
    if body is None:
        body = PLAYBOOK_BODY if kind == "playbook" else "Some guidance text.\n"
    return (
        "+++\n"
        f'id = "{card_id}"\n'
        f'title = "{title or card_id.replace("-", " ").capitalize()}"\n'
        f'kind = "{kind}"\n'
        f"audience = {toml_list(audience or ['dsl'])}\n"
        f"tags = {toml_list(tags or [])}\n"
        f"aliases = {toml_list(aliases or [])}\n"
        f"related = {toml_list(related or [])}\n"
        f'summary = "{summary}"\n'
        "\n[[sources]]\n"
        f'file = "{SEED}"\n'
        'section = "Handling abuse"\n'
        "+++\n\n" + body
    )


def write_card(folder: Path, card_id: str, file_name: str | None = None, **fields: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (file_name or f"{card_id}.md")
    path.write_text(card_text(card_id, **fields), encoding="utf-8")  # type: ignore[arg-type]
    return path
