"""Forms for one pupil: details, a consent decision, the never-publish flag.

Each form saves through safedesk.store.consents.pupils itself and shows a refused value next to
its field; it returns the stored Pupil, or None when cancelled.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, SelectionList, Static
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
from safedesk.store.errors import InvalidInput, SafeDeskError
from safedesk.store.text.dates import local_today
from safedesk.widgets.common import Field, FieldError, plain

if TYPE_CHECKING:
    from safedesk.store.engine.session import Session

CLEAR_FLAG = "__clear__"


class _Form(ModalScreen["Pupil | None"]):
    """Shared behaviour: Ctrl+S saves, Esc cancels, errors shown by their field."""

    CSS_PATH = "forms.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", tooltip="Save this form", id="form-save"),
        Binding("escape", "cancel", "Cancel", tooltip="Close without saving", id="form-cancel"),
    ]

    def buttons(self) -> ComposeResult:
        yield FieldError(id="error-form")
        with Horizontal(classes="form-buttons"):
            yield Button(compact=True, label="Save (Ctrl+S)", variant="primary", id="save")
            yield Button(compact=True, label="Cancel", id="cancel")

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    def action_save(self) -> None:
        """Each form validates, saves through safedesk.store.consents.pupils and dismisses with the stored Pupil."""
        raise NotImplementedError

    def clear_errors(self) -> None:
        for error in self.query(FieldError):
            error.clear()

    def show_error(self, error: SafeDeskError) -> None:
        """The message under the field it is about, or above the buttons."""
        field = getattr(error, "field", None)
        targets = self.query(f"#error-{field}") if field else []
        target = targets.first(FieldError) if targets else self.query_one("#error-form", FieldError)
        target.show(str(error))
        if field:
            control = self.query(f"#field-{field} Input, #field-{field} Select, #field-{field} SelectionList")
            if control:
                control.first().focus()

    def session(self) -> Session:
        return self.app.session  # type: ignore[attr-defined]


def choice(label: str, widget: Widget, field_id: str) -> Vertical:
    """A labelled Select (or list) with its error line: the same ids as safedesk.widgets.common.Field."""
    return Vertical(Label(label), widget, FieldError(id=f"error-{field_id}"), id=f"field-{field_id}", classes="choice")


def _date_or_none(text: str, field_id: str) -> date | None:
    return parse_date(text, field_id) if text.strip() else None


# --------------------------------------------------------------------- pupil details


class PupilForm(_Form):
    """Add a pupil, or change one's name, preferred name, year group, class or MIS id."""

    AUTO_FOCUS = "#name"

    def __init__(self, pupil: Pupil | None = None) -> None:
        super().__init__()
        self.pupil = pupil

    def compose(self) -> ComposeResult:
        p = self.pupil
        with VerticalScroll(classes="form"):
            yield Static("Edit pupil details" if p else "Add a pupil", classes="title")
            with Grid(classes="form-grid"):
                yield Field("Full name", Input(p.name if p else "", compact=True, id="name"), field_id="name")
                yield Field(
                    "Preferred name",
                    Input(p.preferred_name if p else "", compact=True, id="preferred_name"),
                    field_id="preferred_name",
                )
                yield Field(
                    "Year group (5, Y5, R...)",
                    Input(p.year_group if p else "", compact=True, id="year_group"),
                    field_id="year_group",
                )
                yield Field("Class or form", Input(p.form if p else "", compact=True, id="form"), field_id="form")
                yield Field(
                    "MIS id (UPN, admission no.)", Input(p.mis_id if p else "", compact=True, id="mis_id"), field_id="mis_id"
                )
            yield from self.buttons()

    def action_save(self) -> None:
        self.clear_errors()
        values = {k: self.query_one(f"#{k}", Input).value for k in ("name", "preferred_name", "year_group", "form", "mis_id")}
        try:
            if self.pupil is None:
                saved = add_pupil(self.session(), Pupil(**values))
            else:
                saved = update_details(self.session(), dataclasses.replace(self.pupil, **values))
        except SafeDeskError as error:
            self.show_error(error)
            return
        self.dismiss(saved)


# --------------------------------------------------------------------- consent decision


