"""The key footer (safedesk.widgets.footer): one widget, Textual's look, and what a person
does with it: read the keys from the first frame, click one, hover one for its tooltip."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from safedesk.widgets.footer import Footer
from tests.kit import SIZE, screen_text


class Keys(App[None]):
    BINDINGS = [
        Binding("s", "say('saved')", "Save", tooltip="Save the form"),
        Binding("x", "say('gone')", "Delete", tooltip="Delete it"),
        Binding("h", "say('hidden')", "Hidden", show=False),
        Binding("t", "say('again')", "Also save"),
    ]
    said: list[str]

    def compose(self) -> ComposeResult:
        yield Static("body")
        yield Footer()

    def on_mount(self) -> None:
        self.said = []

    def action_say(self, what: str) -> None:
        self.said.append(what)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if parameters == ("gone",) else True  # None: shown, dimmed, and not run


def footer_x(app: App[object], label: str) -> int:
    """The column a label starts at on the footer's line."""
    return screen_text(app).splitlines()[-1].index(label)


async def test_the_keys_are_in_the_first_frame(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The first time the footer is drawn is the first frame: Textual's footer was empty there.
    drawn: list[str] = []
    render = Footer.render
    monkeypatch.setattr(Footer, "render", lambda self: drawn.append(render(self).plain) or render(self))
    async with Keys().run_test(size=SIZE):
        pass
    assert drawn and "Save" in drawn[0] and "Delete" in drawn[0] and "palette" in drawn[0]


async def test_each_action_once_shown_keys_only_the_palette_on_the_right() -> None:
    app = Keys()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        footer = app.query_one(Footer)
        assert [k.key for k in footer.keys] == ["s", "x", "t", "ctrl+p"]
        line = screen_text(app).splitlines()[-1]
        assert line.startswith(" s Save  x Delete  t Also save ") and "Hidden" not in line
        assert line.rstrip().endswith("▏^p palette") and len(line) == SIZE[0]


async def test_clicking_a_key_runs_it_and_a_disabled_one_rings_the_bell() -> None:
    app = Keys()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.click(Footer, offset=(footer_x(app, "Save"), 0))
        await pilot.pause()
        assert app.said == ["saved"]
        rang: list[bool] = []
        app.bell = lambda: rang.append(True)  # type: ignore[method-assign]
        await pilot.click(Footer, offset=(footer_x(app, "Delete"), 0))
        await pilot.pause()
        assert app.said == ["saved"] and rang == [True]
        await pilot.click(Footer, offset=(footer_x(app, "palette"), 0))
        await pilot.pause()
        assert type(app.screen).__name__ == "CommandPalette"


async def test_the_key_under_the_mouse_is_highlighted_with_its_tooltip() -> None:
    app = Keys()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        footer = app.query_one(Footer)
        plain = footer.render()
        await pilot.hover(Footer, offset=(footer_x(app, "Save"), 0))
        await pilot.pause()
        assert footer.tooltip == "Save the form"
        hovered = footer.render()
        assert hovered.plain == plain.plain and hovered.spans != plain.spans  # the same text, another look
        await pilot.hover(Static)
        await pilot.pause()
        assert footer.tooltip is None and footer.render().spans == plain.spans
