"""`safedesk evidence list|export`: hashes always; decrypted files only where no imagery is suspected."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from safedesk.cli.main import cli
from safedesk.store.engine.session import Session
from safedesk.store.incidents import evidence
from safedesk.store.incidents.log import IncidentLog
from safedesk.store.incidents.records import Incident
from tests.kit import PASSPHRASE


@pytest.fixture
def stored(store_dir: Path, tmp_path: Path) -> tuple[Path, str, int]:
    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    log = IncidentLog(session)
    incident = log.create(Incident(title="Shared picture", reported_at=datetime.now(UTC)))
    shot = tmp_path / "shot.png"
    shot.write_bytes(b"\x89PNG evidence bytes")
    item = evidence.add_file(session, incident.id or 0, shot)
    evidence.add_description(
        session, evidence.Evidence(incident_id=incident.id or 0, kind="description", title="Seen", description="A post.")
    )
    session.close()
    return store_dir, incident.ref, item.id or 0


def run(store: Path, tmp_path: Path, *args: str, answer: str = "y\n"):  # type: ignore[no-untyped-def]
    pw = tmp_path / "pw.txt"
    pw.write_text(PASSPHRASE + "\n", encoding="utf-8")
    return CliRunner().invoke(cli, ["--store", str(store), "evidence", *args, "--passphrase-file", str(pw)], input=answer)


def flag_imagery(store: Path, ref: str) -> None:
    with Session.open(store, PASSPHRASE) as session:
        log = IncidentLog(session)
        log.amend(log.by_ref(ref).id or 0, {"flags": ("sexual_imagery_suspected",)}, reason="What it shows became clear")


def test_list_and_export_a_file(stored, tmp_path):
    store, ref, item_id = stored
    listed = run(store, tmp_path, "list", "--incident", ref.lower(), "--json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [(r["kind"], r["exportable"]) for r in rows] == [("file", True), ("description", False)]
    out = tmp_path / "copy.png"
    refused = run(store, tmp_path, "export", str(item_id), "--out", str(out), answer="n\n")
    assert refused.exit_code != 0 and not out.exists()
    written = run(store, tmp_path, "export", str(item_id), "--out", str(out))
    assert written.exit_code == 0, written.output
    assert out.read_bytes() == b"\x89PNG evidence bytes"


def test_imagery_flag_blocks_the_decrypted_export_with_the_reason(stored, tmp_path):
    store, ref, item_id = stored
    flag_imagery(store, ref)
    out = tmp_path / "copy.png"
    refused = run(store, tmp_path, "export", str(item_id), "--out", str(out))
    assert refused.exit_code == 1 and not out.exists()
    assert "sexual imagery of a child is suspected" in refused.stderr and "Traceback" not in refused.output
    listed = run(store, tmp_path, "list", "--incident", ref)
    assert listed.exit_code == 0 and "SHA-256" in listed.stdout and "cannot be exported" in listed.stdout
    assert not any(r["exportable"] for r in json.loads(run(store, tmp_path, "list", "--incident", ref, "--json").stdout))
    with Session.open(store, PASSPHRASE) as session:
        assert not any(e.action == "export.evidence" for e in session.audit.entries())


def test_unknown_incident_and_item_are_one_line(stored, tmp_path):
    store, _, _ = stored
    assert "No incident with reference INC-1999" in run(store, tmp_path, "list", "--incident", "INC-1999").stderr
    missing = run(store, tmp_path, "export", "999", "--out", str(tmp_path / "x"))
    assert missing.exit_code == 1 and "No evidence item 999" in missing.stderr
