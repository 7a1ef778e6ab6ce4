"""The recovery key, shown once at setup, with a step that checks it was written down."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from safedesk.widgets.common import FieldError


class RecoveryKeyScreen(ModalScreen[None]):
    CSS_PATH = "recovery.tcss"
    AUTO_FOCUS = "#recovery-confirm"

    def __init__(self, key: str) -> None:
        super().__init__()
        self._key = key

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="recovery-box"):
            yield Static("Your recovery key", classes="title")
            yield Static(
                "Write this down or copy it onto paper now and keep it in the school safe. "
                "It opens the store if every passphrase is forgotten or you leave. "
                "It will not be shown again, and SafeDesk keeps no other copy.",
            )
            yield Static(self._key, id="recovery-key", markup=False)
            yield Static("To confirm you have it, type its last group of four characters:", classes="muted")
            yield Input(compact=True, id="recovery-confirm", max_length=4, placeholder="????")
            yield FieldError(id="recovery-error")
            yield Button(compact=True, label="I have written it down", variant="primary", id="recovery-done")

    @on(Input.Submitted, "#recovery-confirm")
    @on(Button.Pressed, "#recovery-done")
    def _confirm(self) -> None:
        typed = self.query_one("#recovery-confirm", Input).value.strip().upper()
        if typed != self._key[-4:]:
            self.query_one(FieldError).show("That is not the last group of the key. Check what you wrote down.")
            self.query_one("#recovery-confirm", Input).focus()
            return
        self._key = ""
        self.dismiss()
