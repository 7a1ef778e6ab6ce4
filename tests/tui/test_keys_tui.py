"""The keys screen (Settings, F4): add a deputy's key, relabel, remove, each through the store's own rules.

Every change is the store's function the CLI calls too, so it is audited the same way; the
screen shows each refusal beside its field (forms) or under the table (removing).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Select, Static

from safedesk.app import SafeDeskApp
from safedesk.screens.keys import AddKeyForm, ChangePassphraseForm, KeysScreen
from safedesk.screens.recovery import RecoveryKeyScreen
from safedesk.screens.settings import SettingsScreen
from safedesk.screens.unlock import slot_choices
from safedesk.store.engine.keys.slots import add_user
from safedesk.store.engine.session import Session
from safedesk.store.errors import WrongPassphrase
from safedesk.widgets.common import FittedTable
from safedesk.widgets.dialogs import ConfirmDialog
from safedesk.widgets.forms import FormDialog
from tests.kit import (
    DEPUTY_PASSPHRASE,
    PASSPHRASE,
    SIZE,
    burst,
    error_of,
    error_text,
    make_store,
    screen_text,
    settle,
    shown_errors,
    unlock,
)

SECOND = "harbour violin tulip rocket"


def _store(store_dir: Path, *deputies: tuple[str, str, str]) -> None:
    """Sam Patel's store with each (name, passphrase, label) added as a deputy."""
    session = make_store(store_dir)
    for name, passphrase, label in deputies:
        add_user(session, name, "deputy", passphrase, label=label)
    session.close()


async def _open_keys(app: SafeDeskApp, pilot: Pilot[Any]) -> KeysScreen:
    """Unlock, open Settings from home and the keys screen from there (F4)."""
    return await _open_keys_with(app, pilot, PASSPHRASE)


async def _open_keys_with(app: SafeDeskApp, pilot: Pilot[Any], passphrase: str) -> KeysScreen:
    await unlock(app, pilot, passphrase)
    await pilot.press("s")
    await settle(app, pilot)
    assert isinstance(app.screen, SettingsScreen)
    await pilot.press("f4")
    await settle(app, pilot)
    assert isinstance(app.screen, KeysScreen)
    return app.screen


async def _highlight(app: SafeDeskApp, pilot: Pilot[Any], title: str) -> None:
    table = app.screen.query_one(FittedTable)
    titles = [str(table.get_row_at(row)[0]) for row in range(table.row_count)]
    table.move_cursor(row=titles.index(title))
    await settle(app, pilot)


def _actions(store_dir: Path, passphrase: str = PASSPHRASE) -> list[str]:
    with Session.open(store_dir, passphrase) as session:
        return [entry.action for entry in session.audit.entries()]


async def test_list_shows_each_key_by_label_kind_and_date_never_a_passphrase(store_dir: Path) -> None:
    _store(store_dir, ("Jo Deputy", DEPUTY_PASSPHRASE, "paper boat"))
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _open_keys(app, pilot)
        shown = screen_text(app)
        assert "Key 1:" in shown and "Sam Patel (you)" in shown and "Recovery key" in shown
        assert "Key 2: paper boat" in shown and "Jo Deputy" in shown and "recovery key" in shown
        assert "passphrase" in shown and "/" in shown.split("Key 2: paper boat")[1].splitlines()[0]  # the date added
        assert DEPUTY_PASSPHRASE not in shown and PASSPHRASE not in shown


