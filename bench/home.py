"""`python -m bench home`: the home dashboard with every feature's benchmark data at once.

One store holds 5,000 incidents (20,000 chronology entries, 1,000 actions),
2,000 pupils with six consent purposes each, and 100 official accounts. Times
the home screen from being asked for to drawn (Pilot, 80x24), against the same
screen over an empty store in the same run, and the headless parts (the
attention items and the figures) on their own.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bench.accounts import fill_accounts
from bench.consents import make_csv
from bench.incidents import PASSPHRASE, fill_incidents
from bench.stats import median, ms
from safedesk.store.engine.keys import crypto
from safedesk.store.engine.session import OpenOptions, Session


def build(folder: Path, full: bool) -> None:
    session, _ = Session.create(folder, "Bench Primary", "Bench DSL", PASSPHRASE, OpenOptions(kdf=crypto.fast_params_for_tests()))
    if full:
        from safedesk.store.consents.importer import apply_import, plan_import

        fill_incidents(session, 5000, 20000)
        apply_import(session, plan_import(session, make_csv(2000, seed=5), "mis.csv"))
        fill_accounts(session, 100)
    session.vault.compact()
    session.close()


async def time_home(folder: Path, rounds: int) -> list[float]:
    from textual.widgets import Input

    from safedesk.app import SafeDeskApp
    from safedesk.screens.home import HomeScreen

    app = SafeDeskApp(folder)
    times: list[float] = []
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.query_one("#passphrase", Input).value = PASSPHRASE
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        for _ in range(rounds):
            start = time.perf_counter()
            await app.push_screen(HomeScreen())
            await pilot.pause()
            times.append((time.perf_counter() - start) * 1000)
            await app.pop_screen()
            await pilot.pause()
    return times


def headless(folder: Path, rounds: int) -> tuple[list[float], list[float]]:
    from safedesk.store.dashboard.figures import figures
    from safedesk.store.features import attention

    items: list[float] = []
    figs: list[float] = []
    with Session.open(folder, PASSPHRASE) as session:
        for _ in range(rounds):
            start = time.perf_counter()
            attention(session)
            items.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            figures(session)
            figs.append((time.perf_counter() - start) * 1000)
    return items, figs


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench home")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        full, empty = Path(work) / "full", Path(work) / "empty"
        build(full, True)
        build(empty, False)
        full_times = asyncio.run(time_home(full, args.rounds))
        empty_times = asyncio.run(time_home(empty, args.rounds))
        items, figs = headless(full, args.rounds)
    print("home: 5,000 incidents, 20,000 chronology entries, 1,000 actions, 2,000 pupils x 6 purposes, 100 accounts")
    print(f"home screen ready      p50 {ms(median(full_times))}   (Pilot, 80x24, {args.rounds} runs; target <= 300 ms)")
    print(f"  same, empty store        {ms(median(empty_times))}   ratio {median(full_times) / median(empty_times):.2f}x")
    print(f"attention items        p50 {ms(median(items))}")
    print(f"figures (counts, months) p50 {ms(median(figs))}")
    return 0
