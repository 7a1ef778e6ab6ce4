"""Starting the Textual app from the CLI: the only path that imports Textual."""

from __future__ import annotations

import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path


def run_app(store_dir: Path, start: str = "home", debug: bool = False) -> int:
    """Run SafeDesk full-screen; `start` is "home" (setup or unlock first) or "guide"."""
    from safedesk.app import SafeDeskApp

    app = SafeDeskApp(store_dir=store_dir, start=start, debug=debug)
    # The CLI escapes what it prints (safedesk.cli.output); the app draws on the terminal
    # itself, and its crash report is Rich output meant for the real streams.
    with redirect_stdout(sys.__stdout__), redirect_stderr(sys.__stderr__):
        app.run()
    return app.return_code or 0
