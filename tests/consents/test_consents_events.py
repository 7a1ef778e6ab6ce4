"""Event-specific consent (a trip, a performance): its dates, its decisions in the order given, its check."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safedesk.store.consents.events import (
    ConsentEvent,
    EventStatus,
    add_event,
    check_event,
    find_event,
    get_event,
    list_events,
    record_event_decisions,
    register_with_events,
)
from safedesk.store.consents.pupils import NeverPublish, Pupil, add_pupil, format_date, pupil_index, set_never_publish
from safedesk.store.errors import InvalidInput
from safedesk.store.features import build_report
from safedesk.store.registry import ReportParams
from tests.kit import current_day


def trip(session, name: str = "Year 6 Residential", start: int = -1, end: int = 2) -> ConsentEvent:  # type: ignore[no-untyped-def]
    return add_event(
        session,
        ConsentEvent(name=name, starts_on=current_day() + timedelta(days=start), ends_on=current_day() + timedelta(days=end)),
    )


@pytest.fixture
def pupils(session):  # type: ignore[no-untyped-def]
    a = add_pupil(session, Pupil(name="Amelia Smith", year_group="6", form="6A", mis_id="A1"))
    b = add_pupil(session, Pupil(name="Ben Jones", year_group="6", form="6A", mis_id="A2"))
    c = add_pupil(session, Pupil(name="Cara Lee", year_group="6", form="6B", mis_id="A3"))
    return a.id, b.id, c.id


def rows(session, *ids: int):  # type: ignore[no-untyped-def]
    index = pupil_index(session)
    return [index.by_id[i] for i in ids]


def test_an_event_is_validated_and_its_name_is_its_own(session):
    with pytest.raises(InvalidInput, match="end date is before"):
        trip(session, start=2, end=1)
    with pytest.raises(InvalidInput, match="event's name"):
        trip(session, name="  ")
    with pytest.raises(InvalidInput, match="purpose or channel"):
        trip(session, name="Website")
    event = trip(session, name="Year 6 [bold]Residential\x1b")
    assert event.name == "Year 6 [bold]Residential"
    with pytest.raises(InvalidInput, match="already has this name"):
        trip(session, name="year 6 [BOLD]residential")
    assert find_event(session, " YEAR 6  [bold]residential ").id == event.id
    assert [e.name for e in list_events(session)] == [event.name]


def test_decisions_in_the_order_given_and_the_check(session, pupils):
    a, b, c = pupils
    event = trip(session)
    record_event_decisions(session, event.id, [a, b], EventStatus.GRANTED, current_day() - timedelta(days=20))
    record_event_decisions(session, event.id, [b], EventStatus.WITHDRAWN, current_day() - timedelta(days=3))
    # A slip dated before the withdrawal, recorded after it: history, never current.
    record_event_decisions(session, event.id, [b], EventStatus.GRANTED, current_day() - timedelta(days=10))
    record_event_decisions(session, event.id, [c], EventStatus.REFUSED, current_day() - timedelta(days=1))
    event = get_event(session, event.id)
    assert event.current()[b].status is EventStatus.WITHDRAWN
    assert [d.status for d in event.history(b)] == [EventStatus.GRANTED, EventStatus.GRANTED, EventStatus.WITHDRAWN]
    index = pupil_index(session)
    assert check_event(event, rows(session, a), index=index).passed
    result = check_event(event, rows(session, a, b, c), index=index)
    assert result.headline() == "STOP: 2 of 3 pupils are not cleared for Year 6 Residential."
    reasons = {v.name: v.reason for v in result.stops}
    assert reasons == {
        "Ben Jones": f"consent for Year 6 Residential withdrawn on {format_date(current_day() - timedelta(days=3))}",
        "Cara Lee": "consent for Year 6 Residential refused",
    }
    set_never_publish(session, a, NeverPublish.ADOPTED)
    assert check_event(event, rows(session, a)).stops[0].code == "never-publish"
    with pytest.raises(InvalidInput, match="future"):
        record_event_decisions(session, event.id, [a], EventStatus.GRANTED, current_day() + timedelta(days=1))
    with pytest.raises(InvalidInput, match="at least one pupil"):
        record_event_decisions(session, event.id, [], EventStatus.GRANTED, current_day())


def test_outside_its_dates_the_event_consent_does_not_apply(session, pupils):
    a = pupils[0]
    event = trip(session, start=5, end=7)
    record_event_decisions(session, event.id, [a], EventStatus.GRANTED, current_day())
    event = get_event(session, event.id)
    early = check_event(event, rows(session, a))
    assert not early.passed
    assert early.stops[0].reason.endswith(f"its consent does not apply on {format_date(current_day())}")
    assert check_event(event, rows(session, a), today=current_day() + timedelta(days=7)).passed
    assert not check_event(event, rows(session, a), today=current_day() + timedelta(days=8)).passed


def test_the_consent_register_report_lists_each_event(session, pupils):
    a, b, _ = pupils
    event = trip(session)
    record_event_decisions(session, event.id, [a], EventStatus.GRANTED, current_day())
    record_event_decisions(session, event.id, [b], EventStatus.REFUSED, current_day())
    text = register_with_events(session).text
    assert "## Event consents" in text and "### Year 6 Residential" in text and "granted: 1, refused: 1, withdrawn: 0." in text
    assert f"| Amelia Smith | Year 6 | 6A | granted | {format_date(current_day())} |" in text
    assert build_report(session, "consent-register", ReportParams()) == text


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(EventStatus)), st.integers(0, 30)), min_size=1, max_size=8))
def test_the_current_decision_is_the_latest_given_whatever_order_recorded(entries):
    from datetime import UTC, datetime

    from safedesk.store.consents.events import EventDecision

    decisions = tuple(
        EventDecision(pupil_id=1, status=s, given_on=current_day() - timedelta(days=d), recorded_at=datetime.now(UTC))
        for s, d in entries
    )
    event = ConsentEvent(name="Play", starts_on=current_day(), ends_on=current_day(), decisions=decisions)
    latest_day = min(d for _, d in entries)
    expected = [s for s, d in entries if d == latest_day][-1]
    assert event.current()[1].status is expected


# --------------------------------------------------------------------- the command line


@pytest.fixture
def cli_store(store_dir, tmp_path):  # type: ignore[no-untyped-def]
    from safedesk.store.engine.session import Session
    from tests.kit import PASSPHRASE

    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    add_pupil(session, Pupil(name="Amelia Smith", year_group="6", form="6A", mis_id="A1"))
    add_pupil(session, Pupil(name="Ben Jones", year_group="6", form="6A", mis_id="A2"))
    session.close()
    pw = tmp_path / "pw.txt"
    pw.write_text(PASSPHRASE + "\n", encoding="utf-8")
    return store_dir, pw


def run(cli_store, *args: str):  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from safedesk.cli.main import cli

    store, pw = cli_store
    return CliRunner().invoke(cli, ["--store", str(store), "consents", *args, "--passphrase-file", str(pw)])


def test_cli_events_add_record_check_list_and_show(cli_store):
    start, end = format_date(current_day() - timedelta(days=1)), format_date(current_day() + timedelta(days=1))
    made = run(cli_store, "event", "add", "Summer Play", "--from", start, "--to", end, "--note", "hall")
    assert made.exit_code == 0 and f"Event added: Summer Play ({start} to {end})." in made.output
    assert run(cli_store, "event", "add", "summer play", "--from", start).exit_code != 0
    bad = run(cli_store, "event", "add", "Sports Day", "--from", end, "--to", start)
    assert bad.exit_code == 2 and "end date is before" in bad.output and "Traceback" not in bad.output
    assert run(cli_store, "event", "record", "Summer Play", "A1", "A2", "--status", "granted", "--given",
               format_date(current_day() - timedelta(days=9))).exit_code == 0  # fmt: skip
    assert run(cli_store, "event", "record", "Summer Play", "A2", "--status", "withdrawn", "--given",
               format_date(current_day() - timedelta(days=2))).exit_code == 0  # fmt: skip
    # An older slip recorded last changes nothing.
    assert run(cli_store, "event", "record", "Summer Play", "A2", "--status", "granted", "--given",
               format_date(current_day() - timedelta(days=5))).exit_code == 0  # fmt: skip
    ok = run(cli_store, "check", "--event", "Summer Play", "A1")
    assert ok.exit_code == 0 and ok.output.startswith("PASS: the pupil is cleared for Summer Play.")
    stop = run(cli_store, "check", "--purpose", "summer play", "A1", "Ben Jones")
    assert stop.exit_code == 1
    assert f"Ben Jones, 6A: consent for Summer Play withdrawn on {format_date(current_day() - timedelta(days=2))}" in stop.output
    unknown = run(cli_store, "check", "--purpose", "Winter Play", "A1")
    assert unknown.exit_code == 2 and "Unknown purpose, channel or event 'Winter Play'" in unknown.output
    assert "youtube" in unknown.output and "(events: Summer Play)" in unknown.output
    assert run(cli_store, "check", "--event", "Winter Play", "A1").output == unknown.output
    assert run(cli_store, "check", "--event", "Summer Play", "-p", "website", "A1").exit_code == 2
    listed = run(cli_store, "event", "list")
    assert "Summer Play" in listed.output and "1 pupil granted, 1 pupil withdrawn" in listed.output
    pupil = run(cli_store, "show", "A2").output.split("Event: Summer Play")[1]
    assert [line.split()[1] for line in pupil.splitlines()[1:]] == ["granted", "granted", "withdrawn"]
    shown = run(cli_store, "event", "show", "summer play")
    assert "hall" in shown.output and "withdrawn" in shown.output and "2 pupils with a decision." in shown.output


def test_cli_event_check_outside_its_dates_says_so(cli_store):
    later = format_date(current_day() + timedelta(days=10))
    assert run(cli_store, "event", "add", "Panto", "--from", later).exit_code == 0
    assert run(cli_store, "event", "record", "Panto", "A1", "--status", "granted").exit_code == 0
    result = run(cli_store, "check", "--event", "Panto", "A1")
    assert result.exit_code == 1
    assert f"Panto runs {later}: its consent does not apply on {format_date(current_day())}" in result.output


# --------------------------------------------------------------------- the screens


@pytest.fixture
def school(store_dir):  # type: ignore[no-untyped-def]
    from safedesk.store.engine.session import Session
    from tests.kit import PASSPHRASE

    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    add_pupil(session, Pupil(name="Amelia Smith", year_group="6", form="6A", mis_id="A1"))
    add_pupil(session, Pupil(name="Ben Jones", year_group="6", form="6A", mis_id="A2"))
    add_pupil(session, Pupil(name="[bold]Cara[/] Lee", year_group="5", form="5B", mis_id="A3"))
    session.close()
    return store_dir


async def test_tui_create_an_event_tick_pupils_and_check_it(school):
    from textual.widgets import Input, Select, SelectionList, Static

    from safedesk.app import SafeDeskApp
    from safedesk.screens.consents.check import CheckScreen
    from safedesk.screens.consents.events import EventDecisionForm, EventForm, EventScreen, EventsScreen
    from safedesk.screens.consents.pupils import ConsentsScreen
    from safedesk.widgets.row_table import RowTable
    from tests.kit import PASSPHRASE, settle

    app = SafeDeskApp(school)
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.query_one("#passphrase", Input).value = PASSPHRASE
        await pilot.press("enter")
        await settle(app, pilot)
        await app.push_screen(ConsentsScreen())
        await pilot.pause()
        await pilot.press("e")
        assert isinstance(app.screen, EventsScreen)
        await pilot.press("a")
        form = app.screen
        assert isinstance(form, EventForm)
        form.query_one("#name", Input).value = "Panto"
        form.query_one("#starts_on", Input).value = format_date(current_day() + timedelta(days=3))
        form.query_one("#ends_on", Input).value = format_date(current_day() + timedelta(days=1))
        await pilot.press("ctrl+s")
        error = form.query_one("#error-ends_on")
        assert "end date is before" in str(error.render())
        form.query_one("#starts_on", Input).value = format_date(current_day() - timedelta(days=1))
        await pilot.press("ctrl+s")
        await pilot.pause()
        event_screen = app.screen
        assert isinstance(event_screen, EventScreen)
        await pilot.press("r")
        decide = app.screen
        assert isinstance(decide, EventDecisionForm)
        pupils = decide.query_one("#pupils", SelectionList)
        assert pupils.option_count == 3
        assert str(pupils.get_option_at_index(0).prompt) == "[bold]Cara[/] Lee  Y5 5B"
        assert decide.focused is decide.query_one("#event-narrow", Input), decide.focused
        await pilot.press(*"6a")
        await pilot.pause()
        assert pupils.option_count == 2
        await pilot.press("tab")
        assert decide.focused is pupils
        await pilot.press("space", "down", "space")
        assert set(pupils.selected) == {1, 2}
        decide.query_one("#event-narrow", Input).focus()
        decide.query_one("#event-narrow", Input).value = "ben"
        await pilot.press("enter")
        assert decide.focused is pupils and isinstance(app.screen, EventDecisionForm)
        pupils.deselect_all()  # Ben unticked while Amelia, hidden, stays ticked
        await pilot.pause()
        decide.query_one("#event-narrow", Input).value = ""
        await pilot.pause()
        assert set(pupils.selected) == {1}
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is event_screen
        table = event_screen.query_one("#event-pupils", RowTable)
        assert [(r.cells[0], r.cells[2]) for r in table.rows] == [("Amelia Smith", "granted")]
        assert "1 pupil granted" in str(event_screen.query_one("#event-facts", Static).render())
        await pilot.press("escape")
        assert isinstance(app.screen, EventsScreen)
        assert app.screen.query_one("#events-table", RowTable).rows[0].cells == (
            "Panto",
            f"{format_date(current_day() - timedelta(days=1))} to {format_date(current_day() + timedelta(days=1))}",
            "1",
            "0",
            "0",
        )
        await pilot.press("escape", "c")
        check = app.screen
        assert isinstance(check, CheckScreen)
        check.query_one("#check-channel", Select).value = "event:1"
        await pilot.press(*"amelia", "enter", *"ben", "enter")
        await pilot.pause()
        verdict = str(check.query_one("#check-verdict", Static).render())
        assert verdict == "STOP: 1 of 2 pupils is not cleared for Panto."
        reasons = {r.cells[0]: r.cells[2] for r in check.query_one("#check-picked", RowTable).rows}
        assert reasons == {"Amelia Smith": "ok", "Ben Jones": "no consent recorded for Panto"}


# --------------------------------------------------------------------- from a MIS export


def test_an_arbor_single_consent_file_for_an_event(session, pupils):
    from safedesk.store.consents.event_import import apply_event_import, plan_event_import

    a, b, c = pupils
    event = trip(session)
    record_event_decisions(session, event.id, [b], EventStatus.WITHDRAWN, current_day() - timedelta(days=2))
    older = format_date(current_day() - timedelta(days=6))
    data = (
        "Student;UPN;Year;Registration Form;Consent Given;Confirmed/Declined By;Date Confirmed\r\n"
        f"Amelia Smith;A1;Year 6;6A;Confirmed;Jo Smith;{older}\r\n"
        f"Ben Jones;A2;Year 6;6A;Confirmed;Al Jones;{older}\r\n"  # older than his withdrawal: history only
        f"Cara Lee;A3;Year 6;6B;Pending;;\r\n"
        f"Dan New;A9;Year 6;6B;Confirmed;;{older}\r\n"  # not a pupil here: added (an MIS id tells him apart)
        f"Eve Odd;A1;Year 6;6A;Maybe;;{older}\r\n"
        f"Fay Nobody;;;;Confirmed;;{older}\r\n"  # not here, and only a name: an error, never a guess
        f"Dan New;A9;Year 6;6B;Confirmed;;{older}\r\n"  # the same new pupil again: one record
    ).encode()
    plan = plan_event_import(session, data, get_event(session, event.id))
    assert [(e.pupil_id, e.status, e.given_by) for e in plan.entries] == [
        (a, EventStatus.GRANTED, "Jo Smith"),
        (b, EventStatus.GRANTED, "Al Jones"),
        (-1, EventStatus.GRANTED, ""),
    ]
    assert [(p.name, p.mis_id, p.year_group, p.form) for p in plan.new_pupils] == [("Dan New", "A9", "Year 6", "6B")]
    assert plan.not_asked == 1 and plan.held == 1
    assert [str(e) for e in plan.errors] == [
        "line 6: Consent Given: unknown value 'Maybe' (use granted, refused or not asked)",
        "line 7: no pupil here matches, and the row has only a name: add the MIS id, date of birth or year group",
    ]
    assert "Decisions to record: granted: 3; new pupils to add: 1." in plan.summary_lines()
    assert apply_event_import(session, plan) == "Imported for Year 6 Residential: 3 decisions recorded; 1 new pupil added."
    stored = get_event(session, event.id)
    index = pupil_index(session)
    (dan,) = index.by_mis["a9"]
    assert check_event(stored, [index.by_id[a]]).passed and check_event(stored, [index.by_id[dan]]).passed
    assert check_event(stored, [index.by_id[b]]).stops[0].code == "withdrawn"  # the older slip never becomes current
    again = plan_event_import(session, data, stored)
    assert again.entries == [] and again.new_pupils == [] and again.held == 4


def test_a_sims_long_file_gives_the_rows_naming_the_event_and_leaves_the_rest(session, pupils):
    from safedesk.store.consents.event_import import plan_event_import

    a, b, _ = pupils
    event = trip(session, name="School Trips")
    day = format_date(current_day() - timedelta(days=1))
    data = (
        "UPN,Legal Forename,Legal Surname,Consent Type,Consent Given,Date\r\n"
        f"A1,Amelia,Smith,Photographs - School Website,Yes,{day}\r\n"
        f"A1,Amelia,Smith,School Trips,Yes,{day}\r\n"
        f"A2,Ben,Jones,school trips,No,{day}\r\n"
        f"A2,Ben,Jones,Sun Cream,Yes,{day}\r\n"
    ).encode()
    plan = plan_event_import(session, data, event)
    assert [(e.line, e.pupil_id, e.status) for e in plan.entries] == [(3, a, EventStatus.GRANTED), (4, b, EventStatus.REFUSED)]
    wide = b"UPN,Name,Website\r\nA1,Amelia Smith,yes\r\n"
    with pytest.raises(InvalidInput, match="column per purpose"):
        plan_event_import(session, wide, event)


def test_cli_import_with_an_events_name_as_the_purpose(cli_store, tmp_path):
    assert run(cli_store, "event", "add", "Year 6 Residential", "--from", format_date(current_day())).exit_code == 0
    path = tmp_path / "trip.csv"
    path.write_text(
        "Student,UPN,Consent Given,Date Confirmed\r\n"
        f"Amelia Smith,A1,Confirmed,{format_date(current_day())}\r\nBen Jones,A2,Declined,{format_date(current_day())}\r\n",
        encoding="utf-8",
    )
    dry = run(cli_store, "import", str(path), "--purpose", "year 6 residential", "--dry-run")
    assert dry.exit_code == 0 and "Decisions to record: granted: 1, refused: 1." in dry.output
    done = run(cli_store, "import", str(path), "--purpose", "year 6 residential", "--yes")
    assert done.exit_code == 0 and "2 decisions recorded" in done.output
    assert run(cli_store, "check", "--event", "Year 6 Residential", "A1").exit_code == 0
    assert run(cli_store, "check", "--event", "Year 6 Residential", "A2").exit_code == 1
    again = run(cli_store, "import", str(path), "--purpose", "Year 6 Residential", "--yes")
    assert again.exit_code == 0 and "Nothing to change" in again.output
    unknown = run(cli_store, "import", str(path), "--purpose", "Panto", "--yes")
    assert unknown.exit_code == 2 and "Or the name of an event" in unknown.output


async def test_tui_import_screen_offers_events_for_a_single_consent_file(school, tmp_path):
    from textual.widgets import Button, Input, Select

    from safedesk.app import SafeDeskApp
    from safedesk.screens.consents.importer import ImportScreen
    from safedesk.screens.consents.pupils import ConsentsScreen
    from safedesk.store.engine.session import Session
    from tests.kit import PASSPHRASE, settle

    with Session.open(school, PASSPHRASE) as session:
        trip(session, name="Panto")
    path = tmp_path / "panto.csv"
    path.write_text(
        f"Student;UPN;Consent Given;Date\r\nAmelia Smith;A1;Confirmed;{format_date(current_day())}\r\nNobody;;Confirmed;{format_date(current_day())}\r\n",
        encoding="utf-8",
    )
    app = SafeDeskApp(school)
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.query_one("#passphrase", Input).value = PASSPHRASE
        await pilot.press("enter")
        await settle(app, pilot)
        await app.push_screen(ConsentsScreen())
        await pilot.pause()
        await pilot.press("i")
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        await pilot.press(*str(path), "enter")
        await settle(app, pilot)
        choice = screen.query_one("#import-purpose", Select)
        assert ("event:1") in [value for _, value in choice._options]
        choice.value = "event:1"
        await settle(app, pilot)
        preview = str(screen.query_one("#import-preview").render())
        assert "Event: Panto" in preview and "Decisions to record: granted: 1." in preview
        assert screen.query_one("#import-all", Button).disabled
        valid = screen.query_one("#import-valid", Button)
        assert valid.display and str(valid.label) == "Import only the 1 valid decision"
        valid.press()
        await pilot.pause()
        app.screen.query_one("#yes", Button).press()
        await settle(app, pilot)
        assert isinstance(app.screen, ConsentsScreen)
    with Session.open(school, PASSPHRASE) as session:
        assert [d.status for d in get_event(session, 1).decisions] == [EventStatus.GRANTED]


# --------------------------------------------------------------------- the pupil's own screen


def test_pupil_events_gives_each_event_with_this_pupils_history(session, pupils):
    from safedesk.store.consents.events import pupil_events

    a, b, _ = pupils
    old = trip(session, name="Farm visit", start=-30, end=-29)
    now = trip(session)
    record_event_decisions(session, old.id, [a], EventStatus.GRANTED, current_day() - timedelta(days=40))
    record_event_decisions(session, now.id, [a], EventStatus.WITHDRAWN, current_day() - timedelta(days=2))
    record_event_decisions(session, now.id, [a, b], EventStatus.GRANTED, current_day() - timedelta(days=9))  # older slip
    found = pupil_events(session, a)
    assert [(e.name, [d.status for d in ds]) for e, ds in found] == [
        ("Year 6 Residential", [EventStatus.GRANTED, EventStatus.WITHDRAWN]),
        ("Farm visit", [EventStatus.GRANTED]),
    ]
    assert found[0][0].current()[a].status is EventStatus.WITHDRAWN
    assert pupil_events(session, pupils[2]) == []


async def test_tui_pupil_screen_shows_event_decisions_and_opens_the_event(school):
    from safedesk.app import SafeDeskApp
    from safedesk.router import screen as build
    from safedesk.screens.consents.events import EventScreen
    from safedesk.screens.consents.pupil import PupilScreen
    from safedesk.store.engine.session import Session
    from safedesk.widgets.row_table import RowTable
    from tests.kit import PASSPHRASE, settle, unlock

    session = Session.open(school, PASSPHRASE)
    event = trip(session, name="Panto [red]trip", start=-1, end=1)
    record_event_decisions(session, event.id, [1], EventStatus.GRANTED, current_day() - timedelta(days=8), "Mrs Smith")
    record_event_decisions(session, event.id, [1], EventStatus.WITHDRAWN, current_day() - timedelta(days=1), "Mrs Smith")
    session.close()
    app = SafeDeskApp(school)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(app, pilot)
        await app.push_screen(build("pupil", 1))
        await settle(app, pilot)
        pupil = app.screen
        assert isinstance(pupil, PupilScreen)
        current = pupil.query_one("#pupil-current", RowTable)
        assert current.rows[-1].cells == ("Event: Panto [red]trip", "withdrawn", format_date(event.ends_on), "Mrs Smith")
        history = pupil.query_one("#pupil-history", RowTable)
        assert [r.cells[:3] for r in history.rows] == [
            (format_date(current_day() - timedelta(days=1)), "evt", "Panto [red]trip: withdrawn by Mrs Smith"),
            (format_date(current_day() - timedelta(days=8)), "evt", "Panto [red]trip: granted by Mrs Smith"),
        ]
        assert current.size.height >= len(current.rows) + 1  # the event's row in view at 80x24
        await pilot.press("end", "enter")
        await pilot.pause()
        assert isinstance(app.screen, EventScreen) and app.screen.event_id == event.id
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is pupil


# --------------------------------------------------------------------- a wide file's column mapped to an event

WIDE_WITH_TRIP = (
    "Forename,Surname,UPN,Photographs - School Website,Trip slip,Date\r\n"
    "Amelia,Smith,A1,Yes,Yes,{day}\r\n"
    "Ben,Jones,A2,No,No,{day}\r\n"
    "Dan,New,A9,Yes,Yes,{day}\r\n"  # a pupil this file adds
)


def test_a_wide_files_column_mapped_to_an_event(session, pupils):
    from safedesk.store.consents.event_import import apply_with_events, plan_event_columns
    from safedesk.store.consents.importer import parse_map_options, plan_import, read_headers, remembered_mapping
    from safedesk.store.consents.pupils import Purpose

    a, b, _ = pupils
    event = trip(session)
    data = WIDE_WITH_TRIP.format(day=format_date(current_day() - timedelta(days=1))).encode()
    mapping = parse_map_options(["Trip slip=event:year 6 residential"])
    assert mapping == {"Trip slip": "event:year 6 residential"}
    plan = plan_import(session, data, "wide.csv", mapping)
    assert "Columns for events: Trip slip -> year 6 residential." in plan.summary_lines()
    assert "Trip slip" not in plan.ignored
    (event_plan,) = plan_event_columns(session, data, plan)
    assert event_plan.summary_lines()[:2] == [
        f"Event: Year 6 Residential ({event.dates}) from the column 'Trip slip'.",
        "Decisions to record: granted: 1, refused: 1 (and 1 for pupils this file adds).",
    ]
    assert event_plan.errors == []
    outcome, sentences = apply_with_events(session, plan, data)
    assert outcome.added == 1 and sentences == ["Imported for Year 6 Residential: 3 decisions recorded."]
    stored = get_event(session, event.id)
    dan = next(r.id for r in pupil_index(session).rows if r.mis_id == "A9")
    assert {i: d.status for i, d in stored.current().items()} == {
        a: EventStatus.GRANTED,
        b: EventStatus.REFUSED,
        dan: EventStatus.GRANTED,
    }
    from safedesk.store.consents.pupils import get_pupil

    assert get_pupil(session, a).states()[Purpose.WEBSITE].status.value == "granted"  # the purposes as before
    # Remembered for the next file with these headers; the same file again changes nothing.
    assert remembered_mapping(session, read_headers(data)).mapping == mapping
    again = plan_import(session, data, "wide-again.csv")
    assert again.events == {"Trip slip": "year 6 residential"}
    (event_plan,) = plan_event_columns(session, data, again)
    assert event_plan.entries == [] and event_plan.held == 3
    with pytest.raises(InvalidInput, match="mapped to the event 'Panto', which is not recorded"):
        plan_event_columns(session, data, plan_import(session, data, "x.csv", parse_map_options(["Trip slip=event:Panto"])))
    with pytest.raises(InvalidInput, match="Name the event after event:"):
        parse_map_options(["Trip slip=event: "])


def test_cli_import_maps_a_wide_column_to_an_event(cli_store, tmp_path):
    assert run(cli_store, "event", "add", "Year 6 Residential", "--from", format_date(current_day())).exit_code == 0
    path = tmp_path / "wide.csv"
    path.write_text(WIDE_WITH_TRIP.format(day=format_date(current_day())), encoding="utf-8")
    dry = run(cli_store, "import", str(path), "--map", "Trip slip=event:Year 6 Residential", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Decisions to record: granted: 1, refused: 1 (and 1 for pupils this file adds)." in dry.output
    done = run(cli_store, "import", str(path), "--map", "Trip slip=event:Year 6 Residential", "--yes")
    assert done.exit_code == 0 and "Imported for Year 6 Residential: 3 decisions recorded." in done.output
    assert run(cli_store, "check", "--event", "Year 6 Residential", "A9").exit_code == 0
    assert run(cli_store, "check", "--event", "Year 6 Residential", "A2").exit_code == 1
    again = run(cli_store, "import", str(path), "--yes")  # the mapping remembered
    assert again.exit_code == 0 and "Nothing to change" in again.output
    unknown = run(cli_store, "import", str(path), "--map", "Trip slip=event:Panto", "--dry-run")
    assert unknown.exit_code == 2 and "which is not recorded" in unknown.output


async def test_tui_import_maps_a_wide_column_to_an_event(school, tmp_path):
    from textual.widgets import Button, Input

    from safedesk.app import SafeDeskApp
    from safedesk.screens.consents.importer import ImportScreen
    from safedesk.screens.consents.pupils import ConsentsScreen
    from safedesk.store.engine.session import Session
    from tests.kit import PASSPHRASE, settle

    with Session.open(school, PASSPHRASE) as session:
        trip(session, name="Year 6 Residential")
    path = tmp_path / "wide.csv"
    path.write_text(WIDE_WITH_TRIP.format(day=format_date(current_day())), encoding="utf-8")
    app = SafeDeskApp(school)
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.query_one("#passphrase", Input).value = PASSPHRASE
        await pilot.press("enter")
        await settle(app, pilot)
        await app.push_screen(ConsentsScreen())
        await pilot.pause()
        await pilot.press("i")
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        await pilot.press(*str(path), "enter")
        await settle(app, pilot)
        select = dict(screen._selects)["Trip slip"]
        assert select.value == "ignore"
        assert "event:Year 6 Residential" in [value for _, value in select._options]
        select.value = "event:Year 6 Residential"
        await settle(app, pilot)
        preview = str(screen.query_one("#import-preview").render())
        assert "Columns for events: Trip slip -> Year 6 Residential." in preview
        assert "Decisions to record: granted: 1, refused: 1 (and 1 for pupils this file adds)." in preview
        screen.query_one("#import-all", Button).press()
        await settle(app, pilot)
        assert isinstance(app.screen, ConsentsScreen)
    with Session.open(school, PASSPHRASE) as session:
        assert sorted(d.status.value for d in get_event(session, 1).decisions) == ["granted", "granted", "refused"]
        assert len(pupil_index(session).rows) == 4
