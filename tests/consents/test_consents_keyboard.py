"""The consents screens under a real keyboard at 80x24: the column-mapping dropdowns stay put
while typed into, and every STOP reason on the check screen can be read in full."""

from __future__ import annotations

import pytest

from safedesk.store.consents.pupils import Pupil, add_pupil
from safedesk.widgets.choice import match_option

KEYS = ["name", "forename", "surname", "mis_id", "website", "social_media", "print", "(ignore this column)", "event: Panto"]


@pytest.mark.parametrize(
    ("typed", "chosen"),
    [
        ("i", "(ignore this column)"),  # not "mis_id", which holds an i earlier in the list
        ("me", "social_media"),  # a word's start, not the "me" inside "name"
        ("S", "surname"),
        ("so", "social_media"),
        ("ev", "event: Panto"),
        ("pan", "event: Panto"),
        ("", None),
        ("zz", None),
    ],
)
def test_a_typed_search_matches_starts_not_middles(typed, chosen):
    index = match_option(KEYS, typed)
    assert (KEYS[index] if index is not None else None) == chosen


@pytest.fixture
def school(store_dir):  # type: ignore[no-untyped-def]
    from safedesk.store.engine.session import Session
    from tests.kit import PASSPHRASE

    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    add_pupil(session, Pupil(name="Amelia Smith", year_group="6", form="6A", mis_id="A1"))
    session.close()
    return store_dir


async def test_tui_a_mapping_dropdown_keeps_its_place_while_typed_into(school, tmp_path):
    from textual.widgets import Input, OptionList

    from safedesk.app import SafeDeskApp
    from safedesk.screens.consents.importer import ImportScreen
    from safedesk.screens.consents.pupils import ConsentsScreen
    from tests.kit import PASSPHRASE, settle

    path = tmp_path / "wide.csv"
    path.write_text("Forename,Surname,UPN,Photo Web,Extra\r\nAmelia,Smith,A1,Yes,x\r\n", encoding="utf-8")
    app = SafeDeskApp(school)
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.query_one("#passphrase", Input).value = PASSPHRASE
        await pilot.press("enter")
        await settle(app, pilot)
        await app.push_screen(ConsentsScreen())
        await pilot.pause()
        await pilot.press("i")
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        await pilot.press(*str(path), "enter")
        await settle(app, pilot)
        select = dict(screen._selects)["UPN"]
        assert select.value == "mis_id"
        select.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert select.expanded
        overlay = select.query_one(OptionList)

        def highlighted() -> str:
            return str(select._options[overlay.highlighted or 0][1])

        await pilot.press("i")
        assert highlighted() == "ignore" and select.value == "mis_id"  # moved, not chosen
        await pilot.press("backspace", "m", "e")
        assert highlighted() == "social_media"
        await pilot.press("q")  # matches nothing: ignored, the highlight stays
        assert highlighted() == "social_media" and select.expanded
        assert isinstance(app.screen, ImportScreen)  # no letter reached a binding
        await pilot.press("backspace", "backspace", "backspace", "w")
        assert highlighted() == "website"
        await pilot.press("escape")
        await pilot.pause()
        assert not select.expanded and select.value == "mis_id"  # Esc chooses nothing
        await pilot.press("enter", "i", "enter")
        await settle(app, pilot)
        assert select.value == "ignore"
