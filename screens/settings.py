"""Settings: the setting's name, auto-lock time, theme, and local contacts.

Contacts are the local numbers the guidance says to have to hand (LADO,
children's social care...). SafeDesk never guesses them; once entered they
show with the "Who to call" card.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Input, Select, Static

from safedesk.store.engine.core_records import CONTACTS, THEMES
from safedesk.store.errors import InvalidInput
from safedesk.widgets.common import Field
from safedesk.widgets.forms import Form
from safedesk.widgets.host import host, session_of


class SettingsScreen(Form[None]):
    SUB_TITLE = "Settings"  # the header names the screen
    CSS_PATH = "settings.tcss"

    def compose(self) -> ComposeResult:
        setting = session_of(self.app).setting()
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
            yield from self.buttons()
        yield Footer()

    def save(self, values: dict[str, Any]) -> None:
        session = session_of(self.app)
        minutes = values["idle_lock_minutes"].strip()
        if not minutes.isdigit():
            raise InvalidInput("Type a number of minutes from 1 to 60.", "idle_lock_minutes")
        updated = dataclasses.replace(
            session.setting(),
            name=values["name"],
            idle_lock_minutes=int(minutes),
            theme=str(values["theme"]),
            contacts={k: v for k in CONTACTS if (v := values[k].strip())},
        )
        session.settings.save(updated, summary="settings changed")

    def saved(self, result: None) -> None:
        host(self.app).apply_setting(session_of(self.app).setting())
        self.notify("Settings saved.")
        self.dismiss()
