"""Key slot labels: what the unlock screen calls each key, chosen when it is made, never a name."""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

import pytest

from safedesk.screens.unlock import ANYONE, slot_choices
from safedesk.store.engine.keys.header import Header, Slot
from safedesk.store.engine.keys.labels import check_label, slot_titles, suggest_label
from safedesk.store.engine.keys.slots import add_user, change_passphrase, list_slots, replace_recovery_key, set_label
from safedesk.store.engine.session import Session
from safedesk.store.engine.snapshot import MAGIC
from safedesk.store.engine.vault import STORE_FILE
from safedesk.store.errors import InvalidInput, SafeDeskError, StoreCorrupt, WrongPassphrase
from tests.kit import DEPUTY_PASSPHRASE, PASSPHRASE


def _create(folder: Path, label: str | None = "blue kettle") -> Session:
    return Session.create(folder, "Oak Primary", "Sam Patel", PASSPHRASE, label=label)[0]


def test_the_unlock_screen_lists_each_key_by_its_label(store_dir: Path) -> None:
    with _create(store_dir) as session:
        add_user(session, "Jo Deputy", "deputy", DEPUTY_PASSPHRASE, label="amber compass")
        add_user(session, "Kim Deputy", "deputy", DEPUTY_PASSPHRASE + " x")  # none given: two random words
        generated = session.vault.header.slots[-1].label
    assert len(generated.split()) == 2
    choices = slot_choices(store_dir)
    assert [title for title, _ in choices] == [
        "Anyone: try each key",
        "Key 1: blue kettle",
        "Recovery key",
        "Key 2: amber compass",
        f"Key 3: {generated}",
    ]
    assert choices[0][1] == ANYONE
    raw = (store_dir / STORE_FILE).read_bytes()
    assert b"Sam" not in raw and b"Jo Deputy" not in raw  # the header holds labels, never names
    # The chosen slot opens with its own passphrase only.
    jo = next(slot for title, slot in choices if title.endswith("amber compass"))
    with Session.open(store_dir, DEPUTY_PASSPHRASE, jo) as opened:
        assert opened.user.name == "Jo Deputy"
    with pytest.raises(WrongPassphrase):
        Session.open(store_dir, PASSPHRASE, jo)


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("Sam Patel", "not a person's"),
        ("patel kettle", "not a person's"),
        ("oak kettle", "school's name"),
        ("", "Give the key a label"),
        ("x" * 121, "120 characters"),
    ],
)
def test_a_label_that_names_someone_or_is_empty_is_refused(store_dir: Path, label: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as refused:
        _create(store_dir, label)
    assert refused.value.field == "label"


def test_a_deputy_label_is_checked_against_every_name_and_label(store_dir: Path) -> None:
    with _create(store_dir) as session:
        for label, message in (("Jo", "not a person's"), ("Blue Kettle", "already has that label")):
            with pytest.raises(InvalidInput, match=message):
                add_user(session, "Jo Deputy", "deputy", DEPUTY_PASSPHRASE, label=label)


def test_a_label_can_be_changed_and_outlives_a_passphrase_change(store_dir: Path) -> None:
    with _create(store_dir) as session:
        assert set_label(session, "  green   teapot ") == "green teapot"
        change_passphrase(session, DEPUTY_PASSPHRASE, DEPUTY_PASSPHRASE)
        replace_recovery_key(session)
        assert [row.title for row in list_slots(session)] == ["Key 1: green teapot", "Recovery key"]
        with pytest.raises(SafeDeskError):
            set_label(session, "red pebble", session.vault.header.slots[-1].id)  # the recovery key's name is fixed
    with Session.open(store_dir, DEPUTY_PASSPHRASE) as reopened:
        assert reopened.vault.slot.label == "green teapot"
    assert [t for t, _ in slot_choices(store_dir)][1:] == ["Key 1: green teapot", "Recovery key"]


def test_stores_from_before_labels_show_numbered_keys() -> None:
    assert slot_titles([("dsl", ""), ("recovery", ""), ("deputy", "")]) == ["Key 1", "Recovery key", "Key 2"]


def test_a_slot_without_a_label_keeps_its_old_header_bytes(store_dir: Path) -> None:
    """An old header has no label key: reading and writing it back must not change its digest."""
    with _create(store_dir) as session:
        header = session.vault.header
    old = Header(
        store_id=header.store_id,
        events_recipient=header.events_recipient,
        slots=tuple(Slot(**{**s.__dict__, "label": ""}) for s in header.slots),
    )
    raw = old.to_bytes()
    assert b"label" not in raw
    assert Header.from_bytes(raw).to_bytes() == raw
    # The label is not part of the slot's wrapping: a labelled slot and its unlabelled copy open alike.
    dsl = header.slots[0]
    unlabelled = old.slots[0]
    assert dsl.label and not unlabelled.label
    secret = PASSPHRASE.encode()
    assert (dsl.unwrap(header.store_id, secret) is None) == (unlabelled.unwrap(header.store_id, secret) is None)


def test_a_label_changed_on_disk_is_refused_as_damage_not_shown(store_dir: Path) -> None:
    _create(store_dir).close()
    path = store_dir / STORE_FILE
    raw = path.read_bytes()
    assert raw.count(b"blue kettle") == 1
    forged = raw.replace(b"blue kettle", b"pink kettle")  # same length: only the label differs
    path.write_bytes(forged)
    with pytest.raises(StoreCorrupt):
        Session.open(store_dir, PASSPHRASE)
    # Someone who also rewrites the header's plain checksum still fails: the encrypted records are
    # bound to it (the slot itself still opens, so this is damage, not a wrong passphrase).
    (length,) = struct.unpack_from(">I", forged, len(MAGIC))
    end = len(MAGIC) + 4 + length + 16
    path.write_bytes(forged[:end] + hashlib.sha256(forged[:end]).digest() + forged[end + 32 :])
    with pytest.raises(StoreCorrupt) as refused:
        Session.open(store_dir, PASSPHRASE)
    assert "checksum" not in str(refused.value)
    path.write_bytes(raw)
    Session.open(store_dir, PASSPHRASE).close()


def test_suggested_labels_are_two_words_and_avoid_those_taken() -> None:
    taken = tuple(suggest_label() for _ in range(50))
    assert all(len(label.split()) == 2 for label in taken)
    fresh = suggest_label(taken)
    assert fresh not in taken or len(set(taken)) >= 240
    assert check_label(fresh, ("Sam Patel",)) == fresh
    assert json.dumps(fresh).isascii()
    # A suggestion never shares a word with the names it must not show.
    avoid = ("Amber Blue Green Red Violet Golden Grey Orange Teal White Black Silver Academy",)
    assert all(suggest_label(names=avoid).startswith("plain ") for _ in range(20))
    assert all(check_label(suggest_label(names=("Kettle Lantern School",)), ("Kettle Lantern School",)) for _ in range(50))
