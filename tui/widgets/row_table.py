"""A fast read-only table for long lists (5,000 pupils or incidents, thousands of import errors).

Textual's DataTable measures every cell when rows are added: about 1.5 s for
5,000 rows. This table keeps the rows as plain strings and draws only the lines
on screen (the Line API), so showing or re-filtering any number of rows costs
the same. Cells are drawn as literal text: user data can never become markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar, overload

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
class Col:
    label: str
    width: int = 0  # 0: takes the room left over (at least MIN_FLEX)


@dataclass(frozen=True)
class Row:
    key: str
    cells: tuple[str, ...]
    # One style name per cell ("" plain): good, bad, warn, muted, strong.
    styles: tuple[str, ...] = ()


MIN_FLEX = 12
STYLE_NAMES = ("good", "bad", "warn", "muted", "strong")
T = TypeVar("T")


class LazyRows(Sequence[Row], Generic[T]):
    """Rows made from items only when drawn: a list of 5,000 pupils formats the 20 on screen."""

    def __init__(self, items: Sequence[T], make: Callable[[T], Row], key: Callable[[T], str]) -> None:
        self._items = items
        self._make = make
        self._key = key
        self._made: dict[int, Row] = {}

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> Row: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Row]: ...
    def __getitem__(self, index: int | slice) -> Row | Sequence[Row]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self._items)
        row = self._made.get(index)
        if row is None:
            row = self._made[index] = self._make(self._items[index])
        return row

    def index_of(self, key: str) -> int | None:
        return next((i for i, item in enumerate(self._items) if self._key(item) == key), None)


class RowTable(ScrollView, can_focus=True):
    """Columns of fixed or flexible width, one highlighted row, Enter to choose it."""

    COMPONENT_CLASSES = {
        "row-table--header",
        "row-table--cursor",
        *(f"row-table--{name}" for name in STYLE_NAMES),
    }
    DEFAULT_CSS = """
    RowTable { height: 1fr; background: $surface; overflow-x: hidden; }
    RowTable > .row-table--header { text-style: bold; color: $text-muted; }
    RowTable > .row-table--cursor { background: $panel; }
    RowTable:focus > .row-table--cursor { background: $primary 50%; text-style: bold; }
    RowTable > .row-table--good { color: $success; }
    RowTable > .row-table--bad { color: $error; text-style: bold; }
    RowTable > .row-table--warn { color: $warning; }
    RowTable > .row-table--muted { color: $text-muted; }
    RowTable > .row-table--strong { text-style: bold; }
    """
    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "edge(0)", "First", show=False),
        Binding("end", "edge(1)", "Last", show=False),
        Binding("enter", "choose", "Open", show=False),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    class Chosen(Message):
        """Enter (or a double click) on a row."""

        def __init__(self, table: RowTable, key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> RowTable:
            return self.table

    class Highlighted(Message):
        def __init__(self, table: RowTable, key: str | None) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> RowTable:
            return self.table

    def __init__(
        self, columns: Sequence[Col], *, empty: str = "Nothing to show.", id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.columns = tuple(columns)
        self.rows: Sequence[Row] = []
        self.empty = empty

    # ----------------------------------------------------------------- data

    def set_rows(self, rows: Sequence[Row], keep: str | None = None) -> None:
        """Replace every row (a list, or LazyRows); the highlight stays on `keep` (a row key) if still there."""
        self.rows = rows
        index = 0
        if keep is not None:
            found = (
                rows.index_of(keep)
                if isinstance(rows, LazyRows)
                else next((i for i, r in enumerate(rows) if r.key == keep), None)
            )
            index = found or 0
        self.virtual_size = Size(0, len(self.rows) + 1)
        self.cursor = min(index, max(len(self.rows) - 1, 0))
        self.refresh()

    @property
    def current(self) -> Row | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    @property
    def row_count(self) -> int:
        return len(self.rows)

    # ----------------------------------------------------------------- movement

    def watch_cursor(self, old: int, new: int) -> None:
        if not self.is_mounted:
            return
        self._keep_cursor_visible()
        self.refresh()
        current = self.current
        self.post_message(self.Highlighted(self, current.key if current else None))

    def _page_rows(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    def _keep_cursor_visible(self) -> None:
        top = round(self.scroll_offset.y)
        page = self._page_rows()
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + page:
            self.scroll_to(y=self.cursor - page + 1, animate=False)

    def _move_to(self, index: int) -> None:
        if self.rows:
            self.cursor = max(0, min(index, len(self.rows) - 1))

    def action_move(self, delta: int) -> None:
        self._move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self._move_to(self.cursor + direction * self._page_rows())

    def action_edge(self, end: int) -> None:
        self._move_to(len(self.rows) - 1 if end else 0)

    def action_choose(self) -> None:
        if self.current is not None:
            self.post_message(self.Chosen(self, self.current.key))

    def on_click(self, event: events.Click) -> None:
        line = event.y
        if line < 1:
            return
        index = round(self.scroll_offset.y) + line - 1
        if 0 <= index < len(self.rows):
            self.cursor = index
            if event.chain >= 2:
                self.action_choose()

    # ----------------------------------------------------------------- drawing

    def _widths(self, total: int) -> list[int]:
        fixed = sum(c.width for c in self.columns if c.width) + len(self.columns)  # one space after each cell
        flex = [c for c in self.columns if not c.width]
        spare = max(total - fixed, MIN_FLEX * len(flex)) if flex else 0
        each = spare // len(flex) if flex else 0
        return [c.width or each for c in self.columns]

    def _line(self, cells: Sequence[str], styles: Sequence[str], base: Style, width: int) -> Strip:
        segments = []
        for text, cell_width, style_name in zip(cells, self._widths(width), list(styles) + [""] * len(cells), strict=False):
            if cell_len(text) > cell_width:
                text = set_cell_size(text, max(cell_width - 1, 0)) + "…"
            style = base + self.get_component_rich_style(f"row-table--{style_name}") if style_name else base
            segments.append(Segment(set_cell_size(text, cell_width), style))
            segments.append(Segment(" ", base))
        return Strip(segments).adjust_cell_length(width, base)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            header = base + self.get_component_rich_style("row-table--header")
            return self._line([c.label for c in self.columns], [], header, width)
        index = round(self.scroll_offset.y) + y - 1
        if not self.rows and y == 1:
            muted = base + self.get_component_rich_style("row-table--muted")
            return Strip([Segment(set_cell_size(self.empty, width), muted)])
        if index >= len(self.rows):
            return Strip.blank(width, base)
        row = self.rows[index]
        if index == self.cursor:
            base = base + self.get_component_rich_style("row-table--cursor")
        return self._line(row.cells, row.styles, base, width)
