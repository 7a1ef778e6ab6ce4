"""`python -m bench guide`: index build, search latency and quality, card open time, first paint.

Quality is measured on tests/data/search_questions.toml: queries a DSL would type,
each with the card that must come first (`within = 1`) or in the top three.
Card open time is measured in the real guidance screen with Pilot, over every
card. First paint compares `safedesk guide` (CLI import, app start, first card
drawn) with a minimal Textual app (Header, Static, Footer), each in a fresh
process on a pseudo-terminal of 80x24, same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from bench.stats import median, ms, percentile
from safedesk.content.library import Library
from safedesk.content.search import SearchIndex

QUESTIONS_FILE = Path(__file__).resolve().parents[1] / "tests" / "data" / "search_questions.toml"


@dataclass(frozen=True)
class Question:
    query: str
    expect: str
    within: int


@dataclass(frozen=True)
class QualityReport:
    total: int
    hit_count: int
    misses: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.hit_count / self.total if self.total else 0.0


def load_questions(path: Path = QUESTIONS_FILE) -> list[Question]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [Question(q["query"], q["expect"], int(q.get("within", 1))) for q in data["question"]]


def evaluate(index: SearchIndex, questions: list[Question]) -> QualityReport:
    """How many questions find their card within the rank they allow; the misses, described."""
    misses = []
    for q in questions:
        found = [hit.id for hit in index.search(q.query, limit=max(q.within, 5)).hits]
        if q.expect not in found[: q.within]:
            rank = found.index(q.expect) + 1 if q.expect in found else None
            misses.append(f"{q.query!r}: want {q.expect} within {q.within}, got rank {rank}; top: {found[:3]}")
    return QualityReport(len(questions), len(questions) - len(misses), misses)


def bench_index(library: Library, builds: int = 7) -> list[float]:
    """Wall time of each full index build, in milliseconds."""
    samples = []
    for _ in range(builds):
        start = time.perf_counter()
        SearchIndex.build(library)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def bench_search(index: SearchIndex, queries: list[str], rounds: int = 20) -> list[float]:
    """Wall time of each search, every query once per round, in milliseconds.

    The first round includes the one-off spelling corrections a fresh index makes.
    """
    samples = []
    for _ in range(rounds):
        for query in queries:
            start = time.perf_counter()
            index.search(query)
            samples.append((time.perf_counter() - start) * 1000)
    return samples


def bench_card_open(rounds: int = 1) -> list[float]:
    """Milliseconds from asking the guide screen for a card until it is mounted and drawn."""
    from safedesk.app import SafeDeskApp
    from safedesk.screens.guide import GuideScreen

    async def run() -> list[float]:
        times: list[float] = []
        with tempfile.TemporaryDirectory() as folder:
            app = SafeDeskApp(Path(folder) / "store", start="guide")
            async with app.run_test(size=(80, 24)) as pilot:
                await pilot.pause()
                screen = app.screen
                assert isinstance(screen, GuideScreen)
                ids = list(Library.from_dir().cards)
                for _ in range(rounds):
                    for card_id in ids:
                        start = time.perf_counter()
                        screen.open_card(card_id)
                        await pilot.pause()
                        times.append((time.perf_counter() - start) * 1000)
        return times

    return asyncio.run(run())


_FIRST_PAINT = """
import sys, time
from pathlib import Path
stamp = Path(sys.argv[3])
if sys.argv[1] in ("minimal", "widgets"):
    from textual.app import App
    from textual.containers import Horizontal, Vertical
    from textual.widgets import Footer, Header, Input, OptionList, Static

    class Minimal(App):
        # "widgets": the guide's own widget tree and style sheets with 160 placeholder topics,
        # and no SafeDesk code: what Textual itself needs to draw that screen.
        CSS_PATH = sys.argv[4:] if sys.argv[1] == "widgets" else None

        def compose(self):
            yield Header()
            if sys.argv[1] == "minimal":
                yield Static("hello")
            else:
                with Horizontal(id="guide-body"):
                    with Vertical(id="guide-left"):
                        yield Input(compact=True, placeholder="/ to search", id="guide-query")
                        yield Static("", id="guide-notice", markup=False)
                        yield OptionList(*(f"  Topic {i} of the guidance" for i in range(160)), id="guide-list")
                    with Vertical(id="guide-right"):
                        yield Static("", id="card-title", markup=False)
                        yield Static("", id="card-body")
                        yield OptionList(id="card-related")
            yield Footer()

        def on_ready(self):
            stamp.write_text(repr(time.time()))
            self.exit()

    Minimal().run()
