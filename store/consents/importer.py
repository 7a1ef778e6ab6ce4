"""Importing pupils and consents from a MIS export (CSV), with a preview first.

    plan = plan_import(session, data, "consents.csv", mapping={"Legal Surname": "surname"})
    print("\\n".join(plan.summary_lines()), *plan.errors, sep="\\n")
    apply_import(session, plan, valid_only=False)     # refused while any row has an error

Reading: UTF-8 with or without a BOM (Excel's "CSV UTF-8"), or Windows-1252 (Excel's
plain "CSV") with a notice; Windows or Unix line endings; Excel quoting. A workbook,
a binary file or a file split by semicolons or tabs is refused with a sentence
saying what it is and how to save it as CSV.

Matching: a row is the same pupil as a stored one by MIS id, else by full name. A
re-import of the same file changes nothing; blank cells never erase what is stored.
Row numbers in errors are as a spreadsheet shows them: the header is line 1.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from safedesk.store.consents.pupils import (
    ChildView,
    ConsentChange,
    ConsentStatus,
    FlagChange,
    NeverPublish,
    Pupil,
    PupilIndex,
    Purpose,
    count_of,
    get_pupil,
    name_key,
    normalise_year,
    parse_date,
    pupil_documents,
    pupil_index,
)
from safedesk.store.engine.records import utcnow
from safedesk.store.errors import InvalidInput, NotAllowed
from safedesk.store.text.clean import clean_text

if TYPE_CHECKING:
    from safedesk.store.engine.session import Session

MAX_BYTES = 20 * 1024 * 1024
T = TypeVar("T")


class NotCsv(InvalidInput):
    """The file cannot be read as a CSV table at all."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "file")


@dataclass(frozen=True)
class Column:
    key: str
    meaning: str
    values: str
    aliases: tuple[str, ...] = ()


PURPOSE_COLUMNS: dict[str, Purpose] = {
    "website": Purpose.WEBSITE,
    "social_media": Purpose.SOCIAL_MEDIA,
    "print": Purpose.PRINT,
    "press": Purpose.PRESS,
    "video": Purpose.VIDEO,
    "displays": Purpose.DISPLAYS,
}
_STATUS_VALUES = "granted, refused or not asked (also yes/no, given/declined, withdrawn); blank: unchanged"

