"""Dates and times as a DSL types them, and as they are shown back.

Times are typed and shown in the laptop's local time and stored in UTC. A
court reads these records, so parsing is strict: a value either means one
moment or is refused with a message saying what was expected.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from safedesk.store.errors import InvalidInput

DATETIME_HELP = "a date and time like 21/11/2026 14:30 or 2026-11-21 14:30 (or now, today 09:15)"
# Short forms for field labels.
DATE_HINT = "e.g. 21/11/2026"
DATETIME_HINT = "e.g. now, or 21/11/2026 14:30"

DATE_FORMATS = "DD/MM/YYYY or YYYY-MM-DD, for example 01/09/2025"
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_WORDY = ("%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%d-%b-%y")
# A midnight time after an exported date: "01/09/2025 00:00", "2025-09-01T00:00:00Z".
_TIME_TAIL = re.compile(r"[ t]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(z|[+-]\d{2}:?\d{2})?$", re.I)
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")


def local_zone() -> tzinfo:
    zone = datetime.now().astimezone().tzinfo
    assert zone is not None
    return zone


def parse_date(
    text: str, field: str = "date", *, today: date | None = None, required: bool = False, relative: bool = True
) -> date | None:
    """A typed or imported date; None when blank (InvalidInput if `required`).

    Takes what people type and UK MIS exports write: 21/11/2026 (also - or . and a two-digit
    year), 2026-11-21 (with any time after it), 21 Nov 2026, 21-Nov-26; and, when `relative`,
    today and yesterday (never in imports, where a word would mean another day on re-import).
    """
    value = _TIME_TAIL.sub("", " ".join(text.strip().split())).lower()
    if not value:
        if required:
            raise InvalidInput(f"Enter a date ({DATE_FORMATS}).", field)
        return None
    today = today or datetime.now(local_zone()).date()
    if relative and value in ("today", "yesterday"):
        return today if value == "today" else today - timedelta(days=1)
    try:
        if match := _YMD.match(value):
            year, month, day = (int(g) for g in match.groups())
            return date(year, month, day)
        if match := _DMY.match(value):
            day, month, year = (int(g) for g in match.groups())
            return date(year + 2000 if year < 100 else year, month, day)
        for pattern in _WORDY:
            try:
                return datetime.strptime(value, pattern).date()
            except ValueError:
                continue
    except ValueError:
        raise InvalidInput(f"There is no such date as '{text.strip()}': {DATE_FORMATS}.", field) from None
    raise InvalidInput(f"Type the date as {DATE_FORMATS}.", field)


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
