"""The records the store itself needs: the setting, its users and store metadata."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from safedesk.store.engine.records import Record, require, utcnow
from safedesk.store.text.limits import Kind

ROLE_LABELS = {"dsl": "DSL", "deputy": "Deputy DSL", "recovery": "Recovery key"}
THEMES = {"safedesk": "SafeDesk (default)", "safedesk-high-contrast": "High contrast"}
# Local contacts the guidance tells a DSL to have to hand; never built in, entered per setting.
CONTACTS = {
    "lado": "LADO (Local Authority Designated Officer)",
    "social_care": "Children's social care / front door",
    "police_local": "Local police safer schools officer or team",
    "headteacher": "Headteacher",
    "chair": "Chair of governors",
    "dpo": "Data protection officer",
    "it": "IT / online safety lead",
    "la_safeguarding": "Local authority safeguarding / education team",
}
# Who refers: the DSL's own details, printed in the referrer block of an incident report.
REFERRER_FIELDS = {"name": "Name", "role": "Role", "phone": "Phone", "email": "Secure email"}


@dataclass(kw_only=True)
class Setting(Record):
    """The school or setting this store belongs to, and its app preferences."""

    LIMITS: ClassVar[dict[str, Kind]] = {"name": Kind.NAME}

    TABLE: ClassVar[str] = "settings"

    name: str
    created_at: datetime
    idle_lock_minutes: int = 5
    theme: str = "safedesk"
    contacts: dict[str, str] = field(default_factory=dict)  # CONTACTS key -> "name, number"
    referrer: dict[str, str] = field(default_factory=dict)  # REFERRER_FIELDS key -> value
    # A demo store (`safedesk demo --create`) of fictional data: every report says so in its header,
    # whatever the setting is later renamed to. Set once at creation; stores from before hold False.
    demo: bool = False

    def validate(self) -> None:
        require(bool(self.name.strip()), "Enter the name of your school or setting.", "name")
        require(1 <= self.idle_lock_minutes <= 60, "Auto-lock must be between 1 and 60 minutes.", "idle_lock_minutes")
        require(self.theme in THEMES, "Choose a theme from the list.", "theme")
        for key in self.contacts:
            require(key in CONTACTS, "Unknown contact.", key)
        for key in self.referrer:
            require(key in REFERRER_FIELDS, "Unknown referrer detail.", f"referrer_{key}")
        email = self.referrer.get("email", "")
        require(not email or "@" in email, "That does not look like an email address.", "referrer_email")


@dataclass(kw_only=True)
class User(Record):
    """A person who can unlock the store, tied to one key slot."""

    LIMITS: ClassVar[dict[str, Kind]] = {"name": Kind.NAME, "slot_id": Kind.REFERENCE}

    TABLE: ClassVar[str] = "users"

    slot_id: str
    name: str
    role: str  # "dsl" | "deputy" | "recovery"
    added_at: datetime
    passphrase_changed_at: datetime | None = None
    removed_at: datetime | None = None

    def validate(self) -> None:
        require(bool(self.name.strip()), "Enter the person's name.", "name")
        require(self.role in ROLE_LABELS, "Role must be dsl, deputy or recovery.", "role")

    @property
    def active(self) -> bool:
        return self.removed_at is None

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    @property
    def name_and_role(self) -> str:
        """How records and screens name this person: 'Sam Patel (DSL)'. The role is left off when
        the name already says it ('Alex Morgan (demo DSL)'), so it never reads twice."""
        words = set(re.findall(r"\w+", self.name.casefold()))
        if all(word in words for word in re.findall(r"\w+", self.role_label.casefold())):
            return self.name
        return f"{self.name} ({self.role_label})"


@dataclass(kw_only=True)
class Meta(Record):
    """Store-wide facts: schema version and the key that opens locked-time events."""

    TABLE: ClassVar[str] = "meta"

    schema_version: int
    events_identity: str
    created_at: datetime = field(default_factory=utcnow)
    last_backup_at: datetime | None = None
    # True from the moment a recovery key is shown in the app until its confirm step is done;
    # stores from before this field were set up with that step, hence False by default.
    recovery_key_unconfirmed: bool = False