COLUMNS: tuple[Column, ...] = (
    Column(
        "name",
        "Pupil's full name. Needed, unless forename and surname are given.",
        "text",
        ("pupil", "pupil name", "student", "student name", "full name", "legal name", "child", "child name"),
    ),
    Column(
        "forename",
        "First name (joined with surname when there is no name column).",
        "text",
        ("first name", "firstname", "legal forename", "given name", "forenames"),
    ),
    Column("surname", "Last name.", "text", ("last name", "lastname", "legal surname", "family name")),
    Column(
        "preferred_name",
        "The name the pupil goes by, if different.",
        "text",
        ("preferred forename", "preferred first name", "known as", "chosen name"),
    ),
    Column(
        "year_group",
        "Year group: 5, Y5, Year 5, R, Reception, N, Nursery.",
        "text",
        ("year", "nc year", "curriculum year", "national curriculum year", "year group name"),
    ),
    Column(
        "form",
        "Class or form group.",
        "text",
        ("class", "class name", "reg", "reg group", "registration group", "tutor group", "form group", "reg form"),
    ),
    Column(
        "mis_id",
        "The MIS's id for the pupil (UPN, admission number...). Matches re-imports reliably.",
        "text",
        ("upn", "admission number", "admission no", "adno", "pupil id", "student id", "mis ref", "arbor id", "sims id"),
    ),
    Column("left_on", "Date the pupil left, if they have.", "date", ("leaving date", "date of leaving", "left", "date left")),
    Column("website", "Consent for the school website.", _STATUS_VALUES, ("school website", "web site", "web")),
    Column(
        "social_media",
        "Consent for the school's official social media.",
        _STATUS_VALUES,
        ("official social media", "social", "social networking", "facebook"),
    ),
    Column(
        "print",
        "Consent for newsletters, the prospectus and other print.",
        _STATUS_VALUES,
        ("newsletter", "newsletters", "newsletters print", "newsletters and print", "prospectus", "printed materials"),
    ),
    Column(
        "press",
        "Consent for the press and other media.",
        _STATUS_VALUES,
        ("press media", "press and media", "media", "newspaper", "local press"),
    ),
    Column(
        "video",
        "Consent for video and livestreams.",
        _STATUS_VALUES,
        ("video livestream", "video and livestream", "livestream", "live stream", "filming"),
    ),
    Column(
        "displays",
        "Consent for displays inside school.",
        _STATUS_VALUES,
        ("internal displays", "display", "school displays", "display boards"),
    ),
    Column(
        "given_by",
        "Who gave or refused consent (name).",
        "text",
        ("consent given by", "parent", "parent name", "parent carer", "contact", "contact name", "respondent"),
    ),
    Column(
        "relationship",
        "Their relationship to the pupil (mother, carer, social worker, pupil...).",
        "text",
        ("relation", "relationship to pupil", "contact relationship"),
    ),
    Column(
        "parental_responsibility",
        "Whether they have parental responsibility.",
        "yes or no; blank: not recorded",
        ("parental responsibility", "pr", "has parental responsibility"),
    ),
    Column(
        "child_view",
        "The pupil's own view, for pupils old enough (12+ and competent).",
        "agrees, objects or not sought",
        ("childs view", "pupils view", "pupil view", "child view", "pupil agrees"),
    ),
    Column(
        "given_on",
        "Date consent was given or refused (not in the future).",
        "date",
        ("date given", "consent date", "date of consent", "response date", "signed on", "date signed"),
    ),
    Column(
        "recorded_how",
        "How it was recorded: paper form reference, parent app, email...",
        "text",
        ("how recorded", "recorded via", "method", "form reference", "form ref"),
    ),
    Column(
        "review_on",
        "Review or expiry date: the last day the consent holds (not before the date given).",
        "date",
        ("review date", "expiry date", "expires", "expiry", "valid until", "review by"),
    ),
    Column(
        "never_publish",
        "Never publish any image: the reason category.",
        "looked after, adopted, court order, safeguarding, parental request, other (yes = other); blank: unchanged",
        ("do not publish", "never publish reason", "no photos", "do not photograph"),
    ),
)
COLUMN_KEYS = tuple(c.key for c in COLUMNS)


def header_key(text: str) -> str:
    """A header compared loosely: case, spaces, _ - . / and apostrophes ignored."""
    text = text.replace("\ufeff", "").casefold().replace("'", "").replace("\u2019", "")
    return " ".join(re.sub(r"[_\-./()]+", " ", text).split())


_ALIASES: dict[str, str] = {}
for _column in COLUMNS:
    for _alias in (_column.key, *_column.aliases):
        _ALIASES[header_key(_alias)] = _column.key


def guess_columns(headers: Sequence[str]) -> dict[str, str | None]:
    """For each header of a file, the column it is taken as (None: ignored)."""
    return {h: _ALIASES.get(header_key(h)) for h in headers}


def parse_map_options(values: Sequence[str]) -> dict[str, str]:
    """`--map "Legal Surname=surname"` options as {file header: column}."""
    mapping: dict[str, str] = {}
    for value in values:
        header, sep, column = value.rpartition("=")
        header, column = header.strip(), header_key(column).replace(" ", "_")
        if not sep or not header:
            raise InvalidInput('Write each --map as "Header in the file=column", e.g. --map "Legal Surname=surname".', "map")
        if column not in COLUMN_KEYS and column != "ignore":
            raise InvalidInput(f"--map: unknown column '{column}'. Columns: {', '.join(COLUMN_KEYS)} (or ignore).", "map")
        mapping[header] = column
    return mapping


# --------------------------------------------------------------------- values

