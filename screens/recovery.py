"""The recovery key, shown once at setup, with a step that checks it was written down."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.widgets import Button, Input, Static

from safedesk.store.errors import InvalidInput
from safedesk.widgets.common import Field, FieldError
from safedesk.widgets.forms import ModalForm


class RecoveryKeyScreen(ModalForm[None]):
    SUB_TITLE = "Recovery key"  # the header names the screen
    CSS_PATH = "recovery.tcss"
    cancellable = False  # the key is shown once: it stays until its last group is typed

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
            yield Field(
                "To confirm you have it, type its last group of four characters:",
                Input(compact=True, id="recovery-confirm", max_length=4, placeholder="????"),
                field_id="confirm",
            )
            yield FieldError(id="form-error")
            yield Button(compact=True, label="I have written it down", variant="primary", id="form-save-button")

    def save(self, values: dict[str, Any]) -> None:
        if values["confirm"].strip().upper() != self._key[-4:]:
            raise InvalidInput("That is not the last group of the key. Check what you wrote down.", "confirm")

    def saved(self, result: None) -> None:
        self._key = ""
        self.dismiss()
