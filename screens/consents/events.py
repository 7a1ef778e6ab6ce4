"""Events with their own consent (a trip, a performance): the list, one event, and its forms.

The list shows each event's dates and how many pupils have each decision; Enter opens
the event: every pupil with a decision, the one in force (the latest given). `r` records
a decision for the pupils ticked; typing in the box above the list narrows it by name or
class without losing the ticks already made.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header, Input, Select, SelectionList, Static
from textual.widgets.selection_list import Selection

from safedesk.router import open_screen
from safedesk.store.consents.events import (
    ConsentEvent,
    EventStatus,
    add_event,
    describe_count,
    event_counts,
    event_lines,
    get_event,
    list_events,
    record_event_decisions,
)
from safedesk.store.consents.pupils import format_date, parse_date, pupil_index, year_order, year_short
from safedesk.store.errors import RecordNotFound
from safedesk.store.text.dates import local_today
from safedesk.store.text.limits import Kind, limit
from safedesk.widgets.common import Field, plain
from safedesk.widgets.footer import Footer
from safedesk.widgets.forms import ModalForm
from safedesk.widgets.host import session_of
from safedesk.widgets.row_table import Col, Row, RowTable

if TYPE_CHECKING:
    from safedesk.store.engine.session import Session

STATUS_STYLES = {"granted": "good", "refused": "bad", "withdrawn": "bad"}


def dates_style(event: ConsentEvent, today: date) -> str:
    """The dates stand out while the event is on (its consent applies now), and fade once it is over."""
    if event.applies(today):
        return "good"
    return "muted" if event.ends_on < today else ""


def _when(event: ConsentEvent, today: date) -> str:
    if event.applies(today):
        return "on now"
    return "finished" if event.ends_on < today else "coming"


class EventsScreen(Screen[None]):
    CSS_PATH = "events.tcss"
    SUB_TITLE = "Event consents"
    AUTO_FOCUS = "#events-table"
    BINDINGS = [
        Binding("a", "add", "Add event", tooltip="A trip or performance with its own consent and dates", id="events-add"),
        Binding("escape", "back", "Back", tooltip="Back to the pupil list", id="events-back"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            "A trip or performance needs its own consent, for its own dates. Enter opens an event; "
            "the check (c on the pupil list) offers each event beside the purposes.",
            id="events-intro",
            markup=False,
        )
        yield RowTable(
            (Col("Event"), Col("Dates", 24), Col("Granted", 7), Col("Refused", 7), Col("Withdrawn", 9)),
            empty="No events yet: press a to add a trip or performance.",
            id="events-table",
        )
        yield Footer()

    def on_mount(self) -> None:
        self.show()

    def on_screen_resume(self) -> None:
        self.show()

    def show(self, keep: str | None = None) -> None:
        today = local_today()
        table = self.query_one("#events-table", RowTable)
        table.set_rows(
            [
                Row(
                    str(e.id),
                    (e.name, e.dates, *(str(n) for n in event_counts(e).values())),
                    ("", dates_style(e, today), "", "", ""),
                )
                for e in list_events(session_of(self.app))
            ],
            keep=keep or (table.current.key if table.current else None),
        )

    @on(RowTable.Chosen, "#events-table")
    def _open(self, event: RowTable.Chosen) -> None:
        open_screen(self.app, "consent-event", int(event.key))

    def action_add(self) -> None:
        def added(made: ConsentEvent | None) -> None:
            if made is not None:
                self.show(keep=str(made.id))
                open_screen(self.app, "consent-event", made.id)

        self.app.push_screen(EventForm(), added)

    def action_back(self) -> None:
        self.app.pop_screen()


class EventScreen(Screen[None]):
    CSS_PATH = "events.tcss"
    SUB_TITLE = "Event consent"
    AUTO_FOCUS = "#event-pupils"
    BINDINGS = [
        Binding("r", "record", "Record decisions", tooltip="Tick pupils and record their decision", id="event-record"),
        Binding("escape", "back", "Back", tooltip="Back to the events", id="event-back"),
    ]

    def __init__(self, event_id: int) -> None:
        super().__init__()
        self.event_id = event_id

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="event-title", markup=False)
        yield Static("", id="event-facts", markup=False)
        yield RowTable(
            (Col("Pupil"), Col("Class", 6), Col("Decision", 10), Col("Given", 10)),
            empty="No decisions yet: press r to tick pupils and record theirs.",
            id="event-pupils",
        )
        yield Footer()

    def on_mount(self) -> None:
        self.show()

    def show(self) -> None:
        session = session_of(self.app)
        try:
            event = get_event(session, self.event_id)
        except RecordNotFound:
            self.app.pop_screen()
            return
        today = local_today()
        self.query_one("#event-title", Static).update(plain(event.name))
        facts = f"{event.dates} · {_when(event, today)} · {describe_count(event)}"
        self.query_one("#event-facts", Static).update(plain(facts + (f"\n{event.note}" if event.note else "")))
        rows = [
            Row(
                str(line.row.id),
                (line.row.display_name, line.row.form, line.decision.status.value, format_date(line.decision.given_on)),
                ("", "", STATUS_STYLES[line.decision.status.value], ""),
            )
            for line in event_lines(event, pupil_index(session))
        ]
        table = self.query_one("#event-pupils", RowTable)
        table.set_rows(rows, keep=table.current.key if table.current else None)

    def action_record(self) -> None:
        def saved(result: ConsentEvent | None) -> None:
            if result is not None:
                self.show()
                self.notify("Saved.", timeout=2)

        self.app.push_screen(EventDecisionForm(self.event_id), saved)

    def action_back(self) -> None:
        self.app.pop_screen()


# --------------------------------------------------------------------- forms


class EventDialog(ModalForm["ConsentEvent | None"]):
    CSS_PATH = "forms.tcss"

    def session(self) -> Session:
        return session_of(self.app)


class EventForm(EventDialog):
    """A new event: its name, first and last day, and a short note."""

    heading = "Add an event (trip or performance)"

    def form(self) -> ComposeResult:
        with Grid(classes="form-grid"):
            yield Field(
                "Name (Year 6 Residential...)", Input(compact=True, id="name", max_length=limit(Kind.NAME)), field_id="name"
            )
            yield Field("Note (optional)", Input(compact=True, id="note", max_length=limit(Kind.SHORT)), field_id="note")
            yield Field(
                "First day (DD/MM/YYYY)", Input(compact=True, id="starts_on", max_length=limit(Kind.DATE)), field_id="starts_on"
            )
            yield Field(
                "Last day (blank: one day)", Input(compact=True, id="ends_on", max_length=limit(Kind.DATE)), field_id="ends_on"
            )

    def save(self, values: dict[str, Any]) -> ConsentEvent:
        starts = parse_date(values["starts_on"], "starts_on")
        ends = parse_date(values["ends_on"], "ends_on") if values["ends_on"].strip() else starts
        return add_event(self.session(), ConsentEvent(name=values["name"], starts_on=starts, ends_on=ends, note=values["note"]))


class EventDecisionForm(EventDialog):
    """Tick pupils (Space) and record one decision for them all, with the date it was given."""

    AUTO_FOCUS = "#event-narrow"

    def __init__(self, event_id: int) -> None:
        super().__init__()
        self.event_id = event_id
        self.ticked: set[int] = set()

    def compose(self) -> ComposeResult:
        self.heading = f"Decisions for {get_event(self.session(), self.event_id).name}"
        yield from super().compose()

    def top(self) -> ComposeResult:
        yield Input(
            compact=True, placeholder="type a name or class to narrow the list", id="event-narrow", max_length=limit(Kind.SHORT)
        )

    def form(self) -> ComposeResult:
        yield Field("Pupils (Space to tick)", SelectionList[int](id="pupils"), field_id="pupils")
        with Grid(classes="form-grid"):
            yield Field(
                "Decision",
                Select(
                    [(s.value.capitalize(), s.value) for s in EventStatus],
                    value=EventStatus.GRANTED.value,
                    allow_blank=False,
                    compact=True,
                    id="status",
                ),
                field_id="status",
            )
            yield Field(
                "Date given (DD/MM/YYYY)",
                Input(format_date(local_today()), compact=True, id="given_on", max_length=limit(Kind.DATE)),
                field_id="given_on",
            )
            yield Field(
                "Given by (optional)", Input(compact=True, id="given_by", max_length=limit(Kind.NAME)), field_id="given_by"
            )

    def on_mount(self) -> None:
        self._fill("")
        # Tab from the narrowing box goes straight to the list (not to the scrolling body around it);
        # focusing a field scrolls it into view anyway.
        for body in self.query(".form-body"):
            body.can_focus = False
        super().on_mount()

    def first_field(self) -> Widget | None:
        # The narrowing box first: in a school of hundreds, ticking starts by typing a class or name.
        return self.query_one("#event-narrow", Input)

    def _fill(self, text: str) -> None:
        """The current pupils matching `text`, by year, class and name; ticks kept."""
        today = local_today()
        words = text.casefold().split()
        rows = [r for r in pupil_index(self.session()).rows if r.active(today) and (not words or r.matches(words))]
        rows.sort(key=lambda r: (year_order(r.year_group), r.form_key, r.name_key))
        pupils = self.query_one("#pupils", SelectionList)
        pupils.clear_options()
        pupils.add_options(
            Selection(plain(f"{r.display_name}  {year_short(r.year_group)} {r.form}".rstrip()), r.id, r.id in self.ticked)
            for r in rows
        )
        if rows:
            pupils.highlighted = 0  # Space ticks at once after Tab, without first moving through the list

    @on(Input.Changed, "#event-narrow")
    def _narrow(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#event-narrow")
    def _to_list(self, event: Input.Submitted) -> None:
        event.stop()  # Enter here narrows, never saves
        self.query_one("#pupils", SelectionList).focus()

    @on(SelectionList.SelectedChanged, "#pupils")
    def _ticks(self, event: SelectionList.SelectedChanged[int]) -> None:
        shown = {event.selection_list.get_option_at_index(i).value for i in range(event.selection_list.option_count)}
        self.ticked = (self.ticked - shown) | set(event.selection_list.selected)

    def snapshot(self) -> object:
        return (self.values(), sorted(self.ticked))

    def save(self, values: dict[str, Any]) -> ConsentEvent:
        given_on = parse_date(values["given_on"], "given_on")
        return record_event_decisions(
            self.session(), self.event_id, sorted(self.ticked), EventStatus(values["status"]), given_on, values["given_by"]
        )
