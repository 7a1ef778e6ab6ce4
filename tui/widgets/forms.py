"""The one form framework: every form and dialog that takes typed input is a `Form`.

A form is made of `Field`s (a label, one input, the error line beneath it). The base
gives every form the same rules, so a person under pressure meets one behaviour:

- the first field has the focus as soon as the form is mounted, so keys typed
  straight after opening it land there;
- Ctrl+S (or the primary button) saves; Enter in the last one-line field saves,
  Enter in any other field moves to the next one; a save reads the fields only
  once every key already typed has reached them, and Tab, Shift+Tab and Enter
  move the focus before the next key is handed out (see `keys_applied`);
- `save(values)` stores the values or raises InvalidInput naming a field: the
  message shows beside that field (one `FieldError` each, plus one general line
  for errors tied to no field) and the field gets the focus;
- an error clears as soon as its field's value changes;
- Esc (or Cancel) closes at once when nothing changed, and otherwise asks
  "Discard your changes?"; Esc in that question means keep editing.

`ModalForm` lays a form out as a dialog; `FormDialog` builds one from `FormField`
specs and a save function; `safedesk.widgets.paged.PagedForm` is the long-form
variant (a page of fields at a time).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, ScrollableContainer, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.message_pump import MessagePump
from textual.screen import ModalScreen, Screen
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, LoadingIndicator, Select, SelectionList, Static, TextArea

from safedesk.store.errors import InvalidInput, SafeDeskError
from safedesk.store.text.limits import Kind, limit
from safedesk.widgets.common import Choice, Field, FieldError, StrengthMeter, plain, read_value
from safedesk.widgets.dialogs import ConfirmDialog
from safedesk.widgets.limited import LimitedTextArea

T = TypeVar("T")

# How long a save waits for the focused field to apply the keys already sent to it: they
# take milliseconds; the limit only keeps a field that never answers from freezing the app.
KEYS_APPLIED_TIMEOUT = 2.0


async def handled(pump: MessagePump) -> None:
    """Return once `pump` has handled every message already in its queue (keys included).

    A callback queued behind those messages runs only after them.
    """
    done = asyncio.Event()
    if pump.call_later(done.set):
        try:
            await asyncio.wait_for(done.wait(), KEYS_APPLIED_TIMEOUT)
        except TimeoutError:
            pass  # the widget is busy or closing: carry on with what it shows


class Form(Screen[T]):
    """A screen of fields with one way to save, one error display and an unsaved-changes guard.

    Subclasses compose their `Field`s (in `compose`, or in `form()` for `ModalForm`),
    add `yield from self.buttons()` where the general error and the buttons go, and
    implement `save`. `saved` decides what happens after a save (by default the form
    is dismissed with the result) and `leave` what Esc does (dismissed with None).
    """

    DEFAULT_CSS = """
    Form .form-buttons { height: auto; margin-top: 1; }
    Form #form-busy { height: 1; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", tooltip="Save this form", id="form-save", priority=True),
        Binding(
            "escape", "cancel", "Cancel", tooltip="Close without saving (asks first if you changed something)", id="form-cancel"
        ),
        # Priority, so the focus moves before the app hands the next key to the focused field:
        # otherwise keys typed straight after Tab or Enter land in the field just left.
        Binding("tab", "app.focus_next", "Next field", show=False, priority=True),
        Binding("shift+tab", "app.focus_previous", "Previous field", show=False, priority=True),
        Binding("enter", "enter", "Next field or save", show=False, priority=True),
    ]
    # Textual applies AUTO_FOCUS straight after composing, before the first key reaches the
    # screen: the first focusable widget inside a Field. A form whose first field is another
    # sets both AUTO_FOCUS and `first_field`; on_mount focuses `first_field` if nothing has the focus.
    AUTO_FOCUS = "Field *"
    # True runs `save` in a worker thread (hashing a large file, key derivation).
    threaded = False
    # False: there is nothing to go back to (first-run setup, unlock), so Esc does nothing.
    cancellable = True
    save_label = "Save (Ctrl+S)"
    cancel_label = "Cancel (Esc)"

    def __init__(self) -> None:
        super().__init__()
        self._initial: object = None
        self._asking = False
        self._saving = False

    # ----------------------------------------------------------------- for subclasses

    def save(self, values: dict[str, Any]) -> T:
        """Store `values` (by field id) and return the result, or raise InvalidInput naming a field.

        A threaded form runs this off the UI thread: it must use `values`, never the widgets.
        """
        raise NotImplementedError

    def problems(self, values: dict[str, Any]) -> dict[str, str]:
        """Problems found before saving, by field id, shown all at once (none: `save` runs)."""
        return {}

    def saved(self, result: T) -> None:
        """After a successful save: close the form with its result."""
        self.dismiss(result)

    def leave(self) -> None:
        """Close without saving (after the guard allowed it)."""
        self.dismiss(None)  # None means cancelled to every caller

    def snapshot(self) -> object:
        """What the unsaved-changes guard compares with the form as it opened."""
        return self.values()

    def first_field(self) -> Widget | None:
        """The widget that has the focus when the form opens."""
        for each in self.query(Field):
            if each.display and (target := each.control()) is not None:
                return target
        return None

    async def refused(self, error: SafeDeskError) -> None:
        """`save` raised `error`: show it beside the field it names, or on the general line."""
        await self.show_error(str(error), error.field if isinstance(error, InvalidInput) else None)

    def busy(self, busy: bool) -> None:
        """Show that a threaded save is running: the save button is off, the indicator on."""
        for button in self.query("#form-save-button"):
            button.disabled = busy
        for indicator in self.query("#form-busy"):
            indicator.display = busy

    # ----------------------------------------------------------------- layout helpers

    def buttons(self) -> ComposeResult:
        """The general error line, the busy indicator and the Save and Cancel buttons."""
        yield FieldError(id="form-error")
        yield LoadingIndicator(id="form-busy")
        with Horizontal(classes="form-buttons"):
            yield Button(compact=True, label=self.save_label, variant="primary", id="form-save-button")
            yield Button(compact=True, label=self.cancel_label, id="form-cancel-button")

    def on_mount(self) -> None:
        for indicator in self.query("#form-busy"):
            indicator.display = False
        # Never move a focus already given: keys may have been typed into it.
        target = self.first_field() if self.focused is None else None
        if target is not None:
            target.focus(scroll_visible=False)
        self._initial = self.snapshot()
        # AUTO_FOCUS scrolls the first field to the centre before the form has a layout (Textual
        # cannot tell yet that it is in view), hiding its label and whatever is above it.
        self.call_after_refresh(self._open_at_top)

    def _open_at_top(self) -> None:
        """Once laid out, the form shows its top and the focused field."""
        for scroll in self.query(ScrollableContainer):
            scroll.scroll_home(animate=False)
        if self.focused is not None:
            self.focused.scroll_visible(animate=False)

    # ----------------------------------------------------------------- values

    def values(self) -> dict[str, Any]:
        """Each field's value by field id, as typed (Select's blank is None)."""
        return {each.field_id: read_value(each.input) for each in self.query(Field)}

    def value(self, field_id: str) -> Any:
        return read_value(self.query_one(f"#field-{field_id}", Field).input)

    def changed(self) -> bool:
        return self.snapshot() != self._initial

    # ----------------------------------------------------------------- errors

    def clear_errors(self) -> None:
        for error in self.query(FieldError):
            error.clear()

    async def find_field(self, field_id: str) -> Field | None:
        """The Field that shows errors about `field_id` (a paged form first opens its page)."""
        try:
            return self.query_one(f"#field-{field_id}", Field)
        except NoMatches:
            return None

    async def show_error(self, message: str, field_id: str | None = None) -> None:
        """Show `message` beside its field (which gets the focus), or on the general line."""
        target = await self.find_field(field_id) if field_id else None
        if target is None or not target.display:
            general = self.query_one("#form-error", FieldError)
            general.show(message)
            general.scroll_visible(animate=False)
            return
        target.refuse(message)
        control = target.control()
        if control is not None:
            control.focus(scroll_visible=False)
        target.scroll_visible(animate=False)

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    @on(SelectionList.SelectedChanged)
    @on(Choice.Changed)
    def _edited(self, event: Any) -> None:
        for ancestor in event.control.ancestors_with_self:
            if isinstance(ancestor, Field):
                ancestor.edited()
                return

    # ----------------------------------------------------------------- saving

    def _field_input(self) -> Input | None:
        """The focused one-line input if it is one of the form's fields (not a search box)."""
        focused = self.app.focused
        if isinstance(focused, Input) and any(isinstance(a, Field) for a in focused.ancestors):
            return focused
        return None

    async def action_enter(self) -> None:
        focused = self.app.focused
        if isinstance(focused, Button) and focused.screen is self:
            # Enter is a priority binding here (for the fields), so a focused button never sees it: press it.
            focused.press()
            return
        field_input = self._field_input()
        if field_input is not None and self.submits_on_enter(field_input):
            await self.action_save()
        else:
            self.focus_next()

    def submits_on_enter(self, widget: Input) -> bool:
        """Enter saves from the last one-line field shown; elsewhere it moves on."""
        shown = [
            each
            for each in self.query(Input)
            if any(isinstance(a, Field) for a in each.ancestors)
            and all(a.display for a in each.ancestors_with_self if isinstance(a, Widget))
        ]
        return bool(shown) and widget is shown[-1]

    async def keys_applied(self) -> None:
        """Return once the focused widget has applied every key already sent to it.

        The app hands each key to the focused widget's queue but runs priority bindings
        (Ctrl+S) itself at once: without this wait, Ctrl+S pressed the instant typing ends
        would save the field without its last keys.
        """
        focused = self.app.focused
        if focused is not None and focused is not self:
            await handled(focused)

    @on(Button.Pressed, "#form-save-button")
    async def action_save(self) -> None:
        if self._saving or self._asking:
            return
        self._saving = True  # a second Ctrl+S (or click) while waiting does nothing
        try:
            await self.keys_applied()
        finally:
            self._saving = False
        self.clear_errors()
        values = self.values()
        problems = self.problems(values)
        if problems:
            for field_id, message in reversed(problems.items()):
                await self.show_error(message, field_id)  # the first shown last, so it keeps the focus
            return
        if self.threaded:
            self._saving = True
            self.busy(True)
            self._save_in_thread(values)
            return
        await self._finish(*self._attempt(values))

    def _attempt(self, values: dict[str, Any]) -> tuple[Any, SafeDeskError | None]:
        try:
            return self.save(values), None
        except SafeDeskError as error:
            return None, error

    @work(thread=True, exclusive=True, group="form-save")
    def _save_in_thread(self, values: dict[str, Any]) -> None:
        outcome, error = self._attempt(values)
        # Textual runs and awaits the coroutine on the UI thread; its stub types the awaitable as Never.
        self.app.call_from_thread(self._finish, outcome, error)  # type: ignore[arg-type]

    async def _finish(self, outcome: Any, error: SafeDeskError | None) -> None:
        if self._saving:
            self._saving = False
            self.busy(False)
        if error is None:
            self.saved(outcome)
            return
        await self.refused(error)

    # ----------------------------------------------------------------- leaving

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return self.cancellable
        if action == "enter":
            # Only in a field's one-line input; elsewhere Enter stays the widget's own
            # (a new line in a text area, pressing a button, opening a list).
            return self._field_input() is not None
        return True

    @on(Button.Pressed, "#form-cancel-button")
    def action_cancel(self) -> None:
        if self._saving or self._asking or not self.cancellable:
            return  # a save in progress finishes first; one question at a time
        if not self.changed():
            self.leave()
            return
        self._asking = True

        def answered(discard: bool | None) -> None:
            self._asking = False
            if discard:
                self.leave()

        self.app.push_screen(
            ConfirmDialog("Discard your changes?", "Nothing in this form has been saved yet.", yes="Discard", no="Keep editing"),
            answered,
        )


