"""The child's chronology: every incident, entry and consent decision about one pupil, in date order."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner

from safedesk.store.consents import pupils as consents
from safedesk.store.consents.describe import resolve_pupil
from safedesk.store.errors import InvalidInput
from safedesk.store.features import default_registry
from safedesk.store.incidents.log import IncidentLog
from safedesk.store.incidents.records import Escalation, Incident, Person
from safedesk.store.registry import ReportParams
from safedesk.store.reports.chronology import pupil_chronology
from safedesk.store.text.dates import local_midnight
from tests.kit import PASSPHRASE, add_pupil, make_store


@pytest.fixture
def session(tmp_path):  # type: ignore[no-untyped-def]
    session = make_store(tmp_path / "store")
    yield session
    session.close()


def _incident(session, pupil_id: int | None, title: str, occurred: datetime | None, reported: datetime) -> Incident:  # type: ignore[no-untyped-def]
    people = (Person(name="Amelia Smith", role="pupil", involvement="victim", pupil_id=pupil_id),)
    return IncidentLog(session).create(
        Incident(title=title, reported_at=reported, occurred_at=occurred, reported_by="Office", people=people)
    )


def test_items_are_in_the_order_they_happened_with_refs(session) -> None:  # type: ignore[no-untyped-def]
    pupil = add_pupil(session)
    other = add_pupil(session, "Ben Jones", "B999")
    now = datetime.now(UTC)
    # Recorded first, but happened later than the second incident.
    later = _incident(session, pupil.id, "Later incident", now - timedelta(days=2), now - timedelta(days=2))
    earlier = _incident(session, pupil.id, "Earlier incident", now - timedelta(days=10), now - timedelta(days=9))
    _incident(session, other.id, "Someone else", now - timedelta(days=5), now - timedelta(days=5))
    _incident(session, None, "Unlinked same name", now - timedelta(days=5), now - timedelta(days=5))
    log = IncidentLog(session)
    log.add_note(earlier.id or 0, "Spoke to the pupil")
    # Back-dated: the call was eight days ago, logged now.
    log.escalate(Escalation(incident_id=earlier.id or 0, target="social_care", at=now - timedelta(days=8)))

    items = pupil_chronology(session, pupil.id)
    texts = [(i.kind, i.ref) for i in items]
    assert [i.happened for i in items] == sorted(i.happened for i in items)
    refs = {i.ref for i in items if i.ref}
    assert refs == {earlier.ref, later.ref}  # neither the other pupil's nor the unlinked one
    first_incident = texts.index(("incident", earlier.ref))
    escalation = texts.index(("escalation", earlier.ref))
    second_incident = texts.index(("incident", later.ref))
    note = texts.index(("note", earlier.ref))
    assert first_incident < escalation < second_incident < note  # the note was written today
    assert items[escalation].back_dated and not items[note].back_dated
    consent_items = [i for i in items if i.kind == "consent"]
    assert len(consent_items) == 2 and all(i.ref == "" for i in consent_items)
    assert "action_done" not in {i.kind for i in items}


def test_same_moment_keeps_the_recording_order(session) -> None:  # type: ignore[no-untyped-def]
    pupil = add_pupil(session)
    incident = _incident(session, pupil.id, "One", None, datetime.now(UTC) - timedelta(hours=1))
    log = IncidentLog(session)
    for n in range(5):
        log.add_note(incident.id or 0, f"note {n}")
    notes = [i.text for i in pupil_chronology(session, pupil.id) if i.kind == "note"]
    assert notes == [f"note {n}" for n in range(5)]


def test_same_day_orders_by_time_and_date_only_first(session) -> None:  # type: ignore[no-untyped-def]
    pupil = add_pupil(session)
    day = date.today() - timedelta(days=3)
    start = local_midnight(day)
    _incident(session, pupil.id, "Afternoon", start + timedelta(hours=15), start + timedelta(hours=16))
    _incident(session, pupil.id, "Morning", start + timedelta(hours=9), start + timedelta(hours=16))
    change = consents.ConsentChange(
        purpose=consents.Purpose.PRESS,
        status=consents.ConsentStatus.GRANTED,
        given_by="Jo Smith",
        relationship="mother",
        parental_responsibility=True,
        given_on=day,
        recorded_at=datetime.now(UTC),
    )
    consents.record_consent(session, pupil.id, [change])
    same_day = [i for i in pupil_chronology(session, pupil.id) if i.day_text == f"{day:%d/%m/%Y}"]
    assert [i.kind for i in same_day] == ["consent", "incident", "incident"]
    assert "Morning" in same_day[1].text and "Afternoon" in same_day[2].text
    assert same_day[0].back_dated and same_day[0].time_text == ""


def test_a_withdrawal_reads_withdrawn(session) -> None:  # type: ignore[no-untyped-def]
    pupil = add_pupil(session)
    change = consents.ConsentChange(
        purpose=consents.Purpose.WEBSITE,
        status=consents.ConsentStatus.REFUSED,
        given_by="Jo Smith",
        recorded_at=datetime.now(UTC),
    )
    consents.record_consent(session, pupil.id, [change])
    words = [i.text for i in pupil_chronology(session, pupil.id) if "school website" in i.text]
    assert [w.split(": ")[1].split(",")[0] for w in words] == ["granted", "withdrawn"]


def test_pupil_found_by_mis_id_name_and_preferred_name(session) -> None:  # type: ignore[no-untyped-def]
    pupil = add_pupil(session)
    assert resolve_pupil(session, "a1234") == pupil.id
    assert resolve_pupil(session, "  amelia   SMITH ") == pupil.id
    assert resolve_pupil(session, "Milly Smith") == pupil.id
    with pytest.raises(InvalidInput, match="No pupil in this store matches 'Nobody'"):
        resolve_pupil(session, "Nobody")
    add_pupil(session, "Amelia Smith", "A7777")
    with pytest.raises(InvalidInput) as error:
        resolve_pupil(session, "Amelia Smith")
    message = str(error.value)
    assert "2 pupils match" in message and "MIS id A1234" in message and "MIS id A7777" in message and "\n" not in message


def test_report_escapes_text_and_marks_back_dated(session) -> None:  # type: ignore[no-untyped-def]
    pupil = add_pupil(session)
    incident = _incident(session, pupil.id, "[click](http://x) <b>|</b>", None, datetime.now(UTC) - timedelta(hours=1))
    IncidentLog(session).escalate(
        Escalation(incident_id=incident.id or 0, target="lado", at=datetime.now(UTC) - timedelta(minutes=50))
    )
    markdown = default_registry().build_report(session, "chronology", ReportParams(pupil="A1234"))
    assert "\\[click\\]" in markdown and "\\<b\\>\\|\\</b\\>" in markdown
    assert "back-dated: recorded" in markdown and incident.ref in markdown
    with pytest.raises(InvalidInput, match="Name the pupil"):
        default_registry().build_report(session, "chronology", ReportParams())


def test_cli_exports_the_chronology(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from safedesk.cli.main import cli

    session = make_store(tmp_path / "store")
    pupil = add_pupil(session)
    _incident(session, pupil.id, "Unkind messages", None, datetime.now(UTC) - timedelta(hours=1))
    add_pupil(session, "Amelia Smith", "A7777")
    session.close()
    secret = tmp_path / "pass"
    secret.write_text(PASSPHRASE + "\n")
    base = ["--store", str(tmp_path / "store"), "export", "chronology", "--passphrase-file", str(secret)]
    out = tmp_path / "chrono.html"
    result = CliRunner().invoke(cli, [*base, "--pupil", "A1234", "--out", str(out), "--html"])
    assert result.exit_code == 0, result.output
    assert "Unkind messages" in out.read_text() and "INC-" in out.read_text()
    result = CliRunner().invoke(cli, [*base, "--pupil", "Amelia Smith", "--out", str(tmp_path / "x.md")])
    assert result.exit_code != 0 and "Use the MIS id" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    result = CliRunner().invoke(cli, [*base, "--pupil", "Zed", "--out", str(tmp_path / "y.md")])
    assert result.exit_code != 0 and "No pupil in this store matches 'Zed'" in result.output


async def test_reports_screen_asks_for_the_pupil(store_dir, tmp_path):
    from textual.widgets import OptionList

    from safedesk.app import SafeDeskApp
    from safedesk.screens.reports import ReportsScreen
    from safedesk.widgets.card_view import CardView
    from tests.kit import SIZE, error_text, settle, unlock

    session = make_store(store_dir)
    pupil = add_pupil(session)
    _incident(session, pupil.id, "Screen case [bold]", None, datetime.now(UTC) - timedelta(hours=1))
    add_pupil(session, "Amelia Smith", "A7777")
    session.close()
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        await pilot.press("r")
        screen = app.screen
        assert isinstance(screen, ReportsScreen)
        options = screen.query_one("#report-list", OptionList)
        options.highlighted = next(
            i for i in range(options.option_count) if "chronology" in str(options.get_option_at_index(i).prompt)
        )
        await pilot.press("enter")
        app.screen.query_one("#form-pupil").value = "Amelia Smith"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "Use the MIS id" in error_text(app, "#error-pupil")
        app.screen.query_one("#form-pupil").value = "A1234"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        shown = " ".join(screen.query_one(CardView).plain_text().split())
        assert "Chronology: Amelia Smith (Milly)" in shown and "[bold]" in shown
