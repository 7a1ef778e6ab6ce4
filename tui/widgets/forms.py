"""A small modal form: labelled fields, a save function, errors next to fields.

The save function gets the typed values and either returns (the form closes)
or raises InvalidInput naming a field (the message appears under it and the
field gets focus). With `threaded=True` it runs off the UI thread, for work
such as hashing and encrypting a large file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, LoadingIndicator, Select, Static, TextArea

from safedesk.store.errors import InvalidInput, SafeDeskError
from safedesk.widgets.common import FieldError, plain


@dataclass(frozen=True)
class FormField:
    id: str
    label: str
    kind: str = "text"  # text | multiline | select | password
    value: str = ""
    options: Sequence[tuple[str, str]] = ()  # (label, value) for select
    placeholder: str = ""
    suggestions: Sequence[str] = ()  # type-ahead for text fields
    hint: str = ""


@dataclass
class FormResult:
    values: dict[str, str] = field(default_factory=dict)
    outcome: Any = None  # what the save function returned


class FormDialog(ModalScreen[FormResult | None]):
    DEFAULT_CSS = """
    FormDialog { align: center middle; background: $background 60%; }
    FormDialog > Vertical { width: 78; max-height: 23; height: auto; padding: 0 1; border: round $primary; background: $surface; }
    FormDialog VerticalScroll { height: auto; max-height: 17; }
    FormDialog .form-label { color: $text-muted; margin-top: 1; }
    FormDialog .form-hint { color: $text-muted; }
    FormDialog TextArea { height: 6; }
    FormDialog Horizontal { height: auto; margin-top: 1; }
    FormDialog LoadingIndicator { height: 1; display: none; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", tooltip="Save and close", id="form-save", priority=True),
        Binding("escape", "cancel", "Cancel", tooltip="Close without saving", id="form-cancel"),
    ]

    def __init__(
        self,
        title: str,
        fields: Sequence[FormField],
        save: Callable[[dict[str, str]], Any],
        *,
        intro: str = "",
        save_label: str = "Save",
        threaded: bool = False,
    ) -> None:
        super().__init__()
        self._title = title
        self._fields = list(fields)
        self._save = save
        self._intro = intro
        self._save_label = save_label
        self._threaded = threaded

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(self._title), classes="title")
            if self._intro:
                yield Static(plain(self._intro), classes="form-hint")
            with VerticalScroll():
                for spec in self._fields:
                    yield Label(plain(spec.label), classes="form-label")
                    yield self._widget(spec)
                    if spec.hint:
                        yield Static(plain(spec.hint), classes="form-hint")
                    yield FieldError(id=f"form-error-{spec.id}")
            yield FieldError(id="form-error-general")
            yield LoadingIndicator()
            with Horizontal():
                yield Button(self._save_label + " (Ctrl+S)", variant="primary", id="form-save", compact=True)
                yield Button("Cancel (Esc)", id="form-cancel", compact=True)

    def _widget(self, spec: FormField) -> Input | Select[str] | TextArea:
        widget_id = f"form-{spec.id}"
        if spec.kind == "select":
            values = [v for _, v in spec.options]
            return Select(
                [(plain(label), value) for label, value in spec.options],
                value=spec.value if spec.value in values else Select.NULL,
                allow_blank=spec.value not in values,
                id=widget_id,
                compact=True,
            )
        if spec.kind == "multiline":
            return TextArea(spec.value, id=widget_id, soft_wrap=True, tab_behavior="focus")
        suggester = SuggestFromList(spec.suggestions, case_sensitive=False) if spec.suggestions else None
        return Input(
            spec.value,
            id=widget_id,
            placeholder=spec.placeholder,
            password=spec.kind == "password",
            suggester=suggester,
            compact=True,
        )

    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for spec in self._fields:
            widget = self.query_one(f"#form-{spec.id}")
            if isinstance(widget, Select):
                out[spec.id] = "" if widget.value is Select.NULL else str(widget.value)
            elif isinstance(widget, TextArea):
                out[spec.id] = widget.text
            else:
                out[spec.id] = widget.value  # type: ignore[attr-defined]
        return out

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        if event.input.id == f"form-{self._fields[-1].id}":
            self.action_save()
        else:
            self.focus_next()

    @on(Button.Pressed, "#form-save")
    def action_save(self) -> None:
        for error in self.query(FieldError):
            error.clear()
        values = self.values()
        if self._threaded:
            self._busy(True)
            self._save_in_thread(values)
        else:
            self._finish(values, *self._attempt(values))

    def _attempt(self, values: dict[str, str]) -> tuple[Any, SafeDeskError | None]:
        try:
            return self._save(values), None
        except SafeDeskError as error:
            return None, error

    @work(thread=True, exclusive=True, group="form-save")
    def _save_in_thread(self, values: dict[str, str]) -> None:
        outcome, error = self._attempt(values)
        self.app.call_from_thread(self._finish, values, outcome, error)

    def _finish(self, values: dict[str, str], outcome: Any, error: SafeDeskError | None) -> None:
        self._busy(False)
        if error is None:
            self.dismiss(FormResult(values, outcome))
            return
        field_id = error.field if isinstance(error, InvalidInput) and error.field else None
        target = self.query(f"#form-error-{field_id}") if field_id else None
        if target:
            target.first(FieldError).show(str(error))
            self.query_one(f"#form-{field_id}").focus()
        else:
            self.query_one("#form-error-general", FieldError).show(str(error))

    def _busy(self, busy: bool) -> None:
        self.query_one(LoadingIndicator).display = busy
        self.query_one("#form-save", Button).disabled = busy

    @on(Button.Pressed, "#form-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
