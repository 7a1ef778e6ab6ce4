"""No keystroke lost: keys arrive as a terminal sends them, in one burst, and all are kept.

Pilot's `press` waits after every key, which hides the races a real terminal has: the
app hands each key to the focused field's queue, so Ctrl+S (a priority binding the app
runs itself) could save before the last keys reached the field, and keys typed right
after Tab or Enter could reach the field just left. `burst` posts every key at once,
as the terminal driver does after one read.
"""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import Input, TextArea

from safedesk.widgets.common import Field
from safedesk.widgets.forms import ModalForm
from tests.kit import SIZE, burst, settle


class PetForm(ModalForm[dict[str, Any]]):
    heading = "A pet"

    def form(self) -> ComposeResult:
        yield Field("Name", Input(id="in-name", compact=True), field_id="name")
        yield Field("Notes", TextArea(id="in-notes"), field_id="notes")
        yield Field("Legs", Input(id="in-legs", compact=True), field_id="legs")

    def save(self, values: dict[str, Any]) -> dict[str, Any]:
        return values


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.results: list[Any] = []

    def on_mount(self) -> None:
        self.push_screen(PetForm(), self.results.append)


async def test_ctrl_s_the_instant_typing_ends_saves_every_key() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        burst(app, "Title race 4 full text", "tab", "two lines", "tab", "4 legs", "ctrl+s")
        await settle(app, pilot)
        assert app.results == [{"name": "Title race 4 full text", "notes": "two lines", "legs": "4 legs"}]


async def test_keys_typed_straight_after_tab_and_enter_land_in_the_next_field() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        # Enter moves from the name to the notes; Tab leaves the notes; Enter in the last field saves.
        burst(app, "Rex", "enter", "calm", "tab", "4", "enter")
        await settle(app, pilot)
        assert app.results == [{"name": "Rex", "notes": "calm", "legs": "4"}]


async def test_shift_tab_goes_back_before_the_next_key() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        burst(app, "Re", "tab", "shift+tab", "x", "ctrl+s")
        await settle(app, pilot)
        # Back in the name, whose text is selected on focus (as in any form): "x" replaces it.
        assert app.results == [{"name": "x", "notes": "", "legs": ""}]
