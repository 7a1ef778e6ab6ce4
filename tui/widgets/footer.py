"""Textual's footer, redrawn only when the keys it shows change.

Textual's `Footer` rebuilds all its key widgets (~20 ms) each time a screen says its bindings
may have changed, and a screen says so several times as it opens (focus set, screen stack
updated): `safedesk guide` rebuilt the same footer twice before its first card counted as
drawn (`python -m bench guide`). This one rebuilds once per real change.
"""

from __future__ import annotations

from collections.abc import Hashable

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    _shown: Hashable = None  # the keys the footer was last built with (None: not built yet)
    _rebuild_pending = False

    def compose(self) -> ComposeResult:
        self._shown = self._keys() if self._bindings_ready else None
        yield from super().compose()

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        # A rebuild already asked for reads the bindings when it runs: it shows this change too.
        if self._rebuild_pending or self._shown == self._keys():
            return
        self._rebuild_pending = True
        self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_pending = False
        await self.recompose()

    def _keys(self) -> Hashable:
        # Everything Footer.compose reads from a binding.
        return tuple(
            (binding.key, binding.action, binding.description, binding.show, id(binding.group), enabled, tooltip)
            for _, binding, enabled, tooltip in self.screen.active_bindings.values()
        )
