"""Secrets on screen with Pilot at 80x24: masked, revealed briefly, copied briefly, generated,
changed with a reason, history after a confirmation; hidden again by the lock screen and
idle lock; and one distinctive secret searched for everywhere it must never be."""

from __future__ import annotations

import time
from pathlib import Path

from click.testing import CliRunner
from textual.widgets import Input, Select, Static

import safedesk.screens.accounts.secrets as secrets_ui
from safedesk.app import SafeDeskApp
from safedesk.screens.accounts.credentials import (
    ChangePasswordForm,
    CredentialForm,
    CredentialScreen,
    GeneratorDialog,
    HistoryDialog,
)
from safedesk.screens.accounts.secrets import MASK, SecretView
from safedesk.screens.lock import LockScreen
from safedesk.store.accounts.register import ChangeReason, Register
from safedesk.store.engine.session import Session
from safedesk.widgets.dialogs import ConfirmDialog
from tests.kit import (
    NEW_SECRET,
    PASSPHRASE,
    SECRET,
    SIZE,
    error_of,
    open_credential,
    record_notifications,
    seed_accounts,
    text_of,
    unlock_again,
)

# --------------------------------------------------------------------- credentials


class Timers:
    """The reveal and clipboard timers, captured so a test fires them instead of waiting."""

    class Timer:
        def __init__(self, delay: float, callback, name: str) -> None:  # type: ignore[no-untyped-def]
            self.delay, self.callback, self.name, self.stopped = delay, callback, name, False

        def stop(self) -> None:
            self.stopped = True

    def __init__(self, monkeypatch, app) -> None:  # type: ignore[no-untyped-def]
        self.started: list[Timers.Timer] = []
        original = app.set_timer

        def widget_timer(widget, delay, callback=None, *, name=None, pause=False):  # type: ignore[no-untyped-def]
            return self._start(delay, callback, name or "")

        def app_timer(delay, callback=None, *, name=None, pause=False):  # type: ignore[no-untyped-def]
            if name != "clear-clipboard":
                return original(delay, callback, name=name, pause=pause)
            return self._start(delay, callback, name)

        monkeypatch.setattr(SecretView, "set_timer", widget_timer)
        monkeypatch.setattr(app, "set_timer", app_timer)

    def _start(self, delay: float, callback, name: str) -> Timer:  # type: ignore[no-untyped-def]
        timer = Timers.Timer(delay, callback, name)
        self.started.append(timer)
        return timer

    def pending(self, name: str) -> list[Timer]:
        return [t for t in self.started if t.name == name and not t.stopped]

    def fire(self, name: str) -> None:
        for timer in self.pending(name):
            timer.stopped = True
            timer.callback()


async def test_password_is_masked_revealed_on_a_key_and_hides_itself(store_dir, monkeypatch):
    seed_accounts(store_dir)
    app = SafeDeskApp(store_dir)
    timers = Timers(monkeypatch, app)
    async with app.run_test(size=SIZE) as pilot:
        await open_credential(app, pilot)
        view = app.screen.query_one("#cred-password", SecretView)
        assert MASK in str(view.render()) and SECRET not in str(view.render())
        await pilot.press("r")
        assert str(view.render()) == SECRET  # markup in it is shown as text
        assert [t.delay for t in timers.pending("auto-hide")] == [secrets_ui.REVEAL_SECONDS] == [30.0]
        timers.fire("auto-hide")
        await pilot.pause()
        assert not view.revealed and SECRET not in str(view.render())
        await pilot.press("r", "r")  # a second press hides it at once, and stops the timer
        assert not view.revealed and timers.pending("auto-hide") == []
        assert app.is_running


async def test_copy_clears_the_clipboard_after_a_while_unless_something_else_was_copied(store_dir, monkeypatch):
    seed_accounts(store_dir)
    app = SafeDeskApp(store_dir)
    timers = Timers(monkeypatch, app)
    seen = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await open_credential(app, pilot)
        await pilot.press("c")
        assert app.clipboard == SECRET
        assert any("Password copied" in n and "20 seconds" in n for n in seen)
        assert [t.delay for t in timers.pending("clear-clipboard")] == [secrets_ui.CLEAR_SECONDS] == [20.0]
        timers.fire("clear-clipboard")
        assert app.clipboard == secrets_ui.BLANK

        await pilot.press("c")
        app.copy_to_clipboard("something the user copied later")
        timers.fire("clear-clipboard")
        assert app.clipboard == "something the user copied later"  # never wiped
        await pilot.press("u")
        assert app.clipboard == "office@oak.sch.uk"
        assert not any(SECRET in n for n in seen)


