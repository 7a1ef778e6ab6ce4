"""The guidance's forms, filled in and kept as dated versions.

Five forms come from the guidance: the web tool risk assessment (000 Annex A), the
web tools checklist (000 Annex B), the consideration form (000 Annex C), the pre-use
checklist (000 section 4) and the new account business case (001). Their questions
are not copied here: they are read from the guidance cards that carry them (each
`##` section's bullets), so a form and its card can never say different things.

A filled form has a working **draft** and **versions**: saving a version freezes the
answers together with the questions as they were worded that day, so last year's
assessment stays readable whatever the cards say now. A version names the date it
was assessed and when it must be re-assessed (a year later unless set otherwise);
the home screen says when that date is near or past. A form may be about one of the
school's official accounts (safedesk.store.accounts.register), linked by the account's id.

Answers are one flat mapping of *addresses* to text: the question's stable key (from
its card, section and first wording: a reworded question keeps it, see KEPT_KEYS), then
`#n` for the n-th entry of a section filled once per item (a risk and its action),
then `|note` (the further information of a yes/no question) or `|<group>` (one
group's cell of a rating grid).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from safedesk.store.accounts.register import Register, Status
from safedesk.store.engine.files import write_export
from safedesk.store.engine.records import Record, require, utcnow
from safedesk.store.engine.verify import Check
from safedesk.store.errors import InvalidInput, NotAllowed, RecordNotFound
from safedesk.store.registry import AttentionItem
from safedesk.store.text.clean import clean_text
from safedesk.store.text.dates import local_zone, parse_date, show_date, show_datetime, to_local_date
from safedesk.store.text.document import Document, Format, render
from safedesk.store.text.limits import Kind, limit, too_long
from safedesk.store.text.markdown import check_markdown, md_block, md_cell, md_escape

if TYPE_CHECKING:
    from safedesk.content.cards import Card
    from safedesk.content.library import Library
    from safedesk.store.engine.session import Session

# --------------------------------------------------------------------- form types


@dataclass(frozen=True)
class FormType:
    id: str
    title: str
    short: str  # for narrow table columns
    source: str  # where the form comes from in the guidance, for the export's header
    cards: tuple[str, ...]  # the guidance cards whose `##` bullets are its questions, in order
    about: str  # one line: what the form is for
    repeat_sections: frozenset[str] = frozenset()  # sections filled once per item (a table in the export)
    last_sections: tuple[str, ...] = ()  # sections moved to the end (the decision comes after the hazards)


FORM_TYPES: dict[str, FormType] = {
    t.id: t
    for t in (
        FormType(
            "web-tool-risk-assessment",
            "Risk assessment: a web tool or platform",
            "Risk assessment",
            "Kent, Using Social Media in Educational Settings (2018), Annex A",
            ("form-web-tool-risk-assessment",),
            "Before a site, app or platform is used in class or unblocked: the risks for each age group and the actions agreed.",
            repeat_sections=frozenset({"Key issues and action required"}),
        ),
        FormType(
            "web-tools-checklist",
            "Web tools checklist",
            "Web tools check",
            "Kent, Using Social Media in Educational Settings (2018), Annex B",
            ("checklist-web-tools", "checklist-web-tools-2", "checklist-web-tools-3"),
            "Yes/no checks on a classroom web tool: approval, privacy and data, content and communication.",
        ),
        FormType(
            "social-media-consideration",
            "Consideration form: using a social media site",
            "Consideration",
            "Kent, Using Social Media in Educational Settings (2018), Annex C",
            (
                "form-social-media-consideration",
                "form-social-media-consideration-hazards",
                "form-social-media-consideration-hazards-2",
            ),
            "Before a social media site is used for school: reasons, preparation, each hazard and the leadership decision.",
            last_sections=("Decision and justification",),
        ),
        FormType(
            "pre-use-checklist",
            "Pre-use checklist: a social media tool",
            "Pre-use check",
            "Kent, Using Social Media in Educational Settings (2018), checklist for using social media tools",
            ("checklist-pre-use",),
            "The questions to answer before any social media tool is used, from purpose to measuring success.",
        ),
        FormType(
            "new-account-business-case",
            "Business case: a new school account",
            "Business case",
            "Primary school social media policy (2021), process for creating new accounts",
            ("form-new-account-business-case",),
            "What SLT needs to approve or reject a proposed official account.",
        ),
    )
}

# Answer kinds. A question's kind follows from its wording (see field_kind).
TEXT, YESNO, DATE, GRID = "text", "yesno", "date", "grid"
YESNO_CHOICES: dict[str, str] = {"yes": "Yes", "no": "No", "n/a": "Not applicable"}
# The age groups of Annex A's rating grid (the card says to adapt them to the setting).
GROUPS: tuple[str, ...] = ("Staff", "Early Years", "KS1", "KS2", "KS3", "KS4", "16+")
NOTE = "note"
REVIEW_AFTER_MONTHS = 12  # the guidance asks for a yearly re-assessment
DUE_SOON = timedelta(days=30)
MAX_ENTRIES = 50

_QUESTION_WORDS = frozenset({"what", "which", "who", "whom", "whose", "how", "why", "where", "when"})
# The few questions whose wording reads as yes/no but asks for words (checked against
# the cards by a test, so a reworded card cannot leave a stale entry here).
KIND_OVERRIDES: dict[str, str] = {
    "If we cannot, how will we keep our community safe?": TEXT,
    "Will pupils, parents/carers or staff lead it?": TEXT,
}


def field_kind(question: str) -> str:
    """How a question is answered, from its wording: a rating per group ('..., by group'),
    a date ('Date ...'), yes/no with further information (a closed question), else text.

    A question is open when the sentence holding its question mark starts with a question
    word, after any label: "Aim: what is the account for?" is text.
    """
    if question in KIND_OVERRIDES:
        return KIND_OVERRIDES[question]
    words = re.findall(r"[a-z0-9+]+", question.lower())
    if question.rstrip(" .").lower().endswith("by group"):
        return GRID
    if words and words[0] == "date":
        return DATE
    if "?" not in question:
        return TEXT
    clause = re.split(r"[:.]", question.split("?")[0])[-1]
    first = re.findall(r"[a-z0-9+]+", clause.lower())[:1]
    return TEXT if first and first[0] in _QUESTION_WORDS else YESNO


@dataclass(frozen=True, kw_only=True)
class Question:
    """One question of a form, as worded on its card (also frozen into each version)."""

    LIMITS: ClassVar[dict[str, Kind]] = {"text": Kind.LONG}

    key: str  # stable: card, section and the question's first wording (question_key)
    card_id: str
    section: str
    text: str
    kind: str = TEXT
    repeat: bool = False  # in a section filled once per item


@dataclass(frozen=True)
class Section:
    card_id: str
    title: str
    note: str  # the card's explanation under the heading (plain text; may be empty)
    questions: tuple[Question, ...]
    repeat: bool = False


# Answers are stored under their question's key, so a key must never change: a reworded
# question (or renamed section) keeps the key its first wording gave it. Each entry maps the
# key the new wording would give to the key answers are already saved under
# (tests/forms/question_keys.txt pins every key and fails when one changes).
KEPT_KEYS: dict[str, str] = {
    "form-new-account-business-case/the-proposal/visibility-who-can-see-what-it-posts-any": (
        "form-new-account-business-case/the-proposal/will-the-account-be-open-or-private-clos"
    ),
}


def question_key(card_id: str, section: str, text: str) -> str:
    """The stable key of a question: from its card, section and first wording (KEPT_KEYS)."""
    natural = f"{card_id}/{_slug(section)}/{_slug(text)}"
    return KEPT_KEYS.get(natural, natural)


def _slug(text: str, limit: int = 40) -> str:
    slug = "-".join(re.findall(r"[a-z0-9]+", text.lower()))
    return slug[:limit].rstrip("-") or "q"


def sections_of(card: Card, repeat: frozenset[str] = frozenset()) -> list[Section]:
    """A card's `##` sections that hold questions, each with its explanation and questions."""
    notes = section_notes(card.body)
    out = []
    for title, bullets in card.sections().items():
        if not bullets:
            continue
        repeated = title in repeat
        questions = tuple(
            Question(
                key=question_key(card.id, title, text),
                card_id=card.id,
                section=title,
                text=text,
                kind=field_kind(text),
                repeat=repeated,
            )
            for text in bullets
        )
        out.append(Section(card.id, title, notes.get(title, ""), questions, repeated))
    return out


