"""Image consents: the pupil list with its filters, and the way into everything else.

Enter opens a pupil (details, history, recording a withdrawal); c runs the
pre-publish check; i imports a MIS export; x lists consents expiring; p writes
the printable lists; f sets the filters (year, class, a purpose's state,
never-publish, leavers). The list comes from the cached pupil index and is drawn
by RowTable, so 5,000 pupils show and re-filter at once. The filters live in a
dialog rather than on the screen: five Select widgets cost more to mount than
the whole list.
"""

from __future__ import annotations

import dataclasses
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header, Input, Select, Static

from safedesk.router import open_screen
from safedesk.screens.consents.export import ExportDialog
from safedesk.screens.consents.forms import PupilForm
from safedesk.store.consents.pupils import (
    STATE_LEGEND,
    STATE_SHORT,
    STATE_WORDS,
    PupilIndex,
    PupilRow,
    Purpose,
    filter_rows,
    pupil_index,
    year_order,
    year_short,
)
from safedesk.store.text.dates import local_today
from safedesk.store.text.limits import Kind, limit
from safedesk.widgets.common import Field, plain
from safedesk.widgets.footer import Footer
from safedesk.widgets.forms import ModalForm
from safedesk.widgets.host import session_of
from safedesk.widgets.row_table import Col, LazyRows, Row, RowTable

STATE_STYLES = {
    "granted": "good",
    "expiring": "warn",
    "expired": "bad",
    "refused": "bad",
    "withdrawn": "bad",
    "not asked": "muted",
    "not recorded": "muted",
}
SORTS = ("name", "class", "year")
SHOW = {"current": "current pupils", "never": "never-publish only", "all": "leavers too"}
# Actions bound to printable keys: off while the search box has focus.
TYPED_KEYS = frozenset({"search", "filters", "check", "import", "expiring", "export", "add", "never_only", "sort", "events"})
COLUMNS = (
    Col("Pupil"),
    Col("Year", 4),
    Col("Class", 6),
    *(Col(p.short, 3) for p in Purpose),
    Col("NP", 2),
)


def pupil_row(row: PupilRow, today: date) -> Row:
    words = [row.states[p].word(today) for p in Purpose]
    left = not row.active(today)
    return Row(
        str(row.id),
        (
            row.display_name + ("  (left)" if left else ""),
            year_short(row.year_group),
            row.form,
            *(STATE_SHORT[w] for w in words),
            "NP" if row.never_publish else "",
        ),
        ("muted" if left else "", "", "", *(STATE_STYLES[w] for w in words), "bad"),
    )


@dataclass(frozen=True)
class Filters:
    year: str = ""
    form: str = ""
    purpose: str = ""  # a Purpose value; "" with a state: any purpose
    state: str = ""  # one of STATE_WORDS or "not cleared"
    show: str = "current"  # current | never | all

    def describe(self) -> str:
        parts = [SHOW[self.show]]
        if self.year:
            parts.append(self.year)
        if self.form:
            parts.append(f"class {self.form}")
        if self.state:
            parts.append(f"{Purpose(self.purpose).label.lower() if self.purpose else 'any purpose'}: {self.state}")
        return " · ".join(parts)