class ConsentForm(_Form):
    """Record a decision for one or more purposes: a grant, refusal, withdrawal or renewal."""

    AUTO_FOCUS = "#purposes"

    def __init__(self, pupil_id: int, purposes: tuple[Purpose, ...] = (), status: ConsentStatus = ConsentStatus.GRANTED) -> None:
        super().__init__()
        self.pupil_id = pupil_id
        self.preset = purposes
        self.status = status

    def compose(self) -> ComposeResult:
        pupil = get_pupil(self.session(), self.pupil_id)
        with VerticalScroll(classes="form"):
            yield Static(plain(f"Consent for {pupil.display_name}"), classes="title")
            with Grid(classes="form-grid"):
                yield choice(
                    "For (space to tick)",
                    SelectionList(*(Selection(p.label, p.value, p in self.preset) for p in Purpose), id="purposes"),
                    "purposes",
                )
                with Vertical(classes="choice-stack"):
                    yield choice(
                        "Decision",
                        Select(
                            [(s.label.capitalize(), s.value) for s in ConsentStatus],
                            value=self.status.value,
                            allow_blank=False,
                            compact=True,
                            id="status",
                        ),
                        "status",
                    )
                    yield choice(
                        "Parental responsibility",
                        Select(
                            [("Yes", "yes"), ("No", "no"), ("Not recorded", "unknown")],
                            value="unknown",
                            allow_blank=False,
                            compact=True,
                            id="parental_responsibility",
                        ),
                        "parental_responsibility",
                    )
                    yield choice(
                        "Pupil's own view (12+, competent)",
                        Select(
                            [(v.label.capitalize(), v.value) for v in ChildView],
                            value=ChildView.NOT_SOUGHT.value,
                            allow_blank=False,
                            compact=True,
                            id="child_view",
                        ),
                        "child_view",
                    )
                yield Field("Given by (name)", Input(compact=True, id="given_by"), field_id="given_by")
                yield Field("Relationship (mother, carer...)", Input(compact=True, id="relationship"), field_id="relationship")
                yield Field(
                    "Date given (DD/MM/YYYY)", Input(format_date(local_today()), compact=True, id="given_on"), field_id="given_on"
                )
                yield Field("Review or expiry date (optional)", Input(compact=True, id="review_on"), field_id="review_on")
                yield Field(
                    "How recorded (form ref, app, email)", Input(compact=True, id="recorded_how"), field_id="recorded_how"
                )
            yield from self.buttons()

    def action_save(self) -> None:
        self.clear_errors()
        purposes = [Purpose(v) for v in self.query_one("#purposes", SelectionList).selected]
        pr = self.query_one("#parental_responsibility", Select).value
        try:
            given_on = _date_or_none(self.query_one("#given_on", Input).value, "given_on")
            review_on = _date_or_none(self.query_one("#review_on", Input).value, "review_on")
            changes = [
                ConsentChange(
                    purpose=purpose,
                    status=ConsentStatus(self.query_one("#status", Select).value),
                    given_by=self.query_one("#given_by", Input).value,
                    relationship=self.query_one("#relationship", Input).value,
                    parental_responsibility=None if pr == "unknown" else pr == "yes",
                    child_view=ChildView(self.query_one("#child_view", Select).value),
                    given_on=given_on,
                    recorded_how=self.query_one("#recorded_how", Input).value,
                    review_on=review_on,
                    recorded_at=utcnow(),
                )
                for purpose in purposes
            ]
            saved = record_consent(self.session(), self.pupil_id, changes)
        except SafeDeskError as error:
            self.show_error(error)
            return
        self.dismiss(saved)


# --------------------------------------------------------------------- never publish


class NeverPublishForm(_Form):
    """Set the flag with a reason category, or remove it. No free text: the details belong elsewhere."""

    AUTO_FOCUS = "#reason"

    def __init__(self, pupil_id: int) -> None:
        super().__init__()
        self.pupil_id = pupil_id

    def compose(self) -> ComposeResult:
        pupil = get_pupil(self.session(), self.pupil_id)
        options = [(r.label.capitalize(), r.value) for r in NeverPublish]
        if pupil.never_publish:
            options.append(("Remove the flag", CLEAR_FLAG))
        with VerticalScroll(classes="form narrow"):
            yield Static(plain(f"Never publish: {pupil.display_name}"), classes="title")
            yield Static(
                "No image of a flagged pupil is published, for any purpose. Record only the category: "
                "keep the details in the pupil's safeguarding file.",
                classes="muted",
            )
            yield choice(
                "Reason category",
                Select(
                    options,
                    value=pupil.never_publish.value if pupil.never_publish else Select.NULL,
                    compact=True,
                    prompt="Choose...",
                    id="reason",
                ),
                "reason",
            )
            yield Field("From (DD/MM/YYYY)", Input(format_date(local_today()), compact=True, id="on"), field_id="on")
            yield from self.buttons()

    def action_save(self) -> None:
        self.clear_errors()
        value = self.query_one("#reason", Select).value
        try:
            if value == Select.NULL:
                raise InvalidInput("Choose a reason category (or Remove the flag).", "reason")
            on = parse_date(self.query_one("#on", Input).value, "on")
            reason = None if value == CLEAR_FLAG else NeverPublish(str(value))
            saved = set_never_publish(self.session(), self.pupil_id, reason, on)
        except SafeDeskError as error:
            self.show_error(error)
            return
        self.dismiss(saved)
