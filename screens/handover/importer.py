"""Import a handover: the file and its passphrase, a preview, then the import and the receipt code.

Decryption runs in a child process from a worker thread (the screen keeps
painting); every check runs before the preview, and nothing is stored until the
DSL confirms. Conflicts are listed in the preview: nothing here is overwritten.
"""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, ContentSwitcher, Footer, Header, Input, LoadingIndicator, Static

from safedesk.store.errors import SafeDeskError
from safedesk.store.handover import transfer as ho
from safedesk.widgets.common import Field, FieldError, plain

FIELD_OF = {"file": "file", "passphrase": "pass"}


class HandoverImportScreen(Screen[None]):
    CSS_PATH = "listing.tcss"
    AUTO_FOCUS = "#hi-file"
    BINDINGS = [
        Binding("ctrl+s", "import", "Import", tooltip="Add the previewed records to this store", id="hi-import"),
        Binding("escape", "back", "Back", tooltip="Back (nothing is imported until you confirm)", id="hi-back"),
    ]

    def __init__(self, path: str = "") -> None:
        super().__init__()
        self._path = path
        self._preview: ho.ImportPreview | None = None
        self._busy_now = False

    def compose(self) -> ComposeResult:
        yield Header()
        with ContentSwitcher(initial="hi-open", id="hi-steps"):
            with VerticalScroll(id="hi-open"):
                yield Static("Import a handover", classes="title")
                yield Static(
                    "A .age file another SafeDesk made. Everything is checked before anything is stored, "
                    "and nothing already here is changed.",
                    classes="muted",
                )
                yield Field("Handover file (full path)", Input(compact=True, id="hi-file", value=self._path), field_id="file")
                yield Field(
                    "Handover passphrase (from the sender)", Input(compact=True, id="hi-pass", password=True), field_id="pass"
                )
                with Horizontal(classes="ho-buttons"):
                    yield Button(compact=True, label="Open and check", variant="primary", id="hi-open-file")
                    yield Button(compact=True, label="Cancel", id="hi-cancel")
                yield FieldError(id="hi-error")
                yield LoadingIndicator(id="hi-busy")
                yield Static("", id="hi-progress", classes="muted", markup=False)
            with VerticalScroll(id="hi-preview"):
                yield Static("Preview: nothing is stored yet", classes="title")
                yield Static("", id="hi-lines", markup=False)
                with Horizontal(classes="ho-buttons"):
                    yield Button(compact=True, label="Import (Ctrl+S)", variant="primary", id="hi-do-import")
                    yield Button(compact=True, label="Cancel", id="hi-cancel-preview")
                yield FieldError(id="hi-import-error")
            with VerticalScroll(id="hi-done"):
                yield Static("Handover imported", classes="title")
                yield Static("", id="hi-result", markup=False)
                yield Static("Receipt code: read it back to the sender", classes="muted")
                yield Static("", id="hi-code", classes="receipt-code", markup=False)
                yield Static(
                    "The sender enters this code to record that the file arrived (the 5-day transfer rule). "
                    "Delete the handover file once you no longer need it: its records are now in this store.",
                    classes="hint",
                )
                yield Button(compact=True, label="Close", variant="primary", id="hi-close")
        yield Footer()

    def on_mount(self) -> None:
        for busy in self.query("LoadingIndicator"):
            busy.display = False

    @property
    def step(self) -> str:
        switcher = self.query(ContentSwitcher)
        return (switcher.first().current or "") if switcher else ""

    # ----------------------------------------------------------------- opening

    @on(Input.Submitted, "#hi-file")
    def _to_passphrase(self) -> None:
        self.query_one("#hi-pass", Input).focus()

    @on(Input.Submitted, "#hi-pass")
    @on(Button.Pressed, "#hi-open-file")
    def _open_file(self) -> None:
        if self._busy_now:
            return
        for field in self.query(Field):
            field.error.clear()
        self.query_one("#hi-error", FieldError).clear()
        path = self.query_one("#hi-file", Input).value.strip().strip('"')
        passphrase = self.query_one("#hi-pass", Input).value
        if not path:
            self.query_one("#field-file", Field).error.show("Type the path of the handover file.")
            return
        if not passphrase:
            self.query_one("#field-pass", Field).error.show("Type the passphrase the sender gave you.")
            return
        self._busy(True, "Decrypting and checking: a few seconds.")
        self._decrypt(Path(path), passphrase)

    def _busy(self, busy: bool, message: str = "") -> None:
        self._busy_now = busy
        for indicator in self.query("LoadingIndicator"):
            indicator.display = busy
        for widget in self.query("Input, Button"):
            widget.disabled = busy
        self.query_one("#hi-progress", Static).update(message if busy else "")

    @work(thread=True, exclusive=True, group="handover-import")
    def _decrypt(self, path: Path, passphrase: str) -> None:
        try:
            opened = ho.open_handover(path, passphrase)
        except SafeDeskError as error:
            self.app.call_from_thread(self._open_failed, error)
            return
        self.app.call_from_thread(self._opened, opened)

    def _open_failed(self, error: SafeDeskError) -> None:
        self._busy(False)
        field_id = FIELD_OF.get(getattr(error, "field", None) or "")
        if field_id == "pass":
            self.query_one("#hi-pass", Input).value = ""
        if field_id:
            field = self.query_one(f"#field-{field_id}", Field)
            field.error.show(str(error))
            field.input.focus()
        else:
            self.query_one("#hi-error", FieldError).show(str(error))

    def _opened(self, opened: ho.Opened) -> None:
        self._busy(False)
        preview = ho.preview_import(self.app.session, opened)
        self._preview = preview
        self.query_one("#hi-lines", Static).update(plain("\n".join(preview.lines())))
        importable = not preview.refused
        self.query_one("#hi-do-import", Button).disabled = not importable
        self.query_one(ContentSwitcher).current = "hi-preview"
        self.query_one("#hi-do-import" if importable else "#hi-cancel-preview", Button).focus()
        self.refresh_bindings()

    # ----------------------------------------------------------------- importing

    @on(Button.Pressed, "#hi-do-import")
    def action_import(self) -> None:
        preview = self._preview
        if self.step != "hi-preview" or preview is None or preview.refused or self._busy_now:
            return
        self._busy(True)
        self._apply(preview)

    @work(thread=True, exclusive=True, group="handover-import")
    def _apply(self, preview: ho.ImportPreview) -> None:
        try:
            transfer = ho.apply_import(self.app.session, preview)
        except SafeDeskError as error:
            self.app.call_from_thread(self._apply_failed, error)
            return
        self.app.call_from_thread(self._imported, transfer)

    def _apply_failed(self, error: SafeDeskError) -> None:
        self._busy(False)
        self.query_one("#hi-import-error", FieldError).show(f"{error} Nothing was imported.")

    def _imported(self, transfer: ho.Transfer) -> None:
        self._busy(False)
        refs = ", ".join(transfer.incident_refs) or "no incidents"
        lines = [
            f"From {transfer.counterpart}: {transfer.contents_text()}, {transfer.evidence_files} evidence file(s).",
            f"Stored as: {refs}",
        ]
        if transfer.conflicts:
            lines.append(f"{len(transfer.conflicts)} kept side by side (see the incidents' chronology).")
        self.query_one("#hi-result", Static).update(plain("\n".join(lines)))
        self.query_one("#hi-code", Static).update(plain(transfer.receipt_code))
        self.query_one(ContentSwitcher).current = "hi-done"
        self.query_one("#hi-close", Button).focus()

    # ----------------------------------------------------------------- leaving

    @on(Button.Pressed, "#hi-cancel, #hi-cancel-preview, #hi-close")
    def action_back(self) -> None:
        if not self._busy_now:
            self.app.pop_screen()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "import":
            return self.step == "hi-preview" and self._preview is not None and not self._preview.refused
        return True
