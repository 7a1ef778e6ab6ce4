"""Pastes are text: a bracketed paste is one inert insertion, never keys.

Two places make that so:

- `InertPasteParser` reads the terminal. Textual's parser treats an ESC inside a
  bracketed paste as the start of a key sequence: everything after it (up to 32
  characters, a pasted Ctrl+Q or BEL included) is dispatched as key presses and
  dropped from the paste. This parser removes every ESC inside a paste except the
  one that ends it, so the whole paste reaches the app as one `Paste` event.
  `install_inert_paste` puts it in the terminal drivers.
- `inert_paste_text` cleans the text of every `Paste` event (the app calls it before
  the event reaches the focused widget): control characters removed, tabs as
  spaces, and for a one-line input the lines joined instead of all but the first
  being dropped.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable

from textual._xterm_parser import BRACKETED_PASTE_END, BRACKETED_PASTE_START, XTermParser
from textual.message import Message

# The driver modules that build their own XTermParser when reading the terminal.
_DRIVER_MODULES = ("textual.drivers.linux_driver", "textual.drivers.linux_inline_driver", "textual.drivers.win32")

ESC = "\x1b"
# C0 controls except tab and newline, DEL, C1 controls, bidi embeddings/overrides/isolates.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def inert_paste_text(text: str, *, one_line: bool) -> str:
    """Pasted `text` as plain characters: no control character survives.

    Nothing printable is removed, so a pasted passphrase stays exactly what the password
    manager holds; `one_line` joins lines with a space (an `Input` would keep only the first).
    """
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))
    if one_line:
        text = " ".join(line for line in text.split("\n") if line)
    return text


class InertPasteParser(XTermParser):
    """Textual's terminal parser, with no ESC left inside a bracketed paste but the closing one."""

    def __init__(self, debug: bool = False) -> None:
        super().__init__(debug)
        self._in_paste = False
        # Outside a paste: the last few characters, to find a start marker split between reads.
        self._recent = ""
        # Inside a paste: a tail that may be the start of the end marker, held until the next read.
        self._held = ""

    def feed(self, data: str) -> Iterable[Message]:
        if not data:  # end of input: the parser finishes (a half-read paste has nowhere to go)
            return super().feed(data)
        data = self._neutralise(data)
        # All of it may be held back (part of a paste's end marker); an empty feed would mean EOF.
        return super().feed(data) if data else ()

    def _neutralise(self, data: str) -> str:
        out: list[str] = []
        while data:
            if not self._in_paste:
                # Outside a paste everything passes unchanged (a lone ESC is the Escape key).
                window = self._recent + data
                start = window.find(BRACKETED_PASTE_START)
                if start < 0:
                    out.append(data)
                    self._recent = window[-(len(BRACKETED_PASTE_START) - 1) :]
                    break
                cut = start + len(BRACKETED_PASTE_START) - len(self._recent)
                out.append(data[:cut])
                data = data[cut:]
                self._in_paste, self._recent = True, ""
                continue
            data = self._held + data
            self._held = ""
            end = data.find(BRACKETED_PASTE_END)
            if end >= 0:
                out.append(data[:end].replace(ESC, "") + BRACKETED_PASTE_END)
                data = data[end + len(BRACKETED_PASTE_END) :]
                self._in_paste = False
                continue
            keep = _partial_end(data)
            out.append(data[: len(data) - keep].replace(ESC, ""))
            self._held = data[len(data) - keep :]
            break
        return "".join(out)


def _partial_end(data: str) -> int:
    """How many characters at the end of `data` could begin the paste's end marker."""
    for size in range(min(len(data), len(BRACKETED_PASTE_END) - 1), 0, -1):
        if BRACKETED_PASTE_END.startswith(data[-size:]):
            return size
    return 0


def install_inert_paste() -> None:
    """Make Textual's terminal drivers read with `InertPasteParser`.

    The drivers build their parser from their module's `XTermParser` name and offer no
    hook for another one; textual is pinned exactly, and `tests/test_paste.py` fails if
    a new version moves the name.
    """
    for name in _DRIVER_MODULES:
        module = sys.modules.get(name)
        if module is not None and getattr(module, "XTermParser", None) is XTermParser:
            module.XTermParser = InertPasteParser  # type: ignore[attr-defined]
