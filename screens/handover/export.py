"""Export a handover: choose incidents and pupils, say who it is for, set a passphrase, write the file.

Step 1 is a type-ahead list (typing anywhere filters it; Space ticks). Step 2
takes the recipient, the file name and the passphrase twice, with strength
feedback. The encryption runs in a child process from a worker thread, so the
screen keeps painting; the receipt code is shown at the end.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, ContentSwitcher, Header, Input, LoadingIndicator, SelectionList, Static
from textual.widgets.selection_list import Selection

from safedesk.store.errors import SafeDeskError
from safedesk.store.handover import transfer as ho
from safedesk.store.handover.leavers import left_on as leaving_day
from safedesk.store.incidents.about import incidents_about_pupil
from safedesk.store.text.clean import typed_path
from safedesk.store.text.dates import local_today, parse_date, show_date
from safedesk.store.text.limits import Kind, limit
from safedesk.widgets.common import Field, FieldError, StrengthMeter, new_passphrase, plain
from safedesk.widgets.footer import Footer
from safedesk.widgets.forms import Form
from safedesk.widgets.host import session_of
from safedesk.widgets.ticks import TickList

MAX_SHOWN = 1000  # options listed at once; typing narrows the rest
# Which form field shows an error the store names by record field.
FIELD_OF = {"counterpart": "to", "note": "note", "out": "out", "passphrase": "pass", "confirm": "confirm", "left": "left"}


def default_path(today: date | None = None) -> Path:
    """A file name that does not exist yet in the user's home folder."""
    stem = f"SafeDesk-handover-{(today or local_today()):%Y-%m-%d}"
    home = Path.home()
    candidate = home / f"{stem}.age"
    n = 2
    while candidate.exists():
        candidate = home / f"{stem}-{n}.age"
        n += 1
    return candidate


