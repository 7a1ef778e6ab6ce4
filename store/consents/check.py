"""The pre-publish check: may these pupils appear in this channel today?

PASS only when every pupil has consent for every purpose the channel needs,
granted, in date, not withdrawn, not objected to by the pupil, and no
never-publish flag. Otherwise STOP, with one reason per pupil: the most serious
one, so the person posting knows what to do (leave the child out, or renew).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from safedesk.store.consents.pupils import (
    ConsentState,
    ConsentStatus,
    Pupil,
    PupilIndex,
    PupilRow,
    Purpose,
    fold,
    format_date,
    get_pupil,
    name_key,
    pupil_index,
)
from safedesk.store.errors import InvalidInput
from safedesk.store.text.dates import age_on, local_today

if TYPE_CHECKING:
    from safedesk.store.engine.session import Session


@dataclass(frozen=True)
class Channel:
    key: str
    label: str
    purposes: tuple[Purpose, ...]


# Each purpose on its own, then channels that need more than one.
CHANNELS: tuple[Channel, ...] = (
    Channel("social-media", "Official social media (Facebook, X, Instagram...)", (Purpose.SOCIAL_MEDIA,)),
    Channel("website", "School website", (Purpose.WEBSITE,)),
    Channel("print", "Newsletter, prospectus or other print", (Purpose.PRINT,)),
    Channel("press", "Local press or other media", (Purpose.PRESS,)),
    Channel("video", "Video or livestream shown by the school", (Purpose.VIDEO,)),
    Channel("displays", "Display in school", (Purpose.DISPLAYS,)),
    Channel("youtube", "YouTube or a social-media livestream (social media + video)", (Purpose.SOCIAL_MEDIA, Purpose.VIDEO)),
)
_CHANNEL_ALIASES = {
    "social": "social-media",
    "socialmedia": "social-media",
    "facebook": "social-media",
    "instagram": "social-media",
    "x": "social-media",
    "twitter": "social-media",
    "web": "website",
    "newsletter": "print",
    "newsletters": "print",
    "media": "press",
    "livestream": "video",
    "display": "displays",
}


def purposes_for(words: Sequence[str]) -> tuple[Purpose, ...]:
    """Purposes from purpose keys or channel names ('social-media', 'youtube', 'facebook'...)."""
    by_key = {c.key: c for c in CHANNELS}
    chosen: list[Purpose] = []
    for word in words:
        key = "-".join(fold(word).replace("_", " ").split())
        channel = by_key.get(_CHANNEL_ALIASES.get(key, key))
        if channel is None:
            choices = ", ".join(c.key for c in CHANNELS)
            raise InvalidInput(f"Unknown purpose or channel: use one of {choices}.", "purpose")
        chosen.extend(p for p in channel.purposes if p not in chosen)
    if not chosen:
        raise InvalidInput("Choose what the image is for (a purpose or channel).", "purpose")
    return tuple(chosen)


# --------------------------------------------------------------------- verdicts

# Most serious first: a pupil gets the first reason that applies.
REASON_ORDER = ("never-publish", "withdrawn", "refused", "child-objects", "expired", "not-asked", "not-recorded")


@dataclass(frozen=True)
class Verdict:
    pupil_id: int
    name: str  # display name
    form: str
    code: str  # "cleared" or one of REASON_ORDER
    reason: str  # one sentence; "" when cleared
    note: str = ""  # said beside the verdict, never changing it (a pupil old enough to give their own view)

    @property
    def cleared(self) -> bool:
        return self.code == "cleared"


@dataclass(frozen=True)
class CheckResult:
    purposes: tuple[Purpose, ...]
    verdicts: tuple[Verdict, ...]
    on: date
    what: str = ""  # an event checked instead of purposes (safedesk.store.consents.events)

    @property
    def passed(self) -> bool:
        return bool(self.verdicts) and all(v.cleared for v in self.verdicts)

    @property
    def stops(self) -> list[Verdict]:
        return [v for v in self.verdicts if not v.cleared]

    @property
    def purpose_text(self) -> str:
        if self.what:
            return self.what
        return " + ".join(p.label.lower() for p in self.purposes)

    def headline(self) -> str:
        if not self.verdicts:
            return "Pick the pupils in the image."
        n = len(self.verdicts)
        if self.passed:
            return f"PASS: {'the pupil is' if n == 1 else f'all {n} pupils are'} cleared for {self.purpose_text}."
        stops = len(self.stops)
        return f"STOP: {stops} of {n} pupil{'s' if n != 1 else ''} {'is' if stops == 1 else 'are'} not cleared for {self.purpose_text}."


def _problem(state: ConsentState, today: date) -> tuple[str, str] | None:
    if state.status is None:
        return "not-recorded", "no consent recorded"
    if state.status is ConsentStatus.NOT_ASKED:
        return "not-asked", "no consent: not asked yet"
    if state.status is ConsentStatus.REFUSED:
        if state.withdrawn_on:
            return "withdrawn", f"consent withdrawn on {format_date(state.withdrawn_on)}"
        return "refused", "consent refused"
    if state.child_objects:
        return "child-objects", "the pupil objects to their image being used"
    if state.expired(today):
        return "expired", f"consent expired (review date {format_date(state.review_on)})"
    return None


# ICO, "What rights do children have?" (Children and the UK GDPR): a child may exercise their
# rights "on their own behalf as long as they are competent to do so"; in Scotland a person aged
# 12 or over is presumed to be. The Education People's "Using Social Media in Educational
# Settings" (November 2018) applies it to images: permission from the child "if they are over 12 years old and deemed to be
# competent ..., as suggested by the Information Commissioner". So from 12 the note says ask them.
OWN_VIEW_AGE = 12


def own_view_note(born: date | None, today: date) -> str:
    """For a pupil 12 or older (date of birth recorded): their own view counts, not only their parents'."""
    if born is None or age_on(born, today) < OWN_VIEW_AGE:
        return ""
    return f"{age_on(born, today)} years old: can give their own view if competent (ICO); ask them if it has not been sought"


