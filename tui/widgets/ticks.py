"""Tick boxes whose state shows as a character, not by colour alone.

Textual draws "X" inside every box, ticked or not, and tells them apart by colour only:
unreadable with NO_COLOR, on a monochrome or high-contrast terminal and for colour-blind
readers. Here a ticked box shows "X" and an unticked one is blank.
"""

from __future__ import annotations

from typing import TypeVar

from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import Checkbox, SelectionList

V = TypeVar("V")


class Tick(Checkbox):
    """A checkbox: "X" when ticked, blank when not."""

    # Textual declares BUTTON_INNER a plain str; a property makes the character follow the value.
    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # noqa: N802 - Textual's name for it
        return "X" if self.value else " "


class TickList(SelectionList[V]):
    """A multiple choice whose ticks show as "X" or blank."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        # Segment 1 is the box's inside; its style carries the option's index (Textual's own meta).
        if len(segments) > 1 and segments[1].text == Checkbox.BUTTON_INNER and segments[1].style is not None:
            index = segments[1].style.meta.get("option")
            if index is not None and self.get_option_at_index(index).value not in self.selected:
                segments[1] = Segment(" ", segments[1].style)
                return Strip(segments, strip.cell_length)
        return strip
