"""Importing pupils and consents from a MIS export (CSV or .xlsx), with a preview first.

    plan = plan_import(session, data, "consents.csv", mapping={"Legal Surname": "surname"})
    print("\\n".join(plan.summary_lines()), *plan.errors, sep="\\n")
    apply_import(session, plan, valid_only=False)     # refused while any row has an error

Reading (safedesk.store.consents.tables): CSV with commas, semicolons or tabs, in UTF-8,
UTF-16 or Windows-1252, or the first sheet of an .xlsx workbook. Three layouts:
wide (a column per purpose), long (one row per pupil per consent type: SIMS
"Parental Consent", Arbor's consent download, Bromcom's consent report) and
single-purpose (one consent column; the purpose is chosen with the import).

Ordering: decisions are ordered by the date they were given (derive_states), so an
entry older than the pupil's latest decision is kept as history and never becomes
current; the preview says so, and lists every grant that would replace a refusal or
withdrawal. A file whose content was imported before changes nothing.

Matching: a row is the same pupil as a stored one by MIS id (UPN), else admission
number, else full name (narrowed by date of birth and year group). Blank cells
never erase. Row numbers in errors are as a spreadsheet shows them: the header is line 1.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

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
    decision_key,
    format_date,
    get_pupil,
    name_key,
    normalise_year,
    parse_date,
    pupil_documents,
    pupil_index,
)
from safedesk.store.consents.tables import NotCsv, read_raw
from safedesk.store.engine.records import Record, require, utcnow
from safedesk.store.errors import InvalidInput, NotAllowed
from safedesk.store.text.clean import clean_text
from safedesk.store.text.dates import local_today

if TYPE_CHECKING:
    from safedesk.store.engine.session import Session

T = TypeVar("T")


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
_STATUS_VALUES = "granted, refused or not asked (also yes/no, confirmed/declined, T/F, withdrawn); blank: unchanged"

COLUMNS: tuple[Column, ...] = (
    Column(
        "name",
        "Pupil's full name. Needed, unless forename and surname are given.",
        "text",
        ("pupil", "pupil name", "student", "student name", "full name", "legal name", "child", "child name", "name of pupil"),
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
        "Year group: 5, Y5, Year 5, R, Reception, N, Nursery (Year 1 to 14).",
        "text",
        ("year", "nc year", "curriculum year", "national curriculum year", "year group name"),
    ),
    Column(
        "form",
        "Class or form group.",
        "text",
        (
            "class",
            "class name",
            "reg",
            "reg group",
            "registration group",
            "registration form",
            "tutor group",
            "form group",
            "reg form",
        ),
    ),
    Column(
        "mis_id",
        "The pupil's UPN or the MIS's own id. Matches re-imports reliably.",
        "text",
        ("upn", "unique pupil number", "pupil id", "student id", "mis ref", "mis id", "arbor id", "sims id"),
    ),
    Column(
        "adno",
        "Admission number. Taken as the MIS id when the file has no UPN; kept beside it when it has.",
        "text",
        ("admission number", "admission no", "adno", "adm no"),
    ),
    Column(
        "date_of_birth",
        "Date of birth: tells pupils with the same name apart; the check notes pupils of 12 or older.",
        "date",
        ("dob", "date of birth", "birth date"),
    ),
    Column("left_on", "Date the pupil left, if they have.", "date", ("leaving date", "date of leaving", "left", "date left")),
    Column(
        "website",
        "Consent for the school website.",
        _STATUS_VALUES,
        ("school website", "web site", "web"),
    ),
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
        "purpose",
        "Long layout (one row per pupil per consent): which consent the row is about.",
        "a purpose, or the MIS's name for it (e.g. Photographs - School Website)",
        ("consent type", "consent name", "type of consent", "permission type", "consent item"),
    ),
    Column(
        "status",
        "Long or single-purpose layout: the decision on the row.",
        _STATUS_VALUES,
        ("consent given", "consent status", "consent", "response", "status", "consent response", "decision", "consented"),
    ),
    Column(
        "given_by",
        "Who gave or refused consent (name).",
        "text",
        (
            "consent given by",
            "parent",
            "parent name",
            "parent carer",
            "contact",
            "contact name",
            "respondent",
            "confirmed/declined by",
            "confirmed by",
            "responded by",
        ),
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
        (
            "date given",
            "consent date",
            "date of consent",
            "response date",
            "signed on",
            "date signed",
            "date",
            "confirmed/declined date",
            "date confirmed",
            "date responded",
        ),
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
        ("review date", "expiry date", "expires", "expiry", "valid until", "review by", "end date"),
    ),
    Column(
        "never_publish",
        "Never publish any image: the reason category.",
        "looked after, adopted, court order, safeguarding, parental request, other (yes = other); blank: unchanged",
        ("do not publish", "never publish reason", "no photos", "do not photograph"),
    ),
)
COLUMN_KEYS = tuple(c.key for c in COLUMNS)
IGNORE = "ignore"  # a mapping target: the column is not read
# A mapping target "event:NAME": the column holds each pupil's decision for that event (see
# event_import.plan_event_columns); the purposes' import leaves it alone.
EVENT_PREFIX = "event:"


def event_target(column: str) -> str | None:
    """The event's name when a mapping target is "event:NAME", else None."""
    return column[len(EVENT_PREFIX) :] if column.startswith(EVENT_PREFIX) else None


