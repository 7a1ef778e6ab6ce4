"""Pupils and their image consents: records, the state derived from history, lists.

A pupil's consents are a history, never a set of switches: every grant, refusal,
withdrawal or renewal is appended as a `ConsentChange`, and the current state of
each purpose is derived from the latest change for it. The never-publish flag is
kept the same way (`FlagChange`), with a reason category and no more detail.

The history lives inside the pupil's document (one document per pupil), so a
pupil is read in one lookup and the whole list in one pass over the table. Lists,
counts and type-ahead use `pupil_index()`, built straight from the stored
documents and cached until the table changes: decoding 5,000 records into
dataclasses takes most of a second, the index a fraction of that.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Self

from safedesk.store.engine.db import Documents
from safedesk.store.engine.files import atomic_write, describe_os_error
from safedesk.store.engine.records import Record, require, utcnow
from safedesk.store.engine.verify import Check
from safedesk.store.errors import InvalidInput, NotAllowed, RecordNotFound
from safedesk.store.registry import AttentionItem, Report
from safedesk.store.text import dates as timeparse
from safedesk.store.text.clean import clean_text
from safedesk.store.text.dates import local_today
from safedesk.store.text.limits import Kind
from safedesk.store.text.markdown import md_cell

if TYPE_CHECKING:
    from safedesk.store.engine.session import Session

EXPIRY_WARNING_DAYS = 30
MAX_NAME = 100


class Purpose(StrEnum):
    WEBSITE = "website"
    SOCIAL_MEDIA = "social-media"
    PRINT = "print"
    PRESS = "press"
    VIDEO = "video"
    DISPLAYS = "displays"

    @property
    def label(self) -> str:
        return PURPOSE_LABELS[self]

    @property
    def short(self) -> str:
        return PURPOSE_SHORT[self]


PURPOSE_LABELS = {
    Purpose.WEBSITE: "School website",
    Purpose.SOCIAL_MEDIA: "Official social media",
    Purpose.PRINT: "Newsletters and print",
    Purpose.PRESS: "Press and media",
    Purpose.VIDEO: "Video and livestream",
    Purpose.DISPLAYS: "Internal displays",
}
PURPOSE_SHORT = {
    Purpose.WEBSITE: "Web",
    Purpose.SOCIAL_MEDIA: "Soc",
    Purpose.PRINT: "Prt",
    Purpose.PRESS: "Prs",
    Purpose.VIDEO: "Vid",
    Purpose.DISPLAYS: "Dsp",
}


class ConsentStatus(StrEnum):
    GRANTED = "granted"
    REFUSED = "refused"
    NOT_ASKED = "not-asked"

    @property
    def label(self) -> str:
        return {"granted": "granted", "refused": "refused", "not-asked": "not asked"}[self.value]


class ChildView(StrEnum):
    """The pupil's own view, recorded when they are old enough to give one (12+ and competent)."""

    NOT_SOUGHT = "not-sought"
    AGREES = "agrees"
    OBJECTS = "objects"

    @property
    def label(self) -> str:
        return {"not-sought": "not sought", "agrees": "agrees", "objects": "objects"}[self.value]


class NeverPublish(StrEnum):
    """Why a pupil's image must never be published: a category, never the story."""

    LOOKED_AFTER = "looked-after"
    ADOPTED = "adopted"
    COURT_ORDER = "court-order"
    SAFEGUARDING = "safeguarding"
    PARENTAL_REQUEST = "parental-request"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("-", " ")


# Relationships that may give consent without parental responsibility: the pupil themselves.
SELF_RELATIONSHIPS = frozenset({"pupil", "self", "student", "child"})


# --------------------------------------------------------------------- dates


def parse_date(text: str, field_name: str = "date") -> date:
    """A date in a CSV or a consent form: the store's one date rule, without relative words."""
    day = timeparse.parse_date(text, field_name, required=True, relative=False)
    assert day is not None
    return day


format_date = timeparse.show_date


# --------------------------------------------------------------------- year groups

_YEAR_NUMBER = re.compile(r"^(?:year|yr|y|nc year|ncy|nc)?\s*(\d{1,2})$")
_RECEPTION = frozenset({"r", "rec", "reception", "year r", "yr r", "yr", "fs2", "f2"})
_NURSERY = frozenset({"n", "nur", "nursery", "n1", "n2", "fs1", "f1"})


def normalise_year(text: str) -> str:
    """'5', 'Y5', 'Yr 5', 'NC Year 5' -> 'Year 5'; 'R' -> 'Reception'; anything else kept as written."""
    value = " ".join(text.split())
    key = value.casefold()
    if not key:
        return ""
    if key in _RECEPTION:
        return "Reception"
    if key in _NURSERY:
        return "Nursery"
    match = _YEAR_NUMBER.match(key)
    if match and 1 <= int(match.group(1)) <= 14:
        return f"Year {int(match.group(1))}"
    return value


def year_short(year_group: str) -> str:
    if year_group.startswith("Year "):
        return "Y" + year_group[5:]
    return {"Reception": "Rec", "Nursery": "Nur"}.get(year_group, year_group[:4])


