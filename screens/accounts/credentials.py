"""A login's credentials: the password masked, revealed briefly or copied briefly; a
generator; password changes with a reason; previous passwords after a confirmation.

Nothing on these screens puts a secret into a notification. Every secret on screen is
hidden again when the screen is covered (the lock screen included).
"""

from __future__ import annotations

from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Checkbox, Header, Input, Select, Static

from safedesk.screens.accounts.forms import RegisterForm, check, date_field, select_field, text_field
from safedesk.screens.accounts.secrets import REVEAL_SECONDS, SecretView, copy_secret, displayable, hide_secrets
from safedesk.store.accounts.health import check_account
from safedesk.store.accounts.register import ChangeReason, Credential, Mfa, PasswordChange, Register, today
from safedesk.store.accounts.secrets import DEFAULT_CHARACTERS, DEFAULT_WORDS, Generated, GeneratorOptions, Kind, generate
from safedesk.store.errors import InvalidInput
from safedesk.store.text.dates import show_date
from safedesk.store.text.limits import Kind as TextKind
from safedesk.store.text.limits import limit
from safedesk.widgets.common import plain
from safedesk.widgets.dialogs import ConfirmDialog
from safedesk.widgets.footer import Footer
from safedesk.widgets.host import host, session_of

REASON_CHOICES = [(r.value, r) for r in ChangeReason if r is not ChangeReason.SETUP]


# --------------------------------------------------------------------- generator


