"""The blank screen: shown at once by Ctrl+L or after idle time.

Nothing of what was on screen shows through. With a store open, the
passphrase of the person signed in brings everything back exactly as it was
(unsaved typing included); without one (guidance only) Enter is enough.
"""

from __future__ import annotations

import time
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.widgets import Input, Static

from safedesk.store.errors import InvalidInput, SafeDeskError
from safedesk.store.text.limits import Kind, limit
from safedesk.widgets.common import Field, FieldError
from safedesk.widgets.forms import Form
from safedesk.widgets.host import host


class LockScreen(Form[bool]):
    SUB_TITLE = "Locked"  # the header names the screen
    CSS_PATH = "lock.tcss"
    # Esc must not reveal what is underneath (the form base's cancel is off: `cancellable`).
    BINDINGS = [Binding("escape", "noop", show=False, id="lock-escape")]
    cancellable = False

    def compose(self) -> ComposeResult:
        session = getattr(self.app, "session", None)
        self.threaded = session is not None  # checking a passphrase derives a key: off the UI thread
        with Center(), Vertical(id="lock-box"):
            yield Static("SafeDesk is locked", classes="title")
            if session is not None:
                yield Static("Type your passphrase (or the recovery key) to carry on.", classes="muted")
                placeholder = "Passphrase"
            else:
                yield Static("The screen is hidden. Press Enter to carry on.", classes="muted")
                placeholder = "Press Enter"
            yield Field(
                None,
                Input(
                    compact=True, password=True, placeholder=placeholder, id="lock-passphrase", max_length=limit(Kind.PASSPHRASE)
                ),
                field_id="passphrase",
            )
            yield FieldError(id="form-error")

    def action_noop(self) -> None:
        """Escape must not reveal what is underneath."""

    def problems(self, values: dict[str, Any]) -> dict[str, str]:
        if self.threaded and not values["passphrase"]:
            return {"passphrase": "Type your passphrase."}
        return {}

    def save(self, values: dict[str, Any]) -> bool:
        session = getattr(self.app, "session", None)
        if session is not None and not session.vault.check_passphrase(values["passphrase"]):
            raise InvalidInput("That passphrase does not open this session. Check Caps Lock.", "passphrase")
        return True

    async def refused(self, error: SafeDeskError) -> None:
        self.query_one("#lock-passphrase", Input).value = ""  # emptied before the error shows, so it stays
        await super().refused(error)

    def busy(self, busy: bool) -> None:
        self.query_one("#lock-passphrase", Input).disabled = busy

    def saved(self, result: bool) -> None:
        host(self.app).last_activity = time.time()
        self.dismiss()