def section_notes(body: str) -> dict[str, str]:
    """The prose under each `##` heading (its bullets left out), as plain text."""
    from safedesk.content.cards import markdown_to_text

    notes: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in body.splitlines():
        if line.startswith("## "):
            current = notes.setdefault(line[3:].strip(), [])
        elif line.startswith("# "):
            current = None
        elif current is not None and not re.match(r"\s*([-*+]|\d+[.)])\s", line) and not line.startswith(("  ", ">")):
            current.append(line)
    return {title: markdown_to_text("\n".join(lines)).strip() for title, lines in notes.items()}


def form_type(kind: str) -> FormType:
    try:
        return FORM_TYPES[kind]
    except KeyError:
        raise InvalidInput(f"There is no form type {kind!r}: choose one of {', '.join(FORM_TYPES)}.", "kind") from None


def form_sections(kind: str, library: Library | None = None) -> list[Section]:
    """The form's sections in order, built from its cards (cached for the shipped cards)."""
    if library is None:
        return list(_default_sections(kind))
    spec = form_type(kind)
    sections = [s for card_id in spec.cards for s in sections_of(library.get(card_id), spec.repeat_sections)]
    last = [s for s in sections if s.title in spec.last_sections]
    return [s for s in sections if s.title not in spec.last_sections] + last


