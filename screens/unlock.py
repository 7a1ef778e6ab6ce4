"""Unlock: choose whose key slot, type the passphrase; the guidance needs neither."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, LoadingIndicator, Select, Static

from safedesk.store.engine.core_records import ROLE_LABELS
from safedesk.store.errors import SafeDeskError, StoreCorrupt, WrongPassphrase
from safedesk.widgets.common import FieldError, plain

ANYONE = "__any__"


def slot_choices(store_dir: Path) -> list[tuple[str, str]]:
    """(label, slot id) for each key slot, from the plaintext header: roles only, no names."""
    from safedesk.store.engine.vault import STORE_FILE, read_header

    header = read_header(store_dir / STORE_FILE).header
    counts: dict[str, int] = {}
    totals = {role: sum(1 for s in header.slots if s.role == role) for role in ROLE_LABELS}
    choices = [("Anyone: try each key", ANYONE)]
    for slot in header.slots:
        counts[slot.role] = counts.get(slot.role, 0) + 1
        label = ROLE_LABELS[slot.role] + (f" {counts[slot.role]}" if totals[slot.role] > 1 else "")
        choices.append((label, slot.id))
    return choices


class UnlockScreen(Screen[None]):
    CSS_PATH = "unlock.tcss"
    AUTO_FOCUS = "#passphrase"
    BINDINGS = [
        Binding(
            "ctrl+b",
            "use_backup",
            "Open backup",
            tooltip="Open the kept previous save (shown when the store is damaged)",
            id="unlock-backup",
            show=False,
        ),
    ]

    def __init__(self, store_dir: Path) -> None:
        super().__init__()
        self.store_dir = store_dir
        self._backup_offered = False
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
            yield Label("Who are you?")
            yield Select(self._choices, id="slot", allow_blank=False, value=ANYONE, compact=True)
            yield Label("Passphrase (or the recovery key)")
            yield Input(compact=True, id="passphrase", password=True)
            yield FieldError(id="unlock-error")
            with Horizontal(id="unlock-buttons"):
                yield Button(compact=True, label="Unlock", variant="primary", id="unlock")
                yield Button(compact=True, label="Open the kept backup", variant="warning", id="use-backup")
                yield Button(compact=True, label="Guidance (no passphrase)", id="guide")
            yield LoadingIndicator(id="unlock-busy")
            yield Static(plain(f"Store folder: {self.store_dir}"), classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#use-backup").display = False
        if self._header_error is not None:
            self._show_error(self._header_error)

    @on(Input.Submitted, "#passphrase")
    @on(Button.Pressed, "#unlock")
    def _unlock(self) -> None:
        self._start(use_backup=False)

    @on(Button.Pressed, "#use-backup")
    def action_use_backup(self) -> None:
        if self._backup_offered:
            self._start(use_backup=True)

    @on(Button.Pressed, "#guide")
    def _guide(self) -> None:
        self.app.action_guide()

    def _start(self, use_backup: bool) -> None:
        passphrase = self.query_one("#passphrase", Input).value
        if not passphrase:
            self.query_one("#unlock-error", FieldError).show("Type your passphrase first.")
            return
        slot = self.query_one("#slot", Select).value
        self.query_one("#unlock-error", FieldError).clear()
        self._busy(True)
        self._open(passphrase, None if slot in (ANYONE, Select.NULL) else str(slot), use_backup)

    def _busy(self, busy: bool) -> None:
        self.query_one("#unlock-busy").display = busy
        for widget in self.query("Input, Button, Select"):
            widget.disabled = busy

    @work(thread=True, exclusive=True, group="unlock")
    def _open(self, passphrase: str, slot: str | None, use_backup: bool) -> None:
        from safedesk.store.engine.session import Session

        try:
            session = Session.open(self.store_dir, passphrase, slot, use_backup=use_backup)
        except SafeDeskError as error:
            self.app.call_from_thread(self._failed, error)
            return
        self.app.call_from_thread(self._opened, session)

    def _failed(self, error: SafeDeskError) -> None:
        self._busy(False)
        self._show_error(error)
        field = self.query_one("#passphrase", Input)
        if isinstance(error, WrongPassphrase):
            field.value = ""
        field.focus()

    def _show_error(self, error: SafeDeskError) -> None:
        message = str(error)
        if isinstance(error, WrongPassphrase) and "Wrong passphrase" in message:
            message += " Check Caps Lock and which key slot is chosen."
        if isinstance(error, StoreCorrupt) and error.backup:
            self._backup_offered = True
            self.query_one("#use-backup").display = True
            message += " The previous save is kept: 'Open the kept backup' opens it and sets the damaged file aside."
        self.query_one("#unlock-error", FieldError).show(message)

    def _opened(self, session: object) -> None:
        merged = getattr(session, "merged_events", 0)
        self.app.signed_in(session)  # type: ignore[arg-type]
        if merged:
            self.app.notify(
                f"{merged} failed unlock attempt(s) since the last unlock; they are in the audit log.",
                title="Failed unlocks",
                severity="warning",
                timeout=10,
            )
