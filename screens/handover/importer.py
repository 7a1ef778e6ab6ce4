"""Import a handover: the file and its passphrase, a preview, then the import and the receipt code.

Decryption runs in a child process from a worker thread (the screen keeps
painting); every check runs before the preview, and nothing is stored until the
DSL confirms. Conflicts are listed in the preview: nothing here is overwritten.
"""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, ContentSwitcher, Header, Input, LoadingIndicator, Static

from safedesk.store.errors import SafeDeskError
from safedesk.store.handover import transfer as ho
from safedesk.store.text.clean import typed_path
from safedesk.store.text.limits import Kind, limit
from safedesk.widgets.common import Field, FieldError, plain
from safedesk.widgets.footer import Footer
from safedesk.widgets.forms import Form
from safedesk.widgets.host import session_of

FIELD_OF = {"file": "file", "passphrase": "pass"}


class HandoverImportScreen(Form[ho.Opened]):
    """Step 1 is the form (the file and its passphrase, opened off the UI thread); Ctrl+S on
    the preview imports."""

    SUB_TITLE = "Handover: import"  # the header names the screen

    CSS_PATH = "listing.tcss"
    # Both on Ctrl+S, each allowed on its own step (check_action): a class's bindings for a key replace
    # its base's, so without the first here Ctrl+S on the file and passphrase did nothing.
    BINDINGS = [
        Binding("ctrl+s", "save", "Open", tooltip="Open and check the file", id="form-save", priority=True),
        Binding("ctrl+s", "import", "Import", tooltip="Add the previewed records to this store", id="hi-import", priority=True),
    ]
    threaded = True  # decryption runs in a child process, waited for off the UI thread

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
                yield Field(
                    "Handover file (full path)",
                    Input(compact=True, id="hi-file", value=self._path, max_length=limit(Kind.PATH)),
                    field_id="file",
                )
                yield Field(
                    "Handover passphrase (from the sender)",
                    Input(compact=True, id="hi-pass", password=True, max_length=limit(Kind.PASSPHRASE)),
                    field_id="pass",
                )
                yield FieldError(id="form-error")
                with Horizontal(classes="ho-buttons form-buttons"):
                    yield Button(compact=True, label="Open and check", variant="primary", id="form-save-button")
                    yield Button(compact=True, label="Cancel", id="form-cancel-button")
                yield LoadingIndicator(id="form-busy")
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
                    "The sender enters this code to record that the file arrived (the 5-school-day transfer rule). "
                    "Delete the handover file once you no longer need it: its records are now in this store.",
                    classes="hint",
                )
                yield Button(compact=True, label="Close", variant="primary", id="hi-close")
        yield Footer()

    @property
    def step(self) -> str:
        switcher = self.query(ContentSwitcher)
        return (switcher.first().current or "") if switcher else ""

    # ----------------------------------------------------------------- opening

    def problems(self, values: dict[str, Any]) -> dict[str, str]:
        if not values["file"].strip().strip('"'):
            return {"file": "Type the path of the handover file."}
        if not values["pass"]:
            return {"pass": "Type the passphrase the sender gave you."}
        return {}

    def save(self, values: dict[str, Any]) -> ho.Opened:
        return ho.open_handover(typed_path(values["file"]), values["pass"])

    async def refused(self, error: SafeDeskError) -> None:
        field_id = FIELD_OF.get(getattr(error, "field", None) or "")
        if field_id == "pass":
            self.query_one("#hi-pass", Input).value = ""  # emptied before the error shows, so it stays
        await self.show_error(str(error), field_id)

    def busy(self, busy: bool) -> None:
        self._busy_now = busy
        for indicator in self.query("LoadingIndicator"):
            indicator.display = busy
        for widget in self.query("Input, Button"):
            widget.disabled = busy
        self.query_one("#hi-progress", Static).update(
            "Decrypting and checking: a few seconds." if busy and self.step == "hi-open" else ""
        )

    def saved(self, result: ho.Opened) -> None:
        self._opened(result)

    def _opened(self, opened: ho.Opened) -> None:
        preview = ho.preview_import(session_of(self.app), opened)
        self._preview = preview
        self.query_one("#hi-lines", Static).update(plain("\n".join(preview.lines())))
        importable = not preview.refused
        self.query_one("#hi-do-import", Button).disabled = not importable
        self.query_one(ContentSwitcher).current = "hi-preview"
        # The button takes the focus without scrolling to it: a long preview opens at its top
        # (who sent it, the receipt code), read down with PgDn/arrows from the button.
        self.query_one("#hi-do-import" if importable else "#hi-cancel-preview", Button).focus(scroll_visible=False)
        self.query_one("#hi-preview", VerticalScroll).scroll_home(animate=False)
        self.refresh_bindings()

    # ----------------------------------------------------------------- importing

    @on(Button.Pressed, "#hi-do-import")
    def action_import(self) -> None:
        preview = self._preview
        if self.step != "hi-preview" or preview is None or preview.refused or self._busy_now:
            return
        self.busy(True)
        self._apply(preview)

    @work(thread=True, exclusive=True, group="handover-import")
    def _apply(self, preview: ho.ImportPreview) -> None:
        try:
            transfer = ho.apply_import(session_of(self.app), preview)
        except SafeDeskError as error:
            self.app.call_from_thread(self._apply_failed, error)
            return
        self.app.call_from_thread(self._imported, transfer)

    def _apply_failed(self, error: SafeDeskError) -> None:
        self.busy(False)
        self.query_one("#hi-import-error", FieldError).show(f"{error} Nothing was imported.")

    def _imported(self, transfer: ho.Transfer) -> None:
        self.busy(False)
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

    def changed(self) -> bool:
        # Past the first step nothing typed is lost by leaving (nothing is imported until confirmed).
        return self.step == "hi-open" and super().changed()

    def leave(self) -> None:
        self.app.pop_screen()

    @on(Button.Pressed, "#hi-cancel-preview, #hi-close")
    def _back(self) -> None:
        self.action_cancel()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "import":
            return self.step == "hi-preview" and self._preview is not None and not self._preview.refused
        if action == "save":
            return self.step == "hi-open"
        return super().check_action(action, parameters)
