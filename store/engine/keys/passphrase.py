"""How strong a new passphrase is, and the one rule for accepting it.

Follows the NCSC's advice: three random words beat a short complex password, and there is no
forced periodic change. The estimate is zxcvbn's (Dropbox's estimator: common passwords, names,
keyboard walks, dates, l33t), told the school's and the users' names, since those are what a
guesser tries first. A passphrase protects a key slot that an attacker with a copy of the store
can attack offline, so only zxcvbn's top band, "strong" (10^10 guesses or more), is accepted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from safedesk.store.errors import InvalidInput

MIN_LENGTH = 10
MIN_SCORE = 4
LABELS = ("very weak", "weak", "fair", "good", "strong")
# zxcvbn refuses longer input; a longer passphrase is no weaker than its first 72 characters.
MAX_ESTIMATED = 72

# Guessed first by anyone who knows the passphrase protects a school's safeguarding records.
_COMMON = frozenset(
    """password passw0rd letmein welcome qwerty qwertyuiop abc123 iloveyou monkey dragon football
    sunshine princess admin administrator changeme secret school teacher safeguarding safedesk
    headteacher primary academy student pupil children summer winter autumn spring dsl""".split()
)
_SEPARATORS = re.compile(r"[\s\-_.,;:]+")


@dataclass(frozen=True)
class Strength:
    score: int  # 0..4, zxcvbn's bands
    bits: float  # log2 of the guesses zxcvbn expects an attacker to need
    label: str
    advice: str
    # zxcvbn's own warning and suggestions, shown beside the field with the advice.
    feedback: tuple[str, ...] = ()

    @property
    def acceptable(self) -> bool:
        return self.score >= MIN_SCORE


def _hints(context: Iterable[str]) -> list[str]:
    """The words a guesser would try from the setting's and the users' names, whole and word by word."""
    hints = set(_COMMON)
    for name in context:
        lowered = name.strip().lower()
        if lowered:
            hints.update({lowered, _SEPARATORS.sub("", lowered)})
            hints.update(word for word in _SEPARATORS.split(lowered) if len(word) >= 3)
    return sorted(hints)


def assess(passphrase: str, context: Iterable[str] = ()) -> Strength:
    """zxcvbn's estimate; context holds the setting's name and the users' names."""
    from zxcvbn import zxcvbn  # type: ignore[import-untyped]  # the library ships no type information

    text = passphrase.strip()[:MAX_ESTIMATED]
    if not text:
        return Strength(0, 0.0, LABELS[0], "Type a passphrase: three or more random words work well.")
    hints = _hints(context)
    # Rated as typed and with its separators taken out, the weaker counting: "Oakfield Primary
    # 2026" gains nothing from its spaces, while three random words stay strong either way.
    results = [zxcvbn(text, user_inputs=hints)]
    compact = _SEPARATORS.sub("", text)
    if compact and compact != text:
        results.append(zxcvbn(compact, user_inputs=hints))
    weakest = min(results, key=lambda result: float(result["guesses_log10"]))
    score = int(weakest["score"])
    feedback = [
        message
        for result in results
        for message in [result["feedback"]["warning"], *result["feedback"]["suggestions"]]
        if message
    ]
    if any(match.get("dictionary_name") == "user_inputs" for result in results for match in result["sequence"]):
        feedback.insert(0, "It uses the school's name, a person's name or a word about the job: a guesser tries those first.")
    advice = {
        0: "Far too easy to guess. Try three or more random words.",
        1: "Still easy to guess. Three or more random words are easy to remember and hard to guess.",
        2: "Not yet strong enough. Add another random word or two.",
        3: "Nearly there. Add another random word.",
        4: "Strong.",
    }[score]
    return Strength(
        score, float(weakest["guesses_log10"]) * math.log2(10), LABELS[score], advice, tuple(dict.fromkeys(feedback))
    )  # each message once


def check_new_passphrase(passphrase: str, confirmation: str | None = None, context: Iterable[str] = ()) -> None:
    """Raise InvalidInput unless `passphrase` may protect a key slot; context as for assess()."""
    if confirmation is not None and passphrase != confirmation:
        raise InvalidInput("The two passphrases are different.", "confirm")
    if len(passphrase.strip()) < MIN_LENGTH:
        raise InvalidInput(
            f"Use at least {MIN_LENGTH} characters: three or more random words are easy to remember and hard to guess.",
            "passphrase",
        )
    strength = assess(passphrase, context)
    if not strength.acceptable:
        said = " ".join((strength.advice, *strength.feedback))
        raise InvalidInput(f"That passphrase is {strength.label}. {said}", "passphrase")
