"""Consents that have expired or expire soon, soonest first; Enter opens the pupil to renew."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Static

from safedesk.router import open_screen
from safedesk.store.consents.pupils import EXPIRY_WARNING_DAYS, expiring, format_date
from safedesk.store.text.dates import local_today
from safedesk.widgets.footer import Footer
from safedesk.widgets.host import session_of
from safedesk.widgets.row_table import Col, Row, RowTable


def _when(days_left: int) -> str:
    if days_left < 0:
        return f"{-days_left} day{'s' if days_left != -1 else ''} ago"
    if days_left == 0:
        return "today"
    return f"in {days_left} day{'s' if days_left != 1 else ''}"


class ExpiringScreen(Screen[None]):
    CSS_PATH = "pupils.tcss"
    SUB_TITLE = "Consents expiring"
    AUTO_FOCUS = "#expiring-table"
    BINDINGS = [Binding("escape", "back", "Back", tooltip="Back", id="expiring-back")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield RowTable(
            (Col("Until", 10), Col("Expires", 12), Col("Pupil"), Col("Class", 6), Col("Purpose", 22)),
            empty=f"No consent has expired or expires in the next {EXPIRY_WARNING_DAYS} days.",
            id="expiring-table",
        )
        yield Static("", id="expiring-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.show()

    def on_screen_resume(self) -> None:
        self.show()

    def show(self) -> None:
        today = local_today()
        due = expiring(session_of(self.app), today=today)
        table = self.query_one("#expiring-table", RowTable)
        table.set_rows(
            [
                Row(
                    f"{e.pupil.id}:{e.purpose.value}",
                    (format_date(e.review_on), _when(e.days_left(today)), e.pupil.display_name, e.pupil.form, e.purpose.label),
                    ("", "bad" if e.days_left(today) < 0 else "warn", "", "", ""),
                )
                for e in due
            ],
            keep=table.current.key if table.current else None,
        )
        expired = sum(1 for e in due if e.review_on < today)
        self.query_one("#expiring-status", Static).update(
            f"{expired:,} expired, {len(due) - expired:,} expiring within {EXPIRY_WARNING_DAYS} days. "
            "An expired consent counts as no consent. Enter opens the pupil: record the renewal there."
        )

    @on(RowTable.Chosen, "#expiring-table")
    def _open(self, event: RowTable.Chosen) -> None:
        open_screen(self.app, "pupil", int(event.key.split(":")[0]))

    def action_back(self) -> None:
        self.app.pop_screen()
