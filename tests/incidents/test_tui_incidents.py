"""Incidents by keyboard: triage to a closed incident with evidence, actions and escalations."""

from __future__ import annotations

from textual.widgets import DataTable, Input, TabbedContent, TextArea

from safedesk.app import SafeDeskApp
from safedesk.screens.incidents.detail import IncidentDetailScreen
from safedesk.screens.incidents.form import IncidentFormScreen
from safedesk.screens.incidents.listing import IncidentListScreen
from safedesk.screens.lock import LockScreen
from safedesk.store.engine.session import Session
from safedesk.store.incidents import evidence
from safedesk.store.incidents.log import IncidentLog
from safedesk.widgets.forms import FormDialog
from tests.kit import PASSPHRASE, SIZE, set_fields, settle, unlock

HOSTILE = ["[@click=app.quit]x[/]", "[/bold]", "\x1b[2J\x1b]0;pwned\x07text", "[bold"]


def make_store(store_dir) -> None:  # type: ignore[no-untyped-def]
    Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)[0].close()


async def test_triage_to_closed_incident_by_keyboard(store_dir, tmp_path):
    make_store(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        # Triage: not in danger, no images, not staff conduct, the school, our account, known parent.
        await pilot.press("ctrl+t", "2", "2", "5", "3", "2", "1")
        assert app.screen.result.main_playbook == "pb-complaint-on-official-channel"
        await pilot.press("3")  # start an incident record from this
        form = app.screen
        assert isinstance(form, IncidentFormScreen)
        await set_fields(app, pilot, {"reported_by": "Office manager", "description": "Parent's comment naming a teacher."})
        await pilot.press("ctrl+s")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, IncidentDetailScreen)
        incident = detail.incident
        assert "official_channel_affected" in incident.flags and incident.playbooks[0] == "pb-complaint-on-official-channel"

        # The playbook's steps are the checklist; tick the first one.
        await pilot.press("3")
        actions = detail.query_one("#incd-actions", DataTable)
        assert actions.row_count >= 5
        await pilot.press("x")
        log = IncidentLog(app.session)
        assert log.actions(incident.id)[0].done_at is not None

        # Escalate to the platform.
        await pilot.press("e")
        await set_fields(
            app, pilot, {"form-target": "platform_report", "form-reference": "FB-123", "form-result": "Comment removed"}
        )
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert log.escalations(incident.id)[0].reference == "FB-123"

        # Evidence file, hashed and encrypted in a worker; keep the original.
        shot = tmp_path / "comment.png"
        shot.write_bytes(b"png bytes of the comment")
        await pilot.press("f")
        await set_fields(app, pilot, {"form-path": str(shot), "form-captured_by": "Office manager"})
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await pilot.press("escape")  # "Delete the original?" -> keep it
        await pilot.pause()
        assert shot.exists() and len(evidence.evidence_for(app.session, incident.id)) == 1

        # Amend the description: a reason is required and the old text stays readable.
        await pilot.press("m")
        await set_fields(app, pilot, {"description": "Corrected: the comment named the class teacher."})
        await pilot.press("ctrl+s")
        assert "Say why" in str(app.screen.query_one("#error-reason").render())
        await set_fields(app, pilot, {"reason": "Office manager re-read the post"})
        await pilot.press("ctrl+s")
        await pilot.pause()
        amended = [e for e in log.chronology(incident.id) if e.kind == "amended"]
        assert amended[0].detail["old"] == "Parent's comment naming a teacher."

        # Close with an outcome; the open checklist actions are asked about, not silently kept.
        await pilot.press("c")
        await set_fields(app, pilot, {"form-status": "closed"})
        await pilot.press("ctrl+s")
        assert "open action" in str(app.screen.query_one("#error-open_actions").render())
        await set_fields(app, pilot, {"form-open_actions": "not_needed", "form-lessons": "Check comments daily in term time."})
        await pilot.press("ctrl+s")
        assert "outcome" in str(app.screen.query_one("#error-outcome").render()).lower()
        await set_fields(app, pilot, {"form-outcome": "Comment removed by Facebook; parent met the head."})
        await pilot.press("ctrl+s")
        await pilot.pause()
        closed = log.get(incident.id)
        assert closed.status == "closed" and closed.lessons == "Check comments daily in term time."
        assert not [a for a in log.actions(incident.id) if a.open]
        kinds = [e.kind for e in log.chronology(incident.id)]
        assert kinds[0] == "created" and {"action_done", "escalation", "evidence", "amended", "status"} <= set(kinds)

        # The chronology shows each entry whole on Enter.
        await pilot.press("2", "enter")
        await pilot.pause()
        assert "Chronology entry" in str(app.screen.query_one(".title").render())


