"""A scrollable reader for one guidance card, drawn line by line from a cache.

Textual's Markdown widget mounts one widget per block; a card then takes
~200 ms to appear. Here the card is rendered once per width as Rich's Markdown
draws it (`card_markdown`) into lines, and the widget hands those lines out as it scrolls: opening a card
costs a few milliseconds of rendering and one repaint.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.segment import Segment
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


class CardView(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    CardView { height: 1fr; padding: 0 1; }
    CardView:focus { background-tint: $foreground 4%; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._body: RenderableType = Text("")
        self._lines: list[Strip] = []
        self._rendered_width = 0  # the width the lines were rendered at
        self._asked_width = 0  # the pane's width then (wider when a scrollbar was foreseen)

    def show(self, markdown: str, footer: str, card_id: str | None = None) -> None:
        """Display a card's Markdown (our own content) with a plain-text footer; with the card's
        id, its tokens kept with the cards are used when they match `markdown` (no parsing)."""
        from safedesk.content.tokens import shipped_tokens
        from safedesk.widgets.card_markdown import card_markdown

        tokens = shipped_tokens(card_id, markdown) if card_id else None
        self._body = Group(card_markdown(markdown, tokens), Text(""), Text(footer, style="dim"))
        self._rendered_width = self._asked_width = 0
        if self.scrollable_content_region.width:  # else it is rendered as the screen is laid out
            self._render_lines()
        self.scroll_home(animate=False)
        self.refresh()

    def plain_text(self) -> str:
        """What is on the card now, as text (for tests and copying)."""
        return "\n".join(strip.text for strip in self._lines)

    def _render_lines(self) -> None:
        region = self.scrollable_content_region
        self._asked_width = width = max(region.width, 1)
        if not self.show_vertical_scrollbar and self.styles.overflow_y == "auto":
            # Most cards are longer than the pane, and the scrollbar Textual then adds takes
            # columns: render once at the width it leaves (not at the full width, then again,
            # then one more frame), and at the full width only when the card fits without one.
            narrow = max(width - self.styles.scrollbar_size_vertical, 1)
            lines = self._lines_at(narrow)
            if len(lines) > region.height:
                width = narrow
            else:
                lines = self._lines_at(width)
        else:
            lines = self._lines_at(width)
        self._lines = [Strip(line, width) for line in lines]
        self._rendered_width = width
        self.virtual_size = Size(width, len(self._lines))

    def _lines_at(self, width: int) -> list[list[Segment]]:
        console = self.app.console
        return console.render_lines(self._body, console.options.update_width(width), pad=True)

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        # Textual calls this as it lays the screen out, before drawing it: the card rendered here
        # is in the first frame. Rendered on Resize instead, it came a frame (and a layout) later.
        changed = super()._size_updated(size, virtual_size, container_size, layout)
        self._render_if_resized()
        return changed

    def on_resize(self) -> None:
        self._render_if_resized()

    def watch_show_vertical_scrollbar(self) -> None:
        # A scrollbar that comes or goes takes or gives columns without a Resize.
        self._render_if_resized()

    def _render_if_resized(self) -> None:
        width = self.scrollable_content_region.width
        if width and width not in (self._rendered_width, self._asked_width):
            self._render_lines()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = y + scroll_y
        width = self.scrollable_content_region.width
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        return self._lines[index].crop(scroll_x, scroll_x + width).apply_style(self.rich_style)
