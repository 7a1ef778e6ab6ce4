"""The referral fields by keyboard: a note written up later, a person's details, the harm
test on the amend form, and the referrer in Settings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from textual.widgets import DataTable, SelectionList

from safedesk.app import SafeDeskApp
from safedesk.screens.incidents.detail import IncidentDetailScreen
from safedesk.screens.settings import SettingsScreen
from safedesk.store.engine.session import Session
from safedesk.store.incidents.log import IncidentLog
from safedesk.store.incidents.records import Incident
from safedesk.store.text.dates import show_datetime
from safedesk.widgets.forms import FormDialog
from tests.kit import PASSPHRASE, SIZE, error_of, make_store, screen_text, set_fields, unlock


def _store_with_incident(store_dir) -> int:  # type: ignore[no-untyped-def]
    session = make_store(store_dir)
    incident = IncidentLog(session).create(
        Incident(title="Teacher messaging a pupil", reported_at=datetime.now(UTC) - timedelta(hours=4))
    )
    session.close()
    assert incident.id is not None
    return incident.id


async def test_note_written_later_and_person_with_details(store_dir):
    incident_id = _store_with_incident(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        app.push_screen(IncidentDetailScreen(incident_id))
        await pilot.pause()
        detail = app.screen

        # "When it happened" opens on now; a time in the future is refused beside the field.
        await pilot.press("t")
        assert isinstance(app.screen, FormDialog)
        assert app.screen.query_one("#form-happened_at").value == show_datetime(datetime.now(UTC))
        await set_fields(
            app, pilot, {"form-note": "Pupil told the tutor at registration.", "form-happened_at": "31/12/2999 09:00"}
        )
        await pilot.press("ctrl+s")
        assert "future" in error_of(app, "happened_at")
        earlier = datetime.now(UTC) - timedelta(hours=3)
        await set_fields(app, pilot, {"form-happened_at": show_datetime(earlier)})
        await pilot.press("ctrl+s")
        await pilot.pause()
        log = IncidentLog(app.session)
        note = next(e for e in log.chronology(incident_id) if e.kind == "note")
        assert note.backdated and show_datetime(note.happened_at) == show_datetime(earlier)
        await pilot.press("2")
        table = detail.query_one("#incd-chronology", DataTable)
        first = [str(c) for c in table.get_row_at(0)]
        assert first[0] == show_datetime(earlier) and first[2].startswith("(written later")

        # A person with a date of birth and a social worker: one "person" entry, no amendment.
        await pilot.press("p")
        await set_fields(
            app,
            pilot,
            {"form-name": "Pupil B", "form-dob": "04/03/2012", "form-social_worker": "J Smith, CSC", "form-reason": "Named"},
        )
        await pilot.press("ctrl+s")
        await pilot.pause()
        person = log.get(incident_id).people[-1]
        assert person.dob == date(2012, 3, 4) and person.social_worker == "J Smith, CSC"
        kinds = [e.kind for e in log.chronology(incident_id)]
        assert kinds.count("person") == 1 and "amended" not in kinds
        # Enter on the person shows every detail kept about them.
        await pilot.press("6", "enter")
        await pilot.pause()
        shown = screen_text(app)
        assert "Person involved" in shown and "04/03/2012" in shown and "J Smith, CSC" in shown
        await pilot.press("escape")

        # Correcting a detail is an amendment: the reason is required and the old value kept.
        await pilot.press("u")
        await set_fields(app, pilot, {"form-dob": "05/03/2012"})
        await pilot.press("ctrl+s")
        assert "Say why" in error_of(app, "reason")
        await set_fields(app, pilot, {"form-reason": "Checked with the school office"})
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert log.get(incident_id).people[-1].dob == date(2012, 3, 5)
        amended = next(e for e in log.chronology(incident_id) if e.kind == "amended")
        assert amended.detail["old"][0]["dob"] == "2012-03-04" and amended.detail["new"][0]["dob"] == "2012-03-05"


async def test_amend_form_records_harm_test_and_parents_informed(store_dir):
    incident_id = _store_with_incident(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        app.push_screen(IncidentDetailScreen(incident_id))
        await pilot.pause()
        await pilot.press("m")
        form = app.screen
        form.query_one("#harm_tests", SelectionList).select("harmed")
        form.query_one("#harm_categories", SelectionList).select("emotional")
        await set_fields(app, pilot, {"parents_informed_by": "Head of year", "parents_informed_at": "now", "reason": "LADO call"})
        await pilot.press("ctrl+s")
        await pilot.pause()
        # The harm test belongs to an allegation against an adult: said beside the field.
        assert "allegation" in error_of(app, "harm_tests")
        form.query_one("#flags", SelectionList).select("allegation_against_staff")
        await set_fields(app, pilot, {"adult_aware": "no"})
        await pilot.press("ctrl+s")
        await pilot.pause()
        saved = IncidentLog(app.session).get(incident_id)
        assert saved.harm_tests == ("harmed",) and saved.harm_categories == ("emotional",)
        assert saved.adult_aware == "no" and saved.parents_informed_by == "Head of year" and saved.parents_informed_at


async def test_settings_keep_the_referrer(store_dir):
    make_store(store_dir).close()
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        app.push_screen(SettingsScreen())
        await pilot.pause()
        await set_fields(app, pilot, {"referrer_name": "Sam Patel", "referrer_role": "DSL", "referrer_email": "not an address"})
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "email" in error_of(app, "referrer_email")
        await set_fields(app, pilot, {"referrer_email": "dsl@oak.sch.uk", "referrer_phone": "01234 567890"})
        await pilot.press("ctrl+s")
        await pilot.pause()
    reader = Session.open(store_dir, PASSPHRASE, read_only=True)
    try:
        assert reader.setting().referrer == {
            "name": "Sam Patel",
            "role": "DSL",
            "phone": "01234 567890",
            "email": "dsl@oak.sch.uk",
        }
    finally:
        reader.close()
