"""Small modal dialogs shared by screens."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from safedesk.widgets.common import plain

DIALOG_CSS = """
MessageDialog, ConfirmDialog { align: center middle; background: $background 60%; }
MessageDialog > Vertical, ConfirmDialog > Vertical {
    width: 76; height: auto; max-height: 22; padding: 1 2; border: round $primary; background: $surface;
}
MessageDialog VerticalScroll { height: auto; max-height: 14; }
MessageDialog Horizontal, ConfirmDialog Horizontal { height: auto; margin-top: 1; }
"""


class MessageDialog(ModalScreen[None]):
    """A title and a body of plain text; Enter or Esc closes it."""

    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [Binding("escape,enter", "close", "Close", id="message-close")]

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self._title = title
        self._body = body

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(self._title), classes="title")
            with VerticalScroll():
                yield Static(plain(self._body))
            with Horizontal():
                yield Button(compact=True, label="Close", variant="primary", id="close")

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss()


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question; returns True only for an explicit yes."""

    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [Binding("escape", "no", "Cancel", id="confirm-cancel")]

    def __init__(self, title: str, body: str, yes: str = "Yes", no: str = "Cancel") -> None:
        super().__init__()
        self._title, self._body, self._yes, self._no = title, body, yes, no

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(self._title), classes="title")
            yield Static(plain(self._body))
            with Horizontal():
                yield Button(compact=True, label=self._yes, variant="warning", id="yes")
                yield Button(compact=True, label=self._no, variant="primary", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed, "#yes")
    def _yes_pressed(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def action_no(self) -> None:
        self.dismiss(False)
