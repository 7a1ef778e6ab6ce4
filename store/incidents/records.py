"""Online-safety incident records, kept the way safeguarding records must be.

An incident's saved text is never silently changed or deleted. Every event
(creation, each action, escalation, evidence item, status change and every
amendment with its old value and reason) is a chronology entry that is only
ever added. The incident document holds the current values for lists and
reports; the chronology is the record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from safedesk.store.engine.records import Record, require, utcnow
from safedesk.store.text.dates import local_today
from safedesk.store.text.limits import Kind

PLATFORMS = {
    "facebook": "Facebook",
    "x": "X (Twitter)",
    "instagram": "Instagram",
    "tiktok": "TikTok",
    "youtube": "YouTube",
    "whatsapp": "WhatsApp",
    "snapchat": "Snapchat",
    "discord": "Discord",
    "website": "Website",
    "other": "Other",
}
STATUSES = {"open": "Open", "monitoring": "Monitoring", "closed": "Closed"}
SEVERITIES = {"low": "Low", "medium": "Medium", "high": "High", "critical": "Critical"}
# The guidance's risk matrix (content card ref-risk-matrix).
RISK_ROWS = {"content": "Content", "contact": "Contact", "conduct": "Conduct"}
RISK_COLUMNS = {"commercial": "Commercial", "aggressive": "Aggressive", "sexual": "Sexual", "values": "Values"}
FLAGS = {
    "child_at_immediate_risk": "Child at immediate risk",
    "sexual_imagery_suspected": "Sexual imagery of a child suspected",
    "allegation_against_staff": "Allegation against staff",
    "credible_threat_or_hate": "Credible threat or hate",
    "official_channel_affected": "Official channel affected",
    "data_breach": "Data breach",
}
PERSON_ROLES = {
    "pupil": "Pupil",
    "child": "Child/young person (not our pupil)",
    "staff": "Staff",
    "parent": "Parent/carer",
    "adult": "Other adult",
    "unknown": "Unknown/anonymous",
    "other": "Other",
}
# Roles of adults, for whom a referral gives a job title and employer.
ADULT_ROLES = frozenset({"staff", "parent", "adult"})
# Categories of abuse a referral to children's social care or the LADO asks for.
HARM_CATEGORIES = {"physical": "Physical", "emotional": "Emotional", "sexual": "Sexual", "neglect": "Neglect"}
# The harm test for an allegation against an adult who works with children (managing-allegations
# guidance; content card pb-allegation-against-staff), in our words.
HARM_TESTS = {
    "harmed": "Has harmed a child, or may have",
    "offence": "May have committed a criminal offence against or related to a child",
    "risk": "Behaved towards a child in a way that suggests they may pose a risk of harm",
    "unsuitable": "Behaved in a way that suggests they may not be suitable to work with children",
}
ADULT_AWARE = {"yes": "Yes", "no": "No"}
# How an adult works with children, as a LADO referral asks.
EMPLOYMENT_BASES = {
    "employed": "Employed",
    "supply": "Supply or agency",
    "contractor": "Contractor",
    "volunteer": "Volunteer",
    "other": "Other",
}
INVOLVEMENTS = {"victim": "Victim", "subject": "Subject", "witness": "Witness"}
ESCALATION_TARGETS = {
    "police_999": "Police (999)",
    "police_101": "Police (101)",
    "lado": "LADO",
    "headteacher": "Headteacher",
    "social_care": "Children's social care",
    "platform_report": "Platform report",
    "posh": "Professionals Online Safety Helpline",
    "ceop": "CEOP",
    "iwf": "IWF (Internet Watch Foundation)",
    "report_remove": "Report Remove (Childline and IWF)",
    "report_harmful_content": "Report Harmful Content",
    "report_fraud": "Report Fraud (formerly Action Fraud)",
    "true_vision": "True Vision (hate crime)",
    "act": "ACT (terrorist content)",
    "prevent": "Prevent (local authority)",
    "dpo_ico": "Data protection officer / ICO",
    "parents": "Parents/carers",
    "other": "Other",
}

# Clocks drift and people type "now" a minute late: allow a little future.
CLOCK_SLACK = timedelta(minutes=10)
_URL = re.compile(r"^(https?://)?[^\s/]+\.[^\s]+$", re.I)
REF = re.compile(r"^INC-(\d{4})-(\d{4,})$")


def _labelled(value: str, choices: dict[str, str], what: str, field_name: str, required: bool = True) -> None:
    if value or required:
        require(value in choices, f"Choose a {what} from the list.", field_name)


@dataclass(kw_only=True)
class Person:
    LIMITS: ClassVar[dict[str, Kind]] = {"name": Kind.NAME}
    name: str
    role: str = "unknown"
    involvement: str = "subject"
    pupil_id: int | None = None  # the consent register's pupil, when known
    # What a LADO or police referral asks about each person, where known.
    dob: date | None = None
    job_title: str = ""  # adults
    employer: str = ""  # adults
    employment_basis: str = ""  # EMPLOYMENT_BASES, adults; "" when not known
    school: str = ""  # the school or setting a child attends
    social_worker: str = ""  # name and contact, when the child has one

    def check(self) -> None:
        require(bool(self.name.strip()) or self.role == "unknown", "Give the person's name (or choose Unknown).", "people")
        require(self.dob is None or self.dob <= local_today(), "The date of birth is in the future.", "dob")
        _labelled(self.employment_basis, EMPLOYMENT_BASES, "basis of employment", "employment_basis", required=False)
        _labelled(self.role, PERSON_ROLES, "role", "people")
        _labelled(self.involvement, INVOLVEMENTS, "victim, subject or witness", "people")

    @property
    def label(self) -> str:
        name = self.name or "Unknown"
        return (
            f"{name} ({PERSON_ROLES.get(self.role, self.role)}, {INVOLVEMENTS.get(self.involvement, self.involvement).lower()})"
        )


@dataclass(kw_only=True)
class Incident(Record):
    TABLE: ClassVar[str] = "incidents"
    MULTILINE: ClassVar[frozenset[str]] = frozenset({"description", "outcome", "lessons"})
    LIMITS: ClassVar[dict[str, Kind]] = {
        "ref": Kind.REFERENCE,
        "title": Kind.TITLE,
        "reported_by": Kind.NAME,
        "platform": Kind.NAME,
        "urls": Kind.URL,
        "where_seen": Kind.LONG,  # one line, but stores before limits took long ones: kept valid
        "parents_informed_by": Kind.NAME,
        "created_by": Kind.NAME,
    }

    ref: str = ""
    title: str
    reported_at: datetime
    occurred_at: datetime | None = None
    reported_by: str = ""
    platform: str = "other"
    urls: tuple[str, ...] = ()
    where_seen: str = ""
    description: str = ""
    people: tuple[Person, ...] = ()
    risk_row: str = ""
    risk_column: str = ""
    severity: str = "medium"
    flags: tuple[str, ...] = ()
    status: str = "open"
    outcome: str = ""
    lessons: str = ""
    review_date: date | None = None
    retention_date: date | None = None
    harm_categories: tuple[str, ...] = ()  # HARM_CATEGORIES
    harm_tests: tuple[str, ...] = ()  # HARM_TESTS met, for an allegation against an adult
    parents_informed_at: datetime | None = None
    parents_informed_by: str = ""
    adult_aware: str = ""  # ADULT_AWARE, or "" when not recorded
    playbooks: tuple[str, ...] = ()  # guidance playbooks it was started from
    created_at: datetime = field(default_factory=utcnow)
    created_by: str = ""

    def validate(self) -> None:
        now = utcnow()
        require(bool(self.title.strip()), "Give the incident a short title.", "title")
        require(self.reported_at <= now + CLOCK_SLACK, "The report time is in the future.", "reported_at")
        if self.occurred_at is not None:
            require(self.occurred_at <= now + CLOCK_SLACK, "The time it happened is in the future.", "occurred_at")
            require(
                self.occurred_at <= self.reported_at + CLOCK_SLACK,
                "It cannot have happened after it was reported.",
                "occurred_at",
            )
        _labelled(self.platform, PLATFORMS, "platform", "platform")
        for url in self.urls:
            require(bool(_URL.match(url)), f"'{url[:60]}' does not look like a web address.", "urls")
        for person in self.people:
            person.check()
        _labelled(self.risk_row, RISK_ROWS, "risk row (content, contact or conduct)", "risk_row", required=False)
        _labelled(self.risk_column, RISK_COLUMNS, "risk column", "risk_column", required=False)
        _labelled(self.severity, SEVERITIES, "severity", "severity")
        for flag in self.flags:
            require(flag in FLAGS, "Unknown flag.", "flags")
        _labelled(self.status, STATUSES, "status", "status")
        for category in self.harm_categories:
            require(category in HARM_CATEGORIES, "Choose the category of harm from the list.", "harm_categories")
        for test in self.harm_tests:
            require(test in HARM_TESTS, "Choose the harm test criteria from the list.", "harm_tests")
        if self.harm_tests or self.adult_aware:
            require(
                self.has_flag("allegation_against_staff"),
                "The harm test and 'adult aware' are for an allegation against an adult: tick that flag too.",
                "harm_tests" if self.harm_tests else "adult_aware",
            )
        _labelled(self.adult_aware, ADULT_AWARE, "yes or no", "adult_aware", required=False)
        if self.parents_informed_at is not None:
            require(
                self.parents_informed_at <= now + CLOCK_SLACK,
                "The time parents were told is in the future.",
                "parents_informed_at",
            )
        if self.status == "closed":
            require(bool(self.outcome.strip()), "Record the outcome before closing the incident.", "outcome")
        reported = self.reported_at.date()
        if self.review_date is not None:
            require(self.review_date >= reported, "The review date is before the incident was reported.", "review_date")
        if self.retention_date is not None:
            require(self.retention_date >= reported, "The retention date is before the incident was reported.", "retention_date")

    def has_flag(self, flag: str) -> bool:
        return flag in self.flags


@dataclass(kw_only=True)
class ChronologyEntry(Record):
    """One event in an incident's history. Added, never changed or removed."""

    LIMITS: ClassVar[dict[str, Kind]] = {"by": Kind.NAME}

    TABLE: ClassVar[str] = "chronology"
    # "detail" keeps an amendment's old and new text exactly as they were, line breaks included.
    MULTILINE: ClassVar[frozenset[str]] = frozenset({"text", "detail"})

    incident_id: int
    at: datetime
    by: str
    kind: str  # created, amended, status, action, action_done, escalation, evidence, note, triage, person
    text: str  # what happened, in words
    detail: dict[str, Any] = field(default_factory=dict)  # e.g. {"field": ..., "old": ..., "new": ..., "reason": ...}
    # When the event itself happened, when it was written up later; None: as it happened ("at").
    happened_at: datetime | None = None

    # A write-up this long after the event is shown as back-dated.
    BACKDATED_AFTER: ClassVar[timedelta] = timedelta(minutes=15)

    @property
    def backdated(self) -> bool:
        return self.happened_at is not None and self.at - self.happened_at > self.BACKDATED_AFTER

    @property
    def when(self) -> datetime:
        """When the event happened (for ordering and showing)."""
        return self.happened_at or self.at


