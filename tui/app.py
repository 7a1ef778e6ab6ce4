"""The SafeDesk Textual app: screen flow, global keys, idle auto-lock.

Flow: setup (no store yet) or unlock -> home. The guidance and triage open from
anywhere, with or without a store. Ctrl+L blanks the screen at once; after
`idle_lock_minutes` without a key or click (measured on the wall clock, so a
laptop's sleep counts) the app locks itself.
"""

from __future__ import annotations

import gc
import inspect
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, cast

from rich.segment import Segments
from textual import events, work
from textual.app import App, ScreenStackError, SystemCommand
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Input

from safedesk.router import is_showing, open_screen, screen, screen_class
from safedesk.theme import THEMES
from safedesk.widgets.keyorder import KeysInOrder
from safedesk.widgets.paste import inert_paste_text, install_inert_paste

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from textual.driver import Driver

    from safedesk.screens.guide import GuideScreen
    from safedesk.store.engine.core_records import Setting
    from safedesk.store.engine.session import Session
    from safedesk.widgets.host import SafeDeskHost

# The store, key slots and form modules are imported where they are first needed, not here:
# `safedesk guide` needs none of them before its first paint, and with cryptography and TinyDB
# they took over 100 ms to import. tests/tui/test_start_imports.py keeps them off that path.

IDLE_CHECK_SECONDS = 5.0
DEFAULT_IDLE_MINUTES = 5


def _guide_commands() -> type:
    from safedesk.commands import GuideCommands

    return GuideCommands


