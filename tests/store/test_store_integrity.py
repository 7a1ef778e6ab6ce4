"""Store format v2: a damaged, swapped, older or missing file is named and refused, never
taken for a crash leftover; recovery rebuilds without making things worse; verify changes nothing."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from safedesk.store.engine import anchor, events
from safedesk.store.engine import vault as vault_module
from safedesk.store.engine.keys import crypto
from safedesk.store.engine.session import OpenOptions, Session
from safedesk.store.engine.vault import BACKUP_SUFFIX, EVENTS_FILE, JOURNAL_FILE, NEXT_SUFFIX, STORE_FILE
from safedesk.store.errors import NotAllowed, StoreCorrupt, StoreExists, StoreRolledBack, StoreWriteError
from tests.kit import PASSPHRASE, Note

STORE_BAK = STORE_FILE + BACKUP_SUFFIX
JOURNAL_BAK = JOURNAL_FILE + BACKUP_SUFFIX


def make_store(folder: Path, notes: int = 6, compact_after: int = 3) -> list[str]:
    """A store with a kept previous save and `notes - compact_after` saves in its journal."""
    session, _ = Session.create(folder, "Oak Primary", "Sam Patel", PASSPHRASE)
    titles = []
    for i in range(notes):
        if i == compact_after:
            session.vault.compact()
        session.repo(Note).add(Note(title=f"note {i}"))
        titles.append(f"note {i}")
    session.close()
    return titles


def titles(folder: Path, **kwargs: object) -> list[str]:
    with Session.open(folder, PASSPHRASE, **kwargs) as session:  # type: ignore[arg-type]
        return [n.title for n in sorted(session.repo(Note).all(), key=lambda n: n.title)]


def folder_hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def assert_refused_naming(folder: Path, name: str) -> StoreCorrupt:
    before = folder_hashes(folder)
    with pytest.raises(StoreCorrupt) as caught:
        Session.open(folder, PASSPHRASE)
    assert str(folder / name) in str(caught.value)
    assert folder_hashes(folder) == before  # nothing overwritten, nothing merged
    return caught.value


# --------------------------------------------------------------------- the journal


def test_frames_chain_and_the_journal_is_bound_to_its_snapshot(store_dir):
    make_store(store_dir)
    raw = (store_dir / JOURNAL_FILE).read_bytes()
    assert raw.startswith(b"SAFEDESK-JOURNAL/2\n")
    generation = struct.unpack_from(">Q", raw, len(vault_module.JMAGIC))[0]
    digest = raw[len(vault_module.JMAGIC) + 8 : len(vault_module.JMAGIC) + 40]
    snapshot = (store_dir / STORE_FILE).read_bytes()
    prefix_and_check = len(vault_module.MAGIC) + 4 + _header_len(store_dir) + 8 + 8 + 32  # generation, fold point, checksum
    named = b"safedesk-snapshot/2\0" + snapshot[: prefix_and_check + 12] + snapshot[-16:]
    assert digest == hashlib.sha256(named).digest()
    assert (
        generation
        == struct.unpack_from(">Q", (store_dir / STORE_FILE).read_bytes(), len(vault_module.MAGIC) + 4 + _header_len(store_dir))[
            0
        ]
    )


def _header_len(folder: Path) -> int:
    return struct.unpack_from(">I", (folder / STORE_FILE).read_bytes(), len(vault_module.MAGIC))[0]


def test_journal_of_the_previous_generation_is_refused(store_dir):
    make_store(store_dir)
    shutil.copy(store_dir / JOURNAL_BAK, store_dir / JOURNAL_FILE)  # an older journal put back
    error = assert_refused_naming(store_dir, JOURNAL_FILE)
    assert "does not belong" in str(error)


def test_journal_of_another_store_is_refused(tmp_path, store_dir):
    make_store(store_dir)
    other = tmp_path / "other"
    make_store(other)
    shutil.copy(other / JOURNAL_FILE, store_dir / JOURNAL_FILE)
    assert_refused_naming(store_dir, JOURNAL_FILE)


def test_missing_journal_is_refused_not_taken_for_empty(store_dir):
    make_store(store_dir)
    (store_dir / JOURNAL_FILE).unlink()
    error = assert_refused_naming(store_dir, JOURNAL_FILE)
    assert "missing" in str(error)


def test_damaged_length_is_refused_not_taken_for_a_torn_tail(store_dir):
    make_store(store_dir)
    journal = store_dir / JOURNAL_FILE
    raw = bytearray(journal.read_bytes())
    head = _journal_head_end(raw)
    raw[head + 2] ^= 0x01  # the first frame's length
    journal.write_bytes(bytes(raw))
    error = assert_refused_naming(store_dir, JOURNAL_FILE)
    assert "length" in str(error)


def _journal_head_end(raw: bytes | bytearray) -> int:
    pos = len(vault_module.JMAGIC) + 8 + 32
    (length,) = struct.unpack_from(">I", raw, pos)
    return pos + 4 + length + 28


@pytest.mark.parametrize("pair", [(STORE_FILE, STORE_BAK), (JOURNAL_FILE, JOURNAL_BAK)])
def test_swapped_current_and_backup_files_are_refused(store_dir, pair):
    make_store(store_dir)
    a, b = (store_dir / name for name in pair)
    a_bytes, b_bytes = a.read_bytes(), b.read_bytes()
    a.write_bytes(b_bytes)
    b.write_bytes(a_bytes)
    with pytest.raises(StoreCorrupt) as caught:
        Session.open(store_dir, PASSPHRASE)
    assert str(store_dir / JOURNAL_FILE) in str(caught.value) or str(store_dir) in str(caught.value)


def test_the_whole_pair_put_back_from_the_backup_is_a_rollback(store_dir):
    make_store(store_dir)
    shutil.copy(store_dir / STORE_BAK, store_dir / STORE_FILE)
    shutil.copy(store_dir / JOURNAL_BAK, store_dir / JOURNAL_FILE)
    before = folder_hashes(store_dir)
    with pytest.raises(StoreRolledBack, match="older than the last one this computer saw"):
        Session.open(store_dir, PASSPHRASE)
    assert folder_hashes(store_dir) == before


def test_cut_journal_is_a_rollback_when_this_computer_saw_more(store_dir):
    make_store(store_dir)
    journal = store_dir / JOURNAL_FILE
    raw = journal.read_bytes()
    journal.write_bytes(raw[: len(raw) - 5])  # the last acknowledged save cut short
    with pytest.raises(StoreRolledBack):
        Session.open(store_dir, PASSPHRASE)
    assert titles(store_dir, read_only=True) == [f"note {i}" for i in range(5)]  # read-only still reads


def test_older_copy_of_the_whole_folder_is_detected(tmp_path, store_dir):
    make_store(store_dir)
    copy = tmp_path / "copy"
    shutil.copytree(store_dir, copy)
    with Session.open(store_dir, PASSPHRASE) as session:
        session.repo(Note).add(Note(title="later"))
    shutil.rmtree(store_dir)
    shutil.copytree(copy, store_dir)  # a synced folder went back in time
    with pytest.raises(StoreRolledBack):
        Session.open(store_dir, PASSPHRASE)
    with Session.open(store_dir, PASSPHRASE, read_only=True) as session:
        assert session.vault.rollback_warning and "older" in session.vault.rollback_warning


def test_rollback_note_lives_outside_the_store_folder(store_dir):
    make_store(store_dir)
    notes = list(anchor.anchor_dir().glob("*.json"))
    assert len(notes) == 1 and store_dir not in notes[0].parents
    assert os.environ["XDG_DATA_HOME"] in str(notes[0])  # the test's own home, not the user's


# --------------------------------------------------------------------- compaction


def test_failed_compaction_leaves_every_file_as_it_was(store_dir, monkeypatch):
    make_store(store_dir)
    before = folder_hashes(store_dir)
    real_write = os.write
    with Session.open(store_dir, PASSPHRASE) as session:
        before = folder_hashes(store_dir)  # after the unlock's own writes

        def disk_full(fd: int, data: bytes) -> int:
            if len(data) > 200:  # the new generation's files, not the small journal frames
                raise OSError(errno.ENOSPC, "No space left on device")
            return real_write(fd, data)

        monkeypatch.setattr(os, "write", disk_full)
        with pytest.raises(StoreWriteError, match="disk is full"):
            session.vault.compact()
        monkeypatch.setattr(os, "write", real_write)
        assert folder_hashes(store_dir) == before
        assert not list(store_dir.glob(f"*{NEXT_SUFFIX}")) and not list(store_dir.glob("*.tmp-*"))
        session.repo(Note).add(Note(title="after"))
    assert titles(store_dir) == ["after", *(f"note {i}" for i in range(6))]


def test_compaction_that_fails_during_a_commit_keeps_the_commit(store_dir, monkeypatch):
    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE, OpenOptions(compact_bytes=1))
    session.repo(Note).add(Note(title="first"))
    session.vault.wait_for_fold()  # folds run in the background
    baks = {name: (store_dir / name).read_bytes() for name in (STORE_BAK, JOURNAL_BAK)}
    real = vault_module.atomic_write

    def full(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(vault_module, "atomic_write", full)
    monkeypatch.setattr(vault_module.Vault, "_snapshot_size", lambda self: 0)  # fold at every commit
    session.repo(Note).add(Note(title="kept in the journal"))
    session.vault.wait_for_fold()  # the fold runs in the background
    assert session.vault.compaction_error is not None
    assert {name: (store_dir / name).read_bytes() for name in baks} == baks
    monkeypatch.setattr(vault_module, "atomic_write", real)
    session.close()
    assert titles(store_dir) == ["first", "kept in the journal"]


@pytest.mark.parametrize("stop_after", [0, 1, 2, 3, 4])
def test_a_switch_cut_short_by_a_crash_is_finished_on_open(store_dir, monkeypatch, stop_after):
    """Kill the compaction after each rename of the switch: every record is there after."""
    make_store(store_dir)
    calls = {"n": 0}
    real = vault_module.replace

    class Crash(BaseException):
        pass

    def renames(src: Path, dst: Path) -> None:
        if calls["n"] == stop_after:
            raise Crash
        calls["n"] += 1
        real(src, dst)

    session = Session.open(store_dir, PASSPHRASE)
    monkeypatch.setattr(vault_module, "replace", renames)
    with pytest.raises(Crash):
        session.vault.compact()
    monkeypatch.setattr(vault_module, "replace", real)
    session.vault._lock.release()  # the process "died": the OS drops its lock
    expected = [f"note {i}" for i in range(6)]
    assert titles(store_dir, read_only=True) == expected  # read-only works it out without renaming
    assert titles(store_dir) == expected
    assert not list(store_dir.glob(f"*{NEXT_SUFFIX}"))


# --------------------------------------------------------------------- recovery and init


def test_deleted_store_file_init_refuses_and_recover_brings_records_back(store_dir):
    expected = make_store(store_dir)
    generation = _generation(store_dir / STORE_FILE)
    (store_dir / STORE_FILE).unlink()
    with pytest.raises(StoreExists, match="already"):
        Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    with pytest.raises(StoreCorrupt, match="recover"):
        Session.open(store_dir, PASSPHRASE)
    with Session.open(store_dir, PASSPHRASE, use_backup=True) as session:
        assert "Rebuilt" in session.recovery_summary
        assert session.audit.verify().ok
    assert titles(store_dir) == expected
    assert _generation(store_dir / STORE_FILE) > generation  # never a generation number used before


def test_deleted_store_file_of_a_new_store_is_rebuilt_from_its_first_journal(store_dir):
    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    session.repo(Note).add(Note(title="only"))
    session.close()
    assert not (store_dir / STORE_BAK).exists()
    (store_dir / STORE_FILE).unlink()
    with Session.open(store_dir, PASSPHRASE, use_backup=True):
        pass
    assert titles(store_dir) == ["only"]


def test_damaged_store_file_recovers_every_save_from_backup_and_journal(store_dir):
    expected = make_store(store_dir)
    path = store_dir / STORE_FILE
    raw = bytearray(path.read_bytes())
    raw[-5] ^= 0x10
    path.write_bytes(bytes(raw))
    with Session.open(store_dir, PASSPHRASE, use_backup=True):
        pass
    assert titles(store_dir) == expected  # the kept save plus the journal: nothing lost
    assert [p.read_bytes() for p in store_dir.glob(f"{STORE_FILE}.damaged-*")] == [bytes(raw)]


def test_recover_of_a_healthy_store_asks_naming_what_would_be_lost(store_dir):
    make_store(store_dir)
    before = folder_hashes(store_dir)
    asked: list[str] = []
    with pytest.raises(NotAllowed, match="Nothing was changed"):
        Session.open(store_dir, PASSPHRASE, use_backup=True, confirm=lambda loss: asked.append(loss) or False)
    assert asked and "not damaged" in asked[0] and "notes 3" in asked[0]
    assert folder_hashes(store_dir) == before
    with pytest.raises(NotAllowed):
        Session.open(store_dir, PASSPHRASE, use_backup=True)  # no one to ask: never
    generation = _generation(store_dir / STORE_FILE)
    with Session.open(store_dir, PASSPHRASE, use_backup=True, confirm=lambda loss: True):
        pass
    assert titles(store_dir) == ["note 0", "note 1", "note 2"]
    assert _generation(store_dir / STORE_FILE) > generation


def test_recover_accepts_an_older_copy_only_when_confirmed(tmp_path, store_dir):
    make_store(store_dir)
    copy = tmp_path / "copy"
    shutil.copytree(store_dir, copy)
    with Session.open(store_dir, PASSPHRASE) as session:
        session.repo(Note).add(Note(title="later"))
    shutil.rmtree(store_dir)
    shutil.copytree(copy, store_dir)
    asked: list[str] = []
    with Session.open(store_dir, PASSPHRASE, use_backup=True, confirm=lambda loss: asked.append(loss) or True):
        pass
    assert "older" in asked[0]
    assert "later" not in titles(store_dir)  # and it opens normally again


def _generation(path: Path) -> int:
    return vault_module.parse_snapshot(path).generation


# --------------------------------------------------------------------- verify is read-only


def test_verify_changes_no_byte_and_leaves_events_for_the_next_unlock(store_dir):
    from safedesk.store.features import verify_store

    make_store(store_dir)
    with pytest.raises(Exception, match="Wrong passphrase"):
        Session.open(store_dir, "a wrong guess entirely")
    assert (store_dir / EVENTS_FILE).exists()
    (store_dir / JOURNAL_FILE).write_bytes((store_dir / JOURNAL_FILE).read_bytes() + b"\0\0\0")  # a torn tail
    before = folder_hashes(store_dir)
    seen = anchor.load(_store_id(store_dir))
    with Session.open(store_dir, PASSPHRASE, read_only=True) as session:
        report = verify_store(session)
        with pytest.raises(StoreWriteError, match="read-only"):
            session.repo(Note).add(Note(title="no"))
    assert report.ok, report.lines()
    assert any("kept previous save opens" in line for line in report.lines())
    assert folder_hashes(store_dir) == before
    assert anchor.load(_store_id(store_dir)) == seen
    with Session.open(store_dir, PASSPHRASE) as session:  # the next normal unlock merges them
        assert session.merged_events == 1


def test_verify_reports_a_damaged_backup_pair(store_dir):
    from safedesk.store.features import verify_store

    make_store(store_dir)
    path = store_dir / JOURNAL_BAK
    raw = bytearray(path.read_bytes())
    raw[-3] ^= 0x01
    path.write_bytes(bytes(raw))
    with Session.open(store_dir, PASSPHRASE, read_only=True) as session:
        report = verify_store(session)
    assert not report.ok
    assert any("FAULT" in line and str(path) in line for line in report.lines())


def _store_id(folder: Path) -> str:
    return vault_module.parse_snapshot(folder / STORE_FILE).header.store_id


# --------------------------------------------------------------------- events sealed while locked


def _forge(folder: Path, event: dict[str, object]) -> None:
    """What anyone who can write to the folder can do: seal a line to the public key."""
    import base64

    import pyrage

    header = vault_module.parse_snapshot(folder / STORE_FILE).header
    recipient = pyrage.x25519.Recipient.from_str(header.events_recipient)
    line = base64.b64encode(pyrage.encrypt(json.dumps(event).encode(), [recipient])) + b"\n"
    with (folder / EVENTS_FILE).open("ab") as handle:
        handle.write(line)


def test_forged_locked_events_cannot_write_history(store_dir):
    make_store(store_dir)
    with Session.open(store_dir, PASSPHRASE) as session:
        last = session.audit.latest().at
    _forge(store_dir, {"id": "a" * 16, "at": "2001-01-01T00:00:00+00:00", "action": "record.delete", "detail": "x"})
    _forge(
        store_dir,
        {"id": "b" * 16, "at": "2001-01-01T00:00:00+00:00", "action": "unlock.failed", "detail": "\x1b[2Jevil" + "y" * 500},
    )
    _forge(store_dir, {"id": "c" * 16, "at": "2999-01-01T00:00:00+00:00", "action": "unlock.failed", "detail": "future"})
    with Session.open(store_dir, PASSPHRASE) as session:
        merged = [e for e in session.audit.entries() if e.actor == events.LOCKED_ACTOR]
        damaged = [e for e in session.audit.entries() if e.action == "events.damaged"]
        now = datetime.now(UTC)
    assert [e.action for e in merged] == ["unlock.failed", "unlock.failed"]
    assert all(last <= e.at <= now for e in merged)  # clamped into the window it could happen in
    assert "\x1b" not in merged[0].summary and len(merged[0].summary) < 200
    assert damaged and "1 line(s)" in damaged[0].summary  # the forged action is reported, not applied
    kept = list(store_dir.glob(f"{EVENTS_FILE}.damaged-*"))
    assert len(kept) == 1 and kept[0].name in damaged[0].summary  # set aside, never deleted


def _signed_export(folder: Path, identity: str, **change: str) -> None:
    """An export event as a reader process writes it, signed with `identity`, with `change` applied after signing."""
    event = {
        "id": "d" * 16,
        "at": datetime.now(UTC).isoformat(),
        "action": "export.report",
        "detail": "audit report",
        "by": "Sam",
    }
    event["from"] = "1:" + "0" * 64
    event["mac"] = events._mac(identity, event)
    _forge(folder, event | change)


def test_an_export_event_is_accepted_only_signed_by_someone_who_opened_the_store(store_dir):
    make_store(store_dir)
    with Session.open(store_dir, PASSPHRASE, read_only=True) as reader:
        identity = reader.meta().events_identity
        first = reader.audit.entries()[0]
    stranger, _ = events.new_identity()
    _signed_export(store_dir, stranger)  # signed without the store's secret: a folder writer's forgery
    _signed_export(store_dir, identity, detail="audit report; nothing else")  # changed after signing
    _signed_export(store_dir, identity, action="export.report\x1b[2J")  # not an export action
    event = {"id": "e" * 16, "at": "2001-01-01T00:00:00+00:00", "action": "export.report", "by": "Sam\x1b[31m" + "S" * 300}
    event |= {"detail": "audit\x07 report " + "x" * 500, "from": f"1:{first.hash}"}
    event["mac"] = events._mac(identity, event)
    _forge(store_dir, event)  # genuine: kept, cleaned, bounded, dated no earlier than the save it came from
    with Session.open(store_dir, PASSPHRASE) as session:
        entries = session.audit.entries()
    merged = [e for e in entries if e.actor.endswith(events.OPEN_ELSEWHERE)]
    assert len(merged) == 1 and merged[0].action == "export.report"
    assert "\x1b" not in merged[0].actor and "\x07" not in merged[0].summary
    assert len(merged[0].actor) < 140 and len(merged[0].summary) < 300
    assert "made from the save at audit entry 1" in merged[0].summary
    assert merged[0].at == first.at  # clamped up to its basis, not to 2001
    damaged = [e for e in entries if e.action == "events.damaged"]
    assert damaged and "3 line(s)" in damaged[0].summary


def test_an_export_waits_for_a_merge_and_fails_loudly_rather_than_drop_its_event(store_dir, monkeypatch):
    make_store(store_dir)
    monkeypatch.setattr(events, "LOCK_SECONDS", 0.2)
    with Session.open(store_dir, PASSPHRASE, read_only=True) as reader:
        reader.exports_sealed = True
        with events.exclusive(store_dir), pytest.raises(StoreWriteError, match="busy"):
            reader.audit_event("export.report", "audit report exported")
        assert not (store_dir / EVENTS_FILE).exists()
        reader.audit_event("export.report", "audit report exported")  # the merge is over: recorded
        with pytest.raises(StoreWriteError):
            reader.audit_event("record.delete", "not an export")  # read-only: nothing else is sealed
    assert (store_dir / EVENTS_FILE).exists()


def test_the_merge_reads_and_clears_the_events_file_under_its_lock(store_dir, monkeypatch):
    """So a line an exporting process appends meanwhile is never cleared unread."""
    make_store(store_dir)
    with Session.open(store_dir, PASSPHRASE, read_only=True) as reader:
        reader.exports_sealed = True
        reader.audit_event("export.report", "audit report exported")
    held: list[bool] = []
    seen: list[str] = []
    real_exclusive, real_read, real_clear = events.exclusive, events.read_all, events.clear

    @contextmanager
    def watched(folder: Path, timeout: float = 1.0) -> Iterator[None]:
        with real_exclusive(folder, timeout):
            held.append(True)
            yield
            held.pop()

    def read_all(*args: Any, **kwargs: Any) -> events.EventsFile:
        seen.append(f"read {bool(held)}")
        return real_read(*args, **kwargs)

    def clear(folder: Path) -> None:
        seen.append(f"clear {bool(held)}")
        real_clear(folder)

    monkeypatch.setattr(events, "exclusive", watched)
    monkeypatch.setattr(events, "read_all", read_all)
    monkeypatch.setattr(events, "clear", clear)
    with Session.open(store_dir, PASSPHRASE) as session:
        assert session.merged_events == 1
    assert seen == ["read True", "clear True"]


def test_damaged_events_file_is_reported_and_kept(store_dir):
    make_store(store_dir)
    (store_dir / EVENTS_FILE).write_bytes(b"not an age line\n")
    with Session.open(store_dir, PASSPHRASE) as session:
        assert any(e.action == "events.damaged" for e in session.audit.entries())
    assert list(store_dir.glob(f"{EVENTS_FILE}.damaged-*"))[0].read_bytes() == b"not an age line\n"


# --------------------------------------------------------------------- bounded work


def _rewrite_header(folder: Path, change: object) -> None:
    """Change the plaintext header and fix its checksum, as a deliberate attacker would."""
    path = folder / STORE_FILE
    raw = path.read_bytes()
    pos = len(vault_module.MAGIC)
    (length,) = struct.unpack_from(">I", raw, pos)
    header = json.loads(raw[pos + 4 : pos + 4 + length])
    change(header)  # type: ignore[operator]
    new = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    generation_and_fold_point = raw[pos + 4 + length : pos + 4 + length + 16]
    prefix = vault_module.MAGIC + struct.pack(">I", len(new)) + new + generation_and_fold_point
    path.write_bytes(prefix + hashlib.sha256(prefix).digest() + raw[pos + 4 + length + 16 + 32 :])


@pytest.mark.parametrize(
    "kdf",
    [
        {"alg": "argon2id", "iterations": 11, "memory_kib": 65536, "lanes": 4},
        {"alg": "argon2id", "iterations": 2, "memory_kib": 2 * 1024 * 1024, "lanes": 4},
        {"alg": "scrypt", "n": 1 << 21, "r": 8, "p": 1},
    ],
    ids=["argon2-passes", "argon2-memory", "scrypt-n"],
)
def test_header_asking_for_too_much_work_is_refused_before_deriving(store_dir, monkeypatch, kdf):
    make_store(store_dir)

    def change(header: dict) -> None:
        for slot in header["slots"]:
            slot["kdf"] = {**kdf, "salt": slot["kdf"]["salt"]}

    _rewrite_header(store_dir, change)
    monkeypatch.setattr(crypto.KdfParams, "derive", lambda self, secret: pytest.fail("derived"))
    with pytest.raises(StoreCorrupt, match=r"more key-derivation work than SafeDesk ever sets \(Argon2id at most 1024 MiB"):
        Session.open(store_dir, PASSPHRASE)


def test_flipped_bit_in_a_key_slot_says_damaged_not_wrong_passphrase(store_dir):
    make_store(store_dir)
    path = store_dir / STORE_FILE
    raw = path.read_bytes()
    at = raw.index(b'"wrapped":"') + 15
    damaged = raw[:at] + bytes([raw[at] ^ 0x01]) + raw[at + 1 :]
    path.write_bytes(damaged)
    with pytest.raises(StoreCorrupt, match="damaged"):
        Session.open(store_dir, PASSPHRASE)


# --------------------------------------------------------------------- version 1 stores


def _write_v1_store(folder: Path, notes: list[str]) -> None:
    """A store exactly as SafeDesk 1 wrote it: snapshot, then one journal frame per note."""
    from safedesk.store.engine.keys.header import Header, Slot

    folder.mkdir(parents=True)
    store_id = os.urandom(16).hex()
    key = crypto.random_key()
    _identity, recipient = events.new_identity()
    kdf = crypto.fast_params_for_tests()
    slot = Slot.create(store_id, "dsl", "Sam Patel", crypto.normalise_passphrase(PASSPHRASE), key, kdf)
    header = Header(store_id=store_id, events_recipient=recipient, slots=(slot,), version=1)
    tables = {"meta": {"1": {"schema_version": _schema_version(), "events_identity": _identity}}, "notes": {}}
    hb = header.to_bytes()
    gen = 1
    body = json.dumps(tables).encode()
    snapshot = vault_module.MAGIC_V1 + struct.pack(">I", len(hb)) + hb + struct.pack(">Q", gen)
    snapshot += crypto.seal(key, body, vault_module._snapshot_aad_v1(header, gen))
    (folder / STORE_FILE).write_bytes(snapshot)
    journal = vault_module.JMAGIC_V1 + struct.pack(">Q", gen) + header.digest()
    for seq, title in enumerate(notes):
        doc = Note(title=title).to_doc()
        frame = json.dumps({"ops": [["put", "notes", str(seq + 1), doc]]}).encode()
        sealed = crypto.seal(key, frame, vault_module._frame_aad_v1(header, gen, seq))
        journal += struct.pack(">I", len(sealed)) + sealed
    (folder / JOURNAL_FILE).write_bytes(journal)


def _schema_version() -> int:
    from safedesk.store.engine.schema import CURRENT_VERSION

    return CURRENT_VERSION


def test_version_1_store_opens_and_is_rewritten_as_version_2_at_its_first_save(store_dir):
    _write_v1_store(store_dir, ["old a", "old b"])
    v1 = (store_dir / STORE_FILE).read_bytes()
    with Session.open(store_dir, PASSPHRASE) as session:
        assert sorted(n.title for n in session.repo(Note).all()) == ["old a", "old b"]
        session.repo(Note).add(Note(title="new"))
    assert (store_dir / STORE_FILE).read_bytes().startswith(b"SAFEDESK-STORE/2\n")
    assert (store_dir / STORE_BAK).read_bytes() == v1  # the version 1 files kept as the previous save
    assert titles(store_dir) == ["new", "old a", "old b"]
    with Session.open(store_dir, PASSPHRASE, read_only=True) as session:
        assert session.vault.check_backup()[0]


# --------------------------------------------------------------------- restore


def test_restore_refuses_members_larger_than_their_limit(tmp_path, monkeypatch):
    import zipfile

    from safedesk.store.engine import backup
    from safedesk.store.errors import InvalidInput

    bomb = tmp_path / "bomb.sdbackup"
    big = b"\0" * (3 * 1024 * 1024)
    manifest = {"format": "safedesk-backup", "version": 1, "files": {STORE_FILE: hashlib.sha256(big).hexdigest()}}
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr(STORE_FILE, big)
    with pytest.raises(InvalidInput, match="compressed beyond"):
        backup.restore_backup(bomb, tmp_path / "a")
    monkeypatch.setattr(backup, "MAX_STORE_BYTES", 1024 * 1024)
    with pytest.raises(InvalidInput, match="larger than 1 MB"):
        backup.restore_backup(bomb, tmp_path / "b")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_events_time_window_is_never_inverted(store_dir):
    """A clock set back (the last save 'after' now) still yields one consistent time."""
    earliest = datetime.now(UTC) + timedelta(hours=1)
    got = events._accepted({"id": "d" * 16, "at": "2020-01-01T00:00:00+00:00", "action": "unlock.failed"}, earliest, earliest)
    assert datetime.fromisoformat(got.at) == earliest


# --------------------------------------------------------------------- any bit, any offset

DAMAGEABLE = (STORE_FILE, JOURNAL_FILE, STORE_BAK, JOURNAL_BAK, EVENTS_FILE)


@pytest.mark.parametrize("noted", [True, False], ids=["with-rollback-note", "files-alone"])
def test_a_flipped_bit_or_a_cut_anywhere_never_silently_drops_a_record(tmp_path, noted):
    """Property: after damage to any store file at any offset, opening either yields every
    committed record or raises StoreCorrupt naming the damaged file (or a rollback).

    From the files alone a cut at the end of the journal looks like a crash: only this
    computer's note tells it apart, so without the note only bit flips are tried."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    template = tmp_path / "template"
    expected = make_store(template, notes=6, compact_after=3)
    with pytest.raises(Exception, match="Wrong passphrase"):
        Session.open(template, "not the passphrase at all")  # so safedesk.events exists
    note = anchor.anchor_dir() / f"{_store_id(template)}.json"
    note_bytes = note.read_bytes()
    sizes = {name: (template / name).stat().st_size for name in DAMAGEABLE}

    cuts = st.booleans() if noted else st.just(False)

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(name=st.sampled_from(DAMAGEABLE), where=st.floats(0, 1, exclude_max=True), bit=st.integers(0, 7), cut=cuts)
    def check(name: str, where: float, bit: int, cut: bool) -> None:
        work = tmp_path / "work"
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(template, work)
        if noted:
            note.write_bytes(note_bytes)  # this computer's note as it was after the last save
        else:
            note.unlink(missing_ok=True)
        path = work / name
        raw = bytearray(path.read_bytes())
        offset = int(where * sizes[name])
        if cut:
            del raw[offset:]
        else:
            raw[offset] ^= 1 << bit
        path.write_bytes(bytes(raw))
        try:
            got = titles(work)
        except StoreCorrupt as error:
            assert str(path) in str(error) or isinstance(error, StoreRolledBack), str(error)
            return
        assert got == expected, f"{name} damaged at {offset} ({'cut' if cut else 'bit flipped'}) dropped records silently"

    check()