class ModalForm(Form[T], ModalScreen[T]):
    """A form laid out as a dialog: heading, intro, the fields (scrolling), the buttons."""

    DEFAULT_CSS = """
    ModalForm { align: center middle; background: $background 60%; }
    ModalForm > .form-dialog {
        width: 78; height: auto; max-height: 100%; padding: 0 1; border: round $primary; background: $surface;
    }
    ModalForm > .form-dialog.wide { height: 100%; }
    ModalForm .form-intro { color: $text-muted; margin-bottom: 1; }
    ModalForm .form-hint { color: $text-muted; }
    ModalForm .form-body { height: auto; max-height: 17; }
    ModalForm > .form-dialog.wide .form-body { height: 1fr; max-height: 100%; }
    ModalForm .form-body SelectionList { height: auto; max-height: 6; }
    ModalForm .form-body TextArea { height: 6; }
    """
    heading = ""
    intro = ""
    wide = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="form-dialog wide" if self.wide else "form-dialog"):
            yield Static(plain(self.heading), classes="title", id="form-heading")
            if self.intro:
                yield Static(plain(self.intro), classes="form-intro")
            yield from self.top()
            with VerticalScroll(classes="form-body"):
                yield from self.form()
            yield from self.buttons()

    def top(self) -> ComposeResult:
        """Anything shown above the fields, outside their scrolling area."""
        yield from ()

    def form(self) -> ComposeResult:
        """The form's fields (and any notes between them)."""
        raise NotImplementedError


