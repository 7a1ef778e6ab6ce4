"""A writer killed with SIGKILL at random moments never loses an acknowledged record.

The child appends records in a loop and, after each commit returns, writes the
record's number to an acknowledgement file. The parent kills it at a random
moment, reopens the store, and checks every acknowledged record is there. A
small compaction threshold makes many kills land inside generation rewrites;
one test kills the writer inside each fsync of a background fold's switch,
after a save made meanwhile has been acknowledged.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from safedesk.store.engine.keys import crypto
from safedesk.store.engine.session import OpenOptions, Session
from tests.kit import PASSPHRASE, Note

KILLS = 100
ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, {root!r})
    from safedesk.store.engine.session import OpenOptions, Session
    from tests.kit import Note

    folder, acks = sys.argv[1], sys.argv[2]
    session = Session.open(folder, {passphrase!r}, options=OpenOptions(compact_bytes=8192))
    start = session.repo(Note).count()
    ack = os.open(acks, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    os.write(ack, b"ready\\n")
    n = start
    while True:
        session.repo(Note).add(Note(title=f"r{{n}}", body="x" * 300))
        os.write(ack, f"{{n}}\\n".encode())
        n += 1
    """
)


def _acknowledged(path: Path) -> list[str]:
    """The record numbers the writer acknowledged in `path` (complete lines after "ready")."""
    try:
        lines = path.read_bytes().split(b"\n")
    except FileNotFoundError:
        return []
    return [line.decode() for line in lines[1:-1]]  # the last piece is '' or a line still being written


def _ready(path: Path) -> bool:
    return path.exists() and path.read_bytes().startswith(b"ready\n")


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX-only")
def test_sigkill_loop_loses_no_acknowledged_record(tmp_path):
    folder = tmp_path / "store"
    options = OpenOptions(kdf=crypto.fast_params_for_tests(), compact_bytes=8192)
    Session.create(folder, "Oak Primary", "Sam Patel", PASSPHRASE, options)[0].close()
    script = tmp_path / "writer.py"
    script.write_text(CHILD.format(root=str(ROOT), passphrase=PASSPHRASE))
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    acknowledged: set[str] = set()
    for round_no in range(KILLS):
        acks = tmp_path / f"acks-{round_no}"
        child = subprocess.Popen([sys.executable, str(script), str(folder), str(acks)], stderr=subprocess.PIPE)
        # Kill only after the writer has committed a few records, however slow a loaded
        # machine makes it: every kill interrupts a busy writer. The short random wait
        # after that places the kill anywhere in a commit or a compaction.
        wanted = rng.randrange(1, 6)
        deadline = time.monotonic() + 300  # a safety net for a writer that hangs, not a timing assumption
        while not (_ready(acks) and len(_acknowledged(acks)) >= wanted):
            if child.poll() is not None:
                pytest.fail(f"writer exited early (seed {seed}): {child.stderr.read().decode()[-2000:]}")
            assert time.monotonic() < deadline, f"writer made no progress in 300 s (seed {seed})"
            time.sleep(0.002)
        time.sleep(rng.uniform(0.0, 0.02))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stderr.close()
        acknowledged |= {f"r{n}" for n in _acknowledged(acks)}
        with Session.open(folder, PASSPHRASE) as session:
            stored = {note.title for note in session.repo(Note).all()}
            missing = acknowledged - stored
            assert not missing, f"round {round_no} (seed {seed}) lost {sorted(missing)[:5]}"
            assert session.audit.verify().ok


FULL_DISK_KILLS = 60

