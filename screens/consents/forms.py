"""Forms for one pupil: details, a consent decision, the never-publish flag.

Each form saves through safedesk.store.consents.pupils itself and shows a refused value next to
its field; it returns the stored Pupil, or None when cancelled.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widgets import Input, Select
from textual.widgets.selection_list import Selection

from safedesk.store.consents.pupils import (
    ChildView,
    ConsentChange,
    ConsentStatus,
    NeverPublish,
    Pupil,
    Purpose,
    add_pupil,
    format_date,
    get_pupil,
    parse_date,
    record_consent,
    set_never_publish,
    update_details,
)
from safedesk.store.engine.records import utcnow
from safedesk.store.errors import InvalidInput
from safedesk.store.text.dates import local_today
from safedesk.store.text.limits import Kind, limit
from safedesk.widgets.common import Field
from safedesk.widgets.forms import ModalForm
from safedesk.widgets.host import session_of
from safedesk.widgets.ticks import TickList

if TYPE_CHECKING:
    from safedesk.store.engine.session import Session

CLEAR_FLAG = "__clear__"


class PupilDialog(ModalForm["Pupil | None"]):
    """A form about one pupil: the consents stylesheet and the session it saves to."""

    CSS_PATH = "forms.tcss"

    def session(self) -> Session:
        return session_of(self.app)


def _date_or_none(text: str, field_id: str) -> date | None:
    return parse_date(text, field_id) if text.strip() else None


# --------------------------------------------------------------------- pupil details


class PupilForm(PupilDialog):
    """Add a pupil, or change one's name, preferred name, year group, class, MIS id or date of birth."""

    def __init__(self, pupil: Pupil | None = None) -> None:
        super().__init__()
        self.pupil = pupil
        self.heading = "Edit pupil details" if pupil else "Add a pupil"

    def form(self) -> ComposeResult:
        p = self.pupil
        with Grid(classes="form-grid"):
            yield Field(
                "Full name", Input(p.name if p else "", compact=True, id="name", max_length=limit(Kind.NAME)), field_id="name"
            )
            yield Field(
                "Preferred name",
                Input(p.preferred_name if p else "", compact=True, id="preferred_name", max_length=limit(Kind.NAME)),
                field_id="preferred_name",
            )
            yield Field(
                "Year group (5, Y5, R...)",
                Input(p.year_group if p else "", compact=True, id="year_group", max_length=limit(Kind.SHORT)),
                field_id="year_group",
            )
            yield Field(
                "Class or form",
                Input(p.form if p else "", compact=True, id="form", max_length=limit(Kind.SHORT)),
                field_id="form",
            )
            yield Field(
                "MIS id (UPN, admission no.)",
                Input(p.mis_id if p else "", compact=True, id="mis_id", max_length=limit(Kind.REFERENCE)),
                field_id="mis_id",
            )
            yield Field(
                "Date of birth (DD/MM/YYYY)",
                Input(format_date(p.date_of_birth) if p else "", compact=True, id="date_of_birth", max_length=limit(Kind.DATE)),
                field_id="date_of_birth",
            )

    def save(self, values: dict[str, Any]) -> Pupil:
        # Optional: it tells two pupils with the same name apart and lets the check note a pupil of 12+.
        values["date_of_birth"] = _date_or_none(values["date_of_birth"], "date_of_birth")
        if self.pupil is None:
            return add_pupil(self.session(), Pupil(**values))
        return update_details(self.session(), dataclasses.replace(self.pupil, **values))


# --------------------------------------------------------------------- consent decision