@cache
def _default_sections(kind: str) -> tuple[Section, ...]:
    from safedesk.content.library import default_library

    return tuple(form_sections(kind, default_library()))


def questions_of(kind: str) -> list[Question]:
    return [q for s in form_sections(kind) for q in s.questions]


# --------------------------------------------------------------------- answer addresses


def address(key: str, entry: int = 0, part: str = "") -> str:
    """Where an answer lives: `key`, `key#2` (second entry), `key|note`, `key#2|KS1`."""
    return key + (f"#{entry}" if entry else "") + (f"|{part}" if part else "")


def split_address(text: str) -> tuple[str, int, str]:
    rest, _, part = text.partition("|")
    key, _, entry = rest.partition("#")
    return key, int(entry) if entry.isdigit() else 0, part


def entries(questions: Iterable[Question], answers: dict[str, str]) -> int:
    """How many entries a repeated section has: the highest one with an answer, at least 1."""
    keys = {q.key for q in questions}
    found = [split_address(a)[1] for a, v in answers.items() if v and split_address(a)[0] in keys]
    return max([1, *found])


def answer_parts(question: Question) -> list[str]:
    """The parts one answer of the question is made of ('' = the main value)."""
    if question.kind == YESNO:
        return ["", NOTE]
    if question.kind == GRID:
        return list(GROUPS)
    return [""]


def normalise_answer(question: Question, part: str, value: str, where: str) -> str:
    """A typed answer in its stored form; InvalidInput naming `where` when it cannot be one."""
    value = clean_text(value, multiline=question.kind == TEXT or part == NOTE)
    if not value:
        return ""
    if question.kind == DATE:
        day = parse_date(value, where)
        return day.isoformat() if day else ""
    if question.kind == YESNO and part == "":
        choice = {"y": "yes", "n": "no", "na": "n/a", "not applicable": "n/a"}.get(value.lower(), value.lower())
        require(choice in YESNO_CHOICES, "Answer yes, no or n/a.", where)
        return choice
    return value


def answer_kind(question: Question) -> Kind:
    """The kind of text an answer to `question` is (its length limit: store/text/limits.py)."""
    return Kind.NAME if question.kind == GRID else Kind.LONG


