"""Starting the Textual app from the CLI: the only path that imports Textual."""

from __future__ import annotations

import gc
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

# Whether run_app holds Python's cycle collector off until the first frame is drawn.
_held = False


def run_app(store_dir: Path, start: str = "home", debug: bool = False) -> int:
    """Run SafeDesk full-screen; `start` is "home" (setup or unlock first) or "guide"."""
    global _held
    # Importing Textual and building the first screen make a few hundred thousand objects, and
    # the cycle collections they set off cost `safedesk guide` ~35 ms before its first frame
    # (python -m bench guide): the collector waits until that frame is up (first_frame_drawn).
    _held = True
    gc.disable()
    try:
        from safedesk.app import SafeDeskApp

        app = SafeDeskApp(store_dir=store_dir, start=start, debug=debug)
        # The CLI escapes what it prints (safedesk.cli.output); the app draws on the terminal
        # itself, and its crash report is Rich output meant for the real streams.
        with redirect_stdout(sys.__stdout__), redirect_stderr(sys.__stderr__):
            app.run()
    finally:
        first_frame_drawn()  # an app that stopped before drawing anything
    return app.return_code or 0


def first_frame_drawn() -> None:
    """The collector back on once the app's first frame is drawn. What start-up made (modules,
    styles, the cards) lives as long as the app: it is frozen (gc.freeze), so later collections
    do not walk it again and again. A no-op unless run_app held the collector off."""
    global _held
    if _held:
        _held = False
        gc.freeze()
        gc.enable()
