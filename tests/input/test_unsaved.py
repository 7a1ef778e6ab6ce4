"""Nothing unsaved is dropped without asking: quit asks, locking keeps the typing, and an
unconfirmed recovery key is brought back on every unlock until it is confirmed."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from safedesk.app import SafeDeskApp
from safedesk.router import open_screen
from safedesk.screens.home import HomeScreen
from safedesk.screens.incidents.form import IncidentFormScreen
from safedesk.screens.lock import LockScreen
from safedesk.screens.recovery import RecoveryKeyScreen
from safedesk.screens.setup import SetupScreen
from safedesk.store.engine.keys.slots import recovery_key_unconfirmed
from safedesk.store.engine.session import Session
from safedesk.widgets.dialogs import ConfirmDialog
from tests.kit import PASSPHRASE, SIZE, make_store, screen_text, settle, unlock, unlock_again


async def _incident_form_with_a_title(app: SafeDeskApp, pilot) -> IncidentFormScreen:  # type: ignore[no-untyped-def]
    await unlock(app, pilot)
    open_screen(app, "incident-form")
    await pilot.pause()
    await pilot.press(*"Half-written title")
    form = app.screen
    assert isinstance(form, IncidentFormScreen)
    return form


async def test_quit_on_a_form_with_changes_asks_and_keep_editing_keeps_it(store_dir: Path) -> None:
    make_store(store_dir).close()
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        form = await _incident_form_with_a_title(app, pilot)
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, ConfirmDialog) and "Quit and discard" in screen_text(app)
        await pilot.press("ctrl+q")  # asked once, not twice
        await pilot.press("escape")  # Esc in the question: keep editing
        assert app.is_running and app.screen is form
        assert form.query_one("#title", Input).value == "Half-written title"

        # Quit from the palette asks too; yes quits.
        app.action_guide()
        await pilot.pause()
        await app.action_quit()  # the form is under the guidance now: it still counts
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#yes")
        await pilot.pause()
    assert app.return_code == 0 and not app.is_running


async def test_quit_without_changes_quits_at_once(store_dir: Path) -> None:
    make_store(store_dir).close()
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        open_screen(app, "incident-form")
        await pilot.pause()
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running


async def test_lock_now_and_idle_lock_keep_what_was_typed_in_a_form(store_dir: Path) -> None:
    make_store(store_dir).close()
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        form = await _incident_form_with_a_title(app, pilot)
        await pilot.press("ctrl+l")
        assert isinstance(app.screen, LockScreen)
        await unlock_again(app, pilot)
        assert app.screen is form and form.query_one("#title", Input).value == "Half-written title"

        await pilot.press(*" and more")
        app.last_activity = 0  # idle since 1970
        app.lock_if_idle()
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        await unlock_again(app, pilot)
        assert app.screen is form and form.query_one("#title", Input).value == "Half-written title and more"


async def _set_up_and_quit_on_the_recovery_key(store_dir: Path) -> None:
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, SetupScreen)
        for field_id, value in {"setting-name": "Oak Primary", "user-name": "Sam Patel", "passphrase": PASSPHRASE}.items():
            app.screen.query_one(f"#{field_id}", Input).value = value
        app.screen.query_one("#confirm", Input).value = PASSPHRASE
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, RecoveryKeyScreen)
        await pilot.press("ctrl+q")  # quit before confirming the key
        await pilot.pause()
    assert not app.is_running


async def test_an_unconfirmed_recovery_key_is_reminded_until_a_new_one_is_confirmed(store_dir: Path) -> None:
    await _set_up_and_quit_on_the_recovery_key(store_dir)
    with Session.open(store_dir, PASSPHRASE) as session:
        assert recovery_key_unconfirmed(session)

    # Next unlock: reminded; "Later" leaves it for the unlock after.
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        assert isinstance(app.screen, ConfirmDialog) and "never confirmed" in screen_text(app)
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)

    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#yes")  # make a new key
        await settle(app, pilot)
        assert isinstance(app.screen, RecoveryKeyScreen)
        key = str(app.screen.query_one("#recovery-key").render()).strip()
        app.screen.query_one("#recovery-confirm", Input).value = key[-4:]
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)

    with Session.open(store_dir, key) as rescued:  # the new key opens the store, and is confirmed
        assert rescued.user.role == "recovery" and not recovery_key_unconfirmed(rescued)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        assert isinstance(app.screen, HomeScreen)  # no more reminder
