"""`plain()`: user text as literal content, never markup.

Apart from `safedesk.widgets.common` (which re-exports it for every screen) so that the
guidance, which needs only this, starts without importing the form widgets (DataTable,
TextArea, SelectionList...).
"""

from __future__ import annotations

from textual.content import Content


def plain(text: str) -> Content:
    """`text` as literal content: square brackets and @click stay characters."""
    return Content(text)
