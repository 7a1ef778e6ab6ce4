"""Dates and times as a DSL types them, and as they are shown back: the app's one time module.

Times are stored in UTC and typed and shown in the laptop's local time, converted
with the machine's IANA zone (zoneinfo; the tzdata package on Windows) for each
value, so a July time typed in November is stored in BST and shown back in BST.
No other module converts to or from local time. A court reads these records, so
parsing is strict: a value either means one moment or is refused with a message
saying what was expected (a time the clocks skipped is refused).
"""

from __future__ import annotations

import os
import re
import sys
import time as _time
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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


# Windows names its zones itself; the ones a UK school's laptop may carry, to IANA
# (from CLDR's windowsZones). Any other falls back to the system's own rules (SystemZone).
_WINDOWS_ZONES = {
    "GMT Standard Time": "Europe/London",
    "Greenwich Standard Time": "Atlantic/Reykjavik",
    "UTC": "UTC",
    "W. Europe Standard Time": "Europe/Berlin",
    "Romance Standard Time": "Europe/Paris",
    "Central Europe Standard Time": "Europe/Budapest",
    "Central European Standard Time": "Europe/Warsaw",
    "GTB Standard Time": "Europe/Bucharest",
    "FLE Standard Time": "Europe/Kiev",
    "Eastern Standard Time": "America/New_York",
    "Pacific Standard Time": "America/Los_Angeles",
}


class SystemZone(tzinfo):
    """The operating system's own local-time rules, asked per value (for a machine whose
    IANA zone cannot be named): never one fixed offset for every date."""

    def _offset(self, stamp: float) -> timedelta:
        try:
            return timedelta(seconds=_time.localtime(stamp).tm_gmtoff)
        except (OverflowError, OSError, ValueError):
            return timedelta(seconds=-_time.timezone)

    def utcoffset(self, dt: datetime | None) -> timedelta:
        if dt is None:
            return timedelta(seconds=-_time.timezone)
        try:
            stamp = _time.mktime((dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, dt.weekday(), 0, -1))
        except (OverflowError, OSError, ValueError):
            return timedelta(seconds=-_time.timezone)
        return self._offset(stamp)

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        return "local"

    def fromutc(self, dt: datetime) -> datetime:
        stamp = (dt.replace(tzinfo=None) - datetime(1970, 1, 1)).total_seconds()
        return dt + self._offset(stamp)


def _zone_name() -> str | None:
    """The machine's IANA zone name: $TZ, /etc/localtime's target, or Windows' zone mapped."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz:
        return tz
    if sys.platform == "win32":
        try:
            import winreg

            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"SYSTEM\CurrentControlSet\Control\TimeZoneInformation") as key:
                return _WINDOWS_ZONES.get(str(winreg.QueryValueEx(key, "TimeZoneKeyName")[0]).rstrip("\0"))
        except OSError:
            return None
    target = str(Path("/etc/localtime").resolve())
    return target.split("/zoneinfo/", 1)[1] if "/zoneinfo/" in target else None


def local_zone() -> tzinfo:
    """The machine's time zone with its full rules (summer time included)."""
    name = _zone_name()
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass  # a POSIX TZ string or a zone this machine lacks: the OS's own rules
    return SystemZone()


def local_today() -> date:
    """Today's date where the laptop is."""
    return datetime.now(local_zone()).date()


def to_local(value: datetime) -> datetime:
    """An aware time in local time, with the offset in force at that moment."""
    return value.astimezone(local_zone())


def local_midnight(day: date) -> datetime:
    """The UTC moment a local day begins (for "since" filters)."""
    return _from_local(datetime.combine(day, time(0, 0)), "date")


def _from_local(naive: datetime, field: str) -> datetime:
    """A local wall-clock time as aware UTC; refused if the clocks skipped it."""
    zone = local_zone()
    moment = naive.replace(tzinfo=zone).astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) != naive:
        raise InvalidInput(
            f"There was no {naive:%H:%M} on {naive:%d/%m/%Y} here: the clocks went forward. Check the time.", field
        )
    return moment


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
    now = to_local(now or datetime.now(UTC))
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
    return _from_local(datetime.combine(day, time(hour, minute)), field)


def show_datetime(value: datetime | None) -> str:
    """'21/11/2026 14:30' in local time, '' for None."""
    return to_local(value).strftime("%d/%m/%Y %H:%M") if value else ""


def show_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def age_on(born: date, day: date) -> int:
    """Whole years of age on `day`: a birthday on 29 February counts from 1 March in other years (as UK law has it)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def to_local_date(value: datetime) -> date:
    return to_local(value).date()


def show_datetime_with_offset(value: datetime | None, missing: str = "") -> str:
    """'21/07/2026 14:30 (UTC+01:00)': local time with the offset then in force, for a court."""
    if value is None:
        return missing
    local = to_local(value)
    offset = local.strftime("%z")
    return f"{local:%d/%m/%Y %H:%M} (UTC{offset[:3]}:{offset[3:]})"


def local_date_text(value: datetime, zone: tzinfo) -> str:
    """show_date for many values at once: the zone looked up once by the caller."""
    return value.astimezone(zone).strftime("%d/%m/%Y")
