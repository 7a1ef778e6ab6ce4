"""User text inside generated Markdown, and checking what we generate.

Every export (forms, the policy, letters, reports) is Markdown that SafeDesk writes
around text a person typed or imported. That text is data: a name like
`*Sam* [link](x)`, a line starting `# ` or `1. `, a `|` in a table cell or an
HTML tag must come out as the same characters, never as emphasis, a heading,
a list, a link, a broken table or markup. `md_escape` (one line), `md_block`
(several lines and paragraphs) and `md_cell` (a table cell) do that; the
markdown-it-py parser (html disabled, as every SafeDesk reader uses it) checks it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from safedesk.store.errors import SafeDeskError
from safedesk.store.text.clean import clean_text

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

# Characters that start inline syntax anywhere in a line (emphasis, code, links,
# autolinks and HTML, entities, table cells, headings, strikethrough in other readers),
# and "{", so typed text can never pass for one of SafeDesk's template placeholders.
_INLINE = re.compile(r"([\\`*_\[\]<>#|&~{])")
# What makes a line a block when it starts it: list items ("-", "+", "1.", "1)"),
# setext underlines ("===") and indented code (leading spaces are dropped).
_LIST_NUMBER = re.compile(r"^(\d{1,9})([.)])")
_LEADING = ("-", "+", "=")


def _escape_line(line: str) -> str:
    line = _INLINE.sub(r"\\\1", line.strip())
    if line.startswith(_LEADING):
        return "\\" + line
    return _LIST_NUMBER.sub(r"\1\\\2", line)


def md_escape(text: str) -> str:
    """`text` as literal inline Markdown on one line (runs of whitespace become one space)."""
    return _escape_line(" ".join(clean_text(text).split()))


def md_cell(text: str) -> str:
    """`text` for a table cell: literal, one line, with line breaks shown as ' / '."""
    lines = [" ".join(line.split()) for line in clean_text(text, multiline=True).split("\n")]
    return _escape_line(" / ".join(line for line in lines if line))


def md_block(text: str) -> str:
    """Several lines of `text` as literal Markdown paragraphs: line breaks kept (hard
    breaks), blank lines between paragraphs kept, every line escaped. '' for blank text."""
    paragraphs: list[list[str]] = [[]]
    for raw in clean_text(text, multiline=True).split("\n"):
        line = " ".join(raw.split())
        if line:
            paragraphs[-1].append(_escape_line(line))
        elif paragraphs[-1]:
            paragraphs.append([])
    # A backslash before the newline is CommonMark's hard break; unlike two trailing
    # spaces it survives editors that trim whitespace.
    return "\n\n".join("\\\n".join(lines) for lines in paragraphs if lines)


# --------------------------------------------------------------------- checking output


class MarkdownProblem(SafeDeskError):
    """Generated Markdown that did not parse into the structure it should have."""


@cache
def parser() -> MarkdownIt:
    """CommonMark with tables and with raw HTML disabled: how SafeDesk reads Markdown."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table")


@dataclass(frozen=True)
class Outline:
    """What a Markdown document parsed into: its headings and how many tables and lists."""

    headings: tuple[tuple[int, str], ...]  # (level, plain text)
    tables: int
    lists: int
    text: str  # every inline text, one line per block, for content checks


def outline(markdown: str) -> Outline:
    tokens = parser().parse(markdown)
    headings: list[tuple[int, str]] = []
    texts: list[str] = []
    tables = lists = 0
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            headings.append((int(token.tag[1]), _inline_text(tokens[index + 1])))
        elif token.type == "table_open":
            tables += 1
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            lists += 1
        elif token.type == "inline":
            texts.append(_inline_text(token))
    return Outline(tuple(headings), tables, lists, "\n".join(texts))


def _inline_text(token: object) -> str:
    parts: list[str] = []
    for child in getattr(token, "children", None) or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
    return "".join(parts)


# An unescaped "{name}" or "{%": user text has its "{" escaped, so only a template can leave one.
_TEMPLATE_LEFTOVER = re.compile(r"(?<!\\)\{(?:[a-z_]+\}|%)")


def check_markdown(markdown: str, *, headings: tuple[str, ...] = (), titled: bool = True) -> Outline:
    """Parse generated Markdown and refuse it when a template placeholder survived, an
    expected heading is missing or (when `titled`) it does not open with one top-level
    heading. Raises MarkdownProblem: a bug in a template, never a fault in user text."""
    found = outline(markdown)
    leftover = _TEMPLATE_LEFTOVER.search(markdown)
    if leftover:
        raise MarkdownProblem(f"The generated document still holds the template marker {leftover.group(0)}.")
    titles = {title for _, title in found.headings}
    missing = [h for h in headings if h not in titles]
    if missing:
        raise MarkdownProblem(f"The generated document lacks the heading(s): {', '.join(missing)}.")
    if titled and (not found.headings or found.headings[0][0] != 1 or sum(1 for level, _ in found.headings if level == 1) != 1):
        raise MarkdownProblem("The generated document must start with one top-level heading.")
    return found
