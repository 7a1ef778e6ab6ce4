"""What Pilot tests share: wait for workers, sign in, read the errors shown by fields."""

from __future__ import annotations

from textual.widgets import Input

from safedesk.widgets.common import FieldError
from tests.conftest import PASSPHRASE


async def settle(app, pilot) -> None:  # type: ignore[no-untyped-def]
    """Let thread workers finish and the screen catch up."""
    await app.workers.wait_for_complete()
    await pilot.pause()


async def unlock(app, pilot, passphrase: str = PASSPHRASE) -> None:  # type: ignore[no-untyped-def]
    """Type the passphrase on the unlock screen and wait for the unlock worker."""
    app.screen.query_one("#passphrase", Input).value = passphrase
    await pilot.press("enter")
    await settle(app, pilot)


def shown_errors(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(e.render()) for e in app.screen.query(FieldError) if e.has_class("shown")]