def header_key(text: str) -> str:
    """A header compared loosely: case, spaces, punctuation and apostrophes ignored."""
    text = text.replace("\ufeff", "").casefold().replace("'", "").replace("\u2019", "")
    return " ".join(re.sub(r"[_\-./()\[\]:,&+]+", " ", text).split())


# Words MIS headers and consent names wrap around a purpose: "Photographs - School Website",
# "Consent for photos on social media". Dropped before a second lookup.
_NOISE = frozenset(
    "photographs photograph photos photo images image pictures picture consent consents use of on in for the to "
    "permission permissions school s".split()
)


def _stripped(key: str) -> str:
    return " ".join(w for w in key.split() if w not in _NOISE)


_ALIASES: dict[str, str] = {}
_STRIPPED: dict[str, str] = {}
for _column in COLUMNS:
    for _alias in (_column.key, *_column.aliases):
        _ALIASES[header_key(_alias)] = _column.key
        _STRIPPED.setdefault(_stripped(header_key(_alias)), _column.key)
_STRIPPED.pop("", None)

# Words that name a purpose inside a longer header or consent name, checked in this order
# ("social media" before "media"). Platform names are the official social media.
_PURPOSE_WORDS: tuple[tuple[frozenset[str], Purpose], ...] = (
    (frozenset("social facebook instagram tiktok twitter x youtube linkedin".split()), Purpose.SOCIAL_MEDIA),
    (frozenset("website web site internet online".split()), Purpose.WEBSITE),
    (frozenset("video videos film filming livestream livestreaming recording recordings".split()), Purpose.VIDEO),
    (frozenset("newsletter newsletters prospectus print printed brochure brochures".split()), Purpose.PRINT),
    (frozenset("press newspaper newspapers media journalist".split()), Purpose.PRESS),
    (frozenset("display displays displayed wall walls noticeboard noticeboards".split()), Purpose.DISPLAYS),
)
PLATFORM_NAMES = ("TikTok", "Facebook", "Instagram", "YouTube", "X", "Twitter", "LinkedIn")
# Words that say a header or consent name is about images at all.
_IMAGE_WORDS = frozenset("photographs photograph photos photo images image pictures picture video filming camera".split())


def purpose_named(text: str) -> Purpose | None:
    """The purpose a header, consent name or typed word means ('Photographs - School Website', 'TikTok')."""
    key = header_key(text)
    column = _ALIASES.get(key) or _STRIPPED.get(_stripped(key))
    if column in PURPOSE_COLUMNS:
        return PURPOSE_COLUMNS[column]
    try:
        return Purpose(key.replace(" ", "-"))
    except ValueError:
        pass
    words = set(key.split())
    for names, purpose in _PURPOSE_WORDS:
        if words & names:
            return purpose
    return None


def purpose_choice(text: str) -> Purpose:
    """`--purpose P` for a single-purpose file: a purpose key, label or platform name; InvalidInput otherwise."""
    purpose = purpose_named(text)
    if purpose is None:
        accepted = ", ".join(p.value for p in Purpose)
        raise InvalidInput(
            f"Unknown purpose '{clean_text(text)[:40]}'. Accepted: {accepted}, or a platform name for official social media "
            f"({', '.join(PLATFORM_NAMES)}).",
            "purpose",
        )
    return purpose


def _column_for(header: str) -> str | None:
    key = header_key(header)
    about_images = bool(set(key.split()) & _IMAGE_WORDS)
    column = _ALIASES.get(key) or _STRIPPED.get(_stripped(key))
    if about_images and column not in PURPOSE_COLUMNS:
        column = None  # "Pupil photo": an image word around something else is not the pupil's name
    if column is None and about_images:
        purpose = purpose_named(header)  # "Photographs - Local Newspaper": a purpose word beside an image word
        if purpose is not None:
            column = next(k for k, p in PURPOSE_COLUMNS.items() if p is purpose)
    return column


def guess_columns(headers: Sequence[str]) -> dict[str, str | None]:
    """For each header of a file, the column it is taken as (None: ignored)."""
    return {h: _column_for(h) for h in headers}


def parse_map_options(values: Sequence[str]) -> dict[str, str]:
    """`--map "Legal Surname=surname"` options as {file header: column}."""
    mapping: dict[str, str] = {}
    for value in values:
        header, sep, column = value.rpartition("=")
        if column.strip().casefold().startswith(EVENT_PREFIX):
            name = " ".join(clean_text(column.strip()[len(EVENT_PREFIX) :]).split())
            if not header.strip() or not name:
                raise InvalidInput('Name the event after event:, e.g. --map "Trip consent=event:Year 6 Residential".', "map")
            mapping[header.strip()] = EVENT_PREFIX + name
            continue
        header, column = header.strip(), header_key(column).replace(" ", "_")
        if not sep or not header:
            raise InvalidInput('Write each --map as "Header in the file=column", e.g. --map "Legal Surname=surname".', "map")
        if column not in COLUMN_KEYS and column != IGNORE:
            raise InvalidInput(
                f"--map: unknown column '{column}'. Columns: {', '.join(COLUMN_KEYS)} (or ignore, or event:NAME).", "map"
            )
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
    "t",
    "confirmed",
    "consent confirmed",
    "consent granted",
    "given consent",
    "permission given",
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
    "f",
    "not granted",
    "declined consent",
    "refused consent",
    "consent declined",
    "consent withdrawn",
    "permission refused",
    "not confirmed",
    "denied",
    "withdrawn",
    "not allowed",
    "✗",
    "✘",
}
_NOT_ASKED = {
    "not asked",
    "not-asked",
    "unknown",
    "pending",
    "awaiting",
    "awaiting response",
    "no response",
    "not returned",
    "not known",
    "not set",
    "tbc",
}
_YES = {"yes", "y", "true", "t", "1"}
_NO = {"no", "n", "false", "f", "0"}
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