class GeneratorDialog(RegisterForm[str]):
    """Make a new password: random words or random characters; F2 makes another."""

    heading = "Generate a password"
    save_label = "Use it (Ctrl+S)"
    BINDINGS = [Binding("f2", "again", "Another", tooltip="Generate another with these settings", id="generator-again")]
    WORD_OPTIONS = ("separator", "capitalise", "add_digit")
    CHARACTER_OPTIONS = ("digits", "symbols", "avoid_lookalikes")

    def __init__(self) -> None:
        super().__init__()
        self.generated: Generated | None = None

    def top(self) -> ComposeResult:
        yield SecretView(id="generated")
        yield Static("", id="generated-strength", classes="muted")

    def form(self) -> ComposeResult:
        yield select_field(
            "Kind", "kind", [("random words (easy to type)", Kind.WORDS), ("random characters", Kind.CHARACTERS)], Kind.WORDS
        )
        yield text_field(
            "Length (words or characters)", "length", str(DEFAULT_WORDS), max_length=limit(TextKind.NUMBER), type="integer"
        )
        yield text_field("Between words", "separator", "-", max_length=limit(TextKind.SHORT))
        yield check("Capital first letters", "capitalise", False)
        yield check("Add a digit", "add_digit", False)
        yield check("Digits", "digits", True)
        yield check("Symbols", "symbols", True)
        yield check("Avoid look-alikes such as 0/O and 1/l", "avoid_lookalikes", False)
        yield Static("F2 makes another.", classes="hint")

    @on(events.Mount)  # beside Form.on_mount (which focuses the first field), not instead of it
    async def _first_candidate(self) -> None:
        self._show_options(Kind.WORDS)
        await self.action_again()

    def _show_options(self, kind: Kind) -> None:
        for name in self.WORD_OPTIONS:
            self.query_one(f"#field-{name}").display = kind is Kind.WORDS
        for name in self.CHARACTER_OPTIONS:
            self.query_one(f"#field-{name}").display = kind is Kind.CHARACTERS

    @on(Input.Changed)
    @on(Checkbox.Changed)
    async def _typed(self) -> None:
        await self.action_again()

    @on(Select.Changed, "#in-kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        self._show_options(event.value)  # type: ignore[arg-type]
        # Input.Changed regenerates once the default length for the new kind is in.
        self.query_one("#in-length", Input).value = str(DEFAULT_WORDS if event.value is Kind.WORDS else DEFAULT_CHARACTERS)

    def changed(self) -> bool:
        return False  # settings are not worth a "discard?" question

    def _options(self) -> GeneratorOptions:
        kind: Kind = self.value("kind") or Kind.WORDS
        try:
            length = int(self.value("length") or 0)
        except ValueError:
            raise InvalidInput("Type a whole number.", "length") from None
        return GeneratorOptions(
            kind=kind,
            length=length,
            separator=self.value("separator"),
            capitalise=self.value("capitalise"),
            add_digit=self.value("add_digit"),
            digits=self.value("digits"),
            symbols=self.value("symbols"),
            avoid_lookalikes=self.value("avoid_lookalikes"),
        )

    async def action_again(self) -> None:
        self.clear_errors()
        view = self.query_one("#generated", SecretView)
        try:
            self.generated = generate(self._options())
        except InvalidInput as problem:
            self.generated = None
            view.set_secret("")
            self.query_one("#generated-strength", Static).update("")
            await self.show_error(str(problem), problem.field)
            return
        view.set_secret(self.generated.value)
        view.reveal()  # a new candidate is shown so it can be judged; it hides itself like any secret
        self.query_one("#generated-strength", Static).update(
            plain(f"{self.generated.bits:.0f} bits: {self.generated.strength} · {len(self.generated.value)} characters")
        )

    def on_screen_suspend(self) -> None:
        hide_secrets(self)

    def save(self, values: dict[str, Any]) -> str:
        if self.generated is None:
            raise InvalidInput("Fix the settings first.", "length")
        return self.generated.value


# --------------------------------------------------------------------- password entry shared by two forms


class PasswordFormMixin:
    """An Input for a new password, masked, with F2 (generate) and F3 (show/hide while typing)."""

    PASSWORD_BINDINGS: list[BindingType] = [
        Binding("f2", "generate", "Generate", tooltip="Generate a strong password for this field", id="password-generate"),
        Binding("f3", "show_typed", "Show/hide", tooltip="Show or hide the password being typed", id="password-show"),
    ]

    def action_generate(self) -> None:
        def use(value: str | None) -> None:
            if value:
                field = self.query_one("#in-password", Input)  # type: ignore[attr-defined]
                field.value = value
                field.focus()

        self.app.push_screen(GeneratorDialog(), use)  # type: ignore[attr-defined]

    def action_show_typed(self) -> None:
        field = self.query_one("#in-password", Input)  # type: ignore[attr-defined]
        field.password = not field.password

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Editing an existing login has no password field: its keys do nothing there.
        if action in ("generate", "show_typed"):
            return bool(self.query("#in-password"))  # type: ignore[attr-defined]
        # The form's own rules too: without them Enter on the reason's list moved to the next field
        # (the list never opened; the keys meant for it landed in the date, the next Enter saved).
        return super().check_action(action, parameters)  # type: ignore[misc]

    def on_screen_suspend(self) -> None:
        # Covered (by the generator, a dialog or the lock screen): mask what was being typed.
        for field in self.query("#in-password").results(Input):  # type: ignore[attr-defined]
            field.password = True


class ChangePasswordForm(PasswordFormMixin, RegisterForm[bool]):
    """A new password with the reason for the change; the old one goes to the history."""

    BINDINGS = PasswordFormMixin.PASSWORD_BINDINGS

    def __init__(self, credential: Credential, account_label: str, generate_first: bool = False) -> None:
        super().__init__()
        self.credential = credential
        self.generate_first = generate_first
        self.heading = f"Change password: {credential.label}, {account_label}"
        self.intro = (
            "Save here first, then copy the new password (c) and set it on the platform, so SafeDesk "
            "never holds an older password than the platform. F2 generates one."
        )

    def form(self) -> ComposeResult:
        yield text_field("New password", "password", password=True, max_length=limit(TextKind.PASSPHRASE))
        yield select_field("Why it is changing", "reason", REASON_CHOICES, None, blank=True)
        yield date_field("Changed on", "changed_on", today())

    def on_mount(self) -> None:
        if self.generate_first:
            self.action_generate()

    def save(self, values: dict[str, Any]) -> bool:
        reason = self.value("reason")
        if reason is None:
            raise InvalidInput("Choose why the password is changing (it is kept with the change).", "reason")
        self.register.change_password(
            self.credential.id or 0, self.value("password"), reason, self.day("changed_on", required=True)
        )
        return True


# --------------------------------------------------------------------- a login's details


class CredentialForm(PasswordFormMixin, RegisterForm[int]):
    """A new login (with its first password) or the details of one; the password changes elsewhere."""

    wide = True
    BINDINGS = PasswordFormMixin.PASSWORD_BINDINGS

    def __init__(self, account_id: int, credential: Credential | None = None) -> None:
        super().__init__()
        self.account_id = account_id
        self.credential = credential
        self.heading = "Edit login details" if credential else "Add a login"

    def form(self) -> ComposeResult:
        c = self.credential or Credential(account_id=self.account_id)
        yield text_field("Name of this login", "label", c.label, max_length=limit(TextKind.NAME))
        yield text_field("Login (email or username)", "login", c.login, max_length=limit(TextKind.SHORT))
        if self.credential is None:
            yield text_field(
                "Password (F2 generates, F3 shows)", "password", password=True, max_length=limit(TextKind.PASSPHRASE)
            )
        yield text_field("Recovery email", "recovery_email", c.recovery_email, max_length=limit(TextKind.SHORT))
        yield check("The school controls that mailbox", "recovery_email_school", c.recovery_email_school)
        yield text_field("Recovery phone", "recovery_phone", c.recovery_phone, max_length=limit(TextKind.SHORT))
        yield check("The school controls that phone", "recovery_phone_school", c.recovery_phone_school)
        yield select_field("Multi-factor authentication", "mfa", [(m.value, m) for m in Mfa], c.mfa)
        yield text_field(
            "Who or what holds the second factor",
            "factor_holder",
            c.factor_holder,
            max_length=limit(TextKind.NAME),
            placeholder="e.g. office iPad",
        )
        yield check("It is one person's personal phone", "factor_personal_phone", c.factor_personal_phone)
        yield text_field(
            "Where the backup codes are kept (never the codes)",
            "backup_codes_at",
            c.backup_codes_at,
            max_length=limit(TextKind.SHORT),
        )
        yield text_field("Notes", "notes", c.notes, max_length=limit(TextKind.LONG))

    def save(self, values: dict[str, Any]) -> int:
        values = dict(
            label=self.value("label"),
            login=self.value("login").strip(),
            recovery_email=self.value("recovery_email").strip(),
            recovery_email_school=self.value("recovery_email_school"),
            recovery_phone=self.value("recovery_phone").strip(),
            recovery_phone_school=self.value("recovery_phone_school"),
            mfa=self.value("mfa"),
            factor_holder=self.value("factor_holder"),
            factor_personal_phone=self.value("factor_personal_phone"),
            backup_codes_at=self.value("backup_codes_at"),
            notes=self.value("notes"),
        )
        register = self.register
        if self.credential is None:
            created = register.add_credential(Credential(account_id=self.account_id, password=self.value("password"), **values))
            return created.id or 0
        for name, value in values.items():
            setattr(self.credential, name, value)
        return register.update_credential(self.credential).id or 0


# --------------------------------------------------------------------- previous passwords


class HistoryDialog(ModalScreen[None]):
    """Previous passwords, shown after a confirmation, for REVEAL_SECONDS at most."""

    CSS_PATH = "register.tcss"
    BINDINGS = [Binding("escape,enter", "close", "Close", tooltip="Hide the previous passwords", id="history-close")]

    def __init__(self, label: str, history: list[PasswordChange]) -> None:
        super().__init__()
        self._label = label
        self._history = history

    def compose(self) -> ComposeResult:
        with Vertical(classes="form-dialog"):
            yield Static(plain(f"Previous passwords: {self._label}"), classes="title")
            with VerticalScroll(classes="form-body"):
                if not self._history:
                    yield Static("No previous passwords are kept for this login.")
                for item in self._history:
                    set_on = show_date(item.set_on) if item.set_on else "unknown"
                    replaced = show_date(item.replaced_on) if item.replaced_on else "unknown"
                    when = f"set {set_on} ({item.reason.value}), replaced {replaced} ({item.replaced_because.value})"
                    yield Static(plain(when), classes="muted")
                    value = displayable(item.password) if item.password else "(value no longer kept)"
                    yield Static(plain(value), classes="history-value")
            yield Static(plain(f"Closes by itself after {REVEAL_SECONDS:g} seconds. Esc closes it now."), classes="hint")
            with Horizontal(classes="form-buttons"):
                yield Button(compact=True, label="Close", variant="primary", id="history-close-button")

    def on_mount(self) -> None:
        self.set_timer(REVEAL_SECONDS, self.action_close)

    @on(Button.Pressed, "#history-close-button")
    def action_close(self) -> None:
        if self.is_attached and self.app.screen is self:
            self.dismiss()

    def on_screen_suspend(self) -> None:
        # Covered by the lock screen: the old passwords must not be there after unlocking.
        self.remove_children()
        self.mount(Static("Hidden. Esc to close.", classes="muted"))


# --------------------------------------------------------------------- the credential view


class CredentialScreen(Screen[None]):
    """One login: who signs in with what, how it is protected, and when the password changed."""

    SUB_TITLE = "Login"  # the header names the screen

    CSS_PATH = "register.tcss"
    AUTO_FOCUS = "#cred-body"
    BINDINGS = [
        Binding(
            "r",
            "reveal",
            "Reveal",
            tooltip=f"Show or hide the password (hides itself after {REVEAL_SECONDS:g} s)",
            id="cred-reveal",
        ),
        Binding("c", "copy_password", "Copy", tooltip="Copy the password; the clipboard is cleared after 20 s", id="cred-copy"),
        Binding("u", "copy_login", "Copy login", tooltip="Copy the login (email or username)", id="cred-copy-login"),
        Binding(
            "o",
            "change",
            "Change",
            tooltip="Change the password (with the reason: leaver, compromise, breach, review)",
            id="cred-change",
        ),
        Binding("n", "generate", "Generate", tooltip="Generate a new password and change to it", id="cred-generate"),
        Binding("e", "edit", "Edit", tooltip="Edit the login, recovery and MFA details", id="cred-edit"),
        Binding("h", "history", "History", tooltip="Previous passwords (asks first; the viewing is audited)", id="cred-history"),
        Binding("g", "guide", "Hacked?", tooltip="What to do if this account is hacked", id="cred-guide"),
        Binding("escape", "app.pop_screen", "Back", tooltip="Back to the account", id="cred-back"),
    ]

    def __init__(self, credential_id: int) -> None:
        super().__init__()
        self.credential_id = credential_id

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="cred-title", classes="title", markup=False)
        with VerticalScroll(id="cred-body", can_focus=True):
            yield Static("Login", classes="label")
            yield Static("", id="cred-login", markup=False)
            yield Static("Password", classes="label")
            yield SecretView(id="cred-password")
            yield Static("", id="cred-changed", markup=False, classes="muted")
            yield Static("Recovery and MFA", classes="label")
            yield Static("", id="cred-protection", markup=False)
            yield Static("Health", classes="label")
            yield Static("", id="cred-findings", markup=False)
        yield Footer()

    @property
    def register(self) -> Register:
        return Register(session_of(self.app))

    def on_mount(self) -> None:
        self.sub_title = "Login"
        self.refresh_view()

    def on_screen_resume(self) -> None:
        self.refresh_view()

    def on_screen_suspend(self) -> None:
        hide_secrets(self)

    def refresh_view(self) -> None:
        register = self.register
        c = register.credential(self.credential_id)
        account = register.account(c.account_id)
        self.credential, self.account = c, account
        self.query_one("#cred-title", Static).update(plain(f"{c.label} · {account.label}"))
        self.query_one("#cred-login", Static).update(plain(c.login or "(no login recorded)"))
        self.query_one("#cred-password", SecretView).set_secret(c.password)
        kept = register.kept_values(c.id or 0)
        changed = (
            f"Last changed {show_date(c.changed_on)} ({c.change_reason.value})" if c.changed_on else "Last changed: not recorded"
        )
        self.query_one("#cred-changed", Static).update(plain(f"{changed} · {kept} previous password(s) kept (h)"))

        def control(school: bool) -> str:
            return "the school controls it" if school else "NOT controlled by the school"

        lines = [
            f"Recovery email: {c.recovery_email} ({control(c.recovery_email_school)})"
            if c.recovery_email
            else "Recovery email: none recorded",
            f"Recovery phone: {c.recovery_phone} ({control(c.recovery_phone_school)})"
            if c.recovery_phone
            else "Recovery phone: none recorded",
            f"MFA: {c.mfa.value}"
            + (f", second factor held by {c.factor_holder or 'unknown'}" if c.mfa is not Mfa.NONE else "")
            + (" (a personal phone)" if c.mfa is not Mfa.NONE and c.factor_personal_phone else ""),
            f"Backup codes kept at: {c.backup_codes_at or 'not recorded'}",
        ]
        if c.notes:
            lines.append(f"Notes: {c.notes}")
        self.query_one("#cred-protection", Static).update(plain("\n".join(lines)))
        findings = [
            f
            for f in check_account(account, register.staff_by_id(), [c])
            if f.rule.startswith(("mfa.", "recovery.", "password."))
        ]
        text = "\n".join(f"[{f.level.upper()}] {f.text}" for f in findings) or "Nothing to fix for this login."
        self.query_one("#cred-findings", Static).update(plain(text))

    # ----------------------------------------------------------------- actions

    def action_reveal(self) -> None:
        view = self.query_one("#cred-password", SecretView)
        if not view.has_secret:
            self.notify("No password is recorded for this login.", markup=False)
            return
        view.toggle()

    def action_copy_password(self) -> None:
        if not self.credential.password:
            self.notify("No password is recorded for this login.", markup=False)
            return
        copy_secret(self.app, self.credential.password, "password")

    def action_copy_login(self) -> None:
        if self.credential.login:
            copy_secret(self.app, self.credential.login, "login")

    def action_change(self) -> None:
        self._change(generate_first=False)

    def action_generate(self) -> None:
        self._change(generate_first=True)

    def _change(self, generate_first: bool) -> None:
        def done(changed: bool | None) -> None:
            if changed:
                self.notify(
                    "Password changed and the old one kept in the history. Copy it (c) and set it on the platform now.",
                    markup=False,
                    timeout=8,
                )

        self.app.push_screen(ChangePasswordForm(self.credential, self.account.label, generate_first), done)

    def action_edit(self) -> None:
        self.app.push_screen(CredentialForm(self.credential.account_id, self.credential))

    def action_history(self) -> None:
        def confirmed(yes: bool | None) -> None:
            if yes:
                history = self.register.password_history(self.credential_id)
                self.app.push_screen(HistoryDialog(self.credential.label, history))

        self.app.push_screen(
            ConfirmDialog(
                "Show previous passwords?",
                f"They are shown for {REVEAL_SECONDS:g} seconds, and the viewing is recorded in the audit log. "
                "Make sure no one else can see the screen.",
                yes="Show them",
            ),
            confirmed,
        )

    def action_guide(self) -> None:
        host(self.app).action_guide("pb-account-hacked")
