"""Reading while the app is open: read-only commands work beside a writer in another process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest
from click.testing import CliRunner

from safedesk.cli.main import cli
from safedesk.store.consents.pupils import Pupil, add_pupil
from safedesk.store.engine import events
from safedesk.store.engine.session import Session
from safedesk.store.engine.vault import EVENTS_FILE, JOURNAL_FILE, STORE_FILE
from safedesk.store.errors import StoreReadOnly, StoreWriteError
from tests.kit import PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]

# A second SafeDesk process: opens the store for writing, adds the pupils named on each
# line of its input (one commit each), says "saved N" after each, and exits on "quit".
WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from safedesk.store.consents.pupils import Pupil, add_pupil
    from safedesk.store.engine.session import OpenOptions, Session
    session = Session.open({folder!r}, {passphrase!r}, options=OpenOptions(compact_bytes={compact}))
    print("ready", flush=True)
    saved = 0
    for line in sys.stdin:
        if line.strip() == "quit":
            break
        add_pupil(session, Pupil(name=line.strip(), year_group="Year 5"))
        saved += 1
        print("saved", saved, flush=True)
    session.close()
    """
)


class Writer:
    def __init__(self, folder: Path, compact: int) -> None:
        script = WRITER.format(root=str(ROOT), folder=str(folder), passphrase=PASSPHRASE, compact=compact)
        self.process = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self._line() == "ready"

    def _line(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def add(self, name: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(name + "\n")
        self.process.stdin.flush()
        assert self._line().startswith("saved")

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("quit\n")
        self.process.stdin.flush()
        assert self.process.wait(timeout=60) == 0


@pytest.fixture
def pwfile(tmp_path: Path) -> Path:
    path = tmp_path / "pw.txt"
    path.write_text(PASSPHRASE + "\n", encoding="utf-8")
    return path


def _store(store_dir: Path) -> None:
    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    add_pupil(session, Pupil(name="Amelia Smith", year_group="Year 5"))
    session.close()


@pytest.fixture
def writer(store_dir: Path) -> Iterator[Writer]:
    _store(store_dir)
    held = Writer(store_dir, compact=2048)  # small: the writer folds while the readers read
    yield held
    if held.process.poll() is None:
        held.stop()


@pytest.fixture
def steady_writer(store_dir: Path) -> Iterator[Writer]:
    """A writer that does not fold while the test looks at the store's bytes."""
    _store(store_dir)
    held = Writer(store_dir, compact=1 << 30)
    yield held
    if held.process.poll() is None:
        held.stop()


def run(store: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["--store", str(store), *args], catch_exceptions=False)


def test_read_only_commands_work_while_another_process_writes(store_dir, pwfile, writer):
    writer.add("Bartholomew Jones")
    listed = run(store_dir, "consents", "list", "--passphrase-file", str(pwfile))
    assert listed.exit_code == 0, listed.output
    assert "Amelia Smith" in listed.output and "Bartholomew Jones" in listed.output

    shown = run(store_dir, "consents", "show", "Bartholomew Jones", "--passphrase-file", str(pwfile))
    assert shown.exit_code == 0 and "Bartholomew Jones" in shown.output
    checked = run(store_dir, "consents", "check", "-p", "website", "Amelia Smith", "--passphrase-file", str(pwfile))
    assert checked.exit_code == 1 and "STOP" in checked.output  # nothing recorded: the check stops, it does not fail
    verified = run(store_dir, "verify", "--passphrase-file", str(pwfile))
    assert verified.exit_code == 0, verified.output

    writer.stop()


def test_an_export_while_another_process_writes_is_recorded_at_the_next_unlock(store_dir, pwfile, steady_writer):
    """The export reads the last complete save without the writer lock; its audit entry is signed,
    sealed into the events file (the only store file it touches) and joins the chain at the next
    normal unlock, marked as recorded while the store was open elsewhere."""
    writer = steady_writer
    writer.add("Bartholomew Jones")
    before = {p.name: p.read_bytes() for p in store_dir.iterdir()}
    out = store_dir.parent / "never.md"
    exported = run(store_dir, "consents", "export", "never-publish", "--out", str(out), "--passphrase-file", str(pwfile))
    assert exported.exit_code == 0, exported.output
    assert (
        "open in another SafeDesk window" in exported.output and "recorded in the audit log at the next unlock" in exported.output
    )
    report = store_dir.parent / "audit.md"
    reported = run(store_dir, "export", "audit", "--out", str(report), "--passphrase-file", str(pwfile))
    assert reported.exit_code == 0, reported.output
    register = store_dir.parent / "register.md"
    listed = run(store_dir, "accounts", "export", "--out", str(register), "--passphrase-file", str(pwfile))
    assert listed.exit_code == 0, listed.output
    assert out.exists() and report.exists() and register.exists()
    after = {p.name: p.read_bytes() for p in store_dir.iterdir()}
    changed = {name for name in after if before.get(name) != after[name]}
    assert changed == {EVENTS_FILE, events.LOCK_FILE}  # the store, journal and writer lock untouched
    assert b"never-publish" not in after[EVENTS_FILE] and b"Sam Patel" not in after[EVENTS_FILE]  # sealed
    # The writer is not disturbed: it saves on, and its own saves do not take the events.
    writer.add("Carys Evans")
    writer.stop()
    assert (store_dir / EVENTS_FILE).exists()
    with Session.open(store_dir, PASSPHRASE) as session:
        entries = session.audit.entries()
        merged = [e for e in entries if e.actor.endswith(events.OPEN_ELSEWHERE)]
        assert [e.action for e in merged] == ["export.consents-never-publish", "export.report", "export.accounts"]
        assert all(e.actor == "Sam Patel (DSL), recorded while the store was open elsewhere" for e in merged)
        assert "audit report exported (Markdown)" in merged[1].summary
        # Dated no earlier than the save it was made from (Bartholomew's), though merged after Carys's.
        basis = int(merged[0].summary.split("audit entry ")[1].split()[0])
        assert entries[basis - 1].at <= merged[0].at <= merged[0].at.now(UTC)
        assert merged[0].seq > basis + 1  # Carys's save came between
        assert session.audit.verify().ok
    assert not (store_dir / EVENTS_FILE).exists()
    with Session.open(store_dir, PASSPHRASE) as session:  # merged once, not again
        assert len([e for e in session.audit.entries() if e.actor.endswith(events.OPEN_ELSEWHERE)]) == 3


def test_an_export_that_cannot_be_recorded_leaves_no_file(store_dir, pwfile, writer, monkeypatch):
    def full_disk(*args: object, **kwargs: object) -> str:
        raise StoreWriteError("Could not record the export in the store's event file: the disk is full.")

    monkeypatch.setattr(events, "record_export", full_disk)
    out = store_dir.parent / "never.md"
    refused = run(store_dir, "consents", "export", "never-publish", "--out", str(out), "--passphrase-file", str(pwfile))
    assert refused.exit_code != 0 and "disk is full" in refused.output
    report = store_dir.parent / "audit.md"
    refused = run(store_dir, "export", "audit", "--out", str(report), "--passphrase-file", str(pwfile))
    assert refused.exit_code != 0 and "disk is full" in refused.output
    register = store_dir.parent / "register.md"
    refused = run(store_dir, "accounts", "export", "--out", str(register), "--passphrase-file", str(pwfile))
    assert refused.exit_code != 0 and "disk is full" in refused.output
    assert not out.exists() and not report.exists() and not register.exists()


def test_writers_are_still_refused_with_the_clear_message(store_dir, pwfile, writer, tmp_path):
    csv = tmp_path / "pupils.csv"
    csv.write_text("Name,Year\nCarys Evans,Year 5\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["--store", str(store_dir), "consents", "import", str(csv), "--yes", "--passphrase-file", str(pwfile)]
    )
    assert result.exit_code != 0
    assert "already open in another SafeDesk window" in result.output
    with Session.open(store_dir, PASSPHRASE, read_only=True) as reader, pytest.raises(StoreReadOnly):
        add_pupil(reader, Pupil(name="Carys Evans"))


def test_every_read_sees_a_complete_commit_while_the_writer_folds(store_dir, writer):
    """Many commits and folds (compact at 2 KB) in the writer; each read without the lock
    sees exactly the pupils saved so far, or more, never a torn or mixed state."""
    for i in range(40):
        writer.add(f"Pupil {i:02d}")
        with Session.open(store_dir, PASSPHRASE, read_only=True) as reader:
            names = {p.name for p in reader.repo(Pupil).all()}
        assert {f"Pupil {j:02d}" for j in range(i + 1)} <= names
        assert reader.vault.read_only


def test_a_reader_writes_nothing(store_dir):
    _store(store_dir)
    before = {p.name: p.read_bytes() for p in store_dir.iterdir()}
    with Session.open(store_dir, PASSPHRASE, read_only=True) as reader:
        assert [p.name for p in reader.repo(Pupil).all()] == ["Amelia Smith"]
    assert {p.name: p.read_bytes() for p in store_dir.iterdir()} == before
    assert (store_dir / STORE_FILE).exists() and (store_dir / JOURNAL_FILE).exists()
