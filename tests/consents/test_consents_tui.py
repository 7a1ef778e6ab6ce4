"""The consents screens driven with Pilot at 80x24: list, pupil, forms, check, import, export."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from textual.widgets import (
    Button,
    Input,
    OptionList,
    Select,
    SelectionList,
    Static,
)

from safedesk.app import SafeDeskApp
from safedesk.screens.consents.check import CheckScreen
from safedesk.screens.consents.expiring import ExpiringScreen
from safedesk.screens.consents.export import ExportDialog, default_path
from safedesk.screens.consents.forms import ConsentForm, NeverPublishForm, PupilForm
from safedesk.screens.consents.importer import ImportScreen
from safedesk.screens.consents.pupil import PupilScreen
from safedesk.screens.consents.pupils import ConsentsScreen, FilterDialog
from safedesk.store.consents.check import RULES_CARD
from safedesk.store.consents.pupils import (
    ConsentChange,
    ConsentStatus,
    NeverPublish,
    Pupil,
    Purpose,
    add_pupil,
    format_date,
    pupil_index,
    record_consent,
    set_never_publish,
)
from safedesk.store.engine.records import utcnow
from safedesk.store.engine.session import Session
from safedesk.widgets.common import FieldError
from safedesk.widgets.dialogs import ConfirmDialog
from safedesk.widgets.footer import Footer
from safedesk.widgets.row_table import RowTable
from tests.kit import PASSPHRASE, current_day, screen_text, settle

SIZE = (80, 24)
HOSTILE = "[@click=app.quit]Jack[/] [bold"


def granted(purpose: Purpose, **kw) -> ConsentChange:  # type: ignore[no-untyped-def]
    kw.setdefault("given_on", current_day() - timedelta(days=20))
    return ConsentChange(purpose=purpose, status=ConsentStatus.GRANTED, recorded_at=utcnow(), **kw)


@pytest.fixture
def school(store_dir: Path) -> Path:
    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    amelia = add_pupil(session, Pupil(name="Amelia Smith", preferred_name="Milly", year_group="5", form="5B", mis_id="A1"))
    record_consent(session, amelia.id, [granted(p, review_on=current_day() + timedelta(days=5)) for p in Purpose])
    ben = add_pupil(session, Pupil(name="Ben Jones", year_group="6", form="6A", mis_id="A2"))
    record_consent(session, ben.id, [granted(Purpose.WEBSITE)])
    set_never_publish(session, ben.id, NeverPublish.LOOKED_AFTER)
    add_pupil(session, Pupil(name=HOSTILE, year_group="5", form="5B", mis_id="A3"))
    zoe = add_pupil(session, Pupil(name="Zoë O'Brien", year_group="6", form="6A", mis_id="A4"))
    record_consent(
        session,
        zoe.id,
        [
            granted(
                Purpose.SOCIAL_MEDIA, given_on=current_day() - timedelta(days=400), review_on=current_day() - timedelta(days=2)
            )
        ],
    )
    session.close()
    return store_dir


async def open_consents(app, pilot) -> ConsentsScreen:  # type: ignore[no-untyped-def]
    app.screen.query_one("#passphrase", Input).value = PASSPHRASE
    await pilot.press("enter")
    await settle(app, pilot)
    await app.push_screen(ConsentsScreen())
    await pilot.pause()
    return app.screen


def names(screen) -> list[str]:  # type: ignore[no-untyped-def]
    table = screen.query_one("#pupil-table", RowTable)
    return [table.rows[i].cells[0] for i in range(table.row_count)]


def line_text(table: RowTable, y: int) -> str:
    return "".join(segment.text for segment in table.render_line(y))


def error(screen, field: str) -> str:  # type: ignore[no-untyped-def]
    widget = screen.query_one(f"#error-{field}", FieldError)
    return str(widget.render()) if widget.has_class("shown") else ""


def fits(screen) -> None:  # type: ignore[no-untyped-def]
    """Every widget inside the 80x24 screen (the footer scrolls its keys by design)."""
    for widget in screen.query("*"):
        if widget.display and widget.region.width and not any(isinstance(a, Footer) for a in widget.ancestors_with_self):
            assert widget.region.right <= SIZE[0] and widget.region.bottom <= SIZE[1], widget


async def test_list_search_filters_and_markup_names(school):
    app = SafeDeskApp(school)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_consents(app, pilot)
        fits(screen)
        assert sorted(names(screen)) == sorted(["Amelia Smith (Milly)", "Ben Jones", HOSTILE, "Zoë O'Brien"])
        table = screen.query_one("#pupil-table", RowTable)
        rendered = "\n".join(line_text(table, y) for y in range(5))
        assert HOSTILE in rendered and "Amelia Smith (Milly)" in rendered
        for y in range(1, 5):  # clicking each row, the hostile one included, runs nothing
            await pilot.click("#pupil-table", offset=(3, y + 1))
        assert app.is_running and isinstance(app.screen, ConsentsScreen)

        await pilot.press("slash", *"zoe")
        assert names(screen) == ["Zoë O'Brien"]
        await pilot.press("escape")
        assert len(names(screen)) == 4

        await pilot.press("n")
        assert names(screen) == ["Ben Jones"]
        await pilot.press("n", "f")
        assert isinstance(app.screen, FilterDialog)
        app.screen.query_one("#filter-purpose", Select).value = Purpose.SOCIAL_MEDIA.value
        app.screen.query_one("#filter-state", Select).value = "expired"
        await pilot.press("ctrl+s")
        assert app.screen is screen and names(screen) == ["Zoë O'Brien"]
        assert "official social media: expired" in str(screen.query_one("#consents-filters", Static).render())
        await pilot.press("f")
        app.screen.query_one("#filter-form", Select).value = "5B"
        await pilot.press("ctrl+r")
        assert len(names(screen)) == 4


def ticks(app: SafeDeskApp, label: str) -> list[str]:
    """The lines of the screen showing the tick box labelled `label`."""
    lines = [line for line in screen_text(app).splitlines() if label in line]
    assert lines, f"no tick box labelled {label!r} is shown"
    return lines


async def test_pupil_detail_and_recording_a_withdrawal(school):
    app = SafeDeskApp(school)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_consents(app, pilot)
        await pilot.press("slash", *"milly", "enter", "enter")
        assert isinstance(app.screen, PupilScreen)
        fits(app.screen)
        assert "NEVER" not in str(app.screen.query_one("#pupil-flag").render()) or not app.screen.query_one("#pupil-flag").display
        await pilot.press("w")
        form = app.screen
        assert isinstance(form, ConsentForm)
        # Nothing pre-ticked: the parent names what they withdraw. An unticked box is blank, not a grey X.
        assert form.query_one("#purposes", SelectionList).selected == []
        assert form.query_one("#status", Select).value == "refused"
        assert not any("X" in line.split(Purpose.SOCIAL_MEDIA.label)[0] for line in ticks(app, Purpose.SOCIAL_MEDIA.label))
        form.query_one("#purposes", SelectionList).select(Purpose.SOCIAL_MEDIA.value)
        await pilot.pause()
        assert all("X" in line.split(Purpose.SOCIAL_MEDIA.label)[0] for line in ticks(app, Purpose.SOCIAL_MEDIA.label))
        form.query_one("#given_by", Input).value = "[bold]Jo[/] Smith"
        form.query_one("#given_on", Input).value = format_date(current_day() - timedelta(days=1))
        await pilot.press("ctrl+s")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, PupilScreen)
        current = detail.query_one("#pupil-current", RowTable)
        social = next(r for r in current.rows if r.key == Purpose.SOCIAL_MEDIA.value)
        assert social.cells[1] == f"withdrawn {format_date(current_day() - timedelta(days=1))}"
        history = detail.query_one("#pupil-history", RowTable)
        assert history.row_count == 7 and history.rows[0].cells[2].startswith("refused")
        assert "[bold]Jo[/] Smith" in history.rows[0].cells[2]
        assert "[bold]Jo[/] Smith" in str(detail.query_one("#history-detail").render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        row = next(r for r in screen.query_one("#pupil-table", RowTable).rows if r.cells[0].startswith("Amelia"))
        assert row.cells[4] == "wdn"


async def test_consent_form_shows_errors_by_their_fields(school):
    app = SafeDeskApp(school)
    async with app.run_test(size=SIZE) as pilot:
        await open_consents(app, pilot)
        await pilot.press("slash", *"ben", "enter", "enter", "r")
        form = app.screen
        assert isinstance(form, ConsentForm)
        fits(form)
        await pilot.press("ctrl+s")
        assert "at least one purpose" in error(form, "purposes")
        form.query_one("#purposes", SelectionList).select(Purpose.PRINT.value)
        form.query_one("#given_on", Input).value = format_date(current_day() + timedelta(days=3))
        await pilot.press("ctrl+s")
        assert "future" in error(form, "given_on") and error(form, "purposes") == ""
        form.query_one("#given_on", Input).value = "31/02/2025"
        await pilot.press("ctrl+s")
        assert "DD/MM/YYYY" in error(form, "given_on")
        form.query_one("#given_on", Input).value = "01/09/2025"
        form.query_one("#review_on", Input).value = "01/08/2025"
        await pilot.press("ctrl+s")
        assert "before the date given" in error(form, "review_on")
        form.query_one("#review_on", Input).value = ""
        form.query_one("#parental_responsibility", Select).value = "no"
        form.query_one("#relationship", Input).value = "neighbour"
        await pilot.press("ctrl+s")
        assert "parental responsibility" in error(form, "parental_responsibility")
        await pilot.press("escape", "tab", "enter")  # changes typed: Discard
        assert isinstance(app.screen, PupilScreen)
        assert app.screen.query_one("#pupil-history", RowTable).row_count == 2  # nothing saved by the refused tries


async def test_never_publish_and_pupil_forms(school):
    app = SafeDeskApp(school)
    async with app.run_test(size=SIZE) as pilot:
        await open_consents(app, pilot)
        await pilot.press("slash", *"zoe", "enter", "enter", "n")
        form = app.screen
        assert isinstance(form, NeverPublishForm)
        await pilot.press("ctrl+s")
        assert "Choose a reason" in error(form, "reason")
        form.query_one("#reason", Select).value = NeverPublish.COURT_ORDER.value
        await pilot.press("ctrl+s")
        await pilot.pause()
        flag = app.screen.query_one("#pupil-flag", Static)
        assert flag.display and "NEVER PUBLISH (court order)" in str(flag.render())

        await pilot.press("e")
        edit = app.screen
        assert isinstance(edit, PupilForm)
        edit.query_one("#mis_id", Input).value = "A1"
        await pilot.press("ctrl+s")
        assert "Another pupil already has this MIS id" in error(edit, "mis_id")
        edit.query_one("#mis_id", Input).value = "A4"
        edit.query_one("#name", Input).value = ""
        await pilot.press("ctrl+s")
        assert "pupil's name" in error(edit, "name")
        await pilot.press("escape", "tab", "enter", "escape")  # discard the changes, then leave the pupil
        assert isinstance(app.screen, ConsentsScreen)

        await pilot.press("a")
        add = app.screen
        assert isinstance(add, PupilForm)
        add.query_one("#name", Input).value = "[/bold] Dan\x1b[2J Lee"
        add.query_one("#year_group", Input).value = "Y3"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PupilScreen)
        assert str(app.screen.query_one("#pupil-title").render()) == "[/bold] Dan[2J Lee"
        assert "Year 3" in str(app.screen.query_one("#pupil-facts").render())


async def test_check_screen_type_ahead_pass_stop_and_rules(school):
    app = SafeDeskApp(school)
    async with app.run_test(size=SIZE) as pilot:
        await open_consents(app, pilot)
        await pilot.press("c")
        check = app.screen
        assert isinstance(check, CheckScreen)
        fits(check)
        verdict = check.query_one("#check-verdict", Static)
        assert "Pick the pupils" in str(verdict.render())
        await pilot.press(*"amel")
        suggestions = check.query_one("#check-suggestions", OptionList)
        assert suggestions.option_count == 1
        await pilot.press("enter")
        assert "PASS: the pupil is cleared for official social media." in str(verdict.render()) and verdict.has_class("pass")
        assert check.query_one("#check-search", Input).value == ""
        await pilot.press(*"5b")
        await pilot.pause()
        assert [str(suggestions.get_option_at_index(i).prompt) for i in range(suggestions.option_count)] == [f"{HOSTILE}  Y5 5B"]
        await pilot.press("enter", *"ben", "enter", *"zoe", "enter")
        assert str(verdict.render()) == "STOP: 3 of 4 pupils are not cleared for official social media." and verdict.has_class(
            "stop"
        )
        picked = check.query_one("#check-picked", RowTable)
        reasons = {r.cells[0]: r.cells[2] for r in picked.rows}
        assert reasons == {
            "Amelia Smith (Milly)": "ok",
            HOSTILE: "no consent recorded",
            "Ben Jones": "on the never-publish list: no image, for any purpose",
            "Zoë O'Brien": f"consent expired (review date {format_date(current_day() - timedelta(days=2))})",
        }
        check.query_one("#check-channel", Select).value = "website"
        await pilot.pause()
        assert "school website" in str(verdict.render())
        picked.focus()
        await pilot.press("end", "delete", "delete", "delete")
        assert [r.cells[0] for r in picked.rows] == ["Amelia Smith (Milly)"]
        assert "PASS" in str(verdict.render())
        await pilot.press("f2")
        from safedesk.screens.guide import GuideScreen

        assert isinstance(app.screen, GuideScreen) and app.screen.current.id == RULES_CARD
        await pilot.press("escape")
        assert app.screen is check and app.is_running


async def test_import_screen_errors_mapping_preview_and_valid_only(school, tmp_path):
    bad = tmp_path / "book.xlsx"
    bad.write_bytes(b"PK\x03\x04" + bytes(100))
    odd = tmp_path / "odd.csv"
    odd.write_text("Learner,Photo OK\r\nNew Pupil,yes\r\nSecond Pupil,perhaps\r\n", encoding="utf-8")
    app = SafeDeskApp(school)
    async with app.run_test(size=SIZE) as pilot:
        await open_consents(app, pilot)
        await pilot.press("i")
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        fits(screen)
        await pilot.press(*str(tmp_path / "missing.csv"), "enter")
        assert "Cannot open the file" in error(screen, "path")
        screen.query_one("#import-path", Input).value = str(bad)
        await pilot.press("enter")
        assert "Excel workbook" in error(screen, "path")
        screen.query_one("#import-path", Input).value = str(odd)
        await pilot.press("enter")
        await settle(app, pilot)
        assert error(screen, "path") == ""
        assert "Cannot import yet" in str(screen.query_one("#import-preview").render())
        selects = list(screen.query(".map-row Select").results(Select))
        selects[0].value = "name"
        selects[1].value = "website"
        await settle(app, pilot)
        preview = str(screen.query_one("#import-preview").render())
        assert "New pupils: 1." in preview and "Rows with errors: 1" in preview
        errors = screen.query_one("#import-errors", RowTable)
        assert errors.display and errors.rows[0].cells[:2] == ("3", "Photo OK")
        assert screen.query_one("#import-all", Button).disabled
        valid = screen.query_one("#import-valid", Button)
        assert valid.display and not valid.disabled
        valid.press()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        app.screen.query_one("#yes", Button).press()
        await settle(app, pilot)
        assert isinstance(app.screen, ConsentsScreen)
        assert "New Pupil" in names(app.screen) and "Second Pupil" not in names(app.screen)


async def test_import_screen_single_purpose_file_with_an_on_screen_choice_and_a_regrant_confirmed(school, tmp_path):
    single = tmp_path / "arbor.csv"
    single.write_text("Student;UPN;Consent Given;Date\r\nNew Pupil;N1;Confirmed;01/09/2025\r\n", encoding="utf-8")
    app = SafeDeskApp(school)
    async with app.run_test(size=SIZE) as pilot:
        await open_consents(app, pilot)
        await pilot.press("i")
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        await pilot.press(*str(single), "enter")
        await settle(app, pilot)
        assert "does not say which consent" in str(screen.query_one("#import-preview").render())
        screen.query_one("#import-purpose", Select).value = Purpose.VIDEO.value
        await settle(app, pilot)
        assert "New pupils: 1." in str(screen.query_one("#import-preview").render())
        screen.query_one("#import-all", Button).press()
        await settle(app, pilot)
        assert isinstance(app.screen, ConsentsScreen)
    with Session.open(school, PASSPHRASE) as session:
        row = next(r for r in pupil_index(session).rows if r.mis_id == "N1")
        assert row.states[Purpose.VIDEO].status is ConsentStatus.GRANTED
        pupil_id = row.id
        change = ConsentChange(purpose=Purpose.VIDEO, status=ConsentStatus.REFUSED, given_on=date.today(), recorded_at=utcnow())
        record_consent(session, pupil_id, [change])
    newer = tmp_path / "newer.csv"
    newer.write_text(f"Student,UPN,Video,Date\r\nNew Pupil,N1,Granted,{format_date(date.today())}\r\n", encoding="utf-8")
    app = SafeDeskApp(school)
    async with app.run_test(size=SIZE) as pilot:
        await open_consents(app, pilot)
        await pilot.press("i")
        await pilot.press(*str(newer), "enter")
        await settle(app, pilot)
        screen = app.screen
        assert "would replace withdrawn on" in str(screen.query_one("#import-preview").render())
        screen.query_one("#import-all", Button).press()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)  # the one change that can turn STOP into PASS is asked for
        app.screen.query_one("#no", Button).press()
        await settle(app, pilot)
        assert app.screen is screen


async def test_expiring_and_export(school, tmp_path):
    app = SafeDeskApp(school)
    async with app.run_test(size=SIZE) as pilot:
        await open_consents(app, pilot)
        await pilot.press("x")
        expiring = app.screen
        assert isinstance(expiring, ExpiringScreen)
        fits(expiring)
        table = expiring.query_one("#expiring-table", RowTable)
        assert table.rows[0].cells[1:3] == ("2 days ago", "Zoë O'Brien") and table.row_count == 7
        await pilot.press("enter")
        assert isinstance(app.screen, PupilScreen)
        await pilot.press("escape", "escape", "p")
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        target = tmp_path / "np.md"
        dialog.query_one("#path", Input).value = str(target)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, ConsentsScreen)
        assert "Ben Jones" in target.read_text(encoding="utf-8")
        await pilot.press("p")
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "already exists" in error(app.screen, "path")
        app.screen.query_one("#path", Input).value = str(default_path("never-publish"))
        app.screen.query_one("#export-kind", Select).value = "cleared:website"
        await pilot.pause()
        assert app.screen.query_one("#path", Input).value == str(default_path("cleared:website"))  # follows the list
        app.screen.query_one("#path", Input).value = str(tmp_path / "web.md")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "Amelia Smith" in (tmp_path / "web.md").read_text(encoding="utf-8")


async def test_home_counts_expiring_consents(school):
    from safedesk.screens.home import HomeScreen

    app = SafeDeskApp(school)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#passphrase", Input).value = PASSPHRASE
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, HomeScreen)
        attention = app.screen.query_one("#attention", OptionList)
        texts = [str(attention.get_option_at_index(i).prompt) for i in range(attention.option_count)]
        assert "[OVERDUE] 1 image consent (1 pupil) expired: renew them or treat them as not given." in texts
        assert "[DUE SOON] 6 image consents (1 pupil) expire within 30 days." in texts
        assert not any("Amelia" in t or "Zoë" in t for t in texts)


async def test_the_list_footer_follows_the_keys(school):
    app = SafeDeskApp(school)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_consents(app, pilot)
        await settle(app, pilot)
        footer = screen.query_one(Footer)
        shown = [k.key for k in footer.keys]
        assert {"f", "c", "i", "x", "p", "escape", "f1"} <= set(shown)
        await pilot.press("slash")  # letters typed into the search are text: their keys leave the footer
        await settle(app, pilot)
        typing = [k.key for k in footer.keys]
        assert "f" not in typing and "c" not in typing and "escape" in typing
        await pilot.press("tab")
        await settle(app, pilot)
        assert [k.key for k in footer.keys] == shown
