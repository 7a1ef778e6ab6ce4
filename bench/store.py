"""`python -m bench store`: the encrypted store beside plain TinyDB and sqlite3, on the same documents.

At each size (records of about 500 bytes, each with its audit entry) it builds a
SafeDesk store with the KDF calibrated for this machine (as `init` does), writes
the very same tables to a TinyDB JSONStorage file and to a sqlite3 database
(WAL, synchronous=FULL), then measures each in a fresh child process:

- write: one record and its audit entry, durably (SafeDesk: `Repository.add`,
  one commit; TinyDB: two inserts; sqlite: one transaction), p50 and p95;
  SafeDesk's and sqlite's in turn in one process, so both meet the disk at the
  same moments;
- fold: the worst pause the app's own thread sees while the journal is folded
  into a new snapshot in the background and saves go on (each save's time, and
  the longest gap of a 2 ms timer loop standing in for the event loop), beside
  what the same fold costs when done in the foreground (as before the change);
- unlock (SafeDesk: KDF + decrypt + load) / load (TinyDB: first read; sqlite: open and count);
- peak RSS of the child after loading and writing (before the fold), from
  `resource.getrusage` (tracemalloc's peak where `resource` is missing, on Windows).

Then `safedesk consents check` from the command line on stores of 500 and
20,000 pupils x 6 purposes: wall time and the peak RSS of the process.
Medians and ratios come from the same run; targets are printed beside them.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from bench.stats import median, percentile
from safedesk.store.engine.keys import crypto
from safedesk.store.engine.records import Record
from safedesk.store.engine.session import OpenOptions, Session

PASSPHRASE = "correct horse battery staple"
FILL_BATCH = 5000


@dataclass(kw_only=True)
class BenchRecord(Record):
    """An incident-sized record: about 500 bytes of JSON."""

    TABLE: ClassVar[str] = "bench"

    ref: str
    title: str
    platform: str = "Facebook"
    status: str = "open"
    reported_at: str = "2026-11-21T09:30:00+00:00"
    description: str = ""
    people: list[dict[str, str]]
    flags: list[str]


def _record(i: int) -> BenchRecord:
    return BenchRecord(
        ref=f"INC-2026-{i:06d}",
        title=f"Comment on the school page number {i}",
        description="A parent posted a comment naming a member of staff; screenshot taken by the office. " * 3,
        people=[{"name": f"Person {i}", "role": "parent", "involvement": "subject"}],
        flags=["official_channel_affected"],
    )


# --------------------------------------------------------------------- building the stores


def _fill(folder: Path, size: int, kdf: crypto.KdfParams) -> None:
    session, _ = Session.create(folder, "Bench Primary", "Bench DSL", PASSPHRASE, OpenOptions(kdf=kdf))
    for start in range(0, size, FILL_BATCH):
        with session.transaction():
            for i in range(start, min(size, start + FILL_BATCH)):
                doc_id = session.db.insert(BenchRecord.TABLE, _record(i).to_doc())
                session.audit.append(session.actor, "record.create", "BenchRecord added", f"bench/{doc_id}")
    session.vault.compact()
    session.close()


def _copy_plain(folder: Path, json_path: Path, sqlite_path: Path) -> None:
    """The same tables as TinyDB's JSON file and as sqlite3 rows (id, JSON text)."""
    with Session.open(folder, PASSPHRASE) as session:
        tables = session.vault.data
        with json_path.open("w", encoding="utf-8") as handle:
            json.dump(tables, handle)
        db = sqlite3.connect(sqlite_path)
        db.execute("PRAGMA journal_mode=WAL")
        for name, docs in tables.items():
            db.execute(f'CREATE TABLE "{name}" (id INTEGER PRIMARY KEY, doc TEXT NOT NULL)')
            db.executemany(f'INSERT INTO "{name}" VALUES (?, ?)', ((int(i), json.dumps(d)) for i, d in docs.items()))
        db.commit()
        db.close()


# --------------------------------------------------------------------- child processes


