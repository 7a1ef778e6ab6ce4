"""`safedesk recover`: the best state the files hold, made the store without making things worse.

Reads the store and its journal, or, when the store file is missing or damaged, the kept
previous save, its journal and the current journal if it extends that save (generation + 1,
its header tag verified under the data key). What would be lost is said in words without
personal data (counts by table). A store that is not damaged is only rolled back, to the
kept previous save or to an older copy than this computer last saw, when the caller's
`confirm` says yes. The new generation's number is above every one any file (or this
computer's note) has named, so none is used twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safedesk.store.engine import anchor
from safedesk.store.engine.changes import Tables
from safedesk.store.engine.files import WriterLock, describe_os_error
from safedesk.store.engine.keys.header import FORMAT_VERSION, Header
from safedesk.store.engine.vault import (
    BACKUP_SUFFIX,
    JMAGIC,
    JOURNAL_FILE,
    MIN_COMPACT_BYTES,
    STORE_FILE,
    JournalHead,
    Replayed,
    Snapshot,
    Unlocked,
    Vault,
    journal_generation,
    open_snapshot,
    parse_journal_head,
    parse_snapshot,
    replay_frames,
    replay_journal,
    rollback_check,
    settle,
    store_files,
    unlock_slot,
)
from safedesk.store.errors import NotAllowed, StoreCorrupt, StoreNotFound


def recover(
    folder: Path,
    passphrase: str,
    user: str | None = None,
    *,
    confirm: Callable[[str], bool] | None = None,
    compact_bytes: int = MIN_COMPACT_BYTES,
    on_failed_unlock: Any = None,
) -> tuple[Vault, str]:
    """Make the best readable state the current store, as a new generation.

    A store that is not damaged is rolled back only if `confirm`, shown what would be lost,
    says yes (None: never). Returns the vault and what was done, including what could not
    be read.
    """
    lock = WriterLock(folder)
    lock.acquire()
    try:
        settle(folder, write=True)
        plan = plan_recovery(folder, passphrase, user, on_failed_unlock=on_failed_unlock)
        if plan.healthy and (confirm is None or not confirm(plan.loss)):
            raise NotAllowed(f"{plan.loss} Nothing was changed.")
        return Vault.rebuild(folder, lock, plan.state, plan.new_generation, compact_bytes), plan.summary
    except OSError as error:
        lock.release()
        raise describe_os_error(error, "recover the store") from None
    except BaseException:
        lock.release()
        raise


@dataclass
class RecoveryPlan:
    state: Unlocked
    new_generation: int
    loss: str  # what taking `state` loses; "" when nothing
    summary: str
    healthy: bool = False  # the store was not damaged: taking `state` is a rollback


def plan_recovery(folder: Path, passphrase: str, user: str | None, *, on_failed_unlock: Any = None) -> RecoveryPlan:
    """The best state the files hold, what taking it would lose, and what to set aside."""
    store, journal = folder / STORE_FILE, folder / JOURNAL_FILE
    store_bak, journal_bak = folder / (STORE_FILE + BACKUP_SUFFIX), folder / (JOURNAL_FILE + BACKUP_SUFFIX)
    snapshot = _try_parse(store)
    previous = _try_parse(store_bak)
    journal_raw = _try_read(journal)
    headers = [s.header for s in (snapshot, previous) if isinstance(s, Snapshot)]
    if journal_raw is not None and journal_raw.startswith(JMAGIC):
        try:
            headers.append(parse_journal_head(journal_raw, journal, None).header)
        except StoreCorrupt:
            pass
    if not headers:
        if not store_files(folder):
            raise StoreNotFound(f"No SafeDesk store in {folder}. Run 'safedesk init' to create one.")
        raise StoreCorrupt(
            f"Neither the store file, its kept previous save nor its journal in {folder} can be read: nothing to recover from.",
            str(store),
        )
    slot, key = unlock_slot(headers[0], passphrase, user, on_failed_unlock)
    generations = [s.generation for s in (snapshot, previous) if isinstance(s, Snapshot)]
    generations += [g for g in (journal_generation(journal), journal_generation(journal_bak)) if g is not None]
    last = anchor.load(headers[0].store_id)
    if last is not None:
        generations.append(last.generation)
    new_generation = max(generations) + 1  # never a number a save of this store already had

    def state(header: Header, generation: int, tables: Tables, replayed: Replayed) -> Unlocked:
        return Unlocked(header, key, slot, generation, tables, 0, 0, replayed.torn, b"", FORMAT_VERSION)

    # 1. The store file opens: keep it and every journal frame that reads.
    current: tuple[Unlocked, Replayed] | None = None
    if isinstance(snapshot, Snapshot):
        try:
            tables = open_snapshot(snapshot, key)
            replayed = replay_journal(journal, snapshot, key, tables, strict=False)
            current = (state(snapshot.header, snapshot.generation, tables, replayed), replayed)
        except StoreCorrupt:
            current = None
    # 2. The kept previous save, its journal, then the current journal if it extends it.
    rebuilt: Unlocked | None = None
    rebuilt_note = ""
    if current is None:
        rebuilt, rebuilt_note = _rebuild(folder, previous, journal_raw, key, headers, state)
    if current is not None:
        chosen, replayed = current
        if replayed.damage is None:
            behind = rollback_check(snapshot, replayed) if isinstance(snapshot, Snapshot) else None
            if behind is not None:
                loss = (
                    f"{behind.split(':')[0]}. Keeping this copy as the store drops the later saves this computer saw "
                    f"(save {last.generation}.{last.frames} and before it back to {chosen.generation}.{replayed.frames})."
                    if last
                    else behind
                )
                summary = "Kept the older copy as the store (the rollback was accepted)."
                return RecoveryPlan(chosen, new_generation, loss, summary, healthy=True)
            return _rollback_to_previous(folder, chosen, previous, key, new_generation, state)
        loss = f"{replayed.damage} Every save up to the damage is kept ({replayed.frames} in the journal); later ones cannot be read."
        summary = f"{loss} Recovered the store with {replayed.frames} journal save(s); the damaged journal was set aside."
        return RecoveryPlan(chosen, new_generation, loss, summary)
    if rebuilt is None:
        raise StoreCorrupt(
            f"The store file {store} cannot be read and there is no readable kept previous save to rebuild it from.",
            str(store),
        )
    loss = "" if "damaged" not in rebuilt_note else "Later saves cannot be read."
    summary = f"Rebuilt the store from {rebuilt_note}; the damaged or missing files were set aside. {loss}".strip()
    return RecoveryPlan(rebuilt, new_generation, loss, summary)


def _try_parse(path: Path) -> Snapshot | StoreCorrupt | None:
    try:
        return parse_snapshot(path)
    except FileNotFoundError:
        return None
    except StoreCorrupt as error:
        return error


def _try_read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _rebuild(
    folder: Path,
    previous: Snapshot | StoreCorrupt | None,
    journal_raw: bytes | None,
    key: bytes,
    headers: list[Header],
    state: Callable[[Header, int, Tables, Replayed], Unlocked],
) -> tuple[Unlocked | None, str]:
    """The store rebuilt without its store file: previous save + its journal + the current journal."""
    journal = folder / JOURNAL_FILE
    head: JournalHead | None = None
    if journal_raw is not None and journal_raw.startswith(JMAGIC):
        try:
            head = parse_journal_head(journal_raw, journal, key)
        except StoreCorrupt:
            head = None
    tables: Tables
    if isinstance(previous, Snapshot):
        try:
            tables = open_snapshot(previous, key)
            kept = replay_journal(folder / (JOURNAL_FILE + BACKUP_SUFFIX), previous, key, tables, strict=False)
        except StoreCorrupt:
            return None, ""
        note = f"the kept previous save (generation {previous.generation})"
        header, generation = previous.header, previous.generation
        if kept.damage:
            note += ", whose journal is damaged"
            return state(header, generation, tables, kept), note
        if head is None or head.generation != previous.generation + 1:
            return state(header, generation, tables, kept), note + " alone"
    elif head is not None and head.generation == 1:
        # Generation 1's snapshot is empty by construction (Vault.create).
        tables, note, header, generation = {}, "the first save's journal", head.header, 0
    else:
        return None, ""
    assert head is not None and journal_raw is not None
    replayed = replay_frames(journal_raw, head, journal, key, tables, strict=False)
    note += f" and the journal after it ({replayed.frames} save(s))"
    if replayed.damage:
        note += ", whose end is damaged"
    return state(head.header, head.generation, tables, replayed), note


def _rollback_to_previous(
    folder: Path,
    current: Unlocked,
    previous: Snapshot | StoreCorrupt | None,
    key: bytes,
    new_generation: int,
    state: Callable[[Header, int, Tables, Replayed], Unlocked],
) -> RecoveryPlan:
    """The store is healthy: going back to the kept previous save is a rollback, named in full."""
    if not isinstance(previous, Snapshot):
        raise NotAllowed("The store is not damaged and there is no readable previous save to go back to: nothing to recover.")
    tables = open_snapshot(previous, key)
    replayed = replay_journal(folder / (JOURNAL_FILE + BACKUP_SUFFIX), previous, key, tables, strict=False)
    lost = describe_difference(current.tables, tables)
    loss = f"The store is not damaged. Going back to the kept previous save (generation {previous.generation}) would lose {lost}."
    summary = f"Went back to the kept previous save (generation {previous.generation}); the newer files were set aside."
    return RecoveryPlan(
        state(previous.header, previous.generation, tables, replayed), new_generation, loss, summary, healthy=True
    )


def describe_difference(newer: Tables, older: Tables) -> str:
    """What `older` lacks of `newer`, by table, in words without personal data."""
    counts: dict[str, int] = {}
    for name, table in newer.items():
        base = older.get(name, {})
        changed = sum(1 for doc_id, doc in table.items() if base.get(doc_id) != doc)
        removed = len(base.keys() - table.keys())
        if changed + removed:
            counts[name] = changed + removed
    if not counts:
        return "no record (the two saves hold the same records)"
    parts = ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))
    return f"{sum(counts.values())} record change(s) made since then ({parts})"