@dataclass(kw_only=True)
class Action(Record):
    TABLE: ClassVar[str] = "actions"
    MULTILINE: ClassVar[frozenset[str]] = frozenset({"note"})
    LIMITS: ClassVar[dict[str, Kind]] = {"owner": Kind.NAME, "done_by": Kind.NAME}

    incident_id: int
    text: str
    owner: str = ""
    due: date | None = None
    done_at: datetime | None = None
    done_by: str = ""
    not_needed_reason: str = ""
    source: str = ""  # "pb-fake-account: Do now" when it came from a playbook
    created_at: datetime = field(default_factory=utcnow)
    note: str = ""

    def validate(self) -> None:
        require(bool(self.text.strip()), "Say what needs doing.", "text")
        require(len(self.text) <= 1000, "Keep an action under 1,000 characters.", "text")

    @property
    def open(self) -> bool:
        return self.done_at is None and not self.not_needed_reason

    def overdue(self, today: date) -> bool:
        return self.open and self.due is not None and self.due < today


@dataclass(kw_only=True)
class Escalation(Record):
    TABLE: ClassVar[str] = "escalations"
    MULTILINE: ClassVar[frozenset[str]] = frozenset({"result"})
    LIMITS: ClassVar[dict[str, Kind]] = {"contact_name": Kind.NAME, "reference": Kind.REFERENCE, "by": Kind.NAME}

    incident_id: int
    target: str
    at: datetime
    contact_name: str = ""
    reference: str = ""
    result: str = ""
    by: str = ""

    def validate(self) -> None:
        _labelled(self.target, ESCALATION_TARGETS, "who it was escalated to", "target")
        require(self.at <= utcnow() + CLOCK_SLACK, "That time is in the future.", "at")
