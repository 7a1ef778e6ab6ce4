"""Long forms, one page at a time: a form's draft, section by section (and the policy
questions, which use the same `PagedForm`).

One section per page keeps each page within 80x24 and quick to draw whatever the
form's length (the web tools checklist has 51 questions). PgDn and PgUp move between
pages; answers typed on other pages are kept until Ctrl+S saves them all; a refused
answer opens its page and is shown under its question, which gets the focus.

Each question of a form gets the input its wording calls for: text, a date, yes/no
(keys y, n, a) with further information, or a rating per age group. Sections filled
once per item (a risk and its action) get an "Add another entry" button.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Footer, Header, Input, Select, Static, TextArea

from safedesk.store.errors import InvalidInput, SafeDeskError
from safedesk.store.forms.filled import (
    DATE,
    GRID,
    GROUPS,
    NOTE,
    YESNO,
    YESNO_CHOICES,
    FormBook,
    Question,
    Section,
    address,
    answered,
    entries,
    form_sections,
    split_address,
)
from safedesk.store.text.dates import DATE_HINT, show_date
from safedesk.widgets.common import Field, plain
from safedesk.widgets.dialogs import ConfirmDialog


class Choice(Widget, can_focus=True):
    """A one-line choice between a few answers: its letter keys, Space or the arrows.

    The chosen answer shows as (X), so it never depends on colour.
    """

    DEFAULT_CSS = """
    Choice { width: auto; height: 1; padding: 0 1; background: $panel; }
    Choice:focus { background: $primary 40%; text-style: bold; }
    """
    BINDINGS = [
        Binding("space,right", "cycle(1)", "Next answer", show=False),
        Binding("left", "cycle(-1)", "Previous answer", show=False),
        Binding("backspace,delete", "choose('')", "Clear", show=False),
    ]
    value: reactive[str] = reactive("")

    def __init__(self, options: dict[str, str], value: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.options = options
        self.set_reactive(Choice.value, value if value in options else "")
        # The first letter of each answer picks it (y, n, and a for "N/A"); a clash keeps the first.
        self._keys: dict[str, str] = {}
        for key, label in options.items():
            self._keys.setdefault(label.removeprefix("N/")[:1].lower(), key)

    def render(self) -> Any:
        return plain("  ".join(f"({'X' if self.value == key else ' '}) {label}" for key, label in self.options.items()))

    def on_key(self, event: events.Key) -> None:
        if event.character and event.character.lower() in self._keys:
            event.stop()
            event.prevent_default()
            self.value = self._keys[event.character.lower()]

    def action_cycle(self, step: int) -> None:
        keys = ["", *self.options]
        self.value = keys[(keys.index(self.value) + step) % len(keys)]

    def action_choose(self, value: str) -> None:
        self.value = value


def widget_value(widget: Widget) -> str:
    if isinstance(widget, TextArea):
        return widget.text
    if isinstance(widget, Select):
        return "" if widget.value == Select.NULL else str(widget.value)
    return str(getattr(widget, "value", ""))


def _filled(values: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in values.items() if v.strip()}


class PagedForm(Screen[bool]):
    """Fields on pages; subclasses build a page's fields and save every page's values.

    `self._widgets` maps each value's name to its input on the current page and
    `self._fields` maps the name an InvalidInput gives (`field_key`) to its Field.
    """

    CSS_PATH = "listing.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", tooltip="Save every page's answers and close", id="paged-save", priority=True),
        Binding("pagedown", "page(1)", "Next page", tooltip="The next section", id="paged-next", priority=True),
        Binding("pageup", "page(-1)", "Previous page", tooltip="The previous section", id="paged-previous", priority=True),
        Binding("escape", "leave", "Close", tooltip="Close (asks first if you changed an answer)", id="paged-leave"),
    ]
    heading = ""
    keys_hint = "PgDn/PgUp: next/previous section · Ctrl+S saves"

    def __init__(self) -> None:
        super().__init__()
        self._answers: dict[str, str] = {}  # every page's values as typed, by name
        self._initial: dict[str, str] = {}
        self._page = 0
        self._widgets: dict[str, Widget] = {}
        self._fields: dict[str, Field] = {}
        self._next_id = 0

    # ----------------------------------------------------------------- for subclasses

    def load(self) -> dict[str, str]:
        """The stored values, as they are typed (called once, before the first page)."""
        raise NotImplementedError

    def page_titles(self) -> list[str]:
        raise NotImplementedError

    def page_widgets(self, page: int) -> list[Widget]:
        """The page's widgets; registers its inputs in self._widgets and fields in self._fields."""
        raise NotImplementedError

    def page_of(self, field_key: str) -> int | None:
        raise NotImplementedError

    def field_key(self, name: str) -> str:
        """The Field that shows an error about the value `name` (by default, its own)."""
        return name

    def save(self, values: dict[str, str]) -> str:
        """Store every value; return the message to show; raise InvalidInput naming a value."""
        raise NotImplementedError

    def progress(self) -> str:
        return ""

    # ----------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        self._answers = self.load()
        self._initial = _filled(self._answers)
        yield Header()
        yield Static(plain(self.heading), classes="title", id="paged-title")
        yield Static("", id="paged-progress", classes="muted")
        yield VerticalScroll(id="paged-body")
        yield Footer()

    async def on_mount(self) -> None:
        await self.show_page(0)

    def new_widget_id(self) -> str:
        self._next_id += 1
        return f"w{self._next_id}"

    async def show_page(self, page: int, focus: str | None = None) -> None:
        self._harvest()
        self._page = page
        self._widgets, self._fields = {}, {}
        widgets = self.page_widgets(page)
        body = self.query_one("#paged-body", VerticalScroll)
        await body.remove_children()
        await body.mount_all(widgets)
        self._show_progress()
        target = self._widgets.get(focus or "") or next(iter(self._widgets.values()), None)
        if target is not None:
            target.focus()
        if focus is None:
            body.scroll_home(animate=False)

    def _show_progress(self) -> None:
        titles = self.page_titles()
        parts = [f"Page {self._page + 1} of {len(titles)}: {titles[self._page]}", self.progress(), self.keys_hint]
        self.query_one("#paged-progress", Static).update(plain(" · ".join(p for p in parts if p)))

    async def action_page(self, step: int) -> None:
        page = self._page + step
        if 0 <= page < len(self.page_titles()):
            await self.show_page(page)

    # ----------------------------------------------------------------- values

    def _harvest(self) -> None:
        for name, widget in self._widgets.items():
            self._answers[name] = widget_value(widget)

    def values(self) -> dict[str, str]:
        """Every value of every page as typed now."""
        self._harvest()
        return dict(self._answers)

    async def action_save(self) -> None:
        try:
            message = self.save(self.values())
        except InvalidInput as error:
            await self._show_error(str(error), error.field)
            return
        except SafeDeskError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self.notify(message, markup=False)
        self.dismiss(True)

    async def _show_error(self, message: str, name: str | None) -> None:
        key = self.field_key(name or "")
        page = self.page_of(key)
        if page is None:
            self.notify(message, severity="error", markup=False)
            return
        if page != self._page or key not in self._fields:
            await self.show_page(page, focus=name)
        field = self._fields[key]
        field.error.show(message)
        (self._widgets.get(name or "") or field.input).focus()
        field.scroll_visible(animate=False)

    def action_leave(self) -> None:
        if _filled(self.values()) == self._initial:
            self.dismiss(False)
            return

        def answer(leave: bool | None) -> None:
            if leave:
                self.dismiss(False)

        self.app.push_screen(
            ConfirmDialog("Leave without saving?", "The answers you changed are not saved yet.", yes="Leave", no="Keep editing"),
            answer,
        )


