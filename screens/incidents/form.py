"""Record a new incident, or amend a saved one (with the reason kept in the chronology).

Started from triage, the form arrives with the flags the answers raised, the
playbook's title, and the playbook's steps ready to become the checklist.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Header, Input, Select, Static

from safedesk.content.library import default_library
from safedesk.content.triage import TriageResult
from safedesk.store.errors import InvalidInput
from safedesk.store.incidents.log import IncidentLog, checklist_from
from safedesk.store.incidents.records import (
    ADULT_AWARE,
    FLAGS,
    HARM_CATEGORIES,
    HARM_TESTS,
    PLATFORMS,
    RISK_COLUMNS,
    RISK_ROWS,
    SEVERITIES,
    Action,
    Incident,
)
from safedesk.store.text.dates import DATE_HINT, DATETIME_HINT, parse_date, parse_datetime, show_date, show_datetime
from safedesk.store.text.limits import Kind, limit
from safedesk.widgets.common import Field, plain
from safedesk.widgets.footer import Footer
from safedesk.widgets.forms import Form
from safedesk.widgets.host import session_of
from safedesk.widgets.limited import LimitedTextArea
from safedesk.widgets.ticks import TickList


def _choices(mapping: dict[str, str]) -> list[tuple[str, str]]:
    return [(label, key) for key, label in mapping.items()]


class IncidentFormScreen(Form[int | None]):
    SUB_TITLE = "Incident record"  # the header names the screen
    CSS_PATH = "form.tcss"

    def __init__(self, incident_id: int | None = None, triage: TriageResult | None = None) -> None:
        super().__init__()
        self.incident_id = incident_id
        self.triage = triage
        self._original: Incident | None = None
        self._actions: list[Action] = checklist_from(triage.playbooks) if triage else []

    # ----------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        if self.incident_id is not None:
            self._original = IncidentLog(session_of(self.app)).get(self.incident_id)
        incident = self._original
        title = incident.title if incident else self._suggested_title()
        flags = set(incident.flags if incident else (self.triage.flags if self.triage else ()))
        yield Header()
        with VerticalScroll(id="incform"):
            heading = f"Amend {incident.ref}" if incident else "New incident"
            yield Static(plain(heading), classes="title")
            if incident:
                yield Static(
                    "What was saved stays readable: each change is kept in the chronology with the old value, "
                    "who changed it, when and why.",
                    classes="muted",
                )
            elif self._actions:
                yield Static(
                    plain(f"The playbook's {len(self._actions)} steps will become this incident's checklist."),
                    classes="muted",
                )
            yield Field(
                "Title: what happened, in a few words",
                Input(title, id="title", compact=True, max_length=limit(Kind.TITLE)),
                field_id="title",
            )
            yield Field(
                f"Reported at ({DATETIME_HINT})",
                Input(
                    show_datetime(incident.reported_at) if incident else "now",
                    id="reported_at",
                    compact=True,
                    max_length=limit(Kind.DATE),
                ),
                field_id="reported_at",
            )
            yield Field(
                "Happened at (if known)",
                Input(
                    show_datetime(incident.occurred_at) if incident else "",
                    id="occurred_at",
                    compact=True,
                    max_length=limit(Kind.DATE),
                ),
                field_id="occurred_at",
            )
            yield Field(
                "Reported by",
                Input(incident.reported_by if incident else "", id="reported_by", compact=True, max_length=limit(Kind.NAME)),
                field_id="reported_by",
            )
            yield Field(
                "Platform",
                Select(
                    _choices(PLATFORMS),
                    value=incident.platform if incident else "other",
                    allow_blank=False,
                    id="platform",
                    compact=True,
                ),
                field_id="platform",
            )
            yield Field(
                "Web addresses (separate several with spaces)",
                Input(" ".join(incident.urls) if incident else "", id="urls", compact=True, max_length=limit(Kind.URL)),
                field_id="urls",
            )
            yield Field(
                "Where it was seen (page, group, device)",
                Input(incident.where_seen if incident else "", id="where_seen", compact=True, max_length=limit(Kind.LONG)),
                field_id="where_seen",
            )
            yield Field(
                "Description: what was seen or said, by whom (facts, not opinions)",
                LimitedTextArea(
                    incident.description if incident else "",
                    id="description",
                    max_length=limit(Kind.LONG),
                    soft_wrap=True,
                    tab_behavior="focus",
                ),
                field_id="description",
            )
            yield Field(
                "Severity",
                Select(
                    _choices(SEVERITIES),
                    value=incident.severity if incident else "medium",
                    allow_blank=False,
                    id="severity",
                    compact=True,
                ),
                field_id="severity",
            )
            yield Field(
                "Risk (row): content, contact or conduct",
                Select(
                    _choices(RISK_ROWS),
                    value=incident.risk_row if incident and incident.risk_row else Select.NULL,
                    id="risk_row",
                    compact=True,
                ),
                field_id="risk_row",
            )
            yield Field(
                "Risk (column)",
                Select(
                    _choices(RISK_COLUMNS),
                    value=incident.risk_column if incident and incident.risk_column else Select.NULL,
                    id="risk_column",
                    compact=True,
                ),
                field_id="risk_column",
            )
            yield Field(
                "Flags (space to tick)",
                TickList[str](*[(label, key, key in flags) for key, label in FLAGS.items()], id="flags"),
                field_id="flags",
            )
            harm = set(incident.harm_categories if incident else ())
            yield Field(
                "Category of harm (space to tick)",
                TickList[str](*[(label, key, key in harm) for key, label in HARM_CATEGORIES.items()], id="harm_categories"),
                field_id="harm_categories",
            )
            tests = set(incident.harm_tests if incident else ())
            yield Field(
                "Allegation against an adult: the harm test criteria that apply",
                TickList[str](*[(label, key, key in tests) for key, label in HARM_TESTS.items()], id="harm_tests"),
                field_id="harm_tests",
            )
            yield Field(
                "Is the adult aware of the allegation?",
                Select(
                    _choices(ADULT_AWARE),
                    value=incident.adult_aware if incident and incident.adult_aware else Select.NULL,
                    id="adult_aware",
                    compact=True,
                ),
                field_id="adult_aware",
            )
            yield Field(
                f"Parents informed at ({DATETIME_HINT})",
                Input(
                    show_datetime(incident.parents_informed_at) if incident else "",
                    id="parents_informed_at",
                    compact=True,
                    max_length=limit(Kind.DATE),
                ),
                field_id="parents_informed_at",
            )
            yield Field(
                "Parents informed by",
                Input(
                    incident.parents_informed_by if incident else "",
                    id="parents_informed_by",
                    compact=True,
                    max_length=limit(Kind.NAME),
                ),
                field_id="parents_informed_by",
            )
            yield Field(
                f"Review date ({DATE_HINT})",
                Input(
                    show_date(incident.review_date) if incident else "",
                    id="review_date",
                    compact=True,
                    max_length=limit(Kind.DATE),
                ),
                field_id="review_date",
            )
            yield Field(
                "Keep the record until (retention date)",
                Input(
                    show_date(incident.retention_date) if incident else "",
                    id="retention_date",
                    compact=True,
                    max_length=limit(Kind.DATE),
                ),
                field_id="retention_date",
            )
            if incident:
                yield Field(
                    "Reason for the change (kept with it)",
                    Input(id="reason", compact=True, max_length=limit(Kind.SHORT)),
                    field_id="reason",
                )
            yield from self.buttons()
        yield Footer()

    def _suggested_title(self) -> str:
        if not self.triage:
            return ""
        card = default_library().cards.get(self.triage.main_playbook)
        return card.title if card else ""

    # ----------------------------------------------------------------- saving

    def _collect(self, values: dict[str, Any]) -> dict[str, Any]:
        """Typed values, or InvalidInput naming the field that could not be read."""
        reported = parse_datetime(values["reported_at"], "reported_at")
        if reported is None:
            raise InvalidInput("When was it reported? Type now, or a date and time.", "reported_at")
        return {
            "title": values["title"],
            "reported_at": reported,
            "occurred_at": parse_datetime(values["occurred_at"], "occurred_at"),
            "reported_by": values["reported_by"],
            "platform": values["platform"] or "",
            "urls": tuple(values["urls"].replace(",", " ").split()),
            "where_seen": values["where_seen"],
            "description": values["description"],
            "severity": values["severity"] or "",
            "risk_row": values["risk_row"] or "",
            "risk_column": values["risk_column"] or "",
            "flags": values["flags"],
            "harm_categories": tuple(values["harm_categories"]),
            "harm_tests": tuple(values["harm_tests"]),
            "adult_aware": values["adult_aware"] or "",
            "parents_informed_at": parse_datetime(values["parents_informed_at"], "parents_informed_at"),
            "parents_informed_by": values["parents_informed_by"],
            "review_date": parse_date(values["review_date"], "review_date"),
            "retention_date": parse_date(values["retention_date"], "retention_date"),
        }

    def save(self, values: dict[str, Any]) -> int | None:
        log = IncidentLog(session_of(self.app))
        typed = self._collect(values)
        if self._original is not None:
            log.amend(self._original.id, typed, values["reason"])  # type: ignore[arg-type]
            return self._original.id
        incident = Incident(**typed, playbooks=self.triage.playbooks if self.triage else ())
        answers = self.triage.answers if self.triage else ()
        return log.create(incident, actions=self._actions, triage_answers=answers).id
