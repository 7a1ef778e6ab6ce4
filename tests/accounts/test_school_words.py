"""Generated passphrases are read aloud and written down in a school: no word in them may be
violent, sexual, extremist or hurtful (issue 17 found "islamist", "bully", "drown", "racism")."""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files

import pytest

from safedesk.store.accounts import secrets as generator
from safedesk.store.accounts.school_words import BLOCKED, SCHOOL_WORDS
from safedesk.store.accounts.wordlist import WORDS

# Read straight from the data file, not through the module under test.
BLOCKLIST = {
    line.strip()
    for line in files("safedesk.store.accounts").joinpath("blocked_words.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
}


def test_no_word_of_the_vocabulary_is_on_the_blocklist() -> None:
    assert not BLOCKLIST & set(SCHOOL_WORDS)
    assert {"islamist", "islamic", "bully", "drown", "racism"} <= BLOCKLIST


def test_the_blocklist_names_only_words_of_the_list() -> None:
    # A misspelt entry would block nothing and hide the word it meant.
    assert BLOCKLIST <= set(WORDS) and BLOCKED == BLOCKLIST


def test_the_vocabulary_is_the_eff_list_less_the_blocklist() -> None:
    assert len(SCHOOL_WORDS) == len(WORDS) - len(BLOCKLIST) > 7500
    assert list(SCHOOL_WORDS) == [word for word in WORDS if word not in BLOCKLIST]


def test_the_generator_draws_from_the_school_vocabulary(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[object] = []
    real_choice = generator.secrets.choice

    def spy(population: Sequence[str]) -> str:
        drawn.append(population)
        return real_choice(population)

    monkeypatch.setattr(generator.secrets, "choice", spy)
    generated = generator.generate(generator.GeneratorOptions(kind=generator.Kind.WORDS, length=6))
    assert drawn and all(population is SCHOOL_WORDS for population in drawn[:6])
    assert generated
