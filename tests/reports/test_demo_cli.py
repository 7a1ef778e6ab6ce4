"""`safedesk --store DIR demo --create`: a lasting demo store that opens and exports like any store."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from safedesk.cli.main import cli
from safedesk.store.demo.data import DEMO_SETTING
from safedesk.store.engine.session import Session
from safedesk.store.features import attention, verify_store
from safedesk.store.handover.transfer import files_due
from safedesk.store.incidents import evidence
from safedesk.store.incidents.about import incidents_about_pupil
from safedesk.store.incidents.log import IncidentLog
from safedesk.store.registry import DEMO_BANNER
from safedesk.store.text.dates import local_today
from tests.kit import PASSPHRASE


def create(store: Path, pw: Path):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["--store", str(store), "demo", "--create", "--passphrase-file", str(pw)])


def test_demo_create_writes_a_store_that_verifies_and_exports_marked_demo(tmp_path):
    pw = tmp_path / "pw.txt"
    pw.write_text(PASSPHRASE + "\n", encoding="utf-8")
    store = tmp_path / "demo"
    made = create(store, pw)
    assert made.exit_code == 0, made.output
    assert "DEMO store of fictional data" in made.stdout and "RECOVERY KEY" in made.stdout
    with Session.open(store, PASSPHRASE, read_only=True) as session:
        setting = session.setting()
        assert setting.demo and setting.name == DEMO_SETTING
        assert verify_store(session).ok
        log = IncidentLog(session)
        rows = log.rows()
        incidents = [log.get(row.id) for row in rows]
        assert len(rows) >= 5 and any(r.status == "closed" for r in rows)
        assert sum(1 for i in incidents for p in i.people if p.pupil_id) >= 3
        assert any(log.escalations(row.id) for row in rows)
        kinds = {item.kind for row in rows for item in evidence.evidence_for(session, row.id)}
        assert kinds == {"file", "description"}
        assert len(session.scan("pupils")) == 16
        # A pupil who left recently, her file not yet sent: trainers see the transfer due on home.
        [due] = files_due(session)
        assert due.pupil == "Poppy Clarke" and not due.overdue(local_today())
        assert incidents_about_pupil(session, due.leaver.pupil_id)
        assert any(a.level == "due soon" and "Poppy Clarke" in a.text and "transfer due by" in a.text for a in attention(session))
        assert session.actor == "Alex Morgan (demo DSL)"  # the role, in the name already, is not added again
        ref = next(i.ref for i in incidents if evidence.evidence_for(session, i.id or 0))
    for report, extra in (("incident", ["--incident", ref]), ("incident-log", []), ("consent-register", [])):
        out = tmp_path / f"{report}.md"
        exported = CliRunner().invoke(
            cli, ["--store", str(store), "export", report, "--out", str(out), "--passphrase-file", str(pw), *extra]
        )
        assert exported.exit_code == 0, exported.output
        title, blank, banner = out.read_text(encoding="utf-8").splitlines()[:3]
        assert title.startswith("# ") and blank == "" and banner == DEMO_BANNER


def test_demo_create_refuses_a_folder_with_a_store_and_the_default_folder(tmp_path, monkeypatch):
    pw = tmp_path / "pw.txt"
    pw.write_text(PASSPHRASE + "\n", encoding="utf-8")
    store = tmp_path / "real"
    Session.create(store, "Oak Primary", "Sam Patel", PASSPHRASE)[0].close()
    before = sorted(p.name for p in store.iterdir())
    refused = create(store, pw)
    assert refused.exit_code != 0 and "Traceback" not in refused.output and refused.stderr.strip()
    assert sorted(p.name for p in store.iterdir()) == before
    with Session.open(store, PASSPHRASE, read_only=True) as session:
        assert not session.setting().demo and session.setting().name == "Oak Primary"
    monkeypatch.delenv("SAFEDESK_STORE", raising=False)
    unnamed = CliRunner().invoke(cli, ["demo", "--create", "--passphrase-file", str(pw)])
    assert unnamed.exit_code != 0 and "--store DIR" in unnamed.stderr


def test_a_weak_passphrase_is_refused_before_anything_is_written(tmp_path):
    pw = tmp_path / "pw.txt"
    pw.write_text("password123\n", encoding="utf-8")
    refused = create(tmp_path / "demo", pw)
    assert refused.exit_code != 0 and "passphrase" in refused.stderr and not (tmp_path / "demo").exists()
