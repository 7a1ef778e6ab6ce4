"""A scrollable reader for one guidance card, drawn line by line from a cache.

Textual's Markdown widget mounts one widget per block; a card then takes
~200 ms to appear. Here the card is rendered once per width by Rich's Markdown
into lines, and the widget hands those lines out as it scrolls: opening a card
costs a few milliseconds of rendering and one repaint.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
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
        self._rendered_width = 0

    def show(self, markdown: str, footer: str) -> None:
        """Display a card's Markdown (our own content) with a plain-text footer."""
        from rich.markdown import Markdown  # ~40 ms to import: not before the first paint

        self._body = Group(Markdown(markdown, hyperlinks=False), Text(""), Text(footer, style="dim"))
        self._rendered_width = 0
        if self.scrollable_content_region.width:  # else on_resize renders it once laid out
            self._render_lines()
        self.scroll_home(animate=False)
        self.refresh()

    def plain_text(self) -> str:
        """What is on the card now, as text (for tests and copying)."""
        return "\n".join(strip.text for strip in self._lines)

    def _render_lines(self) -> None:
        width = max(self.scrollable_content_region.width, 1)
        console = self.app.console
        lines = console.render_lines(self._body, console.options.update_width(width), pad=True)
        self._lines = [Strip(line, width) for line in lines]
        self._rendered_width = width
        self.virtual_size = Size(width, len(self._lines))

    def on_resize(self) -> None:
        if self.scrollable_content_region.width != self._rendered_width:
            self._render_lines()

    def watch_show_vertical_scrollbar(self) -> None:
        # A card first rendered as the screen is laid out brings its own scrollbar, which takes
        # columns without a Resize: render again at the width that is left.
        if self._rendered_width and self.scrollable_content_region.width != self._rendered_width:
            self._render_lines()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = y + scroll_y
        width = self.scrollable_content_region.width
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        return self._lines[index].crop(scroll_x, scroll_x + width).apply_style(self.rich_style)
