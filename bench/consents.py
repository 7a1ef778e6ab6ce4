"""`python -m bench consents`: MIS import, the pre-publish check, and the pupil list screen.

- import: a CSV of 2,000 pupils x 6 purposes into an empty store (parse + plan +
  one transaction), then the same file again (known by its SHA-256: nothing to change) and a
  re-saved copy of it (other bytes, same rows: every entry found already recorded);
- check: 30 pupils against one purpose in a store of 5,000, three ways: from
  list rows (the TUI), from decoded records, and resolving names first (the CLI);
- list: the pupil list screen, driven with Pilot at 80x24, until its table holds
  5,000 rows: with the pupil index already built (as after the home screen) and
  cold; beside it the same screen over an empty store and a bare Header+Footer
  screen, so the share that is Textual's own is visible.

The stores use a deliberately cheap KDF: unlocking is not what is measured here.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bench.stats import median, ms, percentile, time_each
from safedesk.store.engine.keys import crypto
from safedesk.store.engine.session import OpenOptions, Session

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.pilot import Pilot
    from textual.screen import Screen

PASSPHRASE = "correct horse battery staple"
FORENAMES = ("Amelia", "Oliver", "Zoë", "Muhammad", "Siobhán", "Jack", "Aisha", "Noah", "Chloé", "Leo", "Maya", "Kacper")
SURNAMES = ("Smith", "O'Brien", "Nowak", "Khan", "Smith-Jones", "Williams", "Brown", "Ní Bhriain", "Taylor", "Evans")
HEADER = (
    "UPN,Legal Forename,Legal Surname,Preferred Forename,Year,Reg Group,Website,Social media,Newsletters,Press,"
    "Video,Displays,Consent given by,Relationship,Parental responsibility,Date given,Review date,Never publish"
)


def make_csv(count: int, seed: int = 7) -> bytes:
    """A MIS-style export (Excel's CSV UTF-8: BOM, CRLF, quoting) of `count` pupils."""
    rng = random.Random(seed)
    lines = [HEADER]
    for i in range(count):
        statuses = [rng.choice(("Yes", "Yes", "Yes", "No", "Not asked")) for _ in range(6)]
        never = "Looked after" if i % 97 == 0 else ""
        year = i % 7 + 1
        lines.append(
            f'A{i:07d},{rng.choice(FORENAMES)},"{rng.choice(SURNAMES)}",,{year},{year}{"ABC"[i % 3]},'
            + ",".join(statuses)
            + f',"Parent {i}, Carer",Mother,Yes,{rng.randint(1, 28):02d}/09/2025,31/08/2027,{never}'
        )
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def _new_store(folder: Path) -> Session:
    session, _ = Session.create(folder, "Bench Primary", "Bench DSL", PASSPHRASE, OpenOptions(kdf=crypto.fast_params_for_tests()))
    return session


def bench_import(pupils: int, rounds: int) -> dict[str, list[float]]:
    from safedesk.store.consents.importer import apply_import, plan_import

    data = make_csv(pupils)
    # The same rows saved again (Unix line endings, no BOM): other bytes, so the content check does the work.
    resaved = data.removeprefix("\ufeff".encode()).replace(b"\r\n", b"\n")
    out: dict[str, list[float]] = {"plan": [], "apply": [], "total": [], "again": [], "resaved": []}
    for _ in range(rounds):
        work = Path(tempfile.mkdtemp(prefix="safedesk-bench-"))
        try:
            session = _new_store(work / "store")
            start = time.perf_counter()
            plan = plan_import(session, data, "export.csv")
            planned = time.perf_counter()
            outcome = apply_import(session, plan)
            done = time.perf_counter()
            if outcome.added != pupils:  # a wrong count would make the timing meaningless
                raise SystemExit(f"import added {outcome.added} pupils, expected {pupils}")
            start_again = time.perf_counter()
            again = plan_import(session, data, "export.csv")
            apply_import(session, again)
            out["again"].append((time.perf_counter() - start_again) * 1000)
            start_resaved = time.perf_counter()
            other = plan_import(session, resaved, "export (1).csv")
            if other.changes:  # a re-saved copy must change nothing either
                raise SystemExit("re-importing the re-saved file would change pupils")
            apply_import(session, other)
            out["resaved"].append((time.perf_counter() - start_resaved) * 1000)
            out["plan"].append((planned - start) * 1000)
            out["apply"].append((done - planned) * 1000)
            out["total"].append((done - start) * 1000)
            session.close()
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return out


def _filled_store(folder: Path, pupils: int) -> Session:
    from safedesk.store.consents.importer import apply_import, plan_import

    session = _new_store(folder)
    apply_import(session, plan_import(session, make_csv(pupils, seed=11), "export.csv"))
    return session


def bench_check(session: Session, picked: int, samples: int) -> dict[str, list[float]]:
    from safedesk.store.consents.check import check_pupils, check_rows, resolve_row
    from safedesk.store.consents.pupils import PupilRow, Purpose, get_pupil, pupil_index

    rng = random.Random(3)
    index = pupil_index(session)
    ids = rng.sample([r.id for r in index.rows], picked)
    mis_ids = [index.by_id[i].mis_id for i in ids]
    records = [get_pupil(session, i) for i in ids]
    purpose = (Purpose.SOCIAL_MEDIA,)

    def from_rows(_i: int) -> None:
        check_rows([pupil_index(session).by_id[i] for i in ids], purpose)

    def from_records(_i: int) -> None:
        check_pupils(records, purpose)

    def resolved(mis_id: str) -> PupilRow:
        row = resolve_row(session, mis_id)[0]
        assert row is not None, mis_id  # every id was picked from this store
        return row

    def by_name(_i: int) -> None:
        check_rows([resolved(m) for m in mis_ids], purpose, index=pupil_index(session))

    return {
        "rows (TUI)": time_each(from_rows, samples),
        "records": time_each(from_records, samples),
        "resolve + check (CLI)": time_each(by_name, samples),
    }


async def _time_screen(
    pilot: Pilot[int], make_screen: Callable[[], Screen[None]], ready: Callable[[Screen[object]], bool]
) -> float:
    """Push a screen, let it process what mounting queued, check `ready(screen)`; milliseconds."""
    app = pilot.app
    start = time.perf_counter()
    await app.push_screen(make_screen())
    await pilot.pause()
    elapsed = (time.perf_counter() - start) * 1000
    if not ready(app.screen):
        raise SystemExit(f"{type(app.screen).__name__} was not ready after mounting")
    await app.pop_screen()
    await pilot.pause()
    return elapsed


async def _bench_list(session: Session, empty: Session, rounds: int) -> dict[str, list[float]]:
    from textual.screen import Screen
    from textual.widgets import Footer, Header, Static

    from safedesk.app import SafeDeskApp
    from safedesk.screens.consents.pupils import ConsentsScreen
    from safedesk.store.consents import pupils as consents
    from safedesk.widgets.row_table import RowTable

    class Bare(Screen[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            yield Static("bare")
            yield Footer()

    total = consents.pupil_index(session).rows.__len__()
    out: dict[str, list[float]] = {"warm index": [], "cold index": [], "empty store": [], "bare screen": []}
    app = SafeDeskApp(session.folder)
    async with app.run_test(size=(80, 24)) as pilot:
        app.session = session
        await pilot.pause()

        def full(screen: Screen[object]) -> bool:
            if not isinstance(screen, ConsentsScreen):
                return False
            tables = screen.query(RowTable)
            return bool(tables) and tables.first().row_count == total

        await _time_screen(pilot, ConsentsScreen, full)  # first use loads the screen's CSS: not counted
        for _ in range(rounds):
            consents._INDEXES.pop(session, None)  # noqa: SLF001 - measure the index build too
            out["cold index"].append(await _time_screen(pilot, ConsentsScreen, full))
            out["warm index"].append(await _time_screen(pilot, ConsentsScreen, full))
            out["bare screen"].append(await _time_screen(pilot, Bare, lambda s: isinstance(s, Bare)))
        app.session = empty
        for _ in range(rounds):
            out["empty store"].append(await _time_screen(pilot, ConsentsScreen, lambda s: isinstance(s, ConsentsScreen)))
        app.session = None
    return out


def _machine_ms() -> float:
    """A fixed pure-Python loop, timed: read the figures below against it (a busy machine shows here too)."""

    def spin(_i: int) -> None:
        total = 0
        for n in range(1_000_000):
            total += n

    return median(time_each(spin, 5))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench consents", description=__doc__.splitlines()[0])
    parser.add_argument("--import-pupils", type=int, default=2000)
    parser.add_argument("--import-rounds", type=int, default=5)
    parser.add_argument("--pupils", type=int, default=5000, help="pupils in the store for the check and the list")
    parser.add_argument("--picked", type=int, default=30)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--list-rounds", type=int, default=9)
    args = parser.parse_args(argv)

    print(f"machine: a 1,000,000-step Python loop takes {ms(_machine_ms()).strip()} (median of 5)")
    print()
    print(f"import: {args.import_pupils:,} pupils x 6 purposes, {args.import_rounds} rounds (parse + plan + one transaction)")
    imp = bench_import(args.import_pupils, args.import_rounds)
    for key in ("plan", "apply", "total", "again", "resaved"):
        label = {"again": "re-import (no change)", "resaved": "re-saved copy"}.get(key, key)
        print(f"  {label:<24} p50 {ms(median(imp[key]))}   max {ms(max(imp[key]))}")
    print(f"  target total <= 3000 ms: {median(imp['total']) / 3000:.2f}x of target")

    work = Path(tempfile.mkdtemp(prefix="safedesk-bench-"))
    try:
        session = _filled_store(work / "store", args.pupils)
        empty = _new_store(work / "empty")
        print()
        print(f"check: {args.picked} pupils, one purpose, store of {args.pupils:,} pupils, {args.samples} samples")
        checks = bench_check(session, args.picked, args.samples)
        for label, samples in checks.items():
            print(f"  {label:<24} p50 {ms(median(samples))}   p95 {ms(percentile(samples, 95))}")
        print(f"  target <= 20 ms: CLI path p95 is {percentile(checks['resolve + check (CLI)'], 95) / 20:.2f}x of target")

        print()
        print(f"pupil list screen (Pilot, 80x24) until its table holds {args.pupils:,} rows, {args.list_rounds} rounds")
        screens = asyncio.run(_bench_list(session, empty, args.list_rounds))
        for label, samples in screens.items():
            print(f"  {label:<24} p50 {ms(median(samples))}   p95 {ms(percentile(samples, 95))}")
        warm, bare = median(screens["warm index"]), median(screens["bare screen"])
        print(
            f"  target <= 300 ms: warm {warm / 300:.2f}x, cold {median(screens['cold index']) / 300:.2f}x of target;"
            f" a bare Header+Footer screen is {bare / warm:.0%} of the warm figure"
        )
        session.close()
        empty.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0
