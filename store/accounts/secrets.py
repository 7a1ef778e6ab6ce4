"""New passwords for official accounts, drawn with `secrets` (the OS's CSPRNG).

Two kinds: a passphrase of random words from the EFF large list (easy to read out
and type on a phone), or random characters for platforms with odd rules. Both
report their strength in bits so the screen can say how strong the result is.
Nothing here stores or logs a value: the result's repr hides it.
"""

from __future__ import annotations

import math
import secrets
import string
from dataclasses import dataclass, field
from enum import StrEnum

from safedesk.store.accounts.school_words import SCHOOL_WORDS
from safedesk.store.errors import InvalidInput

WORD_RANGE = (3, 20)
CHARACTER_RANGE = (8, 128)
DEFAULT_WORDS = 6  # the EFF's advice for its large list (about 77 bits)
DEFAULT_CHARACTERS = 20
# Symbols most sign-up forms accept; quotes, backslashes and spaces are left out on purpose.
SYMBOLS = "!#$%&*+-=?@^_~"
LOOKALIKES = frozenset("0O1lI5S2Z8B")


class Kind(StrEnum):
    WORDS = "words"
    CHARACTERS = "characters"


@dataclass(frozen=True)
class GeneratorOptions:
    kind: Kind = Kind.WORDS
    length: int = DEFAULT_WORDS  # words or characters, by kind
    separator: str = "-"  # between words
    capitalise: bool = False  # words: Capital First Letters, for forms that demand a capital
    add_digit: bool = False  # words: one random digit at the end, for forms that demand a number
    digits: bool = True  # characters
    symbols: bool = True  # characters
    avoid_lookalikes: bool = False  # characters: no 0/O, 1/l/I ... when it must be read out

    def validate(self) -> None:
        low, high = WORD_RANGE if self.kind is Kind.WORDS else CHARACTER_RANGE
        unit = "words" if self.kind is Kind.WORDS else "characters"
        if not low <= self.length <= high:
            raise InvalidInput(f"Choose between {low} and {high} {unit}.", "length")
        if len(self.separator) > 3 or any(not c.isprintable() for c in self.separator):
            raise InvalidInput("The separator is up to three printable characters.", "separator")


@dataclass(frozen=True)
class Generated:
    value: str = field(repr=False)
    bits: float

    @property
    def strength(self) -> str:
        """A word for the strength: generated values are never weak, but short ones are only fair."""
        return "fair" if self.bits < 50 else "good" if self.bits < 64 else "strong" if self.bits < 100 else "very strong"


def _alphabet(options: GeneratorOptions) -> list[str]:
    classes = [string.ascii_lowercase, string.ascii_uppercase]
    if options.digits:
        classes.append(string.digits)
    if options.symbols:
        classes.append(SYMBOLS)
    if options.avoid_lookalikes:
        classes = ["".join(c for c in chars if c not in LOOKALIKES) for chars in classes]
    return classes


def generate(options: GeneratorOptions | None = None) -> Generated:
    options = options or GeneratorOptions()
    options.validate()
    if options.kind is Kind.WORDS:
        words = [secrets.choice(SCHOOL_WORDS) for _ in range(options.length)]
        if options.capitalise:
            words = [w.capitalize() for w in words]
        value = options.separator.join(words)
        bits = options.length * math.log2(len(SCHOOL_WORDS))
        if options.add_digit:
            value += str(secrets.randbelow(10))
            bits += math.log2(10)
        return Generated(value, bits)
    classes = _alphabet(options)
    pool = "".join(classes)
    # Rejection sampling: draw uniformly until every class appears, so the rules most forms
    # enforce are met without biasing any position.
    while True:
        value = "".join(secrets.choice(pool) for _ in range(options.length))
        if all(any(c in chars for c in value) for chars in classes):
            return Generated(value, options.length * math.log2(len(pool)))