def _limit(question: Question) -> int:
    return limit(answer_kind(question))


def answered(questions: Iterable[Question], answers: dict[str, str]) -> tuple[int, int]:
    """(questions with any answer, questions) for a progress line."""
    questions = list(questions)
    keys = {split_address(a)[0] for a, v in answers.items() if v}
    return sum(1 for q in questions if q.key in keys), len(questions)


# --------------------------------------------------------------------- records


@dataclass(kw_only=True)
class Form(Record):
    """A form being kept for the setting: its working draft, and (separately) its versions."""

    LIMITS: ClassVar[dict[str, Kind]] = {"title": Kind.TITLE, "draft": Kind.LONG}

    TABLE: ClassVar[str] = "forms"
    # A form with no saved version is a draft anyone may throw away; FormBook refuses
    # to delete a form once a version exists (versions are never deleted).
    DELETABLE: ClassVar[bool] = True

    kind: str
    title: str
    account_id: int | None = None
    draft: dict[str, str] = field(default_factory=dict)
    draft_changed_at: datetime | None = None
    created_at: datetime = field(default_factory=utcnow)

    def cleaned(self) -> Form:
        # Answers keep their line breaks (Record.cleaned makes nested text one line).
        draft = {str(k): clean_text(str(v), multiline=True) for k, v in self.draft.items()}
        return dataclasses.replace(super().cleaned(), draft={k: v for k, v in draft.items() if v.strip()})

    def validate(self) -> None:
        require(self.kind in FORM_TYPES, "Choose the kind of form from the list.", "kind")
        require(bool(self.title.strip()), "Give the form a title, e.g. the tool or account it is about.", "title")
        require(len(self.title) <= 120, "Keep the title under 120 characters.", "title")
        require(len(self.draft) <= 4000, "This form holds too many answers.", "draft")
        questions = {q.key: q for q in questions_of(self.kind)}
        for where, value in self.draft.items():
            key, entry, part = split_address(where)
            question = questions.get(key)
            if question is None:
                continue  # a question since removed from its card: ignored, never shown or exported
            require(entry <= MAX_ENTRIES, f"A section holds at most {MAX_ENTRIES} entries.", where)
            require(len(value) <= _limit(question), too_long(answer_kind(question)), where)
            if question.kind == DATE:
                require(_is_iso_date(value), "Type a date like 21/11/2026.", where)
            if question.kind == YESNO and part == "":
                require(value in YESNO_CHOICES, "Answer yes, no or n/a.", where)

    @property
    def type(self) -> FormType:
        return FORM_TYPES[self.kind]


def _is_iso_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


@dataclass(kw_only=True)
class FormVersion(Record):
    """A form as filled in on one date: answers and the questions' wording, never changed."""

    LIMITS: ClassVar[dict[str, Kind]] = {"title": Kind.TITLE, "answers": Kind.LONG, "saved_by": Kind.NAME}

    TABLE: ClassVar[str] = "form_versions"

    form_id: int
    number: int
    kind: str
    title: str
    assessed_on: date
    review_on: date
    answers: dict[str, str] = field(default_factory=dict)
    questions: tuple[Question, ...] = ()
    account_id: int | None = None
    account_label: str = ""  # as the account was named that day
    saved_by: str = ""
    saved_at: datetime = field(default_factory=utcnow)

    def cleaned(self) -> FormVersion:
        answers = {str(k): clean_text(str(v), multiline=True) for k, v in self.answers.items()}
        return dataclasses.replace(super().cleaned(), answers={k: v for k, v in answers.items() if v.strip()})

    def validate(self) -> None:
        require(self.number >= 1, "A version number starts at 1.", "number")
        require(
            self.assessed_on <= datetime.now(local_zone()).date(), "The assessment date cannot be in the future.", "assessed_on"
        )
        require(self.review_on > self.assessed_on, "The re-assessment date must come after the assessment date.", "review_on")
        require(self.review_on <= _add_months(self.assessed_on, 60), "Re-assess within five years.", "review_on")
        require(bool(self.answers), "Answer at least one question before saving a version.", "answers")


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def default_review(assessed_on: date) -> date:
    return _add_months(assessed_on, REVIEW_AFTER_MONTHS)


