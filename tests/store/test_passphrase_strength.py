"""New passphrases are rated by zxcvbn, told the school's and the people's names; anything under
"strong" is refused with the estimator's feedback (issue 17's examples), three random words pass."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from safedesk.store.accounts.school_words import SCHOOL_WORDS
from safedesk.store.engine.keys.passphrase import MIN_SCORE, assess, check_new_passphrase
from safedesk.store.engine.session import Session
from safedesk.store.errors import InvalidInput

SCHOOL = ("Oakfield Primary School", "Ann Jones")


@pytest.mark.parametrize(
    "passphrase",
    ["P@ssw0rd2026", "1q2w3e4r5t6y", "Oakfield Primary 2026", "oakfieldprimary2026", "AnnJones1985!!", "apple banana cherry"],
)
def test_guessable_passphrases_are_refused_with_feedback(passphrase: str) -> None:
    strength = assess(passphrase, SCHOOL)
    assert not strength.acceptable and strength.score < MIN_SCORE == 4
    assert strength.feedback or passphrase == "apple banana cherry"
    with pytest.raises(InvalidInput) as refused:
        check_new_passphrase(passphrase, context=SCHOOL)
    assert strength.label in str(refused.value) and all(message in str(refused.value) for message in strength.feedback)


def test_the_feedback_names_the_school_name() -> None:
    assert "school's name" in " ".join(assess("Oakfield Primary 2026", SCHOOL).feedback)


def test_three_random_words_are_strong() -> None:
    chooser = random.Random(17)  # fixed, so the test does not flicker
    triples = [" ".join(chooser.choice(SCHOOL_WORDS) for _ in range(3)) for _ in range(40)]
    strong = [triple for triple in triples if assess(triple, SCHOOL).acceptable]
    assert len(strong) >= 36, sorted(set(triples) - set(strong))
    for passphrase in ("orbit candle meadow", "correct horse battery staple", "violet anchor pebble harbour"):
        assert assess(passphrase, SCHOOL).label == "strong"


def test_a_very_long_passphrase_is_rated_not_refused_for_its_length() -> None:
    assert assess(" ".join(["orbit candle meadow"] * 10)).acceptable


def test_creating_a_store_refuses_the_schools_name_plus_a_year(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="school's name"):
        Session.create(tmp_path / "store", "Oakfield Primary School", "Ann Jones", "Oakfield Primary 2026")
    assert not (tmp_path / "store").exists()
