"""Keys: who can open the store. Each key slot by its label and kind; add a key (a deputy's or
another DSL's), change your own passphrase, relabel, remove.

Every rule and audit entry is the store's (`safedesk.store.engine.keys.slots`), the same
functions `safedesk keys ...` and `safedesk passwd` call: this screen only asks and shows. A
passphrase is never shown; each person types their own (twice), with the setup screen's
strength meter beside it.
"""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, Header, Input, Static

from safedesk.store.engine.core_records import ROLE_LABELS, User
from safedesk.store.engine.keys.slots import (
    REMOVED_NOTE,
    SlotInfo,
    add_user,
    change_passphrase,
    list_slots,
    new_key_problems,
    passphrase_change_problems,
    passphrase_change_refused,
    removal_refused,
    remove_user,
    replace_recovery_key,
    set_label,
    suggested_label,
)
from safedesk.store.engine.session import Session
from safedesk.store.errors import InvalidInput, SafeDeskError
from safedesk.store.text.limits import Kind, limit
from safedesk.widgets.choice import SteadySelect
from safedesk.widgets.common import Field, FieldError, FittedTable, StrengthMeter, cell, new_passphrase
from safedesk.widgets.dialogs import ConfirmDialog
from safedesk.widgets.footer import Footer
from safedesk.widgets.forms import FormDialog, FormField, FormResult, ModalForm
from safedesk.widgets.host import host, session_of

# Beside every label field: the label is in the store file's plain header and on the unlock screen.
LABEL_FIELD = "Label at unlock: anyone can read it, so not a name"


# The roles a new key may have, a deputy first (the usual case, and the default).
NEW_KEY_ROLES = ("deputy", "dsl")


class AddKeyForm(ModalForm[User]):
    """A new person's own key: their name, their role, the label the unlock screen shows, their passphrase twice."""

    heading = "Add a key"
    intro = "Hand over the keyboard: the new key holder types their own passphrase."
    save_label = "Add key (Ctrl+S)"
    threaded = True  # deriving the new slot's key takes a moment
    wide = True  # five fields are taller than a dialog at 24 rows: the fields scroll, the buttons stay

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self._suggested = suggested_label(session)

    def form(self) -> ComposeResult:
        yield Field(
            "Their name (kept encrypted, never shown at unlock)",
            Input(compact=True, id="key-name", max_length=limit(Kind.NAME)),
            field_id="name",
        )
        yield Field(
            "Their role (a second DSL, or a deputy)",
            SteadySelect(
                [(ROLE_LABELS[role], role) for role in NEW_KEY_ROLES],
                value=NEW_KEY_ROLES[0],
                allow_blank=False,
                compact=True,
                id="key-role",
            ),
            field_id="role",
        )
        yield Field(
            LABEL_FIELD,
            Input(self._suggested, compact=True, id="key-label", max_length=limit(Kind.NAME)),
            field_id="label",
        )
        yield from new_passphrase(
            "Their passphrase: three or more random words",
            "Type the passphrase again",
            ids=("key-passphrase", "key-strength", "key-confirm"),
        )

    @on(Input.Changed, "#key-passphrase")
    def _strength(self, event: Input.Changed) -> None:
        names = (self.query_one("#key-name", Input).value, *self.session.guessable_names())
        self.query_one("#key-strength", StrengthMeter).show(event.value, names)

    def problems(self, values: dict[str, Any]) -> dict[str, str]:
        return new_key_problems(
            self.session, values["name"], values["role"], values["passphrase"], values["confirm"], values["label"]
        )

    def busy(self, busy: bool) -> None:
        super().busy(busy)
        for widget in self.query("Input, Select, Button"):
            widget.disabled = busy

    def save(self, values: dict[str, Any]) -> User:
        return add_user(self.session, values["name"], values["role"], values["passphrase"], values["confirm"], values["label"])


