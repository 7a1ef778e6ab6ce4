"""The one length limit per kind of field: the store refuses longer text, the screens stop typing there.

Every text field of every record has a kind (`Record.LIMITS` names the kind of a field;
without one, a multi-line field is LONG text and any other SHORT text). Screens size their
inputs with `limit(kind)`, so a field accepts on screen exactly what the store keeps.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    NAME = "name"  # a person, a school, an account, a group
    REFERENCE = "reference"  # an incident reference, a case or crime number, a receipt code
    TITLE = "title"  # a few words saying what something is
    SHORT = "short"  # one line of text: a role, a place, an email address, a reason
    LONG = "long"  # a description, notes: several paragraphs
    URL = "url"  # a web address
    PASSPHRASE = "passphrase"  # a passphrase or password (a password manager may make long ones)
    PATH = "path"  # a file or folder path, as typed or dropped (Windows allows long ones)
    DATE = "date"  # a date, or a date and a time, as typed (DD/MM/YYYY HH:MM, "now", "yesterday 15:00")
    NUMBER = "number"  # a small count (minutes, words)


LIMITS: dict[Kind, int] = {
    Kind.NAME: 120,
    Kind.REFERENCE: 60,
    Kind.TITLE: 200,
    Kind.SHORT: 300,
    Kind.LONG: 200_000,  # longer material belongs in an evidence file
    Kind.URL: 2_000,
    Kind.PASSPHRASE: 1_024,
    Kind.PATH: 1_024,
    Kind.DATE: 20,
    Kind.NUMBER: 4,
}

WORDS: dict[Kind, str] = {
    Kind.NAME: "a name",
    Kind.REFERENCE: "a reference",
    Kind.TITLE: "a title",
    Kind.SHORT: "this line",
    Kind.LONG: "this text",
    Kind.URL: "a web address",
    Kind.PASSPHRASE: "a passphrase",
    Kind.PATH: "a file path",
    Kind.DATE: "a date",
    Kind.NUMBER: "a number",
}


def limit(kind: Kind) -> int:
    """The most characters a field of `kind` holds."""
    return LIMITS[kind]


def too_long(kind: Kind) -> str:
    """The one message for text over the limit of its kind (the field is named beside it or in the CLI line)."""
    return f"Keep {WORDS[kind]} to {LIMITS[kind]:,} characters at most."