WIDE, LONG, SINGLE = "wide", "long", "single"


@dataclass
class CsvTable:
    headers: list[str]
    columns: dict[str, str]  # column key -> the file's header it comes from
    ignored: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (line, {column key: cleaned value})
    errors: list[RowError]
    notices: list[str]
    layout: str = WIDE  # WIDE, LONG (a purpose column) or SINGLE (one consent column, purpose chosen)
    purpose: Purpose | None = None  # SINGLE: the purpose chosen for the file
    mapping: dict[str, str] = field(default_factory=dict)  # the mapping given or remembered, {header: column}
    remembered: ColumnMapping | None = None  # the mapping remembered for these headers, if one was used
    events: dict[str, str] = field(default_factory=dict)  # header -> event name: columns read as event decisions


def read_headers(data: bytes) -> list[str]:
    """The file's column headers (for an on-screen mapping); NotCsv when it is not a table."""
    return [clean_text(h) for h in read_raw(data).headers]


def _no_consent_column(headers: list[str]) -> NotCsv:
    found = ", ".join(f"'{h}'" for h in headers if h) or "none"
    names: dict[str, str] = {}
    for column in COLUMNS:
        if column.key in PURPOSE_COLUMNS:
            for alias in (column.key, *column.aliases):
                names.setdefault(_stripped(header_key(alias)) or header_key(alias), column.key)
    near: list[str] = []
    for header in headers:
        key = header_key(header)
        for match in difflib.get_close_matches(_stripped(key) or key, list(names), n=2, cutoff=0.6):
            if names[match] not in near:
                near.append(names[match])
    hint = f" Closest purposes: {', '.join(near)}." if near else f" Purposes: {', '.join(PURPOSE_COLUMNS)}."
    return NotCsv(
        f"No column holds a consent decision. The file's columns: {found}.{hint} "
        'Map a column with --map "Header=website" (or on screen), or for a file about one consent give --purpose.'
    )


Recall = Callable[[list[str]], "ColumnMapping | None"]


def read_table(
    data: bytes, mapping: Mapping[str, str] | None = None, purpose: Purpose | None = None, recall: Recall | None = None
) -> CsvTable:
    """Parse the file into rows of cleaned values keyed by column; file-level problems raise NotCsv.

    Row-level problems (a damaged line, a short or long row) are errors for that line only.
    `recall` gives the mapping remembered for these headers: what `mapping` and `purpose` leave
    out is taken from it.
    """
    raw = read_raw(data)
    headers = [clean_text(h) for h in raw.headers]
    remembered = recall(headers) if recall is not None else None
    if remembered is not None:
        mapping = {**remembered.mapping, **(mapping or {})}
        if purpose is None and remembered.purpose:
            purpose = Purpose(remembered.purpose)
    columns, ignored = _map_headers(headers, mapping or {})
    events = {
        h: name
        for h in headers
        for k, v in (mapping or {}).items()
        if header_key(k) == header_key(h) and (name := event_target(v))
    }
    if "name" not in columns and not ("forename" in columns and "surname" in columns):
        found = ", ".join(f"'{h}'" for h in headers if h) or "none"
        raise NotCsv(
            f"No column holds the pupil's name (a 'name' column, or 'forename' and 'surname'). The file's columns: {found}. "
            'Map one with --map "Header=name" or on screen.'
        )
    wide = [key for key in PURPOSE_COLUMNS if key in columns]
    if wide:
        layout = WIDE
        if purpose is not None:
            raise InvalidInput(
                f"This file has a column per purpose ({', '.join(columns[k] for k in wide)}): leave out the purpose.", "purpose"
            )
    elif "purpose" in columns and "status" in columns:
        layout = LONG
    elif "status" in columns and "purpose" not in columns:
        layout = SINGLE
        if purpose is None:
            raise NotCsv(
                f"The file has one consent column ('{columns['status']}') and does not say which consent it is: "
                "choose the purpose (--purpose website, social-media, print, press, video or displays)."
            )
    elif events:
        raise NotCsv(
            "The file's only consent columns are for events: import a file about one event with its name as the "
            f'purpose (--purpose "{clean_text(next(iter(events.values())))}").'
        )
    else:
        raise _no_consent_column(headers)
    positions = {key: headers.index(header) for key, header in columns.items()}
    needed = max(positions.values()) + 1
    table = CsvTable(headers, columns, ignored, [], [], raw.notices, layout, purpose if layout == SINGLE else None)
    table.mapping, table.remembered, table.events = dict(mapping or {}), remembered, events
    for line, cells, problem in raw.rows:
        if problem:
            table.errors.append(RowError(line, "", problem))
            continue
        if not any(c.strip() for c in cells):
            continue  # blank lines and Excel's trailing ",,,," rows
        if any("\n" in c for c in cells) and (len(cells) < needed or len(cells) > len(headers)):
            table.errors.append(RowError(line, "", "a value runs over several lines (a missing closing quote?)"))
            continue
        if len(cells) > len(headers) and any(c.strip() for c in cells[len(headers) :]):
            message = f"has {len(cells)} values but the header names {len(headers)} columns (a comma inside a value needs quotes)"
            table.errors.append(RowError(line, "", message))
            continue
        if len(cells) < needed:
            message = f"has {len(cells)} values but the header names {len(headers)} columns (the row is cut short)"
            table.errors.append(RowError(line, "", message))
            continue
        table.rows.append((line, {key: clean_text(cells[pos]) for key, pos in positions.items()}))
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
        key = wanted.get(header_key(header)) or _column_for(header)
        if key is not None and event_target(key) is not None:
            continue  # an event's column: read by event_import, not as a purpose
        if not header or key in (None, IGNORE):
            if header:
                ignored.append(header)
            continue
        assert key is not None
        if key in columns:
            held = columns[key]
            weaker = _weaker(held, header, wanted)
            if weaker is None:
                raise NotCsv(f"Two columns ('{held}' and '{header}') both give {key}: map one of them to ignore.")
            ignored.append(weaker)
            columns[key] = header if weaker == held else held
            continue
        columns[key] = header
    if "adno" in columns and "mis_id" not in columns:
        columns["mis_id"] = columns.pop("adno")  # the admission number is the only id: it is the MIS id
    return columns, ignored


