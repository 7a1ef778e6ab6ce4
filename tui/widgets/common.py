"""Widgets shared by several screens.

User text is data, never markup: everything that may hold a name, a title or
imported text goes through `plain()` or a widget built with markup=False.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Checkbox, DataTable, Input, Label, Select, SelectionList, Static, TextArea
from textual.widgets.data_table import ColumnKey

from safedesk.store.text.limits import Kind, limit
from safedesk.widgets.literal import plain as plain  # every screen imports it from here


class FieldError(Static):
    """The one error display: the message beside a refused field, or the form's general line."""

    DEFAULT_CSS = """
    FieldError { color: $error; height: auto; display: none; }
    FieldError.shown { display: block; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__("", markup=False, id=id)

    @property
    def shown(self) -> bool:
        return self.has_class("shown")

    def show(self, message: str) -> None:
        self.update(plain(f"! {message}"))
        self.add_class("shown")

    def clear(self) -> None:
        self.update("")
        self.remove_class("shown")


class Choice(Widget, can_focus=True):
    """A one-line choice between a few answers: its letter keys, Space or the arrows.

    The chosen answer shows as (X), so it never depends on colour.
    """

    DEFAULT_CSS = """
    Choice { width: auto; height: 1; padding: 0 1; background: $panel; }
    Choice:focus { background: $primary 40%; text-style: bold; }
    """
    BINDINGS = [
        Binding("space,right", "cycle(1)", "Next answer", show=False),
        Binding("left", "cycle(-1)", "Previous answer", show=False),
        Binding("backspace,delete", "choose('')", "Clear", show=False),
    ]
    value: reactive[str] = reactive("")

    class Changed(Message):
        """The answer changed (so a form can clear the error shown for it)."""

        def __init__(self, choice: Choice) -> None:
            super().__init__()
            self.choice = choice

        @property
        def control(self) -> Choice:
            return self.choice

    def __init__(self, options: dict[str, str], value: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.options = options
        self.set_reactive(Choice.value, value if value in options else "")
        # The first letter of each answer picks it (y, n, and a for "N/A"); a clash keeps the first.
        self._keys: dict[str, str] = {}
        for key, label in options.items():
            self._keys.setdefault(label.removeprefix("N/")[:1].lower(), key)

    def render(self) -> Content:
        return plain("  ".join(f"({'X' if self.value == key else ' '}) {label}" for key, label in self.options.items()))

    def watch_value(self) -> None:
        self.post_message(self.Changed(self))

    def on_key(self, event: events.Key) -> None:
        if event.character and event.character.lower() in self._keys:
            event.stop()
            event.prevent_default()
            self.value = self._keys[event.character.lower()]

    def action_cycle(self, step: int) -> None:
        keys = ["", *self.options]
        self.value = keys[(keys.index(self.value) + step) % len(keys)]

    def action_choose(self, value: str) -> None:
        self.value = value


def read_value(widget: Widget) -> Any:
    """The value a person gave in an input widget: text, a choice (None when blank), ticks."""
    if isinstance(widget, TextArea):
        return widget.text
    if isinstance(widget, Select):
        return None if widget.value == Select.NULL else widget.value
    if isinstance(widget, SelectionList):
        return tuple(widget.selected)
    return getattr(widget, "value", None)


# The widgets a person types or chooses in: what a Field watches for changes.
INPUTS = (Input, TextArea, Select, SelectionList, Checkbox, Choice)


class Field(Vertical):
    """A labelled input (or select, text area, a row of inputs) with its error line beneath it.

    Ids: the Field is `field-<field_id>`, its error line `error-<field_id>`.
    """

    DEFAULT_CSS = """
    Field { height: auto; margin-bottom: 1; }
    Field.unlabelled { margin-bottom: 0; }
    Field > Label { color: $text-muted; }
    """

    def __init__(self, label: str | Content | None, input_widget: Widget, *, field_id: str, classes: str = "") -> None:
        """`label` None: the input labels itself (a checkbox)."""
        super().__init__(id=f"field-{field_id}", classes=f"{classes} unlabelled" if label is None else classes)
        self._label = plain(label) if isinstance(label, str) else label
        self.input = input_widget
        self.field_id = field_id
        self._refused: tuple[Any, ...] | None = None
        self._changing = False

    def compose(self) -> ComposeResult:
        if self._label is not None:
            yield Label(self._label)
        yield self.input
        yield FieldError(id=f"error-{self.field_id}")

    @property
    def error(self) -> FieldError:
        return self.query_one(FieldError)

    def control(self) -> Widget | None:
        """The widget to focus: the input, or the first focusable one in a row of inputs."""
        if self.input.focusable:
            return self.input
        return next((w for w in self.input.query("*") if w.focusable), None)

    def _state(self) -> tuple[Any, ...]:
        widgets = [self.input, *self.input.query("*")]
        return tuple(read_value(w) for w in widgets if isinstance(w, INPUTS))

    def refuse(self, message: str, *, changing: bool = False) -> None:
        """Show `message` until the value changes from the one refused.

        `changing`: the value is about to change because of what is refused (a paste cut to
        fit): the message stays until the change after that one.
        """
        self._refused = None if changing else self._state()
        self._changing = changing
        self.error.show(message)

    def edited(self) -> None:
        if self._changing:
            self._changing = False
            self._refused = self._state()
        elif self._refused is not None and self._state() != self._refused:
            self._refused = None
            self.error.clear()


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

    def show(self, passphrase: str, context: Iterable[str] = ()) -> None:
        """Rate passphrase; context holds the setting's and people's names, which a guesser tries first."""
        from safedesk.store.engine.keys.passphrase import assess

        if not passphrase:
            self.update("")
            return
        strength = assess(passphrase, context)
        bar = "#" * (strength.score + 1) + "-" * (4 - strength.score)
        self.update(" ".join((f"Strength [{bar}] {strength.label}: {strength.advice}", *strength.feedback)))
        self.set_class(not strength.acceptable, "weak")


def new_passphrase(
    label: str, again: str, *, ids: tuple[str, str, str], field_id: str = "passphrase", placeholder: str = ""
) -> ComposeResult:
    """A new passphrase typed twice, the live StrengthMeter between (setup, a deputy's key, your
    own passphrase, a handover). `ids`: the passphrase input's, the meter's and the confirmation
    input's; the fields are `field_id` and `confirm`. The screen rates on Input.Changed, with the
    names a guesser would try there."""
    passphrase_id, meter_id, confirm_id = ids
    yield Field(
        label,
        Input(compact=True, id=passphrase_id, password=True, placeholder=placeholder, max_length=limit(Kind.PASSPHRASE)),
        field_id=field_id,
    )
    yield StrengthMeter(id=meter_id)
    yield Field(again, Input(compact=True, id=confirm_id, password=True, max_length=limit(Kind.PASSPHRASE)), field_id="confirm")
