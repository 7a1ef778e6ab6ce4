"""Can I post this? Pick the channel and the pupils in the image: PASS, or STOP with reasons.

Type part of a name or class; Enter adds the highlighted pupil (Up/Down move
through the suggestions) and the verdict updates at once. The image rules from
the guidance stay on screen; F2 opens the full card. A reason too long for its
cell at 80x24 ends in "…": Tab to the results, Up/Down/PgUp/PgDn move through
them, and Enter opens the pupil's result in full.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from safedesk.store.consents.check import CHANNELS, IMAGE_RULES, RULES_CARD, CheckResult, check_rows
from safedesk.store.consents.events import check_event, get_event, list_events
from safedesk.store.consents.pupils import pupil_index, search_rows, year_short
from safedesk.store.text.limits import Kind, limit
from safedesk.widgets.common import plain
from safedesk.widgets.dialogs import MessageDialog
from safedesk.widgets.footer import Footer
from safedesk.widgets.host import host, session_of
from safedesk.widgets.row_table import Col, Row, RowTable

SUGGESTIONS = 6
EVENT_PREFIX = "event:"  # the channel choice's value for an event: "event:<id>"


class CheckScreen(Screen[None]):
    CSS_PATH = "check.tcss"
    SUB_TITLE = "Can I post this?"
    AUTO_FOCUS = "#check-search"
    BINDINGS = [
        Binding("escape", "leave", "Back", tooltip="Clear the search, or leave the check", id="check-leave"),
        Binding("down", "suggest(1)", "Next suggestion", show=False, id="check-next"),
        Binding("up", "suggest(-1)", "Previous suggestion", show=False, id="check-previous"),
        Binding("delete", "remove", "Remove pupil", tooltip="Take the highlighted pupil out of the check", id="check-remove"),
        Binding("ctrl+r", "clear", "Start again", tooltip="Remove every pupil from the check", id="check-clear"),
        Binding("f2", "rules", "Image rules", tooltip="Open the guidance on using images of pupils", id="check-rules"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.picked: list[int] = []
        self.result: CheckResult | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="check-top"):
            yield Label("Channel")
            yield Select(self._channels(), value=CHANNELS[0].key, allow_blank=False, compact=True, id="check-channel")
        with Horizontal(id="check-search-row"):
            yield Label("Pupils")
            yield Input(
                compact=True,
                placeholder="type a name or class, Enter adds the pupil",
                id="check-search",
                max_length=limit(Kind.SHORT),
            )
        yield OptionList(id="check-suggestions")
        yield Static("", id="check-verdict", markup=False)
        yield RowTable(
            (Col("Pupil"), Col("Class", 6), Col("Result", 46)),
            empty="No pupils yet. Enter on a result shows it in full.",
            id="check-picked",
        )
        yield Static("", id="check-notes", markup=False)
        yield Static(
            "Before posting: " + " · ".join(rule.short for rule in IMAGE_RULES) + " · F2 the full guidance",
            id="check-rules",
            markup=False,
        )
        yield Footer()

    def _channels(self) -> list[tuple[str | Content, str]]:
        """The purposes and channels, then each event with its own consent (checked on its own)."""
        options: list[tuple[str | Content, str]] = [(c.label, c.key) for c in CHANNELS]
        for e in list_events(session_of(self.app)):
            options.append((plain(f"Event: {e.name} ({e.dates})"), f"{EVENT_PREFIX}{e.id}"))
        return options

    def on_mount(self) -> None:
        self.recheck()

    def on_screen_resume(self) -> None:
        # An event added since (e on the pupil list) is offered at once.
        channel = self.query_one("#check-channel", Select)
        key, options = channel.value, self._channels()
        channel.set_options(options)
        if any(value == key for _, value in options):
            channel.value = key
        self.recheck()

    # ----------------------------------------------------------------- picking pupils

    @on(Input.Changed, "#check-search")
    def _suggest(self, event: Input.Changed) -> None:
        suggestions = self.query_one("#check-suggestions", OptionList)
        suggestions.clear_options()
        rows = [
            r
            for r in search_rows(session_of(self.app), event.value, limit=SUGGESTIONS + len(self.picked))
            if r.id not in self.picked
        ]
        for row in rows[:SUGGESTIONS]:
            where = " ".join(x for x in (year_short(row.year_group), row.form) if x)
            suffix = "  (left)" if row.left_on else ""
            suggestions.add_option(Option(plain(f"{row.display_name}  {where}{suffix}"), id=str(row.id)))
        if event.value.strip() and not rows:
            suggestions.add_option(Option(plain("No pupil matches."), disabled=True))
        suggestions.set_class(bool(event.value.strip()), "shown")
        if rows:
            suggestions.highlighted = 0

    def action_suggest(self, step: int) -> None:
        suggestions = self.query_one("#check-suggestions", OptionList)
        if suggestions.option_count:
            current = suggestions.highlighted or 0
            suggestions.highlighted = max(0, min(current + step, suggestions.option_count - 1))

    @on(Input.Submitted, "#check-search")
    def _add_highlighted(self) -> None:
        suggestions = self.query_one("#check-suggestions", OptionList)
        if suggestions.highlighted is not None and suggestions.option_count:
            self._add(suggestions.get_option_at_index(suggestions.highlighted).id)

    @on(OptionList.OptionSelected, "#check-suggestions")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self._add(event.option.id)
        self.query_one("#check-search", Input).focus()

    def _add(self, pupil_id: str | None) -> None:
        if not pupil_id:
            return
        if int(pupil_id) not in self.picked:
            self.picked.append(int(pupil_id))
        self.query_one("#check-search", Input).value = ""
        self.recheck(keep=pupil_id)

    def action_remove(self) -> None:
        table = self.query_one("#check-picked", RowTable)
        if table.current is not None and not isinstance(self.focused, Input):
            self.picked.remove(int(table.current.key))
            # The highlight stays where it was: on the next pupil, or the last one.
            nearby = self.picked[min(table.cursor, len(self.picked) - 1)] if self.picked else None
            self.recheck(keep=str(nearby) if nearby is not None else None)

    def action_clear(self) -> None:
        self.picked.clear()
        self.recheck()
        self.query_one("#check-search", Input).focus()

    @on(Select.Changed, "#check-channel")
    def _channel_changed(self) -> None:
        self.recheck()

    # ----------------------------------------------------------------- the verdict

    def recheck(self, keep: str | None = None) -> None:
        key = str(self.query_one("#check-channel", Select).value)
        session = session_of(self.app)
        index = pupil_index(session)
        rows = [index.by_id[i] for i in self.picked if i in index.by_id]
        if key.startswith(EVENT_PREFIX):
            result = self.result = check_event(get_event(session, int(key[len(EVENT_PREFIX) :])), rows, index=index)
        else:
            channel = next(c for c in CHANNELS if c.key == key)
            result = self.result = check_rows(rows, channel.purposes, index=index)
        verdict = self.query_one("#check-verdict", Static)
        verdict.update(result.headline())
        verdict.set_class(bool(result.verdicts) and result.passed, "pass")
        verdict.set_class(bool(result.verdicts) and not result.passed, "stop")
        # Beside the verdict, never changing it: pupils of 12+ whose own view should be asked.
        notes = [f"{v.name}: {v.note}." for v in result.verdicts if v.note]
        shown = self.query_one("#check-notes", Static)
        shown.update("Note: " + " ".join(notes) if notes else "")
        shown.set_class(bool(notes), "shown")
        table = self.query_one("#check-picked", RowTable)
        table.set_rows(
            [
                Row(str(v.pupil_id), (v.name, v.form, "ok" if v.cleared else v.reason), ("", "", "good" if v.cleared else "bad"))
                for v in result.verdicts
            ],
            keep=keep or (table.current.key if table.current else None),
        )

    # ----------------------------------------------------------------- keys

    @on(RowTable.Chosen, "#check-picked")
    def _in_full(self, event: RowTable.Chosen) -> None:
        """Enter on a result: the pupil's whole result and note, however long (cells are cut at 80x24)."""
        verdict = next((v for v in (self.result.verdicts if self.result else ()) if str(v.pupil_id) == event.key), None)
        if verdict is None:
            return
        what = self.result.purpose_text if self.result else "this channel"
        lines = [
            f"Class: {verdict.form or 'not recorded'}",
            f"For {what}: " + ("cleared" if verdict.cleared else f"STOP: {verdict.reason}"),
        ]
        if verdict.note:
            lines.append(f"Note: {verdict.note}.")
        self.app.push_screen(MessageDialog(verdict.name, "\n".join(lines)))

    def action_rules(self) -> None:
        host(self.app).action_guide(RULES_CARD)

    def action_leave(self) -> None:
        search = self.query_one("#check-search", Input)
        if search.value:
            search.value = ""
        else:
            self.app.pop_screen()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Up/Down move through suggestions only while typing; elsewhere they move the focused widget.
        if action == "suggest":
            return isinstance(self.focused, Input)
        return True