# --------------------------------------------------------------------- accounts


def account_label(session: Session, account_id: int | None) -> str:
    """The linked account's name and platform; '' when none."""
    if account_id is None:
        return ""
    try:
        return Register(session).account(account_id).label
    except RecordNotFound:
        return f"account {account_id} (no longer in the register)"


def account_choices(session: Session) -> list[tuple[str, int]]:
    """(label, id) of every account in the register, for a form's link."""
    return [(a.label, a.id) for a in Register(session).accounts() if a.id is not None]


def _check_account(session: Session, account_id: int | None) -> None:
    if account_id is None:
        return
    try:
        Register(session).account(account_id)
    except RecordNotFound:
        raise InvalidInput("Choose an account from the register.", "account_id") from None


# The business case questions the account register already answers: question start -> account field.
FROM_ACCOUNT: dict[str, str] = {
    "Proposed by": "proposed_by",
    "Platform and proposed account name": "label",
    "Aim": "purpose",
    "Audience": "audience",
    "Promotion": "promotion",
    "Visibility": "visibility",
}


def _from_account(session: Session, kind: str, account_id: int | None) -> dict[str, str]:
    if kind != "new-account-business-case" or account_id is None:
        return {}
    account = Register(session).account(account_id)
    out = {}
    for question in questions_of(kind):
        name = next((n for start, n in FROM_ACCOUNT.items() if question.text.startswith(start)), None)
        value = getattr(account, name, "") if name else ""
        value = getattr(value, "value", value)  # an Enum's value (visibility)
        if isinstance(value, str) and value.strip():
            out[question.key] = value
    return out


# --------------------------------------------------------------------- the book of forms