# The same writer on a nearly full disk: every write into the store folder that would take it
# past its budget fails with ENOSPC, so compactions (which need room for a second copy) fail
# part-way as often as they succeed, and appends fail once the journal has eaten the slack.
FULL_DISK_CHILD = textwrap.dedent(
    """
    import errno, os, sys
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from safedesk.store.engine.session import OpenOptions, Session
    from safedesk.store.errors import StoreWriteError
    from tests.kit import Note

    folder, acks, budget = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    session = Session.open(folder, {passphrase!r}, options=OpenOptions(compact_bytes=4096))
    start = session.repo(Note).count()
    ack = os.open(acks, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    real_write = os.write

    def used():
        return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())

    def write(fd, data):
        if fd != ack and used() + len(data) > budget:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    os.write = write
    real_write(ack, b"ready\\n")
    n = start
    while True:
        try:
            session.repo(Note).add(Note(title=f"r{{n}}", body="x" * 300))
        except StoreWriteError:
            continue  # the disk is full: nothing acknowledged, try again
        real_write(ack, f"{{n}}\\n".encode())
        n += 1
    """
)


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX-only")
def test_sigkill_loop_with_compactions_on_a_nearly_full_disk(tmp_path):
    folder = tmp_path / "store"
    options = OpenOptions(kdf=crypto.fast_params_for_tests(), compact_bytes=4096)
    Session.create(folder, "Oak Primary", "Sam Patel", PASSPHRASE, options)[0].close()
    script = tmp_path / "writer.py"
    script.write_text(FULL_DISK_CHILD.format(root=str(ROOT), passphrase=PASSPHRASE))
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    acknowledged: set[str] = set()
    for round_no in range(FULL_DISK_KILLS):
        acks = tmp_path / f"acks-{round_no}"
        used = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
        budget = used + rng.randrange(1024, 24 * 1024)  # sometimes room for a compaction, often not
        child = subprocess.Popen([sys.executable, str(script), str(folder), str(acks), str(budget)], stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while not (acks.exists() and acks.read_bytes().startswith(b"ready")):
            if child.poll() is not None:
                pytest.fail(f"writer exited early (seed {seed}): {child.stderr.read().decode()[-2000:]}")
            assert time.monotonic() < deadline, "writer never became ready"
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.1))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stderr.close()
        acknowledged |= {f"r{n}" for n in acks.read_text().split()[1:]}
        with Session.open(folder, PASSPHRASE) as session:
            stored = {note.title for note in session.repo(_note()).all()}
            missing = acknowledged - stored
            assert not missing, f"round {round_no} (seed {seed}) lost {sorted(missing)[:5]}"
            assert session.audit.verify().ok
            assert not session.vault.rollback_warning
        assert not list(folder.glob("*.damaged-*"))
    assert len(acknowledged) > FULL_DISK_KILLS // 2


def _note() -> type:
    from tests.kit import Note

    return Note


# A writer held inside each fsync of a background fold's switch (as a slow disk would hold it),
# saving once more meanwhile: that save is acknowledged, then the writer is killed right there.
SWITCH_CHILD = textwrap.dedent(
    """
    import os, sys, threading
    sys.path.insert(0, {root!r})
    from safedesk.store.engine import vault as vault_module
    from safedesk.store.engine.session import OpenOptions, Session
    from tests.kit import Note

    folder, acks, point = sys.argv[1], sys.argv[2], int(sys.argv[3])
    session = Session.open(folder, {passphrase!r}, options=OpenOptions(compact_bytes=1 << 30))
    notes = session.repo(Note)
    ack = os.open(acks, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    for i in range(3):
        notes.add(Note(title=f"before {{i}}"))
        os.write(ack, f"before {{i}}\\n".encode())
    held = threading.Event()
    syncs = []
    real_fsync, real_fsync_dir = os.fsync, vault_module.fsync_dir

    def gate():
        if threading.current_thread().name == "safedesk-fold":
            syncs.append(1)
            if len(syncs) == point + 1:
                held.set()
                threading.Event().wait()  # until the kill

    def fsync(fd):
        if sys._getframe(1).f_globals.get("__name__") == vault_module.__name__:
            gate()
        real_fsync(fd)

    def fsync_dir(path):
        gate()
        real_fsync_dir(path)

    os.fsync = fsync
    vault_module.fsync_dir = fsync_dir
    session.vault.start_fold()
    held.wait()
    notes.add(Note(title="during the switch"))
    os.write(ack, b"during the switch\\nkill\\n")
    threading.Event().wait()
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX-only")
@pytest.mark.parametrize("point", [0, 1, 2], ids=["snapshot in place", "journal.next fsync", "renames durable"])
def test_sigkill_inside_the_fold_switch_loses_no_acknowledged_save(tmp_path, point):
    folder = tmp_path / "store"
    options = OpenOptions(kdf=crypto.fast_params_for_tests())
    Session.create(folder, "Oak Primary", "Sam Patel", PASSPHRASE, options)[0].close()
    script = tmp_path / "writer.py"
    script.write_text(SWITCH_CHILD.format(root=str(ROOT), passphrase=PASSPHRASE))
    acks = tmp_path / "acks"
    child = subprocess.Popen([sys.executable, str(script), str(folder), str(acks), str(point)], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120  # a safety net for a writer that hangs, not a timing assumption
        while not (acks.exists() and acks.read_bytes().endswith(b"kill\n")):
            if child.poll() is not None:
                pytest.fail(f"writer exited early: {child.stderr.read().decode()[-2000:]}")
            assert time.monotonic() < deadline, "the save during the switch never returned"
            time.sleep(0.005)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stderr.close()
    acknowledged = set(acks.read_text().splitlines()[:-1])
    assert "during the switch" in acknowledged
    with Session.open(folder, PASSPHRASE) as session:
        assert {note.title for note in session.repo(Note).all()} == acknowledged
        assert session.audit.verify().ok
        session.repo(Note).add(Note(title="after"))
    assert not list(folder.glob("*.next")) and not list(folder.glob("*.damaged-*"))
