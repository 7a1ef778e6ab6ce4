"""The app as screens and widgets see it.

Screens sit below `safedesk.app` in the layers contract, so they cannot import `SafeDeskApp`;
Textual types `self.app` as `App[Any]`. `SafeDeskHost` names the part of the app screens use;
`safedesk.app` assigns `SafeDeskApp` to a `type[SafeDeskHost]` for mypy, so a member dropped from
the app fails the type check instead of a screen at run time. (Deriving from the Protocol would clash with
Textual's metaclass.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    from textual.app import App

    from safedesk.store.engine.core_records import Setting
    from safedesk.store.engine.session import Session


class SafeDeskHost(Protocol):
    session: Session | None
    last_activity: float

    @property
    def idle_minutes(self) -> float: ...

    def signed_in(self, session: Session) -> None: ...

    def apply_setting(self, setting: Setting) -> None: ...

    def action_guide(self, card_id: str | None = None) -> None: ...

    def show_recovery_key(self, session: Session, key: str, then: Callable[[], None]) -> None: ...


def host(app: App[Any]) -> SafeDeskHost:
    """`app` as the SafeDesk app (the only app that shows SafeDesk screens)."""
    return cast("SafeDeskHost", app)


class NotSignedIn(RuntimeError):
    """A screen that needs the store was shown before unlock: a bug in the screen flow."""


def session_of(app: App[Any]) -> Session:
    """The open session; screens that read the store are only reachable after unlock."""
    session = host(app).session
    if session is None:
        raise NotSignedIn("This screen needs an unlocked store.")
    return session
