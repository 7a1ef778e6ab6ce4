"""The real age file: written by the child process, opened by pyrage alone, by the `age`/`rage`
binaries when installed, and by another SafeDesk store; wrong passphrases and damaged files refused.

Each scrypt run takes about two seconds by design, so the file is made once per module.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import select
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from safedesk.store.engine.keys import crypto
from safedesk.store.engine.session import OpenOptions, Session
from safedesk.store.handover import crypt as handover_crypt
from safedesk.store.handover import transfer as ho
from safedesk.store.incidents import evidence
from tests.kit import HANDOVER_PASSPHRASE, PASSPHRASE, add_incident

AGE_TOOLS = [tool for tool in ("age", "rage") if shutil.which(tool)]


@pytest.fixture(scope="module")
def sent(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """(file, transfer, sender folder): one real export shared by the tests below."""
    base = tmp_path_factory.mktemp("handover")
    session = Session.create(base / "a", "Oak Primary", "Sam Patel", PASSPHRASE, OpenOptions(kdf=crypto.fast_params_for_tests()))[
        0
    ]
    try:
        incident = add_incident(session, files=2, tmp=base)
        transfer = ho.export_handover(
            session, ho.Selection((incident.id,)), to="LADO", passphrase=HANDOVER_PASSPHRASE, out=base / "h.age"
        )
        originals = [evidence.decrypt(session, e) for e in evidence.evidence_for(session, incident.id) if e.kind == "file"]
    finally:
        session.close()
    return base / "h.age", transfer, originals


def check_plain_bundle(plain: bytes, code: str) -> None:
    """What a receiver without SafeDesk can check: every member against the manifest, and the receipt code."""
    with zipfile.ZipFile(io.BytesIO(plain)) as archive:
        manifest_raw = archive.read("manifest.json")
        manifest = json.loads(manifest_raw)
        for name, entry in manifest["files"].items():
            assert hashlib.sha256(archive.read(name)).hexdigest() == entry["sha256"]
        summary = archive.read("summary.md").decode("utf-8")
    assert summary.startswith("# SafeDesk handover from Oak Primary")
    digest = hashlib.sha256(manifest_raw).hexdigest()[:12].upper()
    assert f"{digest[:4]}-{digest[4:8]}-{digest[8:]}" == code


def test_a_standard_age_file_that_pyrage_alone_opens(sent):
    import pyrage  # nothing from SafeDesk: what any age implementation would do

    path, transfer, _ = sent
    data = path.read_bytes()
    assert data.startswith(b"age-encryption.org/v1\n-> scrypt ")
    check_plain_bundle(pyrage.passphrase.decrypt(data, HANDOVER_PASSPHRASE), transfer.receipt_code)


@pytest.mark.skipif(
    not AGE_TOOLS or os.name == "nt", reason="needs the age or rage binary (Debian: apt-get install age) and a POSIX pty"
)
@pytest.mark.parametrize("tool", AGE_TOOLS or ["age"])
def test_the_age_command_line_tool_opens_it(sent, tool, tmp_path):
    """`age -d -o out FILE` asks for the passphrase on the terminal: give it one (a pty)."""
    import pty

    path, transfer, _ = sent
    out = tmp_path / "bundle.zip"
    pid, fd = pty.fork()
    if pid == 0:  # the child: become the tool
        os.execvp(tool, [tool, "-d", "-o", str(out), str(path)])
    said, answered = b"", False
    while True:
        ready, _, _ = select.select([fd], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        said += chunk
        if not answered and b"passphrase" in said.lower():
            os.write(fd, HANDOVER_PASSPHRASE.encode() + b"\n")
            answered = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, said
    check_plain_bundle(out.read_bytes(), transfer.receipt_code)
    # What the issue asks a receiver to do: `age -d` alone, unzip, then `sha256sum -c SHA256SUMS`.
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(folder)
    check_sums_with_coreutils(folder)


def check_sums_with_coreutils(folder: Path) -> None:
    """`sha256sum -c SHA256SUMS` in the unpacked folder passes and covers every file in it."""
    listed = {line.split("  ", 1)[1] for line in (folder / "SHA256SUMS").read_text("ascii").splitlines()}
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {"SHA256SUMS"}
    assert listed == present and "manifest.json" in listed and "summary.html" in listed
    if shutil.which("sha256sum") is None:
        pytest.skip("needs GNU coreutils' sha256sum")
    result = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": OK") == len(listed)
    # One changed byte and the check fails, naming the file.
    summary = folder / "summary.md"
    summary.write_bytes(summary.read_bytes() + b" ")
    result = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True, check=False)
    assert result.returncode != 0 and "summary.md: FAILED" in result.stdout


def test_sha256sums_verifies_after_pyrage_decrypts(sent, tmp_path):
    import pyrage

    path, _, _ = sent
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(io.BytesIO(pyrage.passphrase.decrypt(path.read_bytes(), HANDOVER_PASSPHRASE))) as archive:
        archive.extractall(folder)
    page = (folder / "summary.html").read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<h1>SafeDesk handover from Oak Primary</h1>" in page
    check_sums_with_coreutils(folder)


def test_another_store_imports_it_with_every_evidence_byte(sent, tmp_path):
    path, transfer, originals = sent
    with Session.create(tmp_path / "b", "Oakwood", "Jo Bloggs", PASSPHRASE)[0] as receiver:
        opened = ho.open_handover(path, HANDOVER_PASSPHRASE)
        assert opened.receipt_code == transfer.receipt_code and opened.file_sha256 == transfer.file_sha256
        received = ho.apply_import(receiver, ho.preview_import(receiver, opened))
        items = evidence.evidence_for(receiver, received.incident_ids[0])
        assert [evidence.decrypt(receiver, e) for e in items if e.kind == "file"] == originals
        assert received.receipt_code == transfer.receipt_code


def test_wrong_passphrase_is_one_clear_sentence(sent):
    path, _, _ = sent
    with pytest.raises(handover_crypt.HandoverFileError, match="^Wrong passphrase") as caught:
        ho.open_handover(path, "lantern kettle orbit meadows")
    assert caught.value.field == "passphrase"


@pytest.mark.parametrize("damage", ["flip a payload byte", "cut the end off"])
def test_damaged_file_is_refused(sent, tmp_path, damage):
    path, _, _ = sent
    data = bytearray(path.read_bytes())
    if damage == "flip a payload byte":
        data[-100] ^= 0x01
    else:
        del data[-500:]
    bad = tmp_path / "bad.age"
    bad.write_bytes(bytes(data))
    with pytest.raises(handover_crypt.HandoverFileError, match="damaged or incomplete") as caught:
        ho.open_handover(bad, HANDOVER_PASSPHRASE)
    assert caught.value.field == "file"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"PK\x03\x04 a zip, not age", "not an age-encrypted file"),
        (b"age-encryption.org/v1\n-> X25519 abc\nxyz\n--- mac\npayload", "encrypted to a key"),
        (b"age-encryption.org/v1\n-> scrypt c2FsdHNhbHRzYWx0c2FsdA 40\nxyz\n--- mac\npayload", "far more decryption work"),
        (b"age-encryption.org/v1\n-> scrypt", "header is incomplete"),
    ],
)
def test_files_that_are_not_passphrase_age_are_refused_before_any_work(tmp_path, content, words):
    path = tmp_path / "x.age"
    path.write_bytes(content)
    with pytest.raises(handover_crypt.HandoverFileError, match=words):
        ho.open_handover(path, HANDOVER_PASSPHRASE)


def test_passphrase_typed_in_another_unicode_form_still_opens():
    composed, decomposed = "café lantern orbit meadow", "cafe\u0301 lantern orbit meadow"
    assert composed != decomposed
    assert handover_crypt.decrypt(handover_crypt.encrypt(b"data", decomposed), composed) == b"data"


def _armored(binary: bytes) -> bytes:
    import base64

    text = base64.b64encode(binary)
    lines = b"\n".join(text[i : i + 64] for i in range(0, len(text), 64))
    return b"-----BEGIN AGE ENCRYPTED FILE-----\n" + lines + b"\n-----END AGE ENCRYPTED FILE-----\n"


@pytest.mark.parametrize("armour", [False, True], ids=["binary", "armoured"])
@pytest.mark.parametrize("work_factor", [21, 22, 40])
def test_scrypt_work_factor_above_20_is_refused_before_deriving(tmp_path, monkeypatch, armour, work_factor):
    binary = (
        f"age-encryption.org/v1\n-> scrypt c2FsdHNhbHRzYWx0c2FsdA {work_factor}\nxyzxyzxyzxyz\n--- mac\n".encode() + b"p" * 64
    )
    path = tmp_path / "x.age"
    path.write_bytes(_armored(binary) if armour else binary)
    monkeypatch.setattr(handover_crypt.subprocess, "run", lambda *a, **k: pytest.fail("the helper was started"))
    with pytest.raises(handover_crypt.HandoverFileError, match="far more decryption work"):
        ho.open_handover(path, HANDOVER_PASSPHRASE)


def test_our_own_files_stay_within_the_bound(sent):
    path, _, _ = sent
    header = path.read_bytes()[:200].split(b"\n")[1].split()
    assert header[1] == b"scrypt" and int(header[3]) <= handover_crypt.MAX_WORK_FACTOR
