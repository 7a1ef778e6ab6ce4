"""The recovery key, shown once at setup, with a step that checks it was written down."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Center, Horizontal, Vertical
from textual.widgets import Button, Input, Static

from safedesk.store.engine.keys.recovery import SHEET_STYLE, recovery_sheet_markdown
from safedesk.store.errors import InvalidInput
from safedesk.widgets.common import Field, FieldError
from safedesk.widgets.export import sheet_dialog
from safedesk.widgets.forms import ModalForm
from safedesk.widgets.host import host


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
            with Horizontal(classes="form-buttons"):
                yield Button(compact=True, label="I have written it down", variant="primary", id="form-save-button")
                # A sheet with boxes to copy the key onto by hand: the key itself is never written to a file.
                yield Button(compact=True, label="Sheet to print...", id="recovery-sheet")

    @on(Button.Pressed, "#recovery-sheet")
    def _sheet(self) -> None:
        session = host(self.app).session
        setting, store_id = (session.setting().name, session.store_id) if session is not None else ("", "")
        markdown = recovery_sheet_markdown(setting, store_id)
        self.app.push_screen(sheet_dialog("Recovery key sheet", "recovery-key-sheet", markdown, style=SHEET_STYLE))

    def save(self, values: dict[str, Any]) -> None:
        if values["confirm"].strip().upper() != self._key[-4:]:
            raise InvalidInput("That is not the last group of the key. Check what you wrote down.", "confirm")

    def saved(self, result: None) -> None:
        self._key = ""
        self.dismiss()
