"""One guidance card: TOML front matter between `+++` lines, then a Markdown body.

The format is described in docs/CARDS.md. The parser checks the shape of the
front matter (fields present, right types); whether the values make sense
(known kind, related ids that exist, playbook sections) is `Library.validate()`'s job,
so one sloppy card shows up as a list of problems rather than a crash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safedesk.content.errors import ContentError

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.tree import SyntaxTreeNode

KINDS: tuple[str, ...] = ("playbook", "checklist", "guide", "platform", "faq", "form", "template", "reference")
AUDIENCES: tuple[str, ...] = ("dsl", "leaders", "staff", "admins", "parents")
# A playbook's `##` sections, in order; "Do now" becomes an incident's checklist.
PLAYBOOK_SECTIONS: tuple[str, ...] = ("Do now", "Do not", "Record", "Escalate", "Follow-up")

FENCE = "+++"
_STRING_FIELDS = ("id", "title", "kind", "summary")
_LIST_FIELDS = ("audience", "tags", "aliases", "related")
_KNOWN_FIELDS = frozenset((*_STRING_FIELDS, *_LIST_FIELDS, "sources", "nations"))
# The UK nations a card's advice applies to; required when it cites a document beyond the seeds.
NATIONS: tuple[str, ...] = ("England", "Wales", "Scotland", "Northern Ireland")
# A source beyond the five seed files is cited by these fields, plus the section used.
_SEED_KEYS = frozenset({"file", "section"})
_DOCUMENT_KEYS = frozenset({"title", "publisher", "edition", "date", "section"})


class CardError(ContentError):
    """A card file whose front matter cannot be read."""

    def __init__(self, path: Path | str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = Path(path)
        self.message = message


@dataclass(frozen=True)
class Source:
    """Where a card's facts came from: a seed file and the heading within it, or a
    published document beyond the seeds (title, publisher, edition, date) and its section."""

    file: str
    section: str
    title: str = ""
    publisher: str = ""
    edition: str = ""
    date: str = ""

    @property
    def is_seed(self) -> bool:
        return bool(self.file)

    def citation(self) -> str:
        """One line naming the source: the seed file or the document, then the section."""
        if self.is_seed:
            return f"{self.file}: {self.section}"
        return f"{self.title}, {self.publisher}, {self.edition} ({self.date}): {self.section}"


@dataclass(frozen=True)
class Card:
    id: str
    title: str
    kind: str
    audience: tuple[str, ...]
    tags: tuple[str, ...]
    aliases: tuple[str, ...]
    related: tuple[str, ...]
    summary: str
    sources: tuple[Source, ...]
    body: str
    path: Path
    nations: tuple[str, ...] = ()

    def sections(self) -> dict[str, list[str]]:
        """Each `##` heading, in order, with the plain text of the list items under it."""
        return _sections(_tree(self.body))

    def plain_text(self) -> str:
        """The body as readable plain text: no Markdown markers, tables as columns."""
        return markdown_to_text(self.body)

    def markdown(self) -> str:
        """The whole card as one Markdown document: title, body and a Sources footer."""
        sources = "\n".join(f"- {s.citation()}" for s in self.sources)
        applies = f"\n\n**Applies to:** {', '.join(self.nations)}" if self.nations else ""
        return f"# {self.title}\n\n{self.body.strip()}\n\n---\n\n**Sources**\n\n{sources}{applies}\n"


def parse_card(path: Path, parsed: Mapping[str, dict[str, Any]] | None = None) -> Card:
    """Read one card file; raises CardError when its front matter is missing or malformed.

    `parsed` maps front_matter_key(front matter) to its TOML already parsed: start-up
    skips tomllib (pure Python, most of the load time) for every card it knows.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CardError(path, f"cannot be read ({error.__class__.__name__})") from None
    return parse_card_text(text, path, parsed)


def front_matter_key(front: str) -> str:
    return hashlib.sha256(front.encode("utf-8")).hexdigest()


def parse_card_text(text: str, path: Path, parsed: Mapping[str, dict[str, Any]] | None = None) -> Card:
    front, body = split_front_matter(text, path)
    data = parsed.get(front_matter_key(front)) if parsed else None
    if data is None:
        import tomllib  # only for a card the parsed front matter does not hold: not at start-up

        try:
            data = tomllib.loads(front)
        except tomllib.TOMLDecodeError as error:
            raise CardError(path, f"front matter is not valid TOML ({error})") from None

    unknown = sorted(set(data) - _KNOWN_FIELDS)
    if unknown:
        raise CardError(path, f"unknown front matter field(s): {', '.join(unknown)}")
    for name in _STRING_FIELDS:
        value = data.get(name)
        if not isinstance(value, str) or not value.strip():
            raise CardError(path, f"`{name}` must be a non-empty string")
    lists = {name: _string_list(data, name, path) for name in _LIST_FIELDS}
    return Card(
        id=data["id"],
        title=data["title"].strip(),
        kind=data["kind"],
        summary=data["summary"].strip(),
        sources=_sources(data.get("sources"), path),
        body=body,
        path=path,
        nations=_string_list(data, "nations", path) if "nations" in data else (),
        **lists,
    )


def split_front_matter(text: str, path: Path) -> tuple[str, str]:
    """The front matter (between the `+++` lines) and the body of a card's text."""
    text = text.lstrip("\ufeff")
    # The shipped cards' shape (bare fences, no other "+++" before the closing one), found without
    # splitting the whole card into lines: the guide reads all 159 as it starts.
    end = text.find("\n+++\n", 4)
    if text.startswith("+++\n") and end != -1 and "+++" not in text[4:end]:
        return text[4 : end + 1], text[end + 5 :].strip("\n") + "\n"
    return _split_lines(text, path)


