"""A pupil's chronology: every incident, entry and consent decision about the child, in date order.

Opened from the pupil screen (c). The table scrolls with the arrow keys, Page Up/Down and
Ctrl+Home/Ctrl+End; Enter shows an entry whole (long text is cut at the screen's edge).
`e` exports it (Markdown, a printable web page or PDF) through the shared export dialog and
the report registry, audited like any report export; the same report is in Reports ("Child's
chronology") and `safedesk export chronology`.
"""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from safedesk.store.consents.pupils import get_pupil
from safedesk.store.engine.files import write_export
from safedesk.store.features import default_registry
from safedesk.store.registry import ReportParams
from safedesk.store.reports.chronology import ChronologyItem, pupil_chronology
from safedesk.store.text.dates import show_datetime
from safedesk.store.text.document import REPORT_FORMATS, Format, render
from safedesk.widgets.common import FittedTable, cell, plain
from safedesk.widgets.dialogs import MessageDialog
from safedesk.widgets.export import default_export_path, export_dialog
from safedesk.widgets.footer import Footer
from safedesk.widgets.forms import FormResult
from safedesk.widgets.host import session_of


def item_details(item: ChronologyItem) -> str:
    """One entry in full, as plain text (for the dialog)."""
    when = item.day_text + (f" {item.time_text}" if item.time_text else " (date only)")
    lines = [f"Happened: {when}", f"Recorded: {show_datetime(item.recorded_at)}" + (" (back-dated)" if item.back_dated else "")]
    if item.ref:
        lines.append(f"Incident: {item.ref}")
    lines += [f"Entry: {item.kind}", f"By: {item.by or 'not recorded'}", "", item.text]
    return "\n".join(lines)


class PupilChronologyScreen(Screen[None]):
    CSS_PATH = "chronology.tcss"
    SUB_TITLE = "Chronology"
    AUTO_FOCUS = "#chrono-table"
    BINDINGS = [
        Binding(
            "e", "export", "Export", tooltip="Write this chronology to a file (Markdown, web page or PDF)", id="chrono-export"
        ),
        Binding("escape", "back", "Back", tooltip="Back to the pupil", id="chrono-back"),
    ]

    def __init__(self, pupil_id: int) -> None:
        super().__init__()
        self.pupil_id = pupil_id
        self._items: list[ChronologyItem] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="chrono-title", classes="title", markup=False)
        yield FittedTable(
            [("Date", 10), ("Time", 5), ("Incident", 13), ("Entry", 13), ("What happened", None)], id="chrono-table"
        )
        yield Static("", id="chrono-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        session = session_of(self.app)
        pupil = get_pupil(session, self.pupil_id)
        self._items = pupil_chronology(session, self.pupil_id)
        self.query_one("#chrono-title", Static).update(plain(f"Chronology: {pupil.display_name}"))
        table = self.query_one("#chrono-table", DataTable)
        for item in self._items:
            text = ("* " if item.back_dated else "") + item.text
            table.add_row(item.day_text, item.time_text, cell(item.ref), cell(item.kind), cell(text))
        refs = len({item.ref for item in self._items if item.ref})
        status = (
            f"{len(self._items)} entries, {refs} incident(s), oldest first · * entered later than it happened · "
            "Enter: whole entry · e: export"
            if self._items
            else "Nothing recorded about this pupil yet. Link a person on an incident to this pupil to see it here."
        )
        self.query_one("#chrono-status", Static).update(plain(status))

    @on(DataTable.RowSelected, "#chrono-table")
    def _details(self, event: DataTable.RowSelected) -> None:
        if 0 <= event.cursor_row < len(self._items):
            item = self._items[event.cursor_row]
            self.app.push_screen(MessageDialog(f"{item.day_text} {item.kind}", item_details(item)))

    def action_export(self) -> None:
        session = session_of(self.app)
        pupil = get_pupil(session, self.pupil_id)
        # The file is named by the MIS id, not the child's name (a file name shows in folder listings).
        name = f"chronology {pupil.mis_id}" if pupil.mis_id else "chronology"

        def write(path: Path, overwrite: bool, fmt: Format) -> None:
            document = default_registry().build_document(session, "chronology", ReportParams(pupil_id=self.pupil_id))
            write_export(path, render(document, fmt), overwrite=overwrite)
            session.audit_event("export.report", f"chronology report exported ({fmt.kind})")

        def done(result: FormResult | None) -> None:
            if result is not None:
                self.notify(
                    f"Saved to {result.outcome}. It contains personal data: keep it safe.",
                    title="Exported",
                    timeout=10,
                    markup=False,
                )

        self.app.push_screen(
            export_dialog("Export the chronology", default_export_path(name), write, formats=REPORT_FORMATS),
            done,
        )

    def action_back(self) -> None:
        self.app.pop_screen()
