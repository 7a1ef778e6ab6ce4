"""Starting the Textual app from the CLI: the only path that imports Textual."""

from __future__ import annotations

from pathlib import Path


def run_app(store_dir: Path, start: str = "home", debug: bool = False) -> int:
    """Run SafeDesk full-screen; `start` is "home" (setup or unlock first) or "guide"."""
    from safedesk.app import SafeDeskApp

    app = SafeDeskApp(store_dir=store_dir, start=start, debug=debug)
    app.run()
    return app.return_code or 0
