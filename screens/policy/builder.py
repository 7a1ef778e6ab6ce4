"""The policy builder: the questions, and the generated policy to read and export.

`open_policy(app)` shows the policy built from the stored answers (or from first
suggestions: the setting's name, the DSL and deputies with keys, the platforms in the
account register) and, when nothing is stored yet, the questions on top of it. Ctrl+S
on the questions saves them and returns to the refreshed policy. The template letters
and disclaimers are one key away (safedesk.screens.policy.letters).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header, Input, Select, Static

from safedesk.router import open_screen
from safedesk.store.policy.builder import (
    BOOL,
    CHOICE,
    DATE,
    LIST,
    NUMBER,
    QUESTIONS,
    QUESTIONS_BY_NAME,
    PolicyBook,
    PolicyQuestion,
    answer_kind,
)
from safedesk.store.text.dates import DATE_HINT, show_date
from safedesk.store.text.document import Format
from safedesk.store.text.limits import Kind, limit
from safedesk.widgets.card_view import CardView
from safedesk.widgets.common import Choice, Field, plain
from safedesk.widgets.export import default_export_path, export_dialog
from safedesk.widgets.footer import Footer
from safedesk.widgets.forms import FormResult
from safedesk.widgets.host import session_of
from safedesk.widgets.limited import LimitedTextArea
from safedesk.widgets.paged import PagedForm

if TYPE_CHECKING:
    from textual.app import App

YES_NO = {"yes": "Yes", "no": "No"}


def open_policy(app: App) -> None:
    """The policy preview, with the questions on top when none are stored yet."""
    app.push_screen(PolicyPreviewScreen())
    if PolicyBook(session_of(app)).stored() is None:
        app.push_screen(PolicyScreen())


def _typed(question: PolicyQuestion, value: Any) -> str:
    """A stored answer as the form shows it."""
    if question.kind == BOOL:
        return "yes" if value else "no"
    if question.kind == LIST:
        return "\n".join(value)
    if question.kind == DATE:
        return show_date(value) if value else ""
    return str(value)


def _widget(question: PolicyQuestion, value: str, widget_id: str) -> Widget:
    if question.kind == CHOICE:
        options = [(plain(label), key) for key, label in question.choices.items()]
        return Select(
            options, value=value if value in question.choices else Select.NULL, allow_blank=False, compact=True, id=widget_id
        )
    if question.kind == BOOL:
        return Choice(YES_NO, value, id=widget_id)
    if question.kind == LIST:
        area = LimitedTextArea(
            value, max_length=limit(Kind.LONG), soft_wrap=True, tab_behavior="focus", compact=True, id=widget_id
        )
        area.styles.height = 6 if question.name == "policies" else 3
        return area
    if question.kind == DATE:
        return Input(value, placeholder=DATE_HINT, compact=True, max_length=limit(Kind.DATE), id=widget_id)
    if question.kind == NUMBER:
        return Input(value, restrict=r"\d*", compact=True, max_length=limit(Kind.NUMBER), id=widget_id)
    return Input(value, placeholder=question.hint, compact=True, max_length=limit(answer_kind(question)), id=widget_id)


def _label(question: PolicyQuestion) -> str:
    extra = f" ({question.hint})" if question.hint and question.kind in (LIST, BOOL) else ""
    return question.label + extra + (" *" if question.required else "")


class PolicyScreen(PagedForm):
    """The policy's questions, a group per page; dismisses True once saved."""

    SUB_TITLE = "Policy builder"  # the header names the screen

    CSS_PATH = "../forms/listing.tcss"  # a relative CSS_PATH resolves beside the subclass's module

    heading = "Your social media policy: the questions"
    keys_hint = "PgDn/PgUp: pages · * needed for a complete policy · Ctrl+S saves"

    @property
    def book(self) -> PolicyBook:
        return PolicyBook(session_of(self.app))

    def load(self) -> dict[str, str]:
        answers = self.book.answers()
        self._groups = list(dict.fromkeys(q.group for q in QUESTIONS))
        self._stored = {q.name: getattr(answers, q.name) for q in QUESTIONS}
        return {q.name: _typed(q, self._stored[q.name]) for q in QUESTIONS}

    def on_screen_resume(self) -> None:
        self.sub_title = "Policy builder"

    def page_titles(self) -> list[str]:
        return self._groups

    def page_of(self, field_key: str) -> int | None:
        question = QUESTIONS_BY_NAME.get(field_key)
        return self._groups.index(question.group) if question else None

    def page_widgets(self, page: int) -> list[Widget]:
        widgets: list[Widget] = [Static(plain(self._groups[page]), classes="section")]
        if page == 0:
            widgets.insert(0, Static(plain("Anything left blank shows in the policy as [to fill in: ...]."), classes="muted"))
        for question in QUESTIONS:
            if question.group != self._groups[page]:
                continue
            widget = _widget(question, self._answers.get(question.name, ""), self.new_widget_id())
            self._widgets[question.name] = widget
            field = Field(plain(_label(question)), widget, field_id=question.name)
            self._fields[question.name] = field
            widgets.append(field)
        return widgets

    def save_all(self, values: dict[str, str]) -> str:
        self.book.save(values)
        return "Policy answers saved."


class PolicyPreviewScreen(Screen[None]):
    """The generated policy as it will be exported."""

    SUB_TITLE = "Social media policy"  # the header names the screen

    CSS_PATH = "builder.tcss"
    AUTO_FOCUS = "#policy-view"
    BINDINGS = [
        Binding("e", "edit", "Answers", tooltip="Change the answers the policy is built from", id="policy-edit"),
        Binding("x", "export", "Export", tooltip="Write the policy as Markdown", id="policy-export"),
        Binding(
            "l", "letters", "Letters", tooltip="Template letters and disclaimers filled with your details", id="policy-letters"
        ),
        Binding("escape", "app.pop_screen", "Back", tooltip="Back", id="policy-back"),
    ]

    @property
    def book(self) -> PolicyBook:
        return PolicyBook(session_of(self.app))

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="policy-status")
        yield CardView(id="policy-view")
        yield Footer()

    def on_screen_resume(self) -> None:  # also when first shown; and after the questions close
        self.sub_title = "Social media policy"
        self.refresh_view()

    def refresh_view(self) -> None:
        document = self.book.build()
        if self.book.stored() is None:
            status = "Suggested answers, not saved yet: press e to answer the questions."
        elif document.missing:
            status = f"{len(document.missing)} detail(s) still to fill in: {', '.join(document.missing)}."
        elif document.conflicts:
            status = f"Not complete: the account register contradicts it. {'; '.join(document.conflicts)}."
        else:
            status = "Complete: every detail is filled in. x exports it."
        self.query_one("#policy-status", Static).update(plain(status))
        self.query_one(CardView).show(document.markdown, "e changes the answers · x exports · l letters and disclaimers")

    def action_edit(self) -> None:
        self.app.push_screen(PolicyScreen())

    def action_export(self) -> None:
        def write(path: Path, overwrite: bool, fmt: Format) -> None:
            self.book.export(path, overwrite=overwrite, fmt=fmt)

        def done(result: FormResult | None) -> None:
            if result:
                self.notify(f"Saved to {result.outcome}", title="Exported", markup=False)

        name = f"social media policy {self.book.answers().setting_name}"
        self.app.push_screen(export_dialog("Export the policy", default_export_path(name), write), done)

    def action_letters(self) -> None:
        open_screen(self.app, "letters")
