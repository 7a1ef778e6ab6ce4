"""The app shell driven with Pilot: setup, unlock, lock, idle lock, help, markup safety."""

from __future__ import annotations

import gc
import time

import pytest
from textual.widgets import Input

from safedesk.app import SafeDeskApp
from safedesk.screens.home import HomeScreen
from safedesk.screens.lock import LockScreen
from safedesk.screens.recovery import RecoveryKeyScreen
from safedesk.screens.setup import SetupScreen
from safedesk.screens.unlock import UnlockScreen
from safedesk.store.engine.session import Session
from safedesk.store.engine.vault import STORE_FILE, store_exists
from tests.kit import PASSPHRASE, SIZE, error_text, record_notifications, settle, unlock


def make_store(store_dir, name: str = "Oak Primary") -> None:  # type: ignore[no-untyped-def]
    Session.create(store_dir, name, "Sam Patel", PASSPHRASE)[0].close()


async def test_first_run_setup_shows_errors_by_fields_then_recovery_key(store_dir):
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, SetupScreen)
        await pilot.press("ctrl+s")
        assert "name of your school" in error_text(app, "#error-setting")
        assert "person's name" in error_text(app, "#error-user")
        assert "at least 10" in error_text(app, "#error-passphrase")

        await pilot.press(*"Oak Primary", "enter", *"Sam Patel", "enter", *"password1")
        assert "very weak" in str(app.screen.query_one("#strength").render())
        app.screen.query_one("#passphrase", Input).value = PASSPHRASE
        app.screen.query_one("#confirm", Input).value = PASSPHRASE + "x"
        await pilot.press("ctrl+s")
        assert "different" in error_text(app, "#error-confirm") and error_text(app, "#error-passphrase") == ""

        app.screen.query_one("#confirm", Input).value = PASSPHRASE
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, RecoveryKeyScreen)
        key = str(app.screen.query_one("#recovery-key").render()).strip()
        await pilot.press(*"ZZZZ", "enter")
        assert "not the last group" in error_text(app, "#error-confirm")
        app.screen.query_one("#recovery-confirm", Input).value = key[-4:].lower()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert app.session is not None and app.session.user.name == "Sam Patel"
    assert store_exists(store_dir)
    with Session.open(store_dir, key) as rescued:  # the key shown really opens the store
        assert rescued.user.role == "recovery"


async def test_unlock_wrong_then_right_and_failed_attempts_reported(store_dir, monkeypatch):
    make_store(store_dir)
    app = SafeDeskApp(store_dir)
    seen = record_notifications(app, monkeypatch)  # a toast expires: on a busy machine it could be gone before we look
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, UnlockScreen)
        await unlock(app, pilot, "not my passphrase")
        assert "Wrong passphrase" in error_text(app, "#error-passphrase")
        assert app.screen.query_one("#passphrase", Input).value == ""
        await unlock(app, pilot)
        assert isinstance(app.screen, HomeScreen)
        assert any("1 failed unlock attempt" in n for n in seen)


async def test_exports_made_while_open_elsewhere_are_reported_apart_from_failed_unlocks(store_dir, monkeypatch):
    make_store(store_dir)
    with Session.open(store_dir, PASSPHRASE, read_only=True) as reader:  # as an export command beside the app
        reader.exports_sealed = True
        reader.audit_event("export.report", "audit report exported (Markdown)")
    app = SafeDeskApp(store_dir)
    seen = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        assert isinstance(app.screen, HomeScreen)
        assert any("1 export(s) made while SafeDesk was open elsewhere" in n for n in seen)
        assert not any("failed unlock" in n for n in seen)


async def test_unlock_choosing_a_slot_and_guide_without_passphrase(store_dir):
    make_store(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        from textual.widgets import Select

        select = app.screen.query_one("#slot", Select)
        labels = [str(prompt) for prompt, _ in select._options]
        # The label the key was given and the recovery key: no names before unlock.
        assert labels[1].startswith("Key 1: ") and labels[2:] == ["Recovery key"]
        assert not any("Sam" in label or "Patel" in label for label in labels)
        await pilot.press("ctrl+g")
        from safedesk.screens.guide import GuideScreen

        assert isinstance(app.screen, GuideScreen) and app.session is None
        await pilot.press("escape")
        assert isinstance(app.screen, UnlockScreen)


async def test_damaged_store_offers_the_backup(store_dir):
    from safedesk.store.engine.session import OpenOptions
    from tests.kit import Note

    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE, OpenOptions(compact_bytes=512))
    for i in range(12):
        session.repo(Note).add(Note(title=f"n{i}"))
    session.close()
    path = store_dir / STORE_FILE
    raw = bytearray(path.read_bytes())
    raw[-5] ^= 1
    path.write_bytes(bytes(raw))
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        assert "failed its integrity check" in error_text(app, "#form-error")
        assert app.screen.query_one("#use-backup").display
        await pilot.click("#use-backup")
        await settle(app, pilot)
        assert isinstance(app.screen, HomeScreen)
    assert list(store_dir.glob("*.damaged-*"))


