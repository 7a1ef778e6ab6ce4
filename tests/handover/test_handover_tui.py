"""Handover screens by keyboard at 80x24: export with type-ahead, import with preview, receipt codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, SelectionList, Static

from safedesk.app import SafeDeskApp
from safedesk.screens.handover.export import HandoverExportScreen
from safedesk.screens.handover.importer import HandoverImportScreen
from safedesk.screens.handover.listing import HandoverScreen, ReceiptDialog
from safedesk.store.handover import transfer as ho
from safedesk.store.incidents.log import IncidentLog
from safedesk.widgets.dialogs import MessageDialog
from tests.kit import (
    HANDOVER_PASSPHRASE,
    NASTY,
    PASSPHRASE,
    SIZE,
    add_incident,
    add_pupil,
    error_text,
    fast_crypt,
    make_store,
    settle,
    unlock,
)


@pytest.fixture(autouse=True)
def _fast(monkeypatch):  # type: ignore[no-untyped-def]
    fast_crypt(monkeypatch)  # the real child process is tested in test_handover_crypt.py


def text_of(app, selector: str) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one(selector, Static).render())


def fill(app, **values: str) -> None:  # type: ignore[no-untyped-def]
    for key, value in values.items():
        app.screen.query_one(f"#{key}", Input).value = value


async def open_hub(app, pilot) -> HandoverScreen:  # type: ignore[no-untyped-def]
    await unlock(app, pilot)
    app.push_screen(HandoverScreen())
    await pilot.pause()
    assert isinstance(app.screen, HandoverScreen)
    return app.screen


def seeded(folder: Path, tmp: Path, **pupil: object) -> None:
    with make_store(folder) as session:
        add_incident(session, tmp=tmp)
        add_incident(session, title=NASTY, tmp=tmp)
        add_pupil(session, **pupil)


async def test_export_by_keyboard_with_errors_by_the_fields(store_dir, tmp_path):
    seeded(store_dir, tmp_path)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await open_hub(app, pilot)
        await pilot.press("e")
        screen = app.screen
        assert isinstance(screen, HandoverExportScreen)
        await pilot.press("ctrl+n")  # nothing ticked yet: stays on step 1
        assert screen.step == "hx-choose"
        await pilot.press(*"fake", "enter", "space")  # filter, go to the list, tick the one match
        box = screen.query_one("#hx-filter", Input)
        box.value = "amelia"
        box.focus()
        await pilot.press("enter", "space", "ctrl+n")
        assert screen.step == "hx-details"
        assert "1 incident(s) with their chronology" in text_of(app, "#hx-what") and "1 pupil(s)" in text_of(app, "#hx-what")

        await pilot.press("ctrl+s")
        assert "Say who it is for" in error_text(app, "#error-to")
        fill(app, **{"hx-to": NASTY, "hx-out": str(tmp_path / "h.age"), "hx-pass": "password1", "hx-confirm": "password1"})
        await pilot.press("ctrl+s")
        assert "at least 10" in error_text(app, "#error-pass") and error_text(app, "#error-to") == ""
        fill(app, **{"hx-pass": HANDOVER_PASSPHRASE, "hx-confirm": HANDOVER_PASSPHRASE + "!"})
        await pilot.press("ctrl+s")
        assert "different" in error_text(app, "#error-confirm")
        fill(app, **{"hx-pass": PASSPHRASE, "hx-confirm": PASSPHRASE})
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "opens this SafeDesk store" in error_text(app, "#error-pass") and not (tmp_path / "h.age").exists()
        # The meter and the check know the setting's and the key holders' names (make_store: Oak Primary, Sam Patel).
        fill(app, **{"hx-pass": "sampatel oak sampatel", "hx-confirm": "sampatel oak sampatel"})
        await pilot.pause()
        assert "school's name, a person's name" in text_of(app, "#hx-strength")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "school's name, a person's name" in error_text(app, "#error-pass")

        fill(app, **{"hx-pass": HANDOVER_PASSPHRASE, "hx-confirm": HANDOVER_PASSPHRASE})
        assert "good" in text_of(app, "#hx-strength") or "strong" in text_of(app, "#hx-strength")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert screen.step == "hx-done"
        sent = ho.transfers(app.session)[0]
        assert text_of(app, "#hx-code").strip() == sent.receipt_code and (tmp_path / "h.age").is_file()
        assert sent.counterpart.startswith("[@click=app.quit]x[/]") and sent.pupils == 1
        assert "[@click=app.quit]x[/]" in text_of(app, "#hx-written")
        await pilot.press("enter")  # Close
        await pilot.pause()
        hub = app.screen
        assert isinstance(hub, HandoverScreen)
        row = [str(cell) for cell in hub.query_one("#ho-transfers", DataTable).get_row_at(0)]
        assert row[2] == sent.receipt_code and row[3] == "receipt not confirmed"
        assert app.is_running


async def test_type_ahead_from_the_list_keeps_what_was_ticked(store_dir, tmp_path):
    seeded(store_dir, tmp_path)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await open_hub(app, pilot)
        await pilot.press("e")
        screen = app.screen
        listing = screen.query_one("#hx-list", SelectionList)
        assert listing.option_count == 3
        prompts = [str(listing.get_option_at_index(n).prompt) for n in range(3)]
        assert any(p.endswith(NASTY.replace("\x1b", "")[:30]) or "[@click=app.quit]x[/]" in p for p in prompts)
        await pilot.press("tab", "space")  # tick the first (newest) incident
        await pilot.press("p", "u", "p")  # typed on the list: goes to the filter
        assert screen.query_one("#hx-filter", Input).value == "pup" and listing.option_count == 1
        await pilot.press("enter", "space")
        screen.query_one("#hx-filter", Input).value = ""
        await pilot.pause()
        assert listing.option_count == 3 and len(listing.selected) == 2
        screen.query_one("#hx-filter", Input).focus()
        await pilot.press("ctrl+a")  # from the filter box too
        assert ho.Selection.from_keys(screen._chosen) == ho.Selection((1, 2), (1,))


async def test_import_with_preview_then_receipt_code(store_dir, tmp_path):
    with make_store(tmp_path / "sender") as sender:
        incident = add_incident(sender, tmp=tmp_path)
        sent = ho.export_handover(
            sender, ho.Selection((incident.id,)), to="Oakwood DSL", passphrase=HANDOVER_PASSPHRASE, out=tmp_path / "h.age"
        )
    with make_store(store_dir, "Oakwood Academy", "Jo Bloggs") as receiver:
        add_incident(receiver, title="Ours", tmp=tmp_path)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        hub = await open_hub(app, pilot)
        await pilot.press("i")
        screen = app.screen
        assert isinstance(screen, HandoverImportScreen)
        fill(app, **{"hi-file": str(tmp_path / "h.age")})
        await pilot.press("enter")  # on to the passphrase
        assert app.focused is screen.query_one("#hi-pass", Input)
        await pilot.press(*"wrong words", "enter")
        await settle(app, pilot)
        assert error_text(app, "#error-pass").startswith("! Wrong passphrase")
        assert screen.query_one("#hi-pass", Input).value == ""
        fill(app, **{"hi-pass": HANDOVER_PASSPHRASE})
        await pilot.press("enter")
        await settle(app, pilot)
        assert screen.step == "hi-preview"
        preview = text_of(app, "#hi-lines")
        assert f"Receipt code: {sent.receipt_code}" in preview and "kept beside it as" in preview
        assert len(IncidentLog(app.session).rows()) == 1  # nothing stored before confirming
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert screen.step == "hi-done" and text_of(app, "#hi-code").strip() == sent.receipt_code
        assert len(IncidentLog(app.session).rows()) == 2
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is hub
        row = [str(cell) for cell in hub.query_one("#ho-transfers", DataTable).get_row_at(0)]
        assert row[0] == "in" and row[3] == "imported"

        # The same file again: shown, but it cannot be imported.
        await pilot.press("i")
        fill(app, **{"hi-file": str(tmp_path / "h.age"), "hi-pass": HANDOVER_PASSPHRASE})
        await pilot.press("enter", "enter")
        await settle(app, pilot)
        assert "CANNOT IMPORT" in text_of(app, "#hi-lines")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen.step == "hi-preview" and len(IncidentLog(app.session).rows()) == 2


async def test_receipt_dialog_and_details(store_dir, tmp_path):
    with make_store(store_dir) as session:
        incident = add_incident(session, tmp=tmp_path)
        sent = ho.export_handover(
            session, ho.Selection((incident.id,)), to=NASTY, passphrase=HANDOVER_PASSPHRASE, out=tmp_path / "h.age"
        )
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        hub = await open_hub(app, pilot)
        await pilot.press("enter")
        dialog = app.screen
        assert isinstance(dialog, MessageDialog) and sent.file_sha256 in dialog._body and "[@click=app.quit]x[/]" in dialog._body
        await pilot.press("escape", "r")
        assert isinstance(app.screen, ReceiptDialog)
        await pilot.press(*"1234", "ctrl+s")
        assert "12 characters" in error_text(app, "#error-code")
        app.screen.query_one("#receipt-code", Input).value = sent.receipt_code.replace("-", " ").lower()
        app.screen.query_one("#receipt-on", Input).value = "01/01/2099"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "in the future" in error_text(app, "#error-on")
        app.screen.query_one("#receipt-on", Input).value = "today"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is hub
        row = [str(cell) for cell in hub.query_one("#ho-transfers", DataTable).get_row_at(0)]
        assert row[3].startswith("received")
        assert ho.transfers(app.session)[0].received_at is not None and app.is_running


async def test_export_can_start_with_an_incident_ticked(store_dir, tmp_path):
    seeded(store_dir, tmp_path)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        app.push_screen(HandoverExportScreen(incident_ids=(2,)))
        await pilot.pause()
        assert app.screen.query_one("#hx-list", SelectionList).selected == ["incident:2"]
        await pilot.press("ctrl+n")
        assert app.screen.step == "hx-details"
