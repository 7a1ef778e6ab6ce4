"""Import from the MIS: choose a CSV or .xlsx file, check how its columns are read, preview, import.

Nothing is written until the preview is accepted, and not at all while any row
has an error, unless the user chooses to import only the valid rows. Reading
and planning run off the UI thread (a 5,000-row file takes a moment).
"""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Header, Input, Label, LoadingIndicator, Select, Static

from safedesk.store.consents.event_import import (
    EventImportPlan,
    apply_event_import,
    apply_with_events,
    plan_event_columns,
    plan_event_import,
)
from safedesk.store.consents.events import find_event, get_event, list_events
from safedesk.store.consents.importer import (
    COLUMNS,
    IGNORE,
    ImportPlan,
    event_target,
    guess_columns,
    plan_import,
    read_headers,
    remembered_mapping,
)
from safedesk.store.consents.pupils import Purpose, count_of
from safedesk.store.errors import InvalidInput, SafeDeskError
from safedesk.store.text.clean import typed_path
from safedesk.store.text.limits import Kind, limit
from safedesk.widgets.choice import SteadySelect
from safedesk.widgets.common import Field, FieldError, plain
from safedesk.widgets.dialogs import ConfirmDialog
from safedesk.widgets.footer import Footer
from safedesk.widgets.forms import Form
from safedesk.widgets.host import session_of
from safedesk.widgets.row_table import Col, Row, RowTable

LISTED = 20  # grants and history rows listed in the preview before a count of the rest
EVENT_PREFIX = "event:"  # the purpose choice's value for an event with its own consent: "event:<id>"
COLUMN_CHOICES = [(f"{c.key}", c.key) for c in COLUMNS] + [("(ignore this column)", IGNORE)]


