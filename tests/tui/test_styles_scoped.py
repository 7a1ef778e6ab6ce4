"""Every screen's stylesheet stays on its own screen.

Textual reads a screen's CSS_PATH into the one app-wide stylesheet the first time the screen
opens, so a bare `DataTable {}` in one screen's file would restyle every screen opened after it.
Each rule in screens/**/*.tcss must therefore start with (or nest under) a screen type from
safedesk.screens, and a class that several screens use lives once in the app's stylesheet.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.screen import Screen

import safedesk
import safedesk.screens

SCREENS_DIR = Path(safedesk.screens.__file__).parent
APP_TCSS = Path(safedesk.__file__).parent / "app.tcss"
SHEETS = sorted(SCREENS_DIR.rglob("*.tcss"))

_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_CLASS = re.compile(r"\.(-?[A-Za-z_][\w-]*)")
_FIRST_TYPE = re.compile(r"[A-Za-z_][\w-]*")


def selectors(css: str) -> Iterator[tuple[int, str]]:
    """Each rule's selector list with the depth it is nested at (0 = top level)."""
    depth = 0
    start = 0
    css = _COMMENT.sub(" ", css)
    for at, char in enumerate(css):
        if char == "{":
            yield depth, css[start:at].strip()
            depth += 1
            start = at + 1
        elif char == "}":
            depth -= 1
            start = at + 1
        elif char == ";":
            start = at + 1
    assert depth == 0, "unbalanced braces"


def unscoped(css: str, screen_types: set[str]) -> list[str]:
    """Top-level selectors that do not start with one of `screen_types`."""
    bad = []
    for depth, selector_list in selectors(css):
        if depth:
            continue
        for selector in selector_list.split(","):
            first = _FIRST_TYPE.match(selector.strip())
            if first is None or first.group() not in screen_types:
                bad.append(selector.strip())
    return bad


def classes(css: str) -> set[str]:
    """Classes a sheet styles; a state class on one id (`#flag.shown`) belongs to that widget, not shared."""
    return {
        name
        for _, selector_list in selectors(css)
        for compound in re.split(r"[\s>,]+", selector_list)
        if "#" not in compound
        for name in _CLASS.findall(compound)
    }


def screen_types() -> set[str]:
    """The name of every Screen (and ModalScreen) subclass defined in safedesk.screens."""
    names = set()
    for module in pkgutil.walk_packages(safedesk.screens.__path__, "safedesk.screens."):
        for name, value in inspect.getmembers(importlib.import_module(module.name), inspect.isclass):
            if issubclass(value, Screen) and value.__module__ == module.name:
                names.add(name)
    return names


def test_the_checks_catch_a_leak() -> None:
    """The tokenizer itself: a bare rule and a rule scoped under a widget are both caught."""
    css = "/* c */ HomeScreen { #a.on { x: 1; } .b { y: 2; } }\nDataTable { height: 1fr; }\nStatic .c, HomeScreen>.d {}"
    assert unscoped(css, {"HomeScreen"}) == ["DataTable", "Static .c"]
    assert classes(css) == {"b", "c", "d"}


def test_screen_sheets_exist() -> None:
    assert len(SHEETS) > 20


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda p: str(p.relative_to(SCREENS_DIR)))
def test_every_rule_is_under_a_screen(sheet: Path) -> None:
    assert unscoped(sheet.read_text(encoding="utf-8"), screen_types()) == []


def test_no_class_is_defined_by_two_screen_sheets() -> None:
    shared = classes(APP_TCSS.read_text(encoding="utf-8"))
    where: dict[str, list[str]] = {}
    for sheet in SHEETS:
        for name in classes(sheet.read_text(encoding="utf-8")) - shared:
            where.setdefault(name, []).append(str(sheet.relative_to(SCREENS_DIR)))
    assert {name: files for name, files in where.items() if len(files) > 1} == {}
