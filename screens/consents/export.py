"""Printable lists: the never-publish list, or the pupils cleared for one purpose, as Markdown."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from safedesk.store.consents.pupils import Purpose, cleared_export, count_of, never_publish_export, write_export
from safedesk.store.errors import SafeDeskError
from safedesk.store.text.dates import local_today
from safedesk.widgets.common import Field, FieldError

KINDS: list[tuple[str, str]] = [
    ("Never-publish list (for staff who take photos)", "never-publish"),
    ("Never-publish list with reason categories (DSL only)", "never-publish-reasons"),
    *((f"Cleared for {p.label.lower()}", f"cleared:{p.value}") for p in Purpose),
]


def default_path(kind: str, today: date | None = None) -> Path:
    stem = kind.replace(":", "-").replace("never-publish-reasons", "never-publish-with-reasons")
    return Path.home() / f"safedesk-{stem}-{(today or local_today()).isoformat()}.md"


class ExportDialog(ModalScreen[Path | None]):
    CSS_PATH = "forms.tcss"
    AUTO_FOCUS = "#export-kind"
    BINDINGS = [
        Binding("ctrl+s", "save", "Write", tooltip="Write the list to the file", id="export-save"),
        Binding("escape", "cancel", "Cancel", tooltip="Close without writing", id="export-cancel"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._default = str(default_path(KINDS[0][1]))

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="form narrow"):
            yield Static("Print a list", classes="title")
            yield Static(
                "These lists contain personal data about children: write them only where they stay secure, "
                "and destroy printed copies when a newer list replaces them.",
                classes="muted",
            )
            yield Label("Which list")
            yield Select(KINDS, value=KINDS[0][1], allow_blank=False, compact=True, id="export-kind")
            yield Field("Write to (Markdown file)", Input(self._default, compact=True, id="path"), field_id="path")
            yield FieldError(id="error-form")
            with Horizontal(classes="form-buttons"):
                yield Button(compact=True, label="Write (Ctrl+S)", variant="primary", id="save")
                yield Button(compact=True, label="Cancel", id="cancel")

    @on(Select.Changed, "#export-kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        # The suggested file name follows the list chosen, unless the user typed their own.
        path = self.query_one("#path", Input)
        if path.value == self._default:
            self._default = path.value = str(default_path(str(event.value)))

    @on(Input.Submitted, "#path")
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        for error in self.query(FieldError):
            error.clear()
        path = self.query_one("#path", Input).value.strip()
        if not path:
            self.query_one("#error-path", FieldError).show("Enter the file to write.")
            return
        self.query_one("#save", Button).disabled = True
        self._write(str(self.query_one("#export-kind", Select).value), Path(path).expanduser())

    @work(thread=True, exclusive=True, group="consents-export")
    def _write(self, kind: str, path: Path) -> None:
        session = self.app.session  # type: ignore[attr-defined]
        try:
            if kind.startswith("cleared:"):
                made = cleared_export(session, Purpose(kind.removeprefix("cleared:")))
            else:
                made = never_publish_export(session, with_reasons=kind == "never-publish-reasons")
            write_export(session, made, path)
        except SafeDeskError as error:
            self.app.call_from_thread(self._failed, error)
            return
        self.app.call_from_thread(self._written, path, made.count)

    def _failed(self, error: SafeDeskError) -> None:
        self.query_one("#save", Button).disabled = False
        target = "#error-path" if getattr(error, "field", None) == "path" else "#error-form"
        self.query_one(target, FieldError).show(str(error))

    def _written(self, path: Path, count: int) -> None:
        self.notify(f"Wrote {count_of(count, 'pupil')} to {path.name}. It contains personal data.", markup=False, timeout=6)
        self.dismiss(path)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
