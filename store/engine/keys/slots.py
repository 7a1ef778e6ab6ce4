"""Key-slot changes: add a deputy, remove a slot, change a passphrase, new recovery key.

Each rewraps the same data key under a new slot and writes a new header
generation, with an audit entry. Removing a slot stops that passphrase opening
this store from now on; a copy of the store taken earlier still opens with it
(as with any disk-encryption key slot), so take back old backups too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from safedesk.store.engine.core_records import ROLE_LABELS, User
from safedesk.store.engine.keys import crypto
from safedesk.store.engine.keys.labels import RECOVERY_LABEL, check_label, slot_titles, suggest_label
from safedesk.store.engine.keys.passphrase import check_new_passphrase
from safedesk.store.engine.keys.recovery import new_recovery_key, secret_for_slot
from safedesk.store.engine.records import utcnow
from safedesk.store.engine.session import Session
from safedesk.store.errors import InvalidInput, NotAllowed, RecordNotFound
from safedesk.store.text.dates import show_date, to_local_date

# Said wherever a slot is removed (CLI and app): removing a slot cannot reach copies already made.
REMOVED_NOTE = "Copies of the store made before now still open with that passphrase: collect old backups too."


@dataclass(frozen=True)
class SlotInfo:
    slot_id: str
    role: str
    name: str
    added_at: str  # DD/MM/YYYY (local), "" when the slot has no user record
    passphrase_changed_at: str
    current: bool
    title: str  # what the unlock screen calls it: "Key 2: amber compass", "Recovery key"
    label: str  # the slot's own label ("" for the recovery key)
    kind: str  # "passphrase" or "recovery key"


def _day(value: datetime | None) -> str:
    return show_date(to_local_date(value)) if value else ""


def list_slots(session: Session) -> list[SlotInfo]:
    users = {u.slot_id: u for u in session.active_users()}
    rows: list[SlotInfo] = []
    titles = slot_titles([(s.role, s.label) for s in session.vault.header.slots])
    for slot, title in zip(session.vault.header.slots, titles, strict=True):
        user = users.get(slot.id)
        rows.append(
            SlotInfo(
                slot_id=slot.id,
                role=ROLE_LABELS.get(slot.role, slot.role),
                name=user.name if user else "(no user record)",
                added_at=_day(user.added_at) if user else "",
                passphrase_changed_at=_day(user.passphrase_changed_at) if user else "",
                current=slot.id == session.vault.slot.id,
                title=title,
                label="" if slot.role == "recovery" else slot.label,
                kind="recovery key" if slot.role == "recovery" else "passphrase",
            )
        )
    return rows


def suggested_label(session: Session, name: str = "") -> str:
    """Two random words for a new key, unlike every label in use and sharing no word with any name."""
    names = (name, *(u.name for u in session.active_users()), session.setting().name)
    return suggest_label(session.vault.header.labels(), names)


def _kdf(session: Session) -> crypto.KdfParams:
    return session.options.kdf or crypto.calibrate()


def new_key_problems(
    session: Session, name: str, role: str, passphrase: str, confirmation: str | None = None, label: str | None = None
) -> dict[str, str]:
    """Everything wrong with a new key slot before any key is derived, by field
    (name, role, label, passphrase, confirm): the form shows each beside its field, the CLI the first."""
    problems: dict[str, str] = {}
    users = session.active_users()
    if role not in ("dsl", "deputy"):
        problems["role"] = "A new person's role is dsl or deputy."
    user = User(slot_id="", name=name, role=role if role in ROLE_LABELS else "deputy", added_at=utcnow()).cleaned()
    try:
        user.validate()
    except InvalidInput as error:
        problems["name"] = str(error)
    else:
        if any(u.name.casefold() == user.name.casefold() for u in users):
            problems["name"] = f"{user.name} already has a key slot."
    if label is not None:
        names = (user.name, *(u.name for u in users), session.setting().name)
        try:
            check_label(label, names, session.vault.header.labels())
        except InvalidInput as error:
            problems["label"] = str(error)
    try:
        check_new_passphrase(passphrase, context=(user.name, *session.guessable_names()))
    except InvalidInput as error:
        problems["passphrase"] = str(error)
    if "passphrase" not in problems and confirmation is not None and passphrase != confirmation:
        problems["confirm"] = "The two passphrases are different."
    return problems


def add_user(
    session: Session, name: str, role: str, passphrase: str, confirmation: str | None = None, label: str | None = None
) -> User:
    """A new person (usually a deputy DSL) with their own passphrase; audited as keys.add.

    `label`: what the unlock screen calls their key (labels.py; None: two random words).
    """
    problems = new_key_problems(session, name, role, passphrase, confirmation, label)
    if problems:
        field, message = next(iter(problems.items()))
        raise InvalidInput(message, field)
    user = User(slot_id="", name=name, role=role, added_at=utcnow()).cleaned()
    header = session.vault.header
    names = (user.name, *(u.name for u in session.active_users()), session.setting().name)
    label = check_label(suggested_label(session, user.name) if label is None else label, names, header.labels())
    slot = session.vault.new_slot(role, user.name, crypto.normalise_passphrase(passphrase), _kdf(session), label=label)
    user.slot_id = slot.id
    with session.transaction():
        stored = session.users.add(user, summary=f"key slot {slot.id} added ({ROLE_LABELS[role]})")
        session.audit_event("keys.add", f"key slot {slot.id} added for a {ROLE_LABELS[role]}")
        session.vault.replace_header(header.with_slots(header.slots + (slot,)))
    return stored


def removal_refused(session: Session, user: User) -> str | None:
    """Why `user`'s key slot may not be removed now (None: it may)."""
    if user.role == "recovery":
        return "The recovery key is replaced, not removed: r on the keys screen, or 'safedesk keys add --recovery'."
    others = [u for u in session.active_users() if u.role != "recovery" and u.slot_id != user.slot_id]
    if not others:
        return "This is the only passphrase that opens the store; add another person before removing it."
    if user.slot_id == session.vault.slot.id:
        return "This is the key you unlocked with: unlock with another key to remove it."
    return None


