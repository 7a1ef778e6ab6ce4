"""Widgets shared by several screens.

User text is data, never markup: everything that may hold a name, a title or
imported text goes through `plain()` or a widget built with markup=False.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Label, Static


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
    """A labelled input with its error line beneath it."""

    DEFAULT_CSS = """
    Field { height: auto; margin-bottom: 1; }
    Field > Label { color: $text-muted; }
    """

    def __init__(self, label: str, input_widget: Input, *, field_id: str) -> None:
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
        return self.input.value
