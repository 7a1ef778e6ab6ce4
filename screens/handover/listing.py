"""Handovers: files sent and received with their receipt state; export, import, receipt codes.

A sent handover waits for its receipt code (read back by the receiver after
importing); entering it here, with the day the receipt was confirmed, marks the
transfer received. Waiting past the clock (5 school days unless Settings say
otherwise) shows as OVERDUE here and on the home screen.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from safedesk.router import open_screen
from safedesk.store.errors import InvalidInput
from safedesk.store.handover.calendar import SchoolCalendar, load_calendar
from safedesk.store.handover.transfer import DIRECTIONS, Transfer, mark_received, transfers
from safedesk.store.text.dates import local_today, parse_date, show_date, show_datetime, to_local_date
from safedesk.store.text.limits import Kind, limit
from safedesk.widgets.common import Field, FittedTable, cell, plain
from safedesk.widgets.dialogs import MessageDialog
from safedesk.widgets.forms import ModalForm
from safedesk.widgets.host import session_of


def transfer_details(t: Transfer, calendar: SchoolCalendar) -> str:
    """Every fact of a transfer as plain text (for the details dialog)."""
    lines = [
        f"{DIRECTIONS[t.direction]} {show_datetime(t.at)} by {t.by}",
        f"{'To' if t.direction == 'sent' else 'From'}: {t.counterpart}"
        + (f" ({t.counterpart_person})" if t.counterpart_person else ""),
    ]
    if t.addressed_to:
        lines.append(f"Addressed to: {t.addressed_to}")
    if t.note:
        lines.append(f"Purpose: {t.note}")
    lines += [
        f"Receipt code: {t.receipt_code}",
        f"State: {t.state_text(calendar)}"
        + (
            f" (confirmed {show_datetime(t.received_at)}{' by ' + t.receipt_by if t.receipt_by else ''})"
            if t.direction == "sent" and t.received_at
            else ""
        ),
    ]
    if t.pending:
        lines.append(
            f"Receipt due by {show_date(t.due_on(calendar))} ({calendar.transfer_days}-school-day transfer rule). "
            + calendar.described
        )
    if t.sent_at:
        lines.append(f"Made by the sender {show_datetime(t.sent_at)}")
    lines += [
        f"Incidents: {', '.join(t.incident_refs) or 'none'}",
        f"Pupils: {t.pupils}; evidence files: {t.evidence_files}",
        f"File: {t.file_name} ({t.size:,} bytes)",
        f"File SHA-256: {t.file_sha256}",
    ]
    if t.conflicts:
        lines.append("Kept side by side:")
        lines += [f"  - {line}" for line in t.conflicts]
    return "\n".join(lines)


class HandoverScreen(Screen[None]):
    SUB_TITLE = "Handover"  # the header names the screen
    CSS_PATH = "listing.tcss"
    AUTO_FOCUS = "#ho-transfers"
    BINDINGS = [
        Binding(
            "e", "export", "Export", tooltip="Write chosen incidents and pupils to an encrypted handover file", id="ho-export"
        ),
        Binding("i", "import", "Import", tooltip="Check and import a handover file someone sent you", id="ho-import"),
        Binding(
            "r",
            "receipt",
            "Receipt confirmed",
            tooltip="Record the receipt: the code the receiver read back, and the day",
            id="ho-receipt",
        ),
        Binding("escape", "leave", "Back", tooltip="Back to home", id="ho-back"),
    ]

    def __init__(self, focus_id: int | None = None) -> None:
        super().__init__()
        self._focus_id = focus_id
        self._rows: list[Transfer] = []
        self._calendar = SchoolCalendar()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Handovers", classes="title", id="ho-title")
        yield FittedTable(
            [("", 3), ("When", 10), ("Receipt code", 14), ("State", 14), ("With / contents", None)], id="ho-transfers"
        )
        yield Static("", id="ho-status", markup=False)
        yield Footer()

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        self._rows = transfers(session_of(self.app))
        self._calendar = load_calendar(session_of(self.app))
        table = self.query_one("#ho-transfers", DataTable)
        table.clear()
        for t in self._rows:
            arrow = "out" if t.direction == "sent" else "in"
            table.add_row(
                arrow,
                show_date(to_local_date(t.at)),
                t.receipt_code,
                t.state_text(self._calendar),
                cell(f"{t.counterpart} · {t.contents_text()}"),
            )
        waiting = sum(1 for t in self._rows if t.pending)
        overdue = sum(1 for t in self._rows if t.overdue(self._calendar, local_today()))
        status = (
            f"{len(self._rows)} handover(s) · {waiting} waiting for a receipt code ({overdue} overdue) · "
            "Enter: details · e export · i import · r receipt code"
            if self._rows
            else "No handovers yet. e: export incidents or pupils to an encrypted file · i: import a file you were sent"
        )
        self.query_one("#ho-status", Static).update(plain(status))
        if self._focus_id is not None:
            index = next((n for n, t in enumerate(self._rows) if t.id == self._focus_id), None)
            if index is not None:
                table.move_cursor(row=index)
            self._focus_id = None

    @on(DataTable.RowSelected, "#ho-transfers")
    def _details(self, event: DataTable.RowSelected) -> None:
        if 0 <= event.cursor_row < len(self._rows):
            t = self._rows[event.cursor_row]
            self.app.push_screen(MessageDialog(f"Handover {t.receipt_code}", transfer_details(t, self._calendar)))

    def action_export(self) -> None:
        open_screen(self.app, "handover-export")

    def action_import(self) -> None:
        open_screen(self.app, "handover-import")

    def action_receipt(self) -> None:
        def entered(marked: bool | None) -> None:
            if marked:
                self.reload()

        self.app.push_screen(ReceiptDialog(), entered)

    def action_leave(self) -> None:
        self.app.pop_screen()


class ReceiptDialog(ModalForm[bool]):
    """Type the receipt code the receiver read back; marks the matching sent transfer received."""

    CSS_PATH = "listing.tcss"
    heading = "Receipt confirmed"
    intro = "The receiver sees it after importing your handover (e.g. 1A2B-3C4D-5E6F). Entering it records that the file arrived."
    save_label = "Mark received (Ctrl+S)"

    def form(self) -> ComposeResult:
        yield Field(
            "Receipt code",
            Input(compact=True, id="receipt-code", placeholder="XXXX-XXXX-XXXX", max_length=limit(Kind.REFERENCE)),
            field_id="code",
        )
        yield Field(
            "Confirmed on (blank: today)",
            Input(compact=True, id="receipt-on", placeholder="DD/MM/YYYY", max_length=limit(Kind.DATE)),
            field_id="on",
        )

    def save(self, values: dict[str, Any]) -> bool:
        on = parse_date(values["on"], "on")
        try:
            transfer, newly = mark_received(session_of(self.app), values["code"], on)
        except InvalidInput as problem:
            raise InvalidInput(str(problem), problem.field if problem.field == "on" else "code") from None
        when = show_datetime(transfer.received_at)
        message = (
            f"Receipt recorded: handover to {transfer.counterpart}."
            if newly
            else f"That handover was already marked received on {when}."
        )
        self.app.notify(message, title="Handover", markup=False)
        return True

    def leave(self) -> None:
        self.dismiss(False)