def verdict(
    pupil_id: int,
    name: str,
    form: str,
    states: dict[Purpose, ConsentState],
    never_publish: bool,
    purposes: Sequence[Purpose],
    today: date,
    born: date | None = None,
) -> Verdict:
    """One pupil's verdict: cleared, or the most serious reason they are not."""
    problems: list[tuple[str, str]] = []
    if never_publish:
        problems.append(("never-publish", "on the never-publish list: no image, for any purpose"))
    for purpose in purposes:
        problem = _problem(states[purpose], today)
        if problem:
            # With several purposes, say which one the reason is about.
            problems.append((problem[0], f"{purpose.label.lower()}: {problem[1]}" if len(purposes) > 1 else problem[1]))
    note = own_view_note(born, today)
    if not problems:
        return Verdict(pupil_id, name, form, "cleared", "", note)
    code, reason = min(problems, key=lambda p: REASON_ORDER.index(p[0]))
    return Verdict(pupil_id, name, form, code, reason, note)


def check_pupils(pupils: Sequence[Pupil], purposes: Sequence[Purpose], today: date | None = None) -> CheckResult:
    """The check for pupils already picked (records from find_pupils or resolve_pupils)."""
    today = today or local_today()
    verdicts = tuple(
        verdict(p.id or 0, p.display_name, p.form, p.states(), p.never_publish is not None, purposes, today, p.date_of_birth)
        for p in pupils
    )
    return CheckResult(tuple(purposes), verdicts, today)


def check_rows(
    rows: Sequence[PupilRow], purposes: Sequence[Purpose], today: date | None = None, index: PupilIndex | None = None
) -> CheckResult:
    """The same check from list rows (no records decoded): what the TUI and the CLI use.

    With the `index`, a pupil is cleared only if every record that may be the same child
    (possible_duplicates) is cleared too: a stale copy never answers PASS for a withdrawn child.
    """
    today = today or local_today()
    verdicts = []
    for r in rows:
        own = verdict(r.id, r.display_name, r.form, r.states, r.never_publish is not None, purposes, today, r.date_of_birth)
        if own.cleared and index is not None:
            for other in possible_duplicates(index, r):
                theirs = verdict(
                    other.id, other.display_name, other.form, other.states, other.never_publish is not None, purposes, today
                )
                if not theirs.cleared:
                    reason = (
                        f"another record with this name, not told apart by MIS id, date of birth or year, says: {theirs.reason}; "
                        "check whether it is the same child"
                    )
                    own = Verdict(r.id, r.display_name, r.form, theirs.code, reason, own.note)
                    break
        verdicts.append(own)
    return CheckResult(tuple(purposes), tuple(verdicts), today)


