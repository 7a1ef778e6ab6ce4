"""The guidance browser: topics by kind, live search, a reader pane, history.

Needs no store and no passphrase. Cards are drawn by `CardView` (fast, line
by line); links are shown, never opened; related cards are a list below.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Self

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from safedesk.content.cards import Card
from safedesk.content.library import default_library
from safedesk.content.sources import describe
from safedesk.store.text.limits import Kind, limit
from safedesk.widgets.card_view import CardView
from safedesk.widgets.footer import Footer
from safedesk.widgets.hanging import Hanging, hanging_lines
from safedesk.widgets.literal import plain  # not .common: the form widgets are not needed to start

CONTACTS_CARD = "ref-contacts"
KIND_TITLES = {
    "playbook": "Incident playbooks",
    "checklist": "Checklists",
    "form": "Forms",
    "guide": "Guides",
    "faq": "Questions leaders ask",
    "platform": "Platforms",
    "template": "Letters and templates",
    "reference": "Reference",
}


class TopicList(OptionList):
    """The topic and result list: measured once at its width, not again on every Resize.

    OptionList forgets every option's wrapped height on each Resize, even when only the height
    changed or the first Resize reports the width it was already measured at; with 168 topics that
    was a second measuring pass after the first frame (python -m bench guide). Its scrollbar's room
    is kept from the start (guide.tcss: scrollbar-gutter), so a scrollbar never changes the width.
    """

    def on_resize(self, event: events.Resize) -> None:
        if self._line_cache.lines and self.virtual_size.width == self.scrollable_content_region.width:
            event.prevent_default()  # OptionList's handler (the only other one) would forget them

    def __init__(self, id: str) -> None:
        super().__init__(id=id)
        self._rest: Iterator[Option] = iter(())  # topics added once the first frame is drawn

    def add_topics(self, options: Iterable[Option]) -> None:
        """The topics a screen shows at once now, the rest right after the first frame: making,
        measuring and laying out all 168 before it delayed the first paint (python -m bench guide)."""
        self._rest = iter(options)
        self.add_options(islice(self._rest, FIRST_TOPICS))
        self.call_after_refresh(self.complete)

    def complete(self) -> None:
        """Add the topics still waiting; at once when a key or the mouse needs the whole list."""
        rest = list(self._rest)
        if rest:
            self.add_options(rest)

    def clear_options(self) -> Self:
        self._rest = iter(())  # a search replaced the topics before the rest came: they are not wanted
        return super().clear_options()

    # Every move over the list first adds the topics still waiting: End, PageDown or Up (which wraps
    # to the last topic) pressed before they came move over all of them. In the actions, not on Key:
    # a key typed as the app starts reaches the screen before the list has the focus, and the list's
    # binding then runs as the key bubbles up to the app, without the list seeing the key.

    def action_cursor_up(self) -> None:
        self.complete()
        super().action_cursor_up()

    def action_cursor_down(self) -> None:
        self.complete()
        super().action_cursor_down()

    def action_last(self) -> None:
        self.complete()
        super().action_last()

    def action_page_up(self) -> None:
        self.complete()
        super().action_page_up()

    def action_page_down(self) -> None:
        self.complete()
        super().action_page_down()

    def on_mouse_scroll_down(self) -> None:
        self.complete()


class GuideScreen(Screen[None]):
    SUB_TITLE = "Guidance"  # the header names the screen
    CSS_PATH = "guide.tcss"
    AUTO_FOCUS = "#guide-list"
    BINDINGS = [
        Binding("slash", "search", "Search", tooltip="Type to search the guidance", id="guide-search"),
        Binding("escape", "leave", "Back", tooltip="Clear the search, or leave the guidance", id="guide-leave"),
        Binding("alt+left,b", "back", "Previous card", tooltip="Back to the card you read before", id="guide-back"),
        Binding("alt+right,f", "forward", "Next card", tooltip="Forward again after going back", id="guide-forward"),
        Binding("r", "related", "Related", tooltip="Move to the related cards list", id="guide-related"),
        Binding("tab", "app.focus_next", "Next pane", show=False, id="guide-tab"),
    ]

    def __init__(self, card_id: str | None = None) -> None:
        super().__init__()
        self._first = card_id
        self._history: list[str] = []
        self._future: list[str] = []
        self.current: Card | None = None
        self._showing_topics = True  # the list as composed: the topics, no search
        self._resumed = False  # shown at least once

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="guide-body"):
            with Vertical(id="guide-left"):
                yield Input(
                    compact=True, placeholder="/ to search: e.g. nudes, fake page", id="guide-query", max_length=limit(Kind.SHORT)
                )
                yield Static("", id="guide-notice", markup=False)
                # Filled here, not on mount: laid out and drawn once, in the first frame. Added,
                # not passed in: OptionList(*options) would highlight the first topic.
                topics = TopicList(id="guide-list")
                topics.add_topics(_topic_options())
                yield topics
            with Vertical(id="guide-right"):
                yield Static("", id="card-title", markup=False)
                yield CardView(id="card-body")
                yield OptionList(id="card-related")
        yield Footer()

    def on_resize(self, event: events.Resize) -> None:
        # Textual sends the first screen a Resize or two at the size it was just laid out at (the
        # terminal's size reported again, the screen shown): each laid out and drew the whole
        # screen again, unchanged, before the first card was up. A real new size goes through.
        if event.size == self._compositor.size:
            event.prevent_default()  # Screen's handler (the only other one) would lay it out again

    def on_mount(self) -> None:
        self.sub_title = "Guidance"
        self.query_one("#guide-notice", Static).display = False
        first = self._first or next(iter(_ordered_cards()), None)
        if first:
            # Before the first paint, so topics and card are laid out and drawn in one frame: a
            # card opened after it cost a second full layout and frame (python -m bench tui).
            self.open_card(first, False)

    # ----------------------------------------------------------------- lists

    def _show_topics(self) -> None:
        self.query_one("#guide-notice", Static).display = False
        if self._showing_topics:
            return  # e.g. the search box's first Changed, on mount: nothing to redraw
        listing = self.query_one("#guide-list", OptionList)
        listing.clear_options()
        listing.add_options(_topic_options())
        self._showing_topics = True

    @on(Input.Changed, "#guide-query")
    def _search(self, event: Input.Changed) -> None:
        query = event.value.strip()
        if not query:
            self._show_topics()
            return
        self._showing_topics = False
        from safedesk.content.search import default_index

        result = default_index().search(query, limit=25)
        listing = self.query_one("#guide-list", OptionList)
        listing.clear_options()
        notice = self.query_one("#guide-notice", Static)
        lines = [
            n for n in (result.notice, f"Showing results for: {result.corrected_query}" if result.corrected_query else None) if n
        ]
        notice.update(plain("\n".join(lines)))
        notice.display = bool(lines)
        if not result.hits:
            listing.add_option(Option(plain("No card matches. Try other words, or press Ctrl+T."), disabled=True))
            return
        listing.add_options(Option(plain(hit.title), id=hit.id) for hit in result.hits)
        listing.highlighted = 0

    @on(Input.Submitted, "#guide-query")
    def _search_submitted(self) -> None:
        listing = self.query_one("#guide-list", OptionList)
        listing.focus()
        if listing.highlighted is not None:
            option = listing.get_option_at_index(listing.highlighted)
            if option.id:
                self.open_card(option.id)

    @on(OptionList.OptionSelected, "#guide-list")
    @on(OptionList.OptionSelected, "#card-related")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.open_card(event.option.id)

    # ----------------------------------------------------------------- reading

    def open_card(self, card_id: str, remember: bool = True) -> None:
        card = default_library().cards.get(card_id)
        if card is None:
            self.notify(f"No guidance card {card_id!r}.", severity="error", markup=False)
            return
        if remember and self.current is not None and self.current.id != card.id:
            self._history.append(self.current.id)
            self._future.clear()
        self.current = card
        self.query_one("#card-title", Static).update(plain(f"{card.title}  ({card.kind})"))
        footer = "Sources:\n" + "\n".join(f"- {describe(s)}" for s in card.sources)
        if card.id == CONTACTS_CARD:
            footer = self._local_contacts() + "\n\n" + footer
        self.query_one("#card-body", CardView).show(default_library().reader_body(card), footer, card.id)
        related = self.query_one("#card-related", OptionList)
        related.clear_options()
        cards = default_library().related(card)
        related.display = bool(cards)
        related.add_options(Option(Hanging("→ ", c.title), id=c.id) for c in cards)

    def _local_contacts(self) -> str:
        session = getattr(self.app, "session", None)
        if session is None:
            return "Your setting's own contacts show here once SafeDesk is unlocked (Settings, key s on the home screen)."
        from safedesk.store.engine.core_records import CONTACTS

        contacts = session.setting().contacts
        if not contacts:
            return "No local contacts entered yet: add them in Settings (key s on the home screen)."
        return "Your setting's contacts:\n" + "\n".join(f"- {CONTACTS[k]}: {v}" for k, v in contacts.items() if k in CONTACTS)

    def action_search(self) -> None:
        self.query_one("#guide-query", Input).focus()

    def action_leave(self) -> None:
        query = self.query_one("#guide-query", Input)
        if query.value:
            query.value = ""
            self.query_one("#guide-list", OptionList).focus()
        elif len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            self.query_one("#guide-list", OptionList).focus()

    def action_back(self) -> None:
        if self._history and self.current:
            self._future.append(self.current.id)
            self.open_card(self._history.pop(), remember=False)

    def action_forward(self) -> None:
        if self._future and self.current:
            self._history.append(self.current.id)
            self.open_card(self._future.pop(), remember=False)

    def action_related(self) -> None:
        related = self.query_one("#card-related", OptionList)
        if related.display:
            if related.highlighted is None:
                related.highlighted = 0
            related.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Letters typed into the search box are text, not shortcuts.
        if action in {"back", "forward", "related", "search"} and isinstance(self.focused, Input):
            return False
        return True

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        if not self._resumed:
            # Shown for the first time: every widget was styled as it was mounted, just before.
            # Textual styles them all again here, a tenth of the guide's first paint (python -m
            # bench guide); tests/content/test_tui_guide.py checks the styles come out the same.
            self._resumed = True
            event.refresh_styles = False
        self.sub_title = "Guidance"


def _grouped() -> list[tuple[str, list[Card]]]:
    groups: dict[str, list[Card]] = {}
    for card in default_library().cards.values():
        groups.setdefault(card.kind, []).append(card)
    order = list(KIND_TITLES)
    return [
        (kind, sorted(cards, key=lambda c: c.title.casefold()))
        for kind, cards in sorted(groups.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
    ]


# The columns a topic's text has: #guide-left is 32 wide (guide.tcss), less its border (1), the
# list's scrollbar room (2, kept from the start) and an option's padding (1 each side).
TOPIC_COLUMNS = 32 - 1 - 2 - 2
TOPIC_INDENT = "  "
# Topics in the first frame: more rows than the list shows at 80x24 (21); the rest follow it at once.
FIRST_TOPICS = 30


def _topic_options() -> Iterator[Option]:
    """Every card by kind: a heading (not selectable) per kind, then its cards by title, each
    wrapped here with a hanging indent (the list would wrap it back to the heading's column).
    Made as they are taken: the first frame wraps only the titles it shows."""
    for kind, cards in _grouped():
        yield Option(plain(KIND_TITLES.get(kind, kind.title())), disabled=True)
        for card in cards:
            yield Option(plain(_indented(card.title)), id=card.id)


def _indented(title: str) -> str:
    return "\n".join(hanging_lines(TOPIC_INDENT, title, TOPIC_COLUMNS))


def _ordered_cards() -> list[str]:
    return [card.id for _, cards in _grouped() for card in cards]
