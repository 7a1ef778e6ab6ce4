"""Keys typed before a form or dialog has finished opening land in its first field.

A key that opens a form is handled only once it has bubbled up to the screen's bindings;
the keys typed straight after it were handed to the screen underneath and lost (or ran its
shortcuts). Every case posts the opening key and the text in one burst, as a terminal
sends them, and finds the text whole in the form's focused field.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Select, TextArea

from safedesk.app import SafeDeskApp
from safedesk.router import open_screen
from safedesk.widgets.forms import Form
from tests.input.cases import CASES, TYPED, with_incident
from tests.kit import SIZE, burst, seed_accounts, settle, unlock


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
    name, args = with_incident(store_dir)
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
