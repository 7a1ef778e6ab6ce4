"""Setup asks what the unlock screen calls your key; the unlock screen lists keys by label, never by name."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Select

from safedesk.app import SafeDeskApp
from safedesk.router import open_screen
from safedesk.screens.recovery import RecoveryKeyScreen
from safedesk.screens.setup import SetupScreen
from safedesk.screens.unlock import slot_choices
from safedesk.store.engine.keys.slots import add_user
from safedesk.store.engine.session import Session
from safedesk.store.text.limits import Kind, limit
from tests.kit import DEPUTY_PASSPHRASE, PASSPHRASE, SIZE, error_text, make_store, settle, unlock


async def test_setup_offers_a_label_refuses_a_name_and_stores_the_one_chosen(store_dir: Path) -> None:
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, SetupScreen)
        label = app.screen.query_one("#key-label", Input)
        assert len(label.value.split()) == 2  # two random words to start from
        assert "not your name" in app.screen.query_one("#field-label").query_one("Label").render().plain
        app.screen.query_one("#setting-name", Input).value = "Oak Primary"
        app.screen.query_one("#user-name", Input).value = "Sam Patel"
        app.screen.query_one("#passphrase", Input).value = PASSPHRASE
        app.screen.query_one("#confirm", Input).value = PASSPHRASE
        label.value = "Sam's key"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "not a person's" in error_text(app, "#error-label")
        assert isinstance(app.screen, SetupScreen)
        label.value = "violet lantern"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, RecoveryKeyScreen)
    with Session.open(store_dir, PASSPHRASE) as session:
        assert session.vault.slot.label == "violet lantern"
        add_user(session, "Jo Deputy", "deputy", DEPUTY_PASSPHRASE, label="amber compass")

    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        select = app.screen.query_one("#slot", Select)
        titles = [str(prompt) for prompt, _ in select._options]
        assert titles == ["Anyone: try each key", "Key 1: violet lantern", "Recovery key", "Key 2: amber compass"]
        select.focus()
        await pilot.press("enter")  # the list opens: the deputy picks their own key by its label
        await settle(app, pilot)
        await pilot.press("end", "enter")
        await settle(app, pilot)
        assert select.value == session.vault.header.slots[-1].id
        app.screen.query_one("#passphrase", Input).value = DEPUTY_PASSPHRASE
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.session is not None and app.session.user.name == "Jo Deputy"


async def test_settings_change_your_key_label_and_refuse_a_name(store_dir: Path) -> None:
    make_store(store_dir).close()
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        open_screen(app, "settings")
        await settle(app, pilot)
        field = app.screen.query_one("#key-label", Input)
        assert field.value and field.max_length == limit(Kind.NAME)
        field.value = "Patel teapot"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "not a person's" in error_text(app, "#error-label")
        field.value = "red pebble"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.session is not None and app.session.vault.slot.label == "red pebble"
    assert [title for title, _ in slot_choices(store_dir)][1] == "Key 1: red pebble"
