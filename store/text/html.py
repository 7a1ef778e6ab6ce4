"""A printable HTML page from a Document: one file, no scripts, no external resources.

markdown-it-py renders with raw HTML disabled, so any HTML-looking text in a record appears
as text. Printed (Chromium, Edge) it is A4 with margins, the document's title and reference at
the top of every page and "Page n of m" at the bottom (CSS @page margin boxes).

Words are never split: dates, references, names and states wrap only at spaces (a run with a
hyphen, such as a reference, is kept on one line). Only an unbroken run longer than LONG_TOKEN
characters (a hash, a web address) is marked `class="long"` and may break anywhere, so it cannot
push a table off the page.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from safedesk.store.text.document import Document

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

# Longer than any date, time, reference or ordinary word; shorter than a SHA-256 or a web address.
LONG_TOKEN = 28
_TOKEN = re.compile(r"\S+")

STYLE = """
@page {
  size: A4;
  margin: 20mm 16mm 18mm;
  @top-left { content: HEADER_LEFT; font: 8pt system-ui, "Segoe UI", Arial, sans-serif; color: #444; }
  @top-right { content: HEADER_RIGHT; font: bold 8pt system-ui, "Segoe UI", Arial, sans-serif; color: #222; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 8pt system-ui, "Segoe UI", Arial, sans-serif; color: #444; }
}
body { font: 11pt/1.45 system-ui, "Segoe UI", Arial, sans-serif; color: #111; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; border-bottom: 2px solid #333; padding-bottom: .3rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #999; }
h3 { font-size: 1.05rem; }
h1, h2, h3, h4, h5, h6 { break-after: avoid; page-break-after: avoid; break-inside: avoid; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: 10pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { border: 1px solid #888; padding: .25rem .4rem; text-align: left; vertical-align: top; overflow-wrap: normal; word-break: normal; hyphens: manual; }
th { background: #eee; }
blockquote { border-left: 4px solid #b00; margin: 1rem 0; padding: .4rem .8rem; background: #fff4f4; break-inside: avoid; }
code { font-family: ui-monospace, Consolas, monospace; font-size: 9pt; }
pre { white-space: pre-wrap; overflow-wrap: break-word; }
.long { word-break: break-all; }
.token { white-space: nowrap; }
@media print {
  body { margin: 0; max-width: none; padding: 0; }
  th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def css_string(text: str) -> str:
    """`text` as a quoted CSS string: every character but ASCII letters and digits escaped (six
    hex digits), so nothing in it can end the string or the <style> element. Spaces too: CSS
    swallows a space that follows an escape."""
    out = []
    for char in text:
        if char.isascii() and char.isalnum():
            out.append(char)
        else:
            out.append(f"\\{ord(char):06x}")
    return f'"{"".join(out)}"'


def _escape_marking_long(text: str) -> str:
    """Escaped text with each unbroken run longer than LONG_TOKEN wrapped in <span class="long">
    (it may break anywhere) and each shorter one with a hyphen in <span class="token"> (a browser
    would otherwise break a reference like "FB-DEMO-4471" after its first hyphen)."""
    parts: list[str] = []
    end = 0
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        kind = "long" if len(token) > LONG_TOKEN else "token" if "-" in token.strip("-") else ""
        if kind:
            parts.append(html.escape(text[end : match.start()]))
            parts.append(f'<span class="{kind}">{html.escape(token)}</span>')
            end = match.end()
    parts.append(html.escape(text[end:]))
    return "".join(parts)


def _text(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    return _escape_marking_long(tokens[idx].content)


def _code_inline(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    return f"<code>{_escape_marking_long(tokens[idx].content)}</code>"


@cache
def _renderer() -> MarkdownIt:
    """The same parser settings as every SafeDesk reader (markdown.parser), with text runs marked."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.add_render_rule("text", _text)
    md.add_render_rule("code_inline", _code_inline)
    return md


def render_html(document: Document) -> str:
    """The document as one printable HTML page (A4, title and reference on every page)."""
    body = _renderer().render(document.markdown)
    left = " | ".join(part for part in (document.title, document.subtitle) if part)
    style = STYLE.replace("HEADER_LEFT", css_string(left)).replace("HEADER_RIGHT", css_string(document.reference))
    style += document.style
    return (
        '<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(document.label)}</title>\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        f"<style>{style}</style>\n</head>\n<body>\n{body}</body>\n</html>\n"
    )
