"""The history listed by the date each decision was given; the date of birth in the app and the 12+ note."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from textual.widgets import Input, Static

from safedesk.app import SafeDeskApp
from safedesk.cli.main import cli
from safedesk.screens.consents.check import CheckScreen
from safedesk.screens.consents.forms import PupilForm
from safedesk.screens.consents.pupil import PupilScreen
from safedesk.screens.consents.pupils import ConsentsScreen
from safedesk.store.consents.pupils import (
    ConsentChange,
    ConsentStatus,
    NeverPublish,
    Pupil,
    Purpose,
    add_pupil,
    format_date,
    get_pupil,
    record_consent,
    set_never_publish,
)
from safedesk.store.engine.session import Session
from safedesk.store.handover.summary import _pupil
from safedesk.widgets.common import FieldError
from safedesk.widgets.row_table import RowTable
from tests.kit import PASSPHRASE, current_day, settle

SIZE = (80, 24)
LAST_YEAR = current_day() - timedelta(days=300)
LAST_MONTH = current_day() - timedelta(days=30)


def error(screen, field: str) -> str:  # type: ignore[no-untyped-def]
    widget = screen.query_one(f"#error-{field}", FieldError)
    return str(widget.render()) if widget.has_class("shown") else ""


def change(purpose: Purpose, status: ConsentStatus, given_on: date) -> ConsentChange:
    return ConsentChange(purpose=purpose, status=status, given_on=given_on, recorded_at=datetime.now(UTC))


@pytest.fixture
def school(store_dir: Path) -> Path:
    """Amelia: a withdrawal last month recorded first, then last year's grant recorded after it."""
    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    amelia = add_pupil(session, Pupil(name="Amelia Smith", year_group="5", form="5B", mis_id="A1"))
    record_consent(session, amelia.id, [change(Purpose.WEBSITE, ConsentStatus.REFUSED, LAST_MONTH)])
    record_consent(session, amelia.id, [change(Purpose.WEBSITE, ConsentStatus.GRANTED, LAST_YEAR)])
    teen = add_pupil(
        session, Pupil(name="Tom Teen", year_group="8", form="8A", mis_id="A2", date_of_birth=date(current_day().year - 13, 1, 1))
    )
    record_consent(session, teen.id, [change(Purpose.WEBSITE, ConsentStatus.GRANTED, LAST_MONTH)])
    session.close()
    return store_dir


def test_history_is_ordered_by_the_date_given_then_the_time_recorded(school):
    session = Session.open(school, PASSPHRASE)
    pupil = get_pupil(session, 1)
    assert [c.status for c in pupil.consents] == [ConsentStatus.REFUSED, ConsentStatus.GRANTED]  # stored as recorded
    assert [c.given_on for c in pupil.history()] == [LAST_YEAR, LAST_MONTH]
    # Same day: the one recorded later comes later.
    record_consent(session, 1, [change(Purpose.PRINT, ConsentStatus.GRANTED, LAST_MONTH)])
    record_consent(session, 1, [change(Purpose.PRINT, ConsentStatus.REFUSED, LAST_MONTH)])
    assert [(c.purpose, c.status) for c in get_pupil(session, 1).history()][1:] == [
        (Purpose.WEBSITE, ConsentStatus.REFUSED),
        (Purpose.PRINT, ConsentStatus.GRANTED),
        (Purpose.PRINT, ConsentStatus.REFUSED),
    ]
    report = "\n".join(_pupil(get_pupil(session, 1)))
    assert report.index(f"given {format_date(LAST_YEAR)}") < report.index(f"given {format_date(LAST_MONTH)}")
    session.close()