def year_order(year_group: str) -> tuple[int, str]:
    """Nursery, Reception, Year 1..14, then anything else alphabetically."""
    if year_group == "Nursery":
        return (0, "")
    if year_group == "Reception":
        return (1, "")
    if year_group.startswith("Year ") and year_group[5:].isdigit():
        return (2 + int(year_group[5:]), "")
    return (100, year_group.casefold())


# --------------------------------------------------------------------- records

# (purpose, status, given_on, review_on, child_view, recorded_on): what the derived state needs of a
# change. Dates are date objects, or ISO strings when read straight from a stored document.
_Facts = tuple[str, str, date | str | None, date | str | None, str, date | str]


@dataclass(frozen=True, kw_only=True)
class ConsentChange:
    """One entry in a pupil's consent history: what was decided for one purpose, by whom, when."""

    LIMITS: ClassVar[dict[str, Kind]] = {"given_by": Kind.NAME, "recorded_by": Kind.NAME}

    purpose: Purpose
    status: ConsentStatus
    given_by: str = ""
    relationship: str = ""
    parental_responsibility: bool | None = None  # None: not recorded
    child_view: ChildView = ChildView.NOT_SOUGHT
    given_on: date | None = None
    recorded_how: str = ""  # "paper form 2025/14", "parent app", "email"
    review_on: date | None = None  # the last day the consent holds
    recorded_at: datetime
    recorded_by: str = ""
    source: str = ""  # "screen" or "import <file hash>"

    def validate(self, today: date | None = None) -> None:
        today = today or local_today()
        require(len(self.given_by) <= 80, "Keep the name of who gave it under 80 characters.", "given_by")
        require(len(self.relationship) <= 40, "Keep the relationship under 40 characters.", "relationship")
        require(len(self.recorded_how) <= 80, "Keep 'how recorded' under 80 characters.", "recorded_how")
        require(
            self.given_on is None or self.given_on <= today,
            "The date given is in the future: enter the date the form was signed or the answer received.",
            "given_on",
        )
        require(
            self.review_on is None or self.given_on is None or self.review_on >= self.given_on,
            "The review date is before the date given.",
            "review_on",
        )
        by_self = self.relationship.strip().casefold() in SELF_RELATIONSHIPS
        require(
            not (self.status is ConsentStatus.GRANTED and self.parental_responsibility is False and not by_self),
            "Consent must come from someone with parental responsibility (or the pupil, if old enough and competent).",
            "parental_responsibility",
        )

    def cleaned(self) -> ConsentChange:
        return dataclasses.replace(
            self,
            given_by=clean_text(self.given_by),
            relationship=clean_text(self.relationship),
            recorded_how=clean_text(self.recorded_how),
            recorded_by=clean_text(self.recorded_by),
            source=clean_text(self.source),
        )

    def facts(self) -> _Facts:
        return (self.purpose, self.status, self.given_on, self.review_on, self.child_view, self.recorded_at.date())


@dataclass(frozen=True, kw_only=True)
class FlagChange:
    """The never-publish flag set (with its reason category) or removed (reason None)."""

    LIMITS: ClassVar[dict[str, Kind]] = {"recorded_by": Kind.NAME}

    reason: NeverPublish | None
    on: date
    recorded_at: datetime
    recorded_by: str = ""


@dataclass(kw_only=True)
class Pupil(Record):
    """A pupil, with as little personal data as the consents need."""

    LIMITS: ClassVar[dict[str, Kind]] = {
        "name": Kind.NAME,
        "preferred_name": Kind.NAME,
        "mis_id": Kind.REFERENCE,
        "admission_no": Kind.REFERENCE,
    }

    TABLE: ClassVar[str] = "pupils"

    name: str
    preferred_name: str = ""
    year_group: str = ""
    form: str = ""  # class or form group
    mis_id: str = ""  # UPN, admission number or the MIS's own id
    admission_no: str = ""  # kept beside a UPN when a file has both (matches files that only have the Adno)
    date_of_birth: date | None = None  # tells two pupils with the same name apart
    left_on: date | None = None
    consents: tuple[ConsentChange, ...] = ()
    flags: tuple[FlagChange, ...] = ()

    def validate(self) -> None:
        require(bool(self.name.strip()), "Enter the pupil's name.", "name")
        require(len(self.name) <= MAX_NAME, f"Keep the name under {MAX_NAME} characters.", "name")
        require(len(self.preferred_name) <= 60, "Keep the preferred name under 60 characters.", "preferred_name")
        require(len(self.year_group) <= 20, "Keep the year group under 20 characters.", "year_group")
        require(len(self.form) <= 20, "Keep the class or form under 20 characters.", "form")
        require(len(self.mis_id) <= 40, "Keep the MIS id under 40 characters.", "mis_id")
        require(len(self.admission_no) <= 40, "Keep the admission number under 40 characters.", "admission_no")
        require(
            self.date_of_birth is None or self.date_of_birth <= local_today(),
            "The date of birth is in the future.",
            "date_of_birth",
        )
        for change in self.consents:
            change.validate()

    def cleaned(self) -> Self:
        # Field by field rather than Record.cleaned(): the enums in the history are str
        # subclasses and must stay enums; the year group is also put in one form.
        return dataclasses.replace(
            self,
            name=clean_text(self.name),
            preferred_name=clean_text(self.preferred_name),
            year_group=normalise_year(clean_text(self.year_group)),
            form=clean_text(self.form),
            mis_id=clean_text(self.mis_id),
            admission_no=clean_text(self.admission_no),
            consents=tuple(c.cleaned() for c in self.consents),
            flags=tuple(dataclasses.replace(f, recorded_by=clean_text(f.recorded_by)) for f in self.flags),
        )

    # ----------------------------------------------------------------- derived

    @property
    def display_name(self) -> str:
        return display_name(self.name, self.preferred_name)

    @property
    def never_publish(self) -> NeverPublish | None:
        return self.flags[-1].reason if self.flags else None

    def active(self, today: date | None = None) -> bool:
        return self.left_on is None or self.left_on > (today or local_today())

    def states(self) -> dict[Purpose, ConsentState]:
        return derive_states(c.facts() for c in self.consents)

    def history(self) -> tuple[ConsentChange, ...]:
        """The consent history oldest first, by the date each decision was given (then when it was recorded).

        Not the stored order: a file imported late (last year's, say) would otherwise list
        old decisions after newer ones and read as if they came last.
        """
        return tuple(sorted(self.consents, key=history_key))

    def latest(self, purpose: Purpose) -> ConsentChange | None:
        """The decision that is current for `purpose`: the latest given (see derive_states), not the last recorded."""
        mine = [c for c in self.consents if c.purpose is purpose]
        return max(reversed(mine), key=lambda c: decision_key(c.facts()), default=None)


