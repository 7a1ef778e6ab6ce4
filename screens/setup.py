"""First-run setup: the setting's name, the first DSL, a passphrase, then the recovery key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Header, Input, LoadingIndicator, Static

from safedesk.store.engine.core_records import Setting, User
from safedesk.store.engine.keys.labels import check_label, suggest_label
from safedesk.store.engine.keys.passphrase import check_new_passphrase
from safedesk.store.engine.records import utcnow
from safedesk.store.errors import InvalidInput
from safedesk.store.text.limits import Kind, limit
from safedesk.widgets.common import Field, FieldError, StrengthMeter, new_passphrase, plain
from safedesk.widgets.footer import Footer
from safedesk.widgets.forms import Form
from safedesk.widgets.host import host


class SetupScreen(Form[tuple[Any, str]]):
    SUB_TITLE = "First-time setup"  # the header names the screen
    CSS_PATH = "setup.tcss"
    BINDINGS = [
        Binding(
            "ctrl+s",
            "save",
            "Create store",
            tooltip="Create the encrypted store with these details",
            id="setup-create",
            priority=True,
        ),
    ]
    threaded = True  # deriving the key from the passphrase takes a moment
    cancellable = False  # the first run has nothing to go back to

    def __init__(self, store_dir: Path) -> None:
        super().__init__()
        self.store_dir = store_dir

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="setup-form"):
            yield Static("Welcome to SafeDesk", classes="title")
            yield Static(
                "Set up the encrypted store for your setting's safeguarding records. "
                "It stays on this computer; nothing is sent anywhere.",
                classes="muted",
            )
            yield Field(
                "School or setting name", Input(compact=True, id="setting-name", max_length=limit(Kind.NAME)), field_id="setting"
            )
            yield Field("Your name (the DSL)", Input(compact=True, id="user-name", max_length=limit(Kind.NAME)), field_id="user")
            yield from new_passphrase(
                "Passphrase: three or more random words",
                "Type the passphrase again",
                ids=("passphrase", "strength", "confirm"),
                placeholder="e.g. three random words like kettle orbit lantern",
            )
            yield Field(
                "Label for your key at unlock: anyone can read it, so not your name",
                Input(suggest_label(), compact=True, id="key-label", max_length=limit(Kind.NAME)),
                field_id="label",
            )
            yield FieldError(id="form-error")
            with Horizontal(id="setup-buttons", classes="form-buttons"):
                yield Button(compact=True, label="Create store", variant="primary", id="form-save-button")
                yield Button(compact=True, label="Guidance only", id="guide-only")
            yield LoadingIndicator(id="form-busy")
            yield Static(plain(f"Store folder: {self.store_dir}"), classes="hint")
        yield Footer()

    @on(Input.Changed, "#passphrase")
    def _strength(self, event: Input.Changed) -> None:
        names = (self.query_one("#setting-name", Input).value, self.query_one("#user-name", Input).value)
        self.query_one("#strength", StrengthMeter).show(event.value, names)

    def problems(self, values: dict[str, Any]) -> dict[str, str]:
        """Each field's first problem, using the records' own rules."""
        problems: dict[str, str] = {}
        checks = {
            "setting": lambda: Setting(name=values["setting"], created_at=utcnow()).cleaned().validate(),
            "user": lambda: User(slot_id="", name=values["user"], role="dsl", added_at=utcnow()).cleaned().validate(),
            "label": lambda: check_label(values["label"], (values["setting"], values["user"])),
            "passphrase": lambda: check_new_passphrase(values["passphrase"], context=(values["setting"], values["user"])),
        }
        for field_id, check in checks.items():
            try:
                check()
            except InvalidInput as error:
                problems[field_id] = str(error)
        if "passphrase" not in problems and values["passphrase"] != values["confirm"]:
            problems["confirm"] = "The two passphrases are different."
        return problems

    @on(Button.Pressed, "#guide-only")
    def _guide_only(self) -> None:
        host(self.app).action_guide()

    def busy(self, busy: bool) -> None:
        super().busy(busy)
        for widget in self.query("Input, Button"):
            widget.disabled = busy

    def save(self, values: dict[str, Any]) -> tuple[Any, str]:
        from safedesk.store.engine.session import Session

        try:
            return Session.create(self.store_dir, values["setting"], values["user"], values["passphrase"], label=values["label"])
        except InvalidInput as error:
            # The store names its record fields; the form shows them by its own.
            field = {"name": "setting", "passphrase": "passphrase", "label": "label"}.get(error.field or "", "setting")
            raise InvalidInput(str(error), field) from None

    def saved(self, result: tuple[Any, str]) -> None:
        session, recovery = result

        host(self.app).show_recovery_key(session, recovery, lambda: host(self.app).signed_in(session))
