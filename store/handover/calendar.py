"""School days: the clock a child protection file transfer is measured against.

KCSIE 2025 (Annex C, the designated safeguarding lead: "Information sharing and managing the
child protection file"): where children leave, the DSL should ensure their child protection
file is transferred to the new school or college as soon as possible, and within 5 days for
an in-year transfer or within the first 5 days of the start of a new term, separately from
the main pupil file, ensuring secure transit, and confirmation of receipt should be obtained.

Schools and local authorities count those days as school days, so SafeDesk does: a day is a
school day when it is Monday to Friday, inside one of the terms entered in Settings (every
weekday counts while no terms are entered, and after the last term entered, so a calendar
nobody has updated never stops the clock), and not a closure day (INSET days, bank holidays,
snow days).

The clock starts when the pupil LEFT, not when the file happens to be sent (KCSIE counts from
the leaving): a pupil who leaves in term time ("in-year") is due that many school days after
the day they left; one who leaves on the last school day of a term, or in a holiday, is due
within the first that-many school days of the next term entered in Settings. A transfer with
no leaving date recorded (a file for the LADO or police) is counted from the day it was sent.

Source: Department for Education, "Keeping children safe in education 2025: Statutory guidance
for schools and colleges" (2025 edition, published July 2025, in force from 1 September 2025),
Annex C; wording checked against the text quoted by Bristol Safeguarding in Education and
Devon County Council ("within 5 days for an in-year transfer or within the first 5 days of
the start of a new term").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import ClassVar

from safedesk.store.engine.records import Record, require
from safedesk.store.engine.session import Session
from safedesk.store.errors import InvalidInput
from safedesk.store.text.dates import DATE_FORMATS, parse_date, show_date

DEFAULT_TRANSFER_DAYS = 5
MAX_TRANSFER_DAYS = 30
MAX_TERMS = 30
MAX_CLOSURES = 200
_RANGE = re.compile(r"\s+(?:-|–|to)\s+|\s*–\s*", re.IGNORECASE)


@dataclass(kw_only=True)
class Term:
    starts: date
    ends: date


@dataclass(kw_only=True)
class SchoolCalendar(Record):
    """The school's terms and closure days, and the transfer clock in school days (one record)."""

    TABLE: ClassVar[str] = "school_calendar"

    terms: tuple[Term, ...] = ()
    closures: tuple[date, ...] = ()
    transfer_days: int = DEFAULT_TRANSFER_DAYS

    def validate(self) -> None:
        require(
            1 <= self.transfer_days <= MAX_TRANSFER_DAYS,
            f"The transfer clock is 1 to {MAX_TRANSFER_DAYS} school days (KCSIE: 5).",
            "transfer_days",
        )
        require(len(self.terms) <= MAX_TERMS, f"Enter at most {MAX_TERMS} terms.", "terms")
        require(len(self.closures) <= MAX_CLOSURES, f"Enter at most {MAX_CLOSURES} closure days.", "closures")
        for term in self.terms:
            require(
                term.starts <= term.ends,
                f"The term starting {term.starts:%d/%m/%Y} ends before it starts.",
                "terms",
            )
        ordered = sorted(self.terms, key=lambda t: t.starts)
        for before, after in zip(ordered, ordered[1:], strict=False):
            require(
                after.starts > before.ends,
                f"The terms starting {before.starts:%d/%m/%Y} and {after.starts:%d/%m/%Y} overlap.",
                "terms",
            )

    @property
    def described(self) -> str:
        """One line for screens and the CLI, saying plainly what counts as a school day."""
        if not self.terms:
            days = "Monday to Friday (no term dates entered, so holidays count as school days)"
        else:
            last = max(t.ends for t in self.terms)
            days = f"weekdays in {len(self.terms)} term(s), and every weekday after {last:%d/%m/%Y}"
        closures = f", less {len(self.closures)} closure day(s)" if self.closures else ""
        return f"Transfer clock: {self.transfer_days} school days. School days: {days}{closures}."

    def is_school_day(self, day: date) -> bool:
        if day.weekday() >= 5 or day in self.closures:
            return False
        if not self.terms or day > max(t.ends for t in self.terms):
            return True
        return any(t.starts <= day <= t.ends for t in self.terms)

    def add_school_days(self, start: date, count: int) -> date:
        """The `count`-th school day after `start` (start itself not counted)."""
        # Ends: past the last term every weekday that is not a closure counts, and closures are finite.
        day, found = start, 0
        while found < count:
            day += timedelta(days=1)
            if self.is_school_day(day):
                found += 1
        return day

    def transfer_due(self, left_on: date) -> date:
        """The last day for a child protection file of a pupil who left on `left_on`.

        In-year, the clock's school days after the day they left. At the end of a term or in a
        holiday the same count gives KCSIE's "within the first 5 days of the start of a new term":
        holidays are not school days, so the first school day counted is the new term's first."""
        return self.add_school_days(left_on, self.transfer_days)

    def school_days_between(self, start: date, end: date) -> int:
        """School days after `start` up to and including `end` (0 when end is not after start)."""
        days = (end - start).days
        return sum(1 for n in range(1, days + 1) if self.is_school_day(start + timedelta(days=n)))


