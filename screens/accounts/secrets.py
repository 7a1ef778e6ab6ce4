"""Showing and copying secrets: masked by default, revealed briefly, copied briefly.

- `SecretView` shows "••••••••••" until asked; a reveal hides itself again after
  REVEAL_SECONDS, and every screen holding one hides it when the screen is covered
  (the lock screen included), so after unlocking it is still hidden.
- `copy_secret` puts a value on the system clipboard (on Windows through the Win32
  clipboard, kept out of clipboard history and cloud sync: safedesk.clipboard_win32;
  elsewhere with Textual's OSC 52 request) and clears it after CLEAR_SECONDS, unless
  something else was copied in the meantime. The lock screen clears it at once. Where the terminal cannot take the
  request the user is told plainly; nothing crashes.
A secret is never put in a notification, a log line or an exception.
"""

from __future__ import annotations

import os
import re
import weakref
from typing import TYPE_CHECKING

from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static

from safedesk.clipboard_win32 import ClipboardBusy, native_clipboard
from safedesk.router import screen_class
from safedesk.widgets.literal import plain  # not .common: the app imports this module at start

if TYPE_CHECKING:
    from textual.app import App

REVEAL_SECONDS = 30.0
CLEAR_SECONDS = 20.0
MASK = "•" * 10
# What replaces the secret on the clipboard: some terminals ignore an empty copy, none ignore a space.
BLANK = " "
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


class ClipboardUnavailable(Exception):
    """The terminal cannot take a copy request; the message says why (never the value)."""


def clipboard_problem(app: App) -> str | None:
    """Why copying cannot work here, if we can tell; None when it should."""
    if getattr(app, "_driver", None) is None:
        return "there is no terminal to copy through"
    if os.environ.get("TERM_PROGRAM") == "Apple_Terminal":
        return "macOS Terminal ignores copy requests from apps (iTerm2 and most others accept them)"
    return None


class ClipboardGuard:
    """One per app: what SafeDesk last copied, and the timer that will overwrite it."""

    _guards: weakref.WeakKeyDictionary[App, ClipboardGuard] = weakref.WeakKeyDictionary()

    def __init__(self, app: App) -> None:
        self._app = weakref.ref(app)
        self._copied: str | None = None
        self._timer: Timer | None = None
        # Windows: the Win32 clipboard, which also works in the classic console; the sequence
        # number it gave SafeDesk's copy tells whether the clipboard still holds it.
        self._native = native_clipboard()
        self._sequence: int | None = None
        # The lock screen must not leave a password on the clipboard for whoever walks up.
        app.screen_change_signal.subscribe(app, self._screen_changed, immediate=True)

    @classmethod
    def of(cls, app: App) -> ClipboardGuard:
        if app not in cls._guards:
            cls._guards[app] = cls(app)
        return cls._guards[app]

    @property
    def holding(self) -> bool:
        """A secret copied by SafeDesk is still on the clipboard (as far as the app knows)."""
        app = self._app()
        if self._native is not None:
            return self._sequence is not None and self._native.sequence() == self._sequence
        return app is not None and self._copied is not None and app.clipboard == self._copied

    def copy(self, value: str) -> None:
        app = self._app()
        if app is None:
            raise ClipboardUnavailable("there is no terminal to copy through")
        problem = clipboard_problem(app)
        if problem:
            raise ClipboardUnavailable(problem)
        if self._native is not None:
            try:
                self._sequence = self._native.copy(value)
            except ClipboardBusy as busy:
                raise ClipboardUnavailable(str(busy)) from None
        else:
            try:
                app.copy_to_clipboard(value)
            except Exception:  # noqa: BLE001 - a closed or odd terminal: say so, never crash, never echo the value
                raise ClipboardUnavailable("the terminal refused the copy request") from None
        self._copied = value
        if self._timer is not None:
            self._timer.stop()
        self._timer = app.set_timer(CLEAR_SECONDS, self.clear, name="clear-clipboard")

    def clear(self) -> None:
        """Overwrite the clipboard if it still holds what SafeDesk copied (never someone's later copy)."""
        app = self._app()
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self._native is not None and self._sequence is not None:
            try:
                self._native.clear_if(self._sequence)
            except ClipboardBusy:  # another program holds it; its next copy replaces ours anyway
                pass
        elif app is not None and self.holding:
            try:
                app.copy_to_clipboard(BLANK)
            except Exception:  # noqa: BLE001 - the terminal went away; nothing left to clear through
                pass
        self._copied = None
        self._sequence = None

    def _screen_changed(self, screen: Screen) -> None:
        if isinstance(screen, screen_class("lock")):
            self.clear()


def clear_on_exit(app: App) -> None:
    """For the app's on_unmount (the terminal is still there): overwrite a secret still on the clipboard."""
    guard = ClipboardGuard._guards.get(app)
    if guard is not None:
        guard.clear()


def copy_secret(app: App, value: str, what: str) -> bool:
    """Copy and tell the user (naming `what`, never the value); False when the clipboard is unavailable."""
    try:
        ClipboardGuard.of(app).copy(value)
    except ClipboardUnavailable as problem:
        app.notify(
            f"Cannot copy the {what}: {problem}. Reveal it (r) and type it instead.",
            title="Clipboard unavailable",
            severity="warning",
            markup=False,
            timeout=8,
        )
        return False
    app.notify(
        f"{what.capitalize()} copied. The clipboard is cleared in {CLEAR_SECONDS:g} seconds.",
        title="Copied",
        markup=False,
        timeout=4,
    )
    return True


def displayable(secret: str) -> str:
    """The secret as it may be drawn: control characters (refused on save) shown as '?' just in case."""
    return _CONTROL.sub("?", secret)


class SecretView(Static):
    """A secret, masked until revealed; a reveal lasts REVEAL_SECONDS."""

    DEFAULT_CSS = """
    SecretView { height: auto; }
    SecretView.revealed { text-style: bold; }
    """

    def __init__(self, secret: str = "", *, empty: str = "(none recorded)", id: str | None = None) -> None:
        super().__init__("", markup=False, id=id)
        self._secret = secret
        self._empty = empty
        self._timer: Timer | None = None
        self.revealed = False

    def on_mount(self) -> None:
        self._draw()

    def set_secret(self, secret: str) -> None:
        self._secret = secret
        self.hide()

    @property
    def has_secret(self) -> bool:
        return bool(self._secret)

    def reveal(self) -> None:
        if not self._secret:
            return
        self.revealed = True
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(REVEAL_SECONDS, self.hide, name="auto-hide")
        self._draw()

    def hide(self) -> None:
        self.revealed = False
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._draw()

    def toggle(self) -> None:
        self.hide() if self.revealed else self.reveal()

    def _draw(self) -> None:
        self.set_class(self.revealed, "revealed")
        if not self._secret:
            self.update(plain(self._empty))
        elif self.revealed:
            self.update(plain(displayable(self._secret)))
        else:
            self.update(plain(f"{MASK}  (hidden)"))

    def __repr__(self) -> str:  # Textual's own debugging output must not carry the secret
        return f"SecretView(id={self.id!r}, revealed={self.revealed})"


def hide_secrets(screen: Screen) -> None:
    """Mask every secret on `screen`: called when it is covered (by the lock screen or anything else)."""
    for view in screen.query(SecretView):
        view.hide()