def _split_lines(text: str, path: Path) -> tuple[str, str]:
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != FENCE:
        raise CardError(path, f"must start with a `{FENCE}` line opening the front matter")
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() == FENCE:
            return "".join(lines[1:i]), "".join(lines[i + 1 :]).strip("\n") + "\n"
    raise CardError(path, f"front matter has no closing `{FENCE}` line")


def _string_list(data: dict[str, Any], name: str, path: Path) -> tuple[str, ...]:
    value = data.get(name)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CardError(path, f"`{name}` must be a list of strings")
    return tuple(v.strip() for v in value)


def _sources(value: object, path: Path) -> tuple[Source, ...]:
    if not isinstance(value, list) or not value:
        raise CardError(path, "needs at least one [[sources]] entry")
    out = []
    for entry in value:
        if not isinstance(entry, dict) or set(entry) not in (_SEED_KEYS, _DOCUMENT_KEYS):
            raise CardError(
                path,
                "each [[sources]] entry needs exactly `file` and `section` (a seed file), "
                "or `title`, `publisher`, `edition`, `date` and `section` (a published document)",
            )
        if not all(isinstance(v, str) and v.strip() for v in entry.values()):
            raise CardError(path, "[[sources]] fields must be non-empty strings")
        fields = {key: str(text).strip() for key, text in entry.items()}
        out.append(Source(file=fields.pop("file", ""), **fields))
    return tuple(out)


# --- Markdown -> plain text -------------------------------------------------------------


@cache
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table")


def _tree(markdown: str) -> SyntaxTreeNode:
    from markdown_it.tree import SyntaxTreeNode

    return SyntaxTreeNode(_parser().parse(markdown))


def markdown_to_text(markdown: str) -> str:
    """Render Markdown as plain text for a terminal, a log or a printed page."""
    blocks = [_block(node) for node in _tree(markdown).children]
    return "\n\n".join("\n".join(lines) for lines in blocks if lines).rstrip() + "\n"


def _sections(root: SyntaxTreeNode) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for node in root.children:
        if node.type == "heading":
            if node.tag == "h2":
                current = out.setdefault(_inline(node), [])
            elif node.tag == "h1":
                current = None
        elif current is not None and node.type in ("bullet_list", "ordered_list"):
            current.extend(_item_texts(node))
    return out


def _item_texts(list_node: SyntaxTreeNode) -> list[str]:
    """Every list item's own text, nested items after their parent, flattened."""
    out: list[str] = []
    for item in list_node.children:
        own = [_inline(child) for child in item.children if child.type == "paragraph"]
        if own:
            out.append(" ".join(own))
        for child in item.children:
            if child.type in ("bullet_list", "ordered_list"):
                out.extend(_item_texts(child))
    return out


def _inline(node: SyntaxTreeNode) -> str:
    """The text of a block holding inline content (paragraph, heading, table cell)."""
    return "".join(_inline_text(child) for child in node.children).strip()


def _inline_text(node: SyntaxTreeNode) -> str:
    if node.type in ("text", "code_inline", "html_inline"):
        return node.content
    if node.type == "softbreak":
        return " "
    if node.type == "hardbreak":
        return "\n"
    return "".join(_inline_text(child) for child in node.children)


def _block(node: SyntaxTreeNode) -> list[str]:
    kind = node.type
    if kind == "heading":
        text = _inline(node)
        if node.tag == "h1":
            return [text, "=" * len(text)]
        if node.tag == "h2":
            return [text, "-" * len(text)]
        return [text.upper()]
    if kind == "paragraph":
        return _inline(node).split("\n")
    if kind in ("bullet_list", "ordered_list"):
        return _list(node)
    if kind == "blockquote":
        inner = _join_blocks(node.children)
        return [f"> {line}".rstrip() for line in inner]
    if kind == "table":
        return _table(node)
    if kind in ("fence", "code_block"):
        return ["    " + line for line in node.content.rstrip("\n").split("\n")]
    if kind == "hr":
        return ["-" * 20]
    if kind == "html_block":
        return node.content.rstrip("\n").split("\n")
    return _join_blocks(node.children)


def _join_blocks(children: list[SyntaxTreeNode]) -> list[str]:
    out: list[str] = []
    for child in children:
        lines = _block(child)
        if out and lines:
            out.append("")
        out.extend(lines)
    return out


def _list(node: SyntaxTreeNode) -> list[str]:
    out: list[str] = []
    ordered = node.type == "ordered_list"
    number = int(node.attrs.get("start", 1)) if ordered else 0
    for item in node.children:
        marker = f"{number}. " if ordered else "- "
        number += 1
        lines: list[str] = []
        for child in item.children:
            lines.extend(_block(child))
        if not lines:
            lines = [""]
        out.append((marker + lines[0]).rstrip())
        out.extend((" " * len(marker) + line).rstrip() for line in lines[1:])
    return out


def _table(node: SyntaxTreeNode) -> list[str]:
    rows: list[list[str]] = []
    for section in node.children:  # thead, tbody
        for row in section.children:
            rows.append([_inline(cell).replace("\n", " ") for cell in row.children])
    if not rows:
        return []
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(width)]

    def line(cells: list[str]) -> str:
        # A short row (fewer cells than columns) simply ends early.
        return "  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=False)).rstrip()

    return [line(rows[0]), line(["-" * w for w in widths]), *(line(row) for row in rows[1:])]
