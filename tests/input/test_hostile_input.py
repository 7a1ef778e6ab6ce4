"""Hostile text typed and pasted into every field of every form: kept as inert text.

Markup, terminal escapes (OSC 52 clipboard, OSC 8 links, CSI), bidirectional overrides,
zalgo, right-to-left text, NUL, spreadsheet formulas and a 4 KB line go into each field of
each form a key opens (the forms of test_keys_while_opening): the app keeps running on the
same form, no key or action is dispatched from them, no field holds a control character
and the terminal shows none.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual import events
from textual.widgets import Input, TextArea

from safedesk.app import SafeDeskApp
from safedesk.router import open_screen
from safedesk.widgets.common import Field
from safedesk.widgets.forms import Form
from tests.input.cases import CASES
from tests.kit import SIZE, burst, screen_text, seed_accounts, settle, unlock

# Printable hostile text, typed key by key (short: every field of every form gets it).
TYPED = "[@click=app.quit]q[/] [b =SUM(1) Z̷a̶ \u202eRLO ש"
# Pasted: longer hostile text, and what a terminal must never act on. BEL is Ctrl+G (guidance), DC1 Ctrl+Q (quit).
PASTED = [
    "[bold]b[/bold] [link=https://evil.example]l[/link] Z̷̡̛͚a̶̢l̸͎g̵̱o̴̗ مرحبا שלום"
    '=HYPERLINK("https://evil.example","x") +cmd|\' /C calc\'!A0 @SUM(1) -2+3',
    "osc52\x1b]52;c;ZXZpbA==\x07 osc8\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\ csi\x1b[2J\x1b[31m"
    "nul\x00 bel\x07 quit\x11 esc\x1b tab\t del\x7f c1\x9b31m",
    "A" * 4096,
]
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _fields(form: Form) -> list[Input | TextArea]:
    found = []
    for field in form.query(Field):
        control = field.control()
        if field.display and isinstance(control, Input | TextArea) and not control.disabled:
            found.append(control)
    return found


@pytest.mark.parametrize("case", list(CASES))
async def test_hostile_text_in_every_field_of_every_form_is_inert(store_dir: Path, case: str) -> None:
    seed_accounts(store_dir)
    where, key = CASES[case]
    name, args = where(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        open_screen(app, name, *args)
        await settle(app, pilot)
        await pilot.press(key)
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, Form)
        fields = _fields(form)
        assert fields, f"{case}: no text field found"
        for control in fields:
            control.focus()
            await pilot.pause()
            burst(app, TYPED)
            await settle(app, pilot)
            app.post_message(events.Paste("".join(PASTED)))  # one paste holding all of it
            await settle(app, pilot)
            assert app.is_running and app.screen is form, f"{case}: {control.id} left the form"
            value = control.value if isinstance(control, Input) else control.text
            assert value, f"{case}: {control.id} kept nothing"
            assert not CONTROL.search(value.replace("\n", "")), f"{case}: {control.id} holds {CONTROL.search(value)!r}"
            assert "[@click=app.quit]" in value or isinstance(control, Input) and control.max_length, case
        shown = screen_text(app)
        assert not CONTROL.search(shown), f"{case}: the screen shows a control character"
