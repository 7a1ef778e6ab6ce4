"""The one form framework, driven with Pilot on a small form of its own.

Each test names one rule of `safedesk.widgets.forms.Form`: the first field focused
with no keystroke lost, errors beside their field and cleared when it changes, the
unsaved-changes guard (and that its question never loops), and the one way to save;
then the same rules for a threaded save and for the paged variant.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Select, TextArea

from safedesk.store.errors import InvalidInput
from safedesk.widgets.common import Field, FieldError
from safedesk.widgets.dialogs import ConfirmDialog
from safedesk.widgets.forms import ModalForm
from safedesk.widgets.paged import PagedForm
from tests.kit import settle

SIZE = (80, 24)


class PetForm(ModalForm[dict[str, Any]]):
    heading = "A pet"

    def __init__(self, name: str = "") -> None:
        super().__init__()
        self._name = name
        self.attempts: list[dict[str, Any]] = []

    def form(self) -> ComposeResult:
        yield Field("Name", Input(self._name, id="in-name", compact=True), field_id="name")
        yield Field("Notes", TextArea(id="in-notes"), field_id="notes")
        yield Field("Legs", Input(id="in-legs", compact=True), field_id="legs")

    def save(self, values: dict[str, Any]) -> dict[str, Any]:
        self.attempts.append(values)
        if not values["name"].strip():
            raise InvalidInput("Give the pet a name.", "name")
        if not values["legs"].isdigit():
            raise InvalidInput("Type the number of legs.", "legs")
        return values


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.results: list[Any] = []

    def open(self, form: PetForm) -> None:
        self.push_screen(form, self.results.append)


def error_of(form: PetForm, field_id: str) -> str:
    error = form.query_one(f"#error-{field_id}", FieldError)
    return str(error.render()) if error.shown else ""


async def test_first_field_focused_and_keys_typed_straight_after_opening_are_kept():
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        form = PetForm()
        app.open(form)
        await pilot.press(*"Rex")  # no pause between opening and typing
        assert form.query_one("#in-name", Input).value == "Rex"
        assert app.focused is form.query_one("#in-name")


async def test_error_beside_its_field_focuses_it_and_clears_when_the_field_changes():
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        form = PetForm("Rex")
        app.open(form)
        await pilot.pause()
        await pilot.press("ctrl+s")
        assert error_of(form, "legs") == "! Type the number of legs."
        assert error_of(form, "name") == "" and app.focused is form.query_one("#in-legs")
        assert app.screen is form and app.results == []
        await pilot.press("4")
        assert error_of(form, "legs") == ""


async def test_error_stays_while_another_field_changes():
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        form = PetForm("Rex")
        app.open(form)
        await pilot.pause()
        await pilot.press("ctrl+s")
        form.query_one("#in-name", Input).value = "Rexy"
        await pilot.pause()
        assert error_of(form, "legs") == "! Type the number of legs."


async def test_ctrl_s_saves_the_values_and_closes_with_the_result():
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        form = PetForm("Rex")
        app.open(form)
        await pilot.pause()
        form.query_one("#in-legs", Input).value = "4"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.results == [{"name": "Rex", "notes": "", "legs": "4"}]
        assert app.screen is not form


async def test_enter_moves_to_the_next_field_and_saves_from_the_last_one():
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        form = PetForm()
        app.open(form)
        await pilot.press(*"Rex", "enter")
        assert app.focused is form.query_one("#in-notes") and form.attempts == []
        form.query_one("#in-legs", Input).focus()
        await pilot.press("4", "enter")
        assert app.results == [{"name": "Rex", "notes": "", "legs": "4"}]


async def test_escape_without_changes_closes_at_once():
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        form = PetForm("Rex")
        app.open(form)
        await pilot.pause()
        await pilot.press("escape")
        assert app.results == [None] and not isinstance(app.screen, ConfirmDialog)


async def test_escape_with_changes_asks_and_keep_editing_keeps_the_values():
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        form = PetForm()
        app.open(form)
        await pilot.press(*"Rex", "escape")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("enter")  # the focused answer is Keep editing
        assert app.screen is form and app.results == []
        assert form.query_one("#in-name", Input).value == "Rex"


async def test_escape_in_the_question_goes_back_to_the_form_and_never_loops():
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        form = PetForm()
        app.open(form)
        await pilot.press(*"Rex", "escape")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")
        assert app.screen is form and app.results == []
        assert len(app.screen_stack) == 2  # the question is gone, not asked again
        await pilot.press("escape", "tab", "enter")  # asked again only when asked for; Discard leaves
        assert app.results == [None] and app.screen is not form and len(app.screen_stack) == 1


async def test_discard_leaves_without_saving():
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        form = PetForm()
        app.open(form)
        await pilot.press(*"Rex", "escape")
        await pilot.click("#yes")
        assert app.results == [None] and form.attempts == []


class SlowPetForm(PetForm):
    threaded = True  # as the evidence and handover forms: save runs in a worker thread


async def test_threaded_save_shows_its_error_beside_the_field_then_saves():
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        form = SlowPetForm("Rex")
        app.open(form)
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert error_of(form, "legs") == "! Type the number of legs." and app.focused is form.query_one("#in-legs")
        assert not form.query_one("#form-save-button").disabled
        await pilot.press("4", "ctrl+s")
        await settle(app, pilot)
        assert app.results == [{"name": "Rex", "notes": "", "legs": "4"}]


class TwoPages(PagedForm):
    heading = "Two pages"

    def __init__(self) -> None:
        super().__init__()
        self.stored: list[dict[str, str]] = []

    def load(self) -> dict[str, str]:
        return {"colour": "", "food": ""}

    def page_titles(self) -> list[str]:
        return ["Looks", "Diet"]

    def page_of(self, field_key: str) -> int | None:
        return {"colour": 0, "food": 1}.get(field_key)

    def page_widgets(self, page: int) -> list[Widget]:
        name = ["colour", "food"][page]
        widget = Input(self._answers.get(name, ""), id=self.new_widget_id(), compact=True)
        self._widgets[name] = widget
        self._fields[name] = Field(name.capitalize(), widget, field_id=name)
        return [self._fields[name]]

    def save_all(self, values: dict[str, str]) -> str:
        if not values["food"].strip():
            raise InvalidInput("Say what it eats.", "food")
        self.stored.append(values)
        return "Saved."


async def test_paged_form_keeps_early_keys_opens_the_refused_page_and_guards_changes():
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        form = TwoPages()
        app.push_screen(form, app.results.append)
        await pilot.press(*"brown")  # no pause between opening and typing
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        food = form._widgets["food"]
        assert app.focused is food and error_of(form, "food") == "! Say what it eats."  # page 2 opened for the error
        await pilot.press("f")
        assert error_of(form, "food") == ""
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")
        assert app.screen is form and form._widgets["food"].value == "f"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert form.stored == [{"colour": "brown", "food": "f"}] and app.results == [True]


async def test_a_key_that_reached_the_screen_while_opening_goes_to_the_first_field():
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        form = PetForm()
        app.open(form)
        await pilot.pause()
        # What the app does with a key that arrives before anything on the new screen has the focus.
        form.post_message(events.Key("x", "x"))
        await pilot.pause()
        assert form.query_one("#in-name", Input).value == "x"
        await pilot.press("y")  # typed normally: once, not twice
        assert form.query_one("#in-name", Input).value == "xy"


class TallForm(ModalForm[None]):
    """More fields than the dialog shows, the first a Select: Textual's auto-focus scrolled it to the centre."""

    heading = "A tall form"

    def form(self) -> ComposeResult:
        yield Field("Kind", Select([("Cat", "cat"), ("Dog", "dog")], value="cat", compact=True), field_id="kind")
        for n in range(8):
            yield Field(f"Line {n}", TextArea(compact=True), field_id=f"line{n}")


