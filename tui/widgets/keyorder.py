"""Keys and pastes handed out one at a time, each to whatever has the focus once the one before is done.

Textual hands every key to the focused widget's queue the moment the key arrives. A key
that opens a form ("t" for a note) is handled only after it has bubbled from the focused
widget up to the app, so the keys typed straight after it had already been handed to the
screen underneath and were lost (or ran its shortcuts). `KeysInOrder` holds each key until
the key before it has gone all the way up (through every widget it bubbles through) and
the screen on top has handled what it had queued (a form it opened has composed and
focused its first field); then it hands the next key to the focus of that moment.

Everything waits in the widgets' own message queues (no timers, no threads), so a key is
delayed by the time its predecessor takes to handle, and never reordered or dropped.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from textual import events
from textual.app import App, ScreenStackError
from textual.dom import DOMNode
from textual.message_pump import MessagePump

# Stands in a route for "the screen on top once the key was handled" (it may be a new one).
_TOP: Any = object()
# A key whose handling has not finished after this long (something up its route is stuck) no
# longer holds the keys behind it; far longer than a form takes to open on a loaded machine.
STALE_SECONDS = 10.0
# How many rounds of messages along the focus chain a key may set off before the next key goes
# out anyway (a blinking cursor's timer keeps posting; a chain of handlers settles in a few).
SETTLE_STEPS = 20


class KeysInOrder:
    """The app's gate for keys and pastes from the terminal: one in flight at a time."""

    def __init__(self, app: App[Any]) -> None:
        self._app = app
        self._waiting: deque[events.Event] = deque()
        self._released: events.Event | None = None
        self._route: list[MessagePump] = []
        self._busy_since: float | None = None
        self._event: events.Event | None = None
        self._steps = 0  # rounds `_settle` may still wait for
        self._generation = 0  # which key a queued callback follows: one left over from a stuck key is ignored

    @property
    def idle(self) -> bool:
        """No key or paste is held or being handled (tests wait for this before reading fields)."""
        return self._busy_since is None and not self._waiting and self._released is None

    def hold(self, event: events.Event) -> bool:
        """True when `event` must wait: the app hands it out later, in order, through its queue."""
        if event is self._released:
            self._released = None
            return False
        if self._busy_since is not None:
            typed = isinstance(self._event, events.Key) and self._event.is_printable
            handled = typed and not self._waiting and self._event is not None and self._event._stop_propagation
            # A character the widget it went to took (typing): no binding can run from it. (A
            # handled Enter may still be moving the focus: see `_settle`.) Or something up its
            # route is stuck: stop holding the keys behind it.
            if handled or time.monotonic() - self._busy_since > STALE_SECONDS:
                self._done()
        if self._busy_since is not None or self._waiting:
            self._waiting.append(event)
            return True
        return False

    def sent(self, event: events.Event, target: DOMNode) -> None:
        """`event` has just been handed to `target` (or run as a priority binding): follow it up."""
        self._busy_since = time.monotonic()
        self._event = event
        self._generation += 1
        # The key bubbles from the target to each ancestor through its queue, then to the app.
        self._route = [*target.ancestors_with_self]
        if self._app not in self._route:
            self._route.append(self._app)
        self._route.append(_TOP)
        self._next()

    def _next(self, generation: int | None = None) -> None:
        if generation is not None and generation != self._generation:
            return
        while self._route:
            node = self._route.pop(0)
            # A key a widget handled (most typing) bubbles no further: skip to the screen on top.
            # (Textual 8.2.8 keeps "stopped" only in this attribute.)
            if node is not _TOP and self._event is not None and self._event._stop_propagation:
                continue
            if node is _TOP:
                # Whatever the key did is done; a screen it opened composes and focuses before the next key.
                try:
                    screen = self._app.screen
                except ScreenStackError:
                    continue  # the app is closing
                self._steps = SETTLE_STEPS
                if screen.call_later(self._settle, self._generation):
                    return
                continue
            if node.call_later(self._next, self._generation):
                return  # continue once `node` has handled everything queued before this callback
        self._done()

    def _settle(self, generation: int) -> None:
        """Wait for the messages the key set off along the focus chain before the next key goes out.

        Enter on an open Select's list is handled by the list, which posts a message that
        bubbles up to the Select, which only then takes the focus back: a Tab handed out
        before that went to the closing list and was lost, with the text typed after it.
        """
        if generation != self._generation:
            return
        for node in self._busy_nodes():
            if self._steps > 0 and node.call_later(self._settle, generation):
                self._steps -= 1
                return  # look again once `node` has handled what it had queued
        self._done()

    def _busy_nodes(self) -> list[DOMNode]:
        try:
            screen = self._app.screen
        except ScreenStackError:
            return []  # the app is closing
        focused = self._app.focused
        chain = [*focused.ancestors_with_self] if focused is not None else [screen, self._app]
        # A pump that has peeked at its next message (to merge it with the one it is handling)
        # holds it outside its queue (Textual 8.2.8 keeps it in this attribute).
        return [node for node in chain if node.message_queue_size or node._pending_message is not None]

    def _done(self) -> None:
        self._generation += 1
        self._route = []
        self._event = None
        self._busy_since = None
        if self._waiting:
            self._released = self._waiting.popleft()
            self._app.post_message(self._released)
