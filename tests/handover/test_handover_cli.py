"""`safedesk handover ...` as a DSL or a script would run it: export, import, receipt, list, errors."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from safedesk.cli.handover import handover
from safedesk.cli.main import cli
from safedesk.store.engine.session import Session
from tests.kit import HANDOVER_PASSPHRASE, PASSPHRASE, add_incident, add_pupil, fast_crypt, make_store

# The lead registers the group in tui/cli.py; until then (and harmlessly after) add it here.
if "handover" not in cli.commands:
    cli.add_command(handover)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fast(monkeypatch):  # type: ignore[no-untyped-def]
    fast_crypt(monkeypatch)  # the real child process is tested in test_handover_crypt.py


@pytest.fixture
def stores(tmp_path: Path):  # type: ignore[no-untyped-def]
    """(sender folder, receiver folder, incident ref) with data in both."""
    with make_store(tmp_path / "a") as sender:
        ref = add_incident(sender, tmp=tmp_path).ref
        add_incident(sender, title="Second", tmp=tmp_path)
        try:
            add_pupil(sender)
        except ImportError:
            pass
    with make_store(tmp_path / "b", "Oakwood Academy", "Jo Bloggs") as receiver:
        add_incident(receiver, title="Theirs", tmp=tmp_path)
    return tmp_path / "a", tmp_path / "b", ref


def run(store: Path, *args: str, secrets: tuple[str, ...] = (PASSPHRASE, HANDOVER_PASSPHRASE)):  # type: ignore[no-untyped-def]
    """One command with the store's and the handover's passphrases on standard input."""
    extra = ["--passphrase-file", "-"]
    if args[0] in ("export", "import"):
        extra += ["--handover-passphrase-file", "-"]
    stdin = "".join(f"{s}\n" for s in secrets)
    return CliRunner().invoke(cli, ["--store", str(store), "handover", *args, *extra], input=stdin, catch_exceptions=False)


def test_export_import_receipt_and_list(stores, tmp_path):
    sender, receiver, ref = stores
    out = tmp_path / "to-oakwood.age"
    exported = run(
        sender,
        "export",
        "--incident",
        ref,
        "--pupil",
        "A1234",
        "--to",
        "Oakwood Academy DSL",
        "--note",
        "Moved school",
        "--out",
        str(out),
    )
    assert exported.exit_code == 0, exported.output
    code = next(line.split(": ")[1] for line in exported.stdout.splitlines() if line.startswith("Receipt code"))
    assert out.is_file() and f"safedesk handover receipt {code}" in exported.stdout
    assert "Encrypting" in exported.stderr

    dry = run(receiver, "import", str(out), "--dry-run")
    assert dry.exit_code == 0 and "Dry run: nothing was imported." in dry.stdout
    assert f"Receipt code: {code}" in dry.stdout and "is already used: the imported incident is kept beside it" in dry.stdout
    unasked = run(receiver, "import", str(out))  # no terminal and no --yes: refuse rather than guess
    assert unasked.exit_code == 2 and "--yes" in unasked.stderr
    done = run(receiver, "import", str(out), "--yes")
    assert done.exit_code == 0 and f"Receipt code to send back to Oak Primary: {code}" in done.stdout
    again = run(receiver, "import", str(out), "--yes")
    assert again.exit_code == 1 and "already imported" in again.stderr

    waiting = run(sender, "list")
    assert "Sent" in waiting.stdout and code in waiting.stdout and "due " in waiting.stdout
    marked = run(sender, "receipt", code.lower().replace("-", ""), secrets=(PASSPHRASE,))
    assert marked.exit_code == 0 and marked.stdout.startswith("Marked received: handover to Oakwood Academy DSL")
    twice = run(sender, "receipt", code, secrets=(PASSPHRASE,))
    assert twice.exit_code == 0 and "Already marked received" in twice.stdout
    listed = json.loads(run(sender, "list", "--json", secrets=(PASSPHRASE,)).stdout)
    assert listed[0]["receipt_code"] == code and listed[0]["state"].startswith("received") and listed[0]["incident_refs"] == [ref]
    received = json.loads(run(receiver, "list", "--json", secrets=(PASSPHRASE,)).stdout)
    assert received[0]["direction"] == "received" and received[0]["state"] == "imported"


def test_all_incidents(stores, tmp_path):
    sender, _, _ = stores
    result = run(sender, "export", "--all-incidents", "--to", "LADO", "--out", str(tmp_path / "all.age"))
    assert result.exit_code == 0 and "2 incidents" in result.stdout


@pytest.mark.parametrize(
    ("args", "secrets", "words"),
    [
        (["--to", "LADO"], (PASSPHRASE, HANDOVER_PASSPHRASE), "Choose at least one"),
        (
            ["--incident", "INC-1999-0001", "--to", "LADO"],
            (PASSPHRASE, HANDOVER_PASSPHRASE),
            "No incident with reference INC-1999-0001",
        ),
        (["--all-incidents"], (PASSPHRASE, HANDOVER_PASSPHRASE), "Give --to WHO"),
        (["--all-incidents", "--to", "LADO"], (PASSPHRASE, "password1"), "at least 10 characters"),
        (["--all-incidents", "--to", "LADO"], (PASSPHRASE, PASSPHRASE), "opens this SafeDesk store"),
        (["--all-incidents", "--to", "LADO"], ("not the passphrase at all",), "Wrong passphrase"),
    ],
)
def test_export_errors_are_one_line_and_write_nothing(stores, tmp_path, args, secrets, words):
    sender, _, _ = stores
    out = tmp_path / "x.age"
    result = run(sender, "export", *args, "--out", str(out), secrets=secrets)
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("safedesk: ") and words in lines[-1], result.stderr
    assert not out.exists()


def test_import_errors_are_one_line(stores, tmp_path):
    sender, receiver, ref = stores
    out = tmp_path / "h.age"
    assert run(sender, "export", "--incident", ref, "--to", "LADO", "--out", str(out)).exit_code == 0
    wrong = run(receiver, "import", str(out), "--yes", secrets=(PASSPHRASE, "lantern kettle orbit meadows"))
    errors = [line for line in wrong.stderr.splitlines() if line.startswith("safedesk: ")]
    assert wrong.exit_code == 2 and len(errors) == 1 and errors[0].startswith("safedesk: Wrong passphrase")
    missing = run(receiver, "import", str(tmp_path / "nope.age"), "--yes")
    assert missing.exit_code == 2 and "no file at that path" in missing.stderr
    (tmp_path / "notes.txt").write_text("hello")
    other = run(receiver, "import", str(tmp_path / "notes.txt"), "--yes")
    assert other.exit_code == 2 and "not an age-encrypted file" in other.stderr
    with Session.open(receiver, PASSPHRASE) as session:
        assert len(session.db.table("incidents")) == 1  # untouched


def test_bad_receipt_code(stores):
    sender, _, _ = stores
    result = run(sender, "receipt", "1234", secrets=(PASSPHRASE,))
    assert result.exit_code == 2 and "12 characters" in result.stderr


def test_handover_commands_never_import_textual():
    code = textwrap.dedent(
        """
        import sys
        import safedesk.cli.handover, safedesk.store.handover.transfer
        print(sorted(m for m in sys.modules if m.split(".")[0] == "textual"))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stderr