async def test_a_form_opens_at_its_top_with_the_first_label_shown():
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        form = TallForm()
        app.push_screen(form)
        await settle(app, pilot)
        assert form.query_one(".form-body", VerticalScroll).scroll_y == 0
        label = form.query_one("#field-kind Label")
        assert form.query_one(".form-body").region.contains_region(label.region)
        assert app.focused is form.query_one("#field-kind Select")


def test_ctrl_s_saves_every_form_whatever_else_its_screen_binds():
    """A class's bindings for a key replace its base's: a form binding Ctrl+S to something else
    (the handover import's Import) must bind it to save too, or Ctrl+S after typing does nothing."""
    import importlib
    import pkgutil

    import safedesk.screens
    from safedesk.widgets.forms import Form

    for module in pkgutil.walk_packages(safedesk.screens.__path__, "safedesk.screens."):
        importlib.import_module(module.name)

    def subclasses(cls: type) -> list[type]:
        return [c for sub in cls.__subclasses__() for c in (sub, *subclasses(sub))]

    forms = subclasses(Form)
    assert len(forms) > 30  # every screen module was imported
    for form in forms:
        actions = [b.action for b in form._merge_bindings().key_to_bindings.get("ctrl+s", [])]
        assert "save" in actions, (form.__name__, actions)