async def test_add_a_deputy_typed_at_once_then_they_unlock_with_it(store_dir: Path) -> None:
    _store(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _open_keys(app, pilot)
        # The opening key and everything after it in one burst, as a terminal (or password manager) sends it.
        # Tab past the role (a deputy unless chosen); Tab selects the suggested label, so the label typed replaces it.
        burst(app, "a", "Jo Deputy", "tab", "tab", "brass owl", "tab", DEPUTY_PASSPHRASE, "tab", DEPUTY_PASSPHRASE, "ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, KeysScreen)
        assert "Key 2: brass owl" in screen_text(app) and "Jo Deputy" in screen_text(app)
    with Session.open(store_dir, DEPUTY_PASSPHRASE) as deputy:
        assert deputy.user.name == "Jo Deputy" and deputy.user.role == "deputy"
        assert deputy.vault.slot.label == "brass owl"
    assert "keys.add" in _actions(store_dir)
    assert [title for title, _ in slot_choices(store_dir)][1:] == [
        "Key 1: " + _label(store_dir),
        "Recovery key",
        "Key 2: brass owl",
    ]


def _label(store_dir: Path) -> str:
    with Session.open(store_dir, PASSPHRASE) as session:
        return session.vault.slot.label


async def test_add_form_focuses_the_name_suggests_a_label_and_rates_the_passphrase(store_dir: Path) -> None:
    _store(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _open_keys(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, AddKeyForm)
        assert app.focused is form.query_one("#key-name", Input)
        assert len(form.query_one("#key-label", Input).value.split()) == 2
        assert "anyone can read it, so not a name" in screen_text(app)
        form.query_one("#key-passphrase", Input).value = "password"
        await settle(app, pilot)
        assert "Strength [" in str(form.query_one("#key-strength").render())
        # Esc after typing asks before dropping what was typed.
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmDialog)


async def test_every_add_problem_shows_beside_its_field(store_dir: Path) -> None:
    _store(store_dir, ("Jo Deputy", DEPUTY_PASSPHRASE, "paper boat"))
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _open_keys(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        form = app.screen

        def fill(name: str, label: str, passphrase: str, confirm: str) -> None:
            for field, value in (("name", name), ("label", label), ("passphrase", passphrase), ("confirm", confirm)):
                form.query_one(f"#key-{field}", Input).value = value

        fill("", "", "", "")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert error_of(app, "name") and error_of(app, "label") and error_of(app, "passphrase")
        assert error_text(app, "#form-error") == ""

        fill("jo deputy", "paper boat", "password1234", "password1234")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "already has a key slot" in error_of(app, "name")
        assert "Another key already has that label" in error_of(app, "label")
        assert "That passphrase is" in error_of(app, "passphrase")

        fill("Ann Other", "Ann's key", SECOND, SECOND + " x")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert error_of(app, "name") == "" and error_of(app, "passphrase") == ""
        assert "not a person's" in error_of(app, "label")
        assert "The two passphrases are different" in error_of(app, "confirm")
        assert isinstance(app.screen, AddKeyForm)
    with pytest.raises(WrongPassphrase):
        Session.open(store_dir, SECOND)


async def test_remove_asks_naming_the_key_and_its_passphrase_stops_opening_the_store(store_dir: Path) -> None:
    _store(store_dir, ("Jo Deputy", DEPUTY_PASSPHRASE, "paper boat"))
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _open_keys(app, pilot)
        await _highlight(app, pilot, "Key 2: paper boat")
        await pilot.press("delete")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "Remove 'Key 2: paper boat'?" in screen_text(app) and "Jo Deputy's passphrase" in screen_text(app)
        await pilot.press("escape")  # keep it
        await settle(app, pilot)
        assert "Key 2: paper boat" in screen_text(app)
        await pilot.press("delete")
        await settle(app, pilot)
        await pilot.click("#yes")
        await settle(app, pilot)
        assert isinstance(app.screen, KeysScreen)
        assert "paper boat" not in screen_text(app)
    with pytest.raises(WrongPassphrase):
        Session.open(store_dir, DEPUTY_PASSPHRASE)
    assert _actions(store_dir).count("keys.remove") == 1


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("Key 1", "This is the key you unlocked with"),
        ("Recovery key", "The recovery key is replaced, not removed"),
    ],
)
async def test_remove_refuses_the_key_in_use_and_the_recovery_key(store_dir: Path, title: str, message: str) -> None:
    _store(store_dir, ("Jo Deputy", DEPUTY_PASSPHRASE, "paper boat"))
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _open_keys(app, pilot)
        table = app.screen.query_one(FittedTable)
        titles = [str(table.get_row_at(row)[0]) for row in range(table.row_count)]
        await _highlight(app, pilot, next(t for t in titles if t.startswith(title)))
        await pilot.press("delete")
        await settle(app, pilot)
        assert isinstance(app.screen, KeysScreen)  # refused before asking
        assert message in error_text(app, "#keys-message")
        await pilot.press("a", "escape")  # the next action clears it
        await settle(app, pilot)
        assert error_text(app, "#keys-message") == ""
    assert "keys.remove" not in _actions(store_dir)


async def test_remove_refuses_the_last_passphrase(store_dir: Path) -> None:
    _store(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _open_keys(app, pilot)
        await pilot.press("d")
        await settle(app, pilot)
        assert "only passphrase that opens the store" in error_text(app, "#keys-message")
    with Session.open(store_dir, PASSPHRASE) as session:
        assert len(session.vault.header.slots) == 2


async def test_rename_a_deputy_label_refusing_a_name_beside_the_field(store_dir: Path) -> None:
    _store(store_dir, ("Jo Deputy", DEPUTY_PASSPHRASE, "paper boat"))
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _open_keys(app, pilot)
        await _highlight(app, pilot, "Key 2: paper boat")
        await pilot.press("l")
        await settle(app, pilot)
        assert isinstance(app.screen, FormDialog)
        field = app.screen.query_one("#form-label", Input)
        assert app.focused is field and field.value == "paper boat"
        field.value = "Deputy Jo"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "not a person's" in error_of(app, "label")
        field.value = "stone bridge"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, KeysScreen) and "Key 2: stone bridge" in screen_text(app)
        await _highlight(app, pilot, "Recovery key")
        await pilot.press("l")
        await settle(app, pilot)
        assert isinstance(app.screen, KeysScreen)
        assert "always called 'Recovery key'" in error_text(app, "#keys-message")
    assert "Key 2: stone bridge" in [title for title, _ in slot_choices(store_dir)]
    assert "keys.label" in _actions(store_dir)


async def test_relabelling_your_own_key_there_shows_in_settings_and_a_save_keeps_it(store_dir: Path) -> None:
    _store(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _open_keys(app, pilot)
        await pilot.press("l")
        await settle(app, pilot)
        app.screen.query_one("#form-label", Input).value = "quiet river"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, SettingsScreen)
        assert app.screen.query_one("#key-label", Input).value == "quiet river"
        assert not app.screen.changed()  # nothing of yours to discard
        await pilot.press("ctrl+s")
        await settle(app, pilot)
    assert _label(store_dir) == "quiet river"


async def test_palette_lists_the_keys_screen_once_unlocked(store_dir: Path) -> None:
    _store(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        assert not any(c.title.startswith("Keys") for c in app.get_system_commands(app.screen))
        await unlock(app, pilot)
        command = next(c for c in app.get_system_commands(app.screen) if c.title.startswith("Keys"))
        command.callback()
        await settle(app, pilot)
        assert isinstance(app.screen, KeysScreen)


async def test_home_advice_to_add_a_deputy_opens_the_keys_screen(store_dir: Path) -> None:
    _store(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        attention = app.screen.query_one("#attention", OptionList)
        index = next(
            i for i in range(attention.option_count) if "Only one person" in str(attention.get_option_at_index(i).prompt)
        )
        attention.focus()
        attention.highlighted = index
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, KeysScreen)


async def test_new_recovery_key_asks_shows_the_key_once_and_the_old_one_stops_working(store_dir: Path) -> None:
    session, old_key = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    session.close()
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _open_keys(app, pilot)
        await pilot.press("r")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmDialog) and "Replace the recovery key?" in screen_text(app)
        await pilot.click("#yes")
        await settle(app, pilot)
        assert isinstance(app.screen, RecoveryKeyScreen)
        new_key = str(app.screen.query_one("#recovery-key", Static).render())
        assert new_key != old_key
        app.screen.query_one("#recovery-confirm", Input).value = new_key[-4:]
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, KeysScreen)
    with pytest.raises(WrongPassphrase):
        Session.open(store_dir, old_key)
    with Session.open(store_dir, new_key) as rescued:
        assert rescued.user.role == "recovery"
        assert "keys.recovery" in [entry.action for entry in rescued.audit.entries()]


