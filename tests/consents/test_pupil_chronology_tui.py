"""The pupil's chronology screen at 80x24: opened with c from the pupil, scrolled by keyboard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.widgets import DataTable, Input

from safedesk.app import SafeDeskApp
from safedesk.screens.consents.chronology import PupilChronologyScreen
from safedesk.screens.consents.pupil import PupilScreen
from safedesk.screens.consents.pupils import ConsentsScreen
from safedesk.store.consents.pupils import Pupil, add_pupil
from safedesk.store.engine.session import Session
from safedesk.store.incidents.log import IncidentLog
from safedesk.store.incidents.records import Incident, Person
from safedesk.widgets.dialogs import MessageDialog
from safedesk.widgets.footer import Footer
from tests.kit import PASSPHRASE, settle

SIZE = (80, 24)
MARKUP = "[@click=app.quit]Quit[/] [bold]loud"


def _store(folder: Path) -> None:
    session, _ = Session.create(folder, "Oak Primary", "Sam Patel", PASSPHRASE)
    pupil = add_pupil(session, Pupil(name="Amelia Smith", year_group="5", form="5B", mis_id="A1"))
    log = IncidentLog(session)
    incident = log.create(
        Incident(
            title=MARKUP,
            reported_at=datetime.now(UTC) - timedelta(days=2),
            people=(Person(name="Amelia Smith", role="pupil", involvement="victim", pupil_id=pupil.id),),
        )
    )
    for n in range(30):
        log.add_note(incident.id or 0, f"Note {n:02d}")
    session.close()


def fits(screen) -> None:  # type: ignore[no-untyped-def]
    """Every widget inside the 80x24 screen (the footer scrolls its keys by design)."""
    for widget in screen.query("*"):
        if widget.display and widget.region.width and not any(isinstance(a, Footer) for a in widget.ancestors_with_self):
            assert widget.region.right <= SIZE[0] and widget.region.bottom <= SIZE[1], widget


async def test_chronology_opens_from_the_pupil_and_scrolls(store_dir):
    _store(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#passphrase", Input).value = PASSPHRASE
        await pilot.press("enter")
        await settle(app, pilot)
        await app.push_screen(ConsentsScreen())
        await pilot.pause()
        await pilot.press("slash", *"amelia", "enter", "enter")
        assert isinstance(app.screen, PupilScreen)
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PupilChronologyScreen)
        fits(screen)
        table = screen.query_one("#chrono-table", DataTable)
        assert table.row_count == 31 and table.has_focus
        assert "Chronology: Amelia Smith" in str(screen.query_one("#chrono-title").render())
        await pilot.press("pagedown", "ctrl+end")
        await pilot.pause()
        assert table.cursor_row == 30 and table.scroll_y > 0
        assert "Note 29" in str(table.get_row_at(30)[4])
        await pilot.press("ctrl+home", "enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, MessageDialog) and MARKUP in dialog._body and app.is_running
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert isinstance(app.screen, PupilScreen)


async def test_chronology_exports_from_its_screen_and_is_audited(store_dir, tmp_path):
    from textual.widgets import Select

    from safedesk.widgets.export import ExportDialog

    _store(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#passphrase", Input).value = PASSPHRASE
        await pilot.press("enter")
        await settle(app, pilot)
        await app.push_screen(ConsentsScreen())
        await pilot.pause()
        await pilot.press("slash", *"amelia", "enter", "enter", "c")
        await pilot.pause()
        assert isinstance(app.screen, PupilChronologyScreen)
        await pilot.press("e")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        # Named by the MIS id, not the child's name; the report formats only (no Word: a record, not for editing).
        path = dialog.query_one("#form-path", Input)
        assert path.value.endswith("chronology-a1.md") and "amelia" not in path.value.lower()
        formats = dialog.query_one("#form-format", Select)
        assert [value for _label, value in formats._options if value != Select.BLANK] == ["md", "html", "pdf"]
        out = tmp_path / "chronology-a1.html"
        path.value = str(out)
        formats.value = "html"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, PupilChronologyScreen) and app.is_running
        page = out.read_text(encoding="utf-8")
        assert "<title>" in page and "Amelia Smith" in page and "Note 29" in page
        assert MARKUP in page  # the incident's title as text
        entries = [e for e in app.session.audit.entries() if e.action == "export.report"]
        assert [e.summary for e in entries] == ["chronology report exported (HTML)"]