# Headers so general that a more specific one for the same column wins ("Date" beside "Consent Date",
# "Pupil ID" beside "UPN"): the general one is ignored, and the preview lists it as ignored.
_GENERAL = frozenset(
    {
        *"date consent status response year class contact parent left media social web display pupil child student".split(),
        *("pupil id", "student id", "mis ref", "mis id", "arbor id", "sims id"),
    }
)


def _weaker(first: str, second: str, mapped: Mapping[str, str]) -> str | None:
    """Of two headers read as the same column, the general one; None when neither is (or both were mapped)."""
    a, b = header_key(first), header_key(second)
    general_a, general_b = a in _GENERAL and a not in mapped, b in _GENERAL and b not in mapped
    if general_a == general_b:
        return None
    return first if general_a else second


# --------------------------------------------------------------------- the record of imported files


@dataclass(kw_only=True)
class ColumnMapping(Record):
    """A column mapping (and purpose) chosen for a file: used again for the next file with the same headers."""

    TABLE: ClassVar[str] = "consent_mappings"

    headers_key: str  # headers_signature() of the file's headers
    mapping: dict[str, str]  # {header: column or "ignore"}
    purpose: str = ""  # a single-purpose file's purpose
    saved_at: datetime

    def validate(self) -> None:
        require(len(self.headers_key) == 64, "The headers' signature is missing.", "headers_key")


def headers_signature(headers: Sequence[str]) -> str:
    """The same for two files whose headers match loosely, in the same order."""
    return hashlib.sha256("\x1f".join(header_key(h) for h in headers).encode("utf-8")).hexdigest()


def remembered_mapping(session: Session, headers: Sequence[str]) -> ColumnMapping | None:
    signature = headers_signature(headers)
    return session.repo(ColumnMapping).first(lambda m: m.headers_key == signature)


@dataclass(kw_only=True)
class ConsentImport(Record):
    """A file imported: its SHA-256 makes a second import of the same content change nothing."""

    TABLE: ClassVar[str] = "consent_imports"

    sha256: str
    file_name: str
    imported_at: datetime
    imported_by: str = ""
    pupils_added: int = 0
    pupils_updated: int = 0
    consent_entries: int = 0

    def validate(self) -> None:
        require(len(self.sha256) == 64, "The file's SHA-256 is missing.", "sha256")


def imported_before(session: Session, digest: str) -> ConsentImport | None:
    return session.repo(ConsentImport).first(lambda r: r.sha256 == digest)


# --------------------------------------------------------------------- planning


@dataclass(frozen=True)
class Regrant:
    """A grant in the file that would replace a refusal or withdrawal: shown for confirmation."""

    line: int
    name: str
    purpose: Purpose
    given_on: date | None
    replaces: str  # "refused" or "withdrawn on 01/03/2026"

    def __str__(self) -> str:
        when = f"given {format_date(self.given_on)}" if self.given_on else "no date given"
        return f"line {self.line}: {self.name}: {self.purpose.label.lower()} granted ({when}) would replace {self.replaces}"


