"""`safedesk guide` paints without importing what it does not need (issue 13, fast first paint).

The gain measured by `python -m bench tui` came mostly from not importing the store,
cryptography, the form widgets, the lock screen, the search index, markdown-it and Pygments
before the guide's first card is drawn. Timing is too noisy for a test on a shared machine; which modules a
fresh interpreter holds once the card is on screen is not, so that is what is guarded here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

# Imported where first needed, never before the guide's first card is drawn.
NOT_AT_START = (
    "tinydb",
    "cryptography",
    "pyrage",
    "zxcvbn",
    "openpyxl",
    "tomllib",  # the cards' front matter ships parsed
    "markdown_it",  # ... and so do their bodies (content/tokens.py)
    "rich.markdown",  # cards are drawn by widgets/card_markdown.py, as Rich's Markdown draws them
    "rich.syntax",
    "pygments",
    "safedesk.store.engine",  # the vault, key slots, sessions
    "safedesk.content.search",  # the index is built on the first search
    "safedesk.widgets.common",  # the form widgets (DataTable, TextArea, SelectionList...)
    "safedesk.widgets.forms",
    "safedesk.screens.lock",
    "safedesk.screens.home",
)

# The command's own path, `safedesk guide` as typed (no --store): the CLI, the guide command,
# launch's run_app, the app; headless (run_test) instead of taking over the terminal. Once the
# first card's text is drawn, every module the interpreter holds is listed.
_SCRIPT = """
import asyncio, json, sys
import safedesk.launch


async def main(store_dir, start):
    from safedesk.app import SafeDeskApp

    app = SafeDeskApp(store_dir, start=start)
    async with app.run_test(size=(80, 24)) as pilot:
        body = None
        for _ in range(200):
            await pilot.pause()
            try:
                body = app.screen.query_one("#card-body").plain_text()
            except Exception:
                continue
            if body.strip():
                break
        print(json.dumps({"card": body or "", "modules": sorted(sys.modules)}))


def run_app(store_dir, start="home", debug=False):
    asyncio.run(main(store_dir, start))
    return 0


safedesk.launch.run_app = run_app
from safedesk.cli.main import cli

cli.main(["guide"], prog_name="safedesk", standalone_mode=False)
"""


def _modules_once_painted() -> tuple[str, list[str]]:
    env = {name: value for name, value in os.environ.items() if name != "SAFEDESK_STORE"}
    result = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=120, check=True, env=env)
    found = json.loads(result.stdout.strip().splitlines()[-1])
    return found["card"], found["modules"]


def _held(modules: list[str], name: str) -> bool:
    return any(m == name or m.startswith(name + ".") for m in modules)


def test_the_guide_draws_its_first_card_without_the_store_forms_or_search() -> None:
    card, modules = _modules_once_painted()
    assert card.strip(), "the first card was never drawn"
    assert _held(modules, "safedesk.screens.guide")  # the check sees the app's own modules
    assert [name for name in NOT_AT_START if _held(modules, name)] == []