class ChangePassphraseForm(ModalForm[bool]):
    """Your own passphrase: the one you unlocked with, then the new one twice (the same rule as at setup)."""

    heading = "Change your passphrase"
    intro = "Afterwards only the new passphrase opens the key you unlocked with."
    save_label = "Change passphrase (Ctrl+S)"
    threaded = True  # checking the current passphrase and wrapping the new one each derive a key

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def form(self) -> ComposeResult:
        yield Field(
            "Your current passphrase",
            Input(compact=True, id="passwd-current", password=True, max_length=limit(Kind.PASSPHRASE)),
            field_id="current",
        )
        yield from new_passphrase(
            "New passphrase: three or more random words",
            "Type the new passphrase again",
            ids=("passwd-new", "passwd-strength", "passwd-confirm"),
        )

    @on(Input.Changed, "#passwd-new")
    def _strength(self, event: Input.Changed) -> None:
        self.query_one("#passwd-strength", StrengthMeter).show(event.value, self.session.guessable_names())

    def problems(self, values: dict[str, Any]) -> dict[str, str]:
        return passphrase_change_problems(self.session, values["passphrase"], values["confirm"], values["current"])

    async def refused(self, error: SafeDeskError) -> None:
        if isinstance(error, InvalidInput) and error.field == "current":
            # Emptied before the message shows (an edit clears it), as on the lock screen.
            self.query_one("#passwd-current", Input).value = ""
        await super().refused(error)

    def busy(self, busy: bool) -> None:
        super().busy(busy)
        for widget in self.query("Input, Button"):
            widget.disabled = busy

    def save(self, values: dict[str, Any]) -> bool:
        change_passphrase(self.session, values["passphrase"], values["confirm"], values["current"])
        return True


