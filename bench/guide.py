"""`python -m bench guide`: index build, search latency and quality, card open time, first paint.

Quality is measured on tests/data/search_questions.toml: queries a DSL would type,
each with the card that must come first (`within = 1`) or in the top three.
Card open time is measured in the real guidance screen with Pilot, over every
card. First paint compares `safedesk guide` (CLI import, app start, first card
drawn) with a minimal Textual app (Header, Static, Footer), each in a fresh
process on a pseudo-terminal of 80x24, same run, timed until its text is in what
reached the terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
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


# The comparison apps, each a file (not -c: Textual locates an App subclass's source to find its CSS).
_FIRST_PAINT = """
import sys
from textual.app import App
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header, Input, OptionList, Static

class Minimal(App):
    # "widgets": the guide's own widget tree and style sheets with 160 placeholder topics,
    # and no SafeDesk code: what Textual itself needs to draw that screen.
    CSS_PATH = sys.argv[2:] if sys.argv[1] == "widgets" else None

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
                    yield Static("Card text", id="card-body")
                    yield OptionList(id="card-related")
        yield Footer()

Minimal().run()
"""
_ESCAPES = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]")


def _run_on_terminal(command: list[str], env: dict[str, str], cwd: Path, markers: list[str]) -> list[float]:
    """Run `command` on a pseudo-terminal of 80x24, reading what it draws as a terminal emulator
    would; the milliseconds from spawning it until each of `markers` is on the screen (its text
    in what was drawn, escape sequences aside). Then the process is ended. POSIX only (pty)."""
    import fcntl
    import pty
    import select
    import signal
    import struct
    import termios

    main_fd, child_fd = pty.openpty()
    fcntl.ioctl(child_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    spawned = time.perf_counter()
    process = subprocess.Popen(
        command, stdin=child_fd, stdout=child_fd, stderr=child_fd, env=env, cwd=cwd, start_new_session=True
    )
    os.close(child_fd)
    wanted = [marker.encode() for marker in markers]
    seen: dict[bytes, float] = {}
    drawn = b""
    try:
        while len(seen) < len(wanted) and time.perf_counter() - spawned < 120:
            ready, _, _ = select.select([main_fd], [], [], 0.05)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(main_fd, 65536)
            except OSError:  # the terminal closed: the app has exited
                break
            if not chunk:
                break
            now = (time.perf_counter() - spawned) * 1000
            drawn += chunk
            text = _ESCAPES.sub(b"", drawn)
            seen |= {marker: now for marker in wanted if marker not in seen and marker in text}
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        os.close(main_fd)
    missing = [m.decode() for m in wanted if m not in seen]
    if missing:
        raise RuntimeError(f"{' '.join(command)}: never drew {missing} (exit {process.returncode})")
    return [seen[marker] for marker in wanted]


@dataclass
class FirstPaint:
    """Milliseconds from spawning each process to its first paint, one entry per run."""

    guide: list[float] = field(default_factory=list)  # the guide screen with its topics drawn
    card: list[float] = field(default_factory=list)  # ... and the first card's text drawn
    minimal: list[float] = field(default_factory=list)  # Header, Static, Footer
    widgets: list[float] = field(default_factory=list)  # the guide's widgets and CSS, no SafeDesk code


def _first_card_words() -> tuple[str, str]:
    """What the guide draws first, to look for on the terminal: its first topic heading, and the
    first words of the first card's text."""
    from safedesk.content.cards import markdown_to_text
    from safedesk.screens.guide import KIND_TITLES, _grouped

    library = Library.from_dir()
    kind, cards = _grouped()[0]
    text = markdown_to_text(library.reader_body(cards[0]))
    line = next(line for line in text.splitlines() if len(line.split()) >= 4)
    return KIND_TITLES[kind], " ".join(line.removeprefix("- ").split()[:2])


def bench_first_paint(runs: int = 7) -> FirstPaint:
    """`safedesk guide` and the comparison apps, each from spawning the process until what it
    draws first is on a real (pseudo-)terminal of 80x24, as a user waits: interpreter start-up
    included for all. `safedesk guide` is the command itself (python -m safedesk guide), timed
    to its topics and to the first words of its first card. The minimal app is the issue's:
    Header, Static, Footer, timed to its Static's text.

    All run from compiled bytecode, as an installed copy does (pip compiles on install):
    a first, untimed run of each fills a private bytecode cache, so a checkout run with
    PYTHONDONTWRITEBYTECODE does not charge SafeDesk for compiling its own sources every time.
    """
    root = Path(__file__).resolve().parents[1]
    styles = [str(root / "tui" / "app.tcss"), str(root / "screens" / "guide.tcss")]
    heading, card_words = _first_card_words()
    result = FirstPaint()
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "first_paint.py"
        script.write_text(_FIRST_PAINT)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env |= {
            "PYTHONPYCACHEPREFIX": str(Path(folder) / "bytecode"),
            "TERM": "xterm-256color",
            "COLORTERM": "truecolor",
            "XDG_DATA_HOME": str(Path(folder) / "data"),
        }
        env.pop("SAFEDESK_STORE", None)
        commands = {
            # As typed, with no --store: the guidance opens no store (its default folder, under
            # XDG_DATA_HOME here, is only worked out).
            "guide": ([sys.executable, "-m", "safedesk", "guide"], [heading, card_words]),
            "minimal": ([sys.executable, str(script), "minimal"], ["hello"]),
            "widgets": ([sys.executable, str(script), "widgets", *styles], ["Card text"]),
        }
        for timed in [False] + [True] * runs:
            for kind, (command, markers) in commands.items():
                moments = _run_on_terminal(command, env, root, markers)
                if not timed:
                    continue
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