def load_calendar(session: Session) -> SchoolCalendar:
    """The stored calendar, or the default (Monday to Friday, 5 school days) when none was saved."""
    return session.repo(SchoolCalendar).first() or SchoolCalendar()


def save_calendar(session: Session, calendar: SchoolCalendar) -> SchoolCalendar:
    current = session.repo(SchoolCalendar).first()
    calendar = SchoolCalendar(
        id=current.id if current else None,
        terms=tuple(sorted(calendar.terms, key=lambda t: t.starts)),
        closures=tuple(sorted(set(calendar.closures))),
        transfer_days=calendar.transfer_days,
    )
    repo = session.repo(SchoolCalendar)
    if calendar.id is None:
        return repo.add(calendar, summary="school terms and closures set")
    return repo.save(calendar, summary="school terms and closures changed")


def _dates(text: str, field: str) -> list[date]:
    found = []
    for part in text.replace(";", ",").replace("\n", ",").split(","):
        if part.strip():
            day = parse_date(part, field, relative=False)
            assert day is not None
            found.append(day)
    return found


def calendar_text(calendar: SchoolCalendar) -> tuple[str, str, str]:
    """The calendar as the settings form shows it: terms one per line, closures, the clock."""
    terms = "\n".join(f"{show_date(t.starts)} - {show_date(t.ends)}" for t in calendar.terms)
    return terms, ", ".join(show_date(d) for d in calendar.closures), str(calendar.transfer_days)


def parse_calendar(terms_text: str, closures_text: str, days_text: str) -> SchoolCalendar:
    """What was typed in the settings form; InvalidInput names the field ('terms', 'closures', 'transfer_days')."""
    terms = []
    for line in terms_text.replace(";", "\n").splitlines():
        if not line.strip():
            continue
        # "02/09/2026 - 18/12/2026" or "2026-09-02 to 2026-12-18": split on " - " or " to ".
        parts = [p for p in _RANGE.split(line.strip()) if p.strip()]
        if len(parts) != 2:
            raise InvalidInput(
                f"Write each term as its first and last day, e.g. 02/09/2026 - 18/12/2026 ({DATE_FORMATS}).", "terms"
            )
        starts, ends = (parse_date(p, "terms", required=True, relative=False) for p in parts)
        assert starts is not None and ends is not None
        terms.append(Term(starts=starts, ends=ends))
    days = days_text.strip() or str(DEFAULT_TRANSFER_DAYS)
    if not days.isdigit():
        raise InvalidInput(f"Type a number of school days from 1 to {MAX_TRANSFER_DAYS} (KCSIE: 5).", "transfer_days")
    calendar = SchoolCalendar(terms=tuple(terms), closures=tuple(_dates(closures_text, "closures")), transfer_days=int(days))
    calendar.validate()
    return calendar
