"""Widgets shared by several screens.

User text is data, never markup: everything that may hold a name, a title or
imported text goes through `plain()` or a widget built with markup=False.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import DataTable, Input, Label, Static
from textual.widgets.data_table import ColumnKey


def plain(text: str) -> Content:
    """`text` as literal content: square brackets and @click stay characters."""
    return Content(text)


class FieldError(Static):
    """The message shown under a field when its value is refused."""

    DEFAULT_CSS = """
    FieldError { color: $error; height: auto; display: none; }
    FieldError.shown { display: block; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__("", markup=False, id=id)

    def show(self, message: str) -> None:
        self.update(plain(f"! {message}"))
        self.add_class("shown")

    def clear(self) -> None:
        self.update("")
        self.remove_class("shown")


class Field(Vertical):
    """A labelled input (or select, text area...) with its error line beneath it."""

    DEFAULT_CSS = """
    Field { height: auto; margin-bottom: 1; }
    Field > Label { color: $text-muted; }
    """

    def __init__(self, label: str, input_widget: Widget, *, field_id: str) -> None:
        super().__init__(id=f"field-{field_id}")
        self._label = label
        self.input = input_widget
        self.field_id = field_id

    def compose(self) -> ComposeResult:
        yield Label(self._label)
        yield self.input
        yield FieldError(id=f"error-{self.field_id}")

    @property
    def error(self) -> FieldError:
        return self.query_one(FieldError)

    @property
    def value(self) -> str:
        return self.input.value if isinstance(self.input, Input) else ""


def cell(text: str) -> Text:
    """A table cell holding user text: literal (no markup) and measurable by the table."""
    return Text(text.replace("\n", " / "), no_wrap=True, overflow="ellipsis")


class FittedTable(DataTable):
    """A DataTable whose one flexible column takes the width the fixed ones leave.

    Long text (an action, a chronology line) is cut at the screen's edge rather than
    pushing the table sideways; Enter on a row shows it whole where that matters.
    """

    def __init__(self, columns: list[tuple[str, int | None]], *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._spec = columns

    def on_mount(self) -> None:
        for index, (label, width) in enumerate(self._spec):
            self.add_column(label, key=str(index), width=width or 20)

    def on_resize(self) -> None:
        fixed = sum(width or 0 for _, width in self._spec)
        padding = 2 * self.cell_padding * len(self._spec) + 2
        flexible = max(12, self.size.width - fixed - padding)
        for index, (_, width) in enumerate(self._spec):
            if width is None:
                column = self.columns[ColumnKey(str(index))]
                column.width = flexible
                column.auto_width = False
        self.refresh()


class StrengthMeter(Static):
    """Live feedback under a new passphrase: a bar, a word and advice (never colour alone)."""

    DEFAULT_CSS = """
    StrengthMeter { height: auto; color: $success; margin-bottom: 1; }
    StrengthMeter.weak { color: $warning; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__("", markup=False, id=id)

    def show(self, passphrase: str) -> None:
        from safedesk.store.engine.passphrase import assess

        if not passphrase:
            self.update("")
            return
        strength = assess(passphrase)
        bar = "#" * (strength.score + 1) + "-" * (4 - strength.score)
        self.update(" ".join((f"Strength [{bar}] {strength.label}: {strength.advice}", *strength.feedback)))
        self.set_class(not strength.acceptable, "weak")