@pytest.mark.slow
def test_every_offset_of_every_store_file(tmp_path):
    """Exhaustive: a flipped bit at every offset (judged from the files alone) and a cut at
    every offset (with this computer's note) of every file a read can touch."""
    folder = tmp_path / "store"
    expected = make_store(folder, notes=4, compact_after=2)
    note = anchor.anchor_dir() / f"{_store_id(folder)}.json"
    note_bytes = note.read_bytes()

    def outcome(path: Path) -> str:
        try:
            with Session.open(folder, PASSPHRASE, read_only=True) as session:
                got = sorted(n.title for n in session.repo(Note).all())
                behind = session.vault.rollback_warning
        except StoreCorrupt as error:
            assert str(path) in str(error), str(error)
            return "refused"
        if behind:
            return "rollback"
        assert got == expected
        return "opened"

    for name in (STORE_FILE, JOURNAL_FILE, STORE_BAK, JOURNAL_BAK):
        path = folder / name
        intact = path.read_bytes()
        for offset in range(len(intact)):
            note.unlink()
            flipped = bytearray(intact)
            flipped[offset] ^= 1 << (offset % 8)
            path.write_bytes(bytes(flipped))
            result = outcome(path)
            assert result != "rollback", (name, offset)
            note.write_bytes(note_bytes)
            path.write_bytes(intact[:offset])
            outcome(path)
        path.write_bytes(intact)


def test_restore_refuses_a_backup_whose_journal_is_missing_or_from_another_save(tmp_path, store_dir):
    import zipfile

    from safedesk.store.engine import backup
    from safedesk.store.errors import InvalidInput

    make_store(store_dir)
    with Session.open(store_dir, PASSPHRASE) as session:
        backup.write_backup(session, tmp_path / "good.sdbackup")
    with zipfile.ZipFile(tmp_path / "good.sdbackup") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(members.pop("manifest.json"))
    for case, journal in [("missing", None), ("another save", (store_dir / JOURNAL_BAK).read_bytes())]:
        files = dict(members)
        if journal is None:
            del files[JOURNAL_FILE]
        else:
            files[JOURNAL_FILE] = journal
        hashes = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
        bad = tmp_path / f"{case}.sdbackup"
        with zipfile.ZipFile(bad, "w") as archive:
            archive.writestr("manifest.json", json.dumps({**manifest, "files": hashes}))
            for name, data in files.items():
                archive.writestr(name, data)
        with pytest.raises(InvalidInput, match="journal"):
            backup.restore_backup(bad, tmp_path / case)
        assert not (tmp_path / case / STORE_FILE).exists()
