"""`python -m bench handover`: export and import times, and why the encryption runs in a child process.

- export / import: a handover of N incidents (each with its chronology, actions,
  an escalation and evidence files) between two stores, split into its steps:
  reading and packing, age encryption, decryption, checking, and the import's
  transaction. The age steps are dominated by scrypt, which age tunes to about
  a second or two on purpose.
- responsiveness: a loop on the main thread (standing in for the app's event
  loop, ticking every 5 ms) while a worker thread runs the age encryption (a)
  by calling pyrage in-process and (b) through SafeDesk's child process. The
  longest gap between ticks is how long the screen would freeze.

The stores use a deliberately cheap KDF: unlocking is not what is measured here.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TypeVar

from bench.stats import median, ms, percentile
from safedesk.store.engine.keys import crypto
from safedesk.store.engine.session import OpenOptions, Session
from safedesk.store.handover import crypt as handover_crypt
from safedesk.store.handover import transfer as ho
from safedesk.store.handover.bundle import unpack
from safedesk.store.incidents import evidence
from safedesk.store.incidents.log import IncidentLog
from safedesk.store.incidents.records import Action, Escalation, Incident, Person

PASSPHRASE = "correct horse battery staple"
HANDOVER_PASSPHRASE = "lantern kettle orbit meadow"
TICK = 0.005
T = TypeVar("T")


def _new_store(folder: Path, name: str) -> Session:
    return Session.create(folder, name, "Bench DSL", PASSPHRASE, OpenOptions(kdf=crypto.fast_params_for_tests()))[0]


def _fill(session: Session, incidents: int, files: int, file_kib: int, work: Path) -> list[int]:
    log = IncidentLog(session)
    ids = []
    for n in range(incidents):
        incident = log.create(
            Incident(
                title=f"Comment on the school page {n}",
                reported_at=datetime.now(UTC) - timedelta(days=n % 300 + 1),
                description="A parent posted a comment naming a member of staff; screenshot taken by the office.\n" * 3,
                people=(Person(name=f"Parent {n}", role="parent"),),
                platform="facebook",
            ),
            actions=[
                Action(incident_id=0, text="Screenshot and report the comment"),
                Action(incident_id=0, text="Tell the head"),
            ],
        )
        assert incident.id is not None
        log.add_note(incident.id, "Called the parent; they agreed to remove the post.")
        log.escalate(Escalation(incident_id=incident.id, target="platform_report", at=datetime.now(UTC), reference=f"FB-{n}"))
        for f in range(files):
            path = work / f"shot-{n}-{f}.png"
            seed = hashlib.sha256(f"{n}-{f}".encode()).digest()
            path.write_bytes((seed * (file_kib * 1024 // 32 + 1))[: file_kib * 1024])
            evidence.add_file(session, incident.id, path)
            path.unlink()
        ids.append(incident.id)
    return ids


def _seconds(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def bench_round_trip(incidents: int, files: int, file_kib: int, rounds: int) -> dict[str, list[float]]:
    work = Path(tempfile.mkdtemp(prefix="safedesk-bench-handover-"))
    steps: dict[str, list[float]] = {k: [] for k in ("plan", "pack", "encrypt", "decrypt", "check", "preview", "apply")}
    try:
        sender = _new_store(work / "a", "Bench Primary")
        ids = _fill(sender, incidents, files, file_kib, work)
        for r in range(rounds):
            # partial, not a lambda: each step's arguments are bound here, never looked up later (B023).
            plan, t = _seconds(partial(ho.plan_export, sender, ho.Selection(tuple(ids)), "Bench Academy DSL"))
            steps["plan"].append(t)
            packed, t = _seconds(partial(ho.build_bundle, sender, plan))
            steps["pack"].append(t)
            ciphertext, t = _seconds(partial(handover_crypt.encrypt, packed.data, HANDOVER_PASSPHRASE))
            steps["encrypt"].append(t)
            path = work / f"h{r}.age"
            path.write_bytes(ciphertext)
            plain, t = _seconds(partial(handover_crypt.decrypt, ciphertext, HANDOVER_PASSPHRASE))
            steps["decrypt"].append(t)
            bundle, t = _seconds(partial(unpack, plain))
            steps["check"].append(t)
            opened = ho.Opened(bundle, path.name, hashlib.sha256(ciphertext).hexdigest(), len(ciphertext))
            receiver = _new_store(work / f"b{r}", "Bench Academy")
            preview, t = _seconds(partial(ho.preview_import, receiver, opened))
            steps["preview"].append(t)
            _, t = _seconds(partial(ho.apply_import, receiver, preview))
            steps["apply"].append(t)
            receiver.close()
        steps["size_mb"] = [len(packed.data) / 1048576]
        sender.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return steps


def _gaps_while(job: Callable[[], object]) -> list[float]:
    """Gaps (ms) between 5 ms ticks of the main thread while `job` runs in a worker thread."""
    done = threading.Event()

    def worker() -> None:
        job()
        done.set()

    thread = threading.Thread(target=worker)
    gaps: list[float] = []
    last = time.perf_counter()
    thread.start()
    while not done.is_set():
        time.sleep(TICK)
        now = time.perf_counter()
        gaps.append((now - last) * 1000)
        last = now
    thread.join()
    return gaps


def bench_responsiveness(payload_kib: int) -> dict[str, list[float]]:
    import pyrage

    data = b"x" * (payload_kib * 1024)
    return {
        "in-process thread": _gaps_while(lambda: pyrage.passphrase.encrypt(data, HANDOVER_PASSPHRASE)),
        "child process": _gaps_while(lambda: handover_crypt.encrypt(data, HANDOVER_PASSPHRASE)),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench handover")
    parser.add_argument("--incidents", type=int, default=50)
    parser.add_argument("--files", type=int, default=2, help="evidence files per incident")
    parser.add_argument("--file-kib", type=int, default=300, help="size of each evidence file")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    steps = bench_round_trip(args.incidents, args.files, args.file_kib, args.rounds)
    size = steps.pop("size_mb")[0]
    print(
        f"Handover of {args.incidents} incidents with {args.files} x {args.file_kib} KiB evidence each "
        f"({size:.1f} MiB inside the file); medians of {args.rounds} rounds:"
    )
    print(f"{'step':<10} {'p50':>11} {'max':>11}")
    for name, values in steps.items():
        print(f"{name:<10} {ms(median(values) * 1000):>11} {ms(max(values) * 1000):>11}")
    export = sum(median(steps[k]) for k in ("plan", "pack", "encrypt"))
    import_ = sum(median(steps[k]) for k in ("decrypt", "check", "preview", "apply"))
    age = median(steps["encrypt"]) + median(steps["decrypt"])
    print(f"export total {export:.2f} s, import total {import_:.2f} s; age (scrypt) is {age / (export + import_):.0%} of both")
    print()
    gaps = bench_responsiveness(64)
    print("Main-thread tick gaps while a worker thread encrypts (5 ms ticks; the longest gap is the screen's freeze):")
    print(f"{'how':<18} {'p50':>11} {'p95':>11} {'max':>11}")
    for how, values in gaps.items():
        print(f"{how:<18} {ms(median(values)):>11} {ms(percentile(values, 95)):>11} {ms(max(values)):>11}")
    ratio = max(gaps["in-process thread"]) / max(gaps["child process"])
    print(
        f"longest freeze: in-process {max(gaps['in-process thread']):.0f} ms vs child process "
        f"{max(gaps['child process']):.0f} ms ({ratio:.0f}x)"
    )
    return 0
