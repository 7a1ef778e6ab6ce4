"""Handovers: files sent and received with their receipt state; export, import, receipt codes.

A sent handover waits for its receipt code (read back by the receiver after
importing); entering it here, with the day the receipt was confirmed, marks the
transfer received. Waiting past the clock (5 school days unless Settings say
otherwise) shows as OVERDUE here and on the home screen. A pupil recorded as left
(`l`, or with the export) is listed first, "transfer due", until their file is sent:
the clock counts from the day they left, so the DSL sees it coming.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static

from safedesk.router import open_screen
from safedesk.store.consents.describe import resolve_pupil
from safedesk.store.errors import InvalidInput
from safedesk.store.handover.calendar import SchoolCalendar, load_calendar
from safedesk.store.handover.leavers import record_left
from safedesk.store.handover.transfer import DIRECTIONS, FileDue, Transfer, files_due, mark_received, transfers
from safedesk.store.text.dates import local_today, parse_date, show_date, show_datetime, to_local_date
from safedesk.store.text.limits import Kind, limit
from safedesk.widgets.common import Field, FittedTable, cell, plain
from safedesk.widgets.dialogs import MessageDialog
from safedesk.widgets.footer import Footer
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
    if t.left_on is not None:
        lines.append(f"The pupil left on {show_date(t.left_on)}: the transfer clock counts from that day.")
    if t.pending:
        lines.append(
            f"Receipt not confirmed: due by {show_date(t.due_on(calendar))} "
            f"({calendar.transfer_days}-school-day transfer rule). " + calendar.described
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
            "l",
            "left",
            "Pupil left",
            tooltip="Record the day a pupil left: their file shows as due until it is sent",
            id="ho-left",
        ),
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
        self._due: list[FileDue] = []  # pupils recorded as left whose file is not sent: listed first
        self._calendar = SchoolCalendar()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Handovers", classes="title", id="ho-title")
        yield FittedTable(
            [("", 3), ("When", 10), ("Receipt code", 14), ("State", 21), ("With / contents", None)], id="ho-transfers"
        )
        yield Static("", id="ho-status", markup=False)
        yield Footer()

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        session = session_of(self.app)
        self._rows = transfers(session)
        self._calendar = load_calendar(session)
        self._due = files_due(session, self._calendar)
        today = local_today()
        table = self.query_one("#ho-transfers", DataTable)
        table.clear()
        for f in self._due:
            table.add_row(
                "due",
                show_date(f.leaver.left_on),
                "not sent",
                f.state_text(self._calendar, today),
                cell(f"{f.pupil} · file not sent"),  # the day they left is in the When column
            )
        for t in self._rows:
            arrow = "out" if t.direction == "sent" else "in"
            due = f" · due {show_date(t.due_on(self._calendar))}" if t.pending else ""
            table.add_row(
                arrow,
                show_date(to_local_date(t.at)),
                t.receipt_code,
                t.state_text(self._calendar),
                cell(f"{t.counterpart} · {t.contents_text()}{due}"),
            )
        waiting = sum(1 for t in self._rows if t.pending)
        overdue = sum(1 for t in self._rows if t.overdue(self._calendar, today))
        files = f"{len(self._due)} pupil file(s) to send · " if self._due else ""
        status = (
            f"{files}{len(self._rows)} handover(s) · {waiting} receipt(s) not confirmed ({overdue} overdue) · "
            "Enter: details · e export · i import · r receipt · l pupil left"
            if self._rows or self._due
            else "No handovers yet. e: export incidents or pupils to an encrypted file · i: import a file you were sent"
            " · l: record that a pupil left"
        )
        self.query_one("#ho-status", Static).update(plain(status))
        if self._focus_id is not None:
            index = next((n for n, t in enumerate(self._rows) if t.id == self._focus_id), None)
            if index is not None:
                table.move_cursor(row=len(self._due) + index)
            self._focus_id = None

    @on(DataTable.RowSelected, "#ho-transfers")
    def _details(self, event: DataTable.RowSelected) -> None:
        if 0 <= event.cursor_row < len(self._due):
            # A file not sent yet: Enter starts its handover with the pupil ticked.
            open_screen(self.app, "handover-export", pupil_ids=(self._due[event.cursor_row].leaver.pupil_id,))
            return
        row = event.cursor_row - len(self._due)
        if 0 <= row < len(self._rows):
            t = self._rows[row]
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

    def action_left(self) -> None:
        def entered(recorded: bool | None) -> None:
            if recorded:
                self.reload()

        self.app.push_screen(LeftDialog(), entered)

    def action_leave(self) -> None:
        self.app.pop_screen()


class LeftDialog(ModalForm[bool]):
    """Record the day a pupil left: the statutory clock for their file starts then, sent or not."""

    CSS_PATH = "listing.tcss"
    heading = "Pupil left"
    intro = (
        "Their child protection file is due within 5 school days of leaving, or within the first 5 school "
        "days of the next term when they left at the end of a term or in the holidays (KCSIE 2025)."
    )
    save_label = "Record (Ctrl+S)"

    def form(self) -> ComposeResult:
        yield Field(
            "Pupil: MIS id or full name", Input(compact=True, id="left-pupil", max_length=limit(Kind.NAME)), field_id="pupil"
        )
        yield Field(
            "Date the pupil left",
            Input(compact=True, id="left-on", placeholder="DD/MM/YYYY", max_length=limit(Kind.DATE)),
            field_id="left",
        )

    def save(self, values: dict[str, Any]) -> bool:
        session = session_of(self.app)
        pupil_id = resolve_pupil(session, values["pupil"])
        day = parse_date(values["left"], "left", required=True, relative=False)
        assert day is not None  # required
        record_left(session, (pupil_id,), day)
        self.app.notify(f"Recorded: the pupil left on {show_date(day)}.", title="Handover", markup=False)
        return True

    def leave(self) -> None:
        self.dismiss(False)


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
