"""`python -m bench store`: commit latency and unlock time of the encrypted store.

At each size it fills a store, then times single-document inserts and updates
through TinyDB on SafeDesk's encrypted storage and on TinyDB's own JSONStorage
holding the same documents, in the same run, and prints medians, p95 and the
ratio. Unlock uses the KDF calibrated for this machine (as `init` does).
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import JSONStorage

from bench.stats import median, ms, percentile, time_each
from safedesk.store.engine.keys import crypto
from safedesk.store.engine.session import OpenOptions, Session

PASSPHRASE = "correct horse battery staple"


def _doc(i: int) -> dict[str, Any]:
    return {
        "ref": f"INC-2026-{i:05d}",
        "title": f"Comment on the school page number {i}",
        "platform": "Facebook",
        "status": "open",
        "reported_at": "2026-11-21T09:30:00+00:00",
        "description": "A parent posted a comment naming a member of staff; screenshot taken by the office. " * 2,
        "people": [{"name": f"Person {i}", "role": "parent", "involvement": "subject"}],
        "flags": ["official_channel_affected"],
    }


def _fill_ours(folder: Path, size: int, kdf: crypto.KdfParams) -> None:
    session, _ = Session.create(folder, "Bench Primary", "Bench DSL", PASSPHRASE, OpenOptions(kdf=kdf))
    with session.transaction():
        session.db.table("bench").insert_multiple(_doc(i) for i in range(size))
    session.vault.compact()
    session.close()


def _time_commits(table: Any, size: int, samples: int, rng: random.Random) -> tuple[list[float], list[float]]:
    inserts = time_each(lambda i: table.insert(_doc(size + i)), samples)
    ids = [rng.randint(1, size) for _ in range(samples)]
    updates = time_each(lambda i: table.update({"status": f"monitoring {i}"}, doc_ids=[ids[i]]), samples)
    return inserts, updates


def bench_size(size: int, samples: int, plain_samples: int, kdf: crypto.KdfParams, unlocks: int) -> dict[str, float]:
    rng = random.Random(size)
    work = Path(tempfile.mkdtemp(prefix="safedesk-bench-"))
    try:
        folder = work / "store"
        _fill_ours(folder, size, kdf)

        start = time.perf_counter()
        session = Session.open(folder, PASSPHRASE)
        first_unlock = time.perf_counter() - start
        ours_insert, ours_update = _time_commits(session.db.table("bench"), size, samples, rng)
        session.close()

        unlock_times = [first_unlock]
        for _ in range(unlocks - 1):
            start = time.perf_counter()
            Session.open(folder, PASSPHRASE).close()
            unlock_times.append(time.perf_counter() - start)
        kdf_times = time_each(lambda _i: kdf.derive(b"bench"), 3)

        plain_path = work / "plain.json"
        plain = TinyDB(plain_path, storage=JSONStorage)
        plain.table("bench").insert_multiple(_doc(i) for i in range(size))
        plain_insert, plain_update = _time_commits(plain.table("bench"), size, plain_samples, rng)
        plain.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "ours_insert_p50": median(ours_insert),
        "ours_insert_p95": percentile(ours_insert, 95),
        "ours_update_p50": median(ours_update),
        "ours_update_p95": percentile(ours_update, 95),
        "plain_insert_p50": median(plain_insert),
        "plain_insert_p95": percentile(plain_insert, 95),
        "plain_update_p50": median(plain_update),
        "plain_update_p95": percentile(plain_update, 95),
        "unlock_p50": median(unlock_times) * 1000,
        "kdf_p50": median(kdf_times),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench store")
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--samples", type=int, default=300, help="commits timed per kind on SafeDesk's storage")
    parser.add_argument("--plain-samples", type=int, default=60, help="commits timed per kind on plain TinyDB")
    parser.add_argument("--unlocks", type=int, default=5)
    args = parser.parse_args(argv)

    kdf = crypto.calibrate()
    detail = f"{kdf.alg}, {kdf.memory_kib // 1024} MiB, {kdf.iterations} passes" if kdf.alg == "argon2id" else f"scrypt n={kdf.n}"
    print(f"KDF calibrated for this machine: {detail}")
    print()
    print(f"{'records':>8} {'op':<7} {'SafeDesk p50':>14} {'p95':>11} {'TinyDB JSON p50':>16} {'p95':>11} {'ratio':>7}")
    for size in (int(s) for s in args.sizes.split(",")):
        r = bench_size(size, args.samples, args.plain_samples, kdf, args.unlocks)
        for op in ("insert", "update"):
            ratio = r[f"ours_{op}_p50"] / r[f"plain_{op}_p50"]
            print(
                f"{size:>8} {op:<7} {ms(r[f'ours_{op}_p50']):>14} {ms(r[f'ours_{op}_p95']):>11}"
                f" {ms(r[f'plain_{op}_p50']):>16} {ms(r[f'plain_{op}_p95']):>11} {ratio:>6.3f}x"
            )
        print(f"{size:>8} unlock  {ms(r['unlock_p50']):>14}   (KDF alone {ms(r['kdf_p50'])}; rest is decrypt + load)")
    print()
    print("Targets at 10k records: commit p50 <= 30 ms and <= 0.3x plain TinyDB; unlock <= 1000 ms.")
    return 0
