"""A form's draft, section by section: a `PagedForm` (safedesk.widgets.paged), like
the policy questions.

Each question of a form gets the input its wording calls for: text, a date, yes/no
(keys y, n, a) with further information, or a rating per age group. Sections filled
once per item (a risk and its action) get an "Add another entry" button.
"""

from __future__ import annotations

from datetime import date

from textual import on
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Button, Input, Static

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
    answer_kind,
    answered,
    entries,
    form_sections,
    split_address,
)
from safedesk.store.text.dates import DATE_HINT, show_date
from safedesk.store.text.limits import Kind, limit
from safedesk.widgets.common import Choice, Field, plain
from safedesk.widgets.host import session_of
from safedesk.widgets.limited import LimitedTextArea
from safedesk.widgets.paged import PagedForm, filled

SHORT_YESNO = {key: "N/A" if key == "n/a" else label for key, label in YESNO_CHOICES.items()}
# Short group names that fit a 9-column cell (the export uses the full names).
GROUP_LABELS = {"Early Years": "EYFS"}
CELL = 10  # columns per grid cell: the input's width plus its margin


class FormFillScreen(PagedForm):
    """The draft of one form, a section per page; dismisses True once saved."""

    SUB_TITLE = "Fill in a form"  # the header names the screen

    CSS_PATH = "listing.tcss"

    keys_hint = "PgDn/PgUp: sections · yes/no: y, n or a · Ctrl+S saves the draft"

    def __init__(self, form_id: int) -> None:
        super().__init__()
        self.form_id = form_id
        self._sections: list[Section] = []
        self._entries: dict[int, int] = {}  # entries shown per repeated section

    @property
    def book(self) -> FormBook:
        return FormBook(session_of(self.app))

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

    def on_mount(self) -> None:  # Textual also runs PagedForm's and Form's on_mount
        self.sub_title = "Fill in a form"

    def page_titles(self) -> list[str]:
        return [s.title for s in self._sections]

    def page_of(self, field_key: str) -> int | None:
        key = split_address(field_key)[0]
        return next((i for i, s in enumerate(self._sections) if any(q.key == key for q in s.questions)), None)

    def field_key(self, name: str) -> str:
        key, entry, _part = split_address(name)
        return address(key, entry)

    def progress(self) -> str:
        done, total = answered(self._questions.values(), filled(self._answers))
        return f"{done} of {total} answered"

    def page_widgets(self, page: int) -> list[Widget]:
        section = self._sections[page]
        widgets: list[Widget] = [Static(plain(section.title), classes="section")]
        if section.note:
            widgets.append(Static(plain(section.note), classes="muted section-note"))
        if not section.repeat:
            return widgets + [self._field(q, 0) for q in section.questions]
        count = max(self._entries.get(page, 0), entries(section.questions, filled(self._answers)))
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
                max_length=limit(answer_kind(question)),
            )
            self._widgets[where], self._widgets[note_at] = choice, note
            widget = Horizontal(choice, note, classes="yesno")
        elif question.kind == GRID:
            cells = []
            for group in GROUPS:
                at = address(question.key, entry, group)
                self._widgets[at] = Input(
                    self._answers.get(at, ""), compact=True, id=self.new_widget_id(), max_length=limit(answer_kind(question))
                )
                cells.append(self._widgets[at])
            widget = Horizontal(*cells, classes="grid")
            label += "\n" + "".join(GROUP_LABELS.get(g, g).ljust(CELL) for g in GROUPS).rstrip()
        elif question.kind == DATE:
            widget = Input(
                value, placeholder=DATE_HINT, compact=True, id=self.new_widget_id(), max_length=limit(Kind.DATE), classes="date"
            )
            self._widgets[where] = widget
        elif question.repeat:
            widget = Input(value, compact=True, id=self.new_widget_id(), max_length=limit(answer_kind(question)))
            self._widgets[where] = widget
        else:
            widget = LimitedTextArea(
                value,
                id=self.new_widget_id(),
                max_length=limit(answer_kind(question)),
                soft_wrap=True,
                tab_behavior="focus",
                compact=True,
            )
            self._widgets[where] = widget
        field = Field(plain(label), widget, field_id=f"q{self.new_widget_id()}")
        self._fields[where] = field
        return field

    @on(Button.Pressed, "#add-entry")
    async def _add_entry(self) -> None:
        section = self._sections[self._page]
        entry = self._entries.get(self._page, 1) + 1
        self._entries[self._page] = entry
        await self.show_page(self._page, focus=address(section.questions[0].key, entry))

    def save_all(self, values: dict[str, str]) -> str:
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
