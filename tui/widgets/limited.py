"""Text fields sized by the kind of text they hold (store/text/limits.py), saying so when full.

An `Input` takes `max_length=limit(kind)`; a multi-line field is a `LimitedTextArea`
(Textual's TextArea has no limit). Typing into a full field is refused with a message
beside it (`refuse_typing`); a paste is cut to what fits with a notice (`fit_paste`,
called by the app for every paste).
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.document._document import Location
from textual.document._edit import EditResult
from textual.widget import Widget
from textual.widgets import Input, TextArea

from safedesk.store.text.limits import Kind, limit
from safedesk.widgets.common import Field


class LimitedTextArea(TextArea):
    """A TextArea that holds at most `max_length` characters (line breaks count as one)."""

    def __init__(self, text: str = "", *, max_length: int = limit(Kind.LONG), **options: Any) -> None:
        super().__init__(text, **options)
        self.max_length = max_length

    def _replace_via_keyboard(self, insert: str, start: Location, end: Location) -> EditResult | None:
        if len(self.text) - len(self.get_text_range(start, end)) + len(insert) > self.max_length:
            say_full(self)
            return None
        return super()._replace_via_keyboard(insert, start, end)


def limit_of(widget: Widget) -> int:
    """The most characters `widget` takes (0: no limit)."""
    if isinstance(widget, LimitedTextArea):
        return widget.max_length
    if isinstance(widget, Input):
        return widget.max_length or 0
    return 0


def room_left(widget: Widget) -> int | None:
    """How many characters can still go in at the cursor (what a selection replaces counts as room); None: no limit."""
    most = limit_of(widget)
    if isinstance(widget, Input) and most:
        start, end = sorted(widget.selection)
        return max(most - (len(widget.value) - (end - start)), 0)
    if isinstance(widget, TextArea) and most:
        return max(most - (len(widget.text) - len(widget.selected_text)), 0)
    return None


def say_full(widget: Widget, *, pasted: bool = False) -> None:
    """Tell the person beside `widget` (and in a notice, for a paste or outside a form) that it is full.

    `pasted`: a paste is being cut to fit; what fits is about to go in, and the message
    outlasts that change.
    """
    most = limit_of(widget)
    message = (
        f"The paste was cut to fit: this field takes up to {most:,} characters."
        if pasted
        else f"This field is full: it takes up to {most:,} characters."
    )
    field = next((a for a in widget.ancestors if isinstance(a, Field)), None)
    if field is not None:
        field.refuse(message, changing=pasted and bool(room_left(widget)))
    if pasted or field is None:
        widget.app.notify(message, severity="warning", markup=False)


def refuse_typing(widget: Widget | None, event: events.Key) -> None:
    """Before a printable key reaches a full single-line field: say why it will not go in."""
    if isinstance(widget, Input) and event.is_printable and room_left(widget) == 0:
        say_full(widget)


def fit_paste(text: str, widget: Widget | None) -> str:
    """`text` cut to the room left in `widget`, saying so beside it when anything was cut.

    Textual refuses a paste that would make an Input too long, dropping all of it
    without a word; the app pastes what fits and says it cut the rest.
    """
    room = None if widget is None else room_left(widget)
    if widget is None or room is None or len(text) <= room:
        return text
    say_full(widget, pasted=True)
    return text[:room]