def remove_user(session: Session, who: str) -> User:
    """Remove a person's key slot (a name or slot id); audited as keys.remove.

    Refused (NotAllowed) for the recovery key, the last passphrase and the key in use.
    """
    user = session.find_user(who)
    refused = removal_refused(session, user)
    if refused:
        raise NotAllowed(refused)
    header = session.vault.header
    with session.transaction():
        user.removed_at = utcnow()
        session.users.save(user, summary=f"key slot {user.slot_id} removed")
        session.audit_event("keys.remove", f"key slot {user.slot_id} removed ({user.role_label})")
        session.vault.replace_header(header.with_slots(tuple(s for s in header.slots if s.id != user.slot_id)))
    return user


def passphrase_change_refused(session: Session) -> str | None:
    """Why the key this session was unlocked with has no passphrase to change (None: it has)."""
    if session.vault.slot.role == "recovery":
        return "The recovery key has no passphrase to change: replace it with r on the keys screen or 'safedesk keys add --recovery'."
    return None


def passphrase_change_problems(
    session: Session, new_passphrase: str, confirmation: str | None = None, current: str | None = None
) -> dict[str, str]:
    """Everything wrong with a new passphrase for your own key, found without deriving a key, by field
    (current, passphrase, confirm): the keys screen shows each beside its field, `safedesk passwd` the first.

    The same rule as at setup and for a new key: NCSC-style, rated by zxcvbn told the school's
    and the key holders' names. `current` (the app asks for it again; the CLI has just opened the
    store with it) is checked against the slot by `change_passphrase`, since that derives a key.
    """
    problems: dict[str, str] = {}
    if current is not None and not current:
        problems["current"] = "Type the passphrase you unlocked with."
    try:
        check_new_passphrase(new_passphrase, context=session.guessable_names())
    except InvalidInput as error:
        problems["passphrase"] = str(error)
    else:
        if current and crypto.normalise_passphrase(current) == crypto.normalise_passphrase(new_passphrase):
            problems["passphrase"] = "That is the passphrase you have now: choose a new one."
    if "passphrase" not in problems and confirmation is not None and new_passphrase != confirmation:
        problems["confirm"] = "The two passphrases are different."
    return problems