async def test_quitting_clears_a_copied_secret(store_dir):
    seed_accounts(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await open_credential(app, pilot)
        await pilot.press("c")
        assert app.clipboard == SECRET
        await pilot.press("ctrl+q")  # the Quit key, well before the 20-second timer
    assert app.return_code == 0 and app.clipboard == secrets_ui.BLANK


async def test_clipboard_unavailable_is_explained_not_a_crash(store_dir, monkeypatch):
    seed_accounts(store_dir)
    app = SafeDeskApp(store_dir)
    seen = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await open_credential(app, pilot)

        def broken(text: str) -> None:
            raise OSError("terminal went away")

        monkeypatch.setattr(app, "copy_to_clipboard", broken)
        await pilot.press("c")
        assert any("Cannot copy the password: the terminal refused" in n for n in seen)
        monkeypatch.setenv("TERM_PROGRAM", "Apple_Terminal")
        await pilot.press("c")
        assert any("macOS Terminal ignores copy requests" in n for n in seen)
        assert app.is_running and isinstance(app.screen, CredentialScreen)
        assert not any(SECRET in n for n in seen)


async def test_lock_while_revealed_hides_the_secret_and_clears_the_clipboard(store_dir):
    seed_accounts(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_credential(app, pilot)
        await pilot.press("c", "r")
        view = screen.query_one("#cred-password", SecretView)
        assert view.revealed
        await pilot.press("ctrl+l")
        assert isinstance(app.screen, LockScreen)
        assert not view.revealed and SECRET not in str(view.render())
        assert app.clipboard == secrets_ui.BLANK  # cleared at once, not 20 s later
        await unlock_again(app, pilot)
        assert app.screen is screen and not view.revealed and SECRET not in str(view.render())


async def test_idle_auto_lock_while_revealed(store_dir, monkeypatch):
    seed_accounts(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_credential(app, pilot)
        await pilot.press("r")
        later = time.time() + 60 * 60
        monkeypatch.setattr(time, "time", lambda: later)
        app.lock_if_idle()
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        await unlock_again(app, pilot)
        view = screen.query_one("#cred-password", SecretView)
        assert app.screen is screen and not view.revealed


async def test_lock_while_typing_a_new_password_masks_it_again(store_dir):
    seed_accounts(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await open_credential(app, pilot)
        await pilot.press("e", "f2", "f3")  # editing details: no password field, so these keys do nothing
        assert isinstance(app.screen, CredentialForm) and app.is_running
        await pilot.press("escape")
        await pilot.press("o")
        form = app.screen
        assert isinstance(form, ChangePasswordForm)
        field = form.query_one("#in-password", Input)
        field.value = NEW_SECRET
        await pilot.press("f3")
        assert not field.password  # shown while typing
        await pilot.press("ctrl+l")
        await unlock_again(app, pilot)
        assert app.screen is form and field.password and field.value == NEW_SECRET


async def test_enter_on_the_reason_opens_its_list_and_keeps_the_keys_after_it(store_dir):
    """Enter is the form's key only in a one-line field: on the reason's list it opens the list."""
    from tests.kit import settle

    seed_accounts(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_credential(app, pilot)
        await pilot.press("o")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, ChangePasswordForm)
        await pilot.press(*NEW_SECRET, "tab", "enter", "down", "enter", "tab", "ctrl+s")
        await settle(app, pilot)
        assert app.screen is screen  # saved: the reason was chosen from the list (none chosen is refused)
        assert Register(app.session).credential(1).password == NEW_SECRET


async def test_change_password_with_the_generator(store_dir, monkeypatch):
    seed_accounts(store_dir)
    app = SafeDeskApp(store_dir)
    seen = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_credential(app, pilot)
        await pilot.press("n")  # generate, then change
        await pilot.pause()
        generator = app.screen
        assert isinstance(generator, GeneratorDialog)
        first = generator.generated.value
        assert len(first.split("-")) == 6 and "bits: strong" in text_of(app, "#generated-strength")
        await pilot.press("f2")
        assert generator.generated.value != first
        # A box's state shows as a character, not only a colour.
        assert "▐ ▌" in str(generator.query_one("#in-capitalise").render())
        generator.query_one("#in-kind", Select).value = generator.query_one("#in-kind", Select)._options[1][1]
        await pilot.pause()
        assert generator.query_one("#in-length", Input).value == "20" and len(generator.generated.value) == 20
        generator.query_one("#in-length", Input).value = "4"
        await pilot.pause()
        assert "between 8 and 128" in error_of(app, "length")
        generator.query_one("#in-length", Input).value = "24"
        await pilot.pause()
        chosen = generator.generated.value
        await pilot.press("ctrl+l")  # the candidate on show is hidden by the lock, and stays hidden
        await unlock_again(app, pilot)
        assert app.screen is generator and not generator.query_one("#generated", SecretView).revealed
        await pilot.press("ctrl+s")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ChangePasswordForm) and form.query_one("#in-password", Input).value == chosen
        await pilot.press("ctrl+s")
        assert "why the password is changing" in error_of(app, "reason")
        form.query_one("#in-reason", Select).value = form.query_one("#in-reason", Select)._options[2][1]
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen
        stored = Register(app.session).credential(1)
        assert stored.password == chosen and Register(app.session).password_history(1)[0].password == SECRET
        assert "1 previous password(s) kept" in text_of(app, "#cred-changed")
        assert not any(chosen in n or SECRET in n for n in seen)


async def test_previous_passwords_need_a_confirm_and_vanish_on_lock(store_dir):
    seed_accounts(store_dir)
    with Session.open(store_dir, PASSPHRASE) as session:
        Register(session).change_password(1, NEW_SECRET, ChangeReason.COMPROMISE)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await open_credential(app, pilot)
        await pilot.press("h")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("enter")  # the focused button is Cancel
        await pilot.pause()
        assert isinstance(app.screen, CredentialScreen)
        await pilot.press("h", "tab", "enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, HistoryDialog)
        shown = " ".join(str(s.render()) for s in dialog.query(Static))
        assert SECRET in shown and "replaced" in shown
        await pilot.press("ctrl+l")
        await unlock_again(app, pilot)
        shown = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert SECRET not in shown
        entries = Register(app.session).session.audit.entries()
        assert entries[-1].action == "accounts.history_viewed"


# --------------------------------------------------------------------- the secret is nowhere it must not be


async def test_secret_never_leaks_to_files_audit_notifications_export_or_cli(store_dir, tmp_path, monkeypatch):
    seed_accounts(store_dir)
    app = SafeDeskApp(store_dir)
    timers = Timers(monkeypatch, app)
    seen = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await open_credential(app, pilot)
        await pilot.press("r", "c", "u", "r")
        timers.fire("clear-clipboard")  # the clearing runs too: nothing it says may hold the secret
        await pilot.pause()
        assert app.clipboard == secrets_ui.BLANK
        await pilot.press("o")
        app.screen.query_one("#in-password", Input).value = NEW_SECRET
        app.screen.query_one("#in-reason", Select).value = app.screen.query_one("#in-reason", Select)._options[1][1]
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("h", "tab", "enter", "escape")
        await pilot.pause()
        assert any("copied" in n for n in seen) and any("Password changed" in n for n in seen)
    assert not any(SECRET in n or NEW_SECRET in n for n in seen)

    # The CLI and the export.
    from safedesk.cli.accounts import accounts
    from safedesk.cli.main import cli

    if "accounts" not in cli.commands:
        cli.add_command(accounts)
    pw = tmp_path / "pw"
    pw.write_text(PASSPHRASE + "\n", encoding="utf-8")
    out = tmp_path / "register.md"
    outputs = []
    for args in (
        ["list"],
        ["list", "--json"],
        ["health"],
        ["health", "--json"],
        ["staff", "--json"],
        ["export", "--out", str(out)],
    ):
        result = CliRunner().invoke(cli, ["--store", str(store_dir), "accounts", *args, "--passphrase-file", str(pw)])
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    outputs.append(out.read_text(encoding="utf-8"))

    # Every audit summary and target, and every file in the store folder (raw bytes: they are encrypted).
    with Session.open(store_dir, PASSPHRASE) as session:
        audit = [f"{e.actor} {e.action} {e.target} {e.summary}" for e in session.audit.entries()]
        assert Register(session).credential(1).password == NEW_SECRET  # the secret really is stored...
    for secret in (SECRET, NEW_SECRET):
        for text in outputs + audit:
            assert secret not in text
        needles = [secret.encode("utf-8"), secret.encode("utf-16-le"), secret.encode("utf-8").hex().encode()]
        for path in [*Path(store_dir).rglob("*"), out]:
            if path.is_file():
                raw = path.read_bytes()
                assert not any(n in raw for n in needles), path.name  # ...but never in clear
        distinctive = b"kettle[/bold]Secret4471"
        assert all(distinctive not in p.read_bytes() for p in Path(store_dir).rglob("*") if p.is_file())


def test_terminals_known_to_ignore_copy_requests_are_named(monkeypatch):
    class App:
        _driver = object()

    for name in ("TERM_PROGRAM", "TERM", "WT_SESSION"):
        monkeypatch.delenv(name, raising=False)
    assert secrets_ui.clipboard_problem(App()) is None  # type: ignore[arg-type]
    # Windows copies through the Win32 clipboard (tests/test_clipboard_win32.py), so its classic
    # console, which ignores OSC 52, is no longer a reason to refuse.
    monkeypatch.setenv("TERM_PROGRAM", "Apple_Terminal")
    assert "macOS Terminal" in (secrets_ui.clipboard_problem(App()) or "")  # type: ignore[arg-type]
    monkeypatch.delenv("TERM_PROGRAM")
    App._driver = None  # type: ignore[assignment]
    assert "no terminal" in (secrets_ui.clipboard_problem(App()) or "")  # type: ignore[arg-type]
