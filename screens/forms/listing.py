"""The guidance's forms: the list, one form with its dated versions, and one version.

A form has a draft (filled in on safedesk.screens.forms.fill) and versions: `s` freezes the
draft as a new dated version with its re-assessment date; versions are never changed
or deleted. `x` writes a version as Markdown. Forms may be about an official account.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, OptionList, Static
from textual.widgets.option_list import Option

from safedesk.router import open_screen, opener
from safedesk.store.errors import InvalidInput, RecordNotFound
from safedesk.store.forms.filled import (
    FORM_TYPES,
    Form,
    FormBook,
    FormVersion,
    account_choices,
    account_label,
    answered,
    questions_of,
    version_markdown,
)
from safedesk.store.text.dates import DATE_HINT, local_zone, parse_date, show_date, show_datetime
from safedesk.store.text.document import Format
from safedesk.store.text.limits import Kind
from safedesk.widgets.card_view import CardView
from safedesk.widgets.common import FittedTable, cell, plain
from safedesk.widgets.dialogs import ConfirmDialog
from safedesk.widgets.export import default_export_path, export_dialog
from safedesk.widgets.footer import Footer
from safedesk.widgets.forms import FormDialog, FormField, FormResult
from safedesk.widgets.host import host, session_of

if TYPE_CHECKING:
    from textual.app import App

NO_ACCOUNT = "none"


def open_forms_target(app: App, target: str) -> bool:
    """Open what a home-screen item points at ('forms' or 'forms/12'); False if not ours."""
    if target != "forms" and not target.startswith("forms/"):
        return False
    key = target.removeprefix("forms").removeprefix("/")
    app.push_screen(FormsScreen())
    if key.isdigit():
        try:
            FormBook(session_of(app)).form(int(key))
        except RecordNotFound:
            return True
        app.push_screen(FormDetailScreen(int(key)))
    return True


def _today() -> date:
    return datetime.now(local_zone()).date()


def _form_fields(session: Any, form: Form | None) -> list[FormField]:
    accounts = [("No account", NO_ACCOUNT), *((label, str(i)) for label, i in account_choices(session))]
    fields = []
    if form is None:
        fields.append(FormField("kind", "Which form", kind="select", options=[(t.title, t.id) for t in FORM_TYPES.values()]))
    fields.append(
        FormField("title", "Title: the tool, site or account it is about", value=form.title if form else "", text_kind=Kind.TITLE)
    )
    if len(accounts) > 1:
        current = str(form.account_id) if form and form.account_id is not None else NO_ACCOUNT
        fields.append(FormField("account_id", "The official account it is about", kind="select", value=current, options=accounts))
    return fields


def _account_value(values: dict[str, str]) -> int | None:
    value = values.get("account_id", NO_ACCOUNT)
    return int(value) if value and value.isdigit() else None


class FormsScreen(Screen[None]):
    """Every form kept for the setting, with its latest version and when to re-assess."""

    SUB_TITLE = "Forms"  # the header names the screen

    CSS_PATH = "listing.tcss"
    AUTO_FOCUS = "#forms-table"
    BINDINGS = [
        Binding("n", "new", "New form", tooltip="Start a form from the guidance", id="forms-new"),
        Binding("p", "policy", "Policy", tooltip="The social media policy builder and template letters", id="forms-policy"),
        Binding("escape", "app.pop_screen", "Back", tooltip="Back to the home screen", id="forms-back"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Forms from the guidance", classes="title")
        yield Static("", id="forms-summary", classes="muted")
        yield FittedTable([("Form", None), ("Type", 15), ("Account", 14), ("Ver", 3), ("Re-assess", 10)], id="forms-table")
        yield Static("", id="forms-preview")
        yield Footer()

    @property
    def book(self) -> FormBook:
        return FormBook(session_of(self.app))

    def on_mount(self) -> None:
        self.sub_title = "Forms"
        self.call_after_refresh(self.refresh_table)

    def on_screen_resume(self) -> None:
        self.sub_title = "Forms"
        self.refresh_table()

    def refresh_table(self) -> None:
        session = session_of(self.app)
        book = self.book
        versions = book.all_versions()
        forms = book.forms()
        table = self.query_one("#forms-table", FittedTable)
        keep = table.cursor_row
        table.clear()
        self._rows: dict[str, tuple[Form, list[FormVersion]]] = {}
        overdue = 0
        for form in forms:
            mine = versions.get(form.id or 0, [])
            due = _due_text(mine[-1] if mine else None)
            overdue += due == "OVERDUE"
            table.add_row(
                cell(form.title),
                FORM_TYPES[form.kind].short,
                cell(account_label(session, form.account_id) or "-"),
                str(len(mine)),
                due,
                key=str(form.id),
            )
            self._rows[str(form.id)] = (form, mine)
        summary = (
            f"{len(forms)} form(s), {overdue} overdue for re-assessment · Enter opens one · n starts one"
            if forms
            else "No forms yet. Press n to start one: risk assessment, web tools checklist, consideration form, "
            "pre-use checklist or business case."
        )
        self.query_one("#forms-summary", Static).update(plain(summary))
        if table.row_count:
            table.move_cursor(row=min(max(keep, 0), table.row_count - 1))
        self._preview()

    def _current(self) -> tuple[Form, list[FormVersion]] | None:
        table = self.query_one("#forms-table", FittedTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self._rows.get(key or "")

    @on(DataTable.RowHighlighted, "#forms-table")
    def _preview(self) -> None:
        current = self._current()
        if current is None:
            self.query_one("#forms-preview", Static).update("")
            return
        form, versions = current
        done, total = answered(questions_of(form.kind), form.draft)
        latest = versions[-1] if versions else None
        lines = [
            f"{form.type.title}: {form.title}",
            (
                f"Version {latest.number} assessed {show_date(latest.assessed_on)}; re-assess by {show_date(latest.review_on)}."
                if latest
                else "No version saved yet: open it, fill it in, then save a version (s)."
            ),
            f"Draft: {done} of {total} questions answered.",
        ]
        self.query_one("#forms-preview", Static).update(plain("\n".join(lines)))

    @on(DataTable.RowSelected, "#forms-table")
    def _open(self) -> None:
        current = self._current()
        if current is not None and current[0].id is not None:
            self.app.push_screen(FormDetailScreen(current[0].id))

    def action_new(self) -> None:
        session = session_of(self.app)

        def create(values: dict[str, str]) -> int | None:
            if not values.get("kind"):
                raise InvalidInput("Choose which form to start.", "kind")
            return self.book.create(values["kind"], values["title"], _account_value(values)).id

        def created(result: FormResult | None) -> None:
            if result and result.outcome:
                self.app.push_screen(FormDetailScreen(result.outcome))

        self.app.push_screen(
            FormDialog(
                "Start a form", _form_fields(session, None), create, intro="Its questions come from the guidance card(s)."
            ),
            created,
        )

    def action_policy(self) -> None:
        opener("policy-or-questions")(self.app)


def _due_text(latest: FormVersion | None) -> str:
    if latest is None:
        return "draft only"
    if latest.review_on < _today():
        return "OVERDUE"
    return show_date(latest.review_on)


class FormDetailScreen(Screen[None]):
    """One form: what it is about, its draft's progress and its dated versions."""

    SUB_TITLE = "Form"  # the header names the screen

    CSS_PATH = "listing.tcss"
    AUTO_FOCUS = "#form-versions"
    BINDINGS = [
        Binding("e", "fill", "Fill in", tooltip="Fill in or change the draft answers", id="form-fill"),
        Binding(
            "s",
            "save_version",
            "Save version",
            tooltip="Save the draft as a new dated version (older ones are kept)",
            id="form-version",
        ),
        Binding("x", "export", "Export", tooltip="Write the highlighted version as Markdown", id="form-export"),
        Binding("t", "details", "Title/account", tooltip="Change the title or the account it is about", id="form-details"),
        Binding("g", "guide", "Guidance", tooltip="The guidance card the questions come from", id="form-guide"),
        Binding(
            "d",
            "delete",
            "Delete draft",
            tooltip="Delete this form (only while no version is saved)",
            id="form-delete",
            show=False,
        ),
        Binding("escape", "app.pop_screen", "Back", tooltip="Back to the list of forms", id="form-back"),
    ]

    def __init__(self, form_id: int) -> None:
        super().__init__()
        self.form_id = form_id
        self._versions: list[FormVersion] = []
        self._deleted = False

    @property
    def book(self) -> FormBook:
        return FormBook(session_of(self.app))

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="form-title", classes="title")
        yield Static("", id="form-facts")
        yield Static("Versions (Enter reads one; newest first)", classes="section")
        yield OptionList(id="form-versions", compact=True)
        yield Static("", id="form-hint", classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_view()

    def on_screen_resume(self) -> None:
        if not self._deleted:  # the confirmation closing resumes this screen just as it goes
            self.refresh_view()

    def refresh_view(self) -> None:
        session = session_of(self.app)
        form = self.book.form(self.form_id)
        self.form = form
        self._versions = list(reversed(self.book.versions(self.form_id)))
        self.sub_title = "Form"
        done, total = answered(questions_of(form.kind), form.draft)
        self.query_one("#form-title", Static).update(plain(f"{form.type.title}: {form.title}"))
        facts = [
            f"About: {account_label(session, form.account_id) or 'no account linked'}",
            f"From: {form.type.source}",
            f"Draft: {done} of {total} questions answered"
            + (f", last changed {show_datetime(form.draft_changed_at)}" if form.draft_changed_at else ""),
        ]
        self.query_one("#form-facts", Static).update(plain("\n".join(facts)))
        options = self.query_one("#form-versions", OptionList)
        options.clear_options()
        if self._versions:
            today = _today()
            for version in self._versions:
                due = (
                    "OVERDUE"
                    if version is self._versions[0] and version.review_on < today
                    else f"re-assess by {show_date(version.review_on)}"
                )
                options.add_option(
                    Option(
                        plain(
                            f"Version {version.number} · assessed {show_date(version.assessed_on)} · {due} · by {version.saved_by}"
                        ),
                        id=f"v{version.id}",
                    )
                )
            options.highlighted = 0
        else:
            options.add_option(Option("No version saved yet.", disabled=True))
        hint = "e fill in the draft · s save it as a dated version · x export · F1 all keys"
        self.query_one("#form-hint", Static).update(plain(hint))

    def _highlighted(self) -> FormVersion | None:
        options = self.query_one("#form-versions", OptionList)
        if not self._versions or options.highlighted is None:
            return None
        return self._versions[min(options.highlighted, len(self._versions) - 1)]

    @on(OptionList.OptionSelected, "#form-versions")
    def _read(self) -> None:
        version = self._highlighted()
        if version is not None and version.id is not None:
            self.app.push_screen(VersionScreen(version.id))

    def action_fill(self) -> None:
        open_screen(self.app, "form-fill", self.form_id)

    def action_save_version(self) -> None:
        form = self.book.form(self.form_id)
        assessed, review = self.book.suggested_dates(form)
        done, total = answered(questions_of(form.kind), form.draft)

        def save(values: dict[str, str]) -> FormVersion:
            assessed_on = parse_date(values["assessed_on"], "assessed_on")
            review_on = parse_date(values["review_on"], "review_on")
            return self.book.new_version(self.form_id, assessed_on, review_on)

        def saved(result: FormResult | None) -> None:
            if result and result.outcome:
                self.notify(f"Version {result.outcome.number} saved.", markup=False)
                self.refresh_view()

        self.app.push_screen(
            FormDialog(
                "Save as a new version",
                [
                    FormField("assessed_on", f"Assessed on ({DATE_HINT})", value=show_date(assessed), text_kind=Kind.DATE),
                    FormField(
                        "review_on",
                        f"Re-assess by ({DATE_HINT}; a year on unless you choose)",
                        value=show_date(review),
                        text_kind=Kind.DATE,
                    ),
                ],
                save,
                intro=f"The draft ({done} of {total} answered) is frozen as it is now, with the questions' wording. "
                "Earlier versions are kept unchanged.",
                save_label="Save version",
            ),
            saved,
        )

    def action_export(self) -> None:
        version = self._highlighted()
        if version is None or version.id is None:
            self.notify("Save a version first (s): exports are of a dated version.", severity="warning")
            return
        version_id = version.id

        def write(path: Path, overwrite: bool, fmt: Format) -> None:
            self.book.export(version_id, path, overwrite=overwrite, fmt=fmt)

        def done(result: FormResult | None) -> None:
            if result:
                self.notify(f"Saved to {result.outcome}", title="Exported", markup=False)

        name = f"{self.form.type.short} {self.form.title} v{version.number}"
        self.app.push_screen(export_dialog(f"Export version {version.number}", default_export_path(name), write), done)

    def action_details(self) -> None:
        session = session_of(self.app)
        form = self.book.form(self.form_id)

        def save(values: dict[str, str]) -> Form:
            return self.book.update(
                self.form_id,
                title=values["title"],
                account_id=_account_value(values) if "account_id" in values else form.account_id,
            )

        def saved(result: FormResult | None) -> None:
            if result:
                self.refresh_view()

        self.app.push_screen(FormDialog("Title and account", _form_fields(session, form), save), saved)

    def action_guide(self) -> None:
        host(self.app).action_guide(self.form.type.cards[0])

    def action_delete(self) -> None:
        if self._versions:
            self.notify("This form has saved versions; they are kept as a record, so it cannot be deleted.", severity="warning")
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self.book.delete(self.form_id)
                self._deleted = True
                self.app.pop_screen()

        self.app.push_screen(
            ConfirmDialog("Delete this draft form?", "It has no saved version. Its draft answers are lost.", yes="Delete"), answer
        )


class VersionScreen(Screen[None]):
    """One saved version, as it would be exported."""

    SUB_TITLE = "Form version"  # the header names the screen

    CSS_PATH = "listing.tcss"
    AUTO_FOCUS = "#version-view"
    BINDINGS = [
        Binding("x", "export", "Export", tooltip="Write this version as Markdown", id="version-export"),
        Binding("escape", "app.pop_screen", "Back", tooltip="Back to the form", id="version-back"),
    ]

    def __init__(self, version_id: int) -> None:
        super().__init__()
        self.version_id = version_id

    def compose(self) -> ComposeResult:
        yield Header()
        yield CardView(id="version-view")
        yield Footer()

    def on_mount(self) -> None:
        session = session_of(self.app)
        self.version = FormBook(session).version(self.version_id)
        self.sub_title = f"Form version {self.version.number}"
        self.query_one(CardView).show(version_markdown(session, self.version), "x exports this version · Esc goes back")

    def action_export(self) -> None:
        book = FormBook(session_of(self.app))

        def write(path: Path, overwrite: bool, fmt: Format) -> None:
            book.export(self.version_id, path, overwrite=overwrite, fmt=fmt)

        def done(result: FormResult | None) -> None:
            if result:
                self.notify(f"Saved to {result.outcome}", title="Exported", markup=False)

        spec = FORM_TYPES.get(self.version.kind)
        name = f"{spec.short if spec else 'form'} {self.version.title} v{self.version.number}"
        self.app.push_screen(export_dialog(f"Export version {self.version.number}", default_export_path(name), write), done)