class ImportScreen(Form[tuple[bytes, str, list[str]]]):
    """The form's field is the file (Enter or Read reads it); the import buttons apply the preview."""

    CSS_PATH = "importer.tcss"
    SUB_TITLE = "Import from the MIS"
    # Ctrl+S runs the form's save, which here reads the file: the footer says so.
    BINDINGS = [Binding("ctrl+s", "save", "Read", tooltip="Read the file and preview the import", id="form-save", priority=True)]
    save_label = "Read"

    def __init__(self, path: str = "") -> None:
        super().__init__()
        self._path = path
        self.data: bytes | None = None
        self.source = ""
        self.headers: list[str] = []
        self.plan: ImportPlan | EventImportPlan | None = None
        self.event_plans: list[EventImportPlan] = []  # a wide file's columns mapped to events
        self._selects: list[tuple[str, Select[str]]] = []
        self._planned_for: tuple[dict[str, str], str] | None = None
        self._generation = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="import-file"):
            yield Field(
                "CSV or Excel file",
                Input(
                    self._path,
                    compact=True,
                    placeholder="path to the MIS export, e.g. C:\\Users\\office\\Downloads\\consents.csv",
                    id="import-path",
                    max_length=limit(Kind.PATH),
                ),
                field_id="path",
            )
            yield Button(compact=True, label=self.save_label, id="form-save-button")
        with VerticalScroll(id="import-body"):
            yield Static(
                "The first line must name the columns: name (or forename and surname), year_group, form, mis_id, and "
                "a column per purpose (website, social_media, print, press, video, displays), or one row per consent "
                "(Consent Type, Consent Given). Other headers can be matched below. Full list: 'safedesk consents columns'.",
                id="import-help",
                classes="muted",
            )
            yield Static("How the file's columns are read", id="import-mapping-title", classes="section")
            yield VerticalScroll(id="import-mapping")
            yield Field(
                "For a file about one consent, which purpose (or event)",
                SteadySelect(
                    [(p.label, p.value) for p in Purpose]
                    + [
                        (plain(f"Event: {e.name} ({e.dates})"), f"{EVENT_PREFIX}{e.id}")
                        for e in list_events(session_of(self.app))
                    ],
                    prompt="(the file says: a column per purpose, or a consent type column)",
                    compact=True,
                    id="import-purpose",
                ),
                field_id="purpose",
            )
            yield Static("", id="import-preview", markup=False)
            yield RowTable((Col("Line", 6), Col("Column", 16), Col("Problem")), empty="No errors.", id="import-errors")
        yield LoadingIndicator(id="import-busy")
        with Horizontal(id="import-buttons"):
            yield Button(compact=True, label="Import", variant="primary", id="import-all", disabled=True)
            yield Button(compact=True, label="Import only the valid rows", variant="warning", id="import-valid", disabled=True)
            yield Button(compact=True, label="Back", id="form-cancel-button")
        yield FieldError(id="form-error")
        yield Footer()

    def on_mount(self) -> None:
        for selector in (
            "#import-mapping-title",
            "#import-mapping",
            "#field-purpose",
            "#import-errors",
            "#import-busy",
            "#import-valid",
        ):
            self.query_one(selector).display = False

    # ----------------------------------------------------------------- reading

    def save(self, values: dict[str, Any]) -> tuple[bytes, str, list[str]]:
        text = values["path"].strip()
        if not text:
            raise InvalidInput("Enter the path of the CSV file exported from the MIS.", "path")
        path = typed_path(text)
        try:
            data = path.read_bytes()
            headers = read_headers(data)
        except IsADirectoryError:
            raise InvalidInput("That is a folder: enter the CSV file inside it.", "path") from None
        except OSError as problem:
            raise InvalidInput(f"Cannot open the file: {problem.strerror or 'unreadable'}.", "path") from None
        except SafeDeskError as problem:
            raise InvalidInput(str(problem), "path") from None
        return data, path.name, headers

    def saved(self, result: tuple[bytes, str, list[str]]) -> None:
        self.data, self.source, self.headers = result
        guessed = guess_columns(self.headers)
        remembered = remembered_mapping(session_of(self.app), self.headers)
        if remembered is not None:  # chosen for the last file with these headers: shown, and changeable
            guessed.update(remembered.mapping)
            if remembered.purpose:
                self.query_one("#import-purpose", Select).value = remembered.purpose
        self._show_mapping(guessed)
        self._replan()

    def _show_mapping(self, guessed: dict[str, str | None]) -> None:
        box = self.query_one("#import-mapping", VerticalScroll)
        box.remove_children()
        self._selects = []
        rows = []
        session = session_of(self.app)
        # Any column can hold the decisions for an event (a wide file with a trip's column): "event:<name>".
        choices = COLUMN_CHOICES + [(plain(f"event: {e.name}"), f"event:{e.name}") for e in list_events(session)]
        for header in self.headers:
            value = guessed.get(header) or IGNORE
            name = event_target(value)
            if name is not None:  # remembered or typed on the command line: the event's stored name, if still here
                event = find_event(session, name)
                value = f"event:{event.name}" if event is not None else IGNORE
            select: Select[str] = SteadySelect(choices, value=value, allow_blank=False, compact=True)
            self._selects.append((header, select))
            rows.append(Horizontal(Label(plain(header or "(no header)"), classes="map-header"), select, classes="map-row"))
        box.mount_all(rows)
        box.display = self.query_one("#import-mapping-title").display = self.query_one("#field-purpose").display = True

    def _mapping(self) -> dict[str, str]:
        return {header: str(select.value) for header, select in self._selects if header}

    def _choice(self) -> str:
        """The purpose's value, "event:<id>" for an event, or "" when none is chosen."""
        value = self.query_one("#import-purpose", Select).value
        return value if isinstance(value, str) else ""

    @on(Select.Changed, ".map-row Select")
    @on(Select.Changed, "#import-purpose")
    def _mapping_changed(self) -> None:
        if self.data is not None and (self._mapping(), self._choice()) != self._planned_for:
            self._replan()

    def _replan(self) -> None:
        self._busy(True)
        self._generation += 1
        self._planned_for = (self._mapping(), self._choice())
        self._plan(self.data or b"", self.source, *self._planned_for, self._generation)

    @work(thread=True, exclusive=True, group="consents-import")
    def _plan(self, data: bytes, source: str, mapping: dict[str, str], choice: str, generation: int) -> None:
        session = session_of(self.app)
        plan: ImportPlan | EventImportPlan
        try:
            if choice.startswith(EVENT_PREFIX):
                # A file about one trip or performance: its rows become the event's decisions.
                plan = plan_event_import(session, data, get_event(session, int(choice[len(EVENT_PREFIX) :])), mapping)
            else:
                plan = plan_import(session, data, source, mapping, purpose=Purpose(choice) if choice else None)
                events = plan_event_columns(session, data, plan)
        except SafeDeskError as error:
            self.app.call_from_thread(self._planned, None, str(error), generation)
            return
        self.app.call_from_thread(self._planned, plan, "", generation, [] if isinstance(plan, EventImportPlan) else events)

    def _planned(
        self,
        plan: ImportPlan | EventImportPlan | None,
        problem: str,
        generation: int,
        events: list[EventImportPlan] | None = None,
    ) -> None:
        if generation != self._generation:
            return  # a newer mapping is being planned
        self._busy(False)
        self.plan, self.event_plans = plan, events or []
        preview = self.query_one("#import-preview", Static)
        errors = self.query_one("#import-errors", RowTable)
        import_all = self.query_one("#import-all", Button)
        import_valid = self.query_one("#import-valid", Button)
        if plan is None:
            preview.update(f"Cannot import yet: {problem}")
            errors.display = False
            import_all.disabled, import_valid.display = True, False
            return
        problems = sorted([*plan.errors, *(e for p in self.event_plans for e in p.errors)], key=lambda e: e.line)
        errors.display = bool(problems)
        errors.set_rows([Row(str(n), (str(e.line), e.column, e.message), ("", "", "bad")) for n, e in enumerate(problems)])
        if isinstance(plan, EventImportPlan):
            preview.update("\n".join(plan.summary_lines()))
            import_all.disabled = bool(plan.errors) or not plan.entries
            import_all.label = "Import" if plan.entries or plan.errors else "Nothing to import"
            import_valid.display, import_valid.disabled = bool(plan.errors), not plan.entries
            import_valid.label = f"Import only the {count_of(len(plan.entries), 'valid decision')}"
            return
        lines = plan.summary_lines()
        for event_plan in self.event_plans:
            lines += event_plan.summary_lines()
        if plan.regrants:
            lines.append("Grants that would replace a refusal or withdrawal (check each against the signed form):")
            lines += [f"  {g}" for g in plan.regrants[:LISTED]]
        history = plan.history_lines()
        if history:
            lines.append("Kept as history:")
            lines += [f"  {line}" for line in history[:LISTED]]
        for listed in (plan.regrants, history):
            if len(listed) > LISTED:
                lines.append(f"  ... and {len(listed) - LISTED:,} more (the command line lists them all)")
        preview.update("\n".join(lines))
        changes = plan.changes or any(p.entries or p.for_new_pupils for p in self.event_plans)
        import_all.disabled = bool(problems) or not changes
        import_all.label = "Import" if changes or problems else "Nothing to import"
        import_valid.display = bool(problems)
        import_valid.disabled = not changes
        import_valid.label = f"Import only the {count_of(len(plan.rows), 'valid row')}"

    # ----------------------------------------------------------------- importing

    @on(Button.Pressed, "#import-all")
    def _import_all(self) -> None:
        plan = self.plan
        if plan is None or plan.errors or any(p.errors for p in self.event_plans):
            return
        if isinstance(plan, EventImportPlan) or not plan.regrants:
            self._busy(True)
            self._apply(plan, False)
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self._busy(True)
                self._apply(plan, False)

        # A grant replacing a refusal or withdrawal is the one change that can turn STOP into PASS: asked for.
        self.app.push_screen(
            ConfirmDialog(
                "Import grants that replace a refusal or withdrawal?",
                f"{count_of(len(plan.regrants), 'grant')} in this file would replace a refusal or withdrawal (listed in "
                "the preview). Import only if each matches a signed form.",
                yes="Import",
            ),
            answer,
        )

    @on(Button.Pressed, "#import-valid")
    def _import_valid(self) -> None:
        plan = self.plan
        if plan is None:
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self._busy(True)
                self._apply(plan, True)

        self.app.push_screen(
            ConfirmDialog(
                "Import only the valid rows?",
                f"{count_of(len(plan.errors) if isinstance(plan, EventImportPlan) else plan.error_lines, 'row')} with errors will be skipped. Fix them and import the file again "
                "later: rows already imported are not changed twice.",
                yes="Import valid rows",
            ),
            answer,
        )

    @work(thread=True, exclusive=True, group="consents-import")
    def _apply(self, plan: ImportPlan | EventImportPlan, valid_only: bool) -> None:
        try:
            if isinstance(plan, EventImportPlan):
                sentence = apply_event_import(session_of(self.app), plan)  # its decisions are the valid rows'
            else:
                data = self.data or b""
                outcome, sentences = apply_with_events(session_of(self.app), plan, data, valid_only=valid_only)
                sentence = " ".join([outcome.sentence(), *sentences])
        except SafeDeskError as error:
            self.app.call_from_thread(self._apply_failed, str(error))
            return
        self.app.call_from_thread(self._imported, sentence)

    def _apply_failed(self, message: str) -> None:
        self._busy(False)
        self.query_one("#import-preview", Static).update(f"{message} Nothing was imported.")

    def _imported(self, sentence: str) -> None:
        self.notify(sentence, title="Import", markup=False, timeout=8)
        self.app.pop_screen()

    def _busy(self, busy: bool) -> None:
        """While busy nothing can be imported; the import buttons come back with the next preview."""
        self.query_one("#import-busy").display = busy
        self.query_one("#form-save-button", Button).disabled = busy
        if busy:
            for button in self.query("#import-all, #import-valid"):
                button.disabled = True

    def leave(self) -> None:
        self.app.pop_screen()