_GRANTED = {
    "granted",
    "yes",
    "y",
    "given",
    "consent given",
    "consented",
    "agreed",
    "agree",
    "true",
    "1",
    "allowed",
    "ok",
    "✓",
    "✔",
}
_REFUSED = {
    "refused",
    "no",
    "n",
    "declined",
    "not given",
    "consent refused",
    "false",
    "0",
    "denied",
    "withdrawn",
    "not allowed",
    "✗",
    "✘",
}
_NOT_ASKED = {"not asked", "not-asked", "unknown", "pending", "awaiting", "no response", "not returned", "not known", "tbc"}
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}
_VIEWS = {
    **dict.fromkeys(("agrees", "agree", "yes", "y", "happy"), ChildView.AGREES),
    **dict.fromkeys(("objects", "object", "no", "n", "refuses", "does not agree", "not happy"), ChildView.OBJECTS),
    **dict.fromkeys(("not sought", "not-sought", "not asked", "n/a", "na", "too young"), ChildView.NOT_SOUGHT),
}
_NEVER = {
    **dict.fromkeys(
        ("looked after", "looked-after", "lac", "cla", "looked after child", "child looked after"), NeverPublish.LOOKED_AFTER
    ),
    **dict.fromkeys(("adopted", "adoption"), NeverPublish.ADOPTED),
    **dict.fromkeys(("court order", "court-order", "court"), NeverPublish.COURT_ORDER),
    **dict.fromkeys(("safeguarding",), NeverPublish.SAFEGUARDING),
    **dict.fromkeys(("parental request", "parental-request", "parent request", "parent"), NeverPublish.PARENTAL_REQUEST),
    **dict.fromkeys(("other", "yes", "y", "true", "1"), NeverPublish.OTHER),
}
_NEVER_NO = {"no", "n", "false", "0", "none"}


def _value_key(value: str) -> str:
    return " ".join(value.casefold().split())


def _shown(value: str) -> str:
    """A cell quoted in an error (status words and dates, never names), kept short."""
    value = clean_text(value)
    return value if len(value) <= 24 else value[:23] + "…"


# --------------------------------------------------------------------- reading the file


@dataclass(frozen=True)
class RowError:
    line: int
    column: str  # the file's header for the cell at fault; "" for the whole row
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: " + (f"{self.column}: " if self.column else "") + self.message


@dataclass
class CsvTable:
    headers: list[str]
    columns: dict[str, str]  # column key -> the file's header it comes from
    ignored: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (line, {column key: cleaned value})
    errors: list[RowError]
    notices: list[str]


def decode(data: bytes) -> tuple[str, list[str]]:
    """The file's text, or NotCsv saying what the file is instead."""
    if not data.strip():
        raise NotCsv("The file is empty.")
    if len(data) > MAX_BYTES:
        raise NotCsv(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB: that is not a pupil list.")
    if data.startswith(b"PK\x03\x04"):
        raise NotCsv("This is an Excel workbook (or another zip file), not CSV: in Excel use File > Save As > 'CSV UTF-8'.")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise NotCsv("This is an old-style Excel .xls file, not CSV: in Excel use File > Save As > 'CSV UTF-8'.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise NotCsv("This file is UTF-16 text: save it again as 'CSV UTF-8'.")
    if b"\x00" in data[:65536] or data.startswith(b"%PDF"):
        raise NotCsv("This is not a text file (it holds binary data): export the list from the MIS as CSV.")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise NotCsv("This file is not UTF-8 text: save it again as 'CSV UTF-8'.") from None
    return text, [
        "The file was not UTF-8, so it was read as Windows-1252 (Excel's plain 'CSV'): "
        "check accented names look right, or save it as 'CSV UTF-8'."
    ]


def _open(data: bytes) -> tuple[Iterator[list[str]], list[str], list[str]]:
    """A reader positioned after the header row, the headers, and any notices about the file."""
    text, notices = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), dialect="excel")
    try:
        header_row = next(reader, None)
    except csv.Error as error:
        raise NotCsv(f"Line 1 is not valid CSV ({error}).") from None
    headers = [clean_text(h.replace("\ufeff", "")) for h in header_row or []]
    if not any(headers):
        raise NotCsv("The first line should name the columns, but it is empty.")
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    if len(headers) == 1:
        for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
            if sep in first_line:
                raise NotCsv(
                    f"The columns are separated by {name}, not commas: save the file from Excel as 'CSV UTF-8 (comma delimited)'."
                )
    return reader, headers, notices


