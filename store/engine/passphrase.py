"""How strong a new passphrase is, and the one rule for accepting it.

Follows the NCSC's advice: three random words beat a short complex password,
and there is no forced periodic change. The estimate is deliberately simple and
conservative; it is feedback for the person typing, not a guarantee.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from safedesk.store.errors import InvalidInput

MIN_LENGTH = 10
MIN_SCORE = 2
LABELS = ("very weak", "weak", "fair", "good", "strong")

# Guessed first by anyone: common passwords and words a school's staff would reach for.
_COMMON = frozenset(
    """password passw0rd letmein welcome qwerty qwertyuiop abc123 iloveyou monkey dragon football
    sunshine princess admin administrator changeme secret school teacher safeguarding safedesk
    headteacher primary academy student pupil children summer winter autumn spring""".split()
)


@dataclass(frozen=True)
class Strength:
    score: int  # 0..4
    bits: float
    label: str
    advice: str

    @property
    def acceptable(self) -> bool:
        return self.score >= MIN_SCORE


def assess(passphrase: str) -> Strength:
    text = passphrase.strip()
    words = [w for w in re.split(r"[\s\-_.,;:]+", text) if len(w) >= 3 and w.isalpha()]
    lowered = text.lower()
    if not text:
        return Strength(0, 0.0, LABELS[0], "Type a passphrase: three or more random words work well.")
    if lowered in _COMMON or re.sub(r"[\d\W_]+$", "", lowered) in _COMMON:
        return Strength(0, 0.0, LABELS[0], "That is one of the first things an attacker tries.")
    pool = 0
    pool += 26 if re.search(r"[a-z]", text) else 0
    pool += 26 if re.search(r"[A-Z]", text) else 0
    pool += 10 if re.search(r"\d", text) else 0
    pool += 33 if re.search(r"[^A-Za-z0-9]", text) else 0
    # Repeated characters and long runs add little: count distinct characters generously.
    effective_length = min(len(text), len(set(text)) * 2)
    char_bits = effective_length * math.log2(max(pool, 2))
    # Words from a dictionary are worth ~11 bits each (a 2,000-word vocabulary), not their letters.
    word_bits = len([w for w in words if w.lower() not in _COMMON]) * 11.0 + (len(text) - sum(map(len, words))) * 2
    bits = min(char_bits, word_bits) if len(words) >= 2 else char_bits * 0.6
    score = 0 if bits < 28 else 1 if bits < 36 else 2 if bits < 50 else 3 if bits < 64 else 4
    if len(text) < MIN_LENGTH:
        score = min(score, 1)
    advice = {
        0: "Far too easy to guess. Try three or more random words.",
        1: "Still easy to guess. Add another random word or two.",
        2: "Acceptable. Another random word would make it much stronger.",
        3: "Good.",
        4: "Strong.",
    }[score]
    return Strength(score, bits, LABELS[score], advice)


def check_new_passphrase(passphrase: str, confirmation: str | None = None) -> None:
    """Raise InvalidInput unless `passphrase` may protect a key slot."""
    if confirmation is not None and passphrase != confirmation:
        raise InvalidInput("The two passphrases are different.", "confirm")
    if len(passphrase.strip()) < MIN_LENGTH:
        raise InvalidInput(
            f"Use at least {MIN_LENGTH} characters: three or more random words are easy to remember and hard to guess.",
            "passphrase",
        )
    strength = assess(passphrase)
    if not strength.acceptable:
        raise InvalidInput(f"That passphrase is {strength.label}. {strength.advice}", "passphrase")