@dataclass
class RowPlan:
    line: int
    action: str  # "new" | "update" | "same"
    pupil: Pupil  # as it will be stored
    stored: Pupil | None = None
    consent_changes: tuple[ConsentChange, ...] = ()
    details: tuple[str, ...] = ()  # detail fields changed
    flag_set: bool = False
    history_only: tuple[Purpose, ...] = ()  # entries older than what is recorded: kept as history
    changed: tuple[Purpose, ...] = ()  # purposes whose current decision changes
    regrants: tuple[Regrant, ...] = ()
    withdrawals: int = 0


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
    layout: str = WIDE
    already: ConsentImport | None = None  # the earlier import of this very content
    headers: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)  # given or remembered: saved for the next file
    purpose: Purpose | None = None
    remembered: ColumnMapping | None = None
    events: dict[str, str] = field(default_factory=dict)  # header -> event name (event_import reads these columns)

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

    @property
    def regrants(self) -> list[Regrant]:
        return [g for r in self.rows for g in r.regrants]

    def history_lines(self) -> list[str]:
        """Rows whose entries are older than the pupil's latest decision for a purpose."""
        return [
            f"line {r.line}: {', '.join(p.label.lower() for p in r.history_only)}: older than what is recorded: kept as history"
            for r in self.rows
            if r.history_only
        ]

    def summary_lines(self) -> list[str]:
        if self.already is not None:
            when = format_date(self.already.imported_at.date())
            return [
                f"{self.rows_read:,} rows read from {self.source}.",
                f"This file was already imported on {when} ({self.already.file_name}): importing it again changes nothing.",
            ]
        consent = [c for r in self.rows for c in r.consent_changes]
        by_status = {s: sum(1 for c in consent if c.status is s) for s in ConsentStatus}
        renamed = sum(1 for r in self.updated if "name" in r.details)
        layout = {WIDE: "", LONG: " (one row per pupil per consent)", SINGLE: " (one consent)"}[self.layout]
        lines = [
            f"{self.rows_read:,} rows read from {self.source}{layout}; columns used: {', '.join(sorted(self.columns))}.",
        ]
        if self.ignored:
            lines.append(f"Ignored columns: {', '.join(self.ignored)}.")
        if self.events:
            lines.append("Columns for events: " + ", ".join(f"{h} -> {n}" for h, n in self.events.items()) + ".")
        lines += [
            f"New pupils: {len(self.new):,}.  Pupils updated: {len(self.updated):,}.  Unchanged: {len(self.unchanged):,}.",
            f"Consent entries to add: {len(consent):,} ({by_status[ConsentStatus.GRANTED]:,} granted, "
            f"{by_status[ConsentStatus.REFUSED]:,} refused, {by_status[ConsentStatus.NOT_ASKED]:,} not asked), "
            f"of which withdrawals: {sum(r.withdrawals for r in self.rows):,}.",
        ]
        per_purpose = {p: sum(1 for r in self.rows if p in r.changed) for p in Purpose}
        changed = ", ".join(f"{p.label.lower()} {n:,}" for p, n in per_purpose.items() if n)
        lines.append(f"Current decisions that would change: {changed or 'none'}.")
        history = sum(len(r.history_only) for r in self.rows)
        if history:
            lines.append(f"Entries older than what is recorded: {history:,} (kept as history; they change no current decision).")
        regrants = self.regrants
        if regrants:
            lines.append(
                f"Grants that would replace a refusal or withdrawal: {len(regrants):,} (listed below: confirm each is right)."
            )
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


_REAL_YEAR = re.compile(r"^(Year ([1-9]|1[0-4])|Reception|Nursery)$")


@dataclass
class _Decision:
    line: int
    purpose: Purpose
    status: ConsentStatus
    given: dict[str, Any]  # ConsentChange fields the row provides (blank ones left out)


class _Row:
    """One row turned into typed values, collecting every error in it."""

    def __init__(self, line: int, values: dict[str, str], table: CsvTable, today: date) -> None:
        self.line, self.values, self.columns = line, values, table.columns
        self.errors: list[RowError] = []
        self.today = today
        self.name = self._name()
        self.year = self._year()
        self.given_on = self._date("given_on")
        self.review_on = self._date("review_on")
        self.left_on = self._date("left_on")
        if self.given_on and self.given_on > today:
            self.error("given_on", "the date given is in the future: enter the date the form was signed or the answer received")
        if self.given_on and self.review_on and self.review_on < self.given_on:
            self.error("review_on", "the review date is before the date given")
        self.date_of_birth = self._date("date_of_birth")
        if self.date_of_birth and self.date_of_birth > today:
            self.error("date_of_birth", "the date of birth is in the future")
        self.pr = self._yes_no("parental_responsibility")
        self.child_view = self._choice("child_view", _VIEWS, "agrees, objects or not sought")
        self.never = (
            None
            if _value_key(values.get("never_publish", "")) in _NEVER_NO
            else self._choice(
                "never_publish", _NEVER, "looked after, adopted, court order, safeguarding, parental request or other"
            )
        )
        self.other_consent = ""  # LONG: a consent that is not about images (trips, sun cream): not read
        self.decisions = self._decisions(table)

    def _name(self) -> str:
        values = self.values
        if "name" in self.columns:
            if not values.get("name"):
                self.error("name", "the pupil's name is missing")
            return values.get("name", "")
        forename, surname = values.get("forename", ""), values.get("surname", "")
        if not forename:
            self.error("forename", "the pupil's forename is missing")
        if not surname:
            self.error("surname", "the pupil's surname is missing")
        return f"{forename} {surname}" if forename and surname else ""

    def _year(self) -> str:
        year = normalise_year(self.values.get("year_group", ""))
        if year and not _REAL_YEAR.match(year):
            self.error(
                "year_group", f"unknown year group '{_shown(self.values['year_group'])}' (use Nursery, Reception or Year 1 to 14)"
            )
            return ""
        return year

    def _decisions(self, table: CsvTable) -> list[_Decision]:
        cells: list[tuple[str, Purpose]] = []
        if table.layout == WIDE:
            cells = [(key, purpose) for key, purpose in PURPOSE_COLUMNS.items() if self.values.get(key)]
        elif table.layout == SINGLE and table.purpose is not None:
            cells = [("status", table.purpose)] if self.values.get("status") else []
        elif self.values.get("status") or self.values.get("purpose"):
            named = self.values.get("purpose", "")
            purpose = purpose_named(named) if named else None
            if purpose is not None:
                cells = [("status", purpose)] if self.values.get("status") else []
            elif not named:
                self.error("purpose", "the consent type is missing")
            elif set(header_key(named).split()) & _IMAGE_WORDS:
                accepted = ", ".join(p.value for p in Purpose)
                self.error(
                    "purpose",
                    f"unknown purpose '{_shown(named)}' (accepted: {accepted}, the MIS's names for them, "
                    f"or {', '.join(PLATFORM_NAMES)} for official social media)",
                )
            else:
                self.other_consent = named
        given: dict[str, Any] = {
            "given_by": self.values.get("given_by", ""),
            "relationship": self.values.get("relationship", ""),
            "parental_responsibility": self.pr,
            "child_view": self.child_view,
            "given_on": self.given_on,
            "recorded_how": self.values.get("recorded_how", ""),
            "review_on": self.review_on,
        }
        provided = {k: v for k, v in given.items() if v not in ("", None)}
        out = []
        for key, purpose in cells:
            status = self._status(key)
            if status is not None:
                out.append(_Decision(self.line, purpose, status, provided))
        return out

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
        if value.replace(".", "", 1).isdigit():
            self.error(key, f"'{_shown(value)}' is a number, not a date (an Excel date serial?): format the column as a date")
            return None
        try:
            # "1 Sept 2025": the four-letter September some exports write.
            return parse_date(re.sub(r"(?i)\bsept\b", "Sep", value), key)
        except InvalidInput:
            self.error(key, f"bad date '{_shown(value)}' (use DD/MM/YYYY; month-first dates are not read)")
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
        if mis:
            return f"mis:{mis.casefold()}"
        return f"name:{name_key(self.name)}|{self.date_of_birth or ''}"


