"""A key footer that looks like Textual's but is redrawn only when the keys it shows change.

Used where a screen must open fast (the pupil list of 5,000: `python -m bench consents`; the
guide's first card: `python -m bench guide`). Textual's Footer rebuilds all its key widgets (a dozen, each styled from scratch) on every
bindings signal: each focus move and each screen opening sends one, five while the pupil list
opens, which was most of the time that screen took to appear. The keys shown are nearly always
the same, so this footer compares them first and rebuilds once per change, however many signals
arrived before it got to run. Each key also starts in the footer's own style: Textual's start
compact and are switched back once mounted, restyling every key twice more.
"""

from __future__ import annotations

from collections.abc import Hashable

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey


class Footer(TextualFooter):
    """Textual's footer, recomposed only when the keys, labels or enabled states shown differ."""

    _shown: Hashable = None  # what the current key widgets show; None: not built yet
    _pending = False  # a rebuild is already queued: later signals join it

    def compose(self) -> ComposeResult:
        if self.is_attached:
            # Textual's footer stays empty until the screen's first bindings signal, after the
            # first frame, then builds (and lays the screen out) again: the keys are known now,
            # so they are in the screen's first frame, and the signal rebuilds only what differs.
            self._bindings_ready = True
        # What this build shows, so that the signals a screen sends as it opens rebuild nothing.
        self._shown = self._keys_shown() if self.is_attached else None
        for widget in super().compose():
            if isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):
                # Bound to the footer's value when mounted (all but the palette key, which Textual
                # leaves compact); starting with that value spares two restyles.
                widget.set_reactive(FooterKey.compact, self.compact)
            yield widget

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._pending:
            self._pending = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._pending = False
        if not self.is_attached:
            return
        shown = self._keys_shown()
        if shown != self._shown:
            self._shown = shown
            await self.recompose()

    def _keys_shown(self) -> Hashable:
        """Everything Footer.compose reads, as a value to compare (keys, labels, tooltips, states)."""
        app = self.app
        keys = tuple(
            (binding.key, app.get_key_display(binding), binding.description, binding.action, binding.group, enabled, tooltip)
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show or binding.action == "command_palette"
        )
        return (keys, self.show_command_palette, self.compact, self.combine_groups)