def history_key(entry: ConsentChange | FlagChange) -> tuple[str, datetime]:
    """Where an entry goes in a listed history: the day it was given or took effect, then when it was recorded."""
    if isinstance(entry, FlagChange):
        return (entry.on.isoformat(), entry.recorded_at)
    return (decision_key(entry.facts()), entry.recorded_at)


def display_name(name: str, preferred: str) -> str:
    """'Amelia Smith (Milly)' when the preferred name is not already the first name."""
    if preferred and preferred.casefold() != (name.split() or [""])[0].casefold():
        return f"{name} ({preferred})"
    return name


# --------------------------------------------------------------------- derived state


class ConsentState(NamedTuple):
    """Where one purpose stands now, derived from the history.

    A NamedTuple rather than a dataclass: the list index makes six per pupil, and
    building a tuple costs a fraction of a frozen dataclass.
    """

    purpose: Purpose
    status: ConsentStatus | None  # None: nothing recorded for this purpose
    given_on: date | None = None
    review_on: date | None = None
    withdrawn_on: date | None = None  # refused after having been granted
    child_objects: bool = False

    def expired(self, today: date) -> bool:
        return self.status is ConsentStatus.GRANTED and self.review_on is not None and self.review_on < today

    def expiring(self, today: date, days: int = EXPIRY_WARNING_DAYS) -> bool:
        return (
            self.status is ConsentStatus.GRANTED
            and self.review_on is not None
            and today <= self.review_on <= today + timedelta(days=days)
        )

    def cleared(self, today: date) -> bool:
        return self.status is ConsentStatus.GRANTED and not self.expired(today) and not self.child_objects

    def word(self, today: date) -> str:
        """One word for lists: granted, expiring, expired, refused, withdrawn, not asked, not recorded."""
        if self.status is None:
            return "not recorded"
        if self.status is ConsentStatus.GRANTED:
            if self.expired(today):
                return "expired"
            return "expiring" if self.expiring(today) else "granted"
        if self.status is ConsentStatus.REFUSED:
            return "withdrawn" if self.withdrawn_on else "refused"
        return "not asked"


STATE_WORDS = ("granted", "expiring", "expired", "refused", "withdrawn", "not asked", "not recorded")
# Three letters for a state in narrow list columns, and the legend that explains them.
STATE_SHORT = {
    "granted": "yes",
    "expiring": "due",
    "expired": "exp",
    "refused": "no",
    "withdrawn": "wdn",
    "not asked": "ask",
    "not recorded": "-",
}
# Fits one 80-column line; "-" (not recorded) and "NP" (never publish) are explained beside it.
STATE_LEGEND = f"yes granted  due ≤{EXPIRY_WARNING_DAYS}d  exp expired  no refused  wdn withdrawn  ask not asked"


# Plain values for the hot loop below (enum attribute lookups cost more than the work).
_PURPOSES = tuple(Purpose)
_STATUSES = {s.value: s for s in ConsentStatus}
_REFUSED, _GRANTED, _OBJECTS = ConsentStatus.REFUSED.value, ConsentStatus.GRANTED.value, ChildView.OBJECTS.value


def decision_key(fact: _Facts) -> str:
    """When a decision was given, as an ISO date: the date given, else the day it was recorded.

    Decisions are ordered by this, not by when they reached SafeDesk: last year's file
    imported after a withdrawal must not bring the old grant back.
    """
    day = fact[2] or fact[5]
    return day if isinstance(day, str) else day.isoformat()


