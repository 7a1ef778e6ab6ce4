"""Command palette: find any guidance card by typing (Ctrl+P)."""

from __future__ import annotations

from functools import partial
from typing import Protocol, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from safedesk.content.library import default_library
from safedesk.content.search import default_index
from safedesk.widgets.common import plain


class GuideOpener(Protocol):
    """What the palette needs from the app: SafeDeskApp.action_guide."""

    def action_guide(self, card_id: str | None = None) -> None: ...


class GuideCommands(Provider):
    """Guidance cards as palette entries: Enter opens the card."""

    @property
    def opener(self) -> GuideOpener:
        # Only SafeDeskApp lists this provider (its COMMANDS); naming the protocol, not the app,
        # keeps this module from importing the app that imports it.
        return cast(GuideOpener, self.app)

    async def discover(self) -> Hits:
        for card in default_library().cards.values():
            if card.kind == "playbook":
                yield DiscoveryHit(
                    plain(f"Playbook: {card.title}"), partial(self.opener.action_guide, card.id), help=card.summary
                )

    async def search(self, query: str) -> Hits:
        result = default_index().search(query, limit=8)
        top = result.hits[0].score if result.hits else 1.0
        for rank, hit in enumerate(result.hits):
            # The palette sorts by score in 0..1; keep the index's order.
            score = max(0.05, 1.0 - rank * 0.1) if top else 0.5
            yield Hit(score, plain(f"Guidance: {hit.title}"), partial(self.opener.action_guide, hit.id), help=hit.snippet)