else:
    import safedesk.cli.main  # the command's own start-up path
    import safedesk.cli.guide
    import safedesk.launch
    import safedesk.app
    from safedesk.screens.guide import GuideScreen
    from safedesk.app import SafeDeskApp

    class Timed(SafeDeskApp):
        # The subclass lives in this script, so its CSS path must point back at the app's own.
        CSS_PATH = str(Path(safedesk.app.__file__).with_name("app.tcss"))
        topics_at = ""

        def on_ready(self):
            self._painted()  # the topics are usually there at the first frame: take the time now
            self.set_interval(0.001, self._painted)

        def _painted(self):
            # Two moments: the screen with its topics drawn, then the first card's text drawn.
            screen = self.screen
            if not isinstance(screen, GuideScreen):
                return
            if not self.topics_at and screen.query_one("#guide-list").option_count:
                self.topics_at = repr(time.time())
            if self.topics_at and screen.query_one("#card-body").plain_text().strip():
                self.call_after_refresh(self._card_drawn)

        def _card_drawn(self):
            if not stamp.exists():
                stamp.write_text(self.topics_at + " " + repr(time.time()))
                self.exit()

    Timed(sys.argv[2], start="guide").run()
"""


def _run_on_terminal(command: list[str], env: dict[str, str], cwd: Path) -> None:
    """Run `command` on a pseudo-terminal of 80x24, as a terminal emulator would, reading
    everything it draws (so its writes never block) until it exits. POSIX only (pty)."""
    import fcntl
    import pty
    import select
    import struct
    import termios

    main_fd, child_fd = pty.openpty()
    fcntl.ioctl(child_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    process = subprocess.Popen(
        command, stdin=child_fd, stdout=child_fd, stderr=child_fd, env=env, cwd=cwd, start_new_session=True
    )
    os.close(child_fd)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main_fd], [], [], 0.05)
            if ready:
                try:
                    if not os.read(main_fd, 65536):
                        break
                except OSError:  # the terminal closed: the app has exited
                    break
            elif process.poll() is not None:
                break
        process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        os.close(main_fd)
    if process.returncode:
        raise RuntimeError(f"{command[-3]} exited with {process.returncode}")


@dataclass
class FirstPaint:
    """Milliseconds from spawning each process to its first paint, one entry per run."""

    guide: list[float] = field(default_factory=list)  # the guide screen with its topics drawn
    card: list[float] = field(default_factory=list)  # ... and the first card's text drawn
    minimal: list[float] = field(default_factory=list)  # Header, Static, Footer
    widgets: list[float] = field(default_factory=list)  # the guide's widgets and CSS, no SafeDesk code


def bench_first_paint(runs: int = 7) -> FirstPaint:
    """`safedesk guide` and the comparison apps, each from spawning the process to its first
    paint on a real (pseudo-)terminal of 80x24 (wall clock, as a user waits: interpreter
    start-up included for all). The minimal app is the issue's: Header, Static, Footer.

    All run from compiled bytecode, as an installed copy does (pip compiles on install):
    a first, untimed run of each fills a private bytecode cache, so a checkout run with
    PYTHONDONTWRITEBYTECODE does not charge SafeDesk for compiling its own sources every time.
    """
    root = Path(__file__).resolve().parents[1]
    styles = [str(root / "tui" / "app.tcss"), str(root / "screens" / "guide.tcss")]
    result = FirstPaint()
    with tempfile.TemporaryDirectory() as folder:
        # A file, not -c: Textual locates an App subclass's source to resolve its CSS.
        script = Path(folder) / "first_paint.py"
        script.write_text(_FIRST_PAINT)
        stamp = Path(folder) / "painted"
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env |= {
            "PYTHONPATH": str(root),
            "PYTHONPYCACHEPREFIX": str(Path(folder) / "bytecode"),
            "TERM": "xterm-256color",
            "COLORTERM": "truecolor",
        }
        for timed in [False] + [True] * runs:
            for kind in ("guide", "minimal", "widgets"):
                stamp.unlink(missing_ok=True)
                spawned = time.time()
                _run_on_terminal([sys.executable, str(script), kind, str(Path(folder) / "store"), str(stamp), *styles], env, root)
                if not timed:
                    continue
                moments = [(float(t) - spawned) * 1000 for t in stamp.read_text().split()]
                if kind == "guide":
                    result.guide.append(moments[0])
                    result.card.append(moments[1])
                else:
                    getattr(result, kind).append(moments[0])
    return result


def print_first_paint(paint: FirstPaint, runs: int) -> None:
    base = median(paint.minimal)
    print(f"first paint  minimal app (Header, Static, Footer)       {ms(base)}")
    print(
        f"first paint  safedesk guide, topics drawn               {ms(median(paint.guide))}  {median(paint.guide) / base:5.2f}x"
    )
    print(f"first paint  safedesk guide, first card drawn           {ms(median(paint.card))}  {median(paint.card) / base:5.2f}x")
    widgets = median(paint.widgets)
    print(f"first paint  the guide's widgets and CSS, no SafeDesk   {ms(widgets)}  {widgets / base:5.2f}x  (Textual's floor)")
    print(f"             (pseudo-terminal 80x24, median of {runs} runs each; target: card drawn <= 1.3x)")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench guide", description=__doc__.splitlines()[0])
    parser.add_argument("--builds", type=int, default=7, help="index builds to time (default 7)")
    parser.add_argument("--rounds", type=int, default=20, help="passes over the question set (default 20)")
    parser.add_argument("--paint-runs", type=int, default=7, help="processes started per app for first paint")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    library = Library.from_dir()
    load_ms = (time.perf_counter() - start) * 1000
    questions = load_questions()
    builds = bench_index(library, args.builds)
    index = SearchIndex.build(library)
    searches = bench_search(index, [q.query for q in questions], args.rounds)
    quality = evaluate(index, questions)

    print(f"guide: {len(library.cards)} cards, {len(questions)} questions, engine: {index.notice or 'sqlite fts5'}")
    print(f"card load (parse all)      {ms(load_ms)}")
    print(f"index build  first         {ms(builds[0])}")
    print(f"index build  median        {ms(median(builds))}   ({args.builds} builds)")
    print(f"search       p50           {ms(percentile(searches, 50))}")
    print(f"search       p95           {ms(percentile(searches, 95))}   ({len(searches)} searches)")
    print(f"search       max           {ms(max(searches))}")
    print(f"search hit rate            {quality.rate:8.1%}    ({quality.hit_count}/{quality.total})")
    for miss in quality.misses:
        print(f"  miss: {miss}")

    opens = bench_card_open()
    print(f"card open    p50           {ms(percentile(opens, 50))}")
    print(f"card open    p95           {ms(percentile(opens, 95))}   ({len(opens)} cards, Pilot, 80x24)")
    print_first_paint(bench_first_paint(args.paint_runs), args.paint_runs)
    print("Targets: search p95 <= 10 ms; card open p95 <= 100 ms; first paint ratio <= 1.3x.")
    return 0