async def test_a_second_dsl_chosen_in_the_role_list_typed_at_once(store_dir: Path) -> None:
    _store(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _open_keys(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        role = app.screen.query_one("#key-role", Select)
        assert role.value == "deputy"  # the usual case, unless chosen
        # The role list opened, its second choice taken, and the rest typed straight after it.
        burst(app, "Kim Second", "tab", "enter", "down", "enter", "tab", "stone gate", "tab", SECOND, "tab", SECOND, "ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, KeysScreen)
        assert "Key 2: stone gate" in screen_text(app)
    with Session.open(store_dir, SECOND) as second:
        assert second.user.name == "Kim Second" and second.user.role == "dsl"
        assert second.vault.slot.role == "dsl"
        assert [entry.summary for entry in second.audit.entries() if entry.action == "keys.add"][-1].endswith("for a DSL")


NEW_PASSPHRASE = "violet anchor pebble harbour"


async def test_change_your_passphrase_typed_at_once_then_only_the_new_one_opens(store_dir: Path) -> None:
    _store(store_dir, ("Jo Deputy", DEPUTY_PASSPHRASE, "paper boat"))
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _open_keys(app, pilot)
        burst(app, "p", PASSPHRASE, "tab", NEW_PASSPHRASE, "tab", NEW_PASSPHRASE, "ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, KeysScreen), shown_errors(app)
        # The lock screen now wants the new passphrase too.
        assert app.session is not None and app.session.vault.check_passphrase(NEW_PASSPHRASE)
        assert not app.session.vault.check_passphrase(PASSPHRASE)
    with pytest.raises(WrongPassphrase):
        Session.open(store_dir, PASSPHRASE)
    with Session.open(store_dir, NEW_PASSPHRASE) as session:
        assert session.user.name == "Sam Patel" and session.user.passphrase_changed_at is not None
        assert [entry.action for entry in session.audit.entries()].count("keys.passwd") == 1
    with Session.open(store_dir, DEPUTY_PASSPHRASE) as deputy:  # only your own key changed
        assert deputy.user.name == "Jo Deputy"


async def test_change_passphrase_form_focuses_the_current_one_rates_the_new_and_guards_changes(store_dir: Path) -> None:
    _store(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _open_keys(app, pilot)
        await pilot.click("#keys-passwd-button")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, ChangePassphraseForm)
        assert app.focused is form.query_one("#passwd-current", Input)
        form.query_one("#passwd-new", Input).value = "Oak Primary 2026"
        await settle(app, pilot)
        assert "Strength [" in str(form.query_one("#passwd-strength").render())
        assert "a guesser tries those first" in str(form.query_one("#passwd-strength").render())  # the school's name
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmDialog)


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field", "message"),
    [
        ("", NEW_PASSPHRASE, NEW_PASSPHRASE, "current", "Type the passphrase you unlocked with"),
        ("wrong horse battery", NEW_PASSPHRASE, NEW_PASSPHRASE, "current", "not the passphrase you unlocked with"),
        (PASSPHRASE, "Oak Primary Sam Patel", "Oak Primary Sam Patel", "passphrase", "a guesser tries those first"),
        (PASSPHRASE, PASSPHRASE, PASSPHRASE, "passphrase", "the passphrase you have now"),
        (PASSPHRASE, NEW_PASSPHRASE, NEW_PASSPHRASE + " x", "confirm", "The two passphrases are different"),
    ],
)
async def test_each_change_passphrase_problem_shows_beside_its_field_and_nothing_changes(
    store_dir: Path, current: str, new: str, confirm: str, field: str, message: str
) -> None:
    _store(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _open_keys(app, pilot)
        await pilot.press("p")
        await settle(app, pilot)
        form = app.screen
        for widget, value in (("current", current), ("new", new), ("confirm", confirm)):
            form.query_one(f"#passwd-{widget}", Input).value = value
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, ChangePassphraseForm)
        assert message in error_of(app, field)
        assert app.focused is form.query_one(f"#passwd-{'new' if field == 'passphrase' else field}", Input)
    with Session.open(store_dir, PASSPHRASE) as session:
        assert "keys.passwd" not in [entry.action for entry in session.audit.entries()]


async def test_unlocked_with_the_recovery_key_there_is_no_passphrase_to_change(store_dir: Path) -> None:
    session, recovery = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    session.close()
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _open_keys_with(app, pilot, recovery)
        await pilot.press("p")
        await settle(app, pilot)
        assert isinstance(app.screen, KeysScreen)  # refused before asking
        assert "The recovery key has no passphrase to change" in error_text(app, "#keys-message")