class ConsentForm(PupilDialog):
    """Record a decision for one or more purposes: a grant, refusal, withdrawal or renewal."""

    def __init__(self, pupil_id: int, purposes: tuple[Purpose, ...] = (), status: ConsentStatus = ConsentStatus.GRANTED) -> None:
        super().__init__()
        self.pupil_id = pupil_id
        self.preset = purposes
        self.status = status

    def compose(self) -> ComposeResult:
        self.heading = f"Consent for {get_pupil(self.session(), self.pupil_id).display_name}"
        yield from super().compose()

    def form(self) -> ComposeResult:
        with Grid(classes="form-grid"):
            yield Field(
                "For (space to tick)",
                TickList(*(Selection(p.label, p.value, p in self.preset) for p in Purpose), id="purposes"),
                field_id="purposes",
            )
            with Vertical(classes="choice-stack"):
                yield Field(
                    "Decision",
                    Select(
                        [(s.label.capitalize(), s.value) for s in ConsentStatus],
                        value=self.status.value,
                        allow_blank=False,
                        compact=True,
                        id="status",
                    ),
                    field_id="status",
                )
                yield Field(
                    "Parental responsibility",
                    Select(
                        [("Yes", "yes"), ("No", "no"), ("Not recorded", "unknown")],
                        value="unknown",
                        allow_blank=False,
                        compact=True,
                        id="parental_responsibility",
                    ),
                    field_id="parental_responsibility",
                )
                yield Field(
                    "Pupil's own view (12+, competent)",
                    Select(
                        [(v.label.capitalize(), v.value) for v in ChildView],
                        value=ChildView.NOT_SOUGHT.value,
                        allow_blank=False,
                        compact=True,
                        id="child_view",
                    ),
                    field_id="child_view",
                )
            yield Field("Given by (name)", Input(compact=True, id="given_by", max_length=limit(Kind.NAME)), field_id="given_by")
            yield Field(
                "Relationship (mother, carer...)",
                Input(compact=True, id="relationship", max_length=limit(Kind.SHORT)),
                field_id="relationship",
            )
            yield Field(
                "Date given (DD/MM/YYYY)",
                Input(format_date(local_today()), compact=True, id="given_on", max_length=limit(Kind.DATE)),
                field_id="given_on",
            )
            yield Field(
                "Review or expiry date (optional)",
                Input(compact=True, id="review_on", max_length=limit(Kind.DATE)),
                field_id="review_on",
            )
            yield Field(
                "How recorded (form ref, app, email)",
                Input(compact=True, id="recorded_how", max_length=limit(Kind.SHORT)),
                field_id="recorded_how",
            )

    def save(self, values: dict[str, Any]) -> Pupil:
        pr = values["parental_responsibility"]
        given_on = _date_or_none(values["given_on"], "given_on")
        review_on = _date_or_none(values["review_on"], "review_on")
        changes = [
            ConsentChange(
                purpose=Purpose(purpose),
                status=ConsentStatus(values["status"]),
                given_by=values["given_by"],
                relationship=values["relationship"],
                parental_responsibility=None if pr == "unknown" else pr == "yes",
                child_view=ChildView(values["child_view"]),
                given_on=given_on,
                recorded_how=values["recorded_how"],
                review_on=review_on,
                recorded_at=utcnow(),
            )
            for purpose in values["purposes"]
        ]
        return record_consent(self.session(), self.pupil_id, changes)


# --------------------------------------------------------------------- never publish


class NeverPublishForm(PupilDialog):
    """Set the flag with a reason category, or remove it. No free text: the details belong elsewhere."""

    intro = (
        "No image of a flagged pupil is published, for any purpose. Record only the category: "
        "keep the details in the pupil's safeguarding file."
    )

    def __init__(self, pupil_id: int) -> None:
        super().__init__()
        self.pupil_id = pupil_id

    def compose(self) -> ComposeResult:
        self._pupil = get_pupil(self.session(), self.pupil_id)
        self.heading = f"Never publish: {self._pupil.display_name}"
        yield from super().compose()

    def form(self) -> ComposeResult:
        pupil = self._pupil
        options = [(r.label.capitalize(), r.value) for r in NeverPublish]
        if pupil.never_publish:
            options.append(("Remove the flag", CLEAR_FLAG))
        yield Field(
            "Reason category",
            Select(
                options,
                value=pupil.never_publish.value if pupil.never_publish else Select.NULL,
                compact=True,
                prompt="Choose...",
                id="reason",
            ),
            field_id="reason",
        )
        yield Field(
            "From (DD/MM/YYYY)",
            Input(format_date(local_today()), compact=True, id="on", max_length=limit(Kind.DATE)),
            field_id="on",
        )

    def save(self, values: dict[str, Any]) -> Pupil:
        if values["reason"] is None:
            raise InvalidInput("Choose a reason category (or Remove the flag).", "reason")
        on = parse_date(values["on"], "on")
        reason = None if values["reason"] == CLEAR_FLAG else NeverPublish(str(values["reason"]))
        return set_never_publish(self.session(), self.pupil_id, reason, on)
