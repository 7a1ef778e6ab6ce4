"""Dates and times as a DSL types them, and as they are shown back.

Times are typed and shown in the laptop's local time and stored in UTC. A
court reads these records, so parsing is strict: a value either means one
moment or is refused with a message saying what was expected.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from store.errors import InvalidInput

DATE_HELP = "a date like 21/11/2026 or 2026-11-21 (or today, yesterday)"
DATETIME_HELP = "a date and time like 21/11/2026 14:30 or 2026-11-21 14:30 (or now, today 09:15)"
# Short forms for field labels.
DATE_HINT = "e.g. 21/11/2026"
DATETIME_HINT = "e.g. now, or 21/11/2026 14:30"

_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")


def local_zone() -> tzinfo:
    zone = datetime.now().astimezone().tzinfo
    assert zone is not None
    return zone


def parse_date(text: str, field: str, *, today: date | None = None) -> date | None:
    """A typed date, or None when blank; InvalidInput(field) when it is not a date."""
    value = text.strip().lower()
    if not value:
        return None
    today = today or datetime.now(local_zone()).date()
    if value == "today":
        return today
    if value == "yesterday":
        return today - timedelta(days=1)
    match = _DMY.match(value)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
        match = _YMD.match(value)
        if match:
            year, month, day = (int(g) for g in match.groups())
            return date(year, month, day)
    except ValueError:
        raise InvalidInput(f"There is no such date as '{text.strip()}'.", field) from None
    raise InvalidInput(f"Type {DATE_HELP}.", field)


def parse_datetime(text: str, field: str, *, now: datetime | None = None) -> datetime | None:
    """A typed local date and time as an aware UTC datetime, or None when blank."""
    value = " ".join(text.strip().lower().replace(",", " ").split())
    if not value:
        return None
    zone = local_zone()
    now = (now or datetime.now(UTC)).astimezone(zone)
    if value == "now":
        return now.replace(second=0, microsecond=0).astimezone(UTC)
    parts = value.rsplit(" ", 1)
    if len(parts) != 2 or not _TIME.match(parts[1]):
        raise InvalidInput(f"Type {DATETIME_HELP}.", field)
    day = parse_date(parts[0], field, today=now.date())
    hour, minute = (int(g) for g in _TIME.match(parts[1]).groups())  # type: ignore[union-attr]
    if hour > 23 or minute > 59:
        raise InvalidInput(f"There is no such time as '{parts[1]}'.", field)
    assert day is not None
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


def show_datetime(value: datetime | None) -> str:
    """'21/11/2026 14:30' in local time, '' for None."""
    return value.astimezone(local_zone()).strftime("%d/%m/%Y %H:%M") if value else ""


def show_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def to_local_date(value: datetime) -> date:
    return value.astimezone(local_zone()).date()


def local_date_text(value: datetime, zone: tzinfo) -> str:
    """show_date for many values at once: the zone looked up once by the caller."""
    return value.astimezone(zone).strftime("%d/%m/%Y")
