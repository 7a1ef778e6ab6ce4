"""At 80x24 every long text can be read by keyboard: Tab reaches it and PgDn/PgUp/arrows scroll it.

The guidance card, triage's steps, a letter, the help and a report's preview are longer than
the screen; a reader that cannot take the focus (or one that takes it and does not scroll)
hides the rest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widget import Widget

from safedesk.app import SafeDeskApp
from safedesk.router import open_screen
from tests.kit import SIZE, add_incident, make_store, settle, unlock


async def _guide_card(app: SafeDeskApp, pilot: Any) -> None:
    await pilot.press("ctrl+g")
    await settle(app, pilot)
    app.screen.open_card("pb-fake-account")  # type: ignore[attr-defined]
    await settle(app, pilot)


async def _triage_steps(app: SafeDeskApp, pilot: Any) -> None:
    await pilot.press("ctrl+t", "2", "2", "5", "3", "2", "1")
    await settle(app, pilot)


async def _letter(app: SafeDeskApp, pilot: Any) -> None:
    from safedesk.store.policy.builder import LETTERS

    open_screen(app, "letter", next(iter(LETTERS)), None, {})
    await settle(app, pilot)


async def _help(app: SafeDeskApp, pilot: Any) -> None:
    open_screen(app, "incidents")
    await settle(app, pilot)
    await pilot.press("f1")
    await settle(app, pilot)


async def _report_preview(app: SafeDeskApp, pilot: Any) -> None:
    add_incident(app.session, files=0)  # an incident report runs to several screens
    open_screen(app, "reports")
    await settle(app, pilot)
    await pilot.press("p")  # the incident report is first; its dialog offers the newest incident
    await settle(app, pilot)
    await pilot.press("ctrl+s")
    await settle(app, pilot)
    assert "Incident report" in app.screen.query_one("#report-preview").plain_text()  # type: ignore[attr-defined]


# The reader: how to open it, and the widget holding the long text.
READERS = {
    "guidance card": (_guide_card, "CardView"),
    "triage steps": (_triage_steps, "#triage-steps"),
    "letter": (_letter, "CardView"),
    "help": (_help, "#help-box"),
    "report preview": (_report_preview, "#report-preview"),
}


@pytest.mark.parametrize("reader", list(READERS))
async def test_long_text_is_reached_with_tab_and_scrolled_by_keyboard(store_dir: Path, reader: str) -> None:
    make_store(store_dir).close()
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        opening, selector = READERS[reader]
        await opening(app, pilot)
        screen = app.screen
        text: Widget = screen.query_one(selector)
        assert text.max_scroll_y > 0, f"{reader}: the text fits, so this test proves nothing"
        for _ in range(8):  # Tab until the long text has the focus
            if app.focused is not None and text in app.focused.ancestors_with_self:
                break
            await pilot.press("tab")
        assert app.screen is screen, reader
        assert app.focused is not None and text in app.focused.ancestors_with_self, f"{reader}: Tab never reaches it"
        await pilot.press("pagedown")
        assert text.scroll_y > 0, f"{reader}: PgDn does not scroll it"
        await pilot.press("pageup")
        assert text.scroll_y == 0, f"{reader}: PgUp does not scroll it back"
        for _ in range(30):
            await pilot.press("down")
        assert text.scroll_y > 0, f"{reader}: Down does not scroll it"


async def test_help_rows_wrap_instead_of_being_cut(store_dir: Path) -> None:
    from textual.widgets import DataTable

    from safedesk.screens.help import TEXT_WIDTH
    from tests.kit import add_incident

    with make_store(store_dir) as session:
        incident = add_incident(session)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        open_screen(app, "incident", incident.id)
        await settle(app, pilot)
        await pilot.press("f1")
        await settle(app, pilot)
        table = app.screen.query_one("#help-keys", DataTable)
        texts = [(key, str(table.get_row(key)[1])) for key in table.rows]
        assert any(len(text) > TEXT_WIDTH for _, text in texts)  # the incident's keys have long descriptions
        for key, text in texts:
            assert len(text) <= TEXT_WIDTH * table.rows[key].height, f"cut: {text!r}"
