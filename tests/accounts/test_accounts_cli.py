"""`safedesk accounts ...`: list, health, staff, leaver and export, never printing a secret."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from safedesk.cli.accounts import accounts
from safedesk.cli.main import cli
from safedesk.store.accounts.register import Account, Admin, Credential, Mfa, Register, StaffMember, Status
from safedesk.store.engine.session import Session
from tests.kit import PASSPHRASE

SECRET = "Zq9-[bold]kettle-Secret-4471"

if "accounts" not in cli.commands:  # the lead registers it in tui/cli.py; until then the tests do
    cli.add_command(accounts)


def run(store: Path, pwfile: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(
        cli, ["--store", str(store), "accounts", *args, "--passphrase-file", str(pwfile)], catch_exceptions=False
    )


@pytest.fixture
def pwfile(tmp_path: Path) -> Path:
    path = tmp_path / "pw.txt"
    path.write_text(PASSPHRASE + "\n", encoding="utf-8")
    return path


@pytest.fixture
def filled(store_dir: Path) -> Path:
    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    reg = Register(session)
    head = reg.add_staff(StaffMember(name="Ann Head", role="Headteacher", slt=True))
    bo = reg.add_staff(StaffMember(name="Bo Office", role="Office manager"))
    account = reg.propose(
        Account(platform="Facebook Page", name="@OakPrimary", owner_id=head.id, runner_ids=(head.id or 0, bo.id or 0))
    )
    reg.decide(account.id or 0, approved=True, by_id=head.id, on=date.today())
    reg.add_admin(account.id or 0, Admin(staff_id=bo.id or 0, added_on=date.today() - timedelta(days=9)))
    reg.set_status(account.id or 0, Status.ACTIVE)
    reg.add_credential(Credential(account_id=account.id or 0, login="office@oak.sch.uk", password=SECRET, mfa=Mfa.NONE))
    reg.propose(Account(platform="Instagram", name="@oak_pe"))
    session.close()
    return store_dir


def test_list_and_json(filled, pwfile):
    result = run(filled, pwfile, "list")
    assert result.exit_code == 0, result.output
    assert "@OakPrimary" in result.stdout and "active" in result.stdout and "to act on" in result.stdout
    rows = json.loads(run(filled, pwfile, "list", "--json").stdout)
    assert [r["name"] for r in rows] == ["@OakPrimary", "@oak_pe"]
    assert rows[0]["owner"] == "Ann Head" and rows[0]["approved"] is True and rows[0]["findings"]["action"] >= 2
    assert SECRET not in result.output


def test_health_cites_cards_and_strict_exit(filled, pwfile):
    result = run(filled, pwfile, "health")
    assert result.exit_code == 0
    assert (
        "[ACTION] @OakPrimary (Facebook Page): multi-factor authentication is off  (safedesk guide show checklist-school-devices)"
        in result.stdout
    )
    assert run(filled, pwfile, "health", "--strict").exit_code == 1
    findings = json.loads(run(filled, pwfile, "health", "--json").stdout)
    assert {"account_id", "account", "rule", "level", "text", "card"} == set(findings[0])


def test_leaver_then_staff(filled, pwfile):
    # A leaving date on or after the day their admin access began (the fixture's accounts are recent).
    left = date.today().isoformat()
    result = run(filled, pwfile, "leaver", "bo office", "--on", left)
    assert result.exit_code == 0, result.output
    assert f"Marked Bo Office as left on {date.today():%d/%m/%Y}." in result.stdout  # as every screen shows dates
    assert (
        "@OakPrimary (Facebook Page): remove their Admin access on the platform, then change the password of Main login."
        in result.stdout
    )
    staff = json.loads(run(filled, pwfile, "staff", "--json").stdout)
    assert {s["name"]: s["left_on"] for s in staff} == {"Ann Head": None, "Bo Office": left}
    assert "admin(s) have left" not in run(filled, pwfile, "health").stdout
    assert "1 admin has left the school" in run(filled, pwfile, "health").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("leaver", "Nobody"), "No one on the staff register"),
        (("leaver", "Bo Office", "--on", "31/02/2026"), "YYYY-MM-DD"),
    ],
)
def test_errors_are_one_line(filled, pwfile, args, message):
    result = run(filled, pwfile, *args)
    assert result.exit_code != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("safedesk: ") and message in lines[0], result.stderr


def test_export_writes_markdown_without_secrets_and_refuses_to_overwrite(filled, pwfile, tmp_path):
    out = tmp_path / "register.md"
    result = run(filled, pwfile, "export", "--out", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "## @OakPrimary (Facebook Page)" in text and SECRET not in text and "office@oak.sch.uk" not in text
    again = run(filled, pwfile, "export", "--out", str(out))
    assert again.exit_code != 0 and "already exists" in again.stderr
    assert run(filled, pwfile, "export", "--out", str(out), "--force").exit_code == 0
    with Session.open(filled, PASSPHRASE) as session:
        assert [e.summary for e in session.audit.entries() if e.action == "export.accounts"] == [
            "account register exported (2 accounts, no secrets)"
        ] * 2


def test_empty_register(store_dir, pwfile):
    Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)[0].close()
    assert "No accounts in the register yet." in run(store_dir, pwfile, "list").stdout
    assert "nothing to fix" in run(store_dir, pwfile, "health").stdout