async def test_list_filters_and_opens(store_dir):
    make_store(store_dir)
    session = Session.open(store_dir, PASSPHRASE)
    from datetime import UTC, datetime, timedelta

    from safedesk.store.incidents.records import Incident

    log = IncidentLog(session)
    for n in range(6):
        log.create(
            Incident(
                title=f"Case {n} {'threat' if n % 2 else 'comment'}",
                reported_at=datetime.now(UTC) - timedelta(days=n),
                platform="x" if n < 3 else "facebook",
                flags=("credible_threat_or_hate",) if n % 2 else (),
            )
        )
    session.close()
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        await pilot.press("i")
        screen = app.screen
        assert isinstance(screen, IncidentListScreen)
        from safedesk.widgets.row_table import RowTable

        table = screen.query_one(RowTable)
        assert table.row_count == 6
        await pilot.press("slash", *"threat")
        assert table.row_count == 3
        await pilot.press("escape")
        screen.query_one(RowTable).focus()
        await pilot.press("f")
        await set_fields(app, pilot, {"form-platform": "x", "form-since": "zz"})
        await pilot.press("ctrl+s")
        assert "DD/MM/YYYY" in str(app.screen.query_one("#error-since").render())
        await set_fields(app, pilot, {"form-since": ""})
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert table.row_count == 3  # the three on X, any words (the search box was cleared)
        await pilot.press("slash", *"threat")
        assert table.row_count == 1
        await pilot.press("escape")  # clears the search box
        assert screen.query_one("#inc-text", Input).value == ""
        table.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, IncidentDetailScreen)


async def test_markup_and_escapes_in_every_text_field_are_kept_as_text(store_dir):
    make_store(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        await pilot.press("n")
        form = app.screen
        text_fields = ["title", "reported_by", "where_seen", "description"]
        for index, field in enumerate(text_fields):
            await set_fields(app, pilot, {field: HOSTILE[index % len(HOSTILE)] + " " + "; ".join(HOSTILE)})
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, IncidentDetailScreen), form
        detail = app.screen
        # Notes, actions and people get the same treatment.
        await pilot.press("t")
        await set_fields(app, pilot, {"form-note": " ".join(HOSTILE)})
        await pilot.press("ctrl+s")
        await pilot.press("a")
        await set_fields(app, pilot, {"form-text": " ".join(HOSTILE), "form-owner": HOSTILE[0]})
        await pilot.press("ctrl+s")
        await pilot.press("p")
        await set_fields(app, pilot, {"form-name": HOSTILE[0], "form-role": "parent"})
        await pilot.press("ctrl+s")
        await pilot.pause()
        for tab in "123456":
            await pilot.press(tab)
            await pilot.pause()
        assert app.is_running and app.screen is detail
        stored = IncidentLog(app.session).get(detail.incident_id)
        assert "[@click=app.quit]x[/]" in stored.title and "\x1b" not in stored.title and "\x1b" not in stored.description
        assert stored.people[0].name == "[@click=app.quit]x[/]"


async def test_lock_mid_form_keeps_the_draft(store_dir):
    make_store(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        await pilot.press("n")
        await set_fields(app, pilot, {"title": "Half-written report", "description": "Draft words"})
        await pilot.press("ctrl+l")
        assert isinstance(app.screen, LockScreen)
        await pilot.press(*PASSPHRASE, "enter")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, IncidentFormScreen)
        assert form.query_one("#title", Input).value == "Half-written report"
        assert form.query_one("#description", TextArea).text == "Draft words"


async def test_file_evidence_refused_when_imagery_suspected(store_dir):
    make_store(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        await pilot.press("ctrl+t", "2", "1", "1")  # a sexual image of a child, shared among pupils
        assert "sexual_imagery_suspected" in app.screen.result.flags
        options = app.screen.query_one("#triage-answers")
        await pilot.press(str(options.option_count))  # start an incident record
        await pilot.press("ctrl+s")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, IncidentDetailScreen)
        await pilot.press("f")
        assert not isinstance(app.screen, FormDialog)
        body = str(app.screen.query_one("VerticalScroll Static").render())
        assert "never view, copy" in body.lower() or "Never view, copy" in body
        await pilot.press("escape")
        await pilot.press("d")
        assert isinstance(app.screen, FormDialog)


