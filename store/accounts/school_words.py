"""The generator's vocabulary: the EFF large word list without the words unfit for a school.

The EFF list itself stays as published (its tests pin its hash); blocked_words.txt names the
words left out, and why, so the choice can be read and reviewed in one place.
"""

from __future__ import annotations

from importlib.resources import files

from safedesk.store.accounts.wordlist import WORDS

BLOCKLIST_FILE = "blocked_words.txt"


def _blocked() -> frozenset[str]:
    text = files("safedesk.store.accounts").joinpath(BLOCKLIST_FILE).read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


BLOCKED: frozenset[str] = _blocked()
# About 7,650 words: a generated word still carries 12.9 bits, so six of them about 77.
SCHOOL_WORDS: tuple[str, ...] = tuple(word for word in WORDS if word not in BLOCKED)
