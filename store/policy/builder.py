"""The policy builder: a school's own social media policy from its answers, and the
guidance's template letters and disclaimers filled with the setting's details.

The DSL answers a few dozen questions (the setting, its official platforms, who may
post, comments, images, staff's personal use, parents and the PTA, monitoring, the
incident plan, named DSL and deputies, approval and review). The answers are kept in
the encrypted store, so next year's review starts from this year's. The policy's text
is SafeDesk's own, in `content/policy/`: one Markdown template per section, with
`{placeholders}` and `{% if %}` blocks chosen by the answers. `content/policy/areas.toml`
maps every area the guidance's policies cover to the section that covers it (tests check
each one). Typed answers are escaped before they enter the Markdown; whatever is still
unanswered shows as **[to fill in: ...]** rather than a gap.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from safedesk.store.accounts.health import involves_pupil_images
from safedesk.store.accounts.register import Register
from safedesk.store.engine.files import write_export
from safedesk.store.engine.records import Record, field_kind, require, utcnow
from safedesk.store.errors import InvalidInput, SafeDeskError
from safedesk.store.forms.filled import section_notes
from safedesk.store.registry import AttentionItem
from safedesk.store.text.clean import clean_text
from safedesk.store.text.dates import local_zone, parse_date, show_date
from safedesk.store.text.document import Document, Format, render
from safedesk.store.text.limits import Kind
from safedesk.store.text.markdown import check_markdown, md_escape

if TYPE_CHECKING:
    from safedesk.store.engine.session import Session

POLICY_DIR = Path(str(files("safedesk.content") / "policy"))

# --------------------------------------------------------------------- the questions

SETTING_TYPES: dict[str, str] = {
    "primary": "primary school",
    "secondary": "secondary school",
    "all-through": "all-through school",
    "special": "special school",
    "nursery": "nursery or early years setting",
    "college": "sixth form or college",
    "other": "education setting",
}
# Settings whose pupils are all under 13, the minimum age of most platforms.
UNDER_13 = frozenset({"primary", "nursery"})
WHO_MAY_POST: dict[str, str] = {
    "admins": "Only the named administrators of each account",
    "two-person": "Approved staff draft; an administrator checks and publishes",
    "approved-staff": "Staff approved by SLT post directly",
}
COMMENTS: dict[str, str] = {
    "off": "Off: the accounts share news one way",
    "moderated": "On, filtered and approved or checked",
    "open": "Open, filtered, with rule-breaking comments removed",
}
IMAGES: dict[str, str] = {
    "none": "No photos or videos of pupils on social media",
    "consent-no-names": "With written consent; no pupil names",
    "consent-first-names": "With written consent; first names at most",
}
FREQUENCY: dict[str, str] = {
    "twice-daily": "at least twice each school day",
    "school-days": "every school day",
    "daily": "every day, holidays included",
    "weekly": "at least once a week",
}
PARENT_CONTACT: dict[str, str] = {
    "not-allowed": "Staff do not connect with current parents (existing links declared)",
    "declared": "Allowed with care, and declared to the headteacher",
}
FORMER_PUPILS: dict[str, str] = {
    "under-18": "No contact with former pupils under 18",
    "never": "No contact with former pupils at all",
}
PERSONAL_USE: dict[str, str] = {
    "breaks": "Only in breaks, away from pupils",
    "none": "Not during working time",
    "reasonable": "Reasonable use that does not affect work",
}
DEFAULT_POLICIES: tuple[str, ...] = (
    "Child protection and safeguarding policy",
    "Online safety policy",
    "Acceptable use agreements",
    "Behaviour policy",
    "Anti-bullying policy",
    "Staff code of conduct",
    "Managing allegations against staff",
    "Data protection policy",
    "Use of images policy",
    "Whistleblowing policy",
    "Complaints procedure",
)

TEXT, CHOICE, LIST, BOOL, NUMBER, DATE = "text", "choice", "list", "bool", "int", "date"


@dataclass(frozen=True)
class PolicyQuestion:
    name: str  # the PolicyAnswers field
    label: str
    kind: str = TEXT
    group: str = ""
    choices: Mapping[str, str] = field(default_factory=dict)
    hint: str = ""
    required: bool = False  # the policy has a [to fill in] gap until it is answered
    gap: str = ""  # how the gap names it, e.g. "who approves the policy" (default: the label)

    @property
    def gap_label(self) -> str:
        return self.gap or self.label[0].lower() + self.label[1:]


def _questions() -> tuple[PolicyQuestion, ...]:
    q = PolicyQuestion
    setting, people, accounts, monitoring = "The setting", "Safeguarding leads", "Official accounts", "Monitoring"
    staff, parents, incidents, review = "Staff", "Parents and the PTA", "Incidents", "Approval and review"
    return (
        q("setting_name", "Name of the school or setting", group=setting, required=True, gap="name of the school"),
        q("setting_type", "Type of setting", CHOICE, setting, SETTING_TYPES, required=True),
        q("headteacher_name", "Headteacher's name", group=setting, required=True),
        q(
            "contact_details",
            "Where families raise concerns",
            group=setting,
            hint="e.g. the school office, office@oak.sch.uk, 01632 960000",
            required=True,
            gap="how families contact the school",
        ),
        q("dsl_name", "Designated Safeguarding Lead (name)", group=people, required=True, gap="name of the DSL"),
        q("deputies", "Deputy DSLs", LIST, people, hint="one name per line", required=True, gap="names of the deputy DSLs"),
        q(
            "platforms",
            "Platforms used for official accounts",
            LIST,
            accounts,
            hint="one per line, e.g. Facebook Page; blank if none (the account register is listed too)",
        ),
        q("who_may_post", "Who may post", CHOICE, accounts, WHO_MAY_POST),
        q("comments", "Comments on official accounts", CHOICE, accounts, COMMENTS),
        q("images", "Photos and videos of pupils", CHOICE, accounts, IMAGES),
        q(
            "monitor_by",
            "Who checks the accounts",
            group=monitoring,
            hint="e.g. the office manager and the deputy head",
            required=True,
        ),
        q("monitor_frequency", "How often they are checked", CHOICE, monitoring, FREQUENCY),
        q("response_hours", "When messages are answered", group=monitoring, hint="e.g. 8am to 5pm on school days", required=True),
        q("monitor_mentions", "Also watch for public posts about the school elsewhere", BOOL, monitoring),
        q("staff_parent_contact", "Staff and current parents on personal accounts", CHOICE, staff, PARENT_CONTACT),
        q("former_pupils", "Staff and former pupils on personal accounts", CHOICE, staff, FORMER_PUPILS),
        q("personal_use", "Staff's personal social media at school", CHOICE, staff, PERSONAL_USE),
        q("school_devices_personal", "Staff may make limited personal use of the school devices issued to them", BOOL, staff),
        q("pta_channel", "The PTA or Friends run a page or group", BOOL, parents),
        q("parent_groups", "Parents run class or year-group chats", BOOL, parents),
        q("incident_lead", "Who leads the response to an incident", group=incidents, hint="e.g. the headteacher", required=True),
        q("takedown_hours", "Aim for harmful content to be removed within (hours)", NUMBER, incidents),
        q("local_authority", "Local authority or trust to involve", group=incidents, hint="e.g. Kent County Council"),
        q("notify_governors", "Tell the chair of governors about serious incidents", BOOL, incidents),
        q("policies", "The school's related policies", LIST, review, hint="one per line"),
        q(
            "approved_by",
            "Approved by",
            group=review,
            hint="e.g. the governing body",
            required=True,
            gap="who approves the policy",
        ),
        q("approved_on", "Approved on", DATE, review, gap="date approved"),
        q("review_on", "Next review", DATE, review, required=True, gap="date of the next review"),
        q("version_label", "Version", group=review),
    )


QUESTIONS: tuple[PolicyQuestion, ...] = _questions()
QUESTIONS_BY_NAME: dict[str, PolicyQuestion] = {q.name: q for q in QUESTIONS}
MAX_ITEMS = 30


@dataclass(kw_only=True)
class PolicyAnswers(Record):
    """The answers behind the setting's social media policy (one record per store)."""

    LIMITS: ClassVar[dict[str, Kind]] = {
        "setting_name": Kind.NAME,
        "headteacher_name": Kind.NAME,
        "dsl_name": Kind.NAME,
        "deputies": Kind.NAME,
        "platforms": Kind.NAME,
        "policies": Kind.NAME,
    }

    TABLE: ClassVar[str] = "policy_answers"

    setting_name: str = ""
    setting_type: str = "primary"
    headteacher_name: str = ""
    contact_details: str = ""
    dsl_name: str = ""
    deputies: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    who_may_post: str = "two-person"
    comments: str = "moderated"
    images: str = "consent-no-names"
    monitor_by: str = ""
    monitor_frequency: str = "school-days"
    response_hours: str = ""
    monitor_mentions: bool = True
    staff_parent_contact: str = "not-allowed"
    former_pupils: str = "under-18"
    personal_use: str = "breaks"
    school_devices_personal: bool = False
    pta_channel: bool = False
    parent_groups: bool = True
    incident_lead: str = "the headteacher"
    takedown_hours: int = 24
    local_authority: str = ""
    notify_governors: bool = True
    policies: tuple[str, ...] = DEFAULT_POLICIES
    approved_by: str = ""
    approved_on: date | None = None
    review_on: date | None = None
    version_label: str = "1"
    # Details typed for the template letters (channel names, admin contacts...), reused next time.
    letter_values: dict[str, str] = field(default_factory=dict)
    updated_at: datetime | None = None

    def cleaned(self) -> PolicyAnswers:
        base = super().cleaned()
        return dataclasses.replace(
            base,
            deputies=_items(base.deputies),
            platforms=_items(base.platforms),
            policies=_items(base.policies),
            letter_values={k: clean_text(str(v)) for k, v in base.letter_values.items() if str(v).strip()},
        )

    def validate(self) -> None:
        for question in QUESTIONS:
            value = getattr(self, question.name)
            if question.kind == CHOICE:
                require(value in question.choices, f"Choose one of: {', '.join(question.choices)}.", question.name)
            elif question.kind == LIST:  # each line's length: its kind's limit, like every text (LIMITS)
                require(len(value) <= MAX_ITEMS, f"List at most {MAX_ITEMS}.", question.name)
        require(1 <= self.takedown_hours <= 168, "Give a number of hours from 1 to 168 (a week).", "takedown_hours")
        today = datetime.now(local_zone()).date()
        require(
            self.approved_on is None or self.approved_on <= today, "The approval date cannot be in the future.", "approved_on"
        )
        require(
            self.review_on is None or self.approved_on is None or self.review_on > self.approved_on,
            "The next review comes after the approval.",
            "review_on",
        )
        require(
            len(self.letter_values) <= 50,
            "Keep at most 50 letter details.",
            "letter_values",
        )


