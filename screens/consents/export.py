"""Printable lists: the never-publish list, or the pupils cleared for one purpose, as Markdown."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Select

from safedesk.store.consents.pupils import Purpose, cleared_export, count_of, never_publish_export, write_export
from safedesk.store.text.clean import typed_path
from safedesk.store.text.dates import local_today
from safedesk.store.text.limits import Kind, limit
from safedesk.widgets.common import Field
from safedesk.widgets.forms import ModalForm
from safedesk.widgets.host import session_of

KINDS: list[tuple[str, str]] = [
    ("Never-publish list (for staff who take photos)", "never-publish"),
    ("Never-publish list with reason categories (DSL only)", "never-publish-reasons"),
    *((f"Cleared for {p.label.lower()}", f"cleared:{p.value}") for p in Purpose),
]


def default_path(kind: str, today: date | None = None) -> Path:
    stem = kind.replace(":", "-").replace("never-publish-reasons", "never-publish-with-reasons")
    return Path.home() / f"safedesk-{stem}-{(today or local_today()).isoformat()}.md"


class ExportDialog(ModalForm[tuple[Path, int] | None]):
    """Which list and where to write it; the list is built and written off the UI thread."""

    CSS_PATH = "forms.tcss"
    heading = "Print a list"
    intro = (
        "These lists contain personal data about children: write them only where they stay secure, "
        "and destroy printed copies when a newer list replaces them."
    )
    save_label = "Write (Ctrl+S)"
    threaded = True

    def __init__(self) -> None:
        super().__init__()
        self._default = str(default_path(KINDS[0][1]))

    def form(self) -> ComposeResult:
        yield Field(
            "Which list", Select(KINDS, value=KINDS[0][1], allow_blank=False, compact=True, id="export-kind"), field_id="kind"
        )
        yield Field(
            "Write to (Markdown file)",
            Input(self._default, compact=True, id="path", max_length=limit(Kind.PATH)),
            field_id="path",
        )

    @on(Select.Changed, "#export-kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        # The suggested file name follows the list chosen, unless the user typed their own.
        path = self.query_one("#path", Input)
        if path.value == self._default:
            self._default = path.value = str(default_path(str(event.value)))

    def problems(self, values: dict[str, Any]) -> dict[str, str]:
        return {} if values["path"].strip() else {"path": "Enter the file to write."}

    def save(self, values: dict[str, Any]) -> tuple[Path, int]:
        session = session_of(self.app)
        kind, path = str(values["kind"]), typed_path(values["path"])
        if kind.startswith("cleared:"):
            made = cleared_export(session, Purpose(kind.removeprefix("cleared:")))
        else:
            made = never_publish_export(session, with_reasons=kind == "never-publish-reasons")
        write_export(session, made, path)
        return path, made.count

    def saved(self, result: tuple[Path, int] | None) -> None:
        if result is not None:
            path, count = result
            self.notify(f"Wrote {count_of(count, 'pupil')} to {path.name}. It contains personal data.", markup=False, timeout=6)
        super().saved(result)