class FormBook:
    """Every read and write of forms and their versions, on one session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.forms_repo = session.repo(Form)
        self.versions_repo = session.repo(FormVersion)

    # ----------------------------------------------------------------- reads

    def forms(self) -> list[Form]:
        return sorted(self.forms_repo.all(), key=lambda f: (f.type.title, f.title.casefold()))

    def form(self, form_id: int) -> Form:
        return self.forms_repo.get(form_id)

    def versions(self, form_id: int) -> list[FormVersion]:
        return sorted(self.versions_repo.find(lambda v: v.form_id == form_id), key=lambda v: v.number)

    def all_versions(self) -> dict[int, list[FormVersion]]:
        """Versions by form id, oldest first (one read of the table)."""
        out: dict[int, list[FormVersion]] = {}
        for version in sorted(self.versions_repo.all(), key=lambda v: v.number):
            out.setdefault(version.form_id, []).append(version)
        return out

    def version(self, version_id: int) -> FormVersion:
        return self.versions_repo.get(version_id)

    def latest(self, form_id: int) -> FormVersion | None:
        versions = self.versions(form_id)
        return versions[-1] if versions else None

    def find_version(self, form_id: int, number: int | None = None) -> FormVersion:
        """The form's version `number`, or its latest; RecordNotFound when there is none."""
        versions = self.versions(form_id)
        if not versions:
            raise RecordNotFound("This form has no saved version yet: save one first.")
        if number is None:
            return versions[-1]
        for version in versions:
            if version.number == number:
                return version
        raise RecordNotFound(f"This form has no version {number} (it has 1 to {versions[-1].number}).")

    # ----------------------------------------------------------------- writes

    def create(self, kind: str, title: str, account_id: int | None = None, answers: dict[str, str] | None = None) -> Form:
        """A new form; a business case about a registered account starts with what the register knows."""
        form_type(kind)
        _check_account(self.session, account_id)
        form = Form(kind=kind, title=title, account_id=account_id)
        answers = answers if answers is not None else _from_account(self.session, kind, account_id)
        if answers:
            form.draft = self._normalised(kind, {}, answers)
            form.draft_changed_at = utcnow()
        return self.forms_repo.add(form, summary=f"form created ({FORM_TYPES[kind].title})")

    def update(self, form_id: int, *, title: str, account_id: int | None) -> Form:
        form = self.form(form_id)
        if account_id != form.account_id:
            _check_account(self.session, account_id)
        form.title, form.account_id = title, account_id
        return self.forms_repo.save(form)

    def save_draft(self, form_id: int, values: dict[str, str], *, merge: bool = False) -> Form:
        """Store typed answers as the form's draft (replacing it, or merged into it).

        Values are keyed by address; a blank value clears that answer. Dates and yes/no
        answers are read the way a person types them; a refusal names the address.
        """
        form = self.form(form_id)
        base = dict(form.draft) if merge else {}
        draft = self._normalised(form.kind, base, values)
        changed = sorted(set(draft.items()) ^ set(form.draft.items()))
        if not changed:
            return form
        count = len({split_address(a)[0] for a, _ in changed})
        form.draft, form.draft_changed_at = draft, utcnow()
        return self.forms_repo.save(form, summary=f"form draft saved ({count} question(s) changed)")

    def _normalised(self, kind: str, base: dict[str, str], values: dict[str, str]) -> dict[str, str]:
        questions = {q.key: q for q in questions_of(kind)}
        draft = dict(base)
        for where, value in values.items():
            key, entry, part = split_address(where)
            question = questions.get(key)
            if question is None:
                raise InvalidInput(f"This form has no question with the key {key!r}.", where)
            if part and part not in answer_parts(question):
                raise InvalidInput(f"The question {key!r} has no part {part!r}.", where)
            if entry and not question.repeat:
                raise InvalidInput(f"The question {key!r} is answered once, not per entry.", where)
            require(entry <= MAX_ENTRIES, f"A section holds at most {MAX_ENTRIES} entries.", where)
            stored = address(key, entry or (1 if question.repeat else 0), part)
            cleaned = normalise_answer(question, part, value, where)
            require(len(cleaned) <= _limit(question), too_long(answer_kind(question)), where)
            if cleaned:
                draft[stored] = cleaned
            else:
                draft.pop(stored, None)
        return draft

    def suggested_dates(self, form: Form) -> tuple[date, date]:
        """(assessed on, re-assess by) for a new version: the form's own 'date of this
        review' and 'next review' answers when it has them, else today and a year on."""
        today = datetime.now(local_zone()).date()
        assessed, review = today, None
        for question in questions_of(form.kind):
            value = form.draft.get(question.key, "")
            if question.kind != DATE or not _is_iso_date(value):
                continue
            text = question.text.lower()
            if "next review" in text:
                review = date.fromisoformat(value)
            elif text.startswith(("date of the assessment", "date of this review")) and date.fromisoformat(value) <= today:
                assessed = date.fromisoformat(value)
        if review is None or review <= assessed:
            review = default_review(assessed)
        return assessed, review

    def new_version(self, form_id: int, assessed_on: date | None = None, review_on: date | None = None) -> FormVersion:
        """Freeze the draft as the next dated version; earlier versions are kept as they were."""
        form = self.form(form_id)
        suggested_assessed, suggested_review = self.suggested_dates(form)
        assessed_on = assessed_on or suggested_assessed
        review_on = review_on or (suggested_review if assessed_on == suggested_assessed else default_review(assessed_on))
        questions = tuple(questions_of(form.kind))
        keys = {q.key for q in questions}
        previous = self.latest(form_id)
        version = FormVersion(
            form_id=form_id,
            number=(previous.number + 1) if previous else 1,
            kind=form.kind,
            title=form.title,
            assessed_on=assessed_on,
            review_on=review_on,
            answers={a: v for a, v in form.draft.items() if split_address(a)[0] in keys},
            questions=questions,
            account_id=form.account_id,
            account_label=account_label(self.session, form.account_id),
            saved_by=self.session.actor,
        )
        return self.versions_repo.add(
            version, summary=f"form version {version.number} saved (re-assess by {review_on.isoformat()})"
        )

    def delete(self, form_id: int) -> None:
        form = self.form(form_id)
        if self.versions(form_id):
            raise NotAllowed("This form has saved versions, which are kept as a record: it cannot be deleted.")
        self.forms_repo.delete(form, "draft form with no saved version")

    # ----------------------------------------------------------------- export

    def export(self, version_id: int, path: Path, *, overwrite: bool = False, fmt: Format = Format.MARKDOWN) -> str:
        """Write one version as Markdown, HTML, PDF or Word (owner-only file), audited without personal text."""
        version = self.version(version_id)
        text = version_markdown(self.session, version)
        kind = FORM_TYPES[version.kind].title if version.kind in FORM_TYPES else version.kind
        printable = Document(
            kind, text, reference=f"{version.title}, version {version.number}", subtitle=self.session.setting().name
        )
        write_export(path, render(printable, fmt), overwrite=overwrite)
        self.session.audit_event(
            "export.form",
            f"form exported as {fmt.kind} ({kind}, version {version.number})",
            f"{FormVersion.TABLE}/{version_id}",
        )
        return text