def answer_kind(question: PolicyQuestion) -> Kind:
    """The kind of text an answer to `question` is (a list: each of its lines), for its length limit."""
    return field_kind(PolicyAnswers, question.name)


def _items(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in values if v and v.strip()))


def missing_answers(answers: PolicyAnswers) -> list[str]:
    """Labels of the answers a complete policy still needs."""
    return [q.label for q in QUESTIONS if q.required and not getattr(answers, q.name)]


# --------------------------------------------------------------------- typed answers


def parse_answer(question: PolicyQuestion, value: Any) -> Any:
    """A value typed in a form or read from TOML, as the record stores it."""
    name = question.name
    if question.kind == BOOL:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("yes", "y", "true", "1"):
            return True
        if text in ("no", "n", "false", "0", ""):
            return False
        raise InvalidInput("Answer yes or no.", name)
    if question.kind == NUMBER:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        if not text.isdigit():
            raise InvalidInput("Give a whole number of hours, e.g. 24.", name)
        return int(text)
    if question.kind == DATE:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        return parse_date(str(value), name)
    if question.kind == LIST:
        if isinstance(value, list | tuple):
            if not all(isinstance(v, str) for v in value):
                raise InvalidInput("Give a list of words in quotes.", name)
            return tuple(value)
        return tuple(line for line in str(value).splitlines())
    if not isinstance(value, str):
        raise InvalidInput("Give this answer as text in quotes.", name)
    if question.kind == CHOICE:
        key = value.strip()
        # A label (as shown in the app) is accepted as well as the key.
        by_label = {label.casefold(): k for k, label in question.choices.items()}
        return by_label.get(key.casefold(), key)
    return value