def test_cli_show_lists_the_history_by_date_given(school, tmp_path):
    pw = tmp_path / "pw.txt"
    pw.write_text(PASSPHRASE + "\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["--store", str(school), "consents", "show", "A1", "--passphrase-file", str(pw)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    history = result.output.split("History")[1]
    assert history.index(f"granted on {format_date(LAST_YEAR)}") < history.index(f"refused on {format_date(LAST_MONTH)}")


async def open_pupil(app, pilot, name: str) -> PupilScreen:  # type: ignore[no-untyped-def]
    app.screen.query_one("#passphrase", Input).value = PASSPHRASE
    await pilot.press("enter")
    await settle(app, pilot)
    await app.push_screen(ConsentsScreen())
    await pilot.pause()
    await pilot.press("slash", *name, "enter", "enter")
    assert isinstance(app.screen, PupilScreen)
    return app.screen


async def test_pupil_screen_lists_newest_given_first_with_the_date_given(school):
    app = SafeDeskApp(school)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_pupil(app, pilot, "amelia")
        set_never_publish(app.session, 1, NeverPublish.ADOPTED, LAST_MONTH - timedelta(days=1))
        screen.show()
        history = screen.query_one("#pupil-history", RowTable)
        assert [r.cells[0] for r in history.rows] == [
            format_date(LAST_MONTH),
            format_date(LAST_MONTH - timedelta(days=1)),
            format_date(LAST_YEAR),
        ]
        assert history.rows[0].cells[2].startswith("refused") and history.rows[2].cells[2].startswith("granted")


async def test_date_of_birth_is_edited_in_the_pupil_form(school):
    app = SafeDeskApp(school)
    async with app.run_test(size=SIZE) as pilot:
        await open_pupil(app, pilot, "amelia")
        await pilot.press("e")
        form = app.screen
        assert isinstance(form, PupilForm)
        dob = form.query_one("#date_of_birth", Input)
        assert dob.value == ""
        dob.value = format_date(current_day() + timedelta(days=2))
        await pilot.press("ctrl+s")
        assert "future" in error(form, "date_of_birth")
        dob.value = "31/02/2014"
        await pilot.press("ctrl+s")
        assert "DD/MM/YYYY" in error(form, "date_of_birth")
        dob.value = "02/03/2014"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PupilScreen)
        assert get_pupil(app.session, 1).date_of_birth == date(2014, 3, 2)
        await pilot.press("e")
        assert app.screen.query_one("#date_of_birth", Input).value == "02/03/2014"


async def test_check_screen_notes_a_pupil_of_12_or_more(school):
    app = SafeDeskApp(school)
    async with app.run_test(size=SIZE) as pilot:
        await open_pupil(app, pilot, "amelia")
        await pilot.press("escape", "c")
        check = app.screen
        assert isinstance(check, CheckScreen)
        check.query_one("#check-channel").value = "website"
        await pilot.press(*"amelia", "enter")
        notes = check.query_one("#check-notes", Static)
        assert not notes.display
        await pilot.press(*"tom", "enter")
        await pilot.pause()
        assert notes.display
        assert (
            str(notes.render())
            == "Note: Tom Teen: 13 years old: can give their own view if competent (ICO); ask them if it has not been sought."
        )
        assert "STOP: 1 of 2" in str(check.query_one("#check-verdict").render())


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(2014, 3, 2), date(2026, 3, 1), 11),
        (date(2014, 3, 2), date(2026, 3, 2), 12),
        (date(2012, 2, 29), date(2024, 2, 28), 11),
        (date(2012, 2, 29), date(2024, 2, 29), 12),
        (date(2012, 2, 29), date(2025, 2, 28), 12),  # 13 only from 1 March in a year without 29 February
        (date(2012, 2, 29), date(2025, 3, 1), 13),
    ],
)
def test_age_is_whole_years_in_the_one_time_module(born, on, age):
    from safedesk.store.consents.check import own_view_note
    from safedesk.store.text.dates import age_on

    assert age_on(born, on) == age
    assert bool(own_view_note(born, on)) == (age >= 12)


def test_a_date_of_birth_arriving_in_a_later_file_is_stored_and_gives_the_note(school, tmp_path):
    pw = tmp_path / "pw.txt"
    pw.write_text(PASSPHRASE + "\n", encoding="utf-8")
    born = date(current_day().year - 12, 1, 1)
    path = tmp_path / "dob.csv"
    path.write_text(
        f"UPN,Name,Date of birth,Newsletter,Date given\r\nA1,Amelia Smith,{format_date(born)},yes,{format_date(current_day())}\r\n",
        encoding="utf-8",
    )

    def run(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(cli, ["--store", str(school), "consents", *args, "--passphrase-file", str(pw)])

    assert run("import", str(path), "--yes").exit_code == 0
    session = Session.open(school, PASSPHRASE)
    assert get_pupil(session, 1).date_of_birth == born
    session.close()
    result = run("check", "-p", "print", "A1")
    assert (
        result.exit_code == 0 and "Note: Amelia Smith: 12 years old: can give their own view if competent (ICO)" in result.output
    )
