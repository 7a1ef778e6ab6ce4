"""First-run setup: the setting's name, the first DSL, a passphrase, then the recovery key."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, LoadingIndicator, Static

from safedesk.router import open_screen
from safedesk.store.engine.core_records import Setting, User
from safedesk.store.engine.passphrase import check_new_passphrase
from safedesk.store.engine.records import utcnow
from safedesk.store.errors import InvalidInput, SafeDeskError
from safedesk.widgets.common import Field, StrengthMeter, plain


class SetupScreen(Screen[None]):
    CSS_PATH = "setup.tcss"
    AUTO_FOCUS = "#setting-name"
    BINDINGS = [
        Binding("ctrl+s", "create", "Create store", tooltip="Create the encrypted store with these details", id="setup-create"),
    ]

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
            yield Field("School or setting name", Input(compact=True, id="setting-name", max_length=120), field_id="setting")
            yield Field("Your name (the DSL)", Input(compact=True, id="user-name", max_length=80), field_id="user")
            yield Field(
                "Passphrase: three or more random words",
                Input(
                    compact=True, id="passphrase", password=True, placeholder="e.g. three random words like kettle orbit lantern"
                ),
                field_id="passphrase",
            )
            yield StrengthMeter(id="strength")
            yield Field("Type the passphrase again", Input(compact=True, id="confirm", password=True), field_id="confirm")
            with Horizontal(id="setup-buttons"):
                yield Button(compact=True, label="Create store", variant="primary", id="create")
                yield Button(compact=True, label="Guidance only", id="guide-only")
            yield LoadingIndicator(id="setup-busy")
            yield Static(plain(f"Store folder: {self.store_dir}"), classes="hint")
        yield Footer()

    @on(Input.Changed, "#passphrase")
    def _strength(self, event: Input.Changed) -> None:
        self.query_one("#strength", StrengthMeter).show(event.value)

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        if event.input.id == "confirm":
            self.action_create()
        else:
            self.focus_next()

    @on(Button.Pressed, "#create")
    def action_create(self) -> None:
        values = {f.field_id: f.value for f in self.query(Field)}
        for field in self.query(Field):
            field.error.clear()
        problems = self._problems(values)
        for field_id, message in problems.items():
            self.query_one(f"#field-{field_id}", Field).error.show(message)
        if problems:
            self.query_one(f"#field-{next(iter(problems))}", Field).input.focus()
            return
        self._busy(True)
        self._create(values["setting"], values["user"], values["passphrase"])

    @staticmethod
    def _problems(values: dict[str, str]) -> dict[str, str]:
        """Each field's first problem, using the records' own rules."""
        problems: dict[str, str] = {}
        checks = {
            "setting": lambda: Setting(name=values["setting"], created_at=utcnow()).cleaned().validate(),
            "user": lambda: User(slot_id="", name=values["user"], role="dsl", added_at=utcnow()).cleaned().validate(),
            "passphrase": lambda: check_new_passphrase(values["passphrase"]),
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
        self.app.action_guide()

    def _busy(self, busy: bool) -> None:
        self.query_one("#setup-busy").display = busy
        for widget in self.query("Input, Button"):
            widget.disabled = busy

    @work(thread=True, exclusive=True, group="setup")
    def _create(self, setting: str, user: str, passphrase: str) -> None:
        from safedesk.store.engine.session import Session

        try:
            session, recovery = Session.create(self.store_dir, setting, user, passphrase)
        except SafeDeskError as error:
            self.app.call_from_thread(self._failed, error)
            return
        self.app.call_from_thread(self._created, session, recovery)

    def _failed(self, error: SafeDeskError) -> None:
        self._busy(False)
        field_id = {"name": "setting", "passphrase": "passphrase"}.get(getattr(error, "field", "") or "", "setting")
        self.query_one(f"#field-{field_id}", Field).error.show(str(error))

    def _created(self, session: object, recovery: str) -> None:
        def shown(_: None) -> None:
            self.app.signed_in(session)  # type: ignore[attr-defined]

        open_screen(self.app, "recovery-key", recovery, callback=shown)
