"""Settings: the setting's name, auto-lock time, theme, and local contacts.

Contacts are the local numbers the guidance says to have to hand (LADO,
children's social care...). SafeDesk never guesses them; once entered they
show with the "Who to call" card.
"""

from __future__ import annotations

import dataclasses

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Select, Static

from safedesk.store.engine.core_records import CONTACTS, THEMES
from safedesk.store.errors import InvalidInput
from safedesk.widgets.common import Field


class SettingsScreen(Screen[None]):
    CSS_PATH = "settings.tcss"
    AUTO_FOCUS = "#name"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", tooltip="Save the settings", id="settings-save", priority=True),
        Binding("escape", "leave", "Back", tooltip="Back without saving", id="settings-back"),
    ]

    def compose(self) -> ComposeResult:
        setting = self.app.session.setting()
        yield Header()
        with VerticalScroll(id="settings-form"):
            yield Static("Settings", classes="title")
            yield Field("School or setting name", Input(setting.name, id="name", compact=True, max_length=120), field_id="name")
            yield Field(
                "Lock after this many idle minutes (1-60)",
                Input(str(setting.idle_lock_minutes), id="idle_lock_minutes", compact=True, type="integer", max_length=2),
                field_id="idle_lock_minutes",
            )
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
            yield Static("Local contacts: name and number, shown with the 'Who to call' card.", classes="hint")
            for key, label in CONTACTS.items():
                yield Field(label, Input(setting.contacts.get(key, ""), id=key, compact=True, max_length=200), field_id=key)
        yield Footer()

    def action_save(self) -> None:
        for field in self.query(Field):
            field.error.clear()
        session = self.app.session
        setting = session.setting()
        minutes = self.query_one("#idle_lock_minutes", Input).value.strip()
        theme = self.query_one("#theme", Select).value
        try:
            if not minutes.isdigit():
                raise InvalidInput("Type a number of minutes from 1 to 60.", "idle_lock_minutes")
            updated = dataclasses.replace(
                setting,
                name=self.query_one("#name", Input).value,
                idle_lock_minutes=int(minutes),
                theme=str(theme),
                contacts={k: v for k in CONTACTS if (v := self.query_one(f"#{k}", Input).value.strip())},
            )
            session.settings.save(updated, summary="settings changed")
        except InvalidInput as error:
            fields = {f.field_id: f for f in self.query(Field)}
            field = fields.get(error.field or "", fields["name"])
            field.error.show(str(error))
            field.input.focus()
            return
        self.app.apply_setting(session.setting())
        self.notify("Settings saved.")
        self.dismiss()

    def action_leave(self) -> None:
        self.dismiss()