# --------------------------------------------------------------------- a dialog from field specs


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
    # The kind of text it holds, for its length limit; None: LONG when multi-line, PASSPHRASE
    # for a password, else SHORT.
    text_kind: Kind | None = None
    # A new passphrase: rated live as it is typed (StrengthMeter under the field, as on the setup
    # and handover screens), with these names (the setting's, the key holders') as first guesses.
    strength: Sequence[str] | None = None

    @property
    def max_length(self) -> int:
        default = {"multiline": Kind.LONG, "password": Kind.PASSPHRASE}.get(self.kind, Kind.SHORT)
        return limit(self.text_kind or default)


@dataclass
class FormResult:
    values: dict[str, str] = field(default_factory=dict)
    outcome: Any = None  # what the save function returned


class FormDialog(ModalForm[FormResult | None]):
    """A dialog built from `FormField` specs; `save(values)` gets every value as text.

    Input ids are `form-<id>`, so a caller (or a test) can reach a field by its spec's id.
    """

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
        self.heading = title
        self.intro = intro
        self._specs = list(fields)
        self._save = save
        self.save_label = save_label + " (Ctrl+S)"
        self.threaded = threaded

    def form(self) -> ComposeResult:
        for spec in self._specs:
            yield Field(plain(spec.label), _widget(spec), field_id=spec.id)
            if spec.strength is not None:
                yield StrengthMeter(id=f"strength-{spec.id}")
            if spec.hint:
                yield Static(plain(spec.hint), classes="form-hint")

    @on(Input.Changed)
    def _rate(self, event: Input.Changed) -> None:
        spec = next((s for s in self._specs if f"form-{s.id}" == event.input.id), None)
        if spec is not None and spec.strength is not None:
            self.query_one(f"#strength-{spec.id}", StrengthMeter).show(event.value, spec.strength)

    def values(self) -> dict[str, str]:
        return {key: "" if value is None else str(value) for key, value in super().values().items()}

    def save(self, values: dict[str, Any]) -> FormResult:
        return FormResult(values, self._save(values))


def _widget(spec: FormField) -> Input | Select[str] | TextArea:
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
        return LimitedTextArea(spec.value, id=widget_id, max_length=spec.max_length, soft_wrap=True, tab_behavior="focus")
    suggester = SuggestFromList(spec.suggestions, case_sensitive=False) if spec.suggestions else None
    return Input(
        spec.value,
        id=widget_id,
        placeholder=spec.placeholder,
        password=spec.kind == "password",
        suggester=suggester,
        compact=True,
        max_length=spec.max_length,
    )