SHORT_YESNO = {key: "N/A" if key == "n/a" else label for key, label in YESNO_CHOICES.items()}
# Short group names that fit a 9-column cell (the export uses the full names).
GROUP_LABELS = {"Early Years": "EYFS"}
CELL = 10  # columns per grid cell: the input's width plus its margin


class FormFillScreen(PagedForm):
    """The draft of one form, a section per page; dismisses True once saved."""

    keys_hint = "PgDn/PgUp: sections · yes/no: y, n or a · Ctrl+S saves the draft"

    def __init__(self, form_id: int) -> None:
        super().__init__()
        self.form_id = form_id
        self._sections: list[Section] = []
        self._entries: dict[int, int] = {}  # entries shown per repeated section

    @property
    def book(self) -> FormBook:
        return FormBook(self.app.session)  # type: ignore[attr-defined]

    def load(self) -> dict[str, str]:
        form = self.book.form(self.form_id)
        self.heading = f"{form.type.title}: {form.title}"
        self._sections = form_sections(form.kind)
        self._questions = {q.key: q for s in self._sections for q in s.questions}
        # Answers to questions since removed from the cards are left out (saving drops them).
        return {
            where: _shown(self._questions[split_address(where)[0]], value)
            for where, value in form.draft.items()
            if split_address(where)[0] in self._questions
        }

    def on_mount(self) -> None:  # Textual also runs PagedForm.on_mount, which shows the first page
        self.app.sub_title = "Fill in a form"

    def page_titles(self) -> list[str]:
        return [s.title for s in self._sections]

    def page_of(self, field_key: str) -> int | None:
        key = split_address(field_key)[0]
        return next((i for i, s in enumerate(self._sections) if any(q.key == key for q in s.questions)), None)

    def field_key(self, name: str) -> str:
        key, entry, _part = split_address(name)
        return address(key, entry)

    def progress(self) -> str:
        done, total = answered(self._questions.values(), _filled(self._answers))
        return f"{done} of {total} answered"

    def page_widgets(self, page: int) -> list[Widget]:
        section = self._sections[page]
        widgets: list[Widget] = [Static(plain(section.title), classes="section")]
        if section.note:
            widgets.append(Static(plain(section.note), classes="muted section-note"))
        if not section.repeat:
            return widgets + [self._field(q, 0) for q in section.questions]
        count = max(self._entries.get(page, 0), entries(section.questions, _filled(self._answers)))
        self._entries[page] = count
        for entry in range(1, count + 1):
            widgets.append(Static(plain(f"Entry {entry}"), classes="entry-title"))
            widgets += [self._field(q, entry) for q in section.questions]
        widgets.append(Button(compact=True, label="Add another entry", id="add-entry"))
        return widgets

    def _field(self, question: Question, entry: int) -> Field:
        where = address(question.key, entry)
        value = self._answers.get(where, "")
        label = question.text
        widget: Widget
        if question.kind == YESNO:
            note_at = address(question.key, entry, NOTE)
            choice = Choice(SHORT_YESNO, value, id=self.new_widget_id())
            note = Input(
                self._answers.get(note_at, ""),
                placeholder="further information",
                compact=True,
                id=self.new_widget_id(),
                max_length=2000,
            )
            self._widgets[where], self._widgets[note_at] = choice, note
            widget = Horizontal(choice, note, classes="yesno")
        elif question.kind == GRID:
            cells = []
            for group in GROUPS:
                at = address(question.key, entry, group)
                self._widgets[at] = Input(self._answers.get(at, ""), compact=True, id=self.new_widget_id(), max_length=60)
                cells.append(self._widgets[at])
            widget = Horizontal(*cells, classes="grid")
            label += "\n" + "".join(GROUP_LABELS.get(g, g).ljust(CELL) for g in GROUPS).rstrip()
        elif question.kind == DATE:
            widget = Input(value, placeholder=DATE_HINT, compact=True, id=self.new_widget_id(), max_length=20, classes="date")
            self._widgets[where] = widget
        elif question.repeat:
            widget = Input(value, compact=True, id=self.new_widget_id(), max_length=4000)
            self._widgets[where] = widget
        else:
            widget = TextArea(value, id=self.new_widget_id(), soft_wrap=True, tab_behavior="focus", compact=True)
            self._widgets[where] = widget
        field = Field(plain(label), widget, field_id=f"q{self.new_widget_id()}")  # type: ignore[arg-type]  # Label takes Content
        self._fields[where] = field
        return field

    @on(Button.Pressed, "#add-entry")
    async def _add_entry(self) -> None:
        section = self._sections[self._page]
        entry = self._entries.get(self._page, 1) + 1
        self._entries[self._page] = entry
        await self.show_page(self._page, focus=address(section.questions[0].key, entry))

    def save(self, values: dict[str, str]) -> str:
        form = self.book.save_draft(self.form_id, values)
        done, total = answered(self._questions.values(), form.draft)
        return f"Draft saved: {done} of {total} questions answered."


def _shown(question: Question, value: str) -> str:
    """A stored answer as it is typed: dates the UK way, the rest as stored."""
    if question.kind == DATE and value:
        try:
            return show_date(date.fromisoformat(value))
        except ValueError:
            return value
    return value
