"""The incident's tables at 80x24: every cut cell opens in full with Enter; a ticked action can be unticked."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from safedesk.app import SafeDeskApp
from safedesk.screens.incidents.detail import IncidentDetailScreen
from safedesk.store.engine.session import Session
from safedesk.store.incidents.log import IncidentLog
from safedesk.store.incidents.records import Escalation, Person
from safedesk.widgets.dialogs import MessageDialog
from tests.kit import PASSPHRASE, SIZE, add_incident, make_store, screen_text, unlock

REFERENCE = "CRN-2026-0042-LADO-WEST-MIDLANDS-REF"
PERSON = "Oluwaseun Adebayo-Fitzgerald-Montgomery (older brother of the pupil, 17, not at this school)"
TITLE = "Screenshot of the group chat where the account was shared with the whole of year six, saved by a parent"


def _store(folder: Path) -> int:
    with make_store(folder) as session:
        incident = add_incident(session)
        assert incident.id is not None
        log = IncidentLog(session)
        people = (*incident.people, Person(name=PERSON, role="other", involvement="witness"))
        log.amend(incident.id, {"people": people}, "A witness came forward")
        log.escalate(Escalation(incident_id=incident.id, target="lado", at=datetime.now(UTC), reference=REFERENCE))
        from safedesk.store.incidents import evidence

        evidence.add_description(
            session,
            evidence.Evidence(incident_id=incident.id, kind="description", title=TITLE, description="Seen.", holder="Parent"),
        )
        return incident.id


async def test_cut_escalation_references_and_evidence_titles_open_in_full(store_dir: Path) -> None:
    incident_id = _store(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        app.push_screen(IncidentDetailScreen(incident_id))
        await pilot.pause()
        for tab, whole in (("4", REFERENCE), ("5", TITLE), ("6", PERSON)):
            await pilot.press(tab)
            table = app.screen.query_one(f"#incd-{ {'4': 'escalations', '5': 'evidence', '6': 'people'}[tab] }", DataTable)
            table.move_cursor(row=table.row_count - 1)  # the one added last
            assert whole not in screen_text(app)  # cut to fit the table
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, MessageDialog)
            body = app.screen.query_one(VerticalScroll).query_one(Static)
            assert whole in str(body.render())
            await pilot.press("escape")
            await pilot.pause()


async def test_a_ticked_action_can_be_unticked_and_the_chronology_keeps_both(store_dir: Path) -> None:
    incident_id = _store(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        app.push_screen(IncidentDetailScreen(incident_id))
        await pilot.pause()
        await pilot.press("3")
        table = app.screen.query_one("#incd-actions", DataTable)
        row = next(i for i in range(table.row_count) if str(table.get_row_at(i)[0]) == "OPEN")
        table.move_cursor(row=row)
        await pilot.press("x")
        assert str(table.get_row_at(row)[0]) == "DONE"
        await pilot.press("x")  # ticked by mistake
        assert str(table.get_row_at(row)[0]) == "OPEN"
    with Session.open(store_dir, PASSPHRASE) as session:
        texts = [e.text for e in IncidentLog(session).chronology(incident_id)]
        done = [t for t in texts if t.startswith("Done: ")]
        again = [t for t in texts if t.startswith("Open again (was done): ")]
        assert len(again) == 1 and len(done) >= 2  # the fixture's done action and this one
