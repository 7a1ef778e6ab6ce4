"""One pupil: details, where each purpose stands now, and the whole history.

Nothing here edits the past: a withdrawal or a correction is a new entry, and
the state above is worked out again from the history.
"""

from __future__ import annotations

from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Static

from safedesk.router import open_screen
from safedesk.screens.consents.forms import ConsentForm, NeverPublishForm, PupilForm
from safedesk.screens.consents.pupils import STATE_STYLES
from safedesk.store.consents.events import EventDecision, EventStatus, pupil_events
from safedesk.store.consents.pupils import (
    ConsentChange,
    ConsentStatus,
    FlagChange,
    Pupil,
    Purpose,
    format_date,
    get_pupil,
    history_key,
    mark_left,
)
from safedesk.store.errors import RecordNotFound
from safedesk.store.text.dates import local_today, show_datetime
from safedesk.widgets.common import plain
from safedesk.widgets.dialogs import ConfirmDialog
from safedesk.widgets.footer import Footer
from safedesk.widgets.host import session_of
from safedesk.widgets.row_table import Col, Row, RowTable


def describe(change: ConsentChange) -> str:
    """One line for the history: the decision and everything recorded with it."""
    parts = [change.status.label + (f" on {format_date(change.given_on)}" if change.given_on else "")]
    pr = "" if change.parental_responsibility is None else ("has PR" if change.parental_responsibility else "no PR")
    who = [x for x in (change.relationship, pr) if x]
    if change.given_by or who:
        parts.append(f"by {change.given_by or 'unnamed'}" + (f" ({', '.join(who)})" if who else ""))
    if change.review_on:
        parts.append(f"until {format_date(change.review_on)}")
    if change.child_view.value != "not-sought":
        parts.append(f"pupil {change.child_view.label}")
    if change.recorded_how:
        parts.append(change.recorded_how)
    return " · ".join(parts)


def _when(entry: ConsentChange | FlagChange) -> str:
    return show_datetime(entry.recorded_at)


def _given(entry: ConsentChange | FlagChange) -> str:
    """The day the history is ordered by: the date given (the flag's date), else the day it was entered."""
    day = entry.on if isinstance(entry, FlagChange) else entry.given_on
    return format_date(day) if day else _when(entry)[:10]


def _order(entry: ConsentChange | FlagChange | tuple[str, EventDecision]) -> tuple[str, datetime]:
    """The history's order for purposes, flags and events alike: the day given, then when recorded."""
    if isinstance(entry, tuple):
        return (entry[1].given_on.isoformat(), entry[1].recorded_at)
    return history_key(entry)


def _entered(entry: ConsentChange | FlagChange) -> str:
    """Who entered it and how: 'Sam Patel (DSL), import 3f2a...' for the detail line."""
    source = getattr(entry, "source", "")
    return entry.recorded_by + (f", {source}" if source and source != "screen" else "")


