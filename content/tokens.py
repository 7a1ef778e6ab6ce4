"""Each shipped card's body already parsed into markdown-it tokens: a pure speed-up for start-up.

The guide draws its first card before it is on screen, and importing markdown-it to parse
that card cost ~20 ms of the first paint (`python -m bench guide`). The tokens are kept in
`cards/parsed-bodies.jsonl`: a first line mapping each card id to the SHA-256 of the text the
guide draws (the card's body with other cards' ids put as their titles, `Library.reader_body`) and the line
its tokens are on, then one line of tokens per card (one card parsed, not all). A card whose text changed since
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
    index, path = _index(folder or _cards_dir())
    entry = index.get(card_id)
    if entry is None or entry[0] != _key(text):
        return None
    try:
        with path.open("rb") as file:
            # Lines, not byte offsets: a checkout that turned the line ends into CRLF still reads.
            for _ in range(entry[1] + 1):  # the index line, then the cards before this one
                file.readline()
            rows = json.loads(file.readline())
    except (OSError, ValueError):
        return None
    return [FlatToken(*row) for row in rows]


@cache
def _index(folder: Path) -> tuple[dict[str, list[Any]], Path]:
    """The first line of the file (card id -> [key, its line among the cards' lines]), and the file."""
    path = folder / TOKENS_FILE
    try:
        with path.open("rb") as file:
            index = json.loads(file.readline())
    except (OSError, ValueError):
        return {}, path
    return (index if isinstance(index, dict) else {}), path


def write_tokens(library: Library, folder: Path | None = None) -> int:
    """Rewrite the kept tokens for every card of `library`; returns how many cards."""
    folder = folder or _cards_dir()
    lines: list[bytes] = []
    index: dict[str, list[Any]] = {}
    for card in library.cards.values():
        text = library.reader_body(card)
        rows = [[t.type, t.tag, t.nesting, t.content, dict(t.attrs)] for t in parse_flat(text)]
        index[card.id] = [_key(text), len(lines)]
        lines.append(json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")
    header = json.dumps(index, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
    (folder / TOKENS_FILE).write_bytes(header + b"".join(lines))
    return len(lines)


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _cards_dir() -> Path:
    return Path(__file__).parent / "cards"
