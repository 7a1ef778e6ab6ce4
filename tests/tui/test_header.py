"""The header names the screen on top, and only that one (never an incident left behind)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from safedesk.app import SafeDeskApp
from safedesk.router import SCREENS, open_screen, screen_class
from tests.kit import SIZE, add_incident, make_store, unlock

ROOT = Path(__file__).resolve().parents[2]
SCREENS_DIR = ROOT / "screens"


@pytest.mark.parametrize("name", list(SCREENS))
def test_every_screen_has_a_name_for_the_header(name: str) -> None:
    assert screen_class(name).SUB_TITLE, f"{name} sets no SUB_TITLE"


def test_no_screen_sets_the_apps_sub_title() -> None:
    """The app's sub-title is the school's name; a screen setting it would leave its name behind."""
    found = []
    for path in SCREENS_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "sub_title" and isinstance(node.ctx, ast.Store):
                if isinstance(node.value, ast.Attribute) and node.value.attr == "app":
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []


def header_text(app: SafeDeskApp) -> str:
    from textual.widgets import Header

    return str(app.screen.query_one(Header).format_title())


async def test_the_header_follows_the_screen_on_top(store_dir: Path) -> None:
    with make_store(store_dir) as session:
        incident = add_incident(session)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        assert "Home · Oak Primary" in header_text(app)
        open_screen(app, "incident", incident.id)
        await pilot.pause()
        assert f"Incident {incident.ref} · Oak Primary" in header_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert incident.ref not in header_text(app) and "Home" in header_text(app)
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert "Guidance" in header_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert "Guidance" not in header_text(app) and "Home · Oak Primary" in header_text(app)