def answers_with(answers: PolicyAnswers, values: Mapping[str, Any]) -> PolicyAnswers:
    """`answers` changed by typed `values` (by question name); unknown names are refused."""
    changes: dict[str, Any] = {}
    for name, value in values.items():
        question = QUESTIONS_BY_NAME.get(name)
        if question is None:
            raise InvalidInput(f"There is no policy question called {name!r} (see safedesk policy questions).", name)
        changes[name] = parse_answer(question, value)
    updated = dataclasses.replace(answers, **changes).cleaned()
    updated.validate()
    return updated


def answers_from_toml(text: str) -> dict[str, Any]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(f"The answers file is not valid TOML ({error}).", "answers") from None
    letters = data.pop("letter_values", None)
    if letters is not None:
        if not isinstance(letters, dict) or not all(isinstance(v, str) for v in letters.values()):
            raise InvalidInput("[letter_values] must hold text values only.", "letter_values")
        data["_letters"] = {str(k): v for k, v in letters.items()}
    return data


def _toml_string(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def answers_to_toml(answers: PolicyAnswers) -> str:
    """The answers as a commented TOML file: edit it, then `safedesk policy build --answers`."""
    lines = [
        "# SafeDesk: answers for your social media policy.",
        "# Edit the values, then: safedesk policy build --answers THIS_FILE.toml --out policy.md",
        "# Blank text or a commented-out date leaves a visible [to fill in: ...] in the policy.",
    ]
    group = ""
    for question in QUESTIONS:
        if question.group != group:
            group = question.group
            lines += ["", f"# ---- {group}"]
        lines.append(
            f"# {question.label}" + (f" ({question.hint})" if question.hint else "") + (" [needed]" if question.required else "")
        )
        if question.kind == CHOICE:
            lines += [f"#   {_toml_string(key)}: {label}" for key, label in question.choices.items()]
        value = getattr(answers, question.name)
        if question.kind == BOOL:
            lines.append(f"{question.name} = {'true' if value else 'false'}")
        elif question.kind == NUMBER:
            lines.append(f"{question.name} = {value}")
        elif question.kind == DATE:
            lines.append(f"{question.name} = {value.isoformat()}" if value else f"# {question.name} = 2027-07-01")
        elif question.kind == LIST:
            lines.append(f"{question.name} = [" + ", ".join(_toml_string(v) for v in value) + "]")
        else:
            lines.append(f"{question.name} = {_toml_string(value)}")
    if answers.letter_values:
        lines += ["", "# ---- Details used in the template letters", "[letter_values]"]
        lines += [f"{key} = {_toml_string(value)}" for key, value in sorted(answers.letter_values.items())]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------- templates


class TemplateError(SafeDeskError):
    """A policy template that cannot be used (a SafeDesk bug, never the user's)."""


@dataclass(frozen=True)
class PolicySection:
    id: str
    title: str
    body: str
    numbered: bool


@dataclass(frozen=True)
class Area:
    id: str
    title: str
    section: str
    must_say: tuple[str, ...]
    sources: tuple[tuple[str, str], ...]  # (seed file, section heading)


@cache
def policy_sections(folder: Path = POLICY_DIR) -> tuple[PolicySection, ...]:
    sections = []
    for path in sorted(folder.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        if not text.startswith("+++\n") or "\n+++\n" not in text[4:]:
            raise TemplateError(f"{path.name}: must open with +++ front matter")
        front, body = text[4:].split("\n+++\n", 1)
        meta = tomllib.loads(front)
        _check_blocks(body, path.name)
        section_id = str(meta["id"])
        sections.append(PolicySection(section_id, str(meta["title"]), body.strip("\n"), not section_id.startswith("appendix")))
    return tuple(sections)


@cache
def policy_areas(folder: Path = POLICY_DIR) -> tuple[Area, ...]:
    data = tomllib.loads((folder / "areas.toml").read_text(encoding="utf-8"))
    return tuple(
        Area(
            a["id"],
            a["title"],
            a["section"],
            tuple(a["must_say"]),
            tuple((s["file"], s["section"]) for s in a.get("sources", [])),
        )
        for a in data["area"]
    )


_BLOCK = re.compile(r"^\{%\s*(if|elif|else|endif)\b\s*(.*?)\s*%\}$")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_CONDITION = re.compile(r'^(not\s+)?([a-z0-9_]+)(?:\s*(==|!=)\s*"([^"]*)")?$')


def _check_blocks(body: str, name: str) -> None:
    depth = 0
    for line in body.splitlines():
        match = _BLOCK.match(line.strip())
        if not match:
            if "{%" in line:
                raise TemplateError(f"{name}: a {{% ... %}} block must stand on its own line")
            continue
        tag, condition = match.groups()
        if tag == "if":
            depth += 1
        elif depth == 0:
            raise TemplateError(f"{name}: {tag} without an if")
        elif tag == "endif":
            depth -= 1
        if tag in ("if", "elif") and not _CONDITION.match(condition):
            raise TemplateError(f"{name}: cannot read the condition {condition!r}")
    if depth:
        raise TemplateError(f"{name}: an if block is not closed")


def _condition(text: str, flags: Mapping[str, Any], name: str) -> bool:
    match = _CONDITION.match(text)
    if match is None:
        raise TemplateError(f"{name}: cannot read the condition {text!r}")
    negate, key, operator, wanted = match.groups()
    if key not in flags:
        raise TemplateError(f"{name}: the condition uses an unknown answer {key!r}")
    value = flags[key]
    result = bool(value) if operator is None else (value == wanted) == (operator == "==")
    return not result if negate else result


def render_template(body: str, values: Mapping[str, str | list[str]], flags: Mapping[str, Any], name: str = "template") -> str:
    """Fill one template: `{% if %}` blocks chosen by `flags`, `{name}` replaced by `values`
    (already Markdown: escaped user text); a line holding only a list placeholder becomes
    a bullet list."""
    out: list[str] = []
    stack: list[list[bool]] = []  # [parent active, a branch already taken]
    active = True
    for line in body.splitlines():
        match = _BLOCK.match(line.strip())
        if match:
            tag, condition = match.groups()
            if tag == "if":
                chosen = _condition(condition, flags, name)
                stack.append([active, chosen])
                active = active and chosen
            elif tag == "elif":
                parent, taken = stack[-1]
                chosen = not taken and _condition(condition, flags, name)
                stack[-1][1] = taken or chosen
                active = parent and chosen
            elif tag == "else":
                parent, taken = stack[-1]
                stack[-1][1] = True
                active = parent and not taken
            else:
                active = stack.pop()[0]
            continue
        if active:
            out.extend(_substitute(line, values, name))
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(out))
    return text.strip("\n")


def _substitute(line: str, values: Mapping[str, str | list[str]], name: str) -> list[str]:
    whole = _PLACEHOLDER.fullmatch(line.strip())
    if whole and isinstance(values.get(whole.group(1)), list):
        return [f"- {item}" for item in values[whole.group(1)]]

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise TemplateError(f"{name}: unknown placeholder {{{key}}}")
        value = values[key]
        if isinstance(value, list):
            raise TemplateError(f"{name}: the list {{{key}}} must stand on its own line")
        return value

    return [_PLACEHOLDER.sub(replace, line)]


# --------------------------------------------------------------------- building the policy


def to_fill(label: str) -> str:
    """The visible gap left where a detail is missing (never blank)."""
    return f"**[to fill in: {label}]**"


def join_words(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


@dataclass(frozen=True)
class Channel:
    """An official account as the policy and the letters name it (from the register)."""

    name: str
    platform: str
    url: str = ""
    audience: str = ""
    visibility: str = ""
    comments: str = ""
    pupil_images: bool = False  # the register says it posts photos or videos of pupils

    @property
    def label(self) -> str:
        return f"{self.name} ({self.platform})"


def register_channels(session: Session) -> list[Channel]:
    """The live official accounts in the register."""
    return [
        Channel(a.name, a.platform, a.url, a.audience, a.visibility.value, a.comments.value, involves_pupil_images(a))
        for a in Register(session).accounts()
        if a.live
    ]


@dataclass(frozen=True)
class PolicyDocument:
    markdown: str
    missing: list[str]  # labels of details shown as [to fill in: ...]
    sections: list[str]  # numbered section headings, in order
    conflicts: list[str] = field(default_factory=list)  # where the account register breaks this policy


def register_conflicts(answers: PolicyAnswers, channels: list[Channel]) -> list[str]:
    """Where a live official account does what the policy's answers say it must not."""
    conflicts = []
    for channel in channels:
        if answers.images == "none" and channel.pupil_images:
            conflicts.append(f"{channel.label} posts photos or videos of pupils, but the policy allows none")
        if answers.comments == "off" and channel.comments != "off":
            conflicts.append(f"{channel.label} has comments on, but the policy keeps them off")
    return conflicts


def _text(answers: PolicyAnswers, name: str, missing: list[str]) -> str:
    value = getattr(answers, name)
    if value:
        return md_escape(value)
    question = QUESTIONS_BY_NAME[name]
    missing.append(question.label)
    return to_fill(question.gap_label)


def build_policy(answers: PolicyAnswers, channels: list[Channel] | None = None, folder: Path = POLICY_DIR) -> PolicyDocument:
    """The whole policy as Markdown, validated with markdown-it-py (html disabled)."""
    missing: list[str] = []
    text = {
        name: _text(answers, name, missing)
        for name in (
            "setting_name",
            "headteacher_name",
            "contact_details",
            "dsl_name",
            "monitor_by",
            "response_hours",
            "incident_lead",
            "approved_by",
            "version_label",
        )
    }
    deputies = [md_escape(d) for d in answers.deputies]
    if not deputies:
        missing.append(QUESTIONS_BY_NAME["deputies"].label)
    listed = [f"{md_escape(c.label)}" + (f": {md_escape(c.url)}" if c.url else "") for c in channels or []]
    listed += [md_escape(p) for p in answers.platforms if not any(c.platform == p for c in channels or [])]
    if answers.review_on is None:
        missing.append(QUESTIONS_BY_NAME["review_on"].label)
    sections = policy_sections(folder)
    numbers: dict[str, int] = {}
    for section in sections:
        if section.numbered:
            numbers[section.id] = len(numbers) + 1
    escalation = []
    if answers.notify_governors:
        escalation.append("the chair of governors for any serious incident")
    if answers.local_authority:
        escalation.append(f"{md_escape(answers.local_authority)} when its advice or support is needed")
    escalation += [
        "the LADO if a member of staff may have harmed a child or may pose a risk to children",
        "the police if a crime may have been committed",
    ]
    values: dict[str, str | list[str]] = {
        **text,
        "setting_kind": SETTING_TYPES[answers.setting_type],
        "deputies": join_words(deputies) if deputies else to_fill(QUESTIONS_BY_NAME["deputies"].gap_label),
        "monitor_frequency": FREQUENCY[answers.monitor_frequency],
        "takedown_hours": str(answers.takedown_hours),
        "approved_on": show_date(answers.approved_on)
        if answers.approved_on
        else to_fill(QUESTIONS_BY_NAME["approved_on"].gap_label),
        "review_on": show_date(answers.review_on) if answers.review_on else to_fill(QUESTIONS_BY_NAME["review_on"].gap_label),
        "channels": listed,
        "policies": [md_escape(p) for p in answers.policies] or [to_fill("the school's related policies")],
        "escalation": "; ".join(escalation),
        **{f"section_{sid.replace('-', '_')}": str(n) for sid, n in numbers.items()},
    }
    flags: dict[str, Any] = {
        name: getattr(answers, name)
        for name in (
            "who_may_post",
            "comments",
            "images",
            "staff_parent_contact",
            "former_pupils",
            "personal_use",
            "school_devices_personal",
            "pta_channel",
            "parent_groups",
            "monitor_mentions",
            "notify_governors",
        )
    }
    flags["has_channels"] = bool(listed)
    flags["under_13"] = answers.setting_type in UNDER_13

    headings = [f"{numbers[s.id]}. {s.title}" if s.numbered else s.title for s in sections]
    lines = [
        f"# Social media policy: {text['setting_name']}",
        "",
        f"- Setting: {text['setting_name']}, a {SETTING_TYPES[answers.setting_type]}; headteacher: {text['headteacher_name']}",
        f"- Designated Safeguarding Lead: {text['dsl_name']}; deputies: {values['deputies']}",
        f"- Approved by: {text['approved_by']}, on {values['approved_on']}",
        f"- Next review: {values['review_on']} (version {text['version_label']})",
        "",
        "## Contents",
        "",
        *[f"{h}" for h in headings if h[0].isdigit()],
        "",
        *[f"{h}" for h in headings if not h[0].isdigit()],
        "",
    ]
    for section, heading in zip(sections, headings, strict=True):
        body = render_template(section.body, values, flags, section.id)
        lines += [f"## {heading}", "", body, ""]
    markdown = "\n".join(lines)
    check_markdown(markdown, headings=("Contents", *headings))
    return PolicyDocument(markdown, list(dict.fromkeys(missing)), headings, register_conflicts(answers, channels or []))


def section_text(markdown: str, heading: str) -> str:
    """The text of one `## heading` section of a generated document (for checks and previews)."""
    pattern = re.compile(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", re.S | re.M)
    match = pattern.search(markdown)
    return match.group(1) if match else ""


# --------------------------------------------------------------------- letters and disclaimers


@dataclass(frozen=True)
class LetterSpec:
    id: str
    card_id: str
    title: str


LETTERS: dict[str, LetterSpec] = {
    s.id: s
    for s in (
        LetterSpec("engagement", "template-letter-engagement", "Letter: asking parents' views before using social media"),
        LetterSpec("launch", "template-letter-launch", "Letter: launching an official channel"),
        LetterSpec("disclaimer-official", "template-disclaimer-official", "Disclaimer: the school's official page or account"),
        LetterSpec("disclaimer-parent", "template-disclaimer-parent-channel", "Disclaimer: a parent-run page or group"),
    )
}
PARAGRAPHS_CARD = "template-letter-launch-platform-paragraphs"
# What each placeholder in the template cards asks for (a test checks every one is here).
LETTER_FIELDS: dict[str, str] = {
    "setting_name": "name of the school",
    "dsl_name": "name of the DSL",
    "headteacher_name": "headteacher's name",
    "contact_details": "how families contact the school",
    "channel": "the channel, e.g. our Facebook Page",
    "channel_address": "the channel's web address",
    "channel_type": "page, group, account or channel",
    "platform": "the platform, e.g. Facebook",
    "audience": "who the channel is for, e.g. parents and carers",
    "follow_action": "what families do: follow, like or join",
    "existing_channels": "the ways you already keep in touch",
    "safety_measures": "what the school will do to keep the channel safe",
    "other_safety_measures": "any other safety measures",
    "policies": "the policies the channel is run under",
    "policy_list": "the policies families should read",
    "official_channels": "the school's official channels",
    "admin_contact": "how to reach the group's admins",
    "platform_paragraph": "the paragraph for the platform",
}
# Placeholders the user may type for a letter (the rest come from the answers and the account).
TYPED_FIELDS = tuple(k for k in LETTER_FIELDS if k != "platform_paragraph")

_CHANNEL_TYPES = {"facebook page": "page", "facebook group": "group", "youtube": "channel", "whatsapp": "group"}
_FOLLOW = {"facebook page": "like and follow", "facebook group": "join", "youtube": "subscribe to"}
# The service a platform entry belongs to, as parents know it ("Facebook", not "Facebook Page").
_SERVICE = {"facebook page": "Facebook", "facebook group": "Facebook", "x (twitter)": "X", "twitter": "X"}


def _platform_key(platform: str) -> str:
    return platform.strip().lower()


def template_text(card_id: str) -> str:
    """The part of a template card between its first two `---` lines: the text to fill."""
    from safedesk.content.library import default_library

    body = default_library().get(card_id).body
    parts = re.split(r"^---\s*$", body, flags=re.M)
    if len(parts) < 2:
        raise TemplateError(f"{card_id}: the template text must follow a --- line")
    return parts[1].strip("\n")


def letter_placeholders(letter_id: str) -> list[str]:
    return list(dict.fromkeys(_PLACEHOLDER.findall(template_text(LETTERS[letter_id].card_id))))


def _platform_paragraph(channel: Channel | None, platform: str) -> str:
    """The launch letter's extra paragraph for Facebook or X, '' where none applies."""
    from safedesk.content.library import default_library

    key = _platform_key(channel.platform if channel else platform)
    notes = section_notes(default_library().get(PARAGRAPHS_CARD).body)
    for title, text in notes.items():
        lowered = title.lower()
        if key == "facebook page" and lowered.startswith("facebook page"):
            return "" if channel and channel.comments == "off" else text
        if key == "facebook group" and lowered.startswith("facebook group"):
            return "" if channel and channel.visibility == "secret" else text
        if key.startswith(("x", "twitter")) and lowered.startswith("x "):
            return text
    return ""


def letter_values(answers: PolicyAnswers, setting_name: str, channel: Channel | None, channels: list[Channel]) -> dict[str, str]:
    """What the answers and the chosen account say for each letter placeholder (plain text)."""
    platform = channel.platform if channel else (answers.platforms[0] if len(answers.platforms) == 1 else "")
    key = _platform_key(platform)
    official = [c.label for c in channels] or list(answers.platforms)
    measures = []
    if answers.images == "none":
        measures.append("post no photos or videos of pupils")
    else:
        measures.append("post no picture of a pupil without written parental consent, and never with their full name")
    frequency = FREQUENCY[answers.monitor_frequency]
    measures.append(f"check the channel {frequency}")
    measures.append(
        {
            "off": "keep comments switched off",
            "moderated": "filter and check every comment",
            "open": "remove any comment that breaks our rules",
        }[answers.comments]
    )
    measures.append("make sure the staff who run it are trained")
    comments = {
        "off": "Comments are switched off.",
        "moderated": f"Comments are filtered and checked {frequency}.",
        "open": f"Comments are checked {frequency} and any that break our rules are removed.",
    }[answers.comments]
    out = {
        "setting_name": answers.setting_name or setting_name,
        "dsl_name": answers.dsl_name,
        "headteacher_name": answers.headteacher_name,
        "contact_details": answers.contact_details,
        "platform": _SERVICE.get(key, platform),
        "channel": f"our {platform}" if platform else "",
        "channel_address": (channel.url or channel.name) if channel else "",
        "channel_type": _CHANNEL_TYPES.get(key, "account") if platform else "",
        "follow_action": _FOLLOW.get(key, "follow") if platform else "",
        "audience": channel.audience if channel else "",
        "safety_measures": join_words(measures),
        "other_safety_measures": comments,
        "policies": "safeguarding and social media policies",
        "policy_list": join_words([_policy_topic(p) for p in answers.policies]),
        "official_channels": join_words(official),
        "platform_paragraph": _platform_paragraph(channel, platform),
    }
    return {k: v for k, v in out.items() if v}


def _policy_topic(name: str) -> str:
    """'Online safety policy' -> 'online safety', for 'our policies on ...'."""
    topic = re.sub(r"\s+(policy|policies)$", "", name.strip(), flags=re.I)
    return topic[:1].lower() + topic[1:]


# Letter-specific meanings: a parent-run channel is a group whatever the school's own accounts are.
LETTER_DEFAULTS: dict[str, dict[str, str]] = {"disclaimer-parent": {"channel_type": "group"}}


@dataclass(frozen=True)
class LetterDocument:
    markdown: str
    missing: list[str]


_SENTENCE_START = re.compile(r"(^|[.!?]\s+)$")
# The card's hint after a placeholder, e.g. "{safety_measures} (for example: ...)", is for
# whoever fills the letter in: it goes once the placeholder is filled.
_EXAMPLE = re.compile(r"\s*\(for example[^)]*\)")


def fill_letter(letter_id: str, known: Mapping[str, str], typed: Mapping[str, str]) -> LetterDocument:
    """The letter's template with every placeholder filled (typed values first, then known
    ones), escaped; what is still unknown becomes a visible [to fill in: ...]."""
    spec = LETTERS[letter_id]
    template = template_text(spec.card_id)
    known = {**known, **LETTER_DEFAULTS.get(letter_id, {})}
    missing: list[str] = []
    out_lines = []
    for line in template.splitlines():
        if line.strip() == "{platform_paragraph}":
            paragraph = typed.get("platform_paragraph") or known.get("platform_paragraph", "")
            if paragraph:
                out_lines.append(md_escape(paragraph))
            continue  # no paragraph applies to this platform: the line goes
        pieces: list[str] = []
        position = 0
        for match in _PLACEHOLDER.finditer(line):
            pieces.append(line[position : match.start()])
            key = match.group(1)
            value = (typed.get(key) or known.get(key) or "").strip()
            position = match.end()
            if value:
                if _SENTENCE_START.search("".join(pieces)):
                    value = value[0].upper() + value[1:]
                pieces.append(md_escape(value))
                example = _EXAMPLE.match(line, position)
                position = example.end() if example else position
            else:
                missing.append(LETTER_FIELDS.get(key, key))
                pieces.append(to_fill(LETTER_FIELDS.get(key, key)))
        pieces.append(line[position:])
        out_lines.append("".join(pieces))
    markdown = re.sub(r"\n{3,}", "\n\n", "\n".join(out_lines)).strip("\n") + "\n"
    check_markdown(markdown, titled=False)
    return LetterDocument(markdown, list(dict.fromkeys(missing)))


# --------------------------------------------------------------------- the book


class PolicyBook:
    """The setting's policy answers, the policy and the letters, on one session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.repo = session.repo(PolicyAnswers)

    def stored(self) -> PolicyAnswers | None:
        return self.repo.first()

    def answers(self) -> PolicyAnswers:
        """The stored answers, or a first set filled from what the store already knows:
        the setting's name, the DSL and deputies with key slots, the platforms in the register."""
        stored = self.stored()
        if stored is not None:
            return stored
        users = [u for u in self.session.active_users() if u.role in ("dsl", "deputy")]
        channels = register_channels(self.session)
        return PolicyAnswers(
            setting_name=self.session.setting().name,
            dsl_name=next((u.name for u in users if u.role == "dsl"), ""),
            deputies=tuple(u.name for u in users if u.role == "deputy"),
            platforms=tuple(dict.fromkeys(c.platform for c in channels)),
        )

    def save(self, values: Mapping[str, Any]) -> PolicyAnswers:
        """Store the answers changed by `values` (question name -> typed value)."""
        values = dict(values)
        letters = values.pop("_letters", None)
        current = self.answers()
        updated = answers_with(current, values)
        if letters is not None:
            updated = dataclasses.replace(updated, letter_values={**updated.letter_values, **letters}).cleaned()
            updated.validate()
        updated.updated_at = utcnow()
        if updated.id is None:
            return self.repo.add(updated, summary="policy answers saved")
        changed = [q.name for q in QUESTIONS if getattr(updated, q.name) != getattr(current, q.name)]
        if letters is not None and updated.letter_values != current.letter_values:
            changed.append("letter details")
        if not changed:
            return current
        return self.repo.save(updated, summary=f"policy answers changed: {', '.join(changed)}")

    def build(self, answers: PolicyAnswers | None = None) -> PolicyDocument:
        return build_policy(answers or self.answers(), register_channels(self.session))

    def export(
        self, path: Path, *, overwrite: bool = False, answers: PolicyAnswers | None = None, fmt: Format = Format.MARKDOWN
    ) -> PolicyDocument:
        document = self.build(answers)
        setting = self.session.setting().name
        write_export(path, render(Document("Social media policy", document.markdown, subtitle=setting), fmt), overwrite=overwrite)
        self.session.audit_event(
            "export.policy",
            f"social media policy exported as {fmt.kind} ({len(document.sections)} sections, "
            f"{len(document.missing)} detail(s) to fill in)",
            PolicyAnswers.TABLE,
        )
        return document

    # ----------------------------------------------------------------- letters

    def channel(self, account_id: int | None) -> Channel | None:
        if account_id is None:
            return None
        account = Register(self.session).account(account_id)
        return Channel(
            account.name, account.platform, account.url, account.audience, account.visibility.value, account.comments.value
        )

    def known_letter_values(self, account_id: int | None = None) -> dict[str, str]:
        answers = self.answers()
        known = letter_values(answers, self.session.setting().name, self.channel(account_id), register_channels(self.session))
        return {**known, **answers.letter_values}

    def letter(self, letter_id: str, account_id: int | None = None, typed: Mapping[str, str] | None = None) -> LetterDocument:
        if letter_id not in LETTERS:
            raise InvalidInput(f"There is no letter {letter_id!r}: choose one of {', '.join(LETTERS)}.", "letter")
        return fill_letter(letter_id, self.known_letter_values(account_id), {k: clean_text(v) for k, v in (typed or {}).items()})

    def remember_letter_values(self, typed: Mapping[str, str]) -> None:
        """Keep what was typed for the letters' own details, so the next letter reuses them."""
        unknown = [k for k in typed if k not in TYPED_FIELDS]
        if unknown:
            raise InvalidInput(f"A letter has no detail called {unknown[0]!r}.", unknown[0])
        # Details that come from the answers themselves are changed there, not here.
        keep = {k: v for k, v in typed.items() if k not in ("setting_name", "dsl_name", "headteacher_name", "contact_details")}
        if keep:
            self.save({"_letters": keep})

    def export_letter(
        self,
        letter_id: str,
        path: Path,
        *,
        account_id: int | None = None,
        typed: Mapping[str, str] | None = None,
        overwrite: bool = False,
        fmt: Format = Format.MARKDOWN,
    ) -> LetterDocument:
        document = self.letter(letter_id, account_id, typed)
        printable = Document(LETTERS[letter_id].title, document.markdown, subtitle=self.session.setting().name)
        write_export(path, render(printable, fmt), overwrite=overwrite)
        self.session.audit_event(
            "export.letter",
            f"template letter exported as {fmt.kind} ({LETTERS[letter_id].card_id}, {len(document.missing)} detail(s) to fill in)",
            PolicyAnswers.TABLE,
        )
        return document


# --------------------------------------------------------------------- home screen

POLICY_DUE_SOON = timedelta(days=30)


def policy_attention(session: Session) -> Iterable[AttentionItem]:
    stored = PolicyBook(session).stored()
    if stored is None:
        yield AttentionItem("advice", "No social media policy built yet: answer the questions in Policy (o).", "policy", "policy")
        return
    if stored.review_on is None:
        return
    today = datetime.now(local_zone()).date()
    due = show_date(stored.review_on)
    if stored.review_on < today:
        yield AttentionItem("overdue", f"The social media policy was due for review on {due}.", "policy", "policy")
    elif stored.review_on - today <= POLICY_DUE_SOON:
        yield AttentionItem("due soon", f"The social media policy is due for review on {due}.", "policy", "policy")
