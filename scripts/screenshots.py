"""Render SVG screenshots of SafeDesk's main screens, with demo data, into docs/screenshots/.

    python scripts/screenshots.py [--out docs/screenshots] [--size 100x30]

Everything shown is the fictional demo store (`safedesk demo`); nothing real is read.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

from safedesk.app import SafeDeskApp
from safedesk.screens.guide import GuideScreen
from safedesk.store.demo.data import build_demo

ROOT = Path(__file__).resolve().parents[1]

Step = Callable[[SafeDeskApp, Pilot[int]], Awaitable[None]]


async def _keys(pilot: Pilot[int], *keys: str) -> None:
    await pilot.press(*keys)
    await pilot.pause(0.3)


async def home(app: SafeDeskApp, pilot: Pilot[int]) -> None:
    await pilot.pause(0.5)


async def triage(app: SafeDeskApp, pilot: Pilot[int]) -> None:
    await _keys(pilot, "ctrl+t", "2", "2")


async def triage_steps(app: SafeDeskApp, pilot: Pilot[int]) -> None:
    await _keys(pilot, "ctrl+t", "2", "3", "5", "2", "1", "1")


async def guide(app: SafeDeskApp, pilot: Pilot[int]) -> None:
    await _keys(pilot, "g")
    screen = app.screen
    assert isinstance(screen, GuideScreen), screen
    screen.open_card("pb-nude-image-of-child")
    await pilot.pause(0.3)


async def incidents(app: SafeDeskApp, pilot: Pilot[int]) -> None:
    await _keys(pilot, "i")


async def incident_chronology(app: SafeDeskApp, pilot: Pilot[int]) -> None:
    await _keys(pilot, "i")
    await _keys(pilot, "down", "enter", "2")


async def consents(app: SafeDeskApp, pilot: Pilot[int]) -> None:
    await _keys(pilot, "c")


async def accounts(app: SafeDeskApp, pilot: Pilot[int]) -> None:
    await _keys(pilot, "a")


async def reports(app: SafeDeskApp, pilot: Pilot[int]) -> None:
    await _keys(pilot, "r")


async def locked(app: SafeDeskApp, pilot: Pilot[int]) -> None:
    await _keys(pilot, "ctrl+l")


SHOTS: dict[str, Step] = {
    "home": home,
    "triage-question": triage,
    "triage-steps": triage_steps,
    "guide": guide,
    "incidents": incidents,
    "incident-chronology": incident_chronology,
    "consents": consents,
    "accounts": accounts,
    "reports": reports,
    "locked": locked,
}


async def shoot(store: Path, out: Path, size: tuple[int, int]) -> list[Path]:
    written: list[Path] = []
    for name, step in SHOTS.items():
        app = SafeDeskApp(store, start="demo")
        async with app.run_test(size=size) as pilot:
            await pilot.pause(0.3)
            app.clear_notifications()
            await step(app, pilot)
            written.append(Path(app.save_screenshot(filename=f"{name}.svg", path=str(out))))
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--size", default="100x30")
    args = parser.parse_args(argv)
    width, height = (int(n) for n in args.size.lower().split("x"))
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="safedesk-shots-") as folder:
        store = Path(folder) / "store"
        build_demo(store)
        for path in asyncio.run(shoot(store, args.out, (width, height))):
            print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
