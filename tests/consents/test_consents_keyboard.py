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


async def test_tui_every_cut_stop_reason_opens_in_full_and_the_results_scroll(store_dir):
    from textual.widgets import Input, Static

    from safedesk.app import SafeDeskApp
    from safedesk.screens.consents.check import CheckScreen
    from safedesk.store.engine.session import Session
    from safedesk.widgets.dialogs import MessageDialog
    from safedesk.widgets.row_table import RowTable
    from tests.kit import PASSPHRASE, settle

    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    # On the never-publish list: the reason is longer than its cell at 80x24.
    from safedesk.store.consents.pupils import NeverPublish, set_never_publish

    amelia = add_pupil(session, Pupil(name="Amelia Smith", year_group="6", form="6A"))
    set_never_publish(session, amelia.id, NeverPublish.LOOKED_AFTER)
    for n in range(14):
        add_pupil(session, Pupil(name=f"Pupil {n:02d} Jones", year_group="5", form="5B", mis_id=f"J{n}"))
    session.close()
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.query_one("#passphrase", Input).value = PASSPHRASE
        await pilot.press("enter")
        await settle(app, pilot)
        await app.push_screen(CheckScreen())
        await pilot.pause()
        check = app.screen
        await pilot.press(*"amelia", "enter")
        for n in range(14):
            await pilot.press(*f"pupil {n:02d}", "enter")
        await pilot.pause()
        table = check.query_one("#check-picked", RowTable)
        assert len(table.rows) == 15
        reason = table.rows[0].cells[2]
        assert len(reason) > 46 and "never-publish" in reason  # wider than its column
        await pilot.press("tab")
        assert check.focused is table  # reachable from the search box with Tab
        await pilot.press("home")
        await pilot.pause()
        assert "…" in "".join(s.text for s in table.render_line(1))  # cut on screen
        await pilot.press("pagedown", "pagedown")
        await pilot.pause()
        assert table.scroll_offset.y > 0 and table.cursor == len(table.rows) - 1  # the results scroll by keyboard
        await pilot.press("home", "enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, MessageDialog)
        body = " ".join(str(s.render()) for s in dialog.query(Static))
        assert f"STOP: {reason}" in body and "Amelia Smith" in body
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is check and check.focused is table