# --------------------------------------------------------------------- Markdown


def version_markdown(session: Session, version: FormVersion) -> str:
    """One version as a Markdown document: header facts, then every question and answer."""
    spec = FORM_TYPES.get(version.kind)
    answers = version.answers
    kind_title = spec.title if spec else version.kind
    lines = [
        f"# {md_escape(kind_title)}: {md_escape(version.title)}",
        "",
        f"- Setting: {md_escape(session.setting().name)}",
        f"- Version {version.number}, assessed on {show_date(version.assessed_on)}; re-assess by {show_date(version.review_on)}",
        f"- Account: {md_escape(version.account_label) if version.account_label else 'none linked'}",
        f"- Saved {show_datetime(version.saved_at)} by {md_escape(version.saved_by or 'unknown')}",
        f"- Form from: {md_escape(spec.source) if spec else 'the guidance'}",
        "",
    ]
    done, total = answered(version.questions, answers)
    lines += [f"{done} of {total} questions answered.", ""]
    for title, questions in _grouped(version.questions):
        lines += [f"## {md_escape(title)}", ""]
        if questions[0].repeat:
            lines += _entries_table(questions, answers)
            continue
        # Runs of yes/no questions read best as a table, as do rating grids; the rest as headings.
        for kind, run in groupby(questions, key=lambda q: q.kind if q.kind in (YESNO, GRID) else TEXT):
            table = {YESNO: _yesno_table, GRID: _grid_table}.get(kind)
            group = list(run)
            lines += table(group, answers) if table else [line for q in group for line in _question(q, answers)]
    cards = ", ".join(dict.fromkeys(q.card_id for q in version.questions))
    lines += [
        "---",
        "",
        f"Questions as worded on {show_date(to_local_date(version.saved_at))} in SafeDesk's guidance "
        f"({md_escape(cards)}). Made with SafeDesk.",
        "",
    ]
    text = "\n".join(lines)
    check_markdown(text)
    return text


def _grouped(questions: Iterable[Question]) -> list[tuple[str, list[Question]]]:
    groups: list[tuple[str, list[Question]]] = []
    for question in questions:
        if not groups or groups[-1][0] != question.section or groups[-1][1][0].card_id != question.card_id:
            groups.append((question.section, []))
        groups[-1][1].append(question)
    return groups


def _not_answered() -> str:
    return "*Not answered.*"