def possible_duplicates(index: PupilIndex, row: PupilRow) -> list[PupilRow]:
    """Other records that may be the same child: the same name and nothing that tells them apart.

    Two records with MIS ids are two children (ids are unique); a different date of birth or
    year group tells them apart too. What is left (a copy kept without its MIS id, say) may be
    the same child, so the check listens to both.
    """
    out = []
    for i in dict.fromkeys(index.by_name.get(row.name_key, [])):
        other = index.by_id[i]
        if other.id == row.id or other.name_key != row.name_key or (row.mis_id and other.mis_id):
            continue
        if row.date_of_birth and other.date_of_birth and row.date_of_birth != other.date_of_birth:
            continue
        if row.year_group and other.year_group and row.year_group != other.year_group:
            continue
        out.append(other)
    return out


# --------------------------------------------------------------------- naming pupils


@dataclass(frozen=True)
class Resolution:
    """What one name or MIS id given on the command line points to."""

    text: str
    pupil: Pupil | None
    candidates: tuple[PupilRow, ...] = ()  # several: ambiguous; none and pupil None: unknown


def resolve_row(
    session: Session, text: str, today: date | None = None, index: PupilIndex | None = None
) -> tuple[PupilRow | None, tuple[PupilRow, ...]]:
    """A pupil's list row by MIS id or admission number (exact, any case) or full name; (None, candidates) otherwise.

    Never a guess: a partial name matches nobody, and two current pupils with the
    same name are ambiguous. A leaver is chosen only when no current pupil matches.
    `index`: the whole pupil_index by default, or a pupil_index_for(session, [text, ...]).
    """
    today = today or local_today()
    index = index or pupil_index(session)
    key = text.strip().casefold()
    ids = index.by_mis.get(key) or index.by_adno.get(key) or index.by_name.get(name_key(text), [])
    rows = [index.by_id[i] for i in dict.fromkeys(ids)]
    current = [r for r in rows if r.active(today)]
    if current:
        rows = current
    if len(rows) == 1:
        return rows[0], ()
    return None, tuple(rows)


def resolve_pupil(session: Session, text: str, today: date | None = None) -> Resolution:
    """A pupil by MIS id, admission number or full name, as a record (see resolve_row)."""
    row, candidates = resolve_row(session, text, today)
    if row is not None:
        return Resolution(text, get_pupil(session, row.id))
    return Resolution(text, None, candidates)


# --------------------------------------------------------------------- image rules


@dataclass(frozen=True)
class ImageRule:
    text: str
    short: str  # for the check screen's one-line reminder
    card: str  # the guidance card that says it
    keyword: str  # a word that card must contain (tests keep the rule tied to its card)


IMAGE_RULES: tuple[ImageRule, ...] = (
    ImageRule(
        "No pupil's name with the image: not in the post, caption or file name.",
        "no names with the image",
        "guide-official-channel-photos-children",
        "names",
    ),
    ImageRule(
        "Take and upload it on a school device, never a personal phone.",
        "school device only",
        "guide-official-channel-photos-children",
        "school devices",
    ),
    ImageRule(
        "Everyone suitably dressed; nothing that could embarrass a child.", "suitably dressed", "guide-use-of-images", "dressed"
    ),
    ImageRule("Turn tagging of people off where the platform allows.", "tagging off", "guide-use-of-images", "tagging"),
    ImageRule(
        "Post only on the school's official accounts.", "official accounts only", "guide-use-of-images", "official accounts"
    ),
    ImageRule(
        "Leave out anyone who asked not to be photographed.", "leave out anyone who asked", "guide-use-of-images", "photographed"
    ),
)
RULES_CARD = "guide-use-of-images"
