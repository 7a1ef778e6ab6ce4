"""Times in a court-facing chronology: stored in UTC, typed and shown with the zone rules in
force at that moment (BST in summer, GMT in winter), whatever the date today is."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import pytest

from safedesk.store.errors import InvalidInput
from safedesk.store.text import dates

# The moment of typing: one in winter, one in summer, so no result can depend on today's offset.
WINTER_NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SUMMER_NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["iana", "system-rules"])
def london(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """TZ=Europe/London, through zoneinfo or (a machine whose zone has no IANA name) the OS's rules."""
    monkeypatch.setenv("TZ", "Europe/London")
    if hasattr(time, "tzset"):
        time.tzset()
    if request.param == "system-rules":
        if not hasattr(time, "tzset"):
            pytest.skip("the OS rules follow TZ only where time.tzset exists")
        monkeypatch.setattr(dates, "_zone_name", lambda: None)
    yield
    monkeypatch.undo()
    if hasattr(time, "tzset"):
        time.tzset()


@pytest.mark.parametrize("now", [WINTER_NOW, SUMMER_NOW], ids=["typed-in-winter", "typed-in-summer"])
@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("15/07/2026 14:30", datetime(2026, 7, 15, 13, 30, tzinfo=UTC)),  # BST
        ("15/01/2026 14:30", datetime(2026, 1, 15, 14, 30, tzinfo=UTC)),  # GMT
        # Spring forward, 29 March 2026 01:00 GMT -> 02:00 BST.
        ("29/03/2026 00:30", datetime(2026, 3, 29, 0, 30, tzinfo=UTC)),
        ("29/03/2026 02:30", datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
        # Fall back, 25 October 2026 02:00 BST -> 01:00 GMT: 01:30 happens twice (the first is taken).
        ("25/10/2026 00:30", datetime(2026, 10, 24, 23, 30, tzinfo=UTC)),
        ("25/10/2026 01:30", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
        ("25/10/2026 02:30", datetime(2026, 10, 25, 2, 30, tzinfo=UTC)),
    ],
)
def test_typed_local_time_is_stored_with_the_offset_of_its_own_date(london, now, typed, stored):
    assert dates.parse_datetime(typed, "at", now=now) == stored


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        (datetime(2026, 7, 15, 13, 30, tzinfo=UTC), "15/07/2026 14:30"),
        (datetime(2026, 1, 15, 14, 30, tzinfo=UTC), "15/01/2026 14:30"),
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "29/03/2026 00:59"),
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "29/03/2026 02:00"),
        (datetime(2026, 10, 25, 0, 59, tzinfo=UTC), "25/10/2026 01:59"),
        (datetime(2026, 10, 25, 1, 0, tzinfo=UTC), "25/10/2026 01:00"),
    ],
)
def test_stored_time_is_shown_with_the_offset_of_its_own_date(london, stored, shown):
    assert dates.show_datetime(stored) == shown


def test_court_text_carries_the_offset_then_in_force(london):
    from safedesk.store.handover.summary import when

    assert when(datetime(2026, 7, 15, 13, 30, tzinfo=UTC)) == "15/07/2026 14:30 (UTC+01:00)"
    assert when(datetime(2026, 1, 15, 14, 30, tzinfo=UTC)) == "15/01/2026 14:30 (UTC+00:00)"


def test_a_time_the_clocks_skipped_is_refused(london):
    with pytest.raises(InvalidInput, match="clocks went forward"):
        dates.parse_datetime("29/03/2026 01:30", "at", now=WINTER_NOW)


def test_a_local_day_starts_at_its_own_midnight(london):
    assert dates.local_midnight(date(2026, 7, 15)) == datetime(2026, 7, 14, 23, 0, tzinfo=UTC)
    assert dates.local_midnight(date(2026, 1, 15)) == datetime(2026, 1, 15, 0, 0, tzinfo=UTC)


def test_the_machine_zone_is_named_when_it_can_be(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/London")
    assert str(dates.local_zone()) == "Europe/London"
    monkeypatch.setenv("TZ", "GMT0BST,M3.5.0/1,M10.5.0")  # a POSIX rule, not a zone name
    assert isinstance(dates.local_zone(), dates.SystemZone)


def test_no_module_but_the_time_module_converts_to_local_time():
    """One time module: a bare astimezone() (or a fixed offset taken from now) elsewhere is the bug this replaced."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in [*root.glob("store/**/*.py"), *root.glob("tui/**/*.py"), *root.glob("screens/**/*.py")]:
        if path.name == "dates.py" and path.parent.name == "text":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"\.astimezone\(\)|time\.localtime|fromtimestamp\(|date\.today\(\)|\.utcoffset\(", text):
            offenders.append(str(path.relative_to(root)))
    assert offenders == []