class _Group:
    """One pupil in the file: one row (wide layout) or several (long layout, one per consent)."""

    def __init__(self, first: _Row) -> None:
        self.rows = [first]

    @property
    def first(self) -> _Row:
        return self.rows[0]

    @property
    def errors(self) -> bool:
        return any(r.errors for r in self.rows)

    def value(self, key: str) -> str:
        return next((r.values[key] for r in self.rows if r.values.get(key)), "")

    def attr(self, name: str) -> Any:
        return next((getattr(r, name) for r in self.rows if getattr(r, name) not in ("", None)), None)


def plan_import(
    session: Session,
    data: bytes,
    source: str,
    mapping: Mapping[str, str] | None = None,
    today: date | None = None,
    purpose: Purpose | None = None,
) -> ImportPlan:
    """Read the file and work out every change it would make, writing nothing."""
    today = today or local_today()
    table = read_table(data, mapping, purpose, lambda headers: remembered_mapping(session, headers))
    index = pupil_index(session)
    digest = hashlib.sha256(data).hexdigest()
    already = imported_before(session, digest)
    if already is not None:
        return _remembering(table, ImportPlan(
            source, digest, table.columns, table.ignored, table.notices, [], [], len(table.rows), 0, index.version,
            table.layout, already,
        ))  # fmt: skip
    errors = list(table.errors)
    parsed = [_Row(line, values, table, today) for line, values in table.rows]
    other = sorted({r.other_consent for r in parsed if r.other_consent and not r.errors})
    notices = list(table.notices)
    if other:
        skipped = sum(1 for r in parsed if r.other_consent)
        notices.append(f"{count_of(skipped, 'row')} about consents that are not about images were not read: {', '.join(other)}.")

    groups: dict[str, _Group] = {}
    for row in parsed:
        if not row.name:
            continue
        key = row.identity()
        group = groups.get(key)
        if group is None:
            groups[key] = _Group(row)
        elif table.layout == LONG:
            group.rows.append(row)
        else:
            hint = "" if key.startswith("mis:") else ": two pupils with the same name need the MIS id column"
            row.error("", f"the same pupil as line {group.first.line}{hint}")
            group.first.error("", "this pupil appears again later in the file")
    for group in groups.values():
        _check_conflicts(group)

    source_tag = f"import {digest[:12]}"
    plans: list[RowPlan] = []
    matched: set[int] = set()
    for group in groups.values():
        # A bad row is left out on its own: in the long layout the pupil's other consents still count.
        group.rows = [r for r in group.rows if not r.errors]
        if not group.rows:
            continue
        plan = _plan_group(session, index, group, source_tag, today)
        if plan is not None and not group.errors:
            plans.append(plan)
            if plan.stored is not None:
                matched.add(plan.stored.id or 0)
    for row in parsed:
        errors.extend(row.errors)
    mentioned = matched | {i for g in groups.values() if g.rows for i in _candidates(index, g)}
    not_in_file = sum(1 for r in index.rows if r.active(today) and r.id not in mentioned)
    errors.sort(key=lambda e: e.line)
    return _remembering(table, ImportPlan(
        source, digest, table.columns, table.ignored, notices, plans, errors, len(parsed), not_in_file, index.version,
        table.layout,
    ))  # fmt: skip