def _status_mib(field: str) -> float | None:
    """A memory figure from /proc/self/status (Linux), in MiB."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _held_mib() -> float:
    """Resident memory now, after a collection: what holding the data costs (the KDF's 128 MiB,
    which every unlock allocates and frees, is in the peak but not here). NaN where unknown."""
    gc.collect()
    return _status_mib("VmRSS") or float("nan")


def _peak_rss_mib() -> float:
    """This process's peak resident memory. Linux: VmHWM, which starts afresh at exec (ru_maxrss
    carries the parent's peak across fork and exec, and the parent here holds a whole store)."""
    peak = _status_mib("VmHWM")
    if peak is not None:
        return peak
    try:
        import resource
    except ImportError:  # Windows: Python's own allocations, traced since the child started
        import tracemalloc

        return tracemalloc.get_traced_memory()[1] / 2**20
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / 2**20 if sys.platform == "darwin" else maxrss / 1024


def _child_ours(folder: Path, size: int, samples: int) -> dict[str, Any]:
    start = time.perf_counter()
    session = Session.open(folder, PASSPHRASE)
    unlock = time.perf_counter() - start
    repo = session.repo(BenchRecord)
    rss, held = _peak_rss_mib(), _held_mib()
    pause = _fold_pause(session, repo, size)
    start = time.perf_counter()
    session.vault.compact()  # the same fold in the foreground, as every save past the threshold once paid
    foreground = time.perf_counter() - start
    session.close()
    return {"unlock": unlock, "rss": rss, "held": held, "foreground_fold": foreground, **pause}


def _fold_pause(session: Session, repo: Any, first: int) -> dict[str, Any]:
    """Start a fold, then save every few milliseconds until it has finished: the longest save,
    and the longest gap of the loop (what the event loop would feel)."""
    vault = session.vault
    start = time.perf_counter()
    vault.start_fold()
    started = time.perf_counter() - start
    saves: list[float] = []
    gaps: list[float] = []
    last = time.perf_counter()
    began = last
    i = first
    while vault.folding:
        t = time.perf_counter()
        repo.add(_record(i))
        saves.append(time.perf_counter() - t)
        i += 1
        time.sleep(0.002)
        now = time.perf_counter()
        gaps.append(now - last - 0.002)
        last = now
    return {
        "fold_start": started,
        "fold_saves": saves,
        "fold_gap": max(gaps, default=0.0),
        "fold_seconds": time.perf_counter() - began,
        "fold_error": vault.fold_error,
    }


def _child_tinydb(path: Path, size: int, samples: int) -> dict[str, Any]:
    from tinydb import TinyDB
    from tinydb.storages import JSONStorage

    start = time.perf_counter()
    db = TinyDB(path, storage=JSONStorage)
    # JSONStorage keeps nothing between operations: hold what it read, as an app would
    # (and as SafeDesk does), to compare the memory that holding the data costs.
    tables = db.storage.read() or {}
    records, audit = db.table("bench"), db.table("audit")
    assert len(tables["bench"]) >= size and len(tables["audit"]) >= size
    load = time.perf_counter() - start
    rss, held = _peak_rss_mib(), _held_mib()
    writes = []
    entry = dict(next(iter(audit)))
    for i in range(samples):
        t = time.perf_counter()
        records.insert(_record(size + i).to_doc())
        audit.insert(entry)
        writes.append(time.perf_counter() - t)
    db.close()
    del tables
    return {"unlock": load, "writes": writes, "rss": rss, "held": held}


def _child_sqlite(path: Path, size: int, samples: int) -> dict[str, Any]:
    start = time.perf_counter()
    db = _sqlite(path)
    count = db.execute("SELECT count(*) FROM bench").fetchone()[0]
    assert count >= size
    load = time.perf_counter() - start
    rss, held = _peak_rss_mib(), _held_mib()
    db.close()
    return {"unlock": load, "rss": rss, "held": held}


