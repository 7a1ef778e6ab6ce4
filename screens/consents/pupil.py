"""One pupil: details, where each purpose stands now, and the whole history.

Nothing here edits the past: a withdrawal or a correction is a new entry, and
the state above is worked out again from the history.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from safedesk.router import open_screen
from safedesk.screens.consents.forms import ConsentForm, NeverPublishForm, PupilForm
from safedesk.screens.consents.pupils import STATE_STYLES
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

    def on_mount(self) -> None:
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
        self.query_one("#pupil-current", RowTable).set_rows(current, keep=self._highlighted_purpose())
        entries: list[ConsentChange | FlagChange] = [*pupil.consents, *pupil.flags]
        # Newest first by the date each was given, not when it reached SafeDesk (an old file imported late).
        entries.sort(key=history_key, reverse=True)
        self._details = {}
        history = []
        for n, entry in enumerate(entries):
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