class KeysScreen(Screen[None]):
    """Every key slot: label, kind, holder, when added. a adds a key, p changes yours, l relabels, Delete removes."""

    SUB_TITLE = "Keys"  # the header names the screen
    CSS_PATH = "keys.tcss"
    AUTO_FOCUS = "#keys-table"
    BINDINGS = [
        Binding(
            "a", "add", "Add key", tooltip="Add a deputy's or another DSL's key: they type their own passphrase", id="keys-add"
        ),
        Binding("p", "passwd", "My passphrase", tooltip="Change the passphrase of the key you unlocked with", id="keys-passwd"),
        Binding("l", "relabel", "Label", tooltip="Change what the unlock screen calls the highlighted key", id="keys-label"),
        Binding("delete,d", "remove", "Remove", tooltip="Remove the highlighted key (asks first)", id="keys-remove"),
        Binding(
            "r",
            "new_recovery",
            "New recovery key",
            tooltip="Replace the recovery key (asks first; the old one stops working)",
            id="keys-recovery",
        ),
        Binding("escape", "back", "Back", tooltip="Back to where you came from", id="keys-back"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Keys: who can open the store", classes="title")
        yield Static(
            "Each person has their own passphrase; the recovery key is for the school safe. "
            "Labels show on the unlock screen, so they never name anyone.",
            classes="muted",
        )
        yield FittedTable([("On the unlock screen", None), ("Kind", 12), ("Holder", 24), ("Added", 10)], id="keys-table")
        yield FieldError(id="keys-message")
        with Horizontal(id="keys-buttons"):
            # Five buttons in 80 columns: short labels (the footer and tooltips say more).
            yield Button(compact=True, label="Add key (a)", variant="primary", id="keys-add-button")
            yield Button(compact=True, label="My passphrase (p)", id="keys-passwd-button")
            yield Button(compact=True, label="Label (l)", id="keys-label-button")
            yield Button(compact=True, label="Remove (d)", id="keys-remove-button")
            yield Button(compact=True, label="New recovery (r)", id="keys-recovery-button")
        yield Footer()

    def on_mount(self) -> None:
        self.call_after_refresh(self.refresh_table)

    def action_back(self) -> None:
        self.dismiss(None)  # Settings then shows your key's label as it is now

    def refresh_table(self, select: str | None = None) -> None:
        table = self.query_one(FittedTable)
        keep = table.cursor_row
        table.clear()
        rows = list_slots(session_of(self.app))
        for row in rows:
            holder = "" if row.kind == "recovery key" else row.name
            holder += " (you)" if row.current else ""
            table.add_row(cell(row.title), cell(row.kind), cell(holder.strip()), cell(row.added_at), key=row.slot_id)
        ids = [row.slot_id for row in rows]
        if select in ids:
            table.move_cursor(row=ids.index(select))
        elif rows:
            table.move_cursor(row=min(keep, len(rows) - 1))

    def _highlighted(self) -> SlotInfo | None:
        table = self.query_one(FittedTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((row for row in list_slots(session_of(self.app)) if row.slot_id == key), None)

    def _say(self, message: str) -> None:
        """A refusal, under the table until the next action (never a notification that fades)."""
        self.query_one("#keys-message", FieldError).show(message)

    def _clear(self) -> None:
        self.query_one("#keys-message", FieldError).clear()

    @on(Button.Pressed, "#keys-add-button")
    def action_add(self) -> None:
        self._clear()

        def added(user: User | None) -> None:
            if user is None:
                return
            self.refresh_table(select=user.slot_id)
            title = next((r.title for r in list_slots(session_of(self.app)) if r.slot_id == user.slot_id), "the new key")
            self.notify(f"Added '{title}': {user.name} can now unlock with their own passphrase.", markup=False)

        self.app.push_screen(AddKeyForm(session_of(self.app)), added)

    @on(Button.Pressed, "#keys-passwd-button")
    def action_passwd(self) -> None:
        self._clear()
        session = session_of(self.app)
        refused = passphrase_change_refused(session)
        if refused:
            self._say(refused)
            return

        def changed(done: bool | None) -> None:
            if done:
                self.refresh_table()
                self.notify("Passphrase changed: from now on only the new one opens your key.", markup=False)

        self.app.push_screen(ChangePassphraseForm(session), changed)

    @on(Button.Pressed, "#keys-label-button")
    def action_relabel(self) -> None:
        self._clear()
        row = self._highlighted()
        if row is None:
            return
        if row.kind == "recovery key":
            self._say("The recovery key is always called 'Recovery key': only a person's key has a label of its own.")
            return
        session = session_of(self.app)
        fields = [FormField("label", LABEL_FIELD, value=row.label, text_kind=Kind.NAME)]

        def save(values: dict[str, str]) -> str:
            return set_label(session, values["label"], row.slot_id)

        def done(result: FormResult | None) -> None:
            if result is not None:
                self.refresh_table(select=row.slot_id)
                self.notify(f"The key is now labelled '{result.outcome}' on the unlock screen.", markup=False)

        self.app.push_screen(FormDialog(f"Change the label of {row.title}", fields, save, save_label="Save label"), done)

    @on(Button.Pressed, "#keys-remove-button")
    def action_remove(self) -> None:
        self._clear()
        row = self._highlighted()
        if row is None:
            return
        session = session_of(self.app)
        user = next((u for u in session.active_users() if u.slot_id == row.slot_id), None)
        refused = removal_refused(session, user) if user is not None else "This key has no holder on record to remove."
        if refused:
            self._say(refused)
            return
        holder = f"{row.name}'s passphrase" if row.kind == "passphrase" else "It"

        def answered(remove: bool | None) -> None:
            if not remove:
                return
            try:
                remove_user(session, row.slot_id)
            except SafeDeskError as error:
                self._say(str(error))
                return
            self.refresh_table()
            self.notify(f"Removed '{row.title}'. {REMOVED_NOTE}", markup=False, timeout=10)

        self.app.push_screen(
            ConfirmDialog(
                f"Remove '{row.title}'?",
                f"{holder} will stop opening this store. {REMOVED_NOTE}",
                yes="Remove key",
                no="Keep it",
            ),
            answered,
        )

    @on(Button.Pressed, "#keys-recovery-button")
    def action_new_recovery(self) -> None:
        self._clear()

        def answered(replace: bool | None) -> None:
            if replace:
                self._replace_recovery_key(session_of(self.app))

        self.app.push_screen(
            ConfirmDialog(
                "Replace the recovery key?",
                "The recovery key in the school safe stops opening the store. A new one is shown once, "
                "now: have paper ready to write it down, then put it in the safe and destroy the old one.",
                yes="Make a new key",
                no="Keep the old one",
            ),
            answered,
        )

    @work(thread=True, exclusive=True, group="keys-recovery")
    def _replace_recovery_key(self, session: Session) -> None:
        # A new slot derives a key: off the UI thread.
        try:
            key = replace_recovery_key(session)
        except SafeDeskError as error:
            self.app.call_from_thread(self._say, str(error))
            return
        self.app.call_from_thread(host(self.app).show_recovery_key, session, key, self.refresh_table)