def derive_states(facts: Iterable[_Facts]) -> dict[Purpose, ConsentState]:
    """The current state of every purpose from the history, in the order the decisions were given.

    The one place the rules live: both Pupil.states() and the list index call it. Entries
    are ordered by decision_key(); on the same day the one recorded later wins (sorted() is
    stable). An entry older than the latest decision is history and never becomes current.
    Dates may be ISO strings (straight from a stored document): only those used are parsed.
    """
    latest: dict[str, _Facts] = {}
    granted_before: set[str] = set()
    withdrawn: dict[str, date | str | None] = {}
    for fact in sorted(facts, key=decision_key):
        purpose, status = fact[0], fact[1]
        if status == _REFUSED:
            if purpose in granted_before:
                withdrawn[purpose] = fact[2] or fact[5]
                granted_before.discard(purpose)
        else:
            if withdrawn:
                withdrawn.pop(purpose, None)
            if status == _GRANTED:
                granted_before.add(purpose)
        latest[purpose] = fact
    states = {}
    for purpose in _PURPOSES:
        last = latest.get(purpose)
        if last is None:
            states[purpose] = _NOT_RECORDED[purpose]
            continue
        status = _STATUSES[last[1]]
        states[purpose] = ConsentState(
            purpose,
            status,
            _as_date(last[2]),
            _as_date(last[3]),
            _as_date(withdrawn.get(purpose)) if status is ConsentStatus.REFUSED else None,
            last[4] == _OBJECTS,
        )
    return states


def _as_date(value: date | str | None) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


_NOT_RECORDED = {p: ConsentState(p, None) for p in Purpose}


# --------------------------------------------------------------------- the index


def fold(text: str) -> str:
    """Text for matching: case- and accent-insensitive, apostrophes dropped ("O'Brien" ~ "obrien")."""
    if not text.isascii():
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return text.casefold().replace("'", "").replace("\u2019", "").replace("\u02bc", "").replace("`", "")


def _words(*texts: str) -> tuple[str, ...]:
    words: list[str] = []
    for text in texts:
        for word in fold(text).split():
            words.append(word)
            if "-" in word:
                words.extend(part for part in word.split("-") if part)
    return tuple(words)


def name_key(name: str) -> str:
    return " ".join(fold(name).split())


@dataclass(slots=True, eq=False)
class PupilRow:
    """What lists, counts and type-ahead need of a pupil, read from the stored document.

    The consent states are worked out when first asked for: a list drawing the 20
    rows on screen, or sorting by name, never pays for the other 4,980.
    """

    id: int
    name: str
    preferred_name: str
    year_group: str
    form: str
    mis_id: str
    admission_no: str
    date_of_birth: date | None
    left_on: date | None
    never_publish: NeverPublish | None
    history: list[dict[str, Any]] = field(repr=False)  # the stored consent entries
    name_key: str = field(repr=False)
    _states: dict[Purpose, ConsentState] | None = field(default=None, repr=False)
    # Only type-ahead needs these: worked out when it first asks, so an index built to check
    # one pupil (the CLI) does not fold every name twice more.
    _words: tuple[str, ...] | None = field(default=None, repr=False)
    _form_key: str | None = field(default=None, repr=False)

    @property
    def words(self) -> tuple[str, ...]:
        if self._words is None:
            self._words = _words(self.name, self.preferred_name)
        return self._words

    @property
    def form_key(self) -> str:
        if self._form_key is None:
            self._form_key = fold(self.form).replace(" ", "")
        return self._form_key

    @property
    def states(self) -> dict[Purpose, ConsentState]:
        if self._states is None:
            self._states = derive_states(
                (c["purpose"], c["status"], c.get("given_on"), c.get("review_on"), c.get("child_view", ""), c["recorded_at"][:10])
                for c in self.history
            )
        return self._states

    @property
    def display_name(self) -> str:
        return display_name(self.name, self.preferred_name)

    def active(self, today: date) -> bool:
        return self.left_on is None or self.left_on > today

    def matches(self, tokens: Sequence[str]) -> bool:
        """Every typed word starts a word of the name or preferred name, or the class/form."""
        return all(any(w.startswith(t) for w in self.words) or self.form_key.startswith(t) for t in tokens)


def _row(doc_id: int, doc: Mapping[str, Any]) -> PupilRow:
    flags = doc.get("flags") or ()
    reason = flags[-1].get("reason") if flags else None
    name, preferred, form = doc.get("name", ""), doc.get("preferred_name", ""), doc.get("form", "")
    return PupilRow(
        id=doc_id,
        name=name,
        preferred_name=preferred,
        year_group=doc.get("year_group", ""),
        form=form,
        mis_id=doc.get("mis_id", ""),
        admission_no=doc.get("admission_no", ""),
        date_of_birth=_as_date(doc.get("date_of_birth")),
        left_on=_as_date(doc.get("left_on")),
        never_publish=NeverPublish(reason) if reason else None,
        history=doc.get("consents") or [],
        name_key=name_key(name),
    )


