"""`safedesk accounts export --kdbx`: the credentials as a KeePass (KDBX 4) file for the school's password manager."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from pykeepass import PyKeePass  # type: ignore[import-untyped]

from safedesk.cli.main import cli
from safedesk.store.accounts.kdbx import export_kdbx
from safedesk.store.accounts.register import Account, ChangeReason, Credential, Mfa, Register
from safedesk.store.engine.session import Session
from safedesk.store.errors import InvalidInput
from tests.kit import PASSPHRASE

KDBX_PASSPHRASE = "walnut tractor lagoon pepper"
FIRST, SECOND, CURRENT = "Old-first-Pa55", "Old-second-Pa55", "Zq9-[bold]kettle-Secret-4471"


@pytest.fixture
def filled(store_dir: Path) -> Path:
    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    reg = Register(session)
    page = reg.propose(Account(platform="Facebook Page", name="@OakPrimary", url="https://facebook.com/oakprimary"))
    credential = reg.add_credential(
        Credential(
            account_id=page.id or 0,
            login="office@oak.sch.uk",
            password=FIRST,
            recovery_email="head@oak.sch.uk",
            recovery_email_school=True,
            mfa=Mfa.APP,
            factor_holder="office iPad",
            backup_codes_at="school safe, red folder",
        ),
        on=date.today() - timedelta(days=30),
    )
    reg.change_password(credential.id or 0, SECOND, ChangeReason.LEAVER, on=date.today() - timedelta(days=20))
    reg.change_password(credential.id or 0, CURRENT, ChangeReason.REVIEW, on=date.today() - timedelta(days=10))
    insta = reg.propose(Account(platform="Instagram", name="@oak_pe"))
    reg.add_credential(Credential(account_id=insta.id or 0, label="PE login", login="pe@oak.sch.uk", password="pe-Pa55-word"))
    reg.add_credential(Credential(account_id=insta.id or 0, label="Spare", login="pe2@oak.sch.uk", password="pe2-Pa55-word"))
    reg.propose(Account(platform="YouTube", name="Oak Channel"))  # no login recorded
    session.close()
    return store_dir


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    pw, kp = tmp_path / "pw.txt", tmp_path / "kp.txt"
    pw.write_text(PASSPHRASE + "\n", encoding="utf-8")
    kp.write_text(KDBX_PASSPHRASE + "\n", encoding="utf-8")
    return pw, kp


def run(store: Path, files: tuple[Path, Path], out: Path, *extra: str, answer: str = "y\n"):  # type: ignore[no-untyped-def]
    pw, kp = files
    args = ["--store", str(store), "accounts", "export", "--kdbx", str(out), "--passphrase-file", str(pw)]
    return CliRunner().invoke(cli, [*args, "--kdbx-passphrase-file", str(kp), *extra], input=answer)


def test_kdbx_export_reads_back_with_groups_entries_notes_and_history(filled, files, tmp_path):
    out = tmp_path / "accounts.kdbx"
    result = run(filled, files, out)
    assert result.exit_code == 0, result.output
    assert "4 entries for 3 accounts, 2 previous password(s)" in result.stdout and CURRENT not in result.output
    database = PyKeePass(str(out), password=KDBX_PASSPHRASE)
    assert database.version == (4, 0)
    assert sorted(g.name for g in database.root_group.subgroups) == ["Facebook Page", "Instagram", "YouTube"]
    page = database.find_entries(title="Facebook Page: @OakPrimary", first=True)
    assert page.username == "office@oak.sch.uk" and page.password == CURRENT
    assert page.url == "https://facebook.com/oakprimary" and page.group.name == "Facebook Page"
    assert "head@oak.sch.uk (the school controls it)" in page.notes
    assert "authenticator app, held by office iPad" in page.notes and "school safe, red folder" in page.notes
    assert [h.password for h in page.history] == [FIRST, SECOND]
    titles = sorted(e.title for e in database.find_entries(group=database.find_groups(name="Instagram", first=True)))
    assert titles == ["Instagram: @oak_pe (PE login)", "Instagram: @oak_pe (Spare)"]
    youtube = database.find_entries(title="YouTube: Oak Channel", first=True)
    assert youtube.password in ("", None) and "No login is recorded" in youtube.notes
    with Session.open(filled, PASSPHRASE) as session:
        audited = [e.summary for e in session.audit.entries() if e.action == "export.accounts"]
    assert audited == ["account register exported to a KeePass file with secrets (4 entries, 2 previous passwords)"]
    assert all(secret not in audited[0] for secret in (FIRST, SECOND, CURRENT))


def test_kdbx_export_asks_first_and_never_overwrites_without_force(filled, files, tmp_path):
    out = tmp_path / "accounts.kdbx"
    refused = run(filled, files, out, answer="n\n")
    assert refused.exit_code != 0 and not out.exists()
    out.write_bytes(b"keep me")
    again = run(filled, files, out)
    assert again.exit_code != 0 and "already exists" in again.stderr and out.read_bytes() == b"keep me"
    assert run(filled, files, out, "--force").exit_code == 0
    assert PyKeePass(str(out), password=KDBX_PASSPHRASE).find_entries(title="Facebook Page: @OakPrimary", first=True)


def test_kdbx_needs_exactly_one_target(filled, files, tmp_path):
    pw, _ = files
    neither = CliRunner().invoke(
        cli,
        ["--store", str(filled), "accounts", "export", "--passphrase-file", str(pw)],
    )
    assert neither.exit_code != 0 and "--kdbx FILE" in neither.stderr


@pytest.mark.parametrize(
    ("passphrase", "words"),
    [("Oak Primary Sam Patel", "school's name"), (PASSPHRASE, "opens this SafeDesk store"), ("short", "at least")],
)
def test_kdbx_passphrase_must_be_strong_and_its_own(filled, tmp_path, passphrase, words):
    out = tmp_path / "a.kdbx"
    with Session.open(filled, PASSPHRASE) as session, pytest.raises(InvalidInput, match=words):
        export_kdbx(session, out, passphrase)
    assert not out.exists()


def test_keepassxc_cli_lists_the_entries(filled, files, tmp_path):
    tool = shutil.which("keepassxc-cli")
    if tool is None:
        pytest.skip("keepassxc-cli is not installed (Debian: apt-get install keepassxc-minimal)")
    out = tmp_path / "accounts.kdbx"
    assert run(filled, files, out).exit_code == 0
    listed = subprocess.run(
        [tool, "ls", "--recursive", "--flatten", str(out)],
        input=KDBX_PASSPHRASE + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    lines = {line.strip() for line in listed.stdout.splitlines()}
    assert {
        "Facebook Page/Facebook Page: @OakPrimary",
        "Instagram/Instagram: @oak_pe (PE login)",
        "Instagram/Instagram: @oak_pe (Spare)",
        "YouTube/YouTube: Oak Channel",
    } <= lines, listed.stdout


async def test_accounts_screen_exports_to_keepass_in_the_background(filled, tmp_path):
    from textual.widgets import Input

    from safedesk.app import SafeDeskApp
    from safedesk.widgets.dialogs import MessageDialog
    from safedesk.widgets.forms import FormDialog
    from tests.kit import SIZE, error_of, settle, unlock

    out = tmp_path / "from-screen.kdbx"
    app = SafeDeskApp(filled)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, FormDialog)
        dialog.query_one("#form-path", Input).value = str(out)
        dialog.query_one("#form-passphrase", Input).value = PASSPHRASE  # opens the store: refused beside the field
        dialog.query_one("#form-confirm", Input).value = PASSPHRASE
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "opens this SafeDesk store" in error_of(app, "passphrase") and not out.exists()
        dialog.query_one("#form-passphrase", Input).value = KDBX_PASSPHRASE
        dialog.query_one("#form-confirm", Input).value = KDBX_PASSPHRASE
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, MessageDialog)
    database = PyKeePass(str(out), password=KDBX_PASSPHRASE)
    assert database.find_entries(title="Facebook Page: @OakPrimary", first=True).password == CURRENT
    with Session.open(filled, PASSPHRASE) as session:
        assert [e.action for e in session.audit.entries()].count("export.accounts") == 1


async def test_keepass_passphrase_is_rated_live_while_it_is_typed(filled):
    from textual.widgets import Input

    from safedesk.app import SafeDeskApp
    from safedesk.widgets.common import StrengthMeter
    from safedesk.widgets.forms import FormDialog
    from tests.kit import SIZE, settle, shown_errors, unlock

    app = SafeDeskApp(filled)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, FormDialog)
        meter = dialog.query_one("#strength-passphrase", StrengthMeter)
        assert list(dialog.query(StrengthMeter)) == [meter]  # the confirmation is not rated
        dialog.query_one("#form-passphrase", Input).focus()
        await pilot.press(*"oakprimary1")  # the setting's name: a guesser's first try
        await settle(app, pilot)
        rated = str(meter.render())
        assert rated.startswith("Strength [") and meter.has_class("weak") and "name" in rated.lower()
        assert shown_errors(app) == []  # feedback while typing, before any Save
        dialog.query_one("#form-passphrase", Input).value = KDBX_PASSPHRASE
        await settle(app, pilot)
        assert not meter.has_class("weak") and str(meter.render()).startswith("Strength [")
        dialog.query_one("#form-passphrase", Input).value = ""
        await settle(app, pilot)
        assert str(meter.render()) == ""