def change_passphrase(session: Session, new_passphrase: str, confirmation: str | None = None, current: str | None = None) -> None:
    """Rewrap the current user's slot under a new passphrase (new salt, recalibrated cost); audited as keys.passwd.

    `current`, when given, must open the slot this session was unlocked with (checked here, as it
    derives a key: run this off the UI thread). Afterwards the old passphrase no longer opens the store.
    """
    refused = passphrase_change_refused(session)
    if refused:
        raise NotAllowed(refused)
    problems = passphrase_change_problems(session, new_passphrase, confirmation, current)
    if problems:
        field, message = next(iter(problems.items()))
        raise InvalidInput(message, field)
    if current is not None and not session.vault.check_passphrase(current):
        raise InvalidInput("That is not the passphrase you unlocked with. Check Caps Lock.", "current")
    header = session.vault.header
    current_slot = session.vault.slot
    user = session.find_user(current_slot.id)
    slot = session.vault.new_slot(
        current_slot.role,
        user.name,
        crypto.normalise_passphrase(new_passphrase),
        _kdf(session),
        slot_id=current_slot.id,
        label=current_slot.label,
    )
    with session.transaction():
        user.passphrase_changed_at = utcnow()
        session.users.save(user, summary=f"passphrase changed for key slot {current_slot.id}")
        session.audit_event("keys.passwd", f"passphrase changed for key slot {current_slot.id}")
        session.vault.replace_header(header.with_slots(tuple(slot if s.id == current_slot.id else s for s in header.slots)))
    session.vault.slot = slot


def replace_recovery_key(session: Session) -> str:
    """A new recovery key (show it once); the old one stops working."""
    header = session.vault.header
    key = new_recovery_key()
    old = next((s for s in header.slots if s.role == "recovery"), None)
    slot = session.vault.new_slot("recovery", "", secret_for_slot("recovery", key) or b"", _kdf(session), label=RECOVERY_LABEL)
    with session.transaction():
        if old is not None:
            for user in session.active_users():
                if user.slot_id == old.id:
                    user.removed_at = utcnow()
                    session.users.save(user, summary=f"recovery key slot {old.id} replaced")
        session.users.add(User(slot_id=slot.id, name="Recovery key", role="recovery", added_at=utcnow()))
        session.audit_event("keys.recovery", f"recovery key replaced (new slot {slot.id})")
        kept = tuple(s for s in header.slots if s.role != "recovery")
        session.vault.replace_header(header.with_slots(kept + (slot,)))
    return key


def set_label(session: Session, label: str, slot_id: str | None = None) -> str:
    """Change what the unlock screen calls a key (yours unless `slot_id`); the label as stored."""
    header = session.vault.header
    slot = header.slot(slot_id or session.vault.slot.id)
    if slot is None:
        raise RecordNotFound("There is no such key slot: see 'safedesk keys list'.")
    if slot.role == "recovery":
        raise NotAllowed("Only a person's key has a label of its own (the recovery key is always 'Recovery key').")
    names = (*(u.name for u in session.active_users()), session.setting().name)
    label = check_label(label, names, tuple(s.label for s in header.slots if s.label and s.id != slot.id))
    with session.transaction():
        session.audit_event("keys.label", f"label changed for key slot {slot.id}")
        session.vault.replace_header(
            header.with_slots(tuple(replace(s, label=label) if s.id == slot.id else s for s in header.slots))
        )
    if session.vault.slot.id == slot.id:
        session.vault.slot = replace(session.vault.slot, label=label)
    return label


def recovery_key_unconfirmed(session: Session) -> bool:
    """Whether the last recovery key shown was never confirmed as written down."""
    return session.meta().recovery_key_unconfirmed


def set_recovery_key_unconfirmed(session: Session, unconfirmed: bool) -> None:
    """Record that a recovery key is being shown (True) or that its confirm step is done (False).

    The key itself is never stored in plain form, so an unconfirmed key cannot be shown
    again: the app reminds on each unlock and offers a new key instead.
    """
    meta = session.meta()
    if meta.recovery_key_unconfirmed != unconfirmed:
        session.meta_repo().save(replace(meta, recovery_key_unconfirmed=unconfirmed), summary="recovery key confirmation")
