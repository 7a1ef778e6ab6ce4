"""Help: every key that works on the screen underneath, with what it does."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from safedesk.content.quickref import quick_reference_markdown
from safedesk.widgets.export import sheet_dialog
from safedesk.widgets.host import host

KEY_WIDTH = 12
TEXT_WIDTH = 50  # the box's 70 columns inside, less the key column, cell padding and the scroll bar


class HelpScreen(ModalScreen[None]):
    SUB_TITLE = "Help: keys"  # the header names the screen
    CSS_PATH = "help.tcss"
    BINDINGS = [
        Binding("escape,f1,q", "close", "Close", tooltip="Back to where you were", id="help-close"),
        Binding(
            "p", "quick_reference", "Quick reference", tooltip="Save the one-page quick reference to print", id="help-quickref"
        ),
    ]

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        """`rows`: (keys, what they do) for the screen underneath, taken before this one covers it."""
        super().__init__()
        self._rows = rows

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static("Keys on this screen", classes="title")
            yield DataTable(id="help-keys", cursor_type="row", zebra_stripes=True)
            yield Static(
                "Ctrl+L blanks the screen at once (for when someone walks up). "
                "Ctrl+P opens the command palette: type what you want to do. "
                "P saves a one-page quick reference to print. Esc closes this help.",
                classes="hint",
            )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # Fixed widths inside the 76-column box, and rows as tall as their text: a long
        # description wraps instead of being cut at the box's edge.
        table.add_column("Key", width=KEY_WIDTH)
        table.add_column("What it does", width=TEXT_WIDTH)
        for keys, text in self._rows:
            table.add_row(Text(keys), Text(text), height=None)

    def action_quick_reference(self) -> None:
        session = host(self.app).session  # help opens before unlock too: then the sheet names no setting
        setting = session.setting() if session is not None else None
        markdown = quick_reference_markdown(setting.name if setting else "", setting.idle_lock_minutes if setting else None)
        self.app.push_screen(sheet_dialog("SafeDesk quick reference", "safedesk-quick-reference", markdown))

    def action_close(self) -> None:
        self.dismiss()
