"""Event-specific consent (a trip, a performance): its dates, its decisions in the order given, its check."""

from __future__ import annotations

from datetime import date, timedelta

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

TODAY = date.today()


def trip(session, name: str = "Year 6 Residential", start: int = -1, end: int = 2) -> ConsentEvent:  # type: ignore[no-untyped-def]
    return add_event(
        session, ConsentEvent(name=name, starts_on=TODAY + timedelta(days=start), ends_on=TODAY + timedelta(days=end))
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
    record_event_decisions(session, event.id, [a, b], EventStatus.GRANTED, TODAY - timedelta(days=20))
    record_event_decisions(session, event.id, [b], EventStatus.WITHDRAWN, TODAY - timedelta(days=3))
    # A slip dated before the withdrawal, recorded after it: history, never current.
    record_event_decisions(session, event.id, [b], EventStatus.GRANTED, TODAY - timedelta(days=10))
    record_event_decisions(session, event.id, [c], EventStatus.REFUSED, TODAY - timedelta(days=1))
    event = get_event(session, event.id)
    assert event.current()[b].status is EventStatus.WITHDRAWN
    assert [d.status for d in event.history(b)] == [EventStatus.GRANTED, EventStatus.GRANTED, EventStatus.WITHDRAWN]
    index = pupil_index(session)
    assert check_event(event, rows(session, a), index=index).passed
    result = check_event(event, rows(session, a, b, c), index=index)
    assert result.headline() == "STOP: 2 of 3 pupils are not cleared for Year 6 Residential."
    reasons = {v.name: v.reason for v in result.stops}
    assert reasons == {
        "Ben Jones": f"consent for Year 6 Residential withdrawn on {format_date(TODAY - timedelta(days=3))}",
        "Cara Lee": "consent for Year 6 Residential refused",
    }
    set_never_publish(session, a, NeverPublish.ADOPTED)
    assert check_event(event, rows(session, a)).stops[0].code == "never-publish"
    with pytest.raises(InvalidInput, match="future"):
        record_event_decisions(session, event.id, [a], EventStatus.GRANTED, TODAY + timedelta(days=1))
    with pytest.raises(InvalidInput, match="at least one pupil"):
        record_event_decisions(session, event.id, [], EventStatus.GRANTED, TODAY)


def test_outside_its_dates_the_event_consent_does_not_apply(session, pupils):
    a = pupils[0]
    event = trip(session, start=5, end=7)
    record_event_decisions(session, event.id, [a], EventStatus.GRANTED, TODAY)
    event = get_event(session, event.id)
    early = check_event(event, rows(session, a))
    assert not early.passed
    assert early.stops[0].reason.endswith(f"its consent does not apply on {format_date(TODAY)}")
    assert check_event(event, rows(session, a), today=TODAY + timedelta(days=7)).passed
    assert not check_event(event, rows(session, a), today=TODAY + timedelta(days=8)).passed


def test_the_consent_register_report_lists_each_event(session, pupils):
    a, b, _ = pupils
    event = trip(session)
    record_event_decisions(session, event.id, [a], EventStatus.GRANTED, TODAY)
    record_event_decisions(session, event.id, [b], EventStatus.REFUSED, TODAY)
    text = register_with_events(session).text
    assert "## Event consents" in text and "### Year 6 Residential" in text and "granted: 1, refused: 1, withdrawn: 0." in text
    assert f"| Amelia Smith | Year 6 | 6A | granted | {format_date(TODAY)} |" in text
    assert build_report(session, "consent-register", ReportParams()) == text


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(EventStatus)), st.integers(0, 30)), min_size=1, max_size=8))
def test_the_current_decision_is_the_latest_given_whatever_order_recorded(entries):
    from datetime import UTC, datetime

    from safedesk.store.consents.events import EventDecision

    decisions = tuple(
        EventDecision(pupil_id=1, status=s, given_on=TODAY - timedelta(days=d), recorded_at=datetime.now(UTC)) for s, d in entries
    )
    event = ConsentEvent(name="Play", starts_on=TODAY, ends_on=TODAY, decisions=decisions)
    latest_day = min(d for _, d in entries)
    expected = [s for s, d in entries if d == latest_day][-1]
    assert event.current()[1].status is expected