class HandoverExportScreen(Form[tuple[ho.ExportPlan, ho.Packed, Path, bytes]]):
    """Step 2 is the form (who it is for, the file, the passphrase), saved off the UI thread."""

    SUB_TITLE = "Handover: export"  # the header names the screen

    CSS_PATH = "listing.tcss"
    AUTO_FOCUS = "#hx-filter"
    BINDINGS = [
        Binding("ctrl+n", "next", "Next", tooltip="Go on to who it is for and the passphrase", id="hx-next"),
        # Priority: the filter box would otherwise take Ctrl+A (the only input on that step).
        Binding("ctrl+a", "all_shown", "Tick shown", tooltip="Tick every item the filter shows", id="hx-all", priority=True),
    ]
    threaded = True  # encryption runs in a child process, waited for off the UI thread
    save_label = "Export (Ctrl+S)"
    cancel_label = "Back"

    def __init__(self, incident_ids: tuple[int, ...] = (), pupil_ids: tuple[int, ...] = ()) -> None:
        """`incident_ids` and `pupil_ids` start ticked (e.g. opened from an incident, or a pupil's file due)."""
        super().__init__()
        self._choices: list[ho.Choice] = []
        self._chosen: set[str] = {f"incident:{n}" for n in incident_ids} | {f"pupil:{n}" for n in pupil_ids}

    def compose(self) -> ComposeResult:
        yield Header()
        with ContentSwitcher(initial="hx-choose", id="hx-steps"):
            with Vertical(id="hx-choose"):
                yield Static("Handover 1/2: choose incidents and pupils", classes="title")
                yield Input(
                    compact=True,
                    id="hx-filter",
                    placeholder="type to filter: reference, title, pupil name or class",
                    select_on_focus=False,
                    max_length=limit(Kind.SHORT),
                )
                yield TickList[str](id="hx-list", compact=True)
                yield Static("", id="hx-count", markup=False)
            with VerticalScroll(id="hx-details"):
                yield Static("Handover 2/2: who it is for and the passphrase", classes="title")
                yield Static("", id="hx-what", markup=False)
                yield Field(
                    "Who it is for: an organisation or role (e.g. Oakwood Academy DSL, LADO)",
                    Input(compact=True, id="hx-to", max_length=limit(Kind.NAME)),
                    field_id="to",
                )
                yield Field(
                    "Date the pupil left (blank if not leaving; the clock counts from it)",
                    Input(compact=True, id="hx-left", placeholder="DD/MM/YYYY", max_length=limit(Kind.DATE)),
                    field_id="left",
                )
                yield Field(
                    "Why (optional, the receiver sees it)",
                    Input(compact=True, id="hx-note", max_length=limit(Kind.LONG)),
                    field_id="note",
                )
                yield Field(
                    "Save as",
                    Input(compact=True, id="hx-out", value=str(default_path()), max_length=limit(Kind.PATH)),
                    field_id="out",
                )
                yield from new_passphrase(
                    "Handover passphrase: new words, not your SafeDesk one",
                    "Passphrase again",
                    ids=("hx-pass", "hx-strength", "hx-confirm"),
                    field_id="pass",
                )
                yield FieldError(id="form-error")
                with Horizontal(classes="ho-buttons form-buttons"):
                    yield Button(compact=True, label=self.save_label, variant="primary", id="form-save-button")
                    yield Button(compact=True, label=self.cancel_label, id="form-cancel-button")
                yield LoadingIndicator(id="form-busy")
                yield Static("", id="hx-progress", classes="muted", markup=False)
            with VerticalScroll(id="hx-done"):
                yield Static("Handover written", classes="title")
                yield Static("", id="hx-written", markup=False)
                yield Static("Receipt code", classes="muted")
                yield Static("", id="hx-code", classes="receipt-code", markup=False)
                yield Static(
                    "Send the file by your usual secure route. Tell the receiver the passphrase another way "
                    "(a phone call, not the email that carries the file). When they have imported it they "
                    "read you the receipt code; enter it on the handover list (r). Without it, the handover "
                    "shows as overdue 5 school days after the pupil left (or after today, with no leaving "
                    "date), in school days (term dates: Settings, F3).",
                    classes="hint",
                )
                yield Button(compact=True, label="Close", variant="primary", id="hx-close")
        yield Footer()

    def on_mount(self) -> None:
        self._choices = ho.choices(session_of(self.app))
        self._refilter()

    def first_field(self) -> Widget | None:
        return self.query_one("#hx-filter")  # step 1: type to filter

    # ----------------------------------------------------------------- step 1: choose

    @property
    def step(self) -> str:
        switcher = self.query(ContentSwitcher)
        return (switcher.first().current or "") if switcher else ""

    @on(Input.Changed, "#hx-filter")
    def _refilter(self) -> None:
        shown = ho.filter_choices(self._choices, self.query_one("#hx-filter", Input).value)
        listing = self.query_one("#hx-list", SelectionList)
        listing.set_options([Selection(plain(c.label), c.key, c.key in self._chosen) for c in shown[:MAX_SHOWN]])
        if listing.option_count:
            listing.highlighted = 0  # so Space ticks the first match straight away
        self._count(len(shown))

    def _count(self, shown: int | None = None) -> None:
        selection = ho.Selection.from_keys(self._chosen)
        more = f" (first {MAX_SHOWN} shown: type to narrow)" if shown is not None and shown > MAX_SHOWN else ""
        # A pupil's child protection file brings every incident about them: say how many.
        about = {i for p in selection.pupil_ids for i in incidents_about_pupil(session_of(self.app), p)}
        extra = len(about - set(selection.incident_ids))
        also = f" + {extra} incident(s) about the pupils" if extra else ""
        self.query_one("#hx-count", Static).update(
            f"Chosen: {len(selection.incident_ids)} incident(s), {len(selection.pupil_ids)} pupil(s){also}{more} · "
            "Space ticks · Ctrl+A ticks all shown · Ctrl+N next"
        )

    @on(SelectionList.SelectedChanged, "#hx-list")
    def _ticked(self, event: SelectionList.SelectedChanged) -> None:
        listing = event.selection_list
        visible = {listing.get_option_at_index(n).value for n in range(listing.option_count)}
        self._chosen = (self._chosen - visible) | set(listing.selected)
        self._count()

    def on_key(self, event: events.Key) -> None:
        # Type-ahead: letters typed while the list has focus go to the filter.
        if (
            self.step == "hx-choose"
            and isinstance(self.focused, SelectionList)
            and event.is_printable
            and event.character not in (None, " ")
        ):
            box = self.query_one("#hx-filter", Input)
            box.value += event.character or ""
            box.cursor_position = len(box.value)
            box.focus()
            event.stop()

    @on(Input.Submitted, "#hx-filter")
    def _to_list(self) -> None:
        self.query_one("#hx-list", SelectionList).focus()

    def action_all_shown(self) -> None:
        if self.step == "hx-choose":
            self.query_one("#hx-list", SelectionList).select_all()

    def action_next(self) -> None:
        if self.step != "hx-choose":
            return
        selection = ho.Selection.from_keys(self._chosen)
        if not selection:
            self.notify("Tick at least one incident or pupil first (Space ticks).", severity="warning", markup=False)
            return
        session = session_of(self.app)
        self.query_one("#hx-what", Static).update(plain("\n".join(ho.collect(session, selection).lines())))
        # One pupil already recorded as left: their day is shown (and kept) unless the DSL corrects it.
        box = self.query_one("#hx-left", Input)
        recorded = leaving_day(session, selection.pupil_ids) if len(selection.pupil_ids) == 1 else None
        if recorded is not None and not box.value.strip():
            box.value = show_date(recorded)
        self.query_one(ContentSwitcher).current = "hx-details"
        self.query_one("#hx-to", Input).focus()
        self.refresh_bindings()

    # ----------------------------------------------------------------- step 2: details

    @on(Input.Changed, "#hx-pass")
    def _strength(self, event: Input.Changed) -> None:
        # Rated as the export will rate it: with the setting's and key holders' names as guesses.
        self.query_one("#hx-strength", StrengthMeter).show(event.value, session_of(self.app).guessable_names())

    def save(self, values: dict[str, Any]) -> tuple[ho.ExportPlan, ho.Packed, Path, bytes]:
        session = session_of(self.app)
        left_on = parse_date(values["left"], "left", relative=False)
        plan = ho.plan_export(session, ho.Selection.from_keys(self._chosen), values["to"], values["note"], left_on)
        out = ho.check_output(typed_path(values["out"]))
        ho.check_passphrase(session, values["pass"], values["confirm"])
        packed = ho.build_bundle(session, plan)
        return plan, packed, out, ho.encrypt_to_file(packed, values["pass"], out)

    async def refused(self, error: SafeDeskError) -> None:
        # The store names its record fields; the form shows them by its own.
        await self.show_error(str(error), FIELD_OF.get(getattr(error, "field", None) or ""))

    def busy(self, busy: bool) -> None:
        self.query_one("#form-busy").display = busy
        for widget in self.query("#hx-details Input, #hx-details Button"):
            widget.disabled = busy
        self.query_one("#hx-progress", Static).update(
            "Encrypting in the background: a few seconds (longer with large evidence files)." if busy else ""
        )

    def saved(self, result: tuple[ho.ExportPlan, ho.Packed, Path, bytes]) -> None:
        plan, packed, out, ciphertext = result
        try:
            transfer = ho.record_export(session_of(self.app), plan, packed, out, ciphertext)
        except SafeDeskError as error:
            self.query_one("#form-error", FieldError).show(str(error))
            return
        lines = [
            f"File: {out}",
            f"For: {transfer.counterpart} · {transfer.contents_text()} · {transfer.evidence_files} evidence file(s)",
        ]
        self.query_one("#hx-written", Static).update(plain("\n".join(lines)))
        self.query_one("#hx-code", Static).update(plain(transfer.receipt_code))
        self.query_one(ContentSwitcher).current = "hx-done"
        self.query_one("#hx-close", Button).focus()
        self.refresh_bindings()

    # ----------------------------------------------------------------- leaving

    def changed(self) -> bool:
        # From the details Esc goes back a step, keeping what was typed; from the list it leaves.
        return self.step == "hx-choose" and super().changed()

    def leave(self) -> None:
        if self.step == "hx-details":
            self.query_one(ContentSwitcher).current = "hx-choose"
            self.query_one("#hx-list", SelectionList).focus()
            self.refresh_bindings()
        else:
            self.app.pop_screen()

    @on(Button.Pressed, "#hx-close")
    def _close(self) -> None:
        self.app.pop_screen()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        steps = {"next": "hx-choose", "all_shown": "hx-choose", "save": "hx-details"}
        if action in steps:
            return self.step == steps[action]
        return super().check_action(action, parameters)
