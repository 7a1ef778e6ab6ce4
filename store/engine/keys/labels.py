"""Key slot labels: what the unlock screen calls each key ("Key 2: blue kettle"), never a name.

A label lives in the plaintext header, so anyone holding the store file can read it: it
tells deputies their keys apart without telling a passer-by (or a thief) who they are.
`check_label` refuses a label holding the person's name. The header's digest is bound into
every encrypted record (vault.py), so a label changed on disk makes the store refuse to open
as damaged instead of showing a forged label; the slot's own wrapping leaves the label out
for that reason (a changed label must not look like a wrong passphrase).
"""

from __future__ import annotations

import re
import secrets

from safedesk.store.errors import InvalidInput
from safedesk.store.text.clean import clean_text
from safedesk.store.text.limits import Kind, limit, too_long

RECOVERY_LABEL = "Recovery key"
_WORD = re.compile(r"[^\W_]+")  # "Sam's" holds "sam"
_COLOURS = ("blue", "green", "amber", "silver", "red", "violet", "golden", "grey", "orange", "teal", "white", "black")
_THINGS = (
    "kettle", "lantern", "compass", "teapot", "anchor", "pebble", "ladder", "acorn", "violin", "bicycle",
    "candle", "feather", "harbour", "meadow", "orbit", "pencil", "rocket", "thimble", "tulip", "walnut",
)  # fmt: skip


def suggest_label(taken: tuple[str, ...] = (), names: tuple[str, ...] = ()) -> str:
    """Two random words ("amber compass"), different from the labels already `taken` and
    sharing no word with `names` (a school called Amber Academy gets no "amber" key)."""
    used = {label.casefold() for label in taken}
    avoid = {word for name in names for word in _WORD.findall(name.casefold())}
    colours = [c for c in _COLOURS if c not in avoid] or ["plain"]
    things = [t for t in _THINGS if t not in avoid] or ["key"]
    for _ in range(1000):  # 240 pairs: a free one is found long before, unless nearly all are taken
        label = f"{secrets.choice(colours)} {secrets.choice(things)}"
        if label not in used:
            return label
    return f"{secrets.choice(colours)} {secrets.choice(things)} {len(used) + 1}"


def check_label(label: str, names: tuple[str, ...], taken: tuple[str, ...] = ()) -> str:
    """The label cleaned to one line; InvalidInput("label") if empty, too long, a name or already used."""
    label = " ".join(clean_text(label).split())
    if not label:
        raise InvalidInput("Give the key a label, e.g. two words like 'blue kettle'.", "label")
    if len(label) > limit(Kind.NAME):
        raise InvalidInput(too_long(Kind.NAME), "label")
    words = set(_WORD.findall(label.casefold()))
    for name in names:
        parts = {part for part in _WORD.findall(name.casefold()) if len(part) >= 2}
        if parts & words:
            raise InvalidInput(
                "Anyone with the store file can read this label: choose words that are not a person's or the school's name.",
                "label",
            )
    if label.casefold() in {t.casefold() for t in taken}:
        raise InvalidInput("Another key already has that label: choose another.", "label")
    return label


def slot_titles(slots: list[tuple[str, str]]) -> list[str]:
    """What the unlock screen calls each (role, label) slot: "Key 1: blue kettle", "Key 2", "Recovery key"."""
    titles = []
    number = 0
    for role, label in slots:
        if role == "recovery":
            titles.append(RECOVERY_LABEL)
            continue
        number += 1
        titles.append(f"Key {number}: {label}" if label else f"Key {number}")
    return titles