@dataclass(eq=False)  # compared by identity: one index per version of the table
class PupilIndex:
    rows: list[PupilRow]
    by_id: dict[int, PupilRow]
    by_mis: dict[str, list[int]]
    by_adno: dict[str, list[int]]  # admission numbers kept beside a UPN
    by_name: dict[str, list[int]]
    version: object  # the stored table this was built from

    @classmethod
    def build(cls, raw: Documents) -> PupilIndex:
        rows = [_row(int(doc_id), doc) for doc_id, doc in raw.items()]
        by_mis: dict[str, list[int]] = {}
        by_adno: dict[str, list[int]] = {}
        by_name: dict[str, list[int]] = {}
        for row in rows:
            if row.mis_id:
                by_mis.setdefault(row.mis_id.casefold(), []).append(row.id)
            if row.admission_no:
                by_adno.setdefault(row.admission_no.casefold(), []).append(row.id)
            by_name.setdefault(row.name_key, []).append(row.id)
            if row.preferred_name:
                # "Milly Smith" finds Amelia Smith (Milly): preferred first name plus the rest.
                alias = name_key(" ".join([row.preferred_name, *row.name.split()[1:]]))
                if alias != row.name_key:
                    by_name.setdefault(alias, []).append(row.id)
        return cls(rows, {r.id: r for r in rows}, by_mis, by_adno, by_name, raw)


_INDEXES: weakref.WeakKeyDictionary[Session, PupilIndex] = weakref.WeakKeyDictionary()


def pupil_documents(session: Session) -> Documents:
    """The stored pupil documents as they are (no copy, no decoding).

    Read-only. Every write replaces the scanned mapping, so its identity tells
    whether anything changed since an index or an import plan was made from it.
    """
    return session.scan(Pupil.TABLE)


def pupil_index(session: Session) -> PupilIndex:
    """Every pupil as a PupilRow, rebuilt only when the pupils table has changed."""
    raw = pupil_documents(session)
    index = _INDEXES.get(session)
    if index is None or index.version is not raw:
        index = PupilIndex.build(raw)
        _INDEXES[session] = index
    return index


def pupil_index_for(session: Session, texts: Sequence[str]) -> PupilIndex:
    """An index of just the pupils that naming `texts` can reach, for checking a few pupils
    (the CLI): what resolve_row and possible_duplicates find in it is what they find in the
    whole pupil_index, without making a row for every pupil of the school.

    It holds every pupil whose MIS id, admission number, name or preferred-name alias is one
    of `texts` (as resolve_row looks them up), and every pupil sharing a name with one of
    those (as possible_duplicates looks them up).
    """
    raw = pupil_documents(session)
    ids = {key for t in texts if (key := t.strip().casefold())}  # an empty MIS id is no id (as in PupilIndex.build)
    names = {name_key(t) for t in texts}
    same_name: dict[str, list[str]] = {}
    chosen: list[str] = []
    for doc_id, doc in raw.items():
        name = doc.get("name", "")
        key = name_key(name)
        same_name.setdefault(key, []).append(doc_id)
        preferred = doc.get("preferred_name", "")
        if (
            key in names
            or (doc.get("mis_id") or "").casefold() in ids
            or (doc.get("admission_no") or "").casefold() in ids
            or (preferred and name_key(" ".join([preferred, *name.split()[1:]])) in names)
        ):
            chosen.append(doc_id)
    reached = dict.fromkeys(chosen)
    for doc_id in chosen:
        reached.update(dict.fromkeys(same_name[name_key(raw[doc_id].get("name", ""))]))
    # In the stored order, as the whole index has them: candidates and namesakes come in that order.
    return PupilIndex.build({doc_id: doc for doc_id, doc in raw.items() if doc_id in reached})


# --------------------------------------------------------------------- reading


def get_pupil(session: Session, pupil_id: int) -> Pupil:
    return session.repo(Pupil).get(pupil_id)


def find_pupils(session: Session, text: str, limit: int = 10) -> list[Pupil]:
    """Type-ahead: pupils whose name, preferred name or class starts with each word typed.

    Current pupils come before leavers; a match at the start of the full name first.
    Accents, case and apostrophes are ignored ("zoe obrien" finds Zoë O'Brien).
    """
    return [get_pupil(session, row.id) for row in search_rows(session, text, limit)]


def search_rows(session: Session, text: str, limit: int = 10, today: date | None = None) -> list[PupilRow]:
    tokens = fold(text).split()
    if not tokens:
        return []
    today = today or local_today()
    whole = " ".join(tokens)
    found = [row for row in pupil_index(session).rows if row.matches(tokens)]
    found.sort(key=lambda r: (not r.active(today), not r.name_key.startswith(whole), r.name_key, r.id))
    return found[: max(limit, 0)]


def filter_rows(
    rows: Iterable[PupilRow],
    *,
    today: date,
    text: str = "",
    year: str = "",
    form: str = "",
    purpose: Purpose | None = None,
    state: str = "",
    never_publish_only: bool = False,
    include_left: bool = False,
) -> list[PupilRow]:
    """The pupil list's filters. `state` is one of STATE_WORDS or "not cleared", for `purpose`
    or, with no purpose, for any purpose."""
    tokens = fold(text).split()
    out = []
    for row in rows:
        if not include_left and not row.active(today):
            continue
        if year and row.year_group != year:
            continue
        if form and row.form != form:
            continue
        if never_publish_only and row.never_publish is None:
            continue
        if state and not any(_in_state(row, row.states[p], state, today) for p in ([purpose] if purpose else Purpose)):
            continue
        if tokens and not row.matches(tokens):
            continue
        out.append(row)
    return out


