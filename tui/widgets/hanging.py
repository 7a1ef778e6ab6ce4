"""A list entry whose wrapped lines stay indented under its first line's text, at any width."""

from __future__ import annotations

import textwrap

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text


def hanging_lines(marker: str, text: str, width: int) -> list[str]:
    """`text` wrapped to `width` columns after `marker`, each later line indented by its width."""
    indent = " " * len(marker)
    return textwrap.wrap(text, max(width, len(marker) + 1), initial_indent=marker, subsequent_indent=indent)


class Hanging:
    """`marker` then `text` (plain, never markup), wrapped to the width it is drawn at with every
    line after the first indented by the marker's width: "→ A nude or sexual image of a child is"
    over "  suspected", not over "suspected" at the arrow's column. An OptionList's option takes
    it as its prompt and draws it at the list's own width, whatever the terminal's size."""

    def __init__(self, marker: str, text: str) -> None:
        self.marker = marker
        self.text = text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = hanging_lines(self.marker, self.text, options.max_width)
        yield Text("\n".join(lines) or self.marker, no_wrap=True, overflow="crop")

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        longest = max((len(word) for word in self.text.split()), default=0) + len(self.marker)
        return Measurement(min(longest, options.max_width), min(len(self.marker) + len(self.text), options.max_width))
