"""`safedesk verify`: every integrity check the store can make about itself.

Opening the store already proved the snapshot and journal authentic (AES-GCM);
this adds the audit chain, the key slots' owners and the schema, then the checks
the caller passes (the features', listed by safedesk.store.registry: the engine
knows no feature).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from safedesk.store.engine.schema import CURRENT_VERSION
from safedesk.store.engine.session import Session


@dataclass(frozen=True)
class Check:
    ok: bool
    text: str


@dataclass
class VerifyReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def lines(self) -> list[str]:
        out = [f"{'OK   ' if c.ok else 'FAULT'}  {c.text}" for c in self.checks]
        out.append("Verified: no faults found." if self.ok else "Verification FAILED: see the FAULT lines above.")
        return out


def _store(session: Session) -> Iterable[Check]:
    tables = session.vault.data
    records = sum(len(t) for t in tables.values())
    yield Check(
        True,
        f"store decrypts and authenticates: {records} records in {len(tables)} tables (generation {session.vault.generation})",
    )
    if session.vault.torn_tail_recovered:
        yield Check(True, "an unfinished last write (from a crash) was ignored, as designed")


def _schema(session: Session) -> Iterable[Check]:
    version = session.meta().schema_version
    yield Check(version == CURRENT_VERSION, f"schema version {version} (this SafeDesk writes {CURRENT_VERSION})")


def _audit(session: Session) -> Iterable[Check]:
    report = session.audit.verify()
    if report.ok:
        yield Check(True, f"audit chain intact: {report.entries} entries, head {report.head}")
    else:
        yield Check(False, f"audit chain broken: {report.problem}")


def _slots(session: Session) -> Iterable[Check]:
    slots = {s.id for s in session.vault.header.slots}
    owners = {u.slot_id for u in session.active_users()}
    yield Check(
        slots == owners,
        f"{len(slots)} key slots, each with its owner recorded" if slots == owners else "key slots and their owners do not match",
    )
    if not any(s.role == "recovery" for s in session.vault.header.slots):
        yield Check(False, "no recovery key slot: run 'safedesk keys add --recovery'")


CheckFn = Callable[[Session], Iterable[Check]]
ENGINE_CHECKS: tuple[CheckFn, ...] = (_store, _schema, _audit, _slots)


def verify_session(session: Session, extra: Iterable[CheckFn] = ()) -> VerifyReport:
    """The engine's checks, then `extra` (the features' checks) in order."""
    report = VerifyReport()
    for check in (*ENGINE_CHECKS, *extra):
        report.checks.extend(check(session))
    return report