def read_headers(data: bytes) -> list[str]:
    """The file's column headers (for an on-screen mapping); NotCsv when it is not a CSV table."""
    return _open(data)[1]


def read_table(data: bytes, mapping: Mapping[str, str] | None = None) -> CsvTable:
    """Parse the file into rows of cleaned values keyed by column; file-level problems raise NotCsv."""
    reader, headers, notices = _open(data)
    columns, ignored = _map_headers(headers, mapping or {})
    if "name" not in columns and not ("forename" in columns and "surname" in columns):
        found = ", ".join(f"'{h}'" for h in headers if h) or "none"
        raise NotCsv(
            f"No column holds the pupil's name (a 'name' column, or 'forename' and 'surname'). The file's columns: {found}. "
            'Map one with --map "Header=name" or on screen.'
        )
    positions = {key: headers.index(header) for key, header in columns.items()}
    table = CsvTable(headers, columns, ignored, [], [], notices)
    line = 1
    try:
        for cells in reader:
            line += 1
            if not any(c.strip() for c in cells):
                continue  # blank lines and Excel's trailing ",,,," rows
            if len(cells) > len(headers) and any(c.strip() for c in cells[len(headers) :]):
                message = (
                    f"has {len(cells)} values but the header names {len(headers)} columns (a comma inside a value needs quotes)"
                )
                table.errors.append(RowError(line, "", message))
                continue
            values: dict[str, str] = {}
            for key, pos in positions.items():
                raw = cells[pos] if pos < len(cells) else ""
                if "\n" in raw.strip() or "\r" in raw.strip():
                    message = "the value runs over several lines (a missing closing quote?)"
                    table.errors.append(RowError(line, columns[key], message))
                values[key] = clean_text(raw)
            table.rows.append((line, values))
    except csv.Error as error:
        raise NotCsv(f"Line {line + 1} is not valid CSV ({error}).") from None
    return table


