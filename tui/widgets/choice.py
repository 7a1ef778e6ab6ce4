"""A dropdown that stays put while typed into.

Textual's Select searches as you type, but forgets what was typed after 0.7 s and matches
anywhere inside an option: at a real keyboard, "s" then a pause then "o" jumps to the first
option holding an "o" ("forename"), not to "social_media". Here the letters typed since the
list opened are kept (Backspace takes one back), an option whose text starts with them comes
first, then one with a word starting with them, and a letter that matches nothing is ignored
(the highlight stays where it was). The value changes only with Enter, as before.
"""

from __future__ import annotations

import re
from typing import Generic, TypeVar

from rich.text import Text
from textual import events
from textual.content import Content
from textual.widgets import OptionList, Select

T = TypeVar("T")
_WORD = re.compile(r"[^\W_]+")  # "social_media" -> social, media; "event: Panto" -> event, panto


def match_option(prompts: list[str], query: str) -> int | None:
    """The option `query` names: the first whose text starts with it, else whose word does."""
    query = query.casefold()
    if not query:
        return None
    texts = [p.casefold().lstrip("( ") for p in prompts]
    for index, text in enumerate(texts):
        if text.startswith(query):
            return index
    for index, text in enumerate(texts):
        if any(word.startswith(query) for word in _WORD.findall(text)):
            return index
    return None


def _plain(prompt: object) -> str:
    if isinstance(prompt, Text):
        return prompt.plain
    if isinstance(prompt, Content):
        return prompt.plain
    return str(prompt)


class SteadySelect(Select[T], Generic[T]):
    """A Select whose type-to-search keeps what was typed and never jumps to a stray match."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs["type_to_search"] = False  # Textual's own search is the jumpy one: replaced below
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._typed = ""

    def _watch_expanded(self, expanded: bool) -> None:
        self._typed = ""  # every opening starts a new search
        super()._watch_expanded(expanded)

    def on_key(self, event: events.Key) -> None:
        if not self.expanded:
            return
        if event.key == "backspace":
            typed = self._typed[:-1]
        elif event.character is not None and event.is_printable:
            typed = self._typed + event.character
        else:
            return
        event.stop()
        event.prevent_default()
        prompts = [_plain(prompt) for prompt, _ in self._options]
        index = match_option(prompts, typed)
        if index is None and typed:
            return  # nothing starts so: the letter is ignored and the highlight stays
        self._typed = typed
        if index is not None:
            overlay = self.query_one(OptionList)
            overlay.highlighted = index
            overlay.scroll_to_highlight()
