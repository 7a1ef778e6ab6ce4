"""`python -m bench guide`: index build time, search latency and search quality.

Quality is measured on tests/data/search_questions.toml: queries a DSL would type,
each with the card that must come first (`within = 1`) or in the top three.
"""

from __future__ import annotations

import argparse
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from bench.stats import median, ms, percentile
from content.library import Library
from content.search import SearchIndex

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


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench guide", description=__doc__.splitlines()[0])
    parser.add_argument("--builds", type=int, default=7, help="index builds to time (default 7)")
    parser.add_argument("--rounds", type=int, default=20, help="passes over the question set (default 20)")
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
    return 0