class PupilScreen(Screen[None]):
    CSS_PATH = "pupil.tcss"
    SUB_TITLE = "Pupil consents"
    AUTO_FOCUS = "#pupil-current"
    BINDINGS = [
        Binding(
            "r",
            "record",
            "Record consent",
            tooltip="Record a consent, refusal or renewal (Enter on a purpose: for that one)",
            id="pupil-record",
        ),
        Binding("w", "withdraw", "Withdraw", tooltip="Record that consent was withdrawn", id="pupil-withdraw"),
        Binding("n", "never", "Never publish", tooltip="Set or remove the never-publish flag", id="pupil-never"),
        Binding("e", "edit", "Edit details", tooltip="Name, preferred name, year group, class, MIS id", id="pupil-edit"),
        Binding(
            "l", "left", "Left/returned", tooltip="Mark the pupil as left today, or as a current pupil again", id="pupil-left"
        ),
        Binding(
            "c", "chronology", "Chronology", tooltip="Every incident and consent decision about this pupil", id="pupil-chronology"
        ),
        Binding("escape", "back", "Back", tooltip="Back to the pupil list", id="pupil-back"),
    ]

    def __init__(self, pupil_id: int) -> None:
        super().__init__()
        self.pupil_id = pupil_id
        self._events: dict[str, int] = {}  # row key -> event id, for Enter on an event's row
        self.pupil: Pupil | None = None
        self._details: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="pupil-title", markup=False)
        yield Static("", id="pupil-facts", markup=False)
        yield Static("", id="pupil-flag", markup=False)
        yield RowTable((Col("Purpose", 22), Col("Now", 12), Col("Until", 10), Col("Given by")), id="pupil-current")
        yield RowTable(
            (Col("Given", 10), Col("For", 4), Col("Decision"), Col("By", 12)),
            empty="No history yet: press r to record a consent.",
            id="pupil-history",
        )
        yield Static("", id="history-detail", markup=False)
        yield Footer()

    def on_screen_resume(self) -> None:
        # On first showing and on coming back (from an event's screen, where decisions may have changed).
        self.show()

    def show(self) -> None:
        try:
            pupil = self.pupil = get_pupil(session_of(self.app), self.pupil_id)
        except RecordNotFound:
            self.app.pop_screen()
            return
        today = local_today()
        self.query_one("#pupil-title", Static).update(plain(pupil.display_name))
        status = f"left on {format_date(pupil.left_on)}" if pupil.left_on else "current pupil"
        self.query_one("#pupil-facts", Static).update(
            plain(
                f"{pupil.year_group or 'Year not recorded'} · class {pupil.form or 'not recorded'} · MIS id {pupil.mis_id or 'none'} · {status}"
            )
        )
        flag = self.query_one("#pupil-flag", Static)
        flag.set_class(pupil.never_publish is not None, "shown")
        if pupil.never_publish:
            flag.update(
                f"NEVER PUBLISH ({pupil.never_publish.label}) since {format_date(pupil.flags[-1].on)}: no image of this pupil, for any purpose."
            )
        states = pupil.states()
        current = []
        for purpose in Purpose:
            state = states[purpose]
            latest = pupil.latest(purpose)
            word = state.word(today)
            if state.withdrawn_on:
                word = f"withdrawn {format_date(state.withdrawn_on)}"
            given = ""
            if latest is not None and latest.given_by:
                given = latest.given_by + (f" ({latest.relationship})" if latest.relationship else "")
            until = format_date(state.review_on) if state.status is ConsentStatus.GRANTED else ""
            current.append(Row(purpose.value, (purpose.label, word, until, given), ("", STATE_STYLES[state.word(today)], "", "")))
        # Each event with a decision for this pupil, after the purposes: its decision in force and its last day.
        events = pupil_events(session_of(self.app), self.pupil_id)
        self._events = {}
        for event, decisions in events:
            key = f"event:{event.id}"
            self._events[key] = event.id or 0
            decision = decisions[-1]
            word = decision.status.value if event.ends_on >= today else f"{decision.status.value}, ended"
            style = "good" if decision.status is EventStatus.GRANTED else "bad"
            current.append(
                Row(key, (f"Event: {event.name}", word, format_date(event.ends_on), decision.given_by), ("", style, "", ""))
            )
        table = self.query_one("#pupil-current", RowTable)
        table.styles.height = 8 + min(len(events), 3)  # the first events in view; more by scrolling
        table.set_rows(current, keep=self._highlighted_purpose())
        entries: list[ConsentChange | FlagChange | tuple[str, EventDecision]] = [*pupil.consents, *pupil.flags]
        entries += [(event.name, d) for event, decisions in events for d in decisions]
        # Newest first by the date each was given, not when it reached SafeDesk (an old file imported late).
        entries.sort(key=_order, reverse=True)
        self._details = {}
        history = []
        for n, entry in enumerate(entries):
            if isinstance(entry, tuple):
                name, decision = entry
                text = f"{name}: {decision.status.value}" + (f" by {decision.given_by}" if decision.given_by else "")
                style = "" if decision.status is EventStatus.GRANTED else "bad"
                given = format_date(decision.given_on)
                history.append(Row(str(n), (given, "evt", text, decision.recorded_by.split(" (")[0]), ("", "", style, "")))
                self._details[str(n)] = (
                    f"{show_datetime(decision.recorded_at)} · event {text} on {given}"
                    f" · entered by {decision.recorded_by}" + (f", {decision.source}" if decision.source != "screen" else "")
                )
                continue
            by = entry.recorded_by.split(" (")[0]
            if isinstance(entry, ConsentChange):
                text, purpose = describe(entry), entry.purpose
                history.append(Row(str(n), (_given(entry), purpose.short, text, by)))
                self._details[str(n)] = f"{_when(entry)} · {purpose.label}: {text} · entered by {_entered(entry)}"
            else:
                text = f"never-publish set ({entry.reason.label})" if entry.reason else "never-publish flag removed"
                text += f" from {format_date(entry.on)}"
                history.append(Row(str(n), (_given(entry), "all", text, by), ("", "", "bad", "")))
                self._details[str(n)] = f"{_when(entry)} · {text} · entered by {_entered(entry)}"
        self.query_one("#pupil-history", RowTable).set_rows(history)

    @on(RowTable.Highlighted, "#pupil-history")
    def _detail(self, event: RowTable.Highlighted) -> None:
        self.query_one("#history-detail", Static).update(plain(self._details.get(event.key or "", "")))

    def _highlighted_purpose(self) -> str | None:
        table = self.query_one("#pupil-current", RowTable)
        return table.current.key if table.current else None

    def _after(self, saved: Pupil | None) -> None:
        if saved is not None:
            self.show()
            self.notify("Saved.", timeout=2)

    # ----------------------------------------------------------------- actions

    @on(RowTable.Chosen, "#pupil-current")
    def _record_for(self, event: RowTable.Chosen) -> None:
        if event.key in self._events:  # an event's row: its own screen, where its decisions are recorded
            open_screen(self.app, "consent-event", self._events[event.key])
            return
        self.app.push_screen(ConsentForm(self.pupil_id, (Purpose(event.key),)), self._after)

    def action_record(self) -> None:
        self.app.push_screen(ConsentForm(self.pupil_id), self._after)

    def action_withdraw(self) -> None:
        if self.pupil is None:
            return
        # Nothing ticked: a parent withdraws consent for the purposes they name, never every one by default.
        self.app.push_screen(ConsentForm(self.pupil_id, (), ConsentStatus.REFUSED), self._after)

    def action_chronology(self) -> None:
        open_screen(self.app, "pupil-chronology", self.pupil_id)

    def action_never(self) -> None:
        self.app.push_screen(NeverPublishForm(self.pupil_id), self._after)

    def action_edit(self) -> None:
        if self.pupil is not None:
            self.app.push_screen(PupilForm(self.pupil), self._after)

    def action_left(self) -> None:
        if self.pupil is None:
            return
        leaving = self.pupil.left_on is None

        def answer(yes: bool | None) -> None:
            if yes:
                self._after(mark_left(session_of(self.app), self.pupil_id, local_today() if leaving else None))

        question = (
            ("Mark as left", "Mark this pupil as having left today? Their consent history is kept; they leave the current lists.")
            if leaving
            else ("Mark as current", "Mark this pupil as a current pupil again?")
        )
        self.app.push_screen(ConfirmDialog(*question, yes="Yes"), answer)

    def action_back(self) -> None:
        self.app.pop_screen()
