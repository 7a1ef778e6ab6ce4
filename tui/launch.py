"""Starting the Textual app from the CLI: the only path that imports Textual."""

from __future__ import annotations

import gc
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path


def run_app(store_dir: Path, start: str = "home", debug: bool = False) -> int:
    """Run SafeDesk full-screen; `start` is "home" (setup or unlock first) or "guide"."""
    # Importing Textual and building the first screen make a few hundred thousand objects, and
    # the cycle collections they set off cost `safedesk guide` ~35 ms before its first frame
    # (python -m bench guide): the collector is off until that frame is drawn (SafeDeskApp.on_ready).
    gc.disable()
    try:
        from safedesk.app import SafeDeskApp

        app = SafeDeskApp(store_dir=store_dir, start=start, debug=debug, collector_held=True)
        # The CLI escapes what it prints (safedesk.cli.output); the app draws on the terminal
        # itself, and its crash report is Rich output meant for the real streams.
        with redirect_stdout(sys.__stdout__), redirect_stderr(sys.__stderr__):
            app.run()
    finally:
        gc.enable()  # also when the app stopped before drawing anything
    return app.return_code or 0
