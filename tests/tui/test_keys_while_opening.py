"""Keys typed before a form or dialog has finished opening land in its first field.

A key that opens a form is handled only once it has bubbled up to the screen's bindings;
the keys typed straight after it were handed to the screen underneath and lost (or ran its
shortcuts). Every case posts the opening key and the text in one burst, as a terminal
sends them, and finds the text whole in the form's focused field.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Select, TextArea

from safedesk.app import SafeDeskApp
from safedesk.router import open_screen
from safedesk.store.engine.session import Session
from safedesk.widgets.forms import Form
from tests.kit import PASSPHRASE, SIZE, add_incident, add_pupil, burst, seed_accounts, settle, unlock

TYPED = "Quick words"


def _with_incident(store: Path) -> tuple[str, tuple[Any, ...]]:
    with Session.open(store, PASSPHRASE) as session:
        incident = add_incident(session)
    return "incident", (incident.id,)


def _with_pupil(store: Path) -> tuple[str, tuple[Any, ...]]:
    with Session.open(store, PASSPHRASE) as session:
        pupil = add_pupil(session)
    return "pupil", (pupil.id,)


def _screen(name: str, *args: Any) -> Callable[[Path], tuple[str, tuple[Any, ...]]]:
    return lambda store: (name, args)


# (where the form opens from, the key that opens it)
CASES: dict[str, tuple[Callable[[Path], tuple[str, tuple[Any, ...]]], str]] = {
    "new incident": (_screen("home"), "n"),
    "incident list: new": (_screen("incidents"), "n"),
    "incident: amend": (_with_incident, "m"),
    "incident: note": (_with_incident, "t"),
    "incident: action": (_with_incident, "a"),
    "incident: escalation": (_with_incident, "e"),
    "incident: evidence file": (_with_incident, "f"),
    "incident: evidence description": (_with_incident, "d"),
    "incident: person": (_with_incident, "p"),
    "pupil list: add": (_screen("consents"), "a"),
    "pupil: edit": (_with_pupil, "e"),
    "accounts: new": (_screen("accounts"), "n"),
    "staff: add": (_screen("staff"), "n"),
    "account: edit": (_screen("account", 1), "e"),
    "account: admin": (_screen("account", 1), "d"),
    "login: edit": (_screen("credential", 1), "e"),
    "keys: add a deputy's key": (_screen("keys"), "a"),
    "keys: change a label": (_screen("keys"), "l"),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_keys_typed_while_a_form_opens_land_in_its_first_field(store_dir: Path, case: str) -> None:
    seed_accounts(store_dir)
    where, key = CASES[case]
    name, args = where(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        open_screen(app, name, *args)
        await settle(app, pilot)
        underneath = app.screen
        burst(app, key, TYPED)
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, Form) and form is not underneath
        focused = app.focused
        assert focused is not None and focused is form.first_field()
        if isinstance(focused, Input | TextArea):
            assert (focused.value if isinstance(focused, Input) else focused.text) == TYPED
        else:  # a list first (a platform, a member of staff): the letters searched it, and it is still open
            assert isinstance(focused, Select)


async def test_tab_and_text_straight_after_choosing_in_a_list_land_in_the_next_field(store_dir: Path) -> None:
    # Enter on a Select's open list gives the focus back to the Select two messages later: a Tab
    # handed out before then went to the closing list, and the text after it was lost.
    seed_accounts(store_dir)
    name, args = _with_incident(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        open_screen(app, name, *args)
        await settle(app, pilot)
        burst(app, "e", "enter", "down", "down", "down", "enter", "tab", "tab", TYPED)
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, Form)
        assert (form.value("target"), form.value("at"), form.value("contact")) == ("lado", "now", TYPED)
