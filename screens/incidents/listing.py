"""The incident list: filter by words, status, flag, platform and date; sort; open."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Input, Static

from safedesk.router import open_screen
from safedesk.store.incidents.log import SORTS, IncidentLog, IncidentRow, RowFilter
from safedesk.store.incidents.records import FLAGS, PLATFORMS, STATUSES
from safedesk.store.text.dates import DATE_HINT, local_date_text, local_zone, parse_date, show_date
from safedesk.store.text.limits import Kind, limit
from safedesk.widgets.common import plain
from safedesk.widgets.footer import Footer
from safedesk.widgets.forms import FormDialog, FormField, FormResult
from safedesk.widgets.host import session_of
from safedesk.widgets.row_table import Col, LazyRows, Row, RowTable

STATUS_CHOICES = [("Not closed", "active"), ("Any status", "")] + [(label, key) for key, label in STATUSES.items()]
FLAG_CHOICES = [("Any flag", "")] + [(label, key) for key, label in FLAGS.items()]
PLATFORM_CHOICES = [("Any platform", "")] + [(label, key) for key, label in PLATFORMS.items()]


class IncidentListScreen(Screen[None]):
    SUB_TITLE = "Incidents"  # the header names the screen
    CSS_PATH = "listing.tcss"
    AUTO_FOCUS = "#inc-table"
    BINDINGS = [
        Binding("n", "new", "New", tooltip="Record a new incident", id="inc-new"),
        Binding("slash", "search", "Search", tooltip="Search titles and descriptions", id="inc-search"),
        Binding("f", "filters", "Filters", tooltip="Status, flag, platform, reported since", id="inc-filters"),
        Binding("s", "sort", "Sort", tooltip="Change the order", id="inc-sort"),
        Binding("escape", "leave", "Back", tooltip="Back to home", id="inc-back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[IncidentRow] = []
        self._zone = local_zone()
        self._sort = "newest"
        # Filters other than the words live in a dialog (f): three dropdowns cost more to draw than 5,000 rows.
        self._row_filter = RowFilter(status="active")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(
            placeholder="/ search words in titles and descriptions", id="inc-text", compact=True, max_length=limit(Kind.SHORT)
        )
        yield Static("", id="inc-count", markup=False)
        yield RowTable(
            [Col("Ref", 13), Col("Reported", 10), Col("Status", 10), Col("Title"), Col("Flags", 5)],
            empty="No incidents match. Press n to record one.",
            id="inc-table",
        )
        yield Footer()

    def on_screen_resume(self) -> None:
        # Also runs when the screen is first shown.
        self.reload()

    def reload(self) -> None:
        self._rows = IncidentLog(session_of(self.app)).rows()
        self._zone = local_zone()
        self.refilter()

    def _row(self, row: IncidentRow) -> Row:
        cells = (
            row.ref,
            local_date_text(datetime.fromisoformat(row.reported), self._zone),
            STATUSES.get(row.status, row.status),
            row.title,
            f"!{len(row.flags)}" if row.flags else "",
        )
        return Row(str(row.id), cells, ("strong", "", "", "", "warn" if row.flags else ""))

    def current_filter(self) -> RowFilter:
        return dataclasses.replace(self._row_filter, text=self.query_one("#inc-text", Input).value, sort=self._sort)

    def _describe_filter(self) -> str:
        parts = [_label(STATUS_CHOICES, self._row_filter.status)]
        if self._row_filter.flag:
            parts.append(FLAGS[self._row_filter.flag])
        if self._row_filter.platform:
            parts.append(PLATFORMS[self._row_filter.platform])
        if self._row_filter.since:
            parts.append(f"since {show_date(self._row_filter.since)}")
        return ", ".join(parts)

    @on(Input.Changed, "#inc-text")
    def refilter(self) -> None:
        rows = self.current_filter().apply(self._rows)
        self.query_one(RowTable).set_rows(LazyRows(rows, self._row, lambda row: str(row.id)))
        label = SORTS[self._sort][0]
        self.query_one("#inc-count", Static).update(
            plain(f"{len(rows)} of {len(self._rows)} · {self._describe_filter()} · {label} · f filters · s sort")
        )

    @on(RowTable.Chosen, "#inc-table")
    def _open(self, event: RowTable.Chosen) -> None:
        open_screen(self.app, "incident", int(event.key))

    def action_new(self) -> None:
        open_screen(self.app, "incident-form")

    def action_filters(self) -> None:
        current = self._row_filter

        def save(values: dict[str, str]) -> RowFilter:
            return RowFilter(
                status=values["status"],
                flag=values["flag"],
                platform=values["platform"],
                since=parse_date(values["since"], "since"),
            )

        def done(result: FormResult | None) -> None:
            if result is not None:
                self._row_filter = result.outcome
                self.refilter()

        fields = [
            FormField("status", "Status", "select", current.status, STATUS_CHOICES),
            FormField("flag", "Flag", "select", current.flag, FLAG_CHOICES),
            FormField("platform", "Platform", "select", current.platform, PLATFORM_CHOICES),
            FormField("since", f"Reported since ({DATE_HINT})", value=show_date(current.since), text_kind=Kind.DATE),
        ]
        self.app.push_screen(FormDialog("Filter incidents", fields, save, save_label="Apply"), done)

    def action_search(self) -> None:
        self.query_one("#inc-text", Input).focus()

    def action_sort(self) -> None:
        keys = list(SORTS)
        self._sort = keys[(keys.index(self._sort) + 1) % len(keys)]
        self.refilter()

    def action_leave(self) -> None:
        focused = self.focused
        if isinstance(focused, Input):  # Esc in the search: clear it and go back to the list
            focused.value = ""
            self.query_one("#inc-table", RowTable).focus()
            return
        self.dismiss()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"new", "sort", "search", "filters"} and isinstance(self.focused, Input):
            return False
        return True


def _label(choices: list[tuple[str, str]], value: str) -> str:
    return next((label for label, key in choices if key == value), value)