class ConsentsScreen(Screen[None]):
    CSS_PATH = "pupils.tcss"
    SUB_TITLE = "Image consents"
    AUTO_FOCUS = "#pupil-table"
    BINDINGS = [
        Binding("slash", "search", "Search", tooltip="Find pupils by name or class", id="consents-search", show=False),
        Binding(
            "f",
            "filters",
            "Filters",
            tooltip="Show only a year, a class, a consent state, never-publish, or leavers",
            id="consents-filters",
        ),
        Binding(
            "c",
            "check",
            "Can I post?",
            tooltip="The pre-publish check: pick the channel and the pupils in the image",
            id="consents-check",
        ),
        Binding("i", "import", "Import", tooltip="Import pupils and consents from a MIS export (CSV)", id="consents-import"),
        Binding("x", "expiring", "Expiring", tooltip="Consents expired or expiring within 30 days", id="consents-expiring"),
        Binding(
            "p",
            "export",
            "Print lists",
            tooltip="Write the never-publish list or a cleared list (Markdown)",
            id="consents-export",
        ),
        Binding("a", "add", "Add pupil", tooltip="Add a pupil by hand", id="consents-add", show=False),
        Binding(
            "e",
            "events",
            "Events",
            tooltip="Trips and performances with their own consent and dates",
            id="consents-events",
            show=False,
        ),
        Binding(
            "n",
            "never_only",
            "Never-publish",
            tooltip="Show only pupils on the never-publish list (again: everyone)",
            id="consents-never",
            show=False,
        ),
        Binding("s", "sort", "Sort", tooltip="Sort by name, class or year group", id="consents-sort", show=False),
        Binding("escape", "leave", "Back", tooltip="Clear the search, or go back", id="consents-leave"),
    ]
    # Only the main keys are in the footer (each costs a widget and the footer is one line); F1 lists them all.

    def __init__(self) -> None:
        super().__init__()
        self.sort = "name"
        self.filters = Filters()
        self._applied: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(compact=True, placeholder="/ type a name or class", id="pupil-search", max_length=limit(Kind.SHORT))
        yield Static("", id="consents-filters", markup=False)
        yield RowTable(COLUMNS, empty="No pupils match. Press i to import a MIS export, or a to add a pupil.", id="pupil-table")
        yield Static("", id="consents-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.apply_filters()

    def on_screen_resume(self) -> None:
        self.apply_filters()

    # ----------------------------------------------------------------- data

    def apply_filters(self) -> None:
        """Show the pupils matching the search and filters (nothing to do if nothing changed)."""
        today = local_today()
        index = pupil_index(session_of(self.app))
        search = self.query_one("#pupil-search", Input).value
        f = self.filters
        wanted = (index, today, search, f, self.sort)
        if wanted == self._applied:
            return
        self._applied = wanted
        rows = filter_rows(
            _ordered(index, self.sort),  # filtering keeps the order: no sort per search or filter
            today=today,
            text=search,
            year=f.year,
            form=f.form,
            purpose=Purpose(f.purpose) if f.purpose else None,
            state=f.state,
            never_publish_only=f.show == "never",
            include_left=f.show != "current",
        )
        table = self.query_one("#pupil-table", RowTable)
        keep = table.current.key if table.current else None
        table.set_rows(LazyRows(rows, lambda r: pupil_row(r, today), lambda r: str(r.id)), keep=keep)
        self.query_one("#consents-filters", Static).update(plain(f"Showing {f.describe()} · f to change"))
        self.query_one("#consents-status", Static).update(
            f"{len(rows):,} of {len(index.rows):,} pupils · sorted by {self.sort} (s) · - not recorded · NP never publish\n{STATE_LEGEND}"
        )

    @on(Input.Changed, "#pupil-search")
    def _search_changed(self) -> None:
        self.apply_filters()

    @on(Input.Submitted, "#pupil-search")
    def _search_done(self) -> None:
        self.query_one("#pupil-table", RowTable).focus()

    @on(RowTable.Chosen, "#pupil-table")
    def _open(self, event: RowTable.Chosen) -> None:
        open_screen(self.app, "pupil", int(event.key))

    # ----------------------------------------------------------------- actions

    def action_search(self) -> None:
        self.query_one("#pupil-search", Input).focus()

    def action_leave(self) -> None:
        search = self.query_one("#pupil-search", Input)
        if search.value:
            search.value = ""
            self.query_one("#pupil-table", RowTable).focus()
        else:
            self.app.pop_screen()

    def action_filters(self) -> None:
        def chosen(filters: Filters | None) -> None:
            if filters is not None:
                self.filters = filters
                self.apply_filters()

        self.app.push_screen(FilterDialog(self.filters), chosen)

    def action_never_only(self) -> None:
        self.filters = dataclasses.replace(self.filters, show="current" if self.filters.show == "never" else "never")
        self.apply_filters()

    def action_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.apply_filters()

    def action_check(self) -> None:
        open_screen(self.app, "consent-check")

    def action_import(self) -> None:
        open_screen(self.app, "consent-import")

    def action_expiring(self) -> None:
        open_screen(self.app, "consents-expiring")

    def action_export(self) -> None:
        self.app.push_screen(ExportDialog())

    def action_events(self) -> None:
        open_screen(self.app, "consent-events")

    def action_add(self) -> None:
        def added(pupil: object) -> None:
            if pupil is not None:
                open_screen(self.app, "pupil", pupil.id)  # type: ignore[attr-defined]

        self.app.push_screen(PupilForm(), added)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Letters typed into the search box are text, not shortcuts.
        return not (action in TYPED_KEYS and isinstance(self.focused, Input))


class FilterDialog(ModalForm[Filters | None]):
    """The list's filters; Ctrl+S or Enter applies, Esc leaves them as they were."""

    CSS_PATH = "pupils.tcss"
    BINDINGS = [Binding("ctrl+r", "reset", "Clear", tooltip="Back to every current pupil", id="filters-reset")]
    heading = "Filter the pupil list"
    save_label = "Apply (Ctrl+S)"

    def __init__(self, filters: Filters) -> None:
        super().__init__()
        self.filters = filters

    def form(self) -> ComposeResult:
        index = pupil_index(session_of(self.app))
        years = sorted({r.year_group for r in index.rows if r.year_group}, key=year_order)
        forms = sorted({r.form for r in index.rows if r.form}, key=natural)
        f = self.filters
        yield _select_row("Year group", [(plain(y), y) for y in years], f.year, "Any year", "year")
        yield _select_row("Class or form", [(plain(c), c) for c in forms], f.form, "Any class", "form")
        yield _select_row("Purpose", [(p.label, p.value) for p in Purpose], f.purpose, "Any purpose", "purpose")
        yield _select_row(
            "Consent state", [(w.capitalize(), w) for w in (*STATE_WORDS, "not cleared")], f.state, "Any state", "state"
        )
        yield _select_row("Show", [(label.capitalize(), key) for key, label in SHOW.items()], f.show, None, "show")
        yield Static("A state with no purpose matches pupils in that state for any purpose. Ctrl+R clears.", classes="muted")

    def save(self, values: dict[str, Any]) -> Filters:
        text = {key: "" if value is None else str(value) for key, value in values.items()}
        return Filters(text["year"], text["form"], text["purpose"], text["state"], text["show"] or "current")

    def action_reset(self) -> None:
        self.dismiss(Filters())


def _select_row(label: str, options: list[tuple[str | Content, str]], value: str, blank: str | None, name: str) -> Field:
    offered = any(v == value for _, v in options)
    select: Select[str]
    if blank is None:
        select = Select(options, value=value, allow_blank=False, compact=True, id=f"filter-{name}")
    else:
        select = Select(options, prompt=blank, value=value if offered else Select.NULL, compact=True, id=f"filter-{name}")
    return Field(label, select, field_id=name, classes="filter-row")


def natural(text: str) -> tuple[object, ...]:
    """'2B' before '10A': digits compared as numbers."""
    return tuple(int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", text))


# Each index's rows in each order: sorting 5,000 rows was most of what showing the list cost
# SafeDesk's own code, and an index only changes when a pupil does. Held weakly, so the rows go
# with the index when the store locks.
_ORDERED: weakref.WeakKeyDictionary[PupilIndex, dict[str, list[PupilRow]]] = weakref.WeakKeyDictionary()


def _ordered(index: PupilIndex, sort: str) -> list[PupilRow]:
    orders = _ORDERED.setdefault(index, {})
    if sort not in orders:
        orders[sort] = sorted(index.rows, key=_sort_key(sort))
    return orders[sort]


def _sort_key(sort: str) -> Callable[[PupilRow], tuple[object, ...]]:
    if sort == "class":
        return lambda r: (natural(r.form), r.name_key)
    if sort == "year":
        return lambda r: (year_order(r.year_group), natural(r.form), r.name_key)
    return lambda r: (r.name_key, r.id)