def _grid_table(questions: list[Question], answers: dict[str, str]) -> list[str]:
    lines = ["| Question | " + " | ".join(md_cell(g) for g in GROUPS) + " |", "|---" * (len(GROUPS) + 1) + "|"]
    for question in questions:
        cells = [md_cell(answers.get(address(question.key, part=g), "")) or "-" for g in GROUPS]
        lines.append(f"| {md_cell(question.text)} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _question(question: Question, answers: dict[str, str]) -> list[str]:
    value = answers.get(question.key, "")
    if question.kind == DATE:
        shown = show_date(date.fromisoformat(value)) if _is_iso_date(value) else md_escape(value)
    else:
        shown = md_block(value)
    return [f"### {md_escape(question.text)}", "", shown or _not_answered(), ""]


def _yesno_table(questions: list[Question], answers: dict[str, str]) -> list[str]:
    lines = ["| Question | Answer | Further information |", "|---|---|---|"]
    for question in questions:
        value = answers.get(question.key, "")
        note = answers.get(address(question.key, part=NOTE), "")
        lines.append(f"| {md_cell(question.text)} | {YESNO_CHOICES.get(value, '-')} | {md_cell(note)} |")
    return [*lines, ""]


def _cell(question: Question, answers: dict[str, str], entry: int) -> str:
    value = answers.get(address(question.key, entry), "")
    if question.kind == DATE and _is_iso_date(value):
        return show_date(date.fromisoformat(value))
    return md_cell(value)


def _entries_table(questions: list[Question], answers: dict[str, str]) -> list[str]:
    count = entries(questions, answers)
    rows = [[_cell(q, answers, n) for q in questions] for n in range(1, count + 1)]
    rows = [row for row in rows if any(row)]
    if not rows:
        return [_not_answered(), ""]
    lines = ["| " + " | ".join(md_cell(q.text) for q in questions) + " |", "|---" * len(questions) + "|"]
    lines += ["| " + " | ".join(cell or "-" for cell in row) + " |" for row in rows]
    return [*lines, ""]


# --------------------------------------------------------------------- home screen and verify


def form_attention(session: Session) -> Iterable[AttentionItem]:
    book = FormBook(session)
    today = datetime.now(local_zone()).date()
    versions = book.all_versions()
    forms = book.forms()
    for form in forms:
        latest = versions.get(form.id or 0, [None])[-1]
        if latest is None:
            continue
        name = f"{form.type.title}: {form.title}"
        if latest.review_on < today:
            yield AttentionItem("overdue", f"Re-assess {name} (due {show_date(latest.review_on)}).", "forms", f"forms/{form.id}")
        elif latest.review_on - today <= DUE_SOON:
            yield AttentionItem("due soon", f"Re-assess {name} by {show_date(latest.review_on)}.", "forms", f"forms/{form.id}")
    yield from _accounts_without_assessment(session, forms, versions)


# The forms that count as having assessed an account before it went live.
ASSESSMENTS = frozenset(
    {"web-tool-risk-assessment", "social-media-consideration", "pre-use-checklist", "new-account-business-case"}
)


def _accounts_without_assessment(
    session: Session, forms: list[Form], versions: dict[int, list[FormVersion]]
) -> Iterable[AttentionItem]:
    assessed = {f.account_id for f in forms if f.kind in ASSESSMENTS and versions.get(f.id or 0)}
    missing = [a.label for a in Register(session).accounts() if a.status is Status.ACTIVE and a.id not in assessed]
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        yield AttentionItem(
            "advice", f"No risk assessment or consideration form on file for {shown}: fill one in Forms.", "forms", "forms"
        )


def verify_forms(session: Session) -> Iterable[Check]:
    book = FormBook(session)
    forms = {f.id: f for f in book.forms_repo.all()}
    versions = book.versions_repo.all()
    broken = sum(1 for v in versions if v.form_id not in forms)
    numbers: dict[int, list[int]] = {}
    for version in versions:
        numbers.setdefault(version.form_id, []).append(version.number)
    gaps = sum(1 for found in numbers.values() if sorted(found) != list(range(1, len(found) + 1)))
    text = f"forms: {len(forms)} forms, {len(versions)} versions"
    if broken or gaps:
        yield Check(
            False, f"{text}; {broken} version(s) of a missing form, {gaps} form(s) with missing or repeated version numbers"
        )
    else:
        yield Check(True, f"{text}; every version belongs to its form, numbered without gaps")
