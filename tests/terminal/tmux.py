"""Driving the real app in tmux (80x24) as a person would: type, paste, wait for a screen.

Used by the tests in this folder; each module skips itself when tmux is missing.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.kit import PASSPHRASE

# How long a screen may take to appear on a loaded machine; polling stops as soon as it does.
PATIENCE = 60.0


class Terminal:
    """One tmux server of its own (its socket under tmp_path) running the app at 80x24."""

    def __init__(self, socket: Path, store: Path) -> None:
        self._tmux = ["tmux", "-S", str(socket)]
        app = f"{shlex.quote(sys.executable)} -m safedesk --store {shlex.quote(str(store))}"
        # The pane stays after the app ends, showing its exit code.
        self.run("new-session", "-d", "-x", "80", "-y", "24", "-s", "t", f"{app}; echo EXITED $?; sleep 600")

    def run(self, *args: str) -> str:
        return subprocess.run([*self._tmux, *args], check=True, capture_output=True, text=True, timeout=30).stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "t")

    def type(self, text: str) -> None:
        self.run("send-keys", "-t", "t", "-l", text)

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "t", *keys)

    def paste(self, text: str) -> None:
        """A bracketed paste, as a terminal sends one (the app turned bracketed paste mode on)."""
        self.run("set-buffer", "-b", "p", text)
        self.run("paste-buffer", "-p", "-d", "-b", "p", "-t", "t")

    def wait_for(self, found: str | Callable[[str], bool], what: str = "") -> str:
        check = found if callable(found) else (lambda screen: found in screen)
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            screen = self.screen()
            if check(screen):
                return screen
            time.sleep(0.05)
        raise AssertionError(f"never showed {what or found!r}; the screen:\n{self.screen()}")

    def unlock(self) -> None:
        self.wait_for("Passphrase")
        self.type(PASSPHRASE)
        self.keys("Enter")
        self.wait_for("Needs attention")

    def quit(self) -> None:
        self.keys("C-q")
        self.wait_for("EXITED 0")

    def close(self) -> None:
        subprocess.run([*self._tmux, "kill-server"], capture_output=True, timeout=30)


def typing_pause(terminal: Terminal, heading: str) -> None:
    """The 0.4 s between a form opening and a person starting to type.

    Counted from when the form shows: on a loaded machine opening can take longer than
    that. Keys typed with no pause at all land in the form too (the last test here).
    """
    terminal.wait_for(heading)
    time.sleep(0.4)


def fill(terminal: Terminal, key: str, heading: str, *steps: str | tuple[str, ...]) -> None:
    """Open a form by its key, pause as a person would, then type it all at full speed and save at once.

    Each step is text to type, or a tuple of keys (Tab, a Select's Enter/Down...).
    """
    terminal.keys(key)
    typing_pause(terminal, heading)
    for step in steps:
        if isinstance(step, tuple):
            terminal.keys(*step)
        else:
            terminal.type(step)
    terminal.keys("C-s")
    # Saved: a refusal (or a value in the wrong field) keeps the form open.
    terminal.wait_for(lambda screen: heading not in screen, f"{heading!r} saved and closed")


TAB = ("Tab",)
