"""A read-only table for thousands of rows: only the visible lines are ever drawn.

Textual's DataTable builds every row up front (about 1.6 s for 5,000 incidents);
this one keeps plain tuples of strings and renders a line when it scrolls into
view, so a list is ready, and refilters, in milliseconds. Cells are plain text:
user text is never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip


@dataclass(frozen=True)
class Column:
    label: str
    width: int | None  # None: takes the width the others leave


class VirtualTable(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    VirtualTable { height: 1fr; }
    VirtualTable > .virtual-table--header { text-style: bold; background: $panel; }
    VirtualTable > .virtual-table--cursor { background: $primary 50%; text-style: bold; }
    VirtualTable:focus > .virtual-table--cursor { background: $primary; }
    VirtualTable > .virtual-table--even { background: $surface; }
    """
    COMPONENT_CLASSES = {"virtual-table--header", "virtual-table--cursor", "virtual-table--even"}
    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "select", "Open", show=False),
    ]

    cursor_row: reactive[int] = reactive(0)

    class RowSelected(Message):
        def __init__(self, table: VirtualTable, index: int) -> None:
            super().__init__()
            self.table = table
            self.index = index

        @property
        def control(self) -> VirtualTable:
            return self.table

    def __init__(self, columns: Sequence[Column], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns = list(columns)
        self.rows: Sequence[Any] = []
        self._format: Callable[[Any], Sequence[str]] = lambda row: row
        self._widths: list[int] = []

    # ----------------------------------------------------------------- data

    def set_rows(self, rows: Sequence[Any], format_row: Callable[[Any], Sequence[str]] | None = None) -> None:
        """Show `rows`; `format_row` turns one into its cells, and is only called for rows on screen."""
        self.rows = rows
        if format_row is not None:
            self._format = format_row
        self.cursor_row = min(self.cursor_row, max(len(rows) - 1, 0))
        self.virtual_size = Size(self.size.width, len(rows) + 1)
        self.refresh()

    @property
    def row_count(self) -> int:
        return len(self.rows)

    # ----------------------------------------------------------------- layout

    def _layout_widths(self, width: int) -> list[int]:
        gaps = len(self.columns)  # one space after each column
        fixed = sum(c.width or 0 for c in self.columns)
        flexible = max(8, width - fixed - gaps)
        return [c.width if c.width is not None else flexible for c in self.columns]

    def on_resize(self, event: events.Resize) -> None:
        self._widths = self._layout_widths(event.size.width)
        self.virtual_size = Size(event.size.width, len(self.rows) + 1)

    def _line(self, cells: Sequence[str], style: Style) -> Strip:
        widths = self._widths or self._layout_widths(self.size.width)
        parts = []
        for text, width in zip(cells, widths, strict=False):
            text = text.replace("\n", " ")
            if cell_len(text) > width:
                text = set_cell_size(text, max(width - 1, 0)) + "…"
            parts.append(set_cell_size(text, width))
        return Strip([Segment(" ".join(parts) + " ", style)]).adjust_cell_length(self.size.width, style)

    def render_line(self, y: int) -> Strip:
        if y == 0:  # the header stays put while the rows scroll under it
            return self._line([c.label for c in self.columns], self.get_component_rich_style("virtual-table--header"))
        index = y - 1 + self.scroll_offset.y
        if index >= len(self.rows):
            return Strip.blank(self.size.width, self.rich_style)
        if index == self.cursor_row:
            style = self.get_component_rich_style("virtual-table--cursor")
        elif index % 2:
            style = self.get_component_rich_style("virtual-table--even")
        else:
            style = self.rich_style
        return self._line(self._format(self.rows[index]), style)

    # ----------------------------------------------------------------- moving

    def watch_cursor_row(self, _old: int, new: int) -> None:
        visible = max(self.size.height - 1, 1)
        top = self.scroll_offset.y
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + visible:
            self.scroll_to(y=new - visible + 1, animate=False)
        self.refresh()

    def action_move(self, delta: int) -> None:
        if self.rows:
            self.cursor_row = max(0, min(len(self.rows) - 1, self.cursor_row + delta))

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(self.size.height - 2, 1))

    def action_jump(self, where: int) -> None:
        if self.rows:
            self.cursor_row = 0 if where == 0 else len(self.rows) - 1

    def action_select(self) -> None:
        if self.rows:
            self.post_message(self.RowSelected(self, self.cursor_row))

    def on_click(self, event: events.Click) -> None:
        index = event.y - 1 + self.scroll_offset.y
        if event.y >= 1 and 0 <= index < len(self.rows):
            self.cursor_row = index
            if event.chain > 1:
                self.action_select()
