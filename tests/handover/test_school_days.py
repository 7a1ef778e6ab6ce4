"""The child protection transfer clock in school days: weekends, closures and term boundaries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from safedesk.store.errors import InvalidInput
from safedesk.store.handover import transfer as ho
from safedesk.store.handover.calendar import SchoolCalendar, Term, load_calendar, save_calendar
from safedesk.store.text.dates import local_midnight, local_today, to_local_date
from tests.kit import PASSPHRASE, add_incident, export_handover, fast_crypt, make_store

FRI = date(2026, 11, 27)
SAT = date(2026, 11, 28)


def test_default_counts_weekdays_and_says_so():
    calendar = SchoolCalendar()
    assert calendar.add_school_days(FRI, 5) == date(2026, 12, 4)  # Mon..Fri next week
    assert calendar.add_school_days(SAT, 5) == date(2026, 12, 4)
    assert calendar.add_school_days(date(2026, 11, 25), 5) == date(2026, 12, 2)  # Wed -> Wed, over a weekend
    assert "no term dates entered" in calendar.described and "5 school days" in calendar.described


def test_closures_and_term_boundaries():
    calendar = SchoolCalendar(
        terms=(Term(starts=date(2026, 9, 2), ends=date(2026, 12, 18)), Term(starts=date(2027, 1, 5), ends=date(2027, 3, 26))),
        closures=(date(2026, 12, 1), date(2027, 1, 5)),
    )
    # Across a closure: Mon 30/11 + 5 skips Tue 1/12.
    assert calendar.add_school_days(date(2026, 11, 30), 5) == date(2026, 12, 8)
    # Across the Christmas holiday: 16/12 -> 17, 18, then the new term (5/1 is an INSET closure).
    assert calendar.add_school_days(date(2026, 12, 16), 5) == date(2027, 1, 8)
    # Sent in the holiday: the count starts with the term.
    assert calendar.add_school_days(date(2026, 12, 24), 5) == date(2027, 1, 12)
    assert calendar.school_days_between(date(2026, 12, 18), date(2027, 1, 6)) == 1
    assert not calendar.is_school_day(date(2026, 12, 21)) and calendar.is_school_day(date(2027, 1, 6))


@pytest.mark.parametrize(
    ("terms", "words"),
    [
        ((Term(starts=date(2026, 9, 10), ends=date(2026, 9, 1)),), "ends before it starts"),
        (
            (Term(starts=date(2026, 9, 1), ends=date(2026, 12, 18)), Term(starts=date(2026, 12, 1), ends=date(2027, 1, 1))),
            "overlap",
        ),
    ],
)
def test_bad_terms_are_refused(terms, words):
    with pytest.raises(InvalidInput, match=words):
        SchoolCalendar(terms=terms).validate()
    with pytest.raises(InvalidInput, match="1 to 30"):
        SchoolCalendar(transfer_days=0).validate()


_days = st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31))


@st.composite
def calendars(draw: st.DrawFn) -> SchoolCalendar:
    starts = sorted(set(draw(st.lists(_days, max_size=4))))
    terms = []
    for n, start in enumerate(starts):
        limit = (starts[n + 1] - start).days - 1 if n + 1 < len(starts) else 120
        terms.append(Term(starts=start, ends=start + timedelta(days=draw(st.integers(0, max(0, min(limit, 120)))))))
    return SchoolCalendar(terms=tuple(terms), closures=tuple(draw(st.lists(_days, max_size=20))))


@settings(max_examples=200, deadline=None)
@given(calendar=calendars(), start=_days, count=st.integers(1, 10))
def test_counting_school_days_property(calendar: SchoolCalendar, start: date, count: int) -> None:
    calendar.validate()
    due = calendar.add_school_days(start, count)
    assert due > start and calendar.is_school_day(due) and due.weekday() < 5 and due not in calendar.closures
    assert calendar.school_days_between(start, due) == count
    assert calendar.school_days_between(start, due - timedelta(days=1)) == count - 1
    assert calendar.add_school_days(start, count + 1) > due
    if calendar.terms and due > max(t.ends for t in calendar.terms):
        assert due.weekday() < 5  # past the last term entered, weekdays still count
    elif calendar.terms:
        assert any(t.starts <= due <= t.ends for t in calendar.terms)


@pytest.fixture
def sender(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    fast_crypt(monkeypatch)
    session = make_store(tmp_path / "a")
    yield session
    session.close()


def test_overdue_follows_the_calendar(sender, tmp_path):
    sent = export_handover(sender, tmp_path / "h.age", [add_incident(sender, tmp=tmp_path, files=0)])
    sent_on = to_local_date(sent.at)
    plain = SchoolCalendar()
    due = plain.add_school_days(sent_on, 5)
    assert not sent.overdue(plain, due) and sent.overdue(plain, due + timedelta(days=1))
    # A closure on a day of the count moves the due date on one school day.
    closed = SchoolCalendar(closures=(plain.add_school_days(sent_on, 1),))
    assert sent.due_on(closed) == plain.add_school_days(sent_on, 6)
    assert sent.state_text(closed, sent.due_on(closed)) == "receipt not confirmed"
    # Stored, it is what the home screen uses.
    save_calendar(sender, SchoolCalendar(transfer_days=3))
    assert load_calendar(sender).transfer_days == 3
    assert sent.due_on(load_calendar(sender)) == plain.add_school_days(sent_on, 3)


def test_receipt_confirmed_on_a_day(sender, tmp_path):
    sent = export_handover(sender, tmp_path / "h.age", [add_incident(sender, tmp=tmp_path, files=0)])
    with pytest.raises(InvalidInput, match="in the future"):
        ho.mark_received(sender, sent.receipt_code, local_today() + timedelta(days=1))
    with pytest.raises(InvalidInput, match="before the handover was sent"):
        ho.mark_received(sender, sent.receipt_code, to_local_date(sent.at) - timedelta(days=1))
    # Back-date it to yesterday: recorded on that day.
    sender.repo(ho.Transfer).save(ho.Transfer(**{**sent.__dict__, "at": datetime.now(UTC) - timedelta(days=3)}))
    yesterday = local_today() - timedelta(days=1)
    transfer, newly = ho.mark_received(sender, sent.receipt_code, yesterday)
    assert newly and transfer.received_at == local_midnight(yesterday) and not transfer.pending


def test_cli_sets_terms_and_confirms_a_receipt(tmp_path, monkeypatch):
    from safedesk.cli.main import cli

    fast_crypt(monkeypatch)
    session = make_store(tmp_path / "store")
    sent = export_handover(session, tmp_path / "h.age", [add_incident(session, tmp=tmp_path, files=0)])
    session.close()
    secret = tmp_path / "pass"
    secret.write_text(PASSPHRASE + "\n")
    base = ["--store", str(tmp_path / "store"), "handover"]
    auth = ["--passphrase-file", str(secret)]
    result = CliRunner().invoke(cli, [*base, "terms", *auth])
    assert result.exit_code == 0 and "no term dates entered" in result.output
    result = CliRunner().invoke(
        cli, [*base, "terms", *auth, "--term", "02/09/2026", "18/12/2026", "--closure", "01/12/2026", "--days", "5"]
    )
    assert result.exit_code == 0, result.output
    assert (
        "weekdays in 1 term(s), and every weekday after 18/12/2026, less 1 closure day(s)" in result.output
        and "Term 02/09/2026 to 18/12/2026" in result.output
    )
    result = CliRunner().invoke(cli, [*base, "terms", *auth, "--term", "10/12/2026", "01/01/2027"])
    assert result.exit_code != 0 and "overlap" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(cli, [*base, "receipt", sent.receipt_code, "--on", "today", *auth])
    assert result.exit_code == 0 and "Marked received" in result.output
    result = CliRunner().invoke(cli, [*base, "list", *auth])
    assert "received" in result.output


async def test_settings_f3_sets_terms_with_errors_beside_fields(store_dir):
    from textual.widgets import Input, TextArea

    from safedesk.app import SafeDeskApp
    from safedesk.screens.settings import SettingsScreen
    from safedesk.store.engine.session import Session
    from safedesk.widgets.forms import FormDialog
    from tests.kit import SIZE, error_text, unlock

    make_store(store_dir).close()
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        assert "no term dates entered" in str(app.screen.query_one("#settings-terms").render())
        await pilot.press("f3")
        await pilot.pause()
        assert isinstance(app.screen, FormDialog)
        app.screen.query_one("#form-terms", TextArea).text = "02/09/2026 - 18/12/2026\n10/12/2026 to 26/03/2027"
        app.screen.query_one("#form-closures", Input).value = "01/12/2026"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "overlap" in error_text(app, "#error-terms")
        app.screen.query_one("#form-terms", TextArea).text = "02/09/2026 - 18/12/2026\n05/01/2027 to 26/03/2027"
        app.screen.query_one("#form-closures", Input).value = "01/12/2026, 31/13/2026"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "no such date" in error_text(app, "#error-closures")
        app.screen.query_one("#form-closures", Input).value = "01/12/2026"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        assert "weekdays in 2 term(s)" in str(app.screen.query_one("#settings-terms").render())
    with Session.open(store_dir, PASSPHRASE) as session:
        calendar = load_calendar(session)
        assert [t.starts for t in calendar.terms] == [date(2026, 9, 2), date(2027, 1, 5)] and calendar.closures == (
            date(2026, 12, 1),
        )
