"""Long forms one page at a time: the `Form` rules, with pages of fields.

One section per page keeps each page within 80x24 and quick to draw whatever the
form's length (the web tools checklist has 51 questions). PgDn and PgUp move between
pages; answers typed on other pages are kept until Ctrl+S saves them all; a refused
answer opens its page and is shown under its question, which gets the focus. The
error display, the unsaved-changes guard, the first-field focus and the ways to save
are the base's (safedesk.widgets.forms.Form).
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Header, Input, Static

from safedesk.widgets.common import Field, plain, read_value
from safedesk.widgets.footer import Footer
from safedesk.widgets.forms import Form


def filled(values: dict[str, str]) -> dict[str, str]:
    """The answers given (a blank answer is no answer)."""
    return {k: v for k, v in values.items() if v.strip()}


class PagedForm(Form[bool]):
    """Fields on pages; subclasses build a page's fields and save every page's values.

    `page_widgets` registers each value's input in `self._widgets` (by the value's
    name) and each Field in `self._fields` (by the name `field_key` gives).
    """

    DEFAULT_CSS = """
    PagedForm #paged-body { padding: 0 1; }
    PagedForm #paged-body .section-note { margin-bottom: 1; }
    PagedForm #paged-body TextArea { height: 3; }
    PagedForm #paged-body .yesno { height: 1; }
    PagedForm #paged-body .yesno Choice { margin-right: 1; }
    PagedForm #paged-body .yesno Input { width: 1fr; }
    PagedForm #paged-body .grid { height: 1; }
    PagedForm #paged-body .grid Input { width: 9; margin-right: 1; }
    PagedForm #paged-body .entry-title { text-style: italic; color: $text-muted; }
    PagedForm #paged-body Select, PagedForm #paged-body Input { width: 100%; }
    PagedForm #paged-body Input.date { width: 16; }
    PagedForm #paged-body Field > Label { width: 1fr; }  /* a long question wraps */
    PagedForm #add-entry { margin-bottom: 1; }
    PagedForm #paged-progress { height: auto; padding: 0 1; }
    PagedForm > .title { padding: 0 1; }  /* app.tcss's .title sets the margin, which beats DEFAULT_CSS */
    PagedForm #paged-page { height: auto; }
    PagedForm .form-buttons { height: auto; margin-top: 1; }
    PagedForm #form-busy { height: 1; }
    """
    BINDINGS = [
        Binding("pagedown", "page(1)", "Next page", tooltip="The next section", id="paged-next", priority=True),
        Binding("pageup", "page(-1)", "Previous page", tooltip="The previous section", id="paged-previous", priority=True),
    ]
    heading = ""
    keys_hint = "PgDn/PgUp: next/previous section · Ctrl+S saves"
    cancel_label = "Close (Esc)"

    def __init__(self) -> None:
        super().__init__()
        self._answers: dict[str, str] = {}  # every page's values as typed, by name
        self._page = 0
        self._widgets: dict[str, Widget] = {}
        self._fields: dict[str, Field] = {}
        self._next_id = 0

    # ----------------------------------------------------------------- for subclasses

    def load(self) -> dict[str, str]:
        """The stored values, as they are typed (called once, before the first page)."""
        raise NotImplementedError

    def page_titles(self) -> list[str]:
        raise NotImplementedError

    def page_widgets(self, page: int) -> list[Widget]:
        """The page's widgets; registers its inputs in self._widgets and fields in self._fields."""
        raise NotImplementedError

    def page_of(self, field_key: str) -> int | None:
        raise NotImplementedError

    def field_key(self, name: str) -> str:
        """The Field that shows an error about the value `name` (by default, its own)."""
        return name

    def save_all(self, values: dict[str, str]) -> str:
        """Store every value; return the message to show; raise InvalidInput naming a value."""
        raise NotImplementedError

    def progress(self) -> str:
        return ""

    # ----------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        self._answers = self.load()
        yield Header()
        yield Static(plain(self.heading), classes="title", id="paged-title")
        yield Static("", id="paged-progress", classes="muted")
        # The first page is composed with the screen, so its first field has the focus
        # before any key typed while the form opens is handled. The buttons end each page,
        # so the page keeps the whole height of the screen.
        with VerticalScroll(id="paged-body"):
            with Vertical(id="paged-page"):
                yield from self.page_widgets(0)
            yield from self.buttons()
        yield Footer()

    def on_mount(self) -> None:
        self._show_progress()

    def new_widget_id(self) -> str:
        self._next_id += 1
        return f"w{self._next_id}"

    async def show_page(self, page: int, focus: str | None = None) -> None:
        self._harvest()
        self._page = page
        self._widgets, self._fields = {}, {}
        widgets = self.page_widgets(page)
        body = self.query_one("#paged-body", VerticalScroll)
        holder = self.query_one("#paged-page", Vertical)
        await holder.remove_children()
        await holder.mount_all(widgets)
        self._show_progress()
        target = self._widgets.get(focus or "") or self.first_field()
        if target is not None:
            target.focus()
        if focus is None:
            body.scroll_home(animate=False)

    def _show_progress(self) -> None:
        titles = self.page_titles()
        parts = [f"Page {self._page + 1} of {len(titles)}: {titles[self._page]}", self.progress(), self.keys_hint]
        self.query_one("#paged-progress", Static).update(plain(" · ".join(p for p in parts if p)))

    async def action_page(self, step: int) -> None:
        page = self._page + step
        if 0 <= page < len(self.page_titles()):
            await self.show_page(page)

    # ----------------------------------------------------------------- values and the base's hooks

    def _harvest(self) -> None:
        for name, widget in self._widgets.items():
            value = read_value(widget)
            self._answers[name] = "" if value is None else str(value)

    def values(self) -> dict[str, Any]:
        """Every value of every page as typed now."""
        self._harvest()
        return dict(self._answers)

    def snapshot(self) -> object:
        return filled(self.values())

    def save(self, values: dict[str, Any]) -> bool:
        self.notify(self.save_all(values), markup=False)
        return True

    def leave(self) -> None:
        self.dismiss(False)

    def submits_on_enter(self, widget: Input) -> bool:
        # Enter saves every page only from the last field of the last page.
        return self._page == len(self.page_titles()) - 1 and super().submits_on_enter(widget)

    async def find_field(self, field_id: str) -> Field | None:
        key = self.field_key(field_id)
        page = self.page_of(key)
        if page is None:
            return None
        if page != self._page or key not in self._fields:
            await self.show_page(page, focus=field_id)
        return self._fields.get(key)

    async def show_error(self, message: str, field_id: str | None = None) -> None:
        await super().show_error(message, field_id)
        # A question with several inputs (yes/no and its note, a rating per group): the named one.
        if field_id and (exact := self._widgets.get(field_id)) is not None:
            exact.focus(scroll_visible=False)
