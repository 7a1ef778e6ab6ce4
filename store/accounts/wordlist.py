"""The EFF large word list (7,776 words) for generated passphrases.

Source: Electronic Frontier Foundation, "EFF's New Wordlists for Random Passphrases" (2016),
https://www.eff.org/deeplinks/2016/07/new-wordlists-random-passphrases, file
eff_large_wordlist.txt (the dice numbers dropped), as shipped in the xkcdpass package
(static/eff-long). Licence: Creative Commons Attribution 3.0 United States (CC BY 3.0 US),
https://creativecommons.org/licenses/by/3.0/us/. The words are unchanged; tests pin their
SHA-256 so an edit shows. They ship as package data (eff_large_wordlist.txt, one word per
line after its '#' attribution lines) and load offline with importlib.resources.
"""

from __future__ import annotations

from importlib.resources import files

WORDLIST_FILE = "eff_large_wordlist.txt"


def _load() -> tuple[str, ...]:
    text = files("safedesk.store.accounts").joinpath(WORDLIST_FILE).read_text(encoding="utf-8")
    return tuple(line for line in text.splitlines() if line and not line.startswith("#"))


# Every word is lower-case ASCII letters (four contain a hyphen).
WORDS: tuple[str, ...] = _load()
