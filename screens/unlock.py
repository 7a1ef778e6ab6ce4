"""Unlock: choose whose key slot, type the passphrase; the guidance needs neither."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Header, Input, LoadingIndicator, Select, Static

from safedesk.store.errors import SafeDeskError, StoreCorrupt, WrongPassphrase
from safedesk.store.text.limits import Kind, limit
from safedesk.widgets.common import Field, FieldError, plain
from safedesk.widgets.footer import Footer
from safedesk.widgets.forms import Form
from safedesk.widgets.host import host

if TYPE_CHECKING:
    from safedesk.store.engine.session import Session

ANYONE = "__any__"


def slot_choices(store_dir: Path) -> list[tuple[str, str]]:
    """(title, slot id) for each key slot, from the plaintext header: the label each key was
    given ("Key 2: amber compass"), never a name; "Key 1", "Key 2" for keys from before labels."""
    from safedesk.store.engine.keys.labels import slot_titles
    from safedesk.store.engine.vault import STORE_FILE, read_header

    header = read_header(store_dir / STORE_FILE).header
    titles = slot_titles([(s.role, s.label) for s in header.slots])
    return [("Anyone: try each key", ANYONE), *((title, slot.id) for title, slot in zip(titles, header.slots, strict=True))]


class UnlockScreen(Form["Session"]):
    SUB_TITLE = "Unlock"  # the header names the screen
    CSS_PATH = "unlock.tcss"
    AUTO_FOCUS = "#passphrase"  # the key slot rarely changes from "Anyone"
    BINDINGS = [
        Binding("ctrl+s", "save", "Unlock", tooltip="Unlock with this passphrase", id="unlock-open", show=False, priority=True),
        Binding(
            "ctrl+b",
            "use_backup",
            "Open backup",
            tooltip="Open the kept previous save (shown when the store is damaged)",
            id="unlock-backup",
            show=False,
        ),
    ]
    threaded = True  # deriving the key from the passphrase takes a moment
    cancellable = False  # there is nothing behind the unlock screen

    def __init__(self, store_dir: Path) -> None:
        super().__init__()
        self.store_dir = store_dir
        self._backup_offered = False
        self._use_backup = False
        self._header_error: SafeDeskError | None = None
        try:
            self._choices = slot_choices(store_dir)
        except SafeDeskError as error:
            self._choices = [("Anyone: try each key", ANYONE)]
            self._header_error = error

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="unlock-form"):
            yield Static("Unlock SafeDesk", classes="title")
            yield Field(
                "Who are you?", Select(self._choices, id="slot", allow_blank=False, value=ANYONE, compact=True), field_id="slot"
            )
            yield Field(
                "Passphrase (or the recovery key)",
                Input(compact=True, id="passphrase", password=True, max_length=limit(Kind.PASSPHRASE)),
                field_id="passphrase",
            )
            yield FieldError(id="form-error")
            with Horizontal(id="unlock-buttons", classes="form-buttons"):
                yield Button(compact=True, label="Unlock", variant="primary", id="form-save-button")
                yield Button(compact=True, label="Open the kept backup", variant="warning", id="use-backup")
                yield Button(compact=True, label="Guidance (no passphrase)", id="guide")
            yield LoadingIndicator(id="form-busy")
            yield Static(plain(f"Store folder: {self.store_dir}"), classes="hint")
        yield Footer()

    def first_field(self) -> Widget | None:
        return self.query_one("#passphrase")

    def on_mount(self) -> None:
        self.query_one("#use-backup").display = False
        if self._header_error is not None:
            self.query_one("#form-error", FieldError).show(self._explain(self._header_error))

    @on(Button.Pressed, "#use-backup")
    async def action_use_backup(self) -> None:
        if self._backup_offered:
            self._use_backup = True
            await self.action_save()

    @on(Button.Pressed, "#guide")
    def _guide(self) -> None:
        host(self.app).action_guide()

    def problems(self, values: dict[str, Any]) -> dict[str, str]:
        return {} if values["passphrase"] else {"passphrase": "Type your passphrase first."}

    def busy(self, busy: bool) -> None:
        super().busy(busy)
        for widget in self.query("Input, Button, Select"):
            widget.disabled = busy

    def save(self, values: dict[str, Any]) -> Session:
        from safedesk.store.engine.session import Session

        slot = values["slot"]
        use_backup, self._use_backup = self._use_backup, False
        return Session.open(
            self.store_dir, values["passphrase"], None if slot in (ANYONE, None) else str(slot), use_backup=use_backup
        )

    async def refused(self, error: SafeDeskError) -> None:
        if isinstance(error, WrongPassphrase):
            self.query_one("#passphrase", Input).value = ""  # emptied before the error shows, so it stays
            await self.show_error(self._explain(error), "passphrase")
            return
        await self.show_error(self._explain(error))
        self.query_one("#passphrase", Input).focus()

    def _explain(self, error: SafeDeskError) -> str:
        message = str(error)
        if isinstance(error, WrongPassphrase) and "Wrong passphrase" in message:
            message += " Check Caps Lock and which key slot is chosen."
        if isinstance(error, StoreCorrupt) and error.backup:
            self._backup_offered = True
            self.query_one("#use-backup").display = True
            message += " The previous save is kept: 'Open the kept backup' opens it and sets the damaged file aside."
        return message

    def saved(self, result: Session) -> None:
        merged = result.merged_events
        recovered = result.recovery_summary
        host(self.app).signed_in(result)
        if recovered:
            self.app.notify(recovered, title="Store recovered", severity="warning", timeout=15, markup=False)
        failed = merged - result.merged_exports
        if failed:
            self.app.notify(
                f"{failed} failed unlock attempt(s) since the last unlock; they are in the audit log.",
                title="Failed unlocks",
                severity="warning",
                timeout=10,
            )
        if result.merged_exports:
            self.app.notify(
                f"{result.merged_exports} export(s) made while SafeDesk was open elsewhere; they are in the audit log.",
                title="Exports recorded",
                timeout=10,
            )
