"""Each shipped card's body already parsed into markdown-it tokens: a pure speed-up for start-up.

The guide draws its first card before it is on screen, and importing markdown-it to parse
that card cost ~20 ms of the first paint (`python -m bench guide`). The tokens are kept in
`cards/parsed-bodies.jsonl`: a first line mapping each card id to the SHA-256 of the text the
guide draws (the card's body with other cards' ids linked, `Library.linked_body`) and where
its tokens start after that line, then one line of tokens per card (one card read, not all). A card whose text changed since
the file was written is simply parsed again; `python -m safedesk.content.library` rewrites it
and tests/content/test_content_cards.py fails while it is stale.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from markdown_it.token import Token

    from safedesk.content.library import Library

TOKENS_FILE = "parsed-bodies.jsonl"


class FlatToken:
    """The fields of a markdown-it token that a reader walking the flattened stream uses."""

    __slots__ = ("attrs", "content", "nesting", "tag", "type")
    children = None  # flattened: inline tokens' children are in the stream itself

    def __init__(self, type: str, tag: str, nesting: int, content: str, attrs: dict[str, Any]) -> None:
        self.type = type
        self.tag = tag
        self.nesting = nesting
        self.content = content
        self.attrs = attrs


def parse_flat(markdown: str) -> list[Token]:
    """`markdown` parsed as Rich's Markdown parses it, with inline children in the stream."""
    from markdown_it import MarkdownIt

    return list(_flatten(MarkdownIt().enable("strikethrough").enable("table").parse(markdown)))


def _flatten(tokens: Iterable[Token]) -> Iterator[Token]:
    for token in tokens:
        if token.children and not (token.type == "fence" or token.tag == "img"):
            yield from _flatten(token.children)
        else:
            yield token


def shipped_tokens(card_id: str, text: str, folder: Path | None = None) -> list[FlatToken] | None:
    """The tokens kept for card `card_id` if they were parsed from exactly `text`, else None."""
    index, start, path = _index(folder or _cards_dir())
    entry = index.get(card_id)
    if entry is None or entry[0] != _key(text):
        return None
    try:
        with path.open("rb") as file:
            file.seek(start + entry[1])
            rows = json.loads(file.readline())
    except (OSError, ValueError):
        return None
    return [FlatToken(*row) for row in rows]


@cache
def _index(folder: Path) -> tuple[dict[str, list[Any]], int, Path]:
    """The first line (card id -> [key, offset after that line]), its length, the file."""
    path = folder / TOKENS_FILE
    try:
        with path.open("rb") as file:
            line = file.readline()
        index = json.loads(line)
    except (OSError, ValueError):
        return {}, 0, path
    return (index if isinstance(index, dict) else {}), len(line), path


def write_tokens(library: Library, folder: Path | None = None) -> int:
    """Rewrite the kept tokens for every card of `library`; returns how many cards."""
    folder = folder or _cards_dir()
    lines: list[bytes] = []
    offsets: dict[str, list[Any]] = {}
    position = 0
    for card in library.cards.values():
        text = library.linked_body(card)
        rows = [[t.type, t.tag, t.nesting, t.content, dict(t.attrs)] for t in parse_flat(text)]
        lines.append(json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")
        offsets[card.id] = [_key(text), position]
        position += len(lines[-1])
    header = json.dumps(offsets, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
    (folder / TOKENS_FILE).write_bytes(header + b"".join(lines))
    return len(lines)


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _cards_dir() -> Path:
    return Path(__file__).parent / "cards"
