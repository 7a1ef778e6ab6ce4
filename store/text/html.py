"""A printable HTML page from a Markdown report: one file, no scripts, no external resources.

markdown-it-py renders with raw HTML disabled, so any HTML-looking text in a
record appears as text. The page prints cleanly on A4 (tables repeat headers).
"""

from __future__ import annotations

import html

from safedesk.store.text.markdown import parser

STYLE = """
body { font: 11pt/1.45 system-ui, "Segoe UI", Arial, sans-serif; color: #111; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; border-bottom: 2px solid #333; padding-bottom: .3rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #999; }
h3 { font-size: 1.05rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: 10pt; }
th, td { border: 1px solid #888; padding: .25rem .4rem; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #eee; }
blockquote { border-left: 4px solid #b00; margin: 1rem 0; padding: .4rem .8rem; background: #fff4f4; }
code { font-family: ui-monospace, Consolas, monospace; font-size: 9pt; overflow-wrap: anywhere; }
@media print { body { margin: 0; max-width: none; } thead { display: table-header-group; } tr { page-break-inside: avoid; } }
"""


def markdown_to_html(markdown: str, title: str) -> str:
    body = parser().render(markdown)
    return (
        '<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n"
    )