async def test_tabs_switch_by_number(store_dir):
    make_store(store_dir)
    session = Session.open(store_dir, PASSPHRASE)
    from datetime import UTC, datetime

    from safedesk.store.incidents.records import Incident

    incident = IncidentLog(session).create(Incident(title="Tabs", reported_at=datetime.now(UTC)))
    session.close()
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        app.push_screen(IncidentDetailScreen(incident.id))
        await pilot.pause()
        for number, tab in enumerate(("summary", "chronology", "actions", "escalations", "evidence", "people"), start=1):
            await pilot.press(str(number))
            assert app.screen.query_one(TabbedContent).active == tab


async def test_stored_files_cannot_be_exported_once_imagery_is_suspected(store_dir, tmp_path):
    from datetime import UTC, datetime

    from safedesk.store.incidents.records import Incident
    from safedesk.widgets.dialogs import MessageDialog

    make_store(store_dir)
    session = Session.open(store_dir, PASSPHRASE)
    log = IncidentLog(session)
    incident = log.create(Incident(title="Shared picture", reported_at=datetime.now(UTC)))
    shot = tmp_path / "shot.png"
    shot.write_bytes(b"\x89PNG added before the flag")
    evidence.add_file(session, incident.id or 0, shot)
    log.amend(incident.id or 0, {"flags": ("sexual_imagery_suspected",)}, reason="What the image shows became clear")
    session.close()
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        app.push_screen(IncidentDetailScreen(incident.id or 0))
        await pilot.pause()
        await pilot.press("5")
        note = app.screen.query_one("#incd-evidence-blocked")
        assert note.display and "sexual imagery of a child is suspected" in str(note.render())
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, MessageDialog) and not isinstance(app.screen, FormDialog)
        assert "hashes and descriptions" in str(app.screen.query_one("VerticalScroll Static").render())


async def test_stored_files_export_normally_without_the_flag(store_dir, tmp_path):
    from datetime import UTC, datetime

    from safedesk.store.incidents.records import Incident

    make_store(store_dir)
    session = Session.open(store_dir, PASSPHRASE)
    incident = IncidentLog(session).create(Incident(title="Fake account", reported_at=datetime.now(UTC)))
    shot = tmp_path / "shot.png"
    shot.write_bytes(b"\x89PNG fine to export")
    evidence.add_file(session, incident.id or 0, shot)
    session.close()
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        app.push_screen(IncidentDetailScreen(incident.id or 0))
        await pilot.pause()
        await pilot.press("5")
        assert not app.screen.query_one("#incd-evidence-blocked").display
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, FormDialog)


async def test_list_order_is_stable_search_forgives_a_typo_and_esc_goes_back_to_the_list(store_dir):
    from datetime import UTC, datetime

    from safedesk.store.incidents.records import Incident
    from safedesk.widgets.row_table import RowTable

    make_store(store_dir)
    session = Session.open(store_dir, PASSPHRASE)
    log = IncidentLog(session)
    same_minute = datetime.now(UTC).replace(second=0, microsecond=0)
    for title in ("Fake account", "Harassment in comments", "Threatening message"):
        log.create(Incident(title=title, reported_at=same_minute))  # typed up together after a busy day
    session.close()
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        await pilot.press("i")
        screen = app.screen
        assert isinstance(screen, IncidentListScreen)
        table = screen.query_one(RowTable)
        refs = [row.cells[0] for row in table.rows]
        assert refs == sorted(refs, reverse=True)  # newest first: same time, then the later reference first
        screen.reload()
        await pilot.pause()
        assert [row.cells[0] for row in table.rows] == refs
        await pilot.press("slash", *"harrasment")  # two letters swapped... and one doubled
        assert [row.cells[3] for row in table.rows] == []
        screen.query_one("#inc-text", Input).value = "harasment threatenig"
        await pilot.pause()
        assert table.row_count == 0  # every word must match (one typo each)
        screen.query_one("#inc-text", Input).value = "harasment"
        await pilot.pause()
        assert [str(row.cells[3]) for row in table.rows] == ["Harassment in comments"]
        await pilot.press("escape")
        assert app.focused is table and screen.query_one("#inc-text", Input).value == ""
        assert app.screen is screen
        await pilot.press("escape")
        assert app.screen is not screen


def test_search_words_forgive_one_typo_from_four_letters_on() -> None:
    from safedesk.store.incidents.log import found

    text = "a fake account, harassment and threats"
    assert found("harassment", text) and found("harasment", text) and found("harrassment", text)
    assert found("acount", text) and found("acocunt", text) and found("threast", text) and found("fkae", text)
    assert not found("akkount", text)  # two typos
    assert not found("fke", text)  # under four letters only the exact text counts
