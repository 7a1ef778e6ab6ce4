"""Settings: the setting's name, auto-lock time, theme, the referrer, local contacts, and (F3) school terms.

The referrer (the DSL's name, role, phone and secure email) is entered once and
printed in every incident report's referrer block.

Contacts are the local numbers the guidance says to have to hand (LADO,
children's social care...). SafeDesk never guesses them; once entered they
show with the "Who to call" card. School terms and closure days set the
school-day clock for child protection file transfers (safedesk.store.handover.calendar).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Header, Input, Select, Static

from safedesk.content.quickref import quick_reference_markdown
from safedesk.router import open_screen
from safedesk.store.engine.core_records import CONTACTS, REFERRER_FIELDS, THEMES
from safedesk.store.engine.keys.recovery import SHEET_STYLE, recovery_sheet_markdown
from safedesk.store.engine.keys.slots import set_label
from safedesk.store.errors import InvalidInput
from safedesk.store.handover.calendar import calendar_text, load_calendar, parse_calendar, save_calendar
from safedesk.store.text.limits import Kind, limit
from safedesk.widgets.common import Field, plain
from safedesk.widgets.export import sheet_dialog
from safedesk.widgets.footer import Footer
from safedesk.widgets.forms import Form, FormDialog, FormField, FormResult
from safedesk.widgets.host import host, session_of


class SettingsScreen(Form[None]):
    SUB_TITLE = "Settings"  # the header names the screen
    CSS_PATH = "settings.tcss"
    BINDINGS = [
        Binding("f3", "terms", "School terms", tooltip="Term dates and closure days for the transfer clock", id="settings-terms"),
        Binding(
            "f4", "keys", "Keys", tooltip="Who can open the store: add a deputy's key, relabel or remove one", id="settings-keys"
        ),
    ]

    def compose(self) -> ComposeResult:
        setting = session_of(self.app).setting()
        yield Header()
        with VerticalScroll(id="settings-form"):
            yield Static("Settings", classes="title")
            yield Field(
                "School or setting name",
                Input(setting.name, id="name", compact=True, max_length=limit(Kind.NAME)),
                field_id="name",
            )
            yield Field(
                "Lock after this many idle minutes (1-60)",
                Input(
                    str(setting.idle_lock_minutes),
                    id="idle_lock_minutes",
                    compact=True,
                    type="integer",
                    max_length=limit(Kind.NUMBER),
                ),
                field_id="idle_lock_minutes",
            )
            if session_of(self.app).vault.slot.role != "recovery":
                yield Field(
                    "Your key's label at unlock: anyone can read it, so not your name",
                    Input(session_of(self.app).vault.slot.label, id="key-label", compact=True, max_length=limit(Kind.NAME)),
                    field_id="label",
                )
            yield Static("Keys (F4): who can open the store. Add a deputy's own key, relabel, remove.", classes="hint")
            with Horizontal(classes="form-buttons"):
                yield Button(compact=True, label="Keys...", id="settings-keys-button")
            yield Field(
                "Theme",
                Select(
                    [(label, key) for key, label in THEMES.items()],
                    value=setting.theme,
                    allow_blank=False,
                    id="theme",
                    compact=True,
                ),
                field_id="theme",
            )
            yield Static("Referrer: you, as named in incident reports sent to the LADO or police.", classes="hint")
            for key, label in REFERRER_FIELDS.items():
                yield Field(
                    label,
                    Input(setting.referrer.get(key, ""), id=f"referrer_{key}", compact=True, max_length=limit(Kind.SHORT)),
                    field_id=f"referrer_{key}",
                )
            yield Static("Local contacts: name and number, shown with the 'Who to call' card.", classes="hint")
            for key, label in CONTACTS.items():
                yield Field(
                    label, Input(setting.contacts.get(key, ""), id=key, compact=True, max_length=limit(Kind.SHORT)), field_id=key
                )
            yield Static("", id="settings-terms", classes="hint", markup=False)
            yield Static(
                "To print: a sheet to copy the recovery key onto by hand (the key is never written to a file), "
                "and a one-page quick reference (keys, locking, the triage questions).",
                classes="hint",
            )
            with Horizontal(classes="form-buttons"):
                yield Button(compact=True, label="Recovery-key sheet...", id="settings-recovery-sheet")
                yield Button(compact=True, label="Quick reference...", id="settings-quick-reference")
            yield from self.buttons()
        yield Footer()

    def on_mount(self) -> None:
        self._show_terms()

    def _show_terms(self) -> None:
        described = load_calendar(session_of(self.app)).described
        self.query_one("#settings-terms", Static).update(plain(f"{described} F3: school terms and closure days."))

    def action_terms(self) -> None:
        session = session_of(self.app)
        terms, closures, days = calendar_text(load_calendar(session))
        fields = [
            FormField(
                "terms",
                "Terms, one per line: first day - last day",
                "multiline",
                terms,
                hint="e.g. 02/09/2026 - 18/12/2026. None entered: every weekday counts as a school day.",
            ),
            FormField(
                "closures",
                "Closure days in term time (INSET, bank holidays), separated by commas",
                value=closures,
                text_kind=Kind.LONG,
            ),
            FormField("transfer_days", "Transfer clock in school days (KCSIE: 5)", value=days, text_kind=Kind.NUMBER),
        ]

        def save(values: dict[str, str]) -> None:
            save_calendar(session, parse_calendar(values["terms"], values["closures"], values["transfer_days"]))

        def done(result: FormResult | None) -> None:
            if result is not None:
                self._show_terms()
                self.notify("School terms saved.")

        self.app.push_screen(
            FormDialog(
                "School terms and closures",
                fields,
                save,
                intro="The child protection file transfer clock counts school days: weekdays in these terms, less closure days.",
            ),
            done,
        )

    @on(Button.Pressed, "#settings-keys-button")
    def action_keys(self) -> None:
        label = session_of(self.app).vault.slot.label
        open_screen(self.app, "keys", callback=lambda _: self._keys_closed(label))

    def _keys_closed(self, label_before: str) -> None:
        """Your own key may have been relabelled there: show the new label here, unless you had already edited it."""
        fields = self.query("#key-label").results(Input)
        field = next(fields, None)
        label = session_of(self.app).vault.slot.label
        if field is None or label == label_before or field.value != label_before:
            return
        field.value = label
        if isinstance(self._initial, dict):
            self._initial["label"] = label  # not a change of yours: the guard stays quiet

    @on(Button.Pressed, "#settings-recovery-sheet")
    def _recovery_sheet(self) -> None:
        session = session_of(self.app)
        markdown = recovery_sheet_markdown(session.setting().name, session.store_id)
        self.app.push_screen(sheet_dialog("Recovery key sheet", "recovery-key-sheet", markdown, style=SHEET_STYLE))

    @on(Button.Pressed, "#settings-quick-reference")
    def _quick_reference(self) -> None:
        setting = session_of(self.app).setting()
        markdown = quick_reference_markdown(setting.name, setting.idle_lock_minutes)
        self.app.push_screen(sheet_dialog("SafeDesk quick reference", "safedesk-quick-reference", markdown))

    def save(self, values: dict[str, Any]) -> None:
        session = session_of(self.app)
        minutes = values["idle_lock_minutes"].strip()
        if not minutes.isdigit():
            raise InvalidInput("Type a number of minutes from 1 to 60.", "idle_lock_minutes")
        if "label" in values and values["label"] != session.vault.slot.label:
            set_label(session, values["label"])  # the header: refused (beside the field) if it names anyone
        updated = dataclasses.replace(
            session.setting(),
            name=values["name"],
            idle_lock_minutes=int(minutes),
            theme=str(values["theme"]),
            contacts={k: v for k in CONTACTS if (v := values[k].strip())},
            referrer={k: v for k in REFERRER_FIELDS if (v := values[f"referrer_{k}"].strip())},
        )
        session.settings.save(updated, summary="settings changed")

    def saved(self, result: None) -> None:
        host(self.app).apply_setting(session_of(self.app).setting())
        self.notify("Settings saved.")
        self.dismiss()