async def test_lock_now_blanks_and_keeps_unsaved_typing(store_dir):
    make_store(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        await pilot.press("ctrl+g", "slash", *"half typed")
        guide = app.screen
        await pilot.press("ctrl+l")
        assert isinstance(app.screen, LockScreen)
        await pilot.press("ctrl+t", "ctrl+g", "ctrl+p", "escape")
        assert isinstance(app.screen, LockScreen)  # nothing opens over the lock
        await pilot.press(*"wrong words here", "enter")
        await settle(app, pilot)
        assert "does not open" in error_text(app, "#error-passphrase")
        await pilot.press(*PASSPHRASE, "enter")
        await settle(app, pilot)
        assert app.screen is guide
        assert guide.query_one("#guide-query", Input).value == "half typed"


async def test_idle_lock_uses_wall_clock(store_dir, monkeypatch):
    make_store(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        app.lock_if_idle()
        assert isinstance(app.screen, HomeScreen)
        later = time.time() + 5 * 60 + 1  # as after a laptop's sleep: the wall clock moved on
        monkeypatch.setattr(time, "time", lambda: later)
        app.lock_if_idle()
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)


async def test_markup_in_user_text_is_shown_as_text(store_dir):
    hostile = "[@click=app.quit]Oak[/] [bold"
    make_store(store_dir, hostile)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        status = str(app.screen.query_one("#home-status").render())
        assert hostile in status
        await pilot.click("#home-status")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, HomeScreen)


async def test_help_lists_this_screens_keys(store_dir):
    make_store(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        await pilot.press("f1")
        from textual.widgets import DataTable

        table = app.screen.query_one(DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        descriptions = " ".join(str(r[1]) for r in rows)
        assert "Blank the screen now" in descriptions and "Check the store" in descriptions
        assert str(rows[0][1]) != "Up"  # SafeDesk's keys first
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_verify_from_home(store_dir):
    make_store(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        await pilot.press("v")
        await settle(app, pilot)
        from safedesk.widgets.dialogs import MessageDialog

        assert isinstance(app.screen, MessageDialog)
        assert "no faults found" in str(app.screen.query_one("VerticalScroll Static").render())


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_home_fits_common_terminal_sizes(store_dir, size):
    make_store(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=size) as pilot:
        await unlock(app, pilot)
        attention = app.screen.query_one("#attention")
        assert attention.region.height >= 5 and attention.region.right <= size[0]
        assert app.screen.query_one("#start-panel").region.right <= size[0]


async def test_settings_change_theme_contacts_and_idle_time(store_dir):
    make_store(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        await pilot.press("s")
        app.screen.query_one("#idle_lock_minutes", Input).value = "99"
        await pilot.press("ctrl+s")
        assert "between 1 and 60" in error_text(app, "#error-idle_lock_minutes")
        app.screen.query_one("#idle_lock_minutes", Input).value = "2"
        app.screen.query_one("#lado", Input).value = "LADO duty desk [@click=app.quit]x 01234 567890"
        from textual.widgets import Select

        app.screen.query_one("#theme", Select).value = "safedesk-high-contrast"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert app.theme == "safedesk-high-contrast" and app.idle_minutes == 2
        await pilot.press("g")
        await pilot.pause()
        app.screen.open_card("ref-contacts")
        await pilot.pause()
        from safedesk.widgets.card_view import CardView

        shown = " ".join(app.screen.query_one(CardView).plain_text().split())
        assert "LADO duty desk [@click=app.quit]x 01234 567890" in shown
    with Session.open(store_dir, PASSPHRASE) as session:
        assert session.setting().contacts["lado"].startswith("LADO duty desk")


async def test_the_cycle_collector_held_for_start_up_is_back_once_the_first_frame_is_drawn(store_dir, monkeypatch):
    # safedesk.launch turns the collector off before importing Textual (its collections were ~35 ms
    # of the guide's first paint); the app turns it back on, start-up frozen, after its first frame.
    from safedesk.screens.guide import GuideScreen

    while_building: list[bool] = []
    mount = GuideScreen.on_mount
    monkeypatch.setattr(GuideScreen, "on_mount", lambda self: while_building.append(gc.isenabled()) or mount(self))
    gc.disable()
    try:
        app = SafeDeskApp(store_dir, start="guide", collector_held=True)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert while_building == [False]
            assert gc.isenabled() and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # this test process lives on: let its collections see those objects again
        gc.enable()


def test_the_app_started_from_the_command_line_holds_the_collector(store_dir, monkeypatch):
    from safedesk import launch

    held: list[tuple[bool, bool]] = []

    def run(self: SafeDeskApp) -> None:  # instead of taking over the terminal
        held.append((gc.isenabled(), self._collector_held))
        raise RuntimeError("stopped before its first frame")

    monkeypatch.setattr(SafeDeskApp, "run", run)
    with pytest.raises(RuntimeError):
        launch.run_app(store_dir, start="guide")
    assert held == [(False, True)] and gc.isenabled()  # back on, though no frame was drawn