def _map_headers(headers: list[str], mapping: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    wanted = {header_key(k): v for k, v in mapping.items()}
    present = {header_key(h) for h in headers}
    for header in mapping:
        if header_key(header) not in present:
            raise NotCsv(f"The file has no column '{clean_text(header)}' to map.")
    columns: dict[str, str] = {}
    ignored: list[str] = []
    for header in headers:
        key = wanted.get(header_key(header)) or _ALIASES.get(header_key(header))
        if not header or key in (None, "ignore"):
            if header:
                ignored.append(header)
            continue
        if key in columns:
            raise NotCsv(f"Two columns ('{columns[key]}' and '{header}') both give {key}: map one of them to ignore.")
        columns[key] = header
    return columns, ignored


# --------------------------------------------------------------------- planning


@dataclass
class RowPlan:
    line: int
    action: str  # "new" | "update" | "same"
    pupil: Pupil  # as it will be stored
    stored: Pupil | None = None
    consent_changes: tuple[ConsentChange, ...] = ()
    details: tuple[str, ...] = ()  # detail fields changed
    flag_set: bool = False


@dataclass
class ImportPlan:
    source: str
    sha256: str
    columns: dict[str, str]
    ignored: list[str]
    notices: list[str]
    rows: list[RowPlan]
    errors: list[RowError]
    rows_read: int
    not_in_file: int  # current pupils in SafeDesk that the file does not mention
    version: object = field(repr=False, default=None)

    @property
    def error_lines(self) -> int:
        return len({e.line for e in self.errors})

    @property
    def new(self) -> list[RowPlan]:
        return [r for r in self.rows if r.action == "new"]

    @property
    def updated(self) -> list[RowPlan]:
        return [r for r in self.rows if r.action == "update"]

    @property
    def unchanged(self) -> list[RowPlan]:
        return [r for r in self.rows if r.action == "same"]

    @property
    def changes(self) -> bool:
        return bool(self.new or self.updated)

    def summary_lines(self) -> list[str]:
        consent = [c for r in self.rows for c in r.consent_changes]
        by_status = {s: sum(1 for c in consent if c.status is s) for s in ConsentStatus}
        withdrawals = sum(
            1
            for r in self.rows
            if r.stored is not None
            for c in r.consent_changes
            if c.status is ConsentStatus.REFUSED and _granted(r.stored, c.purpose)
        )
        renamed = sum(1 for r in self.updated if "name" in r.details)
        lines = [
            f"{self.rows_read:,} pupil rows read from {self.source}; columns used: {', '.join(sorted(self.columns))}.",
        ]
        if self.ignored:
            lines.append(f"Ignored columns: {', '.join(self.ignored)}.")
        lines += [
            f"New pupils: {len(self.new):,}.  Pupils updated: {len(self.updated):,}.  Unchanged: {len(self.unchanged):,}.",
            f"Consent entries to add: {len(consent):,} ({by_status[ConsentStatus.GRANTED]:,} granted, "
            f"{by_status[ConsentStatus.REFUSED]:,} refused, {by_status[ConsentStatus.NOT_ASKED]:,} not asked), "
            f"of which withdrawals: {withdrawals:,}.",
        ]
        flags = sum(1 for r in self.rows if r.flag_set)
        if flags:
            lines.append(f"Never-publish flags to set: {flags:,}.")
        if renamed:
            lines.append(f"Name changes (same MIS id, new name): {renamed:,}.")
        if self.not_in_file:
            lines.append(
                f"{count_of(self.not_in_file, 'current pupil')} in SafeDesk {'is' if self.not_in_file == 1 else 'are'} "
                "not in this file (left as they are)."
            )
        if self.errors:
            lines.append(f"Rows with errors: {self.error_lines:,} (nothing from them will be imported).")
        lines.extend(self.notices)
        return lines


def _granted(pupil: Pupil, purpose: Purpose) -> bool:
    return pupil.states()[purpose].status is ConsentStatus.GRANTED


class _Row:
    """One CSV row turned into typed values, collecting every error in it."""

    def __init__(self, line: int, values: dict[str, str], columns: dict[str, str]) -> None:
        self.line, self.values, self.columns = line, values, columns
        self.errors: list[RowError] = []
        name = values.get("name", "")
        if not name and ("forename" in values or "surname" in values):
            name = " ".join(p for p in (values.get("forename", ""), values.get("surname", "")) if p)
        self.name = name
        if not name:
            self.error("name" if "name" in columns else "surname", "the pupil's name is missing")
        self.statuses = {purpose: self._status(key) for key, purpose in PURPOSE_COLUMNS.items() if values.get(key)}
        self.given_on = self._date("given_on")
        self.review_on = self._date("review_on")
        self.left_on = self._date("left_on")
        self.pr = self._yes_no("parental_responsibility")
        self.child_view = self._choice("child_view", _VIEWS, "agrees, objects or not sought")
        self.never = (
            None
            if _value_key(values.get("never_publish", "")) in _NEVER_NO
            else self._choice(
                "never_publish", _NEVER, "looked after, adopted, court order, safeguarding, parental request or other"
            )
        )

    def error(self, key: str, message: str) -> None:
        err = RowError(self.line, self.columns.get(key, key), message)
        if err not in self.errors:
            self.errors.append(err)

    def _status(self, key: str) -> ConsentStatus | None:
        value = _value_key(self.values[key])
        if value in _GRANTED:
            return ConsentStatus.GRANTED
        if value in _REFUSED:
            return ConsentStatus.REFUSED
        if value in _NOT_ASKED:
            return ConsentStatus.NOT_ASKED
        self.error(key, f"unknown value '{_shown(self.values[key])}' (use granted, refused or not asked)")
        return None

    def _date(self, key: str) -> date | None:
        value = self.values.get(key, "")
        if not value:
            return None
        try:
            return parse_date(value, key)
        except InvalidInput:
            self.error(key, f"bad date '{_shown(value)}' (use DD/MM/YYYY)")
            return None

    def _yes_no(self, key: str) -> bool | None:
        value = _value_key(self.values.get(key, ""))
        if not value:
            return None
        if value in _YES:
            return True
        if value in _NO:
            return False
        self.error(key, f"unknown value '{_shown(self.values[key])}' (use yes or no)")
        return None

    def _choice(self, key: str, table: Mapping[str, T], allowed: str) -> T | None:
        value = _value_key(self.values.get(key, ""))
        if not value:
            return None
        if value in table:
            return table[value]
        self.error(key, f"unknown value '{_shown(self.values[key])}' (use {allowed})")
        return None

    def identity(self) -> str:
        mis = self.values.get("mis_id", "")
        return f"mis:{mis.casefold()}" if mis else f"name:{name_key(self.name)}"


def plan_import(
    session: Session, data: bytes, source: str, mapping: Mapping[str, str] | None = None, today: date | None = None
) -> ImportPlan:
    """Read the file and work out every change it would make, writing nothing."""
    today = today or date.today()
    table = read_table(data, mapping)
    index = pupil_index(session)
    digest = hashlib.sha256(data).hexdigest()
    errors = list(table.errors)
    bad_lines = {e.line for e in errors}
    parsed = [_Row(line, values, table.columns) for line, values in table.rows]

    first_seen: dict[str, _Row] = {}
    for row in parsed:
        if not row.name:
            continue
        key = row.identity()
        first = first_seen.setdefault(key, row)
        if first is not row:
            hint = "" if key.startswith("mis:") else ": two pupils with the same name need the MIS id column"
            row.error("", f"the same pupil as line {first.line}{hint}")
            first.error("", "this pupil appears again later in the file")

    source_tag = f"import {digest[:12]}"
    plans: list[RowPlan] = []
    matched: set[int] = set()
    for row in parsed:
        plan = None
        if not row.errors and row.line not in bad_lines:
            plan = _plan_row(session, index, row, source_tag, today)
        errors.extend(row.errors)
        if plan is not None and not row.errors:
            plans.append(plan)
            if plan.stored is not None:
                matched.add(plan.stored.id or 0)
    mentioned = matched | {i for r in parsed for i in _candidates(index, r)}
    not_in_file = sum(1 for r in index.rows if r.active(today) and r.id not in mentioned)
    errors.sort(key=lambda e: e.line)
    return ImportPlan(
        source, digest, table.columns, table.ignored, table.notices, plans, errors, len(parsed), not_in_file, index.version
    )


def _candidates(index: PupilIndex, row: _Row) -> list[int]:
    mis = row.values.get("mis_id", "")
    if mis:
        found = index.by_mis.get(mis.casefold(), [])
        if found:
            return found
        # Not known by this id: the same name with no id yet is the same pupil; a name with another id is not.
        return [i for i in index.by_name.get(name_key(row.name), []) if not index.by_id[i].mis_id]
    return index.by_name.get(name_key(row.name), [])


def _plan_row(session: Session, index: PupilIndex, row: _Row, source: str, today: date) -> RowPlan | None:
    ids = list(dict.fromkeys(_candidates(index, row)))
    if len(ids) > 1:
        row.error("", f"matches {len(ids)} pupils already in SafeDesk with this name: add the MIS id column to tell them apart")
        return None
    stored = get_pupil(session, ids[0]) if ids else None
    values = row.values
    now = utcnow()
    details: list[str] = []
    if stored is None:
        pupil = Pupil(
            name=row.name,
            preferred_name=values.get("preferred_name", ""),
            year_group=values.get("year_group", ""),
            form=values.get("form", ""),
            mis_id=values.get("mis_id", ""),
            left_on=row.left_on,
        )
    else:
        pupil = dataclasses.replace(stored)
        changes = {
            "name": row.name if values.get("mis_id") else "",  # matched by name: the name is already equal
            "preferred_name": values.get("preferred_name", ""),
            "year_group": normalise_year(values.get("year_group", "")),
            "form": values.get("form", ""),
            "mis_id": values.get("mis_id", ""),
        }
        for key, value in changes.items():
            if value and value != getattr(stored, key):
                setattr(pupil, key, value)
                details.append(key)
        if row.left_on and row.left_on != stored.left_on:
            pupil.left_on = row.left_on
            details.append("left_on")

    new_changes = []
    for purpose, status in row.statuses.items():
        if status is None:
            continue
        change = _change_for(row, purpose, status, stored.latest(purpose) if stored else None, now, session.actor, source)
        if change is not None:
            new_changes.append(change)
    pupil.consents = pupil.consents + tuple(new_changes)
    flag_set = False
    if row.never is not None and pupil.never_publish != row.never:
        pupil.flags = pupil.flags + (FlagChange(reason=row.never, on=today, recorded_at=now, recorded_by=session.actor),)
        flag_set = True

    pupil = pupil.cleaned()
    try:
        pupil.validate()
    except InvalidInput as error:
        row.error(error.field or "", str(error))  # record fields are named as the columns
        return None
    if stored is None:
        action = "new"
    else:
        action = "update" if (details or new_changes or flag_set) else "same"
    return RowPlan(row.line, action, pupil, stored, tuple(new_changes), tuple(details), flag_set)


def _change_for(
    row: _Row, purpose: Purpose, status: ConsentStatus, latest: ConsentChange | None, now: datetime, actor: str, source: str
) -> ConsentChange | None:
    """The change this row records for one purpose, or None when SafeDesk already has it."""
    # ConsentChange's fields by name; each value has its field's type (checked when the record validates).
    given: dict[str, Any] = {
        "given_by": row.values.get("given_by", ""),
        "relationship": row.values.get("relationship", ""),
        "parental_responsibility": row.pr,
        "child_view": row.child_view,
        "given_on": row.given_on,
        "recorded_how": row.values.get("recorded_how", ""),
        "review_on": row.review_on,
    }
    provided = {k: v for k, v in given.items() if v not in ("", None)}
    if latest is not None and latest.status is status:
        if all(getattr(latest, k) == v for k, v in provided.items()):
            return None  # already recorded: re-importing the same file changes nothing
        # Same decision with new details (a renewal, a correction): what the file leaves out carries over.
        base = {k: getattr(latest, k) for k in given}
        base.update(provided)
        provided = base
    provided.setdefault("child_view", ChildView.NOT_SOUGHT)
    return ConsentChange(purpose=purpose, status=status, recorded_at=now, recorded_by=actor, source=source, **provided)


# --------------------------------------------------------------------- applying


@dataclass(frozen=True)
class ImportOutcome:
    added: int
    updated: int
    consent_changes: int
    skipped_lines: int

    def sentence(self) -> str:
        if not self.added and not self.updated:
            return "Nothing to change: everything in the file is already recorded."
        text = (
            f"Imported: {count_of(self.added, 'pupil')} added, {count_of(self.updated, 'pupil')} updated, "
            f"{count_of(self.consent_changes, 'consent entry', 'consent entries')} recorded."
        )
        if self.skipped_lines:
            text += f" {count_of(self.skipped_lines, 'row')} with errors skipped."
        return text


def apply_import(session: Session, plan: ImportPlan, *, valid_only: bool = False) -> ImportOutcome:
    """Write the plan in one transaction with one audit entry; all of it or none of it."""
    if plan.errors and not valid_only:
        raise NotAllowed(
            f"Nothing was imported: {count_of(plan.error_lines, 'row has', 'rows have')} errors. "
            "Fix them, or choose to import only the valid rows."
        )
    raw = pupil_documents(session)
    # Another table than the one planned against (an empty store has no table: both empty is the same).
    if plan.version is not None and raw is not plan.version and (raw or plan.version):
        raise NotAllowed("The pupil records changed since this preview was made: read the file again.")
    new, updated = plan.new, plan.updated
    consent_count = sum(len(r.consent_changes) for r in plan.rows)
    if not new and not updated:
        return ImportOutcome(0, 0, 0, plan.error_lines)
    session.repo(Pupil).write_many(
        [r.pupil for r in new],
        [dataclasses.replace(r.pupil, id=r.stored.id) for r in updated if r.stored is not None],
        "consents.import",
        f"consent import: {len(new)} pupils added, {len(updated)} updated, {consent_count} consent entries, "
        f"{sum(1 for r in plan.rows if r.flag_set)} never-publish flags set, {plan.error_lines} rows skipped "
        f"(file sha256 {plan.sha256[:16]})",
    )
    return ImportOutcome(len(new), len(updated), consent_count, plan.error_lines)
