"""Cleaning text that was typed, pasted or imported before it is stored.

Terminal control sequences (ESC, other C0/C1 controls) and invisible bidi
overrides can repaint a terminal or disguise text; they are removed. Letters of
every script, right-to-left included, are kept.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

# C0 controls except tab/newline, DEL, C1 controls, bidi embeddings/overrides/isolates.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_text(value: str, *, multiline: bool = False) -> str:
    """`value` without control characters, NFC-normalised; single-line unless `multiline`."""
    # Lone surrogates (undecodable file names) cannot be stored as UTF-8: they become "?".
    value = value.encode("utf-8", "replace").decode("utf-8") if not value.isascii() else value
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value.replace("\t", "    "))
    if not multiline:
        value = " ".join(value.split("\n"))
    return value.strip() if not multiline else value.strip("\n")


# What `shown` makes visible: the controls above plus CR (it can overwrite a line), the
# left/right marks and lone surrogates (undecodable file names cannot be encoded to print).
_UNSHOWABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def shown(value: str) -> str:
    """`value` safe to print on a terminal: each control character as a visible escape like `\\x1b`.

    Unlike `clean_text` nothing is removed, so a message still names the exact file or
    value the person gave; tab and newline are kept.
    """
    return _UNSHOWABLE.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), value)


def typed_path(text: str) -> Path:
    """A file path as typed, pasted or dropped onto the terminal, ready to open.

    Dropping a file types its path quoted ('...' on macOS and Linux, "..." on Windows) or,
    in macOS Terminal, with spaces escaped as `\\ `; surrounding spaces, one pair of
    quotes and those escapes are removed, and `~` is expanded. Empty stays empty.
    """
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    elif os.sep == "/":  # a backslash is a separator on Windows, an escape elsewhere
        text = text.replace("\\ ", " ")
    return Path(text).expanduser() if text else Path()