def _in_state(row: PupilRow, state: ConsentState, wanted: str, today: date) -> bool:
    if wanted == "not cleared":
        return row.never_publish is not None or not state.cleared(today)
    return state.word(today) == wanted


@dataclass(frozen=True)
class ExpiringConsent:
    pupil: PupilRow
    purpose: Purpose
    review_on: date

    def days_left(self, today: date) -> int:
        return (self.review_on - today).days


def expiring(session: Session, days: int = EXPIRY_WARNING_DAYS, today: date | None = None) -> list[ExpiringConsent]:
    """Granted consents of current pupils that have expired or expire within `days`, soonest first."""
    today = today or local_today()
    out = []
    for row in pupil_index(session).rows:
        if not row.active(today):
            continue
        for purpose, state in row.states.items():
            if state.expired(today) or state.expiring(today, days):
                out.append(ExpiringConsent(row, purpose, state.review_on))  # type: ignore[arg-type]
    out.sort(key=lambda e: (e.review_on, e.pupil.name_key, _PURPOSES.index(e.purpose)))
    return out


def consent_attention(session: Session) -> Iterable[AttentionItem]:
    today = local_today()
    due = expiring(session, today=today)
    expired = [e for e in due if e.review_on < today]
    soon = [e for e in due if e.review_on >= today]
    if expired:
        pupils = len({e.pupil.id for e in expired})
        yield AttentionItem(
            "overdue",
            f"{count_of(len(expired), 'image consent')} ({count_of(pupils, 'pupil')}) expired: "
            "renew them or treat them as not given.",
            "consents",
            "consents/expiring",
        )
    if soon:
        pupils = len({e.pupil.id for e in soon})
        verb = "expires" if len(soon) == 1 else "expire"
        yield AttentionItem(
            "due soon",
            f"{count_of(len(soon), 'image consent')} ({count_of(pupils, 'pupil')}) {verb} within {EXPIRY_WARNING_DAYS} days.",
            "consents",
            "consents/expiring",
        )


def count_of(n: int, noun: str, plural: str = "") -> str:
    """'1 pupil', '2,000 pupils'."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


# --------------------------------------------------------------------- writing


def _check_mis_id(session: Session, pupil: Pupil) -> None:
    if not pupil.mis_id:
        return
    others = [i for i in pupil_index(session).by_mis.get(pupil.mis_id.casefold(), []) if i != pupil.id]
    require(not others, "Another pupil already has this MIS id.", "mis_id")


def _store(session: Session, pupil: Pupil, summary: str) -> Pupil:
    """Save a changed pupil; the history may only grow (nothing recorded is rewritten)."""
    repo = session.repo(Pupil)
    if pupil.id is None:
        raise RecordNotFound("This pupil has not been stored yet.")
    stored = repo.get(pupil.id)
    if pupil.consents[: len(stored.consents)] != stored.consents or pupil.flags[: len(stored.flags)] != stored.flags:
        raise NotAllowed("Consent history is never rewritten: record a new change instead.")
    _check_mis_id(session, pupil)
    return repo.save(pupil, summary)


def add_pupil(session: Session, pupil: Pupil) -> Pupil:
    pupil = pupil.cleaned()
    pupil.validate()
    _check_mis_id(session, pupil)
    return session.repo(Pupil).add(pupil, summary="pupil added")


def update_details(session: Session, pupil: Pupil) -> Pupil:
    """Store changed name, preferred name, year, class or MIS id (the history is untouched)."""
    return _store(session, pupil, "")


def stamp(change: ConsentChange, session: Session, source: str = "screen") -> ConsentChange:
    """`change` marked as recorded now, by whoever is signed in."""
    return dataclasses.replace(change, recorded_at=utcnow(), recorded_by=session.actor, source=source)


def record_consent(session: Session, pupil_id: int, changes: Sequence[ConsentChange]) -> Pupil:
    """Append consent decisions (grants, refusals, withdrawals, renewals) to a pupil's history."""
    if not changes:
        raise InvalidInput("Choose at least one purpose.", "purposes")
    pupil = get_pupil(session, pupil_id)
    stamped = tuple(stamp(c, session) for c in changes)
    updated = dataclasses.replace(pupil, consents=pupil.consents + stamped)
    count = len(stamped)
    return _store(session, updated, f"consent history: {count} change{'s' if count != 1 else ''} recorded")


class Match(NamedTuple):
    """Which stored pupil a pupil from elsewhere (a handover) is, and how that was decided."""

    pupil_id: int | None
    how: str  # "MIS id", "admission number", "name and date of birth", "name and year group"; "" for no match
    same_name: tuple[int, ...] = ()  # pupils here with the same name that could not be told apart from it


