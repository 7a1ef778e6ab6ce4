"""Template letters and disclaimers (the guidance's Annexes D to G), filled in.

Choose one; pick the official account it is about when it names a channel; check the
details SafeDesk filled from the policy answers and the account (change any, fill the
gaps); read it; export it. Details you type for the letters are remembered.
"""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from safedesk.store.forms.filled import account_choices
from safedesk.store.policy.builder import LETTER_FIELDS, LETTERS, TYPED_FIELDS, PolicyBook, letter_placeholders
from safedesk.store.text.document import Format
from safedesk.widgets.card_view import CardView
from safedesk.widgets.common import plain
from safedesk.widgets.export import default_export_path, export_dialog
from safedesk.widgets.footer import Footer
from safedesk.widgets.forms import FormDialog, FormField, FormResult
from safedesk.widgets.host import session_of

# Details that come from the account a letter is about.
ACCOUNT_FIELDS = frozenset(
    {"channel", "channel_address", "platform", "channel_type", "follow_action", "audience", "platform_paragraph"}
)
NO_ACCOUNT = "none"


class LettersScreen(Screen[None]):
    """The four templates; Enter fills one in."""

    SUB_TITLE = "Letters and disclaimers"  # the header names the screen

    CSS_PATH = "builder.tcss"
    AUTO_FOCUS = "#letters"
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", tooltip="Back to the policy", id="letters-back")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Template letters and disclaimers", classes="title")
        yield Static(
            plain("Filled with your setting's details from the policy answers and the account register. Enter starts one."),
            classes="muted",
        )
        yield OptionList(*(Option(plain(spec.title), id=spec.id) for spec in LETTERS.values()), id="letters")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Letters and disclaimers"

    @property
    def book(self) -> PolicyBook:
        return PolicyBook(session_of(self.app))

    @on(OptionList.OptionSelected, "#letters")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        letter_id = event.option.id or ""
        if letter_id not in LETTERS:
            return
        needs_account = bool(ACCOUNT_FIELDS & set(letter_placeholders(letter_id)))
        accounts = account_choices(session_of(self.app))
        if not (needs_account and accounts):
            self._details(letter_id, None)
            return

        def pick(values: dict[str, str]) -> int | None:
            return int(values["account_id"]) if values["account_id"].isdigit() else None

        def picked(result: FormResult | None) -> None:
            if result is not None:
                self._details(letter_id, result.outcome)

        options = [("No account: I will type the channel's details", NO_ACCOUNT), *((label, str(i)) for label, i in accounts)]
        self.app.push_screen(
            FormDialog(
                LETTERS[letter_id].title,
                [
                    FormField(
                        "account_id", "Which official account is it about?", kind="select", value=options[-1][1], options=options
                    )
                ],
                pick,
                save_label="Next",
            ),
            picked,
        )

    def _details(self, letter_id: str, account_id: int | None) -> None:
        known = self.book.known_letter_values(account_id)
        names = [p for p in letter_placeholders(letter_id) if p in TYPED_FIELDS]

        def save(values: dict[str, str]) -> dict[str, str]:
            typed = {k: v for k, v in values.items() if v.strip() != known.get(k, "").strip()}
            self.book.remember_letter_values(typed)
            return typed

        def saved(result: FormResult | None) -> None:
            if result is not None:
                self.app.push_screen(LetterScreen(letter_id, account_id, result.outcome))

        fields = [
            FormField(name, LETTER_FIELDS[name][0].upper() + LETTER_FIELDS[name][1:], value=known.get(name, "")) for name in names
        ]
        self.app.push_screen(
            FormDialog(
                LETTERS[letter_id].title,
                fields,
                save,
                intro="Filled from your policy answers and the account. Change anything; a blank stays visible as [to fill in].",
                save_label="Show the letter",
            ),
            saved,
        )


class LetterScreen(Screen[None]):
    """One filled letter or disclaimer, as it will be exported."""

    SUB_TITLE = "Letter"  # the header names the screen

    CSS_PATH = "builder.tcss"
    AUTO_FOCUS = "#letter-view"
    BINDINGS = [
        Binding("x", "export", "Export", tooltip="Write the letter as Markdown", id="letter-export"),
        Binding("escape", "app.pop_screen", "Back", tooltip="Back to the letters", id="letter-back"),
    ]

    def __init__(self, letter_id: str, account_id: int | None, typed: dict[str, str]) -> None:
        super().__init__()
        self.letter_id, self.account_id, self.typed = letter_id, account_id, typed

    @property
    def book(self) -> PolicyBook:
        return PolicyBook(session_of(self.app))

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="letter-status")
        yield CardView(id="letter-view")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = LETTERS[self.letter_id].title
        document = self.book.letter(self.letter_id, self.account_id, self.typed)
        status = f"Still to fill in: {', '.join(document.missing)}." if document.missing else "Every detail is filled in."
        self.query_one("#letter-status", Static).update(plain(status))
        self.query_one(CardView).show(document.markdown, "x exports · Esc goes back")

    def action_export(self) -> None:
        def write(path: Path, overwrite: bool, fmt: Format) -> None:
            self.book.export_letter(
                self.letter_id, path, account_id=self.account_id, typed=self.typed, overwrite=overwrite, fmt=fmt
            )

        def done(result: FormResult | None) -> None:
            if result:
                self.notify(f"Saved to {result.outcome}", title="Exported", markup=False)

        self.app.push_screen(export_dialog("Export the letter", default_export_path(LETTERS[self.letter_id].title), write), done)
