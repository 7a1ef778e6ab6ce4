"""The recovery-key sheet and the quick reference: from setup, settings, help and the CLI."""

from __future__ import annotations

import re

from click.testing import CliRunner
from textual.widgets import Input, Select

from safedesk.app import SafeDeskApp
from safedesk.cli.main import cli
from safedesk.screens.recovery import RecoveryKeyScreen
from safedesk.store.engine.files import write_document
from safedesk.store.engine.keys.recovery import GROUPS, SHEET_STYLE, new_recovery_key, recovery_sheet_markdown
from safedesk.store.engine.session import Session
from safedesk.store.text.document import Document
from safedesk.store.text.markdown import check_markdown
from safedesk.widgets.forms import FormDialog
from tests.kit import PASSPHRASE, SIZE, error_of, settle, table_cells, unlock

KEY_SHAPE = re.compile(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){7}")


def test_sheet_has_boxes_for_every_group_and_never_a_key(tmp_path):
    markdown = recovery_sheet_markdown("Oak | Primary", "0123456789abcdef")
    check_markdown(markdown, headings=("Using it", "If this sheet is lost or seen"))
    boxes = table_cells(markdown)[0]
    assert [row[0] for row in boxes[1:]] == [str(n) for n in range(1, GROUPS + 1)] and all(row[1] == "" for row in boxes[1:])
    assert len(new_recovery_key().split("-")) == GROUPS
    assert "store 01234567" in markdown and "Oak \\| Primary" in markdown and not KEY_SHAPE.search(markdown)
    page = tmp_path / "sheet.html"
    write_document(page, Document("Recovery key sheet", markdown, style=SHEET_STYLE))
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and SHEET_STYLE in html and "<table>" in html
    write_document(tmp_path / "sheet.md", Document("Recovery key sheet", markdown))
    assert (tmp_path / "sheet.md").read_text(encoding="utf-8") == markdown


async def test_setup_offers_the_sheet_beside_the_key_and_it_holds_no_key(store_dir, tmp_path):
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"Oak Primary", "enter", *"Sam Patel", "enter")
        app.screen.query_one("#passphrase", Input).value = PASSPHRASE
        app.screen.query_one("#confirm", Input).value = PASSPHRASE
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, RecoveryKeyScreen)
        key = str(app.screen.query_one("#recovery-key").render()).strip()
        app.screen.query_one("#recovery-sheet").focus()
        await pilot.press("enter")  # Enter presses a focused button in a form
        await pilot.pause()
        assert isinstance(app.screen, FormDialog)
        out = tmp_path / "sheet.html"
        app.screen.query_one("#field-path Input", Input).value = str(out)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, RecoveryKeyScreen)  # back to the key, still to be confirmed
        html = out.read_text(encoding="utf-8")
        assert "Recovery key sheet: Oak Primary" in html and key not in html and key.replace("-", "") not in html
        assert not KEY_SHAPE.search(html)


async def test_settings_and_help_export_both_sheets(store_dir, tmp_path):
    Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)[0].close()
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        await pilot.press("s")
        await pilot.pause()
        for button, name, fmt in (
            ("#settings-recovery-sheet", "sheet.html", "html"),
            ("#settings-quick-reference", "quick.md", "md"),
        ):
            app.screen.query_one(button).focus()
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, FormDialog)
            app.screen.query_one("#form-format", Select).value = fmt
            await pilot.pause()
            app.screen.query_one("#field-path Input", Input).value = str(tmp_path / name)
            await pilot.press("ctrl+s")
            await settle(app, pilot)
        assert "Recovery key sheet: Oak Primary" in (tmp_path / "sheet.html").read_text(encoding="utf-8")
        quick = (tmp_path / "quick.md").read_text(encoding="utf-8")
        assert quick.startswith("# SafeDesk quick reference: Oak Primary") and "after 5 idle minute(s)" in quick
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("f1")
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, FormDialog)
        # A name that asks for another format than the one chosen is refused beside the path.
        app.screen.query_one("#field-path Input", Input).value = str(tmp_path / "from-help.md")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, FormDialog) and not (tmp_path / "from-help.md").exists()
        assert "ends in .md but the format chosen is HTML" in error_of(app, "path")
        app.screen.query_one("#field-path Input", Input).value = str(tmp_path / "from-help.html")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
    assert "<title>SafeDesk quick reference</title>" in (tmp_path / "from-help.html").read_text(encoding="utf-8")


def test_cli_writes_both_sheets(store_dir, tmp_path):
    Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)[0].close()
    pw = tmp_path / "pw"
    pw.write_text(PASSPHRASE + "\n", encoding="utf-8")
    quick = tmp_path / "quick.html"
    result = CliRunner().invoke(cli, ["guide", "quick-reference", "--out", str(quick)])
    assert result.exit_code == 0, result.output
    assert "Ctrl+L" in quick.read_text(encoding="utf-8")
    again = CliRunner().invoke(cli, ["guide", "quick-reference", "--out", str(quick)])
    assert again.exit_code != 0 and "already exists" in again.stderr
    sheet = tmp_path / "sheet.md"
    args = ["--store", str(store_dir), "keys", "sheet", "--out", str(sheet), "--passphrase-file", str(pw)]
    made = CliRunner().invoke(cli, args)
    assert made.exit_code == 0, made.output
    assert sheet.read_text(encoding="utf-8").startswith("# Recovery key sheet: Oak Primary")