def _sqlite(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    return db


def _child_writes(work: Path, size: int, samples: int) -> dict[str, Any]:
    """SafeDesk and sqlite writes taken in turn, so both meet the same disk at the same moments
    (an fsync's cost on a shared machine drifts by 10x over minutes)."""
    session = Session.open(work / "store", PASSPHRASE)
    repo = session.repo(BenchRecord)
    db = _sqlite(work / "plain.sqlite")
    entry = db.execute("SELECT doc FROM audit LIMIT 1").fetchone()[0]
    ours, lite = [], []
    for i in range(samples):
        t = time.perf_counter()
        repo.add(_record(size + i))
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        with db:
            db.execute("INSERT INTO bench (doc) VALUES (?)", (json.dumps(_record(size + i).to_doc()),))
            db.execute("INSERT INTO audit (doc) VALUES (?)", (entry,))
        lite.append(time.perf_counter() - t)
    db.close()
    session.close()
    return {"ours": ours, "sqlite": lite}


CHILDREN = {"ours": _child_ours, "tinydb": _child_tinydb, "sqlite": _child_sqlite, "writes": _child_writes}


def _in_child(kind: str, path: Path, size: int, samples: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench", "store", "--child", kind, str(path), str(size), str(samples)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} child failed: {done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


# --------------------------------------------------------------------- the CLI check


def _consents_store(folder: Path, pupils: int, kdf: crypto.KdfParams) -> None:
    from bench.consents import make_csv
    from safedesk.store.consents.importer import apply_import, plan_import

    session, _ = Session.create(folder, "Bench Primary", "Bench DSL", PASSPHRASE, OpenOptions(kdf=kdf))
    apply_import(session, plan_import(session, make_csv(pupils), "export.csv"))
    session.vault.compact()
    session.close()


def _cli_check(folder: Path, pwfile: Path, runs: int) -> tuple[float, float]:
    """Median wall time (s, from spawning the process) and peak RSS (MiB) of `safedesk consents check`."""
    args = ["--store", str(folder), "consents", "check", "-p", "website", "A0000003", "--passphrase-file", str(pwfile)]
    command = [sys.executable, "-m", "bench", "store", "--cli", *args]
    times, peaks = [], []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        code, peak = done.stderr.split()[-2:]
        if int(code) not in (0, 1):  # PASS or STOP; anything else makes the timing meaningless
            raise RuntimeError(f"consents check exited {code}: {done.stderr}")
        peaks.append(float(peak))
    return median(times), max(peaks)


def _run_cli(args: list[str]) -> int:
    """`safedesk ARGS` in this process, then its exit code and peak RSS on stderr."""
    from safedesk.cli.main import cli

    try:
        cli.main(args, prog_name="safedesk", standalone_mode=True)
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    print(code, f"{_peak_rss_mib():.1f}", file=sys.stderr)
    return 0


# --------------------------------------------------------------------- report


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:9.2f} ms"


def _report_size(size: int, ours: dict[str, Any], tiny: dict[str, Any], lite: dict[str, Any]) -> list[str]:
    w = {k: (median(r["writes"]), percentile(r["writes"], 95)) for k, r in (("ours", ours), ("tiny", tiny), ("lite", lite))}
    worst_save = max(ours["fold_saves"], default=0.0)
    pause = max(worst_save, ours["fold_gap"], ours["fold_start"])
    lines = [
        f"{size:>8,} records",
        f"  write p50/p95   SafeDesk {_ms(w['ours'][0])} {_ms(w['ours'][1])}   TinyDB JSON {_ms(w['tiny'][0])} {_ms(w['tiny'][1])}"
        f"   sqlite {_ms(w['lite'][0])} {_ms(w['lite'][1])}   SafeDesk/sqlite {w['ours'][0] / w['lite'][0]:.2f}x",
        f"  fold            worst UI pause {_ms(pause)} (target <= 100 ms: {'met' if pause <= 0.1 else 'MISSED'};"
        f" fold start {_ms(ours['fold_start'])}, worst save {_ms(worst_save)},"
        f" longest loop gap {_ms(ours['fold_gap'])}; {len(ours['fold_saves'])} saves during a {ours['fold_seconds']:.2f} s fold)"
        f"; the same fold in the foreground {_ms(ours['foreground_fold'])}",
        f"  unlock/load     SafeDesk {_ms(ours['unlock'])}   TinyDB JSON {_ms(tiny['unlock'])}   sqlite {_ms(lite['unlock'])}",
        f"  peak RSS        SafeDesk {ours['rss']:8.1f} MiB   TinyDB JSON {tiny['rss']:8.1f} MiB   sqlite {lite['rss']:8.1f} MiB"
        f"   SafeDesk/TinyDB {ours['rss'] / tiny['rss']:.2f}x",
        f"  RSS holding it  SafeDesk {ours['held']:8.1f} MiB   TinyDB JSON {tiny['held']:8.1f} MiB   sqlite {lite['held']:8.1f} MiB"
        f"   SafeDesk/TinyDB {ours['held'] / tiny['held']:.2f}x",
    ]
    if ours["fold_error"]:
        lines.append(f"  FOLD FAILED: {ours['fold_error']}")
    return lines


def main(argv: list[str]) -> int:
    if argv[:1] == ["--cli"]:
        return _run_cli(argv[1:])
    if argv[:1] == ["--child"]:
        kind, path, size, samples = argv[1], Path(argv[2]), int(argv[3]), int(argv[4])
        if os.name == "nt":  # no resource module: trace allocations from here on
            import tracemalloc

            tracemalloc.start()
        print(json.dumps(CHILDREN[kind](path, size, samples)))
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench store")
    parser.add_argument("--sizes", default="1000,10000,50000,100000")
    parser.add_argument("--quick", action="store_true", help="1,000 and 10,000 records, 500 and 5,000 pupils")
    parser.add_argument("--samples", type=int, default=200, help="writes timed on SafeDesk and sqlite")
    parser.add_argument("--tinydb-samples", type=int, default=0, help="writes timed on TinyDB (default: fewer as it grows)")
    args = parser.parse_args(argv)
    sizes = [1000, 10000] if args.quick else [int(s) for s in args.sizes.split(",")]

    kdf = crypto.calibrate()
    start = time.perf_counter()
    kdf.derive(b"bench")
    kdf_seconds = time.perf_counter() - start
    detail = f"{kdf.alg}, {kdf.memory_kib // 1024} MiB, {kdf.iterations} passes" if kdf.alg == "argon2id" else f"scrypt n={kdf.n}"
    print(f"KDF calibrated for this machine: {detail}, {_ms(kdf_seconds).strip()} per derivation")
    print()
    last: tuple[dict[str, Any], dict[str, Any], dict[str, Any]] | None = None
    for size in sizes:
        work = Path(tempfile.mkdtemp(prefix="safedesk-bench-"))
        try:
            folder = work / "store"
            _fill(folder, size, kdf)
            _copy_plain(folder, work / "plain.json", work / "plain.sqlite")
            tiny_samples = args.tinydb_samples or max(3, min(60, 200_000 // size))
            writes = _in_child("writes", work, size, args.samples)
            ours = _in_child("ours", folder, size, 0) | {"writes": writes["ours"]}
            tiny = _in_child("tinydb", work / "plain.json", size, tiny_samples)
            lite = _in_child("sqlite", work / "plain.sqlite", size, 0) | {"writes": writes["sqlite"]}
        finally:
            shutil.rmtree(work, ignore_errors=True)
        for line in _report_size(size, ours, tiny, lite):
            print(line, flush=True)
        last = (ours, tiny, lite)

    small, big = (500, 5000) if args.quick else (500, 20000)
    work = Path(tempfile.mkdtemp(prefix="safedesk-bench-"))
    try:
        pwfile = work / "pw.txt"
        pwfile.write_text(PASSPHRASE + "\n", encoding="utf-8")
        results = {}
        for pupils in (small, big):
            _consents_store(work / f"s{pupils}", pupils, kdf)
            results[pupils] = _cli_check(work / f"s{pupils}", pwfile, runs=3)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    (t_small, m_small), (t_big, m_big) = results[small], results[big]
    print(
        f"consents check (CLI, one pupil, 6 purposes): {small:,} pupils {_ms(t_small)} {m_small:.1f} MiB;"
        f" {big:,} pupils {_ms(t_big)} {m_big:.1f} MiB; ratio {t_big / t_small:.2f}x time, {m_big / m_small:.2f}x memory"
        " (targets at 20,000: <= 2x and <= 1.6x)"
    )
    if last is not None:
        ours, tiny, lite = last
        p50 = median(ours["writes"])
        pause = max(max(ours["fold_saves"], default=0.0), ours["fold_gap"], ours["fold_start"])
        print(
            f"Targets at {sizes[-1]:,} records: write p50 {_ms(p50).strip()} (<= 5 ms), {p50 / median(lite['writes']):.2f}x sqlite (<= 3x);"
            f" worst save/fold pause {_ms(pause).strip()} (<= 100 ms); unlock {_ms(ours['unlock']).strip()} (<= 1.5 s,"
            f" KDF {_ms(kdf_seconds).strip()} >= 0.25 s; TinyDB's own load {_ms(tiny['unlock']).strip()});"
            f" RSS {ours['rss'] / tiny['rss']:.2f}x TinyDB at peak, {ours['held'] / tiny['held']:.2f}x holding the data (<= 1.2x)"
        )
    return 0