class SafeDeskApp(App[int]):
    TITLE = "SafeDesk"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {_guide_commands}
    BINDINGS = [
        Binding(
            "ctrl+l", "lock", "Lock", tooltip="Blank the screen now (your passphrase brings it back)", id="lock", priority=True
        ),
        Binding(
            "ctrl+t",
            "triage",
            "What's happening?",
            tooltip="Answer a few questions and get the steps to take",
            id="triage",
            priority=True,
        ),
        Binding("ctrl+g", "guide", "Guidance", tooltip="Browse and search the guidance", id="guide", priority=True),
        Binding("f1", "help", "Help", tooltip="Every key on this screen", id="help"),
        Binding("ctrl+q", "quit", "Quit", tooltip="Close SafeDesk (everything saved is kept)", id="quit", priority=True),
    ]

    def __init__(
        self,
        store_dir: Path,
        start: str = "home",
        idle_minutes: float | None = None,
        debug: bool = False,
        collector_held: bool = False,
    ) -> None:
        """`collector_held`: Python's cycle collector was turned off for start-up (safedesk.launch);
        the app turns it back on once its first frame is drawn."""
        super().__init__()
        self._collector_held = collector_held
        self.debug_mode = debug
        self.store_dir = Path(store_dir)
        self.start_screen = start
        if start == "guide":
            # Textual reads a screen's CSS_PATH when the screen is pushed, never for the default
            # screen (the guide was drawn without it); read with the app's, it is parsed in the one
            # first pass, not re-parsed with every other style sheet after it (tens of ms).
            guide = screen_class("guide")
            self.css_path = [*self.css_path, (Path(inspect.getfile(guide)).parent / cast("str", guide.CSS_PATH)).resolve()]
        self.session: Session | None = None
        self.last_activity = time.time()
        self._idle_minutes_override = idle_minutes
        self._asking_to_quit = False
        self.keys_in_order = KeysInOrder(self)
        # Before mount, so the first styling pass already uses SafeDesk's theme (no restyle).
        for theme in THEMES:
            self.register_theme(theme)
        self._start_theme("safedesk")

    def _start_theme(self, name: str) -> None:
        """Theme `name` before the first styling pass, as setting `theme` would make it, without
        the full restyle that setting it queues (every style sheet parsed again and applied to the
        whole app before the first frame: python -m bench guide). Later changes set `theme`."""
        self.set_reactive(App.theme, name)
        dark = self.current_theme.dark
        self.set_class(True, f"-theme-{name}", update=False)
        self.set_class(dark, "-dark-mode", update=False)
        self.set_class(not dark, "-light-mode", update=False)
        self._refresh_truecolor_filter(self.ansi_theme)
        self.stylesheet.set_variables(self.get_css_variables())

    # ----------------------------------------------------------------- start-up

    def get_default_screen(self) -> Screen:
        # `safedesk guide`: the guidance is the first screen itself, not pushed over a blank one
        # once that is mounted (one screen composed and laid out before the first paint, not two).
        if self.start_screen == "guide":
            return screen("guide")  # its style sheet is the app's own: see __init__
        return super().get_default_screen()

    def on_ready(self) -> None:
        # Textual posts Ready once the first frame is drawn.
        if self._collector_held:
            self._collector_held = False
            # What start-up made (modules, styles, the cards) lives as long as the app: frozen,
            # later collections do not walk it again and again.
            gc.freeze()
            gc.enable()

    def on_mount(self) -> None:
        self.set_interval(IDLE_CHECK_SECONDS, self.lock_if_idle)
        if self.start_screen == "demo":
            from safedesk.store.demo.data import DEMO_PASSPHRASE, open_demo

            self.push_screen(Screen())
            self.signed_in(open_demo(self.store_dir))
            self.notify(
                f"Demo: fictional data, deleted when you quit. The lock passphrase is: {DEMO_PASSPHRASE}",
                title="SafeDesk demo",
                timeout=15,
                markup=False,
            )
        elif self.start_screen != "guide":
            self.push_screen(self._entry_screen())

    def _entry_screen(self) -> Screen:
        from safedesk.store.engine.vault import store_files

        # Any store file (even with the store file itself gone) means unlock, and from there
        # recovery: setting up a new store over the remains is refused anyway.
        return screen("unlock" if store_files(self.store_dir) else "setup", self.store_dir)

    def signed_in(self, session: Session) -> None:
        """Called by setup and unlock once a session is open."""
        from safedesk.store.engine.keys.slots import recovery_key_unconfirmed
        from safedesk.widgets.dialogs import ConfirmDialog

        self.session = session
        self.last_activity = time.time()
        self.apply_setting(session.setting())
        self.switch_screen(screen("home"))
        if recovery_key_unconfirmed(session):
            self.push_screen(
                ConfirmDialog(
                    "Your recovery key was never confirmed",
                    "SafeDesk closed before you confirmed you had written the recovery key down, and it cannot "
                    "show that key again. Make a new one now and write it down (the old one stops working).",
                    yes="Make a new key",
                    no="Later (ask at next unlock)",
                ),
                self._remind_recovery_key,
            )

    def show_recovery_key(self, session: Session, key: str, then: Callable[[], None]) -> None:
        """Show a new recovery key with its confirm step; every unlock reminds until that step is done."""
        from safedesk.store.engine.keys.slots import set_recovery_key_unconfirmed

        self.session = session  # from setup too: quitting on the key still closes the store
        set_recovery_key_unconfirmed(session, True)

        def confirmed(_: object) -> None:
            set_recovery_key_unconfirmed(session, False)
            then()

        open_screen(self, "recovery-key", key, callback=confirmed)

    def _remind_recovery_key(self, make_new: bool | None) -> None:
        if make_new and self.session is not None:
            self._new_recovery_key(self.session)

    @work(thread=True, exclusive=True, group="recovery-key")
    def _new_recovery_key(self, session: Session) -> None:
        # A new key slot derives a key: off the UI thread.
        from safedesk.store.engine.keys.slots import replace_recovery_key
        from safedesk.store.errors import SafeDeskError

        try:
            key = replace_recovery_key(session)
        except SafeDeskError as error:
            self.call_from_thread(self.notify, str(error), severity="error", markup=False)
            return
        self.call_from_thread(self.show_recovery_key, session, key, lambda: None)

    def format_title(self, title: str, sub_title: str) -> Content:
        """The header: SafeDesk, the screen's name (each screen's SUB_TITLE) and the school's."""
        school = self.sub_title
        if school and sub_title and sub_title != school:
            sub_title = f"{sub_title} · {school}"
        return super().format_title(title, sub_title)

    def apply_setting(self, setting: Setting) -> None:
        self.sub_title = setting.name
        if setting.theme in {t.name for t in THEMES}:
            self.theme = setting.theme

    # ----------------------------------------------------------------- locking

    @property
    def idle_minutes(self) -> float:
        if self._idle_minutes_override is not None:
            return self._idle_minutes_override
        if self.session is not None:
            return self.session.setting().idle_lock_minutes
        return DEFAULT_IDLE_MINUTES

    @property
    def locked(self) -> bool:
        return is_showing(self, "lock")

    def get_driver_class(self) -> type[Driver]:
        driver = super().get_driver_class()  # imports the driver module install_inert_paste patches
        install_inert_paste()
        return driver

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown | events.MouseScrollDown | events.MouseScrollUp | events.Paste):
            self.last_activity = time.time()
        from_terminal = isinstance(event, events.Key | events.Paste) and not event.is_forwarded
        if from_terminal and self.keys_in_order.hold(event):
            return  # handed out once the key before it is done (a form it opens gets the keys after it)
        if isinstance(event, events.Paste) and not event.is_forwarded:
            # Every paste, into any field (passphrases included), is plain text before a widget sees it.
            focused = self.focused
            event.text = inert_paste_text(event.text, one_line=isinstance(focused, Input))
            if focused is not None:
                from safedesk.widgets.limited import fit_paste  # not at start-up (the guide paints first)

                event.text = fit_paste(event.text, focused)
        elif isinstance(event, events.Key) and not event.is_forwarded and isinstance(self.focused, Input):
            from safedesk.widgets.limited import refuse_typing

            refuse_typing(self.focused, event)
        if not from_terminal:
            await super().on_event(event)
            return
        try:
            target = self.focused or self.screen
        except ScreenStackError:
            return  # a key released while the app closes: nothing is left to receive it
        try:
            await super().on_event(event)
        finally:
            self.keys_in_order.sent(event, target)

    def lock_if_idle(self) -> None:
        """Lock once idle long enough; wall-clock time, so a sleeping laptop counts as idle."""
        if self.session is None or self.locked:
            return
        if time.time() - self.last_activity >= self.idle_minutes * 60:
            self.action_lock()

    def action_lock(self) -> None:
        if not self.locked:
            open_screen(self, "lock")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While locked, nothing may open on top of the blank screen.
        if self.locked and action in {"triage", "guide", "help", "lock", "command_palette"}:
            return False
        return True

    # ----------------------------------------------------------------- navigation

    def action_triage(self) -> None:
        if not is_showing(self, "triage"):
            open_screen(self, "triage")

    def action_guide(self, card_id: str | None = None) -> None:
        if is_showing(self, "guide"):
            if card_id:
                cast("GuideScreen", self.screen).open_card(card_id)
            return
        open_screen(self, "guide", card_id=card_id)

    def action_help(self) -> None:
        if is_showing(self, "help"):
            return
        rows: dict[str, tuple[bool, str, str]] = {}
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if binding.description and binding.action not in rows:
                # SafeDesk's own keys (they all have ids) before the widgets' navigation keys.
                rows[binding.action] = (binding.id is None, self.get_key_display(binding), binding.tooltip or binding.description)
        open_screen(self, "help", [(keys, text) for _, keys, text in sorted(rows.values(), key=lambda r: r[0])])

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield SystemCommand("What's happening? (triage)", "Answer a few questions and get the steps to take", self.action_triage)
        yield SystemCommand("Guidance", "Browse and search the safeguarding guidance", self.action_guide)
        yield SystemCommand("Help: keys", "Every key on this screen", self.action_help)
        if self.session is not None:
            yield SystemCommand("Lock now", "Blank the screen; your passphrase brings it back", self.action_lock)
            yield SystemCommand("Official accounts", "Register, admins, passwords, health", self._open_accounts)
            yield SystemCommand(
                "Keys: who can open the store", "Add a deputy's key, change a label, remove a key", self._open_keys
            )
        yield SystemCommand("Quit", "Close SafeDesk (everything saved is kept)", self.action_quit)

    def _open_accounts(self) -> None:
        open_screen(self, "accounts")

    def _open_keys(self) -> None:
        open_screen(self, "keys")

    # ----------------------------------------------------------------- shutdown

    async def action_quit(self) -> None:
        """Ctrl+Q and the palette's Quit: asks first when a form holds changes not saved yet.

        Every form that can be cancelled holds someone's work (unlock, lock and setup
        cannot, and hold only a passphrase or first-run details); a form under a dialog,
        the guidance or the lock screen counts too.
        """
        from safedesk.widgets.dialogs import ConfirmDialog
        from safedesk.widgets.forms import Form

        if self._asking_to_quit:
            return  # one question at a time
        unsaved = [s for s in self.screen_stack if isinstance(s, Form) and s.cancellable and s.changed()]
        if not unsaved:
            self.exit()
            return
        self._asking_to_quit = True

        def answered(discard: bool | None) -> None:
            self._asking_to_quit = False
            if discard:
                self.exit()

        self.push_screen(
            ConfirmDialog(
                "Quit and discard your changes?",
                "A form you were filling in has changes that are not saved yet.",
                yes="Quit and discard",
                no="Keep editing",
            ),
            answered,
        )

    def _fatal_error(self) -> None:
        """Textual's crash report prints every local variable, which could hold a passphrase or a
        password: show the traceback only with --debug, and never the locals."""
        from rich.text import Text
        from rich.traceback import Traceback

        self.bell()
        if self.debug_mode:
            report = self.console.render(Traceback(show_locals=False, width=None), self.console.options)
            self._exit_renderables.append(Segments(report))
        else:
            kind = type(getattr(self, "_exception", None)).__name__
            self._exit_renderables.append(
                Text(
                    f"SafeDesk stopped after an unexpected error ({kind}). Everything already saved is safe. "
                    "Run 'safedesk --debug' to see the details."
                )
            )
        self._close_messages_no_wait()

    def on_unmount(self) -> None:
        # A password copied just before quitting must not stay on the clipboard. Only the account
        # screens copy one, through this module: not imported means nothing was copied (importing
        # it up front cost `safedesk guide` ~25 ms before its first paint).
        secrets = sys.modules.get("safedesk.screens.accounts.secrets")
        if secrets is not None:
            secrets.clear_on_exit(self)
        if self.session is not None:
            self.session.close()
            self.session = None


if TYPE_CHECKING:
    # Screens reach the app through safedesk.widgets.host; mypy checks here that it provides all of it.
    _AS_HOST: type[SafeDeskHost] = SafeDeskApp
