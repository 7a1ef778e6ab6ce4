"""The child protection file clock starts when the pupil left: in-year, 5 school days after
leaving; at the end of a term or in a holiday, the first 5 school days of the next term.
A pupil recorded as left shows as "transfer due" before anything is sent, then the sent
file as "receipt not confirmed"."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from safedesk.store.consents.pupils import pupil_index
from safedesk.store.errors import InvalidInput
from safedesk.store.handover import transfer as ho
from safedesk.store.handover.calendar import SchoolCalendar, Term, save_calendar
from safedesk.store.handover.leavers import Leaver, leavers, record_left
from safedesk.store.incidents.records import Person
from safedesk.store.text.dates import local_today, show_date
from tests.kit import (
    HANDOVER_PASSPHRASE,
    PASSPHRASE,
    SIZE,
    add_incident,
    add_pupil,
    error_text,
    export_handover,
    fast_crypt,
    import_handover,
    make_store,
    settle,
    unlock,
)

AUTUMN = Term(starts=date(2026, 9, 2), ends=date(2026, 12, 18))  # ends Friday 18/12
SPRING = Term(starts=date(2027, 1, 5), ends=date(2027, 3, 26))  # starts Tuesday 05/01
YEAR = SchoolCalendar(terms=(AUTUMN, SPRING), closures=(date(2027, 1, 5),))  # 05/01 an INSET day


@pytest.fixture(autouse=True)
def _fast(monkeypatch):  # type: ignore[no-untyped-def]
    fast_crypt(monkeypatch)


def test_in_year_counts_from_the_day_they_left():
    # Left Wednesday 25/11: Thu, Fri, Mon, Tue, Wed.
    assert YEAR.transfer_due(date(2026, 11, 25)) == date(2026, 12, 2)
    # Left on a Saturday in term: still in-year, the count starts on Monday.
    assert YEAR.transfer_due(date(2026, 11, 28)) == date(2026, 12, 4)


def test_end_of_term_and_holidays_count_the_first_days_of_the_next_term():
    # Left on the last day of the autumn term: the first 5 school days of spring (05/01 is closed).
    assert YEAR.transfer_due(date(2026, 12, 18)) == date(2027, 1, 12)
    # Left in the Christmas holidays: the same.
    assert YEAR.transfer_due(date(2026, 12, 23)) == date(2027, 1, 12)
    # Left on the Thursday before the end of term: in-year (Fri, then 4 days of spring).
    assert YEAR.transfer_due(date(2026, 12, 17)) == date(2027, 1, 11)
    # Left on the last day of the last term entered: weekdays count after it (never stops).
    assert YEAR.transfer_due(date(2027, 3, 26)) == date(2027, 4, 2)
    # No terms entered: every weekday.
    assert SchoolCalendar().transfer_due(date(2026, 12, 18)) == date(2026, 12, 25)


_days = st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31))


@st.composite
def calendars(draw: st.DrawFn) -> SchoolCalendar:
    starts = sorted(set(draw(st.lists(_days, max_size=4))))
    terms = []
    for n, start in enumerate(starts):
        limit = (starts[n + 1] - start).days - 1 if n + 1 < len(starts) else 120
        terms.append(Term(starts=start, ends=start + timedelta(days=draw(st.integers(0, max(0, min(limit, 120)))))))
    return SchoolCalendar(
        terms=tuple(terms), closures=tuple(draw(st.lists(_days, max_size=20))), transfer_days=draw(st.integers(1, 10))
    )


@settings(max_examples=300, deadline=None)
@given(calendar=calendars(), left_on=_days)
def test_the_due_day_is_the_clocks_school_day_from_the_right_start(calendar: SchoolCalendar, left_on: date) -> None:
    calendar.validate()
    due = calendar.transfer_due(left_on)
    last = max((t.ends for t in calendar.terms), default=None)
    term = next((t for t in calendar.terms if t.starts <= left_on <= t.ends), None)
    later = sorted((t for t in calendar.terms if t.starts > left_on), key=lambda t: t.starts)
    in_year = last is None or left_on > last or (term is not None and calendar.school_days_between(left_on, term.ends) > 0)
    # In-year the count starts the day after leaving; at the end of a term or in a holiday, with
    # the first day of the next term (or, past the last term entered, the day after leaving).
    start = left_on if in_year or not later else later[0].starts - timedelta(days=1)
    assert due > left_on and calendar.is_school_day(due)
    assert calendar.school_days_between(start, due) == calendar.transfer_days  # exactly the clock, no more
    if not in_year and later:
        assert due >= later[0].starts  # never due in the holiday
    # Leaving later never makes the file due sooner.
    assert calendar.transfer_due(left_on + timedelta(days=1)) >= due


def test_a_leaver_is_due_before_sending_then_awaits_the_receipt(sender, tmp_path):
    pupil = add_pupil(sender)
    add_incident(
        sender, "About Amelia", tmp=tmp_path, files=0, people=(Person(name=pupil.name, role="pupil", pupil_id=pupil.id),)
    )
    day = local_today() - timedelta(days=1)
    record_left(sender, (pupil.id,), day)
    [due] = ho.files_due(sender)
    assert due.pupil == "Amelia Smith (Milly)" and due.due == SchoolCalendar().transfer_due(day)
    [item] = [i for i in ho.transfer_attention(sender)]
    assert item.level == "due soon" and f"Amelia Smith (Milly) (left {show_date(day)}): transfer due by" in item.text
    # Far past the clock: overdue on home before anything was sent.
    record_left(sender, (pupil.id,), day - timedelta(days=30))
    [item] = list(ho.transfer_attention(sender))
    assert item.level == "overdue" and "transfer overdue" in item.text
    assert len(leavers(sender)) == 1  # corrected, not added twice
    sent = ho.export_handover(
        sender, ho.Selection((), (pupil.id,)), to="Oakwood Academy DSL", passphrase=HANDOVER_PASSPHRASE, out=tmp_path / "h.age"
    )
    # The sent file carries the day they left: the clock is theirs, not the day of sending.
    assert sent.left_on == day - timedelta(days=30) and sent.pupil_ids == (pupil.id,)
    assert sent.due_on(SchoolCalendar()) == SchoolCalendar().transfer_due(day - timedelta(days=30))
    assert ho.files_due(sender) == []
    [item] = list(ho.transfer_attention(sender))
    assert item.level == "overdue" and "receipt not confirmed" in item.text


def test_a_leaving_day_recorded_after_the_file_was_sent_leaves_it_sent(sender, tmp_path):
    pupil = add_pupil(sender)
    sent = export_handover(sender, tmp_path / "h.age", (), (pupil,))  # sent before the leaving day was known
    assert sent.left_on is None and ho.files_due(sender) == []
    day = local_today() - timedelta(days=1)
    record_left(sender, (pupil.id,), day)
    assert ho.files_due(sender) == []  # KCSIE: sending once meets the clock that starts when they leave
    items = list(ho.transfer_attention(sender))
    assert not any("transfer due" in i.text or "transfer overdue" in i.text for i in items)
    [item] = items  # the receipt is still tracked, on the transfer sent
    assert "receipt not confirmed" in item.text and item.target == f"handover/{sent.id}"
    record_left(sender, (pupil.id,), day - timedelta(days=2))  # the day corrected later: still sent
    assert ho.files_due(sender) == []


def test_a_pupil_who_came_back_and_left_again_needs_a_new_file(sender, tmp_path):
    receiver = make_store(tmp_path / "b", "Oakwood Academy", "Jo Bloggs")
    pupil = add_pupil(sender)
    start = datetime.now(UTC)
    record_left(sender, (pupil.id,), local_today() - timedelta(days=20))
    export_handover(sender, tmp_path / "out.age", (), (pupil,))
    assert ho.files_due(sender) == []
    # Weeks later the pupil comes back: Oakwood sends the file back and it is imported onto the same child.
    with time_machine.travel(start + timedelta(days=10)):
        import_handover(receiver, tmp_path / "out.age")
        export_handover(receiver, tmp_path / "back.age", (), pupil_index(receiver).rows, to="Oak Primary DSL")
        receiver.close()
        back = import_handover(sender, tmp_path / "back.age")
    assert back.direction == "received" and back.pupil_ids == (pupil.id,)
    assert ho.files_due(sender) == []  # here again: the old leaving is over
    # Leaving again, recorded after the return: a new file is due, until one is sent.
    with time_machine.travel(start + timedelta(days=11)):
        again = local_today() - timedelta(days=1)
        record_left(sender, (pupil.id,), again)
        [due] = ho.files_due(sender)
        assert due.leaver.pupil_id == pupil.id and due.due == SchoolCalendar().transfer_due(again)
        assert any("transfer due by" in i.text for i in ho.transfer_attention(sender))
    with time_machine.travel(start + timedelta(days=12)):
        export_handover(sender, tmp_path / "again.age", (), (pupil,))
        assert ho.files_due(sender) == []


def test_overdue_by_only_a_closure_says_no_school_days_late(sender):
    pupil = add_pupil(sender)
    left = local_today() - timedelta(days=14)
    due = SchoolCalendar().transfer_due(left)
    # Every day since the due day closed (say a holiday): overdue, but no school day late.
    closed = tuple(due + timedelta(days=n) for n in range(1, (local_today() - due).days + 1))
    save_calendar(sender, SchoolCalendar(closures=closed))
    record_left(sender, (pupil.id,), left)
    [item] = list(ho.transfer_attention(sender))
    assert item.level == "overdue" and f"due {show_date(due)} (5-school-day" in item.text
    assert "0 school days" not in item.text


def test_left_given_with_the_export_is_recorded_and_checked(sender, tmp_path):
    pupil = add_pupil(sender)
    selection = ho.Selection((), (pupil.id,))
    with pytest.raises(InvalidInput, match="more than a year") as caught:
        ho.plan_export(sender, selection, "Oakwood", left_on=local_today() + timedelta(days=400))
    assert caught.value.field == "left"
    incident = add_incident(sender, "Not about a pupil", tmp=tmp_path, files=0)
    with pytest.raises(InvalidInput, match="choose the pupil"):
        ho.plan_export(sender, ho.Selection((incident.id,), ()), "LADO", left_on=date(2026, 12, 18))
    # Leaving on the last day of this term, three weeks ahead (a day ahead is allowed: it is seen coming).
    today = local_today()
    end = today + timedelta(days=21)
    spring = Term(starts=end + timedelta(days=17), ends=end + timedelta(days=90))
    calendar = SchoolCalendar(terms=(Term(starts=today - timedelta(days=60), ends=end), spring))
    save_calendar(sender, calendar)
    sent = ho.export_handover(
        sender, selection, to="Oakwood", passphrase=HANDOVER_PASSPHRASE, out=tmp_path / "h.age", left_on=end
    )
    assert [r.left_on for r in sender.repo(Leaver).all()] == [end] and sent.left_on == end
    # Due in the first 5 school days of the next term, not 5 days after sending (or leaving).
    assert sent.due_on(calendar) == calendar.add_school_days(spring.starts - timedelta(days=1), 5) >= spring.starts
    assert not sent.overdue(calendar, end + timedelta(days=10))
    # A file for the LADO (no pupil left) keeps the day-of-sending clock.
    lado = ho.export_handover(
        sender, ho.Selection((incident.id,), ()), to="LADO", passphrase=HANDOVER_PASSPHRASE, out=tmp_path / "l.age"
    )
    assert lado.left_on is None


def test_cli_records_the_leaving_day_and_lists_the_file_due(tmp_path):
    from safedesk.cli.main import cli

    session = make_store(tmp_path / "store")
    add_pupil(session)
    session.close()
    secret = tmp_path / "pass"
    secret.write_text(PASSPHRASE + "\n")
    handover_secret = tmp_path / "handover-pass"
    handover_secret.write_text(HANDOVER_PASSPHRASE + "\n")
    base = ["--store", str(tmp_path / "store"), "handover"]
    auth = ["--passphrase-file", str(secret)]
    day = local_today() - timedelta(days=2)
    result = CliRunner().invoke(cli, [*base, "left", "--pupil", "A1234", "--on", show_date(day), *auth])
    assert result.exit_code == 0 and f"Amelia Smith (Milly) left on {show_date(day)}" in result.output
    listed = CliRunner().invoke(cli, [*base, "list", *auth])
    assert listed.exit_code == 0 and "Not sent" in listed.output and "transfer due" in listed.output
    typo = CliRunner().invoke(cli, [*base, "left", "--pupil", "A1234", "--on", show_date(day.replace(year=day.year - 2)), *auth])
    assert typo.exit_code != 0 and "more than a year" in typo.output
    sent = CliRunner().invoke(
        cli,
        [
            *base,
            "export",
            "--pupil",
            "A1234",
            "--left",
            show_date(day),
            "--to",
            "Oakwood",
            "--out",
            str(tmp_path / "h.age"),
            *auth,
        ]
        + ["--handover-passphrase-file", str(handover_secret)],
    )
    assert sent.exit_code == 0, sent.output
    assert f"The pupil left on {show_date(day)}: transfer and receipt due by" in sent.output
    listed = CliRunner().invoke(cli, [*base, "list", *auth])
    assert "Not sent" not in listed.output and "receipt not confirmed" in listed.output


async def test_home_shows_the_file_due_and_enter_opens_it(store_dir, tmp_path):
    from textual.widgets import DataTable, OptionList

    from safedesk.app import SafeDeskApp
    from safedesk.screens.handover.export import HandoverExportScreen
    from safedesk.screens.handover.listing import HandoverScreen

    with make_store(store_dir) as session:
        pupil = add_pupil(session)
        record_left(session, (pupil.id,), local_today() - timedelta(days=1))
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        options = app.screen.query_one("#attention", OptionList)
        shown = [str(options.get_option_at_index(n).prompt) for n in range(options.option_count)]
        [line] = [text for text in shown if "Child protection file of Amelia Smith" in text]
        assert line.startswith("[DUE SOON]") and "transfer due by" in line
        options.focus()
        options.highlighted = shown.index(line)
        await pilot.press("enter")
        await settle(app, pilot)
        hub = app.screen
        assert isinstance(hub, HandoverScreen)
        row = [str(c) for c in hub.query_one("#ho-transfers", DataTable).get_row_at(0)]
        assert row[0] == "due" and row[3].startswith("transfer due") and "Amelia Smith" in row[4]
        await pilot.press("enter")  # the file not sent: its export, with the pupil ticked
        await settle(app, pilot)
        assert isinstance(app.screen, HandoverExportScreen)
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert app.screen.query_one("#hx-left").value == show_date(local_today() - timedelta(days=1))


async def test_pupil_left_dialog_records_the_day(store_dir, tmp_path):
    from textual.widgets import DataTable, Input

    from safedesk.app import SafeDeskApp
    from safedesk.router import open_screen
    from safedesk.screens.handover.listing import LeftDialog

    with make_store(store_dir) as session:
        add_pupil(session)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        open_screen(app, "handover")
        await settle(app, pilot)
        hub = app.screen
        await pilot.press("l")
        await settle(app, pilot)
        assert isinstance(app.screen, LeftDialog)
        await pilot.press(*"A1234", "tab", *show_date(local_today() + timedelta(days=800)), "ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, LeftDialog) and "more than a year" in error_text(app, "#error-left")
        box = app.screen.query_one("#left-on", Input)
        box.value = show_date(local_today())
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is hub
        assert str(hub.query_one("#ho-transfers", DataTable).get_row_at(0)[0]) == "due"


async def test_export_screen_records_the_day_the_pupil_left(store_dir, tmp_path):
    from textual.widgets import Input

    from safedesk.app import SafeDeskApp
    from safedesk.router import open_screen

    with make_store(store_dir) as session:
        pupil = add_pupil(session)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        open_screen(app, "handover-export", pupil_ids=(pupil.id,))
        await settle(app, pilot)
        screen = app.screen
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert screen.query_one("#hx-left", Input).value == ""  # nothing recorded yet
        values = {"hx-to": "Oakwood DSL", "hx-left": "31/02/2026", "hx-out": str(tmp_path / "h.age")}
        values |= {"hx-pass": HANDOVER_PASSPHRASE, "hx-confirm": HANDOVER_PASSPHRASE}
        for box, value in values.items():
            screen.query_one(f"#{box}", Input).value = value
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert error_text(app, "#error-left") and not (tmp_path / "h.age").exists()
        left = local_today() - timedelta(days=3)
        screen.query_one("#hx-left", Input).value = show_date(left)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert screen.step == "hx-done"  # type: ignore[attr-defined]
        [sent] = ho.transfers(app.session)
        assert sent.left_on == left and [r.left_on for r in leavers(app.session)] == [left]