def _remembering(table: CsvTable, plan: ImportPlan) -> ImportPlan:
    """The plan with the mapping it used, to show it and to remember it for the next file."""
    plan.headers, plan.mapping, plan.purpose, plan.remembered = table.headers, table.mapping, table.purpose, table.remembered
    plan.events = table.events
    if table.remembered is not None:
        chosen = [f"{h}={c}" for h, c in table.remembered.mapping.items()]
        if table.remembered.purpose:
            chosen.append(f"purpose {table.remembered.purpose}")
        plan.notices.append(
            f"Column mapping remembered from a file with the same headers ({format_date(table.remembered.saved_at.date())}): "
            f"{', '.join(chosen) or 'as read'}. Change it with --map or --purpose, or on screen."
        )
    return plan


def _check_conflicts(group: _Group) -> None:
    """Two answers for the same purpose on the same date in one file: which one is right cannot be told."""
    seen: dict[tuple[Purpose, date | None], _Decision] = {}
    for row in group.rows:
        for decision in row.decisions:
            key = (decision.purpose, decision.given.get("given_on"))
            first = seen.setdefault(key, decision)
            if first.status is not decision.status:
                row.error("status", f"contradicts line {first.line} for {decision.purpose.label.lower()} on the same date")


def _candidates(index: PupilIndex, group: _Group) -> list[int]:
    """Stored pupils this one may be: by MIS id, admission number, then name (narrowed by date of birth and year)."""
    mis, adno = group.value("mis_id"), group.value("adno")
    for key in (mis, adno):
        if key:
            found = index.by_mis.get(key.casefold()) or index.by_adno.get(key.casefold())
            if found:
                return list(dict.fromkeys(found))
    named = index.by_name.get(name_key(group.first.name), [])
    # Not known by these ids: the same name with no id yet may be the same pupil; a name with another id is not.
    rows = [index.by_id[i] for i in dict.fromkeys(named) if not (mis and index.by_id[i].mis_id)]
    dob = group.attr("date_of_birth")
    if dob:
        rows = [r for r in rows if r.date_of_birth in (None, dob)]
    year = group.attr("year")
    if len(rows) > 1 and year:
        rows = [r for r in rows if r.year_group == year] or rows
    return [r.id for r in rows]


def _plan_group(session: Session, index: PupilIndex, group: _Group, source: str, today: date) -> RowPlan | None:
    first = group.first
    ids = _candidates(index, group)
    if len(ids) > 1:
        first.error("", f"matches {len(ids)} pupils already in SafeDesk with this name: add the MIS id column to tell them apart")
        return None
    stored = get_pupil(session, ids[0]) if ids else None
    now = utcnow()
    details: list[str] = []
    upn, adno = group.value("mis_id"), group.value("adno")
    fields = {
        "preferred_name": group.value("preferred_name"),
        "year_group": group.attr("year") or "",
        "form": group.value("form"),
        "mis_id": upn,
        "admission_no": adno,
    }
    if stored is None:
        pupil = Pupil(
            name=first.name,
            preferred_name=fields["preferred_name"],
            year_group=fields["year_group"],
            form=fields["form"],
            mis_id=upn,
            admission_no=adno,
            left_on=group.attr("left_on"),
            date_of_birth=group.attr("date_of_birth"),
        )
    else:
        pupil = dataclasses.replace(stored)
        if upn or (adno and stored.mis_id.casefold() == adno.casefold()):
            fields["name"] = first.name  # matched by an id: the file's name is the newer one
        if adno and not upn and stored.mis_id.casefold() == adno.casefold():
            fields.pop("admission_no")  # an Adno-only file matching a pupil whose MIS id is that Adno

    new_changes: list[ConsentChange] = []
    history_only: list[Purpose] = []
    decided = 0
    for row in group.rows:
        for decision in row.decisions:
            decided += 1
            history = (*pupil.consents, *new_changes)
            current = _current(history, decision.purpose)
            given_on = decision.given.get("given_on")
            if current is not None and given_on is not None and given_on.isoformat() < decision_key(current.facts()):
                # Older than the decision in force: history (added, or already there), never current.
                history_only.append(decision.purpose)
            change = _change_for(decision, history, now, session.actor, source)
            if change is not None:
                new_changes.append(change)
    # A row whose every decision is older than what is recorded comes from an older file: its year,
    # class and name are older too, so they do not replace the ones held.
    if stored is not None and not (decided and len(history_only) == decided):
        for key, value in fields.items():
            if value and value != getattr(stored, key):
                setattr(pupil, key, value)
                details.append(key)
        for key in ("left_on", "date_of_birth"):
            value = group.attr(key)
            if value and value != getattr(stored, key):
                setattr(pupil, key, value)
                details.append(key)
    # Not re-cleaned below: every text in the new entries is a cell read_table cleaned, the signed-in
    # name or the file's hash, and the stored history was cleaned when it was stored. (Cleaning 12,000
    # entries again was a third of a 2,000-pupil import.)
    clean_history = pupil.consents + tuple(new_changes)
    flag_set = False
    never = group.attr("never")
    if never is not None and pupil.never_publish != never:
        pupil.flags = pupil.flags + (FlagChange(reason=never, on=today, recorded_at=now, recorded_by=session.actor),)
        flag_set = True

    pupil = dataclasses.replace(dataclasses.replace(pupil, consents=()).cleaned(), consents=clean_history)
    try:
        pupil.validate()
    except InvalidInput as error:
        first.error(error.field or "", str(error))  # record fields are named as the columns
        return None
    before = stored.states() if stored is not None else {}
    after = pupil.states()
    changed: list[Purpose] = []
    regrants: list[Regrant] = []
    withdrawals = 0
    for p in Purpose:
        old, now_state = before.get(p), after[p]
        old_status = old.status if old is not None else None
        if now_state.status is None or now_state.status is old_status:
            continue
        changed.append(p)
        if old_status is ConsentStatus.GRANTED and now_state.status is ConsentStatus.REFUSED:
            withdrawals += 1
        if old is not None and old_status is ConsentStatus.REFUSED and now_state.status is ConsentStatus.GRANTED:
            replaces = f"withdrawn on {format_date(old.withdrawn_on)}" if old.withdrawn_on else "a refusal"
            line = next((d.line for r in group.rows for d in r.decisions if d.purpose is p), first.line)
            regrants.append(Regrant(line, pupil.display_name, p, now_state.given_on, replaces))
    if stored is None:
        action = "new"
    else:
        action = "update" if (details or new_changes or flag_set) else "same"
    return RowPlan(
        first.line, action, pupil, stored, tuple(new_changes), tuple(details), flag_set, tuple(dict.fromkeys(history_only)),
        tuple(changed), tuple(regrants), withdrawals,
    )  # fmt: skip