def match_pupil(session: Session, pupil: Pupil) -> Match:
    """The stored pupil `pupil` is: by MIS id, admission number, name + date of birth, then name + year group.

    Never a guess: a name shared by several pupils here that neither the date of birth nor the
    year group tells apart is no match, and `same_name` says who they are.
    """
    index = pupil_index(session)
    for value, how in ((pupil.mis_id, "MIS id"), (pupil.admission_no, "admission number")):
        key = value.casefold()
        if key:
            found = list(dict.fromkeys(index.by_mis.get(key, []) + index.by_adno.get(key, [])))
            if len(found) == 1:
                return Match(found[0], how)
    mis = pupil.mis_id.casefold()
    rows = [
        index.by_id[i]
        for i in dict.fromkeys(index.by_name.get(name_key(pupil.name), []))
        if not (mis and index.by_id[i].mis_id and index.by_id[i].mis_id.casefold() != mis)
    ]
    if pupil.date_of_birth is not None:
        rows = [r for r in rows if r.date_of_birth in (None, pupil.date_of_birth)]
        dated = [r for r in rows if r.date_of_birth == pupil.date_of_birth]
        if len(dated) == 1:
            return Match(dated[0].id, "name and date of birth")
    if pupil.year_group:
        same_year = [r for r in rows if r.year_group == normalise_year(pupil.year_group)]
        if len(same_year) == 1 and len(rows) == 1:
            return Match(same_year[0].id, "name and year group")
    return Match(None, "", tuple(r.id for r in rows))


def merge_pupil(session: Session, into_id: int, incoming: Pupil, summary: str) -> Pupil:
    """Add another record of the same child to a stored pupil: one pupil, both histories.

    Consent entries not already held are appended (the current decision is the latest given,
    whatever order they arrive in); details blank here are filled in; a never-publish flag on
    the incoming record is set here too. Nothing held here is overwritten.
    """
    pupil = get_pupil(session, into_id)
    held = set(pupil.consents)
    added = tuple(c for c in incoming.consents if c not in held)
    fills = {
        key: getattr(incoming, key)
        for key in ("preferred_name", "year_group", "form", "mis_id", "admission_no", "date_of_birth")
        if not getattr(pupil, key) and getattr(incoming, key)
    }
    if "mis_id" in fills and pupil_index(session).by_mis.get(fills["mis_id"].casefold()):
        del fills["mis_id"]  # another pupil has it: MIS ids stay unique
    flags = pupil.flags
    if incoming.never_publish is not None and pupil.never_publish is None:
        flags = flags + (dataclasses.replace(incoming.flags[-1], recorded_at=utcnow(), recorded_by=session.actor),)
    updated = dataclasses.replace(pupil, consents=pupil.consents + added, flags=flags, **fills)
    return _store(session, updated, summary)


def set_never_publish(session: Session, pupil_id: int, reason: NeverPublish | None, on: date | None = None) -> Pupil:
    """Set the flag with a reason category, or remove it (reason None)."""
    pupil = get_pupil(session, pupil_id)
    if pupil.never_publish == reason:
        return pupil
    on = on or local_today()
    require(on <= local_today(), "The date is in the future.", "on")
    change = FlagChange(reason=reason, on=on, recorded_at=utcnow(), recorded_by=session.actor)
    updated = dataclasses.replace(pupil, flags=pupil.flags + (change,))
    # The category (looked after, adopted...) is personal data: the audit says only set or removed.
    return _store(session, updated, "never-publish flag " + ("set" if reason else "removed"))


def mark_left(session: Session, pupil_id: int, on: date | None) -> Pupil:
    """Record that a pupil left (on a date), or returned (None). Their history is kept."""
    pupil = get_pupil(session, pupil_id)
    summary = "pupil marked as left" if on else "pupil marked as current"
    return _store(session, dataclasses.replace(pupil, left_on=on), summary)


# --------------------------------------------------------------------- exports


def _header(session: Session, title: str, what: str, today: date) -> list[str]:
    setting = session.setting().name
    return [
        f"# {md_cell(title)}",
        "",
        f"Produced by SafeDesk for {md_cell(setting)} on {format_date(today)} by {md_cell(session.actor)}.",
        "",
        "> **Contains personal data about children.** Keep it only where staff who need it can see it, "
        "do not photograph, post or email it, and destroy printed copies when a newer list replaces them.",
        f"> {what}",
        "",
    ]


@dataclass(frozen=True)
class Export:
    text: str
    count: int
    kind: str  # "never-publish" | "cleared": the audit action is export.consents-<kind>
    what: str  # for the audit entry: which list, no names


def never_publish_export(session: Session, *, with_reasons: bool = False, today: date | None = None) -> Export:
    today = today or local_today()
    rows = sorted(
        (r for r in pupil_index(session).rows if r.never_publish is not None and r.active(today)),
        key=lambda r: (year_order(r.year_group), r.form.casefold(), r.name_key),
    )
    lines = _header(
        session,
        "Never-publish list",
        "Do not publish any image of these pupils anywhere: website, social media, print, press, video or displays.",
        today,
    )
    heading = "| Pupil | Year | Class |" + (" Reason category |" if with_reasons else "")
    lines += [heading, "|---|---|---|" + ("---|" if with_reasons else "")]
    for row in rows:
        cells = [md_cell(row.display_name), md_cell(row.year_group), md_cell(row.form)]
        if with_reasons and row.never_publish:
            cells.append(row.never_publish.label)
        lines.append("| " + " | ".join(cells) + " |")
    if not rows:
        lines.append("| (no pupils are flagged) | | |" + (" |" if with_reasons else ""))
    lines += ["", f"{count_of(len(rows), 'pupil')}."]
    what = "never-publish list" + (" with reason categories" if with_reasons else "")
    return Export("\n".join(lines) + "\n", len(rows), "never-publish", what)


