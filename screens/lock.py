"""The blank screen: shown at once by Ctrl+L or after idle time.

Nothing of what was on screen shows through. With a store open, the
passphrase of the person signed in brings everything back exactly as it was
(unsaved typing included); without one (guidance only) Enter is enough.
"""

from __future__ import annotations

import time

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Input, Static

from safedesk.widgets.common import FieldError


class LockScreen(Screen[None]):
    CSS_PATH = "lock.tcss"
    BINDINGS = [Binding("escape", "noop", show=False, id="lock-escape")]

    def compose(self) -> ComposeResult:
        session = getattr(self.app, "session", None)
        with Center(), Vertical(id="lock-box"):
            yield Static("SafeDesk is locked", classes="title")
            if session is not None:
                yield Static("Type your passphrase (or the recovery key) to carry on.", classes="muted")
                yield Input(compact=True, password=True, placeholder="Passphrase", id="lock-passphrase")
                yield FieldError(id="lock-error")
            else:
                yield Static("The screen is hidden. Press Enter to carry on.", classes="muted")
                yield Input(compact=True, password=True, placeholder="Press Enter", id="lock-passphrase")

    def action_noop(self) -> None:
        """Escape must not reveal what is underneath."""

    @on(Input.Submitted, "#lock-passphrase")
    def _submitted(self, event: Input.Submitted) -> None:
        session = getattr(self.app, "session", None)
        if session is None:
            self.dismiss()
            return
        if not event.value:
            return
        event.input.disabled = True
        self._check(event.value)

    @work(thread=True, exclusive=True, group="unlock")
    def _check(self, passphrase: str) -> None:
        ok = self.app.session.vault.check_passphrase(passphrase)
        self.app.call_from_thread(self._checked, ok)

    def _checked(self, ok: bool) -> None:
        field = self.query_one("#lock-passphrase", Input)
        if ok:
            self.app.last_activity = time.time()
            self.dismiss()
            return
        field.disabled = False
        field.value = ""
        field.focus()
        self.query_one("#lock-error", FieldError).show("That passphrase does not open this session. Check Caps Lock.")