def _current(history: Sequence[ConsentChange], purpose: Purpose) -> ConsentChange | None:
    """The decision in force for `purpose`: the latest given (the same rule as derive_states)."""
    mine = [c for c in history if c.purpose is purpose]
    return max(reversed(mine), key=lambda c: decision_key(c.facts()), default=None)


def _change_for(
    decision: _Decision, history: Sequence[ConsentChange], now: datetime, actor: str, source: str
) -> ConsentChange | None:
    """The change this row records for one purpose, or None when SafeDesk already has it.

    A dated decision already anywhere in the history (same answer, same date, no detail that
    differs) is skipped: re-importing an old file adds nothing. An undated one is compared with
    the decision in force only, as it has no date to place it among the others.
    """
    provided = dict(decision.given)
    current = _current(history, decision.purpose)
    if "given_on" in provided:
        same = [c for c in history if c.purpose is decision.purpose and c.given_on == provided["given_on"]]
    else:
        same = [current] if current is not None else []
    for entry in same:
        if entry.status is decision.status and all(getattr(entry, k) == v for k, v in provided.items()):
            return None  # already recorded: re-importing changes nothing
    base = next((e for e in same if e.status is decision.status), None)
    if base is None and current is not None and current.status is decision.status:
        base = current
    if base is not None:
        # The same decision with new details (a renewal, a correction): what the file leaves out carries over.
        carried = {
            k: getattr(base, k) for k in ("given_by", "relationship", "parental_responsibility", "child_view", "recorded_how")
        }
        carried.update({k: v for k, v in provided.items()})
        if "given_on" not in provided and base.given_on is not None:
            carried["given_on"] = base.given_on
        provided = carried
    provided.setdefault("child_view", ChildView.NOT_SOUGHT)
    return ConsentChange(
        purpose=decision.purpose, status=decision.status, recorded_at=now, recorded_by=actor, source=source, **provided
    )


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
    if plan.already is not None:
        return ImportOutcome(0, 0, 0, 0)
    with session.transaction():
        _remember_mapping(session, plan)
        if new or updated:
            session.repo(Pupil).write_many(
                [r.pupil for r in new],
                [dataclasses.replace(r.pupil, id=r.stored.id) for r in updated if r.stored is not None],
                "consents.import",
                f"consent import: {len(new)} pupils added, {len(updated)} updated, {consent_count} consent entries, "
                f"{sum(len(r.history_only) for r in plan.rows)} kept as history, "
                f"{sum(1 for r in plan.rows if r.flag_set)} never-publish flags set, {plan.error_lines} rows skipped "
                f"(file sha256 {plan.sha256[:16]})",
            )
        if not plan.errors and imported_before(session, plan.sha256) is None:
            # Only a file imported whole counts as imported: after --valid-only the fixed rows must still come in.
            # Recorded even when nothing changed: this content must never re-grant after a later withdrawal.
            record = ConsentImport(
                sha256=plan.sha256,
                file_name=clean_text(plan.source)[:200],
                imported_at=utcnow(),
                imported_by=session.actor,
                pupils_added=len(new),
                pupils_updated=len(updated),
                consent_entries=consent_count,
            )
            session.repo(ConsentImport).add(record, summary=f"consent file recorded as imported (sha256 {plan.sha256[:16]})")
    return ImportOutcome(len(new), len(updated), consent_count, plan.error_lines)


def _remember_mapping(session: Session, plan: ImportPlan) -> None:
    """Keep the mapping (and purpose) chosen for this file for the next file with the same headers."""
    purpose = plan.purpose.value if plan.purpose else ""
    if not plan.mapping and not purpose:
        return  # every column read by its own name: nothing to remember
    old = plan.remembered
    if old is not None and old.mapping == plan.mapping and old.purpose == purpose:
        return
    record = ColumnMapping(headers_key=headers_signature(plan.headers), mapping=plan.mapping, purpose=purpose, saved_at=utcnow())
    repo = session.repo(ColumnMapping)
    if old is not None and old.id is not None:
        repo.save(dataclasses.replace(record, id=old.id), "consent import column mapping changed")
    else:
        repo.add(record, "consent import column mapping remembered")