def cleared_export(session: Session, purpose: Purpose, today: date | None = None) -> Export:
    """Current pupils whose images may be used for `purpose` today (consent granted, in date, no flag)."""
    today = today or local_today()
    rows = sorted(
        (
            r
            for r in pupil_index(session).rows
            if r.active(today) and r.never_publish is None and r.states[purpose].cleared(today)
        ),
        key=lambda r: (year_order(r.year_group), r.form.casefold(), r.name_key),
    )
    lines = _header(
        session,
        f"Cleared for {purpose.label.lower()}",
        f"Consent for {purpose.label.lower()} is granted and in date on {format_date(today)}. "
        "Anyone not listed must not appear. Check again before each post: consent can be withdrawn at any time.",
        today,
    )
    lines += ["| Pupil | Year | Class | Consent until |", "|---|---|---|---|"]
    for row in rows:
        review = row.states[purpose].review_on
        lines.append(
            f"| {md_cell(row.display_name)} | {md_cell(row.year_group)} | {md_cell(row.form)} | {format_date(review) or 'no end date'} |"
        )
    if not rows:
        lines.append("| (no pupil is cleared) | | | |")
    lines += ["", f"{count_of(len(rows), 'pupil')}."]
    return Export("\n".join(lines) + "\n", len(rows), "cleared", f"list of pupils cleared for {purpose.value}")


def write_export(session: Session, export: Export, path: Path, *, overwrite: bool = False) -> None:
    """Write the export (owner-only where the OS allows) and audit it with a hash of what left."""

    path = Path(path).expanduser()
    if path.exists() and not overwrite:
        raise InvalidInput("That file already exists: choose another name (or allow overwriting).", "path")
    if not path.parent.is_dir():
        raise InvalidInput("That folder does not exist.", "path")
    data = export.text.encode("utf-8")
    try:
        atomic_write(path, data)
    except OSError as error:
        raise describe_os_error(error, "write the export") from None
    try:
        session.audit_event(
            f"export.consents-{export.kind}",
            f"{export.what} exported ({count_of(export.count, 'pupil')}, sha256 {hashlib.sha256(data).hexdigest()[:16]})",
            target=Pupil.TABLE,
        )
    except BaseException:
        path.unlink(missing_ok=True)  # an export must not stand unrecorded
        raise


# --------------------------------------------------------------------- verify


def verify_pupils(session: Session) -> Iterable[Check]:
    index = pupil_index(session)
    if not index.rows:
        return
    shared = sum(1 for ids in index.by_mis.values() if len(ids) > 1)
    text = f"consents: {count_of(len(index.rows), 'pupil')}"
    yield Check(shared == 0, text + (f"; {count_of(shared, 'MIS id')} shared by two pupils" if shared else ", MIS ids unique"))


# --------------------------------------------------------------------- reports


def consent_register_export(session: Session, today: date | None = None) -> Export:
    """Every current pupil with the state of each purpose and any never-publish flag."""
    today = today or local_today()
    rows = sorted(
        (r for r in pupil_index(session).rows if r.active(today)),
        key=lambda r: (year_order(r.year_group), r.form.casefold(), r.name_key),
    )
    lines = _header(session, "Consent register", "The current consent state of every pupil, per purpose.", today)
    lines += [
        "| Pupil | Year | Class | " + " | ".join(p.label for p in _PURPOSES) + " | Never publish |",
        "|---|---|---|" + "---|" * len(_PURPOSES) + "---|",
    ]
    for row in rows:
        states = [row.states[p].word(today) for p in _PURPOSES]
        flag = "yes" if row.never_publish else ""
        lines.append(
            f"| {md_cell(row.display_name)} | {md_cell(row.year_group)} | {md_cell(row.form)} | "
            + " | ".join(states)
            + f" | {flag} |"
        )
    if not rows:
        lines.append("| (no pupils) | | |" + " |" * len(_PURPOSES) + " |")
    lines += ["", f"{count_of(len(rows), 'pupil')}."]
    return Export("\n".join(lines) + "\n", len(rows), "register", "consent register")


def _register_with_events(session: Session) -> Export:
    # Imported here: events builds on this module (its check and lists use the pupil index).
    from safedesk.store.consents.events import register_with_events

    return register_with_events(session)


def _purpose_of(value: str) -> Purpose:
    try:
        return Purpose(value)
    except ValueError:
        raise InvalidInput(f"Unknown purpose '{value}'. Purposes: {', '.join(p.value for p in Purpose)}.", "purpose") from None


# The consent register's reports, offered by `safedesk export` and the Reports screen.
REPORTS: tuple[Report, ...] = (
    Report(
        "consent-register",
        "Consent register",
        "Every pupil's consent state per purpose, and each event's decisions.",
        lambda s, p: _register_with_events(s).text,
    ),
    Report(
        "never-publish",
        "Never-publish list",
        "Pupils whose images must never be published.",
        lambda s, p: never_publish_export(s).text,
    ),
    Report(
        "cleared",
        "Cleared for a purpose",
        "Pupils cleared for one purpose today.",
        lambda s, p: cleared_export(s, _purpose_of(p.purpose)).text,
        ("purpose",),
    ),
)
