"""`python -m bench tui`: how fast the app is there for a person, as ratios measured in one run.

- First paint: `safedesk guide` from spawning the process until its topics and then its first
  card's words are in what it drew on a pseudo-terminal of 80x24, against a minimal Textual app
  (Header, Static, Footer) timed the same way to its text (target <= 1.3x), and against the
  guide's own widgets and CSS without SafeDesk's code (how much of the time is Textual's).
- Unlock -> home: from Enter on the unlock screen to the home screen drawn (Pilot, 80x24),
  on a store of 10,000 records (2,000 incidents, 8,000 chronology entries) against an
  empty store (target <= 2x). Both stores use the cheap test KDF, so key derivation
  (the same for every store) does not hide the difference.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bench.guide import bench_first_paint, print_first_paint
from bench.incidents import PASSPHRASE, fill_incidents
from bench.stats import median, ms
from safedesk.store.engine.keys import crypto
from safedesk.store.engine.session import OpenOptions, Session


def build(folder: Path, incidents: int, entries: int) -> None:
    session, _ = Session.create(folder, "Bench Primary", "Bench DSL", PASSPHRASE, OpenOptions(kdf=crypto.fast_params_for_tests()))
    if incidents:
        fill_incidents(session, incidents, entries)
    session.vault.compact()
    session.close()


async def time_unlock(folder: Path) -> float:
    """Milliseconds from Enter on the unlock screen to the home screen drawn."""
    from textual.widgets import Input

    from safedesk.app import SafeDeskApp
    from safedesk.screens.home import HomeScreen

    app = SafeDeskApp(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.screen.query_one("#passphrase", Input).value = PASSPHRASE
        start = time.perf_counter()
        await pilot.press("enter")
        while not isinstance(app.screen, HomeScreen):
            await app.workers.wait_for_complete()
            await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        return (time.perf_counter() - start) * 1000


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench tui", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each measurement")
    args = parser.parse_args(argv)

    print_first_paint(bench_first_paint(args.runs), args.runs)

    with tempfile.TemporaryDirectory() as work:
        full, empty = Path(work) / "full", Path(work) / "empty"
        build(full, 2000, 8000)
        build(empty, 0, 0)
        full_times = [asyncio.run(time_unlock(full)) for _ in range(args.runs)]
        empty_times = [asyncio.run(time_unlock(empty)) for _ in range(args.runs)]
    print(f"unlock->home 10,000 records {ms(median(full_times))}")
    print(f"unlock->home empty store    {ms(median(empty_times))}")
    print(f"unlock->home ratio          {median(full_times) / median(empty_times):8.2f}x   (median of {args.runs}; target <= 2x)")
    return 0
