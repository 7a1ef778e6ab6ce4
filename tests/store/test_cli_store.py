"""The headless store commands, driven as a user would from a terminal or a script."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from safedesk.cli.main import cli
from safedesk.store.engine.vault import JOURNAL_FILE, STORE_FILE
from tests.kit import DEPUTY_PASSPHRASE, PASSPHRASE

RECOVERY = re.compile(r"\b([A-Z2-7]{4}(?:-[A-Z2-7]{4}){7})\b")


def run(store: Path, *args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli, ["--store", str(store), *args], input=stdin, catch_exceptions=False)
    return result


@pytest.fixture
def pwfile(tmp_path: Path) -> Path:
    path = tmp_path / "pw.txt"
    path.write_text(PASSPHRASE + "\r\n", encoding="utf-8")
    return path


@pytest.fixture
def made(store_dir: Path, pwfile: Path) -> str:
    result = run(store_dir, "init", "--setting-name", "Oak Primary", "--user", "Sam Patel", "--passphrase-file", str(pwfile))
    assert result.exit_code == 0, result.output
    match = RECOVERY.search(result.output)
    assert match, result.output
    return match.group(1)


def _one_clean_line(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("safedesk: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def test_init_prints_recovery_key_once_then_verify(store_dir, pwfile, made):
    result = run(store_dir, "verify", "--passphrase-file", str(pwfile))
    assert result.exit_code == 0, result.output
    assert "audit chain intact" in result.stdout and "Verified: no faults found." in result.stdout
    assert made not in result.stdout
    # The recovery key opens the store too.
    assert run(store_dir, "verify", "--passphrase-file", "-", stdin=made + "\n").exit_code == 0


def test_init_twice_and_without_terminal(store_dir, pwfile, made, tmp_path):
    assert "already exists" in _one_clean_line(
        run(store_dir, "init", "--setting-name", "X", "--user", "Y", "--passphrase-file", str(pwfile))
    )
    assert "--setting-name" in _one_clean_line(run(tmp_path / "other", "init", "--passphrase-file", str(pwfile)))
    assert "--passphrase-file" in _one_clean_line(run(tmp_path / "third", "init", "--setting-name", "X", "--user", "Y"))


def test_init_refuses_weak_passphrase(tmp_path):
    weak = tmp_path / "weak"
    weak.write_text("password1\n")
    line = _one_clean_line(run(tmp_path / "s", "init", "--setting-name", "X", "--user", "Y", "--passphrase-file", str(weak)))
    assert "at least 10 characters" in line
    assert not (tmp_path / "s" / STORE_FILE).exists()


def test_wrong_passphrase_unreadable_file_and_missing_store(store_dir, made, tmp_path):
    assert "Wrong passphrase" in _one_clean_line(run(store_dir, "verify", "--passphrase-file", "-", stdin="nope nope nope\n"))
    assert "Cannot read the passphrase file" in _one_clean_line(
        run(store_dir, "verify", "--passphrase-file", str(tmp_path / "missing.txt"))
    )
    assert "No SafeDesk store" in _one_clean_line(run(tmp_path / "empty", "verify", "--passphrase-file", "-", stdin="x\n"))


def test_a_passphrase_piped_in_is_read_as_utf8_like_a_file(store_dir, tmp_path):
    # Found under Wine: Windows gives a piped stdin the ANSI code page (cp1252 here), so an
    # accented passphrase piped from a UTF-8 file did not open the store its file had made.
    accented = tmp_path / "accented.txt"
    accented.write_text("crème brûlée lantern orchard 93\n", encoding="utf-8")
    made = run(store_dir, "init", "--setting-name", "Oak", "--user", "Ana", "--passphrase-file", str(accented))
    assert made.exit_code == 0, made.output

    def piped(data: bytes):  # type: ignore[no-untyped-def]
        args = ["--store", str(store_dir), "verify", "--passphrase-file", "-"]
        return CliRunner(charset="cp1252").invoke(cli, args, input=data, catch_exceptions=False)

    assert piped(accented.read_bytes()).exit_code == 0
    assert piped(b"\xef\xbb\xbf" + accented.read_bytes()).exit_code == 0  # Notepad's byte order mark
    assert "not UTF-8" in _one_clean_line(piped("crème brûlée lantern orchard 93\n".encode("cp850")))


def test_tampered_store_points_at_recover(store_dir, pwfile, made):
    for i in range(3):  # several generations so a backup exists
        assert (
            run(
                store_dir,
                "keys",
                "add",
                "--name",
                f"Deputy {i}",
                "--passphrase-file",
                str(pwfile),
                "--new-passphrase-file",
                "-",
                stdin=DEPUTY_PASSPHRASE + "\n",
            ).exit_code
            == 0
        )
    path = store_dir / STORE_FILE
    raw = bytearray(path.read_bytes())
    raw[-10] ^= 0xFF
    path.write_bytes(bytes(raw))
    line = _one_clean_line(run(store_dir, "verify", "--passphrase-file", str(pwfile)))
    assert str(path) in line and "safedesk recover" in line
    recovered = run(store_dir, "recover", "--passphrase-file", str(pwfile))
    assert recovered.exit_code == 0, recovered.output
    assert run(store_dir, "verify", "--passphrase-file", str(pwfile)).exit_code == 0


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (PASSPHRASE, "the passphrase you have now"),  # the keys screen's rule too (engine.keys.slots)
        ("Oak Primary Sam Patel", "a guesser tries those first"),  # rated with the school's and holders' names
    ],
)
def test_passwd_refuses_the_same_or_a_guessable_passphrase_and_changes_nothing(store_dir, pwfile, made, new, message):
    refused = run(store_dir, "passwd", "--passphrase-file", str(pwfile), "--new-passphrase-file", "-", stdin=new + "\n")
    assert message in _one_clean_line(refused)
    assert run(store_dir, "verify", "--passphrase-file", str(pwfile)).exit_code == 0


def test_keys_add_list_remove_and_passwd(store_dir, pwfile, made):
    added = run(
        store_dir,
        "keys",
        "add",
        "--name",
        "Ann Deputy",
        "--passphrase-file",
        str(pwfile),
        "--new-passphrase-file",
        "-",
        stdin=DEPUTY_PASSPHRASE + "\n",
    )
    assert added.exit_code == 0 and "Added Ann Deputy as Deputy DSL" in added.output
    listing = run(store_dir, "keys", "list", "--user", "Ann Deputy", "--passphrase-file", "-", stdin=DEPUTY_PASSPHRASE + "\n")
    assert listing.exit_code == 0
    assert "Sam Patel" in listing.output and "Ann Deputy (you)" in listing.output and "Recovery key" in listing.output

    # Both passphrases from standard input: current first, then the new one.
    changed = run(
        store_dir,
        "passwd",
        "--passphrase-file",
        "-",
        "--new-passphrase-file",
        "-",
        stdin=f"{PASSPHRASE}\nviolet anchor pebble harbour\n",
    )
    assert changed.exit_code == 0, changed.output
    assert "Wrong passphrase" in _one_clean_line(run(store_dir, "verify", "--passphrase-file", str(pwfile)))

    removed = run(store_dir, "keys", "remove", "Ann Deputy", "--passphrase-file", "-", stdin="violet anchor pebble harbour\n")
    assert removed.exit_code == 0 and "still open with that passphrase" in removed.output
    assert "Wrong passphrase" in _one_clean_line(
        run(store_dir, "verify", "--passphrase-file", "-", stdin=DEPUTY_PASSPHRASE + "\n")
    )
    last = run(store_dir, "keys", "remove", "Sam Patel", "--passphrase-file", "-", stdin="violet anchor pebble harbour\n")
    assert "only passphrase" in _one_clean_line(last)


def test_new_recovery_key_replaces_the_old(store_dir, pwfile, made):
    result = run(store_dir, "keys", "add", "--recovery", "--passphrase-file", str(pwfile))
    assert result.exit_code == 0
    new_key = RECOVERY.search(result.output).group(1)
    assert new_key != made
    assert run(store_dir, "verify", "--passphrase-file", "-", stdin=new_key + "\n").exit_code == 0
    assert "Wrong passphrase" in _one_clean_line(run(store_dir, "verify", "--passphrase-file", "-", stdin=made + "\n"))


def test_backup_and_restore_round_trip(store_dir, pwfile, made, tmp_path):
    out = tmp_path / "backups" / "oak.sdbackup"
    result = run(store_dir, "backup", "--out", str(out), "--passphrase-file", str(pwfile))
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["manifest.json", JOURNAL_FILE, STORE_FILE]
        assert b"Oak Primary" not in archive.read(STORE_FILE)
    elsewhere = tmp_path / "restored"
    restored = run(elsewhere, "restore", str(out))
    assert restored.exit_code == 0, restored.output
    assert run(elsewhere, "verify", "--passphrase-file", str(pwfile)).exit_code == 0
    assert "already holds a store" in _one_clean_line(run(elsewhere, "restore", str(out)))

    broken = tmp_path / "broken.sdbackup"
    broken.write_bytes(out.read_bytes()[:-200])
    assert "not a usable SafeDesk backup" in _one_clean_line(run(tmp_path / "again", "restore", str(broken)))


def test_store_from_environment_variable(made, store_dir, pwfile, monkeypatch):
    monkeypatch.setenv("SAFEDESK_STORE", str(store_dir))
    result = CliRunner().invoke(cli, ["verify", "--passphrase-file", str(pwfile)])
    assert result.exit_code == 0, result.output


def test_debug_shows_the_traceback(tmp_path):
    result = CliRunner().invoke(
        cli, ["--debug", "--store", str(tmp_path / "none"), "verify", "--passphrase-file", "-"], input="x\n"
    )
    assert result.exit_code != 0 and result.exception is not None


def _notes(store: Path, count: int) -> list[str]:
    """Saves made through the engine: several generations, then frames in the journal."""
    from safedesk.store.engine.session import Session
    from tests.kit import Note

    with Session.open(store, PASSPHRASE) as session:
        for i in range(count):
            if i == count // 2:
                session.vault.compact()
            session.repo(Note).add(Note(title=f"note {i}"))
    return [f"note {i}" for i in range(count)]


def _folder_bytes(store: Path) -> dict[str, bytes]:
    return {str(p.relative_to(store)): p.read_bytes() for p in sorted(store.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("damage", ["older journal put back", "journal deleted", "bit flipped in a save"])
def test_verify_of_a_damaged_journal_fails_naming_it(store_dir, pwfile, made, damage):
    _notes(store_dir, 6)
    journal = store_dir / "safedesk.journal"
    if damage == "older journal put back":
        journal.write_bytes((store_dir / "safedesk.journal.bak").read_bytes())
    elif damage == "journal deleted":
        journal.unlink()
    else:
        raw = bytearray(journal.read_bytes())
        raw[-30] ^= 0x04  # inside the last complete save
        journal.write_bytes(bytes(raw))
    before = _folder_bytes(store_dir)
    line = _one_clean_line(run(store_dir, "verify", "--passphrase-file", str(pwfile)))
    assert str(journal) in line and "recover" in line
    assert _folder_bytes(store_dir) == before


def test_verify_changes_no_byte(store_dir, pwfile, made):
    _notes(store_dir, 6)
    assert "Wrong passphrase" in _one_clean_line(run(store_dir, "verify", "--passphrase-file", "-", stdin="not it at all\n"))
    before = _folder_bytes(store_dir)  # with a failed unlock waiting in safedesk.events
    result = run(store_dir, "verify", "--passphrase-file", str(pwfile))
    assert result.exit_code == 0, result.output
    assert _folder_bytes(store_dir) == before


def test_deleted_store_file_init_refuses_then_recover_brings_records_back(store_dir, pwfile, made):
    from safedesk.store.engine.session import Session
    from tests.kit import Note

    expected = _notes(store_dir, 6)
    (store_dir / STORE_FILE).unlink()
    refused = _one_clean_line(run(store_dir, "init", "--setting-name", "X", "--user", "Y", "--passphrase-file", str(pwfile)))
    assert "already exists" in refused and "recover" in refused
    assert "recover" in _one_clean_line(run(store_dir, "verify", "--passphrase-file", str(pwfile)))
    recovered = run(store_dir, "recover", "--passphrase-file", str(pwfile))
    assert recovered.exit_code == 0, recovered.output
    with Session.open(store_dir, PASSPHRASE) as session:
        assert sorted(n.title for n in session.repo(Note).all()) == expected
    assert run(store_dir, "verify", "--passphrase-file", str(pwfile)).exit_code == 0


def test_recover_of_a_healthy_store_asks_first_and_no_changes_nothing(store_dir, pwfile, made):
    _notes(store_dir, 6)
    before = _folder_bytes(store_dir)
    declined = run(store_dir, "recover", "--passphrase-file", str(pwfile), stdin="n\n")
    assert declined.exit_code != 0
    assert "not damaged" in declined.stderr and "would lose" in declined.stderr
    assert _folder_bytes(store_dir) == before


def test_header_asking_for_hours_of_work_is_one_clear_line(store_dir, pwfile, made):
    import hashlib
    import json
    import struct

    from safedesk.store.engine.vault import MAGIC

    path = store_dir / STORE_FILE
    raw = path.read_bytes()
    (length,) = struct.unpack_from(">I", raw, len(MAGIC))
    start = len(MAGIC) + 4
    header = json.loads(raw[start : start + length])
    for slot in header["slots"]:
        slot["kdf"]["iterations"] = 1000
    new = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    prefix = MAGIC + struct.pack(">I", len(new)) + new + raw[start + length : start + length + 16]  # generation, fold point
    path.write_bytes(prefix + hashlib.sha256(prefix).digest() + raw[start + length + 48 :])
    line = _one_clean_line(run(store_dir, "verify", "--passphrase-file", str(pwfile)))
    assert "key-derivation work" in line and str(path) in line and "unexpected" not in line


def test_keys_are_added_and_relabelled_by_label_never_by_name(store_dir, pwfile, made):
    added = run(
        store_dir, "keys", "add", "--name", "Ann Deputy", "--label", "amber compass", "--passphrase-file", str(pwfile),
        "--new-passphrase-file", "-", stdin=DEPUTY_PASSPHRASE + "\n" + DEPUTY_PASSPHRASE + "\n",
    )  # fmt: skip
    assert added.exit_code == 0 and "'Key 2: amber compass' on the unlock screen" in added.output
    named = run(
        store_dir, "keys", "label", "Ann's kettle", "--passphrase-file", "-", "--user", "Ann Deputy", stdin=DEPUTY_PASSPHRASE
    )
    assert named.exit_code != 0 and "not a person's" in _one_clean_line(named)
    renamed = run(
        store_dir, "keys", "label", "green teapot", "--passphrase-file", "-", "--user", "Ann Deputy", stdin=DEPUTY_PASSPHRASE
    )
    assert renamed.exit_code == 0 and "'green teapot'" in renamed.output
    listed = run(store_dir, "keys", "list", "--passphrase-file", str(pwfile)).output
    assert "Key 2: green teapot" in listed and "Recovery key" in listed
