"""The incident list: filter by words, status, flag, platform and date; sort; open."""

from __future__ import annotations

from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Select, Static

from store.errors import InvalidInput
from store.incident_log import SORTS, IncidentLog, IncidentRow, RowFilter
from store.incidents import FLAGS, PLATFORMS, STATUSES
from store.timeparse import local_date_text, local_zone, parse_date
from tui.virtual_table import Column, VirtualTable
from tui.widgets import plain

STATUS_CHOICES = [("Not closed", "active"), ("Any status", "")] + [(label, key) for key, label in STATUSES.items()]
FLAG_CHOICES = [("Any flag", "")] + [(label, key) for key, label in FLAGS.items()]
PLATFORM_CHOICES = [("Any platform", "")] + [(label, key) for key, label in PLATFORMS.items()]


class IncidentListScreen(Screen[None]):
    CSS_PATH = "incidents.tcss"
    AUTO_FOCUS = "#inc-table"
    BINDINGS = [
        Binding("n", "new", "New", tooltip="Record a new incident", id="inc-new"),
        Binding("slash", "search", "Search", tooltip="Search titles and descriptions", id="inc-search"),
        Binding("s", "sort", "Sort", tooltip="Change the order", id="inc-sort"),
        Binding("escape", "leave", "Back", tooltip="Back to home", id="inc-back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[IncidentRow] = []
        self._shown: list[IncidentRow] = []
        self._zone = local_zone()
        self._sort = "newest"

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="inc-filters-1"):
            yield Input(placeholder="/ search words", id="inc-text", compact=True)
            yield Input(placeholder="since (date)", id="inc-since", compact=True)
        with Horizontal(id="inc-filters-2"):
            yield Select(STATUS_CHOICES, value="active", allow_blank=False, id="inc-status", compact=True)
            yield Select(FLAG_CHOICES, value="", allow_blank=False, id="inc-flag", compact=True)
            yield Select(PLATFORM_CHOICES, value="", allow_blank=False, id="inc-platform", compact=True)
        yield Static("", id="inc-count", markup=False)
        yield VirtualTable(
            [Column("Ref", 13), Column("Reported", 10), Column("Status", 10), Column("Title", None), Column("Flags", 5)],
            id="inc-table",
        )
        yield Footer()

    def on_screen_resume(self) -> None:
        # Also runs when the screen is first shown.
        self.reload()

    def reload(self) -> None:
        self._rows = IncidentLog(self.app.session).rows()
        self._zone = local_zone()
        self.refilter()

    def _cells(self, row: IncidentRow) -> tuple[str, ...]:
        return (
            row.ref,
            local_date_text(datetime.fromisoformat(row.reported), self._zone),
            STATUSES.get(row.status, row.status),
            row.title,
            f"!{len(row.flags)}" if row.flags else "",
        )

    def current_filter(self) -> RowFilter:
        since_field = self.query_one("#inc-since", Input)
        try:
            since = parse_date(since_field.value, "since")
            since_field.tooltip = None
            since_field.remove_class("-invalid")
        except InvalidInput as error:
            since = None
            since_field.tooltip = str(error)
            since_field.add_class("-invalid")
        return RowFilter(
            text=self.query_one("#inc-text", Input).value,
            status=str(self.query_one("#inc-status", Select).value),
            flag=str(self.query_one("#inc-flag", Select).value),
            platform=str(self.query_one("#inc-platform", Select).value),
            since=since,
            sort=self._sort,
        )

    @on(Input.Changed)
    @on(Select.Changed)
    def refilter(self) -> None:
        rows = self.current_filter().apply(self._rows)
        self.query_one(VirtualTable).set_rows(rows, self._cells)
        # The table's rows are in `rows` order, so a cursor row indexes straight into it.
        self._shown = rows
        label = SORTS[self._sort][0]
        self.query_one("#inc-count", Static).update(
            plain(f"{len(rows)} of {len(self._rows)} incidents · {label} · Enter opens · n new")
        )

    @on(VirtualTable.RowSelected, "#inc-table")
    def _open(self, event: VirtualTable.RowSelected) -> None:
        from screens.incident_detail import IncidentDetailScreen

        row = self._shown[event.index]
        self.app.push_screen(IncidentDetailScreen(row.id))

    def action_new(self) -> None:
        from screens.incident_form import IncidentFormScreen

        self.app.push_screen(IncidentFormScreen())

    def action_search(self) -> None:
        self.query_one("#inc-text", Input).focus()

    def action_sort(self) -> None:
        keys = list(SORTS)
        self._sort = keys[(keys.index(self._sort) + 1) % len(keys)]
        self.refilter()

    def action_leave(self) -> None:
        focused = self.focused
        if isinstance(focused, Input) and focused.value:
            focused.value = ""
            return
        self.dismiss()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"new", "sort", "search"} and isinstance(self.focused, Input):
            return False
        return True
