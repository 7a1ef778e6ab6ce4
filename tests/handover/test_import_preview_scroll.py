"""The import preview at 80x24: a handover with many incidents (each a conflict line) is longer
than the screen, and is read by keyboard: PgUp/PgDn/arrows scroll it from the focused button."""

from __future__ import annotations

import pytest
from textual.containers import VerticalScroll
from textual.widgets import Input

from safedesk.app import SafeDeskApp
from safedesk.router import open_screen
from safedesk.store.handover import transfer as ho
from tests.kit import HANDOVER_PASSPHRASE, SIZE, add_incident, fast_crypt, make_store, settle, unlock


@pytest.fixture(autouse=True)
def _fast(monkeypatch):  # type: ignore[no-untyped-def]
    fast_crypt(monkeypatch)


async def test_a_long_import_preview_scrolls_by_keyboard(store_dir, tmp_path):
    with make_store(tmp_path / "sender") as sender:
        ids = tuple(add_incident(sender, f"Sent {n}", files=0).id for n in range(14))
        ho.export_handover(sender, ho.Selection(ids), to="Oakwood DSL", passphrase=HANDOVER_PASSPHRASE, out=tmp_path / "h.age")
    with make_store(store_dir, "Oakwood Academy", "Jo Bloggs") as receiver:
        for n in range(14):  # the same references here: each incoming one is a conflict line
            add_incident(receiver, f"Ours {n}", files=0)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        open_screen(app, "handover-import")
        await settle(app, pilot)
        screen = app.screen
        screen.query_one("#hi-file", Input).value = str(tmp_path / "h.age")
        box = screen.query_one("#hi-pass", Input)
        box.value = HANDOVER_PASSPHRASE
        box.focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert screen.step == "hi-preview"  # type: ignore[attr-defined]
        body = screen.query_one("#hi-preview", VerticalScroll)
        assert body.max_scroll_y > 0, "the preview fits, so this test proves nothing"
        assert app.focused is not None and body in app.focused.ancestors
        # It opens at its top (where it says who sent it), the button still reached with Tab.
        assert body.scroll_y == 0
        await pilot.press("pagedown")
        assert body.scroll_y > 0
        await pilot.press("pageup")
        assert body.scroll_y == 0
        for _ in range(30):
            await pilot.press("down")
        assert body.scroll_y > 0
        await pilot.press("home")
        assert body.scroll_y == 0
