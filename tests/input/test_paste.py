"""Pastes are text: one inert insertion, in every input, never dispatched as keys.

The hostile paste holds BEL (Ctrl+G opens the guidance), DC1 (Ctrl+Q quits), a CSI
that clears the screen and an OSC 52 clipboard write.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from textual import events
from textual._xterm_parser import XTermParser
from textual.widgets import Input, TextArea

from safedesk.app import SafeDeskApp
from safedesk.router import open_screen
from safedesk.store.text.clean import typed_path
from safedesk.widgets.paste import InertPasteParser, inert_paste_text
from tests.kit import SIZE, make_store, record_notifications, settle, unlock

HOSTILE = "\x07\x11abc\x1b[2J\x11def\x1b]52;c;aGk=\x07\u202eghi"
BRACKETED = f"\x1b[200~{HOSTILE}\x1b[201~"
INERT = "abc[2Jdef]52;c;aGk=ghi"


def parse(parser: XTermParser, *chunks: str) -> list[events.Event]:
    return [event for chunk in chunks if chunk for event in parser.feed(chunk) if isinstance(event, events.Event)]


def test_textual_alone_dispatches_a_pasted_escape_sequence_as_keys() -> None:
    # Why InertPasteParser exists: if this starts to fail, Textual fixed it and the parser can go.
    keys = [e.key for e in parse(XTermParser(), BRACKETED) if isinstance(e, events.Key)]
    assert "ctrl+q" in keys


@pytest.mark.parametrize("split", range(len(BRACKETED) + 1))
def test_a_bracketed_paste_is_one_paste_event_however_the_reads_split_it(split: int) -> None:
    got = parse(InertPasteParser(), "x", BRACKETED[:split], BRACKETED[split:], "y")
    assert [e.key for e in got if isinstance(e, events.Key)] == ["x", "y"]
    pastes = [e for e in got if isinstance(e, events.Paste)]
    assert len(pastes) == 1
    assert inert_paste_text(pastes[0].text, one_line=True) == INERT


def test_keys_and_sequences_outside_a_paste_are_untouched() -> None:
    got = parse(InertPasteParser(), "a\x1b[A\x11", "\x1b[200~one\x1b[201~", "\x1b[B")
    assert [getattr(e, "key", None) or e.text for e in got] == ["a", "up", "ctrl+q", "one", "down"]  # type: ignore[attr-defined]


def test_pasted_text_loses_controls_only() -> None:
    assert inert_paste_text(HOSTILE, one_line=False) == INERT
    assert inert_paste_text("Zoë\tعربي\r\nline two\n", one_line=False) == "Zoë عربي\nline two\n"
    # A one-line field keeps every line, joined, instead of only the first.
    assert inert_paste_text("first\nsecond\r\nthird", one_line=True) == "first second third"


def test_the_app_reads_the_terminal_with_the_inert_parser(store_dir: Path) -> None:
    import textual.drivers.linux_driver as linux_driver

    SafeDeskApp(store_dir)
    assert linux_driver.XTermParser is InertPasteParser


async def test_a_paste_into_passphrase_input_and_text_area_is_inert(store_dir: Path) -> None:
    make_store(store_dir).close()
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        secret = app.screen.query_one("#passphrase", Input)
        assert secret.password and app.focused is secret
        app.post_message(events.Paste(HOSTILE))
        await pilot.pause()
        assert secret.value == INERT
        await unlock(app, pilot, "wrong")  # the app is still there, on the unlock screen

        await unlock(app, pilot)
        open_screen(app, "incident-form")
        await pilot.pause()
        title = app.screen.query_one("#title", Input)
        assert app.focused is title
        app.post_message(events.Paste(HOSTILE + "\nsecond line"))
        await pilot.pause()
        assert title.value == INERT + " second line"

        description = app.screen.query_one("#description", TextArea)
        description.focus()
        await pilot.pause()
        app.post_message(events.Paste(HOSTILE + "\nsecond line"))
        await settle(app, pilot)
        assert description.text == INERT + "\nsecond line"
        assert app.is_running and app.screen.query("#description")  # nothing opened on top


@pytest.mark.parametrize(
    ("typed", "path"),
    [
        ("'/Users/sam/My Files/pupils.csv'", "/Users/sam/My Files/pupils.csv"),  # dropped on macOS/Linux
        ('"C:\\Users\\sam\\My Files\\pupils.csv"', "C:\\Users\\sam\\My Files\\pupils.csv"),  # dropped on Windows
        ("  /tmp/plain.csv  ", "/tmp/plain.csv"),
        ("'/tmp/it's.csv'", "/tmp/it's.csv"),  # one pair only: the quote inside stays
    ],
)
def test_a_dropped_or_quoted_path_is_the_file(typed: str, path: str) -> None:
    assert str(typed_path(typed)) == str(Path(path))


def test_a_path_dropped_in_macos_terminal_has_its_spaces_unescaped() -> None:
    expected = "/Users/sam/My Files/a.csv" if os.sep == "/" else "\\Users\\sam\\My\\ Files\\a.csv"
    assert str(typed_path("/Users/sam/My\\ Files/a.csv")) == str(Path(expected))
    assert str(typed_path("~/a.csv")) == str(Path.home() / "a.csv")
    assert typed_path("  ") == Path()


async def test_a_paste_longer_than_the_field_is_cut_with_a_notice(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_store(store_dir).close()
    app = SafeDeskApp(store_dir)
    seen = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        open_screen(app, "incident-form")
        await pilot.pause()
        title = app.screen.query_one("#title", Input)
        assert title.max_length == 200
        await pilot.press(*"Start ")
        app.post_message(events.Paste("x" * 4096))  # Textual alone would drop all of it
        await pilot.pause()
        assert title.value == "Start " + "x" * 194
        assert any("cut to fit" in n and "200" in n for n in seen)
